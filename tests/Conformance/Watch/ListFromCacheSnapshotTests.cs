using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Conformance.Infrastructure;

namespace Conformance.Watch;

/// <summary>
/// Continued pages and exact-revision lists read from the watch cache's kept states (kube-apiserver's
/// ListFromCacheSnapshot), through kubectl, the official Python client and HTTP: every page shows the
/// resource as it was at the first page's revision whatever was written in between, the cache answers
/// them (apiserver_cache_list_total counts them) while its window covers the revision, etcd answers
/// once it does not, and a compacted revision is 410 Expired with kube's message. The shared cluster's
/// configmaps keep a window of <see cref="ClusterFixture.ConfigMapWatchWindow"/> events.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class ListFromCacheSnapshotTests(ClusterFixture cluster)
{
    private const string Python = "/usr/bin/python3";

    private const string TooOld = "The provided continue parameter is too old to display a consistent list result.";

    [Fact]
    public async Task KubectlChunkSize_ContinuesAreServedByTheWatchCache()
    {
        var ns = await cluster.CreateNamespaceAsync("chunks");
        await CreateConfigMapsAsync(ns, 120);
        var before = await CacheListsAsync();

        var result = await cluster.KubectlAsync("get", "configmaps", "-n", ns, "--chunk-size=50", "-o", "name", "-v=8");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(Names(120).Select(n => "configmap/" + n), result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var requests = result.StdErr.Split('\n').Where(l => l.Contains("GET ", StringComparison.Ordinal) && l.Contains("/configmaps?", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, requests.Count);
        Assert.Equal(2, requests.Count(l => l.Contains("continue=", StringComparison.Ordinal)));
        // The first page and both continues came from memory.
        Assert.Equal(3, await CacheListsAsync() - before);
    }

    [Fact]
    public async Task PythonClientPages_ShowTheStateAtTheFirstPage_ThoughObjectsAreCreatedDeletedAndUpdatedBetweenPages()
    {
        var ns = await cluster.CreateNamespaceAsync("pypages");
        await CreateConfigMapsAsync(ns, 30);
        const string script = """
            import json, sys
            from kubernetes import client, config
            config.load_kube_config(config_file=sys.argv[1])
            ns = sys.argv[2]
            v1 = client.CoreV1Api()
            pages = []
            first = v1.list_namespaced_config_map(ns, limit=10)
            pages.append(first)
            # Between the pages: one created that sorts into a later page, one deleted, one updated.
            v1.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="cm-0012a"), data={"v": "new"}))
            v1.delete_namespaced_config_map("cm-0015", ns)
            v1.patch_namespaced_config_map("cm-0020", ns, {"data": {"v": "changed"}})
            token = first.metadata._continue
            while token:
                page = v1.list_namespaced_config_map(ns, limit=10, _continue=token)
                pages.append(page)
                token = page.metadata._continue
            now = v1.list_namespaced_config_map(ns)
            print(json.dumps({
                "names": [c.metadata.name for p in pages for c in p.items],
                "versions": [p.metadata.resource_version for p in pages],
                "remaining": [p.metadata.remaining_item_count for p in pages],
                "cm20": [c.data["v"] for p in pages for c in p.items if c.metadata.name == "cm-0020"],
                "now": [c.metadata.name for c in now.items],
                "cm20now": [c.data["v"] for c in now.items if c.metadata.name == "cm-0020"],
            }))
            """;
        var scriptPath = Path.Combine(cluster.WorkDirectory, "pages.py");
        await File.WriteAllTextAsync(scriptPath, script);
        var before = await CacheListsAsync();

        var result = await ProcessRunner.RunAsync(Python, [scriptPath, cluster.Kubeconfig, ns]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var lists = await CacheListsAsync() - before;
        var output = JsonNode.Parse(result.StdOut)!;
        Assert.Equal(Names(30), output["names"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["0"], output["cm20"]!.AsArray().Select(n => n!.GetValue<string>()));
        var versions = output["versions"]!.AsArray().Select(v => v!.GetValue<string>()).ToList();
        Assert.Equal(3, versions.Count);
        Assert.Single(versions.Distinct());
        Assert.Equal([20L, 10L], output["remaining"]!.AsArray().Take(2).Select(n => n!.GetValue<long>()));
        // The list after the pages shows the writes.
        var now = output["now"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.Contains("cm-0012a", now);
        Assert.DoesNotContain("cm-0015", now);
        Assert.Equal(["changed"], output["cm20now"]!.AsArray().Select(n => n!.GetValue<string>()));
        // Three pages and the last list, all from memory.
        Assert.Equal(4, lists);
    }

    [Fact]
    public async Task AnExactRevisionList_ShowsThatRevision_FromTheWatchCache()
    {
        var ns = await cluster.CreateNamespaceAsync("exact");
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        await CreateConfigMapsAsync(ns, 5);
        var then = (await cluster.GetJsonAsync(path))["metadata"]!["resourceVersion"]!.GetValue<string>();
        using (var deleted = await cluster.Http.DeleteAsync($"{path}/cm-0002"))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        var before = await CacheListsAsync();
        var exact = await cluster.GetJsonAsync($"{path}?resourceVersion={then}&resourceVersionMatch=Exact");
        var paged = await cluster.GetJsonAsync($"{path}?resourceVersion={then}&resourceVersionMatch=Exact&limit=2");

        Assert.Equal(2, await CacheListsAsync() - before);
        Assert.Equal(then, exact["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal(Names(5), exact["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()));
        Assert.Equal(["cm-0000", "cm-0001"], paged["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()));
        Assert.Equal(3, paged["metadata"]!["remainingItemCount"]!.GetValue<long>());
    }

    [Fact]
    public async Task APagedListAtAResourceVersion_WithoutAMatch_IsExactAtIt_AsKubesLegacyRule()
    {
        var ns = await cluster.CreateNamespaceAsync("legacyexact");
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        await CreateConfigMapsAsync(ns, 3);
        var then = (await cluster.GetJsonAsync(path))["metadata"]!["resourceVersion"]!.GetValue<string>();
        foreach (var name in Names(5).Skip(3))
        {
            using var created = await cluster.Http.PostAsync(path, ClusterFixture.Json($$$"""{"metadata":{"name":"{{{name}}}"}}"""));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        // With a limit and no resourceVersionMatch: the state at that revision (3 objects).
        var legacy = await cluster.GetJsonAsync($"{path}?resourceVersion={then}&limit=2");
        // Without a limit, or with NotOlderThan: any state at least that new (all 5).
        var unpaged = await cluster.GetJsonAsync($"{path}?resourceVersion={then}");
        var notOlder = await cluster.GetJsonAsync($"{path}?resourceVersion={then}&resourceVersionMatch=NotOlderThan&limit=10");

        Assert.Equal(then, legacy["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal(["cm-0000", "cm-0001"], legacy["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()));
        Assert.Equal(1, legacy["metadata"]!["remainingItemCount"]!.GetValue<long>());
        Assert.Equal(Names(5), unpaged["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()));
        Assert.Equal(Names(5), notOlder["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task AContinueOlderThanTheWindow_IsServedByEtcd_AtItsRevision_Until410WhenCompacted()
    {
        var ns = await cluster.CreateNamespaceAsync("pastwindow");
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        await CreateConfigMapsAsync(ns, 6);
        var first = await cluster.GetJsonAsync($"{path}?limit=3");
        var token = first["metadata"]!["continue"]!.GetValue<string>();
        using (var deleted = await cluster.Http.DeleteAsync($"{path}/cm-0004"))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        // More configmap events than the window keeps.
        var other = await cluster.CreateNamespaceAsync("pastwindow-writes");
        await CreateConfigMapsAsync(other, ClusterFixture.ConfigMapWatchWindow + 5);

        var before = await CacheListsAsync();
        var second = await cluster.GetJsonAsync($"{path}?limit=3&continue={Uri.EscapeDataString(token)}");

        Assert.Equal(0, await CacheListsAsync() - before);
        Assert.Equal(["cm-0003", "cm-0004", "cm-0005"], second["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()));
        Assert.Equal(first["metadata"]!["resourceVersion"]!.GetValue<string>(), second["metadata"]!["resourceVersion"]!.GetValue<string>());

        Compact(recordInCompactRevKey: false);
        using var expired = await cluster.Http.GetAsync($"{path}?limit=3&continue={Uri.EscapeDataString(token)}");
        await AssertExpiredAsync(expired);
    }

    [Fact]
    public async Task AContinueAtARevisionAnotherServerCompacted_Is410_ThoughTheWindowStillHasIt()
    {
        var ns = await cluster.CreateNamespaceAsync("compacted");
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        await CreateConfigMapsAsync(ns, 4);
        var first = await cluster.GetJsonAsync($"{path}?limit=2");
        var token = first["metadata"]!["continue"]!.GetValue<string>();

        // As another kube-apiserver's compactor does it: the revision goes into compact_rev_key, then etcd compacts.
        Compact(recordInCompactRevKey: true);
        await cluster.GetJsonAsync(path); // a consistent list: the cache has seen compact_rev_key's write

        using var expired = await cluster.Http.GetAsync($"{path}?limit=2&continue={Uri.EscapeDataString(token)}");
        await AssertExpiredAsync(expired);
    }

    private static async Task AssertExpiredAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Gone, body);
        var status = JsonNode.Parse(body)!;
        Assert.Equal("Status", status["kind"]!.GetValue<string>());
        Assert.Equal("Failure", status["status"]!.GetValue<string>());
        Assert.Equal("Expired", status["reason"]!.GetValue<string>());
        Assert.Equal(410, status["code"]!.GetValue<int>());
        Assert.StartsWith(TooOld, status["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    /// <summary>Compacts etcd at its current revision, first recording it in compact_rev_key as kube's compactor does when asked.</summary>
    private void Compact(bool recordInCompactRevKey)
    {
        var status = cluster.Etcdctl("endpoint", "status", "-w", "json");
        var revision = long.Parse(RevisionPattern().Match(status).Groups[1].Value, CultureInfo.InvariantCulture);
        if (recordInCompactRevKey)
        {
            // The put is the next revision, and the one compacted.
            revision++;
            cluster.Etcdctl("put", "compact_rev_key", revision.ToString(CultureInfo.InvariantCulture));
        }

        cluster.Etcdctl("compact", revision.ToString(CultureInfo.InvariantCulture));
    }

    [GeneratedRegex("\"revision\":(\\d+)")]
    private static partial Regex RevisionPattern();

    private static IEnumerable<string> Names(int count) => Enumerable.Range(0, count).Select(i => $"cm-{i:D4}");

    private async Task CreateConfigMapsAsync(string ns, int count)
    {
        await Parallel.ForEachAsync(Names(count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (name, ct) =>
        {
            using var created = await cluster.Http.PostAsync($"/api/v1/namespaces/{ns}/configmaps", ClusterFixture.Json($$$"""{"metadata":{"name":"{{{name}}}"},"data":{"v":"0"}}"""), ct);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        });
    }

    /// <summary>apiserver_cache_list_total for configmaps without an index, from /metrics.</summary>
    private async Task<long> CacheListsAsync()
    {
        var metrics = await cluster.Http.GetStringAsync("/metrics");
        var line = metrics.Split('\n').SingleOrDefault(l => l.StartsWith("apiserver_cache_list_total{group=\"\",index=\"\",resource=\"configmaps\"}", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }
}
