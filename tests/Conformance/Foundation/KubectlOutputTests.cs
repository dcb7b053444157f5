using Conformance.Infrastructure;

namespace Conformance.Foundation;

/// <summary>kubectl get's output options and kubectl describe, over server-side Tables.</summary>
[Collection(ClusterCollection.Name)]
public sealed class KubectlOutputTests(ClusterFixture cluster)
{
    private static string[] Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static string Squeeze(string line) => string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    [Fact]
    public async Task Get_Wide_SortBy_LabelColumns_ShowLabels_CustomColumns()
    {
        var ns = await cluster.CreateNamespaceAsync("output");
        await cluster.KubectlOkAsync("run", "bravo", "-n", ns, "--image=nginx:1.27", "--labels=app=web,tier=back");
        await cluster.KubectlOkAsync("run", "alpha", "-n", ns, "--image=nginx:1.28", "--labels=app=web,tier=front");

        var wide = Lines(await cluster.KubectlOkAsync("get", "pods", "-n", ns, "-o", "wide"));
        Assert.Equal("NAME READY STATUS RESTARTS AGE IP NODE NOMINATED NODE READINESS GATES", Squeeze(wide[0]));
        Assert.StartsWith("alpha 0/1 Pending 0 ", Squeeze(wide[1]));
        Assert.EndsWith("<none> <none> <none> <none>", Squeeze(wide[1]));

        var sorted = Lines(await cluster.KubectlOkAsync("get", "pods", "-n", ns, "--sort-by=.spec.containers[0].image"));
        Assert.StartsWith("bravo ", sorted[1]);
        Assert.StartsWith("alpha ", sorted[2]);

        var labelColumns = Lines(await cluster.KubectlOkAsync("get", "pods", "-n", ns, "-L", "tier"));
        Assert.Equal("NAME READY STATUS RESTARTS AGE TIER", Squeeze(labelColumns[0]));
        Assert.EndsWith(" front", Squeeze(labelColumns[1]));

        var shown = Lines(await cluster.KubectlOkAsync("get", "pods", "-n", ns, "--show-labels"));
        Assert.Equal("NAME READY STATUS RESTARTS AGE LABELS", Squeeze(shown[0]));
        Assert.EndsWith(" app=web,tier=front", Squeeze(shown[1]));

        var custom = Lines(await cluster.KubectlOkAsync("get", "pods", "-n", ns, "-o", "custom-columns=POD:.metadata.name,IMAGE:.spec.containers[0].image,POLICY:.spec.restartPolicy"));
        Assert.Equal(["POD IMAGE POLICY", "alpha nginx:1.28 Always", "bravo nginx:1.27 Always"], custom.Select(Squeeze));
    }

    [Fact]
    public async Task Describe_PodsDeploymentsServicesNodesAndNamespaces()
    {
        var ns = await cluster.CreateNamespaceAsync("describe");
        await cluster.KubectlOkAsync("run", "web", "-n", ns, "--image=nginx:1.27", "--labels=app=web");
        await cluster.KubectlOkAsync("create", "deployment", "api", "-n", ns, "--image=nginx:1.27", "--replicas=2");
        await cluster.KubectlOkAsync("create", "service", "clusterip", "api", "-n", ns, "--tcp=80:8080");
        var node = "node-" + ns;
        await cluster.KubectlWithInputAsync($"""
            apiVersion: v1
            kind: Node
            metadata:
              name: {node}
              labels:
                kubernetes.io/hostname: {node}
            """, "create", "-f", "-");

        var pod = await cluster.KubectlOkAsync("describe", "pod", "web", "-n", ns);
        Assert.Contains($"Namespace:        {ns}", pod);
        Assert.Contains("Status:           Pending", pod);
        Assert.Contains("Image:        nginx:1.27", pod);
        Assert.Contains("QoS Class:                   BestEffort", pod);

        var deployment = await cluster.KubectlOkAsync("describe", "deployment", "api", "-n", ns);
        Assert.Contains("Replicas:               2 desired | 0 updated | 0 total | 0 available | 0 unavailable", deployment);
        Assert.Contains("StrategyType:           RollingUpdate", deployment);
        Assert.Contains("RollingUpdateStrategy:  25% max unavailable, 25% max surge", deployment);

        var service = await cluster.KubectlOkAsync("describe", "service", "api", "-n", ns);
        Assert.Contains("Type:                     ClusterIP", service);
        Assert.Contains("TargetPort:               8080/TCP", service);

        var described = await cluster.KubectlOkAsync("describe", "node", node);
        Assert.Contains($"Name:               {node}", described);
        Assert.Contains($"kubernetes.io/hostname={node}", described);

        var namespaceText = await cluster.KubectlOkAsync("describe", "namespace", ns);
        Assert.Contains($"Name:         {ns}", namespaceText);
        Assert.Contains("Status:       Active", namespaceText);
    }
}
