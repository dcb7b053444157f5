using System.Net;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Writes;

/// <summary>The scale subresource (autoscaling/v1 Scale) through kubectl scale and curl.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ScaleSubresourceTests(ClusterFixture cluster)
{
    [Fact]
    public async Task KubectlScale_DeploymentsStatefulSetsReplicaSetsAndReplicationControllers()
    {
        var ns = await cluster.CreateNamespaceAsync("scale");
        await cluster.KubectlOkAsync("create", "deployment", "web", "-n", ns, "--image=nginx:1.27", "--replicas=1");
        Assert.Contains("deployment.apps/web scaled", await cluster.KubectlOkAsync("scale", "deployment", "web", "-n", ns, "--replicas=4"));
        Assert.Equal("4", await cluster.KubectlOkAsync("get", "deployment", "web", "-n", ns, "-o", "jsonpath={.spec.replicas}"));

        // With a precondition kubectl reads the Scale and writes it back (a PUT without Content-Type).
        await cluster.KubectlOkAsync("scale", "deployment", "web", "-n", ns, "--current-replicas=4", "--replicas=2");
        Assert.Equal("2", await cluster.KubectlOkAsync("get", "deployment", "web", "-n", ns, "-o", "jsonpath={.spec.replicas}"));
        var mismatch = await cluster.KubectlAsync("scale", "deployment", "web", "-n", ns, "--current-replicas=9", "--replicas=1");
        Assert.NotEqual(0, mismatch.ExitCode);
        Assert.Contains("Expected replicas to be 9, was 2", mismatch.StdErr);

        await cluster.KubectlWithInputAsync($"""
            apiVersion: v1
            kind: ReplicationController
            metadata:
              name: rc
              namespace: {ns}
            spec:
              replicas: 1
              selector:
                app: rc
              template:
                metadata:
                  labels:
                    app: rc
                spec:
                  containers:
                  - name: c
                    image: nginx:1.27
            """, "create", "-f", "-");
        await cluster.KubectlOkAsync("scale", "rc", "rc", "-n", ns, "--replicas=3");
        Assert.Equal("3", await cluster.KubectlOkAsync("get", "rc", "rc", "-n", ns, "-o", "jsonpath={.spec.replicas}"));

        await cluster.KubectlWithInputAsync($"""
            apiVersion: apps/v1
            kind: StatefulSet
            metadata:
              name: db
              namespace: {ns}
            spec:
              serviceName: db
              replicas: 1
              selector:
                matchLabels:
                  app: db
              template:
                metadata:
                  labels:
                    app: db
                spec:
                  containers:
                  - name: c
                    image: postgres:17
            """, "create", "-f", "-");
        await cluster.KubectlOkAsync("scale", "statefulset", "db", "-n", ns, "--replicas=0");
        Assert.Equal("0", await cluster.KubectlOkAsync("get", "statefulset", "db", "-n", ns, "-o", "jsonpath={.spec.replicas}"));
    }

    [Fact]
    public async Task Scale_IsAnAutoscalingV1View_AndItsResourceVersionIsAPrecondition()
    {
        var ns = await cluster.CreateNamespaceAsync("scale-rest");
        await cluster.KubectlOkAsync("create", "deployment", "web", "-n", ns, "--image=nginx:1.27", "--replicas=2");
        var path = $"/apis/apps/v1/namespaces/{ns}/deployments/web/scale";

        var scale = await cluster.GetJsonAsync(path);
        Assert.Equal("Scale", scale["kind"]!.GetValue<string>());
        Assert.Equal("autoscaling/v1", scale["apiVersion"]!.GetValue<string>());
        Assert.Equal(2, scale["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal("app=web", scale["status"]!["selector"]!.GetValue<string>());

        var stale = (JsonObject)scale.DeepClone();
        scale["spec"]!["replicas"] = 5;
        using (var put = await cluster.Http.PutAsync(path, ClusterFixture.Json(scale.ToJsonString())))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        stale["spec"]!["replicas"] = 7;
        using (var conflict = await cluster.Http.PutAsync(path, ClusterFixture.Json(stale.ToJsonString())))
        {
            Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        }

        Assert.Equal(5, (await cluster.GetJsonAsync($"/apis/apps/v1/namespaces/{ns}/deployments/web"))["spec"]!["replicas"]!.GetValue<int>());

        using var negative = await cluster.Http.PatchAsync(path, new StringContent("""{"spec":{"replicas":-1}}""", System.Text.Encoding.UTF8, "application/merge-patch+json"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, negative.StatusCode);
    }
}
