using System.Text.Json.Nodes;
using Conformance.CustomResources;
using Conformance.Infrastructure;
using k8s;
using k8s.Models;

namespace Conformance.Foundation;

/// <summary>
/// Metadata-only answers (Accept: application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1, and
/// as=PartialObjectMetadataList for lists), which client-go's metadata client and metadata informers
/// ask for: get, list and watch through curl, the official Python and C# clients, writes, the 406s
/// kube-apiserver answers when the transformation does not fit, and custom resources.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PartialObjectMetadataTests(ClusterFixture cluster)
{
    private const string AsObject = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
    private const string AsList = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

    /// <summary>What client-go's metadata client sends for a list (protobuf first; this server answers JSON).</summary>
    private const string ClientGoList =
        "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";

    private const string ClientGoObject =
        "application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";

    private async Task<(int Code, string ContentType, JsonNode? Body, string Text)> CurlAsync(string accept, string path)
    {
        var curl = await cluster.CurlAsync(cluster.Admin, "-w", "\n%{http_code} %{content_type}", "-H", $"Accept: {accept}", cluster.ServerUrl + path);
        Assert.True(curl.ExitCode == 0, curl.ToString());
        var text = curl.StdOut;
        var cut = text.LastIndexOf('\n');
        var (code, contentType) = (text[(cut + 1)..].Split(' ', 2)[0], text[(cut + 1)..].Split(' ', 2)[1]);
        var body = text[..cut];
        JsonNode? json = null;
        try
        {
            json = JsonNode.Parse(body);
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return (int.Parse(code, System.Globalization.CultureInfo.InvariantCulture), contentType, json, body);
    }

    /// <summary>The object's metadata alone: exactly kind, apiVersion and metadata, in that order.</summary>
    private static void AssertPartial(JsonNode? partial, JsonNode? full, string apiVersion = "meta.k8s.io/v1")
    {
        Assert.NotNull(partial);
        Assert.Equal(["kind", "apiVersion", "metadata"], partial!.AsObject().Select(p => p.Key));
        Assert.Equal("PartialObjectMetadata", (string?)partial["kind"]);
        Assert.Equal(apiVersion, (string?)partial["apiVersion"]);
        Assert.True(JsonNode.DeepEquals(full!["metadata"], partial["metadata"]), $"metadata differs:\n{full["metadata"]}\n{partial["metadata"]}");
    }

    private async Task<string> CreateConfigMapsAsync(string prefix)
    {
        var ns = await cluster.CreateNamespaceAsync(prefix);
        foreach (var name in new[] { "a", "b", "c" })
        {
            using var created = await cluster.Http.PostAsync($"/api/v1/namespaces/{ns}/configmaps", ClusterFixture.Json($$$"""
                {"metadata":{"name":"{{{name}}}","labels":{"app":"meta"},"annotations":{"note":"<&>"},
                 "ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"owner","uid":"6f1d0c3a-0000-4000-8000-000000000001"}]},
                 "data":{"big":"{{{new string('x', 2000)}}}"}}
                """));
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        }

        return ns;
    }

    [Fact]
    public async Task Curl_GetAndList_AnswerMetadataOnly_WithTheWholeMetadata()
    {
        var ns = await CreateConfigMapsAsync("pom");
        var collection = $"/api/v1/namespaces/{ns}/configmaps";
        var full = await cluster.GetJsonAsync($"{collection}/a");
        Assert.NotNull(full["metadata"]!["managedFields"]);

        // From etcd and from the watch cache, in both versions, and with client-go's Accept.
        foreach (var (query, accept, apiVersion) in new[]
        {
            ("", AsObject, "meta.k8s.io/v1"),
            ("?resourceVersion=0", AsObject, "meta.k8s.io/v1"),
            ("", "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1", "meta.k8s.io/v1beta1"),
            ("?resourceVersion=0", ClientGoObject, "meta.k8s.io/v1"),
        })
        {
            var (code, contentType, body, text) = await CurlAsync(accept, $"{collection}/a{query}");
            Assert.True(code == 200, text);
            Assert.Equal("application/json", contentType);
            AssertPartial(body, full, apiVersion);
        }

        var fullList = await cluster.GetJsonAsync(collection);
        foreach (var (query, accept) in new[] { ("", AsList), ("?resourceVersion=0", ClientGoList), ("?labelSelector=app%3Dmeta", AsList) })
        {
            var (code, contentType, list, text) = await CurlAsync(accept, collection + query);
            Assert.True(code == 200, text);
            Assert.Equal("application/json", contentType);
            Assert.Equal(["kind", "apiVersion", "metadata", "items"], list!.AsObject().Select(p => p.Key));
            Assert.Equal("PartialObjectMetadataList", (string?)list["kind"]);
            Assert.Equal("meta.k8s.io/v1", (string?)list["apiVersion"]);
            Assert.NotNull((string?)list["metadata"]!["resourceVersion"]);
            var items = list["items"]!.AsArray();
            Assert.Equal(3, items.Count);
            for (var i = 0; i < items.Count; i++)
            {
                AssertPartial(items[i], fullList["items"]![i]);
            }
        }

        // Pages carry the list's continue and remainingItemCount.
        var page = await cluster.GetJsonAsync($"{collection}?limit=2");
        var (_, _, partialPage, _) = await CurlAsync(AsList, $"{collection}?limit=2");
        Assert.Equal(2, partialPage!["items"]!.AsArray().Count);
        Assert.Equal(1, (long?)partialPage["metadata"]!["remainingItemCount"]);
        Assert.Equal((long?)page["metadata"]!["remainingItemCount"], (long?)partialPage["metadata"]!["remainingItemCount"]);
        var next = (string)partialPage["metadata"]!["continue"]!;
        var (_, _, rest, _) = await CurlAsync(AsList, $"{collection}?limit=2&continue={Uri.EscapeDataString(next)}");
        Assert.Equal("c", (string?)rest!["items"]![0]!["metadata"]!["name"]);

        // No items: kube's list of metadata writes null.
        var (emptyCode, _, empty, emptyText) = await CurlAsync(AsList, $"{collection}?labelSelector=app%3Dnone");
        Assert.True(emptyCode == 200, emptyText);
        Assert.True(empty!.AsObject().ContainsKey("items"), emptyText);
        Assert.Null(empty["items"]);

        // YAML too.
        var yaml = await CurlAsync("application/yaml;as=PartialObjectMetadata;g=meta.k8s.io;v=v1", $"{collection}/a");
        Assert.Equal(200, yaml.Code);
        Assert.Equal("application/yaml", yaml.ContentType);
        Assert.Contains("kind: PartialObjectMetadata", yaml.Text);
        Assert.DoesNotContain("xxxxxxxx", yaml.Text);
    }

    [Fact]
    public async Task Negotiation_FirstAcceptableRangeWins_And406WhenTheTransformationDoesNotFit()
    {
        var ns = await CreateConfigMapsAsync("pom406");
        var collection = $"/api/v1/namespaces/{ns}/configmaps";

        // A list transformation for one object, and an object transformation for a list: negotiation
        // picks them, the transformation refuses (the fallback after them is not tried).
        var notAList = await CurlAsync($"{AsList},application/json", $"{collection}/a");
        Assert.Equal(406, notAList.Code);
        Assert.Equal("Status", (string?)notAList.Body!["kind"]);
        Assert.Equal("NotAcceptable", (string?)notAList.Body["reason"]);
        Assert.Equal(406, (int?)notAList.Body["code"]);
        Assert.Equal("you requested PartialObjectMetadataList, but the requested object is not a list (*core.ConfigMap)", (string?)notAList.Body["message"]);
        var isAList = await CurlAsync(AsObject, collection);
        Assert.Equal(406, isAList.Code);
        Assert.Equal("you requested PartialObjectMetadata, but the requested object is a list (*core.ConfigMapList)", (string?)isAList.Body!["message"]);

        // A version or group kube does not serve is passed over; 406 when nothing is left.
        var none = await CurlAsync("application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1alpha1", $"{collection}/a");
        Assert.Equal(406, none.Code);
        Assert.Equal("only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf", (string?)none.Body!["message"]);
        var fallback = await CurlAsync("application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1alpha1,application/json", $"{collection}/a");
        Assert.Equal("ConfigMap", (string?)fallback.Body!["kind"]);
        var otherGroup = await CurlAsync("application/json;as=PartialObjectMetadata;g=example.com;v=v1,application/json", $"{collection}/a");
        Assert.Equal("ConfigMap", (string?)otherGroup.Body!["kind"]);

        // Between a Table and metadata, the first acceptable range wins; quality comes first.
        var table = await CurlAsync($"application/json;as=Table;g=meta.k8s.io;v=v1,{AsList}", collection);
        Assert.Equal("Table", (string?)table.Body!["kind"]);
        var metadata = await CurlAsync($"{AsList},application/json;as=Table;g=meta.k8s.io;v=v1", collection);
        Assert.Equal("PartialObjectMetadataList", (string?)metadata.Body!["kind"]);
        var byQuality = await CurlAsync($"application/json;as=Table;g=meta.k8s.io;v=v1;q=0.5,{AsList}", collection);
        Assert.Equal("PartialObjectMetadataList", (string?)byQuality.Body!["kind"]);
        var tableForObject = await CurlAsync($"application/json;as=Table;g=meta.k8s.io;v=v1,{AsObject}", $"{collection}/a");
        Assert.Equal("Table", (string?)tableForObject.Body!["kind"]);

        // Errors are Status objects whatever was asked for.
        var missing = await CurlAsync(AsObject, $"{collection}/missing");
        Assert.Equal(404, missing.Code);
        Assert.Equal("Status", (string?)missing.Body!["kind"]);
    }

    [Fact]
    public async Task Writes_AnswerMetadataOnly_AndStatusesStayStatuses()
    {
        var ns = await cluster.CreateNamespaceAsync("pomwrite");
        var collection = $"/api/v1/namespaces/{ns}/configmaps";
        async Task<(int Code, JsonNode Body)> SendAsync(HttpMethod method, string path, string? json, string contentType = "application/json")
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.TryAddWithoutValidation("Accept", ClientGoObject);
            if (json is not null)
            {
                request.Content = new StringContent(json, System.Text.Encoding.UTF8, contentType);
            }

            using var response = await cluster.Http.SendAsync(request);
            return ((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
        }

        var created = await SendAsync(HttpMethod.Post, collection, """{"metadata":{"name":"w","labels":{"a":"1"}},"data":{"k":"v"}}""");
        Assert.Equal(201, created.Code);
        AssertPartial(created.Body, await cluster.GetJsonAsync($"{collection}/w"));

        // client-go's metadata client patches with this Accept (the garbage collector's ownerReferences).
        var patched = await SendAsync(HttpMethod.Patch, $"{collection}/w", """{"metadata":{"labels":{"a":"2"}}}""", "application/merge-patch+json");
        Assert.Equal(200, patched.Code);
        AssertPartial(patched.Body, await cluster.GetJsonAsync($"{collection}/w"));
        Assert.Equal("2", (string?)patched.Body["metadata"]!["labels"]!["a"]);

        var updated = await SendAsync(HttpMethod.Put, $"{collection}/w", """{"metadata":{"name":"w"},"data":{"k":"w"}}""");
        Assert.Equal(200, updated.Code);
        AssertPartial(updated.Body, await cluster.GetJsonAsync($"{collection}/w"));

        // A ConfigMap's delete answers a Status: written as it is.
        var deleted = await SendAsync(HttpMethod.Delete, $"{collection}/w", null);
        Assert.Equal(200, deleted.Code);
        Assert.Equal("Status", (string?)deleted.Body["kind"]);
        Assert.Equal("Success", (string?)deleted.Body["status"]);
    }

    [Fact]
    public async Task Watch_EventsCarryMetadataOnly_BookmarksToo()
    {
        var ns = await CreateConfigMapsAsync("pomwatch");
        var collection = $"/api/v1/namespaces/{ns}/configmaps";
        var fullList = await cluster.GetJsonAsync(collection);

        // The initial events, then the bookmark that ends them, then the stream's timeout.
        var curl = await cluster.CurlAsync(cluster.Admin, "-N", "-H", $"Accept: {ClientGoObject}",
            $"{cluster.ServerUrl}{collection}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=2");
        Assert.True(curl.ExitCode == 0, curl.ToString());
        var events = curl.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        var added = events.Where(e => (string?)e["type"] == "ADDED").ToList();
        Assert.Equal(3, added.Count);
        foreach (var e in added)
        {
            var name = (string?)e["object"]!["metadata"]!["name"];
            AssertPartial(e["object"], fullList["items"]!.AsArray().Single(i => (string?)i!["metadata"]!["name"] == name));
        }

        var bookmark = events.First(e => (string?)e["type"] == "BOOKMARK")["object"]!;
        Assert.Equal("PartialObjectMetadata", (string?)bookmark["kind"]);
        Assert.Equal("meta.k8s.io/v1", (string?)bookmark["apiVersion"]);
        Assert.Equal("true", (string?)bookmark["metadata"]!["annotations"]!["k8s.io/initial-events-end"]);

        // Changes after the list's version: MODIFIED and DELETED carry metadata only too.
        var from = (string)fullList["metadata"]!["resourceVersion"]!;
        using (var patch = await cluster.Http.PatchAsync($"{collection}/a", new StringContent("""{"metadata":{"labels":{"x":"y"}}}""", System.Text.Encoding.UTF8, "application/merge-patch+json")))
        {
            Assert.True(patch.IsSuccessStatusCode);
        }

        using (var delete = await cluster.Http.DeleteAsync($"{collection}/b"))
        {
            Assert.True(delete.IsSuccessStatusCode);
        }

        var changes = await cluster.CurlAsync(cluster.Admin, "-N", "-H", $"Accept: {AsObject}", $"{cluster.ServerUrl}{collection}?watch=1&resourceVersion={from}&timeoutSeconds=2");
        var changed = changes.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(["MODIFIED", "DELETED"], changed.Select(e => (string?)e["type"]));
        Assert.All(changed, e => Assert.Equal(["kind", "apiVersion", "metadata"], e["object"]!.AsObject().Select(p => p.Key)));
        Assert.Equal("y", (string?)changed[0]["object"]!["metadata"]!["labels"]!["x"]);
        Assert.Equal("b", (string?)changed[1]["object"]!["metadata"]!["name"]);

        // A list transformation cannot be applied to one event's object: kube's stream ends at the first event.
        var asList = await cluster.CurlAsync(cluster.Admin, "-N", "-w", "\n%{http_code}", "-H", $"Accept: {AsList}", $"{cluster.ServerUrl}{collection}?watch=1&resourceVersion={from}&timeoutSeconds=5");
        Assert.Equal("200", asList.StdOut.Trim());
    }

    [Fact]
    public async Task CustomResources_AnswerMetadataOnly()
    {
        var group = $"pom{Guid.NewGuid().ToString("N")[..6]}.example.com";
        await CustomResourceDefinitionTests.ApplyCrdAsync(cluster, CustomResourceDefinitionTests.WidgetCrd(group), "widgets." + group);
        var ns = await cluster.CreateNamespaceAsync("pomcr");
        foreach (var name in new[] { "w1", "w2" })
        {
            var applied = await cluster.KubectlWithInputAsync(CustomResourceDefinitionTests.Widget(group, name), "apply", "-n", ns, "-f", "-");
            Assert.True(applied.ExitCode == 0, applied.ToString());
        }

        var collection = $"/apis/{group}/v1/namespaces/{ns}/widgets";
        var full = await cluster.GetJsonAsync(collection);
        var get = await CurlAsync(ClientGoObject, $"{collection}/w1");
        Assert.Equal(200, get.Code);
        AssertPartial(get.Body, full["items"]![0]);
        var list = await CurlAsync(ClientGoList, collection);
        Assert.Equal("PartialObjectMetadataList", (string?)list.Body!["kind"]);
        AssertPartial(list.Body["items"]![1], full["items"]![1]);

        var notAList = await CurlAsync(AsList, $"{collection}/w1");
        Assert.Equal("you requested PartialObjectMetadataList, but the requested object is not a list (*unstructured.Unstructured)", (string?)notAList.Body!["message"]);
        var isAList = await CurlAsync(AsObject, collection);
        Assert.Equal("you requested PartialObjectMetadata, but the requested object is a list (*unstructured.UnstructuredList)", (string?)isAList.Body!["message"]);

        var watch = await cluster.CurlAsync(cluster.Admin, "-N", "-H", $"Accept: {AsObject}",
            $"{cluster.ServerUrl}{collection}?watch=1&resourceVersion=0&timeoutSeconds=1");
        var events = watch.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.Equal("PartialObjectMetadata", (string?)e["object"]!["kind"]));
    }

    /// <summary>The official Python client's dynamic client passes an Accept header through (header_params).</summary>
    [Fact]
    public async Task PythonClient_ReadsMetadataOnly()
    {
        var ns = await CreateConfigMapsAsync("pompy");
        const string script = """
            import json, sys
            from kubernetes import config, dynamic
            client = dynamic.DynamicClient(config.new_client_from_config(config_file=sys.argv[1]))
            ns = sys.argv[2]
            configmaps = client.resources.get(api_version="v1", kind="ConfigMap")
            listed = configmaps.get(namespace=ns, header_params={"Accept": sys.argv[3]})
            one = configmaps.get(namespace=ns, name="a", header_params={"Accept": sys.argv[4]})
            print(json.dumps({"list": listed.to_dict(), "one": one.to_dict()}))
            """;
        var scriptPath = Path.Combine(cluster.WorkDirectory, "partial-metadata.py");
        await File.WriteAllTextAsync(scriptPath, script);
        var result = await ProcessRunner.RunAsync("/usr/bin/python3", [scriptPath, cluster.Kubeconfig, ns, ClientGoList, ClientGoObject]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var output = JsonNode.Parse(result.StdOut)!;
        var fullList = await cluster.GetJsonAsync($"/api/v1/namespaces/{ns}/configmaps");
        Assert.Equal("PartialObjectMetadataList", (string?)output["list"]!["kind"]);
        Assert.Equal(["a", "b", "c"], output["list"]!["items"]!.AsArray().Select(i => (string?)i!["metadata"]!["name"]));
        for (var i = 0; i < 3; i++)
        {
            AssertPartial(output["list"]!["items"]![i], fullList["items"]![i]);
        }

        AssertPartial(output["one"], fullList["items"]![0]);
    }

    /// <summary>The official C# client with client-go's Accept as a custom header: list, get and watch.</summary>
    [Fact]
    public async Task CSharpClient_ReadsAndWatchesMetadataOnly()
    {
        var ns = await CreateConfigMapsAsync("pomcs");
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(cluster.Kubeconfig));
        IReadOnlyDictionary<string, IReadOnlyList<string>> Accept(string value) => new Dictionary<string, IReadOnlyList<string>> { ["Accept"] = [value] };

        using var listed = await client.CoreV1.ListNamespacedConfigMapWithHttpMessagesAsync(ns, customHeaders: Accept(ClientGoList));
        Assert.Equal("PartialObjectMetadataList", listed.Body.Kind);
        Assert.Equal(["a", "b", "c"], listed.Body.Items.Select(i => i.Metadata.Name));
        Assert.All(listed.Body.Items, i => Assert.Null(i.Data));
        Assert.All(listed.Body.Items, i => Assert.Equal("owner", i.Metadata.OwnerReferences.Single().Name));

        using var one = await client.CoreV1.ReadNamespacedConfigMapWithHttpMessagesAsync("a", ns, customHeaders: Accept(ClientGoObject));
        Assert.Equal("PartialObjectMetadata", one.Body.Kind);
        Assert.Equal("<&>", one.Body.Metadata.Annotations["note"]);
        Assert.Null(one.Body.Data);

        var seen = new List<(WatchEventType Type, V1ConfigMap Object)>();
        var watch = client.CoreV1.ListNamespacedConfigMapWithHttpMessagesAsync(ns, watch: true, resourceVersion: "0", timeoutSeconds: 1, customHeaders: Accept(ClientGoObject));
#pragma warning disable CS0618 // the client's only watch that takes custom headers: over a list call's response
        await foreach (var (type, item) in watch.WatchAsync<V1ConfigMap, V1ConfigMapList>())
#pragma warning restore CS0618
        {
            seen.Add((type, item));
        }

        Assert.Equal(3, seen.Count);
        Assert.All(seen, e => Assert.Equal(WatchEventType.Added, e.Type));
        Assert.All(seen, e => Assert.Equal("PartialObjectMetadata", e.Object.Kind));
        Assert.All(seen, e => Assert.Null(e.Object.Data));
    }
}
