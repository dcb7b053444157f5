using System.Text;
using System.Text.Json.Nodes;
using ApiMachinery.Serialization;
using Conformance.Infrastructure;

namespace Conformance.Foundation;

/// <summary>
/// Lists of a few thousand objects, now written item by item: the watch cache's list, etcd's
/// chunks, pretty output, YAML and Tables must say the same thing, in kube's shape (resourceVersion,
/// continue, remainingItemCount, the trailing newline), to kubectl, the Python client and curl.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class BigListTests(ClusterFixture cluster)
{
    private const int Count = 2000;
    private const string Python = "/usr/bin/python3";

    private async Task<string> FillAsync()
    {
        var ns = await cluster.CreateNamespaceAsync("biglist");
        var filler = new string('x', 800);
        await Parallel.ForEachAsync(Enumerable.Range(0, Count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var body = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + $"cm-{i:D5}" + "\",\"labels\":{\"half\":\"" + (i % 2)
                + "\"}},\"data\":{\"i\":\"" + i + "\",\"fill\":\"" + filler + "\",\"html\":\"<&>\\u2028é\"}}";
            using var response = await cluster.Http.PostAsync($"/api/v1/namespaces/{ns}/configmaps", ClusterFixture.Json(body), ct);
            Assert.True(response.IsSuccessStatusCode, $"create cm-{i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        });
        return ns;
    }

    private async Task<string> GetTextAsync(string path, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (accept is not null)
        {
            // As kubectl writes it: no spaces after the semicolons, a plain fallback after a Table.
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using var response = await cluster.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return body;
    }

    /// <summary>Every page through continue tokens, checking each page's metadata as kube writes it.</summary>
    private async Task<List<JsonNode>> ChunksAsync(string path, int limit)
    {
        var items = new List<JsonNode>();
        string? token = null;
        string? firstVersion = null;
        do
        {
            var text = await GetTextAsync($"{path}?limit={limit}" + (token is null ? "" : "&continue=" + Uri.EscapeDataString(token)));
            Assert.EndsWith("]}\n", text, StringComparison.Ordinal);
            var page = JsonNode.Parse(text)!;
            var metadata = page["metadata"]!.AsObject();
            Assert.Equal(["resourceVersion", .. metadata.Count > 1 ? new[] { "continue", "remainingItemCount" } : []], metadata.Select(p => p.Key));
            firstVersion ??= metadata["resourceVersion"]!.GetValue<string>();
            Assert.Equal(firstVersion, metadata["resourceVersion"]!.GetValue<string>());
            items.AddRange(page["items"]!.AsArray().Select(i => i!.DeepClone()));
            token = metadata["continue"]?.GetValue<string>();
            if (token is not null)
            {
                Assert.Equal(Count - items.Count, metadata["remainingItemCount"]!.GetValue<long>());
            }
        }
        while (token is not null);

        return items;
    }

    [Fact]
    public async Task BigList_CacheChunksPrettyAndTables_SayTheSame()
    {
        var ns = await FillAsync();
        var path = $"/api/v1/namespaces/{ns}/configmaps";

        // The watch cache's list (streamed from its bytes) and a consistent one.
        var cachedText = await GetTextAsync($"{path}?resourceVersion=0");
        Assert.StartsWith("""{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":""", cachedText, StringComparison.Ordinal);
        Assert.EndsWith("]}\n", cachedText, StringComparison.Ordinal);
        var cached = JsonNode.Parse(cachedText)!;
        var items = cached["items"]!.AsArray();
        Assert.Equal(Count, items.Count);
        Assert.Equal(Enumerable.Range(0, Count).Select(i => $"cm-{i:D5}"), items.Select(i => i!["metadata"]!["name"]!.GetValue<string>()));
        Assert.All(items, i => Assert.Equal("<&>\u2028é", i!["data"]!["html"]!.GetValue<string>()));
        Assert.DoesNotContain("<", cachedText, StringComparison.Ordinal); // Go's encoder escapes it: \u003c

        var consistent = JsonNode.Parse(await GetTextAsync(path))!;
        Assert.True(JsonNode.DeepEquals(items, consistent["items"]), "the consistent list differs from the cache's");

        // etcd's chunks, read at one revision, are the same objects.
        var chunks = await ChunksAsync(path, 300);
        Assert.True(JsonNode.DeepEquals(items, new JsonArray([.. chunks])), "etcd's chunks differ from the cache's list");

        // Pretty: json.MarshalIndent's shape, no trailing newline, the same content.
        var pretty = await GetTextAsync($"{path}?resourceVersion=0&pretty=true");
        Assert.StartsWith("{\n  \"kind\": \"ConfigMapList\",\n  \"apiVersion\": \"v1\",\n  \"metadata\": {\n    \"resourceVersion\": ", pretty, StringComparison.Ordinal);
        Assert.Contains("\n  \"items\": [\n    {\n      \"", pretty, StringComparison.Ordinal);
        Assert.EndsWith("\n  ]\n}", pretty, StringComparison.Ordinal);
        Assert.True(JsonNode.DeepEquals(items, JsonNode.Parse(pretty)!["items"]), "the pretty list differs from the compact one");

        // A Table of every item, streamed row by row.
        var table = JsonNode.Parse(await GetTextAsync($"{path}?resourceVersion=0", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"))!;
        Assert.Equal(["kind", "apiVersion", "metadata", "columnDefinitions", "rows"], table.AsObject().Select(p => p.Key));
        var rows = table["rows"]!.AsArray();
        Assert.Equal(Count, rows.Count);
        Assert.All(rows.Select((r, i) => (r, i)), x => Assert.Equal($"cm-{x.i:D5}", x.r!["cells"]![0]!.GetValue<string>()));
        Assert.Equal(3, rows[0]!["cells"]![1]!.GetValue<int>());
        Assert.Equal("PartialObjectMetadata", rows[0]!["object"]!["kind"]!.GetValue<string>());

        // YAML through curl, streamed item by item too: the bytes the whole-body emitter made from the
        // same list (sigs.k8s.io/yaml's: sorted keys, the items as a block sequence), cached and from etcd.
        foreach (var query in new[] { "?resourceVersion=0", "" })
        {
            var curl = await cluster.CurlAsync(cluster.Admin, "-H", "Accept: application/yaml", $"{cluster.ServerUrl}{path}{query}");
            Assert.True(curl.ExitCode == 0, curl.ToString());
            var yaml = curl.StdOut;
            Assert.StartsWith("apiVersion: v1\nitems:\n- apiVersion: v1\n  data:\n", yaml, StringComparison.Ordinal);
            var fromYaml = YamlJson.ToJsonNode(yaml)!;
            Assert.True(JsonNode.DeepEquals(items, fromYaml["items"]), $"the YAML list{query} differs from the cache's JSON list");
            var same = cached.DeepClone();
            same["metadata"]!["resourceVersion"] = fromYaml["metadata"]!["resourceVersion"]!.GetValue<string>();
            Assert.Equal(YamlJson.FromJsonNode(same), yaml);
        }

        // kubectl: chunked (its default of 500) and whole, JSON and its printed table.
        foreach (var chunk in new[] { "500", "0" })
        {
            var fromKubectl = JsonNode.Parse(await cluster.KubectlOkAsync("get", "configmaps", "-n", ns, "-o", "json", $"--chunk-size={chunk}"))!["items"]!.AsArray();
            Assert.Equal(Count, fromKubectl.Count);
            // kubectl leaves managedFields out unless --show-managed-fields.
            var withoutManagedFields = items.DeepClone().AsArray();
            foreach (var item in withoutManagedFields)
            {
                item!["metadata"]!.AsObject().Remove("managedFields");
            }

            Assert.True(JsonNode.DeepEquals(withoutManagedFields, fromKubectl), $"kubectl --chunk-size={chunk} -o json differs from the cache's list");
            var printed = (await cluster.KubectlOkAsync("get", "configmaps", "-n", ns, $"--chunk-size={chunk}")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(["NAME", "DATA", "AGE"], printed[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal(Enumerable.Range(0, Count).Select(i => $"cm-{i:D5}"), printed.Skip(1).Select(l => l.Split(' ')[0]));
        }

        // The Python client, whole and paged, with a label selector.
        const string script = """
            import json, sys
            from kubernetes import client, config
            config.load_kube_config(config_file=sys.argv[1])
            ns = sys.argv[2]
            v1 = client.CoreV1Api()
            whole = v1.list_namespaced_config_map(ns)
            paged, token, remaining = [], None, []
            while True:
                page = v1.list_namespaced_config_map(ns, limit=700, _continue=token, label_selector="half=1")
                paged += [c.metadata.name for c in page.items]
                token = page.metadata._continue
                if not token:
                    break
            print(json.dumps({"whole": [c.metadata.name for c in whole.items], "rv": whole.metadata.resource_version,
                              "fill": len(whole.items[0].data["fill"]), "paged": paged}))
            """;
        var scriptPath = Path.Combine(cluster.WorkDirectory, "biglist.py");
        await File.WriteAllTextAsync(scriptPath, script);
        var result = await ProcessRunner.RunAsync(Python, [scriptPath, cluster.Kubeconfig, ns]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var output = JsonNode.Parse(result.StdOut)!;
        Assert.Equal(Enumerable.Range(0, Count).Select(i => $"cm-{i:D5}"), output["whole"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(800, output["fill"]!.GetValue<int>());
        Assert.Equal(Enumerable.Range(0, Count).Where(i => i % 2 == 1).Select(i => $"cm-{i:D5}"), output["paged"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    /// <summary>
    /// Objects another writer put into etcd reach the watch cache as bytes it has not prepared: it reads
    /// their metadata in one pass (issue 19's cold start reads every object so). Selectors, the served
    /// resourceVersion and the bytes must be what a parse would give, through kubectl and curl.
    /// </summary>
    [Fact]
    public async Task ForeignWrites_AreSelectedAndServedAsStored()
    {
        var ns = await cluster.CreateNamespaceAsync("foreign");
        var prefix = $"{ClusterFixture.EtcdPrefix}/configmaps/{ns}/";
        var values = new Dictionary<string, string>
        {
            ["a"] = $$$"""{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a","namespace":"{{{ns}}}","uid":"7d1f0a5e-0000-4000-8000-00000000000a","creationTimestamp":"2026-12-01T00:00:00Z","labels":{"app":"web","tier":"front"}},"data":{"k":"v"}}""",
            ["b"] = $$$"""{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"b","namespace":"{{{ns}}}","uid":"7d1f0a5e-0000-4000-8000-00000000000b","creationTimestamp":"2026-12-01T00:00:00Z","labels":{"app":"web","tier":"back"},"annotations":{"labels":"not these"}},"data":{"metadata":"{}"}}""",
            ["c"] = $$$"""{"kind":"ConfigMap","apiVersion":"v1","metadata":{"labels":{"app":"db"},"namespace":"{{{ns}}}","name":"c","uid":"7d1f0a5e-0000-4000-8000-00000000000c","creationTimestamp":"2026-12-01T00:00:00Z"}}""",
        };
        foreach (var (name, value) in values)
        {
            cluster.Etcdctl("put", prefix + name, value);
        }

        var revisions = values.Keys.ToDictionary(n => n, n => JsonNode.Parse(cluster.Etcdctl("get", prefix + n, "-w", "json"))!["kvs"]![0]!["mod_revision"]!.GetValue<long>());
        // A consistent list waits for the cache to have seen etcd's current revision.
        var list = JsonNode.Parse(await GetTextAsync($"/api/v1/namespaces/{ns}/configmaps"))!;
        Assert.Equal(["a", "b", "c"], list["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()));

        var cachedText = await GetTextAsync($"/api/v1/namespaces/{ns}/configmaps?resourceVersion=0");
        foreach (var (name, value) in values)
        {
            // The stored bytes with the revision spliced in just inside metadata's brace.
            var served = value.Replace("\"metadata\":{", $"\"metadata\":{{\"resourceVersion\":\"{revisions[name]}\",", StringComparison.Ordinal);
            Assert.Contains(served, cachedText, StringComparison.Ordinal);
        }

        Assert.Equal("configmap/a\nconfigmap/b", (await cluster.KubectlOkAsync("get", "configmaps", "-n", ns, "-l", "app=web", "-o", "name")).Trim());
        Assert.Equal("configmap/b", (await cluster.KubectlOkAsync("get", "configmaps", "-n", ns, "-l", "app=web,tier!=front", "-o", "name")).Trim());
        Assert.Equal("configmap/c", (await cluster.KubectlOkAsync("get", "configmaps", "-n", ns, "-l", "app in (db)", "-o", "name")).Trim());
        Assert.Equal("configmap/b", (await cluster.KubectlOkAsync("get", "configmaps", "-n", ns, "--field-selector", "metadata.name=b", "-o", "name")).Trim());
        Assert.Equal("", (await cluster.KubectlOkAsync("get", "configmaps", "-n", ns, "-l", "labels=not-these", "-o", "name")).Trim());

        var curl = await cluster.CurlAsync(cluster.Admin, $"{cluster.ServerUrl}/api/v1/namespaces/{ns}/configmaps?resourceVersion=0&labelSelector=tier%3Dback");
        Assert.True(curl.ExitCode == 0, curl.ToString());
        var selected = JsonNode.Parse(curl.StdOut)!["items"]!.AsArray();
        Assert.Equal("b", Assert.Single(selected)!["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal(revisions["b"].ToString(System.Globalization.CultureInfo.InvariantCulture), selected[0]!["metadata"]!["resourceVersion"]!.GetValue<string>());
    }
    /// <summary>
    /// Pods another writer put into etcd (as a cold start finds them) are read by the watch cache in one
    /// pass too: their metadata and copies of only the members their field selectors read. kubectl's
    /// field selectors (the kubelet's spec.nodeName, status.phase, spec.hostNetwork's "false" when unset)
    /// and the served bytes must be what a parse of each pod gives.
    /// </summary>
    [Fact]
    public async Task ForeignPods_AreSelectedByTheirFieldsAndServedAsStored()
    {
        var ns = await cluster.CreateNamespaceAsync("foreignpods");
        var prefix = $"{ClusterFixture.EtcdPrefix}/pods/{ns}/";
        string Pod(string name, string node, string phase, string extra) =>
            $$$"""{"kind":"Pod","apiVersion":"v1","metadata":{"name":"{{{name}}}","namespace":"{{{ns}}}","uid":"7d1f0a5e-0000-4000-8000-0000000000{{{name}}}","creationTimestamp":"2026-12-01T00:00:00Z","labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"busybox","resources":{}}],"restartPolicy":"Always","schedulerName":"default-scheduler","serviceAccountName":"default","nodeName":"{{{node}}}"{{{extra}}}},"status":{"phase":"{{{phase}}}","podIP":"10.1.0.{{{name[1..]}}}","conditions":[{"type":"Ready","status":"True"}]}}""";
        var values = new Dictionary<string, string>
        {
            ["p1"] = Pod("p1", $"{ns}-a", "Running", ""),
            ["p2"] = Pod("p2", $"{ns}-b", "Running", ",\"hostNetwork\":true"),
            ["p3"] = Pod("p3", $"{ns}-a", "Pending", ",\"hostNetwork\":false"),
        };
        foreach (var (name, value) in values)
        {
            cluster.Etcdctl("put", prefix + name, value);
        }

        var revisions = values.Keys.ToDictionary(n => n, n => JsonNode.Parse(cluster.Etcdctl("get", prefix + n, "-w", "json"))!["kvs"]![0]!["mod_revision"]!.GetValue<long>());
        var list = JsonNode.Parse(await GetTextAsync($"/api/v1/namespaces/{ns}/pods"))!;
        Assert.Equal(["p1", "p2", "p3"], list["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()));

        var cachedText = await GetTextAsync($"/api/v1/namespaces/{ns}/pods?resourceVersion=0");
        foreach (var (name, value) in values)
        {
            var served = value.Replace("\"metadata\":{", $"\"metadata\":{{\"resourceVersion\":\"{revisions[name]}\",", StringComparison.Ordinal);
            Assert.Contains(served, cachedText, StringComparison.Ordinal);
        }

        async Task<string> Names(string selector) =>
            (await cluster.KubectlOkAsync("get", "pods", "-n", ns, "--field-selector", selector, "-o", "name")).Trim().Replace("pod/", "", StringComparison.Ordinal).Replace('\n', ' ');
        Assert.Equal("p1 p3", await Names($"spec.nodeName={ns}-a"));
        Assert.Equal("p1 p2", await Names("status.phase=Running"));
        Assert.Equal("p1 p3", await Names("spec.hostNetwork=false"));
        Assert.Equal("p2", await Names("spec.hostNetwork=true,status.podIP=10.1.0.2"));
        Assert.Equal("p3", await Names($"spec.nodeName={ns}-a,status.phase!=Running"));

        // The kubelet's watch-cache read: every pod of a node, from the cache's index, at resourceVersion 0.
        var curl = await cluster.CurlAsync(cluster.Admin, $"{cluster.ServerUrl}/api/v1/pods?resourceVersion=0&fieldSelector=spec.nodeName%3D{ns}-b");
        Assert.True(curl.ExitCode == 0, curl.ToString());
        var onNode = JsonNode.Parse(curl.StdOut)!["items"]!.AsArray();
        Assert.Equal("p2", Assert.Single(onNode)!["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal(revisions["p2"].ToString(System.Globalization.CultureInfo.InvariantCulture), onNode[0]!["metadata"]!["resourceVersion"]!.GetValue<string>());
    }
}
