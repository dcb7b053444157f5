using System.Net;
using System.Net.Http;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Watch;

/// <summary>The watch protocol over plain HTTP: streaming lists (sendInitialEvents) and option validation.</summary>
[Collection(ClusterCollection.Name)]
public sealed class WatchProtocolTests(ClusterFixture cluster)
{
    [Fact]
    public async Task SendInitialEvents_StreamsTheListThenAnEndBookmarkThenChanges()
    {
        var ns = await cluster.CreateNamespaceAsync("watchlist");
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        foreach (var name in new[] { "a", "b" })
        {
            Assert.Equal(HttpStatusCode.Created, (await cluster.Http.PostAsync(path, ClusterFixture.Json($$$"""{"metadata":{"name":"{{{name}}}"}}"""))).StatusCode);
        }

        using var client = cluster.CreateHttpClient(cluster.Admin);
        using var response = await client.GetAsync(
            $"{path}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=20",
            HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var first = JsonNode.Parse((await reader.ReadLineAsync())!)!;
        var second = JsonNode.Parse((await reader.ReadLineAsync())!)!;
        Assert.Equal(["ADDED a", "ADDED b"], new[] { first, second }.Select(e => $"{e["type"]} {e["object"]!["metadata"]!["name"]}"));

        var end = JsonNode.Parse((await reader.ReadLineAsync())!)!;
        Assert.Equal("BOOKMARK", end["type"]!.GetValue<string>());
        Assert.Equal("ConfigMap", end["object"]!["kind"]!.GetValue<string>());
        Assert.Equal("true", end["object"]!["metadata"]!["annotations"]!["k8s.io/initial-events-end"]!.GetValue<string>());
        var endVersion = long.Parse(end["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.True(endVersion >= long.Parse(second["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>()));

        await cluster.Http.PostAsync(path, ClusterFixture.Json("""{"metadata":{"name":"c"}}"""));
        var change = JsonNode.Parse((await reader.ReadLineAsync())!)!;
        Assert.Equal("ADDED c", $"{change["type"]} {change["object"]!["metadata"]!["name"]}");
        Assert.True(long.Parse(change["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>()) > endVersion);
    }

    [Theory]
    [InlineData("sendInitialEvents=true&allowWatchBookmarks=true", "resourceVersionMatch")]
    [InlineData("sendInitialEvents=true&resourceVersionMatch=NotOlderThan", "allowWatchBookmarks")]
    public async Task SendInitialEvents_WithoutItsCompanions_IsInvalid(string parameters, string field)
    {
        using var response = await cluster.Http.GetAsync($"/api/v1/namespaces/default/configmaps?watch=1&{parameters}");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains(status["details"]!["causes"]!.AsArray(), c => c!["field"]!.GetValue<string>() == field);
    }

    [Fact]
    public async Task AnIdleWatchThatAllowsBookmarks_GetsOneJustBeforeItsTimeout()
    {
        // kube's watch cache sends a bookmark 2 s before a watch's deadline (the periodic ones come
        // every minute, later than this watch lasts), so the client resumes from a recent revision.
        var ns = await cluster.CreateNamespaceAsync("pretimeout");
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        var rv = long.Parse((await cluster.GetJsonAsync(path))["metadata"]!["resourceVersion"]!.GetValue<string>());
        var result = await cluster.CurlAsync(cluster.Admin, $"{cluster.ServerUrl}{path}?watch=1&resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds=4");
        var events = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToArray();
        var bookmark = Assert.Single(events);
        Assert.Equal("BOOKMARK", bookmark["type"]!.GetValue<string>());
        Assert.Equal("ConfigMap", bookmark["object"]!["kind"]!.GetValue<string>());
        Assert.True(long.Parse(bookmark["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>()) >= rv);

        // Without allowWatchBookmarks there is none.
        var plain = await cluster.CurlAsync(cluster.Admin, $"{cluster.ServerUrl}{path}?watch=1&resourceVersion={rv}&timeoutSeconds=3");
        Assert.Equal("", plain.StdOut);
    }

    [Fact]
    public async Task WatchOfOneObjectByName_SeesOnlyThatObject()
    {
        var ns = await cluster.CreateNamespaceAsync("byname");
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        var rv = (await cluster.GetJsonAsync(path))["metadata"]!["resourceVersion"]!.GetValue<string>();
        using var client = cluster.CreateHttpClient(cluster.Admin);
        using var response = await client.GetAsync($"{path}?watch=1&fieldSelector=metadata.name%3Dmine&resourceVersion={rv}&timeoutSeconds=20", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await cluster.Http.PostAsync(path, ClusterFixture.Json("""{"metadata":{"name":"other"}}"""));
        await cluster.Http.PostAsync(path, ClusterFixture.Json("""{"metadata":{"name":"mine"}}"""));
        var seen = JsonNode.Parse((await reader.ReadLineAsync())!)!;
        Assert.Equal("ADDED mine", $"{seen["type"]} {seen["object"]!["metadata"]!["name"]}");
    }
}
