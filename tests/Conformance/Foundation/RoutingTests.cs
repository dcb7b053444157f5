using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Foundation;

/// <summary>
/// kube-apiserver's path shapes through the Minimal API routes, with curl: the legacy /watch/ prefix
/// (a collection, one object, a named group), and paths of a group the server does not serve.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RoutingTests(ClusterFixture cluster)
{
    private async Task<string[]> WatchEventsAsync(string path)
    {
        var result = await cluster.CurlAsync(cluster.Admin, "-f", $"{cluster.ServerUrl}{path}");
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonNode.Parse(line)!)
            .Select(e => $"{e["type"]} {e["object"]!["kind"]} {e["object"]!["metadata"]!["name"]}")
            .ToArray();
    }

    [Fact]
    public async Task LegacyWatchPrefix_WatchesACollectionOrOneObject()
    {
        var ns = await cluster.CreateNamespaceAsync("legacywatch");
        await cluster.KubectlOkAsync("create", "configmap", "a", "-n", ns);
        await cluster.KubectlOkAsync("create", "configmap", "b", "-n", ns);
        await cluster.KubectlOkAsync("create", "role", "reader", "-n", ns, "--verb=get", "--resource=pods");

        var collection = await WatchEventsAsync($"/api/v1/watch/namespaces/{ns}/configmaps?resourceVersion=0&timeoutSeconds=1");
        Assert.Equal(["ADDED ConfigMap a", "ADDED ConfigMap b"], collection.Order());

        var one = await WatchEventsAsync($"/api/v1/watch/namespaces/{ns}/configmaps/b?resourceVersion=0&timeoutSeconds=1");
        Assert.Equal(["ADDED ConfigMap b"], one);

        var grouped = await WatchEventsAsync($"/apis/rbac.authorization.k8s.io/v1/watch/namespaces/{ns}/roles?resourceVersion=0&timeoutSeconds=1");
        Assert.Equal(["ADDED Role reader"], grouped);
    }

    [Theory]
    [InlineData("/apis/example.com/v1/namespaces/default/widgets")]
    [InlineData("/apis/example.com/v1/widgets/w1/status")]
    [InlineData("/api/v1/namespaces/default/widgets")]
    [InlineData("/api/v2/pods")]
    [InlineData("/apis/apps/v1/watch/namespaces/default/widgets")]
    public async Task PathsOfNoServedResource_AreNotFoundStatuses(string path)
    {
        var result = await cluster.CurlAsync(cluster.Admin, $"{cluster.ServerUrl}{path}", "-w", "\n%{http_code}");
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.StdOut.TrimEnd().Split('\n');
        Assert.Equal("404", lines[^1]);
        var status = JsonNode.Parse(string.Join('\n', lines[..^1]))!;
        Assert.Equal("Status", status["kind"]!.GetValue<string>());
        Assert.Equal("NotFound", status["reason"]!.GetValue<string>());
    }
}
