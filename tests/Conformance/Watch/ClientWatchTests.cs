using System.Net;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Watch;

/// <summary>Watches through the official clients: resume from a resourceVersion, a forced 410, an informer.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClientWatchTests(ClusterFixture cluster)
{
    private const string Python = "/usr/bin/python3";

    [Fact]
    public async Task PythonWatch_ResumesFromAResourceVersion_InOrder_AndRelistsAfter410()
    {
        var ns = await cluster.CreateNamespaceAsync("pywatch");
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        var start = (await cluster.GetJsonAsync(path))["metadata"]!["resourceVersion"]!.GetValue<string>();

        // A scripted sequence: the watch from `start` must replay exactly this, in order.
        Assert.Equal(HttpStatusCode.Created, (await cluster.Http.PostAsync(path, ClusterFixture.Json("""{"metadata":{"name":"a"},"data":{"step":"1"}}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await cluster.Http.PostAsync(path, ClusterFixture.Json("""{"metadata":{"name":"b"},"data":{"step":"1"}}"""))).StatusCode);
        var a = await cluster.GetJsonAsync($"{path}/a");
        a["data"]!["step"] = "2";
        Assert.Equal(HttpStatusCode.OK, (await cluster.Http.PutAsync($"{path}/a", ClusterFixture.Json(a.ToJsonString()))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await cluster.Http.DeleteAsync($"{path}/b")).StatusCode);

        const string script = """
            import json, sys
            from kubernetes import client, config, watch
            from kubernetes.client.rest import ApiException
            config.load_kube_config(config_file=sys.argv[1])
            mode, ns, rv = sys.argv[2], sys.argv[3], sys.argv[4]
            v1 = client.CoreV1Api()
            out = {"events": []}
            try:
                w = watch.Watch()
                for ev in w.stream(v1.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=20):
                    out["events"].append([ev["type"], ev["object"].metadata.name, (ev["object"].data or {}).get("step", "")])
                    if mode == "resume" and len(out["events"]) == 4:
                        w.stop()
            except ApiException as e:
                # What an informer does on 410: note it and relist.
                out["expired"] = e.status
                out["relisted"] = [c.metadata.name for c in v1.list_namespaced_config_map(ns).items]
            print(json.dumps(out))
            """;
        var scriptPath = Path.Combine(cluster.WorkDirectory, "watch.py");
        await File.WriteAllTextAsync(scriptPath, script);

        var resumed = await ProcessRunner.RunAsync(Python, [scriptPath, cluster.Kubeconfig, "resume", ns, start], timeout: TimeSpan.FromSeconds(60));
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        var events = JsonNode.Parse(resumed.StdOut)!["events"]!.AsArray()
            .Select(e => string.Join(' ', e!.AsArray().Select(x => x!.GetValue<string>()))).ToArray();
        Assert.Equal(["ADDED a 1", "ADDED b 1", "MODIFIED a 2", "DELETED b 1"], events);

        // Push `start` out of the watch cache's configmap window and compact etcd past it (cluster-wide;
        // this collection's tests run one at a time): a watch from `start` can no longer be served by
        // either, and the client must see 410 and relist.
        for (var i = 0; i <= ClusterFixture.ConfigMapWatchWindow; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await cluster.Http.PutAsync($"{path}/a", ClusterFixture.Json($$$"""{"metadata":{"name":"a"},"data":{"step":"{{{i}}}"}}"""))).StatusCode);
        }

        var current = (await cluster.GetJsonAsync(path))["metadata"]!["resourceVersion"]!.GetValue<string>();
        cluster.Etcdctl("compact", current);
        var expired = await ProcessRunner.RunAsync(Python, [scriptPath, cluster.Kubeconfig, "expire", ns, start], timeout: TimeSpan.FromSeconds(60));
        Assert.True(expired.ExitCode == 0, expired.ToString());
        var output = JsonNode.Parse(expired.StdOut)!;
        Assert.Empty(output["events"]!.AsArray());
        Assert.Equal(410, output["expired"]!.GetValue<int>());
        Assert.Equal(["a"], output["relisted"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public async Task JavaScriptInformer_SeesEveryEventInOrder()
    {
        var ns = await cluster.CreateNamespaceAsync("informer");
        await cluster.Http.PostAsync($"/api/v1/namespaces/{ns}/configmaps", ClusterFixture.Json("""{"metadata":{"name":"a"},"data":{"step":"0"}}"""));
        var js = Path.Combine(RepoPaths.Root, "tests", "Conformance", "js");
        var result = await ProcessRunner.RunAsync("node", [Path.Combine(js, "informer.mjs"), cluster.Kubeconfig, ns], workingDirectory: js, timeout: TimeSpan.FromSeconds(90));
        Assert.True(result.ExitCode == 0, result.ToString());
        var output = JsonNode.Parse(result.StdOut)!;
        var events = output["events"]!.AsArray().Select(e => string.Join(' ', e!.AsArray().Select(x => x!.GetValue<string>()))).ToArray();
        Assert.Equal(["add a 0", "add b 1", "update b 2", "delete b 2"], events);
        Assert.Null(output["failure"]);
    }
}
