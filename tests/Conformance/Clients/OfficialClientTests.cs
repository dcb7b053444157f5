using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Clients;

/// <summary>The official Python (Debian python3-kubernetes) and JavaScript (@kubernetes/client-node) clients.</summary>
[Collection(ClusterCollection.Name)]
public sealed class OfficialClientTests(ClusterFixture cluster)
{
    /// <summary>Debian's client is installed for the system interpreter, not for whatever python3 is first on PATH.</summary>
    private const string Python = "/usr/bin/python3";

    [Fact]
    public async Task PythonClient_ListsCreatesReadsSelectsAndDeletes()
    {
        var ns = await cluster.CreateNamespaceAsync("py");
        const string script = """
            import json, sys
            from kubernetes import client, config
            from kubernetes.client.rest import ApiException
            config.load_kube_config(config_file=sys.argv[1])
            ns = sys.argv[2]
            v1 = client.CoreV1Api()
            out = {"namespaces": [n.metadata.name for n in v1.list_namespace().items]}
            body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="from-python", labels={"client": "python"}), data={"greeting": "hello"})
            created = v1.create_namespaced_config_map(ns, body)
            out["createdUid"] = created.metadata.uid
            read = v1.read_namespaced_config_map("from-python", ns)
            out["readUid"] = read.metadata.uid
            out["greeting"] = read.data["greeting"]
            out["selected"] = [c.metadata.name for c in v1.list_namespaced_config_map(ns, label_selector="client=python").items]
            try:
                v1.create_namespaced_config_map(ns, body)
            except ApiException as e:
                out["conflict"] = {"status": e.status, "reason": json.loads(e.body)["reason"]}
            v1.delete_namespaced_config_map("from-python", ns)
            try:
                v1.read_namespaced_config_map("from-python", ns)
            except ApiException as e:
                out["missing"] = e.status
            print(json.dumps(out))
            """;
        var scriptPath = Path.Combine(cluster.WorkDirectory, "basics.py");
        await File.WriteAllTextAsync(scriptPath, script);
        var result = await ProcessRunner.RunAsync(Python, [scriptPath, cluster.Kubeconfig, ns]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var output = JsonNode.Parse(result.StdOut)!;

        Assert.Contains("kube-system", output["namespaces"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(output["createdUid"]!.GetValue<string>(), output["readUid"]!.GetValue<string>());
        Assert.Equal("hello", output["greeting"]!.GetValue<string>());
        Assert.Equal(["from-python"], output["selected"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(409, output["conflict"]!["status"]!.GetValue<int>());
        Assert.Equal("AlreadyExists", output["conflict"]!["reason"]!.GetValue<string>());
        Assert.Equal(404, output["missing"]!.GetValue<int>());
    }

    [Fact]
    public async Task JavaScriptClient_ListsCreatesReadsSelectsAndDeletes()
    {
        var ns = await cluster.CreateNamespaceAsync("js");
        var js = Path.Combine(RepoPaths.Root, "tests", "Conformance", "js");
        var result = await ProcessRunner.RunAsync("node", [Path.Combine(js, "basics.mjs"), cluster.Kubeconfig, ns], workingDirectory: js);
        Assert.True(result.ExitCode == 0, result.ToString());
        var output = JsonNode.Parse(result.StdOut)!;

        Assert.Contains("default", output["namespaces"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(output["createdUid"]!.GetValue<string>(), output["readUid"]!.GetValue<string>());
        Assert.Equal("hello", output["greeting"]!.GetValue<string>());
        Assert.Equal(["from-js"], output["selected"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(409, output["conflict"]!["code"]!.GetValue<int>());
        Assert.Equal("AlreadyExists", output["conflict"]!["body"]!["reason"]!.GetValue<string>());
        Assert.Equal(404, output["missing"]!.GetValue<int>());
    }
}
