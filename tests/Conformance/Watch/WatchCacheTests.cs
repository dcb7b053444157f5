using System.Net;
using System.Net.Http;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Watch;

/// <summary>
/// Lists and watches served by the watch cache, through the real server and real clients: paging,
/// consistent reads, index-backed selections, fan-out to many watchers, a stalled watcher, and etcd
/// restarting under a stream.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class WatchCacheTests(ClusterFixture cluster)
{
    [Fact]
    public async Task KubectlChunkSize500_PagesThrough1200Objects_WithContinueAndRemainingCount()
    {
        var ns = await cluster.CreateNamespaceAsync("paging");
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        await Parallel.ForEachAsync(Enumerable.Range(0, 1200), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            using var created = await cluster.Http.PostAsync(path, ClusterFixture.Json($$$"""{"metadata":{"name":"cm-{{{i:D4}}}"}}"""), ct);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        });

        var result = await cluster.KubectlAsync("get", "configmaps", "-n", ns, "--chunk-size=500", "-o", "name", "-v=6");
        Assert.True(result.ExitCode == 0, result.ToString());
        var names = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Enumerable.Range(0, 1200).Select(i => $"configmap/cm-{i:D4}"), names);
        // kubectl's three requests: limit=500, then two continues.
        var requests = result.StdErr.Split('\n').Where(l => l.Contains("/configmaps?", StringComparison.Ordinal) && l.Contains("limit=500", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, requests.Count);
        Assert.Equal(2, requests.Count(l => l.Contains("continue=", StringComparison.Ordinal)));

        var first = await cluster.GetJsonAsync($"{path}?limit=500");
        Assert.Equal(500, first["items"]!.AsArray().Count);
        Assert.Equal(700, first["metadata"]!["remainingItemCount"]!.GetValue<long>());
        var token = first["metadata"]!["continue"]!.GetValue<string>();
        var second = await cluster.GetJsonAsync($"{path}?limit=500&continue={Uri.EscapeDataString(token)}");
        Assert.Equal("cm-0500", second["items"]![0]!["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal(first["metadata"]!["resourceVersion"]!.GetValue<string>(), second["metadata"]!["resourceVersion"]!.GetValue<string>());

        // resourceVersion=0 is served whole from the cache: limit is ignored.
        var any = await cluster.GetJsonAsync($"{path}?limit=500&resourceVersion=0");
        Assert.Equal(1200, any["items"]!.AsArray().Count);
        Assert.Null(any["metadata"]!["continue"]);
    }

    [Fact]
    public async Task ConsistentList_RightAfterEachWrite_AlwaysIncludesIt()
    {
        var ns = await cluster.CreateNamespaceAsync("consistent");
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        for (var i = 0; i < 25; i++)
        {
            using var created = await cluster.Http.PostAsync(path, ClusterFixture.Json($$$"""{"metadata":{"name":"cm-{{{i}}}"}}"""));
            var createdVersion = long.Parse(JsonNode.Parse(await created.Content.ReadAsStringAsync())!["metadata"]!["resourceVersion"]!.GetValue<string>());

            var list = await cluster.GetJsonAsync(path);
            Assert.Equal(i + 1, list["items"]!.AsArray().Count);
            Assert.True(long.Parse(list["metadata"]!["resourceVersion"]!.GetValue<string>()) >= createdVersion);
        }
    }

    [Fact]
    public async Task NodeNameAndLabelSelections_ReturnExactlyTheSelectedPods_ThroughKubectl()
    {
        var ns = await cluster.CreateNamespaceAsync("selected");
        var manifest = string.Join("\n---\n", Enumerable.Range(0, 30).Select(i => $$$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: p{{{i}}}, labels: {app: {{{(i % 3 == 0 ? "web" : "db")}}}}}
            spec:
              nodeName: node-{{{i % 5}}}
              containers: [{name: c, image: nginx}]
            """));
        var created = await cluster.KubectlWithInputAsync(manifest, "create", "-n", ns, "-f", "-");
        Assert.True(created.ExitCode == 0, created.ToString());

        var onNode = await cluster.KubectlOkAsync("get", "pods", "-n", ns, "--field-selector", "spec.nodeName=node-2", "-o", "name");
        Assert.Equal(new[] { 2, 7, 12, 17, 22, 27 }.Select(i => $"pod/p{i}").Order(StringComparer.Ordinal), onNode.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));

        var web = await cluster.KubectlOkAsync("get", "pods", "-n", ns, "-l", "app=web", "--field-selector", "spec.nodeName=node-0", "-o", "name");
        Assert.Equal(["pod/p0", "pod/p15"], web.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));

        // All namespaces, as a kubelet lists its pods; and through the cache (resourceVersion=0).
        var everywhere = await cluster.GetJsonAsync("/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-4&resourceVersion=0");
        Assert.Equal(6, everywhere["items"]!.AsArray().Count(p => p!["metadata"]!["namespace"]!.GetValue<string>() == ns));
        Assert.All(everywhere["items"]!.AsArray(), p => Assert.Equal("node-4", p!["spec"]!["nodeName"]!.GetValue<string>()));
    }

    [Fact]
    public async Task TwoHundredWatchers_EachReceiveEveryEvent_InOrder()
    {
        var ns = await cluster.CreateNamespaceAsync("fanout");
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        var start = (await cluster.GetJsonAsync(path))["metadata"]!["resourceVersion"]!.GetValue<string>();

        // HTTP/1.1 connections: one per watcher, spread over a few clients.
        var clients = Enumerable.Range(0, 4).Select(_ => cluster.CreateHttpClient(cluster.Admin, HttpVersion.Version11)).ToList();
        try
        {
            var watchers = new List<Task<List<string>>>();
            for (var i = 0; i < 200; i++)
            {
                watchers.Add(ReadEventsAsync(clients[i % clients.Count], $"{path}?watch=1&resourceVersion={start}&timeoutSeconds=60", 30));
            }

            var expected = new List<string>();
            for (var i = 0; i < 10; i++)
            {
                expected.Add($"ADDED cm-{i} {await WriteAsync(HttpMethod.Post, path, $"cm-{i}", "1")}");
                expected.Add($"MODIFIED cm-{i} {await WriteAsync(HttpMethod.Put, $"{path}/cm-{i}", $"cm-{i}", "2")}");
                using var deleted = await cluster.Http.DeleteAsync($"{path}/cm-{i}");
                Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
                expected.Add($"DELETED cm-{i} {JsonNode.Parse(await deleted.Content.ReadAsStringAsync())!["details"]!["uid"] is not null}");
            }

            var results = await Task.WhenAll(watchers).WaitAsync(TimeSpan.FromSeconds(90));
            foreach (var events in results)
            {
                Assert.Equal(expected.Select(e => e.Split(' ')[0] + " " + e.Split(' ')[1]), events.Select(e => e.Split(' ')[0] + " " + e.Split(' ')[1]));
                // resourceVersions strictly increase: nothing repeated, nothing out of order.
                var versions = events.Select(e => long.Parse(e.Split(' ')[2])).ToList();
                Assert.Equal(versions.Order(), versions);
                Assert.Equal(versions.Count, versions.Distinct().Count());
            }
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task AWatcherThatStopsReading_DoesNotDelayTheOthers()
    {
        var ns = await cluster.CreateNamespaceAsync("stalled");
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        var start = (await cluster.GetJsonAsync(path))["metadata"]!["resourceVersion"]!.GetValue<string>();
        using var stalledClient = cluster.CreateHttpClient(cluster.Admin, HttpVersion.Version11);
        using var stalled = await stalledClient.GetAsync($"{path}?watch=1&resourceVersion={start}&timeoutSeconds=120", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stalled.StatusCode);
        // Never read: its socket fills up and the server cannot write to it.

        using var liveClient = cluster.CreateHttpClient(cluster.Admin, HttpVersion.Version11);
        const int count = 150;
        var live = ReadEventsAsync(liveClient, $"{path}?watch=1&resourceVersion={start}&timeoutSeconds=120", count);
        var payload = new string('x', 60 * 1024); // 150 x 60 KB: far more than socket buffers hold
        for (var i = 0; i < count; i++)
        {
            using var created = await cluster.Http.PostAsync(path, ClusterFixture.Json($$$"""{"metadata":{"name":"cm-{{{i}}}"},"data":{"x":"{{{payload}}}"}}"""));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var events = await live.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"ADDED cm-{i}"), events.Select(e => string.Join(' ', e.Split(' ').Take(2))));
    }

    [Fact]
    public async Task EtcdRestartedMidStream_TheWatchContinuesWithoutGapsOrRepeats()
    {
        var ns = await cluster.CreateNamespaceAsync("etcdrestart");
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        var start = (await cluster.GetJsonAsync(path))["metadata"]!["resourceVersion"]!.GetValue<string>();
        using var client = cluster.CreateHttpClient(cluster.Admin);
        var watch = ReadEventsAsync(client, $"{path}?watch=1&resourceVersion={start}&timeoutSeconds=120", 4);
        await WriteAsync(HttpMethod.Post, path, "before-1", "1");
        await WriteAsync(HttpMethod.Post, path, "before-2", "1");

        await cluster.Etcd.RestartAsync();
        await WriteWithRetryAsync(path, "after-1");
        await WriteWithRetryAsync(path, "after-2");

        var events = await watch.WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(["ADDED before-1", "ADDED before-2", "ADDED after-1", "ADDED after-2"], events.Select(e => string.Join(' ', e.Split(' ').Take(2))));
        var list = await cluster.GetJsonAsync(path);
        Assert.Equal(4, list["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task JavaScriptInformer_ForcedThrough410_Relists_AndSeesEveryLaterEvent()
    {
        // Watches end after 4 to 8 s; configmaps keep 3 recent events; etcd is compacted every second.
        var relistCluster = new ClusterFixture("--min-request-timeout=4", "--watch-cache-sizes=configmaps#3", "--etcd-compaction-interval=1s");
        await relistCluster.InitializeAsync();
        try
        {
            var ns = await relistCluster.CreateNamespaceAsync("relist");
            var other = await relistCluster.CreateNamespaceAsync("filler");
            await relistCluster.Http.PostAsync($"/api/v1/namespaces/{ns}/configmaps", ClusterFixture.Json("""{"metadata":{"name":"a"},"data":{"step":"0"}}"""));
            var js = Path.Combine(RepoPaths.Root, "tests", "Conformance", "js");
            var result = await ProcessRunner.RunAsync("node", [Path.Combine(js, "informer-relist.mjs"), relistCluster.Kubeconfig, ns, other], workingDirectory: js, timeout: TimeSpan.FromSeconds(420));
            // On failure the server's log says what the informer met (a relist of the server's caches, a 429).
            Assert.True(result.ExitCode == 0, $"{result}\n--- server\n{ClusterFixture.Tail(relistCluster.Server.Log, 60)}");
            var output = JsonNode.Parse(result.StdOut)!;
            var events = output["events"]!.AsArray().Select(e => string.Join(' ', e!.AsArray().Select(x => x!.GetValue<string>()))).ToArray();
            Assert.Equal(["add a 0", "add b 1", "add c 2", "delete a 0"], events);
            Assert.True(output["lists"]!.GetValue<int>() >= 2);
            Assert.Null(output["failure"]);
        }
        finally
        {
            await relistCluster.DisposeAsync();
        }
    }

    private async Task<string> WriteAsync(HttpMethod method, string path, string name, string step)
    {
        using var request = new HttpRequestMessage(method, path)
        {
            Content = ClusterFixture.Json($$$"""{"metadata":{"name":"{{{name}}}"},"data":{"step":"{{{step}}}"}}"""),
        };
        using var response = await cluster.Http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["metadata"]!["resourceVersion"]!.GetValue<string>();
    }

    /// <summary>Right after etcd restarts, writes may see 503 or 504 for a moment; a client retries them.</summary>
    private async Task WriteWithRetryAsync(string path, string name)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await cluster.Http.PostAsync(path, ClusterFixture.Json($$$"""{"metadata":{"name":"{{{name}}}"}}"""));
            if (response.StatusCode == HttpStatusCode.Created)
            {
                return;
            }

            Assert.True((int)response.StatusCode >= 500 && DateTime.UtcNow < deadline, $"create {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            await Task.Delay(200);
        }
    }

    /// <summary>Reads "TYPE name resourceVersion" lines from a watch until <paramref name="count"/> object events arrived.</summary>
    private static async Task<List<string>> ReadEventsAsync(HttpClient client, string url, int count)
    {
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<string>();
        while (events.Count < count && await reader.ReadLineAsync() is { } line)
        {
            var e = JsonNode.Parse(line)!;
            var type = e["type"]!.GetValue<string>();
            if (type == "BOOKMARK")
            {
                continue;
            }

            Assert.NotEqual("ERROR", type);
            events.Add($"{type} {e["object"]!["metadata"]!["name"]} {e["object"]!["metadata"]!["resourceVersion"]}");
        }

        return events;
    }
}
