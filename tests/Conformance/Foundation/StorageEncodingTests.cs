using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json.Nodes;
using ApiMachinery.Protobuf;
using Conformance.Infrastructure;

namespace Conformance.Foundation;

/// <summary>
/// What is in etcd under /registry: objects a kube-apiserver wrote in protobuf are read (listed,
/// watched, updated) by a server storing JSON, and a value nothing can decode never takes its
/// resource down: lists and watches leave it out, its own GET is a 500 as in kube.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class StorageEncodingTests(ClusterFixture cluster)
{
    [Fact]
    public async Task ProtobufFromKube_IsServed_AndCorruptValues_AreLeftOut()
    {
        var ns = await cluster.CreateNamespaceAsync("stored");
        var relists = Count(cluster.Server.Log, "watch cache relisting");
        var prefix = $"{ClusterFixture.EtcdPrefix}/configmaps/{ns}/";
        var before = (await cluster.GetJsonAsync($"/api/v1/namespaces/{ns}/configmaps"))["metadata"]!["resourceVersion"]!.GetValue<string>();
        cluster.Etcd.EtcdctlWithInput(KubeProtobuf.Encode(KubeWritten("from-kube", ns)), "put", prefix + "from-kube");
        cluster.Etcd.EtcdctlWithInput("k8s\0\u000a\u00ff"u8.ToArray(), "put", prefix + "broken-protobuf");
        cluster.Etcd.EtcdctlWithInput("{\"apiVersion\":\"v1\",\"kind\":"u8.ToArray(), "put", prefix + "broken-json");
        await cluster.KubectlOkAsync("create", "configmap", "plain", "-n", ns);

        // Listed from the watch cache (kubectl's list) and from etcd (an exact resourceVersion).
        var listed = JsonNode.Parse(await cluster.KubectlOkAsync("get", "configmaps", "-n", ns, "-o", "json"))!;
        Assert.Equal(["from-kube", "plain"], Names(listed));
        Assert.Equal("from-protobuf", listed["items"]![0]!["data"]!["origin"]!.GetValue<string>());
        var rv = (await cluster.GetJsonAsync($"/api/v1/namespaces/{ns}/configmaps"))["metadata"]!["resourceVersion"]!.GetValue<string>();
        var exact = await cluster.GetJsonAsync($"/api/v1/namespaces/{ns}/configmaps?resourceVersion={rv}&resourceVersionMatch=Exact");
        Assert.Equal(["from-kube", "plain"], Names(exact));
        var paged = await cluster.GetJsonAsync($"/api/v1/namespaces/{ns}/configmaps?limit=1&resourceVersion={rv}&resourceVersionMatch=Exact");
        Assert.Equal(["from-kube"], Names(paged));

        var got = JsonNode.Parse(await cluster.KubectlOkAsync("get", "configmap", "from-kube", "-n", ns, "-o", "json"))!;
        Assert.Equal("kube-apiserver", got["metadata"]!["labels"]!["written-by"]!.GetValue<string>());
        Assert.Equal("2025-06-01T10:00:00Z", got["metadata"]!["creationTimestamp"]!.GetValue<string>());

        // A corrupt object's own read fails as kube's does; nothing else does.
        var broken = await cluster.KubectlAsync("get", "configmap", "broken-protobuf", "-n", ns);
        Assert.NotEqual(0, broken.ExitCode);
        Assert.Contains("InternalError", broken.StdErr);

        // Watched: the changes since `before` are the decodable ones.
        var watched = await cluster.CurlAsync(cluster.Admin, $"{cluster.ServerUrl}/api/v1/namespaces/{ns}/configmaps?watch=1&resourceVersion={before}&timeoutSeconds=3");
        Assert.Equal(["ADDED from-kube", "ADDED plain"], Events(watched.StdOut));

        // Updated: the object read from protobuf is written back as this server stores (JSON).
        await cluster.KubectlOkAsync("label", "configmap", "from-kube", "-n", ns, "updated=yes");
        var stored = cluster.Etcdctl("get", prefix + "from-kube", "--print-value-only");
        Assert.StartsWith("{\"kind\":\"ConfigMap\"", stored);
        Assert.Contains("\"updated\":\"yes\"", stored);

        // An object that turns undecodable leaves its watchers as DELETED, and the cache never relists.
        using var client = cluster.CreateHttpClient(cluster.Admin);
        using var watch = await client.GetAsync($"/api/v1/namespaces/{ns}/configmaps?watch=1&fieldSelector=metadata.name%3Dplain&timeoutSeconds=30", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await watch.Content.ReadAsStreamAsync());
        Assert.Equal("ADDED plain", Events((await reader.ReadLineAsync())!).Single());
        cluster.Etcd.EtcdctlWithInput("not an object"u8.ToArray(), "put", prefix + "plain");
        Assert.Equal("DELETED plain", Events((await reader.ReadLineAsync())!).Single());
        Assert.Equal(["from-kube"], Names(await cluster.GetJsonAsync($"/api/v1/namespaces/{ns}/configmaps")));
        Assert.Equal(relists, Count(cluster.Server.Log, "watch cache relisting"));
        Assert.Contains($"corrupt object at {prefix}broken-protobuf", cluster.Server.Log);
    }

    private static int Count(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>A ConfigMap as a kube-apiserver stores it: full metadata, no resourceVersion.</summary>
    internal static JsonObject KubeWritten(string name, string ns) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["namespace"] = ns,
            ["uid"] = Guid.NewGuid().ToString(),
            ["creationTimestamp"] = "2025-06-01T10:00:00Z",
            ["labels"] = new JsonObject { ["written-by"] = "kube-apiserver" },
        },
        ["data"] = new JsonObject { ["origin"] = "from-protobuf" },
    };

    internal static string[] Names(JsonNode list) =>
        list["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).ToArray();

    internal static string[] Events(string lines) =>
        lines.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonNode.Parse(l)!)
            .Select(e => $"{e["type"]} {e["object"]!["metadata"]!["name"]}")
            .ToArray();
}

