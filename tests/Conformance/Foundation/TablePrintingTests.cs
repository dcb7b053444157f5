using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Foundation;

/// <summary>kubectl get prints the columns kube-apiserver's Tables carry, for the common kinds.</summary>
[Collection(ClusterCollection.Name)]
public sealed class TablePrintingTests(ClusterFixture cluster)
{
    [Fact]
    public async Task KubectlGet_PrintsKubeApiServersColumns()
    {
        var ns = await cluster.CreateNamespaceAsync("tables");
        await cluster.KubectlOkAsync("create", "job", "j1", "-n", ns, "--image=busybox");
        await cluster.KubectlOkAsync("create", "cronjob", "cj1", "-n", ns, "--image=busybox", "--schedule=*/5 * * * *");
        await cluster.KubectlOkAsync("create", "deployment", "d1", "-n", ns, "--image=nginx", "--replicas=2");
        await cluster.KubectlOkAsync("create", "service", "clusterip", "s1", "-n", ns, "--tcp=80:8080");
        await cluster.KubectlOkAsync("create", "configmap", "c1", "-n", ns, "--from-literal=a=b");
        await cluster.KubectlOkAsync("create", "rolebinding", "rb1", "-n", ns, "--clusterrole=view", "--user=alice");
        var node = $"node-{ns}";
        var created = await cluster.Http.PostAsync("/api/v1/nodes", ClusterFixture.Json($$$$"""
            {"metadata":{"name":"{{{{node}}}}","labels":{"node-role.kubernetes.io/control-plane":""}},
             "status":{"conditions":[{"type":"Ready","status":"True"}],"nodeInfo":{"kubeletVersion":"v1.35.0"}}}
            """));
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());

        Assert.Equal(["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"], await HeaderAsync("get", "jobs", "-n", ns));
        Assert.Equal(["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST", "SCHEDULE", "AGE"], await HeaderAsync("get", "cronjobs", "-n", ns));
        Assert.Equal(["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], await HeaderAsync("get", "deployments", "-n", ns));
        Assert.Equal(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], await HeaderAsync("get", "services", "-n", ns));
        Assert.Equal(["NAME", "DATA", "AGE"], await HeaderAsync("get", "configmaps", "-n", ns));
        Assert.Equal(["NAME", "ROLE", "AGE"], await HeaderAsync("get", "rolebindings", "-n", ns));

        var deployment = (await cluster.KubectlOkAsync("get", "deployment", "d1", "-n", ns, "--no-headers")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["d1", "0/2", "0", "0"], deployment[..4]);
        var configmap = (await cluster.KubectlOkAsync("get", "configmap", "c1", "-n", ns, "--no-headers")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["c1", "1"], configmap[..2]);

        // Nodes register with their status: it survives create and shows in the columns.
        var nodeRow = (await cluster.KubectlOkAsync("get", "node", node, "--no-headers")).Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([node, "Ready", "control-plane"], nodeRow[..3]);
        Assert.Equal("v1.35.0", nodeRow[^1]);
        Assert.Equal(["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"],
            await HeaderAsync("get", "node", node, "-o", "wide"));
    }

    /// <summary>
    /// A client that accepts only a Table (no plain fallback after it) gets a Table from get and list, as from
    /// kube-apiserver; a bare as=Table without group and version names nothing kube serves (406).
    /// </summary>
    [Fact]
    public async Task Curl_AcceptingOnlyATable_GetsATable()
    {
        var ns = await cluster.CreateNamespaceAsync("tableonly");
        await cluster.KubectlOkAsync("create", "configmap", "c1", "-n", ns, "--from-literal=a=b");
        var url = $"{cluster.ServerUrl}/api/v1/namespaces/{ns}/configmaps";
        foreach (var (path, version) in new[] { (url, "v1"), (url + "/c1", "v1"), (url + "?resourceVersion=0", "v1beta1") })
        {
            var curl = await cluster.CurlAsync(cluster.Admin, "-w", "\n%{http_code}", "-H", $"Accept: application/json;as=Table;v={version};g=meta.k8s.io", path);
            var lines = curl.StdOut.TrimEnd().Split('\n');
            Assert.True(curl.ExitCode == 0 && lines[^1] == "200", $"{path}: {curl}");
            var table = JsonNode.Parse(string.Join('\n', lines[..^1]))!;
            Assert.Equal("Table", (string?)table["kind"]);
            Assert.Equal($"meta.k8s.io/{version}", (string?)table["apiVersion"]);
            Assert.Equal("c1", (string?)table["rows"]![0]!["cells"]![0]);
        }

        var bare = await cluster.CurlAsync(cluster.Admin, "-o", "/dev/null", "-w", "%{http_code}", "-H", "Accept: application/json;as=Table", url);
        Assert.Equal("406", bare.StdOut);
    }

    private async Task<string[]> HeaderAsync(params string[] args) =>
        (await cluster.KubectlOkAsync(args)).Split('\n')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
