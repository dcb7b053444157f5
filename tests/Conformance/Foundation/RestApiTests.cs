using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json.Nodes;
using ApiMachinery.Serialization;
using Conformance.Infrastructure;

namespace Conformance.Foundation;

/// <summary>The REST API as curl and plain HTTP clients see it: codes, Status bodies, formats, etcd layout.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RestApiTests(ClusterFixture cluster)
{
    private static string PodJson(string name) =>
        $$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{name}}}","labels":{"app":"curl"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}""";

    [Fact]
    public async Task CurlPost_Answers201WithTheStoredObject_AndEtcdHoldsItsJson()
    {
        var ns = await cluster.CreateNamespaceAsync("curl");
        var body = Path.Combine(cluster.WorkDirectory, $"pod-{ns}.json");
        await File.WriteAllTextAsync(body, PodJson("from-curl"));

        var result = await cluster.CurlAsync(cluster.Admin, "-X", "POST", "-H", "Content-Type: application/json",
            $"{cluster.ServerUrl}/api/v1/namespaces/{ns}/pods", "-d", $"@{body}", "-w", "\n%{http_code}");
        var lines = result.StdOut.TrimEnd().Split('\n');
        Assert.Equal("201", lines[^1]);
        var pod = JsonNode.Parse(string.Join('\n', lines[..^1]))!;
        Assert.Equal("from-curl", pod["metadata"]!["name"]!.GetValue<string>());
        var rv = pod["metadata"]!["resourceVersion"]!.GetValue<string>();

        // etcd holds the object's JSON, without a resourceVersion, under /registry/pods/<ns>/<name>.
        var key = $"{ClusterFixture.EtcdPrefix}/pods/{ns}/from-curl";
        Assert.Equal(key, cluster.Etcdctl("get", key, "--keys-only").Trim());
        var stored = JsonNode.Parse(cluster.Etcdctl("get", key, "--print-value-only").Trim())!;
        Assert.Equal("Pod", stored["kind"]!.GetValue<string>());
        Assert.Equal(pod["metadata"]!["uid"]!.GetValue<string>(), stored["metadata"]!["uid"]!.GetValue<string>());
        Assert.Null(stored["metadata"]!["resourceVersion"]);
        Assert.Contains($"\"mod_revision\":{rv}", cluster.Etcdctl("get", key, "-w", "json"));
    }

    /// <summary>
    /// A write answers with the bytes it stored plus their resourceVersion (the server splices the
    /// version in rather than encoding the object again), so the answer is exactly etcd's object at
    /// etcd's mod_revision; an update that changes nothing stores nothing and keeps its version.
    /// </summary>
    [Fact]
    public async Task CurlWrites_AnswerWhatEtcdHolds_AtItsModRevision()
    {
        var ns = await cluster.CreateNamespaceAsync("answers");
        var key = $"{ClusterFixture.EtcdPrefix}/configmaps/{ns}/cm";
        var url = $"{cluster.ServerUrl}/api/v1/namespaces/{ns}/configmaps";

        async Task<JsonNode> WriteAsync(string method, string path, string contentType, string json, string expectedCode)
        {
            var body = Path.Combine(cluster.WorkDirectory, $"cm-{ns}-{Guid.NewGuid():N}.json");
            await File.WriteAllTextAsync(body, json);
            var result = await cluster.CurlAsync(cluster.Admin, "-X", method, "-H", $"Content-Type: {contentType}", url + path, "-d", $"@{body}", "-w", "\n%{http_code}");
            var lines = result.StdOut.TrimEnd().Split('\n');
            Assert.Equal(expectedCode, lines[^1]);
            return JsonNode.Parse(string.Join('\n', lines[..^1]))!;
        }

        void AssertAnswerIsStored(JsonNode answer)
        {
            var rv = answer["metadata"]!["resourceVersion"]!.GetValue<string>();
            Assert.Contains($"\"mod_revision\":{rv}", cluster.Etcdctl("get", key, "-w", "json"));
            var stored = JsonNode.Parse(cluster.Etcdctl("get", key, "--print-value-only").Trim())!;
            stored["metadata"]!["resourceVersion"] = rv;
            Assert.Equal(GoJsonEncoder.SortedJson(stored), GoJsonEncoder.SortedJson(answer));
        }

        var created = await WriteAsync("POST", "", "application/json",
            $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","labels":{"a":"b"}},"data":{"k":"v<&>"}}""", "201");
        AssertAnswerIsStored(created);
        Assert.Equal("v<&>", created["data"]!["k"]!.GetValue<string>());

        var rv = created["metadata"]!["resourceVersion"]!.GetValue<string>();
        var replaced = await WriteAsync("PUT", "/cm", "application/json",
            $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","resourceVersion":"{{{rv}}}","labels":{"a":"b"}},"data":{"k":"v2"}}""", "200");
        AssertAnswerIsStored(replaced);
        Assert.NotEqual(rv, replaced["metadata"]!["resourceVersion"]!.GetValue<string>());

        var patched = await WriteAsync("PATCH", "/cm", "application/merge-patch+json", """{"data":{"k2":"v3"}}""", "200");
        AssertAnswerIsStored(patched);
        Assert.Equal("v3", patched["data"]!["k2"]!.GetValue<string>());

        // The same patch again changes nothing: nothing is written and the version stays.
        var unchanged = await WriteAsync("PATCH", "/cm", "application/merge-patch+json", """{"data":{"k2":"v3"}}""", "200");
        AssertAnswerIsStored(unchanged);
        Assert.Equal(patched["metadata"]!["resourceVersion"]!.GetValue<string>(), unchanged["metadata"]!["resourceVersion"]!.GetValue<string>());

        // Other formats are encoded from the object, with the same version.
        var yaml = await cluster.CurlAsync(cluster.Admin, "-X", "PATCH", "-H", "Content-Type: application/merge-patch+json", "-H", "Accept: application/yaml",
            url + "/cm", "-d", """{"data":{"k3":"v4"}}""");
        var rvLine = yaml.StdOut.Split('\n').Single(l => l.TrimStart().StartsWith("resourceVersion:", StringComparison.Ordinal));
        Assert.Contains($"\"mod_revision\":{rvLine.Split(':')[1].Trim().Trim('"')}", cluster.Etcdctl("get", key, "-w", "json"));
    }

    [Fact]
    public async Task EtcdLayout_UsesKubeApiServerKeys()
    {
        var keys = cluster.Etcdctl("get", ClusterFixture.EtcdPrefix, "--prefix", "--keys-only").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains($"{ClusterFixture.EtcdPrefix}/namespaces/default", keys);
        Assert.Contains($"{ClusterFixture.EtcdPrefix}/namespaces/kube-system", keys);

        var ns = await cluster.CreateNamespaceAsync("layout");
        await cluster.KubectlOkAsync("create", "configmap", "cm", "-n", ns, "--from-literal=a=b");
        await cluster.KubectlOkAsync("create", "service", "clusterip", "svc", "-n", ns, "--tcp=80:80");
        keys = cluster.Etcdctl("get", ClusterFixture.EtcdPrefix, "--prefix", "--keys-only").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains($"{ClusterFixture.EtcdPrefix}/configmaps/{ns}/cm", keys);
        Assert.Contains($"{ClusterFixture.EtcdPrefix}/services/specs/{ns}/svc", keys);
    }

    [Fact]
    public async Task NoCredentials_AreSystemAnonymous_ForbiddenByRbac_ButHealthAndVersionArePublic()
    {
        // The cluster runs with --authorization-mode=Node,RBAC and anonymous auth on, as kubeadm's
        // kube-apiserver does: a request without credentials is system:anonymous, and RBAC grants
        // it only the public-info endpoints.
        var denied = await cluster.CurlAsync(null, $"{cluster.ServerUrl}/api/v1/namespaces", "-w", "\n%{http_code}");
        var lines = denied.StdOut.TrimEnd().Split('\n');
        Assert.Equal("403", lines[^1]);
        var status = JsonNode.Parse(string.Join('\n', lines[..^1]))!;
        Assert.Equal("Status", status["kind"]!.GetValue<string>());
        Assert.Equal("Failure", status["status"]!.GetValue<string>());
        Assert.Equal("Forbidden", status["reason"]!.GetValue<string>());
        Assert.Equal("namespaces is forbidden: User \"system:anonymous\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope",
            status["message"]!.GetValue<string>());
        Assert.Equal(403, status["code"]!.GetValue<int>());

        foreach (var path in new[] { "/healthz", "/livez", "/readyz" })
        {
            var ok = await cluster.CurlAsync(null, $"{cluster.ServerUrl}{path}", "-w", "\n%{http_code}");
            Assert.Equal("ok\n200", ok.StdOut.Trim());
        }

        var verbose = await cluster.CurlAsync(null, $"{cluster.ServerUrl}/readyz?verbose");
        Assert.Contains("[+]etcd ok", verbose.StdOut);
        Assert.EndsWith("readyz check passed\n", verbose.StdOut);

        var excluded = await cluster.CurlAsync(null, $"{cluster.ServerUrl}/readyz?verbose&exclude=etcd");
        Assert.Contains("[+]etcd excluded: ok", excluded.StdOut);

        var version = await cluster.CurlAsync(null, $"{cluster.ServerUrl}/version");
        Assert.Equal("v1.35.0", JsonNode.Parse(version.StdOut)!["gitVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task BearerTokenNobodyIssued_Answers401_NotAnonymous()
    {
        var result = await cluster.CurlAsync(null, $"{cluster.ServerUrl}/version", "-H", "Authorization: Bearer not-a-token", "-w", "\n%{http_code}");
        var lines = result.StdOut.TrimEnd().Split('\n');
        Assert.Equal("401", lines[^1]);
        Assert.Equal("Unauthorized", JsonNode.Parse(string.Join('\n', lines[..^1]))!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task ClientCertificateFromAnotherCa_Answers401()
    {
        using var otherPki = TestSupport.TestPki.Create(Path.Combine(cluster.WorkDirectory, "other-pki-" + Guid.NewGuid().ToString("N")[..6]), "intruder-ca");
        var intruder = otherPki.IssueClientCertificate("intruder", "kubernetes-admin", "system:masters");
        var result = await cluster.CurlAsync(intruder, $"{cluster.ServerUrl}/api/v1/namespaces", "-o", "/dev/null", "-w", "%{http_code}");
        Assert.Equal("401", result.StdOut.Trim());
    }

    [Fact]
    public async Task Errors_AreKubeStatusBodies()
    {
        var ns = await cluster.CreateNamespaceAsync("errors");
        var pods = $"/api/v1/namespaces/{ns}/pods";
        Assert.Equal(HttpStatusCode.Created, (await cluster.Http.PostAsync(pods, ClusterFixture.Json(PodJson("p")))).StatusCode);

        var exists = await StatusOf(await cluster.Http.PostAsync(pods, ClusterFixture.Json(PodJson("p"))));
        Assert.Equal((409, "AlreadyExists", "pods \"p\" already exists"), (exists.Code, exists.Reason, exists.Message));
        Assert.Equal("pods", exists.Body["details"]!["kind"]!.GetValue<string>());
        Assert.Equal("p", exists.Body["details"]!["name"]!.GetValue<string>());

        var missing = await StatusOf(await cluster.Http.GetAsync($"{pods}/nope"));
        Assert.Equal((404, "NotFound", "pods \"nope\" not found"), (missing.Code, missing.Reason, missing.Message));
        Assert.Equal("pods", missing.Body["details"]!["kind"]!.GetValue<string>());

        var invalid = await StatusOf(await cluster.Http.PostAsync(pods, ClusterFixture.Json("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"Bad_Name"},"spec":{}}""")));
        Assert.Equal((422, "Invalid"), (invalid.Code, invalid.Reason));
        Assert.Equal("Pod", invalid.Body["details"]!["kind"]!.GetValue<string>());
        var causes = invalid.Body["details"]!["causes"]!.AsArray().Select(c => (c!["reason"]!.GetValue<string>(), c["field"]!.GetValue<string>())).ToArray();
        Assert.Contains(("FieldValueInvalid", "metadata.name"), causes);
        Assert.Contains(("FieldValueRequired", "spec.containers"), causes);
        Assert.StartsWith("Pod \"Bad_Name\" is invalid: [", invalid.Message);

        var noNamespace = await StatusOf(await cluster.Http.PostAsync("/api/v1/namespaces/does-not-exist/configmaps",
            ClusterFixture.Json("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}""")));
        Assert.Equal((404, "NotFound", "namespaces \"does-not-exist\" not found"), (noNamespace.Code, noNamespace.Reason, noNamespace.Message));

        var unknownResource = await StatusOf(await cluster.Http.GetAsync("/api/v1/namespaces/default/widgets"));
        Assert.Equal((404, "NotFound"), (unknownResource.Code, unknownResource.Reason));

        var unknownGroup = await StatusOf(await cluster.Http.GetAsync("/apis/nothing.example.com/v1/things"));
        Assert.Equal(404, unknownGroup.Code);

        // Namespaces have no deletecollection.
        var notAllowed = await StatusOf(await cluster.Http.DeleteAsync("/api/v1/namespaces"));
        Assert.Equal((405, "MethodNotAllowed"), (notAllowed.Code, notAllowed.Reason));

        var badContent = await StatusOf(await cluster.Http.PostAsync(pods, new StringContent(PodJson("q"), Encoding.UTF8, "text/plain")));
        Assert.Equal((415, "UnsupportedMediaType"), (badContent.Code, badContent.Reason));

        var huge = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"huge\"},\"data\":{\"a\":\"" + new string('x', 3 * 1024 * 1024) + "\"}}";
        var tooLarge = await StatusOf(await cluster.Http.PostAsync($"/api/v1/namespaces/{ns}/configmaps", ClusterFixture.Json(huge)));
        Assert.Equal((413, "RequestEntityTooLarge"), (tooLarge.Code, tooLarge.Reason));

        // Without a Content-Length (HTTP/2 DATA frames until the stream ends) the limit holds while
        // reading, and a body of ordinary size arrives whole.
        var tooLargeUnsized = await StatusOf(await cluster.Http.PostAsync($"/api/v1/namespaces/{ns}/configmaps", new UnsizedJson(huge)));
        Assert.Equal((413, "RequestEntityTooLarge"), (tooLargeUnsized.Code, tooLargeUnsized.Reason));
        var spread = new string('y', 200 * 1024);
        using (var unsized = await cluster.Http.PostAsync($"/api/v1/namespaces/{ns}/configmaps",
            new UnsizedJson("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"unsized\"},\"data\":{\"a\":\"" + spread + "\"}}")))
        {
            Assert.Equal(HttpStatusCode.Created, unsized.StatusCode);
            Assert.Null(unsized.RequestMessage!.Content!.Headers.ContentLength);
        }

        var stored = JsonNode.Parse(await cluster.Http.GetStringAsync($"/api/v1/namespaces/{ns}/configmaps/unsized"))!;
        Assert.Equal(spread, stored["data"]!["a"]!.GetValue<string>());

        var badJson = await StatusOf(await cluster.Http.PostAsync(pods, ClusterFixture.Json("{not json")));
        Assert.Equal((400, "BadRequest"), (badJson.Code, badJson.Reason));

        var wrongKind = await StatusOf(await cluster.Http.PostAsync(pods, ClusterFixture.Json("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}""")));
        Assert.Equal(400, wrongKind.Code);

        // Nothing half-written: the failed creates left no keys.
        var keys = cluster.Etcdctl("get", $"{ClusterFixture.EtcdPrefix}/pods/{ns}/", "--prefix", "--keys-only").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([$"{ClusterFixture.EtcdPrefix}/pods/{ns}/p"], keys);
        Assert.Equal("", cluster.Etcdctl("get", $"{ClusterFixture.EtcdPrefix}/configmaps/{ns}/huge", "--keys-only").Trim());
    }

    [Fact]
    public async Task UpdateWithStaleResourceVersion_IsConflict_AndWithoutOneIsAccepted()
    {
        var ns = await cluster.CreateNamespaceAsync("update");
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        var created = JsonNode.Parse(await (await cluster.Http.PostAsync(path, ClusterFixture.Json("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"v":"1"}}"""))).Content.ReadAsStringAsync())!;

        created["data"]!["v"] = "2";
        var first = await cluster.Http.PutAsync($"{path}/c", ClusterFixture.Json(created.ToJsonString()));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        created["data"]!["v"] = "3";
        var conflict = await StatusOf(await cluster.Http.PutAsync($"{path}/c", ClusterFixture.Json(created.ToJsonString())));
        Assert.Equal(409, conflict.Code);
        Assert.Equal("Conflict", conflict.Reason);
        Assert.Equal("Operation cannot be fulfilled on configmaps \"c\": the object has been modified; please apply your changes to the latest version and try again", conflict.Message);

        created["metadata"]!.AsObject().Remove("resourceVersion");
        var unconditional = await cluster.Http.PutAsync($"{path}/c", ClusterFixture.Json(created.ToJsonString()));
        Assert.Equal(HttpStatusCode.OK, unconditional.StatusCode);

        var mismatch = await StatusOf(await cluster.Http.PutAsync($"{path}/other", ClusterFixture.Json(created.ToJsonString())));
        Assert.Equal(400, mismatch.Code);
        Assert.Equal("the name of the object (c) does not match the name on the URL (other)", mismatch.Message);
    }

    [Fact]
    public async Task Yaml_InAndOut()
    {
        var ns = await cluster.CreateNamespaceAsync("yaml");
        var yaml = """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: from-yaml
            data:
              answer: "42"
              enabled: "true"
            """;
        var post = await cluster.Http.PostAsync($"/api/v1/namespaces/{ns}/configmaps", new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        Assert.Equal(HttpStatusCode.Created, post.StatusCode);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/namespaces/{ns}/configmaps/from-yaml");
        request.Headers.Accept.ParseAdd("application/yaml");
        var get = await cluster.Http.SendAsync(request);
        Assert.Equal("application/yaml", get.Content.Headers.ContentType!.MediaType);
        var text = await get.Content.ReadAsStringAsync();
        Assert.Contains("answer: \"42\"", text);
        Assert.Contains("enabled: \"true\"", text);
        Assert.Contains("kind: ConfigMap", text);
    }

    [Fact]
    public async Task GenerateName_AddsFiveRandomCharacters()
    {
        var ns = await cluster.CreateNamespaceAsync("genname");
        var names = new HashSet<string>();
        for (var i = 0; i < 5; i++)
        {
            var response = await cluster.Http.PostAsync($"/api/v1/namespaces/{ns}/configmaps",
                ClusterFixture.Json("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"job-"}}"""));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var name = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["metadata"]!["name"]!.GetValue<string>();
            Assert.Matches("^job-[a-z0-9]{5}$", name);
            names.Add(name);
        }

        Assert.Equal(5, names.Count);
    }

    [Fact]
    public async Task Paging_WithLimitAndContinue_ReturnsEveryItemOnce()
    {
        var ns = await cluster.CreateNamespaceAsync("paging");
        for (var i = 0; i < 7; i++)
        {
            await cluster.Http.PostAsync($"/api/v1/namespaces/{ns}/configmaps", ClusterFixture.Json($$$"""{"metadata":{"name":"cm{{{i}}}"}}"""));
        }

        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var list = await cluster.GetJsonAsync($"/api/v1/namespaces/{ns}/configmaps?limit=3" + (token is null ? "" : "&continue=" + token));
            pages++;
            seen.AddRange(list["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()));
            token = list["metadata"]!["continue"]?.GetValue<string>();
            if (token is not null)
            {
                Assert.Equal(7 - seen.Count, list["metadata"]!["remainingItemCount"]!.GetValue<long>());
            }
        }
        while (token is not null);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"cm{i}"), seen);

        var chunked = await cluster.KubectlOkAsync("get", "cm", "-n", ns, "--chunk-size=2", "-o", "name");
        Assert.Equal(7, chunked.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task AggregatedDiscovery_EchoesTheRequestedContentType()
    {
        foreach (var path in new[] { "/api", "/apis" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.TryAddWithoutValidation("Accept",
                "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json");
            var response = await cluster.Http.SendAsync(request);
            // HttpClient re-formats the header with spaces; client-go parses it as a media type too.
            Assert.Equal("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", response.Content.Headers.GetValues("Content-Type").Single().Replace(" ", ""));
            var list = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal("APIGroupDiscoveryList", list["kind"]!.GetValue<string>());
            Assert.NotEmpty(list["items"]!.AsArray());
        }

        var legacy = await cluster.GetJsonAsync("/apis/apps/v1");
        Assert.Equal("APIResourceList", legacy["kind"]!.GetValue<string>());
        Assert.Contains(legacy["resources"]!.AsArray(), r => r!["name"]!.GetValue<string>() == "deployments");
    }

    [Fact]
    public async Task OpenApiV3_IndexPointsAtDocumentsWithFieldValidation()
    {
        var index = await cluster.GetJsonAsync("/openapi/v3");
        var url = index["paths"]!["api/v1"]!["serverRelativeURL"]!.GetValue<string>();
        var doc = await cluster.GetJsonAsync(url);
        var patch = doc["paths"]!["/api/v1/namespaces/{namespace}/pods/{name}"]!["patch"]!;
        Assert.Equal("Pod", patch["x-kubernetes-group-version-kind"]!["kind"]!.GetValue<string>());
        Assert.Contains(patch["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "fieldValidation");
    }

    [Fact]
    public async Task Watch_StreamsAddedModifiedDeleted()
    {
        var ns = await cluster.CreateNamespaceAsync("watch");
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        var created = JsonNode.Parse(await (await cluster.Http.PostAsync(path, ClusterFixture.Json("""{"metadata":{"name":"w"},"data":{"a":"1"}}"""))).Content.ReadAsStringAsync())!;
        var rv = created["metadata"]!["resourceVersion"]!.GetValue<string>();

        using var watchClient = cluster.CreateHttpClient(cluster.Admin);
        using var response = await watchClient.GetAsync($"{path}?watch=1&resourceVersion={rv}&timeoutSeconds=30", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        created["data"]!["a"] = "2";
        Assert.Equal(HttpStatusCode.OK, (await cluster.Http.PutAsync($"{path}/w", ClusterFixture.Json(created.ToJsonString()))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await cluster.Http.DeleteAsync($"{path}/w")).StatusCode);

        var modified = JsonNode.Parse((await reader.ReadLineAsync())!)!;
        Assert.Equal("MODIFIED", modified["type"]!.GetValue<string>());
        Assert.Equal("2", modified["object"]!["data"]!["a"]!.GetValue<string>());
        var deleted = JsonNode.Parse((await reader.ReadLineAsync())!)!;
        Assert.Equal("DELETED", deleted["type"]!.GetValue<string>());
        Assert.True(long.Parse(deleted["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>())
            > long.Parse(modified["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>()));
    }

    /// <summary>JSON sent in pieces without a length, as a streaming client sends it.</summary>
    private sealed class UnsizedJson : HttpContent
    {
        private readonly byte[] _bytes;

        public UnsizedJson(string json)
        {
            _bytes = Encoding.UTF8.GetBytes(json);
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (var at = 0; at < _bytes.Length; at += 16 * 1024)
            {
                await stream.WriteAsync(_bytes.AsMemory(at, Math.Min(16 * 1024, _bytes.Length - at)));
                await stream.FlushAsync();
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private sealed record StatusBody(int Code, string Reason, string Message, JsonNode Body);

    private static async Task<StatusBody> StatusOf(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        var body = JsonNode.Parse(text) ?? throw new InvalidOperationException("empty body");
        Assert.Equal("Status", body["kind"]?.GetValue<string>());
        Assert.Equal("v1", body["apiVersion"]?.GetValue<string>());
        Assert.Equal((int)response.StatusCode, body["code"]!.GetValue<int>());
        return new StatusBody(body["code"]!.GetValue<int>(), body["reason"]?.GetValue<string>() ?? "", body["message"]?.GetValue<string>() ?? "", body);
    }
}