/// <summary>With --storage-media-type=application/vnd.kubernetes.protobuf, objects are written as kube-apiserver writes them.</summary>
[Collection(KubeDefaultsCollection.Name)]
public sealed class ProtobufStorageTests(KubeDefaultsCluster defaults)
{
    private ClusterFixture Cluster => defaults.Cluster;

    [Fact]
    public async Task ObjectsAreStoredInProtobuf_AndListedWatchedUpdated()
    {
        var ns = await Cluster.CreateNamespaceAsync("protobuf");
        var before = (await Cluster.GetJsonAsync($"/api/v1/namespaces/{ns}/configmaps"))["metadata"]!["resourceVersion"]!.GetValue<string>();
        await Cluster.KubectlOkAsync("create", "configmap", "settings", "-n", ns, "--from-literal=mode=fast");
        await Cluster.KubectlOkAsync("run", "web", "-n", ns, "--image=nginx:1.27", "--labels=app=web");

        var configMap = Stored($"/registry/configmaps/{ns}/settings");
        Assert.Equal("fast", configMap["data"]!["mode"]!.GetValue<string>());
        Assert.Null(configMap["metadata"]!["resourceVersion"]);
        var pod = Stored($"/registry/pods/{ns}/web");
        Assert.Equal("nginx:1.27", pod["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
        Assert.Equal("default", pod["spec"]!["serviceAccountName"]!.GetValue<string>());

        // Read back: get (from etcd), list (from the cache and from etcd), watch.
        var got = JsonNode.Parse(await Cluster.KubectlOkAsync("get", "pod", "web", "-n", ns, "-o", "json"))!;
        Assert.Equal("web", got["metadata"]!["labels"]!["app"]!.GetValue<string>());
        Assert.Equal(pod["metadata"]!["uid"]!.GetValue<string>(), got["metadata"]!["uid"]!.GetValue<string>());
        var listed = await Cluster.GetJsonAsync($"/api/v1/namespaces/{ns}/configmaps");
        Assert.Contains("settings", StorageEncodingTests.Names(listed));
        var rv = listed["metadata"]!["resourceVersion"]!.GetValue<string>();
        Assert.Contains("settings", StorageEncodingTests.Names(await Cluster.GetJsonAsync($"/api/v1/namespaces/{ns}/configmaps?resourceVersion={rv}&resourceVersionMatch=Exact")));

        await Cluster.KubectlOkAsync("label", "configmap", "settings", "-n", ns, "tier=gold");
        Assert.Equal("gold", Stored($"/registry/configmaps/{ns}/settings")["metadata"]!["labels"]!["tier"]!.GetValue<string>());
        var watched = await Cluster.CurlAsync(Cluster.Admin, $"{Cluster.ServerUrl}/api/v1/namespaces/{ns}/configmaps?watch=1&resourceVersion={before}&timeoutSeconds=3");
        var events = StorageEncodingTests.Events(watched.StdOut);
        Assert.Contains("ADDED settings", events);
        Assert.Contains("MODIFIED settings", events);

        // What was stored as JSON before (by a server storing JSON) is still read.
        Cluster.Etcd.EtcdctlWithInput(Encoding.UTF8.GetBytes($$$"""{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"old-json","namespace":"{{{ns}}}","uid":"{{{Guid.NewGuid()}}}","creationTimestamp":"2025-01-01T00:00:00Z"}}"""), "put", $"/registry/configmaps/{ns}/old-json");
        using var old = await Cluster.Http.GetAsync($"/api/v1/namespaces/{ns}/configmaps/old-json");
        Assert.Equal(HttpStatusCode.OK, old.StatusCode);
    }

    /// <summary>The value etcd holds at <paramref name="key"/>: Kubernetes protobuf, decoded with the project's own decoder.</summary>
    private JsonObject Stored(string key)
    {
        var kv = JsonNode.Parse(Cluster.Etcdctl("get", key, "-w", "json"))!["kvs"]![0]!;
        var bytes = Convert.FromBase64String(kv["value"]!.GetValue<string>());
        Assert.Equal("k8s\0"u8.ToArray(), bytes[..4]);
        return KubeProtobuf.Decode(bytes);
    }
}
