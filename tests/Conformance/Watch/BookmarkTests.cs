using System.Net;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Watch;

/// <summary>
/// Periodic watch bookmarks, as kube-apiserver's watch cache sends them to watchers that allow them
/// (about every minute; this cluster every 2 s), so an idle informer resumes from a recent revision.
/// </summary>
[Collection(KubeDefaultsCollection.Name)]
public sealed class BookmarkTests(KubeDefaultsCluster defaults)
{
    private const string Python = "/usr/bin/python3";

    private ClusterFixture Cluster => defaults.Cluster;

    [Fact]
    public async Task PythonWatchOfAnIdleNamespace_GetsPeriodicBookmarks_ThatFollowOtherResourcesChanges()
    {
        var ns = await Cluster.CreateNamespaceAsync("bookmarks");
        var other = await Cluster.CreateNamespaceAsync("elsewhere");
        const string script = """
            import json, sys
            from kubernetes import client, config, watch
            config.load_kube_config(config_file=sys.argv[1])
            ns, other = sys.argv[2], sys.argv[3]
            v1 = client.CoreV1Api()
            start = v1.list_namespaced_config_map(ns).metadata.resource_version
            out = {"start": start, "events": [], "written": None}
            w = watch.Watch()
            for ev in w.stream(v1.list_namespaced_config_map, ns, resource_version=start, allow_watch_bookmarks=True, timeout_seconds=12):
                obj = ev["raw_object"]
                out["events"].append([ev["type"], obj["kind"], obj["metadata"]["resourceVersion"]])
                if ev["type"] == "BOOKMARK" and out["written"] is None:
                    # A change the watcher does not see: later bookmarks still move past it.
                    s = v1.create_namespaced_secret(other, {"metadata": {"name": "moved"}})
                    out["written"] = s.metadata.resource_version
            print(json.dumps(out))
            """;
        var scriptPath = Path.Combine(Cluster.WorkDirectory, "bookmarks.py");
        await File.WriteAllTextAsync(scriptPath, script);

        var result = await ProcessRunner.RunAsync(Python, [scriptPath, Cluster.Kubeconfig, ns, other], timeout: TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.ToString());
        var output = JsonNode.Parse(result.StdOut)!;
        var events = output["events"]!.AsArray().Select(e => e!.AsArray().Select(x => x!.GetValue<string>()).ToArray()).ToArray();

        // Nothing happens in the namespace: every event is a bookmark of the watched kind, and there
        // are more than the one a watch gets just before its timeout.
        Assert.True(events.Length >= 2, result.StdOut);
        Assert.All(events, e => Assert.Equal(["BOOKMARK", "ConfigMap"], e[..2]));
        var versions = events.Select(e => long.Parse(e[2])).ToArray();
        Assert.True(versions[0] >= long.Parse(output["start"]!.GetValue<string>()), result.StdOut);
        Assert.Equal(versions.Order(), versions);
        Assert.True(versions[^1] >= long.Parse(output["written"]!.GetValue<string>()), result.StdOut);
    }

    [Fact]
    public async Task WatchFromOlderThanTheWindow_ServedByEtcd_GetsBookmarksAfterItsEvents()
    {
        var ns = await Cluster.CreateNamespaceAsync("etcdbookmarks");
        var path = $"/api/v1/namespaces/{ns}/podtemplates";
        var start = (await Cluster.GetJsonAsync(path))["metadata"]!["resourceVersion"]!.GetValue<string>();
        var names = Enumerable.Range(0, KubeDefaultsCluster.PodTemplateWatchWindow + 3).Select(i => $"t{i}").ToArray();
        foreach (var name in names)
        {
            var body = $$$$"""{"metadata":{"name":"{{{{name}}}}"},"template":{"spec":{"containers":[{"name":"c","image":"busybox"}]}}}""";
            Assert.Equal(HttpStatusCode.Created, (await Cluster.Http.PostAsync(path, ClusterFixture.Json(body))).StatusCode);
        }

        var last = await Cluster.GetJsonAsync($"{path}/{names[^1]}");
        var result = await Cluster.CurlAsync(Cluster.Admin, $"{Cluster.ServerUrl}{path}?watch=1&resourceVersion={start}&allowWatchBookmarks=true&timeoutSeconds=6");
        var lines = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToArray();
        Assert.Equal(names.Select(n => "ADDED " + n), lines.Take(names.Length).Select(e => $"{e["type"]} {e["object"]!["metadata"]!["name"]}"));
        var bookmarks = lines.Skip(names.Length).ToArray();
        Assert.NotEmpty(bookmarks);
        Assert.All(bookmarks, b =>
        {
            Assert.Equal("BOOKMARK", b["type"]!.GetValue<string>());
            Assert.Equal(last["metadata"]!["resourceVersion"]!.GetValue<string>(), b["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>());
        });
    }
}
