using Conformance.Infrastructure;

namespace Conformance.Foundation;

/// <summary>kubectl get for the policy, autoscaling, networking, RBAC and admission kinds prints kube-apiserver's columns.</summary>
[Collection(ClusterCollection.Name)]
public sealed class MoreTablePrintingTests(ClusterFixture cluster)
{
    private static string Header(string output) => string.Join(' ', output.Split('\n')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));

    [Fact]
    public async Task KubectlGet_PrintsTheColumnsOfTheRemainingKinds()
    {
        var ns = await cluster.CreateNamespaceAsync("tables");
        await cluster.KubectlOkAsync("create", "quota", "q", "-n", ns, "--hard=pods=5,limits.cpu=2");
        await cluster.KubectlOkAsync("create", "poddisruptionbudget", "pdb", "-n", ns, "--selector=app=web", "--min-available=1");
        await cluster.KubectlOkAsync("create", "role", "reader", "-n", ns, "--verb=get", "--resource=pods");
        await cluster.KubectlOkAsync("create", "deployment", "web", "-n", ns, "--image=nginx:1.27");
        await cluster.KubectlWithInputAsync($"""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
              name: deny
              namespace: {ns}
            spec:
              podSelector:
                matchLabels:
                  app: web
            ---
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            metadata:
              name: web
              namespace: {ns}
            spec:
              scaleTargetRef:
                apiVersion: apps/v1
                kind: Deployment
                name: web
              minReplicas: 2
              maxReplicas: 5
              metrics:
              - type: Resource
                resource:
                  name: cpu
                  target:
                    type: Utilization
                    averageUtilization: 80
            ---
            apiVersion: v1
            kind: LimitRange
            metadata:
              name: lr
              namespace: {ns}
            spec:
              limits:
              - type: Container
                default:
                  cpu: 100m
            """, "create", "-f", "-");

        var quota = await cluster.KubectlOkAsync("get", "quota", "-n", ns);
        Assert.Equal("NAME AGE REQUEST LIMIT", Header(quota));
        await Eventually(async () => (await cluster.KubectlOkAsync("get", "quota", "-n", ns)).Contains("pods: 0/5", StringComparison.Ordinal));
        Assert.Contains("limits.cpu: 0/2", await cluster.KubectlOkAsync("get", "quota", "-n", ns));

        Assert.Equal("NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE", Header(await cluster.KubectlOkAsync("get", "pdb", "-n", ns)));
        Assert.Equal("NAME CREATED AT", Header(await cluster.KubectlOkAsync("get", "roles", "-n", ns)));
        Assert.Equal("NAME CREATED AT", Header(await cluster.KubectlOkAsync("get", "limitranges", "-n", ns)));
        Assert.Equal("NAME POD-SELECTOR AGE", Header(await cluster.KubectlOkAsync("get", "networkpolicies", "-n", ns)));
        Assert.Contains("deny   app=web", await cluster.KubectlOkAsync("get", "networkpolicies", "-n", ns));
        var hpa = await cluster.KubectlOkAsync("get", "hpa", "-n", ns);
        Assert.Equal("NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE", Header(hpa));
        Assert.Contains("Deployment/web", hpa);
        Assert.Contains("cpu: <unknown>/80%", hpa);
        // A configuration without webhooks changes nothing for the other tests.
        var empty = "empty-" + ns;
        await cluster.KubectlWithInputAsync($"""
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingWebhookConfiguration
            metadata:
              name: {empty}
            """, "create", "-f", "-");
        var webhooks = await cluster.KubectlOkAsync("get", "validatingwebhookconfigurations", empty);
        await cluster.KubectlOkAsync("delete", "validatingwebhookconfiguration", empty);
        Assert.Equal("NAME WEBHOOKS AGE", Header(webhooks));
        Assert.StartsWith(empty + "   0 ", webhooks.Split('\n')[1]);
        var deviceClass = "gpu-" + ns;
        await cluster.KubectlWithInputAsync($"""
            apiVersion: resource.k8s.io/v1
            kind: DeviceClass
            metadata:
              name: {deviceClass}
            ---
            apiVersion: resource.k8s.io/v1
            kind: ResourceClaim
            metadata:
              name: claim
              namespace: {ns}
            spec:
              devices:
                requests:
                - name: gpu
                  exactly:
                    deviceClassName: {deviceClass}
            """, "create", "-f", "-");
        Assert.Equal("NAME AGE", Header(await cluster.KubectlOkAsync("get", "deviceclass", deviceClass)));
        var claims = await cluster.KubectlOkAsync("get", "resourceclaims", "-n", ns);
        Assert.Equal("NAME STATE AGE", Header(claims));
        Assert.StartsWith("claim pending ", string.Join(' ', claims.Split('\n')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        await cluster.KubectlOkAsync("delete", "deviceclass", deviceClass);

        var clusterRoles = await cluster.KubectlOkAsync("get", "clusterroles", "cluster-admin");
        Assert.Equal("NAME CREATED AT", Header(clusterRoles));
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(200);
        }
    }
}
