using System.Net;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Foundation;

/// <summary>The scheduler's step of the pod flow: binding a pod to a node, and what a bound pod's deletion looks like.</summary>
[Collection(ClusterCollection.Name)]
public sealed class PodBindingTests(ClusterFixture cluster)
{
    private static string Pod(string name) =>
        $$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{name}}}"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}""";

    private static string Binding(string pod, string node) =>
        $$$"""{"apiVersion":"v1","kind":"Binding","metadata":{"name":"{{{pod}}}","annotations":{"scheduled-by":"test"}},"target":{"apiVersion":"v1","kind":"Node","name":"{{{node}}}"}}""";

    [Fact]
    public async Task PodsBinding_AssignsTheNodeOnce()
    {
        var ns = await cluster.CreateNamespaceAsync("bind");
        var pods = $"/api/v1/namespaces/{ns}/pods";
        Assert.Equal(HttpStatusCode.Created, (await cluster.Http.PostAsync(pods, ClusterFixture.Json(Pod("p")))).StatusCode);

        var bound = await cluster.Http.PostAsync($"{pods}/p/binding", ClusterFixture.Json(Binding("p", "node-1")));
        Assert.Equal(HttpStatusCode.Created, bound.StatusCode);
        var status = JsonNode.Parse(await bound.Content.ReadAsStringAsync())!;
        Assert.Equal("Success", status["status"]!.GetValue<string>());

        var pod = await cluster.GetJsonAsync($"{pods}/p");
        Assert.Equal("node-1", pod["spec"]!["nodeName"]!.GetValue<string>());
        Assert.Equal("test", pod["metadata"]!["annotations"]!["scheduled-by"]!.GetValue<string>());
        var condition = pod["status"]!["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == "PodScheduled")!;
        Assert.Equal("True", condition["status"]!.GetValue<string>());
        Assert.Equal("p", (await cluster.KubectlOkAsync("get", "pods", "-n", ns, "--field-selector", "spec.nodeName=node-1", "-o", "jsonpath={.items[*].metadata.name}")).Trim());

        var again = await cluster.Http.PostAsync($"{pods}/p/binding", ClusterFixture.Json(Binding("p", "node-2")));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("Operation cannot be fulfilled on pods/binding \\\"p\\\": pod p is already assigned to node \\\"node-1\\\"", await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task BindingsResource_BindsTheNamedPod()
    {
        var ns = await cluster.CreateNamespaceAsync("bindings");
        await cluster.Http.PostAsync($"/api/v1/namespaces/{ns}/pods", ClusterFixture.Json(Pod("q")));
        var bound = await cluster.Http.PostAsync($"/api/v1/namespaces/{ns}/bindings", ClusterFixture.Json(Binding("q", "node-9")));
        Assert.Equal(HttpStatusCode.Created, bound.StatusCode);
        Assert.Equal("node-9", (await cluster.GetJsonAsync($"/api/v1/namespaces/{ns}/pods/q"))["spec"]!["nodeName"]!.GetValue<string>());

        var missing = await cluster.Http.PostAsync($"/api/v1/namespaces/{ns}/bindings", ClusterFixture.Json(Binding("nope", "node-9")));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task BoundPod_TerminatesGracefully_UntilForced()
    {
        var ns = await cluster.CreateNamespaceAsync("graceful");
        var pods = $"/api/v1/namespaces/{ns}/pods";
        await cluster.Http.PostAsync(pods, ClusterFixture.Json(Pod("r")));
        await cluster.Http.PostAsync($"{pods}/r/binding", ClusterFixture.Json(Binding("r", "node-1")));

        // A kubelet would finish this deletion; without one the pod stays, marked for deletion.
        await cluster.KubectlOkAsync("delete", "pod", "r", "-n", ns, "--wait=false");
        var terminating = await cluster.GetJsonAsync($"{pods}/r");
        Assert.NotNull(terminating["metadata"]!["deletionTimestamp"]);
        Assert.Equal(30, terminating["metadata"]!["deletionGracePeriodSeconds"]!.GetValue<long>());
        Assert.Contains("Terminating", await cluster.KubectlOkAsync("get", "pod", "r", "-n", ns));

        await cluster.KubectlOkAsync("delete", "pod", "r", "-n", ns, "--grace-period=0", "--force");
        Assert.Equal(HttpStatusCode.NotFound, (await cluster.Http.GetAsync($"{pods}/r")).StatusCode);
    }
}
