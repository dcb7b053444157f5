using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Foundation;

/// <summary>
/// Ten thousand malformed requests, generated from a fixed seed: bodies (truncated and invalid JSON,
/// YAML, protobuf, values of the wrong type, huge numbers, deep nesting, invalid UTF-8), paths, query
/// parameters and headers, on every verb and patch type. None may answer 500, and every error must be a
/// kube Status (kind Status, apiVersion v1, the HTTP code in its code field), as kube-apiserver answers.
/// Writes stay inside one namespace and names starting with "sweep-", since the cluster is shared.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class MalformedRequestSweepTests(ClusterFixture cluster)
{
    private const int Seed = 20261203;
    private const int Requests = 10_000;
    private const int Parallelism = 16;

    [Fact]
    public async Task TenThousandMalformedRequests_NeverAnswer500_AndEveryErrorIsAStatus()
    {
        var ns = await cluster.CreateNamespaceAsync("sweep");
        var generator = new SweepGenerator(new Random(Seed), ns);
        var requests = Enumerable.Range(0, Requests).Select(_ => generator.Next()).ToList();

        using var admin = cluster.CreateHttpClient(cluster.Admin, HttpVersion.Version20, Encoding.UTF8);
        using var anonymous = cluster.CreateHttpClient(null, HttpVersion.Version20, Encoding.UTF8);
        admin.Timeout = anonymous.Timeout = TimeSpan.FromSeconds(60);
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var codes = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        using var gate = new SemaphoreSlim(Parallelism);
        var started = DateTime.UtcNow;
        try
        {
            await Task.WhenAll(requests.Select(async (sweep, index) =>
            {
                await gate.WaitAsync();
                try
                {
                    var (code, problem) = await SendAsync(sweep.Anonymous ? anonymous : admin, sweep);
                    codes.AddOrUpdate(code, 1, (_, n) => n + 1);
                    if (problem is not null)
                    {
                        failures.Add($"#{index} {sweep}\n    -> {problem}");
                    }
                }
                finally
                {
                    gate.Release();
                }
            }));
        }
        finally
        {
            await CleanUpAsync(ns);
        }

        var elapsed = DateTime.UtcNow - started;
        var summary = string.Join(", ", codes.OrderBy(c => c.Key).Select(c => $"{c.Key}: {c.Value}"));
        // One example of each kind of failure (the answer's first words), most frequent first.
        var kinds = failures.GroupBy(f => Signature(f)).OrderByDescending(g => g.Count())
            .Select(g => $"[{g.Count()}x] {g.First()}");
        Assert.True(failures.IsEmpty,
            $"{failures.Count} of {Requests} requests broke the rules ({elapsed.TotalSeconds:F0} s; codes {summary}):\n"
            + string.Join("\n", kinds.Take(40)) + "\n--- server log tail\n" + ClusterFixture.Tail(cluster.Server.Log, 30));
        // The sweep must have exercised more than refusals: successes and each kind of client error.
        Assert.Contains(codes.Keys, c => c is 200 or 201);
        Assert.Contains(400, codes.Keys);
        Assert.Contains(404, codes.Keys);
        Assert.Contains(422, codes.Keys);
    }

    private static async Task<(int Code, string? Problem)> SendAsync(HttpClient http, SweepRequest sweep)
    {
        // The path goes out exactly as generated: no dot-segment resolution, no re-escaping.
        using var request = new HttpRequestMessage(new HttpMethod(sweep.Method), new Uri(http.BaseAddress!.GetLeftPart(UriPartial.Authority) + sweep.PathAndQuery,
            new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }));
        if (sweep.Body is not null)
        {
            request.Content = new ByteArrayContent(sweep.Body);
            if (sweep.ContentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", sweep.ContentType);
            }
        }

        foreach (var (name, value) in sweep.Headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, value);
            }
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        }
        catch (HttpRequestException) when (HasNulInPath(sweep) && request.Content is not null)
        {
            // The same Kestrel refusal (below) while the client is still sending a large body: Kestrel
            // answers 400 and closes the connection without reading the body, so the client's upload fails.
            return (400, null);
        }
        catch (HttpRequestException e)
        {
            return (0, "no answer: " + e.Message);
        }
        catch (TaskCanceledException)
        {
            return (0, "no answer within the client's timeout");
        }

        using (response)
        {
            var code = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync();
            if (code >= 500)
            {
                return (code, $"{code} {Shorten(body)}");
            }

            if (code < 400 || sweep.Method == "HEAD")
            {
                return (code, null);
            }

            // Kestrel refuses a NUL in the path (%00) itself, with a bare 400, before the server sees
            // the request; kube would route it and answer with a Status. A known, harmless difference.
            if (code == 400 && body.Length == 0 && HasNulInPath(sweep))
            {
                return (code, null);
            }

            return (code, StatusProblem(code, body, response.Content.Headers.ContentType?.MediaType));
        }
    }

    /// <summary>Why an error body is not kube's Status, or null when it is one.</summary>
    private static string? StatusProblem(int code, string body, string? mediaType)
    {
        if (mediaType == "application/yaml")
        {
            return body.Contains("kind: Status", StringComparison.Ordinal) && body.Contains($"code: {code}", StringComparison.Ordinal)
                ? null : $"{code} is not a YAML Status: {Shorten(body)}";
        }

        try
        {
            if (JsonNode.Parse(body) is JsonObject status && status["kind"]?.ToString() == "Status" && status["apiVersion"]?.ToString() == "v1"
                && status["code"] is JsonValue c && c.TryGetValue<int>(out var statusCode) && statusCode == code && status["status"]?.ToString() == "Failure")
            {
                return null;
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return $"{code} is not a Status ({mediaType}): {Shorten(body)}";
    }

    private static string Signature(string failure)
    {
        var answer = failure[(failure.IndexOf("-> ", StringComparison.Ordinal) + 3)..];
        var digits = new string(answer.Take(90).Select(c => char.IsDigit(c) ? '#' : c).ToArray());
        return digits;
    }

    private static bool HasNulInPath(SweepRequest sweep) => sweep.PathAndQuery.Split('?')[0].Contains("%00", StringComparison.Ordinal);

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "...";

    /// <summary>Removes what the sweep made: its namespace and the cluster-scoped objects named sweep-*.</summary>
    private async Task CleanUpAsync(string ns)
    {
        await cluster.Http.DeleteAsync($"/api/v1/namespaces/{ns}");
        foreach (var collection in SweepGenerator.ClusterCollections)
        {
            try
            {
                var list = await cluster.GetJsonAsync(collection);
                foreach (var item in list["items"]!.AsArray())
                {
                    var name = item!["metadata"]!["name"]!.GetValue<string>();
                    if (name.StartsWith("sweep-", StringComparison.Ordinal) && name != ns)
                    {
                        await cluster.Http.DeleteAsync($"{collection}/{Uri.EscapeDataString(name)}");
                    }
                }
            }
            catch (Exception)
            {
                // Best effort: a leftover sweep-* object harms no other test.
            }
        }
    }
}

/// <summary>One generated request: method, raw path and query, headers, body.</summary>
internal sealed record SweepRequest(string Method, string PathAndQuery, string? ContentType, byte[]? Body, IReadOnlyList<(string Name, string Value)> Headers, bool Anonymous)
{
    public override string ToString()
    {
        var body = Body is null ? "" : " body " + Preview(Body);
        var headers = Headers.Count == 0 ? "" : " headers " + string.Join("; ", Headers.Select(h => $"{h.Name}: {h.Value}"));
        return $"{Method} {PathAndQuery}{(ContentType is null ? "" : " [" + ContentType + "]")}{headers}{body}{(Anonymous ? " (anonymous)" : "")}";
    }

    private static string Preview(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 240));
        var printable = new string(text.Select(c => char.IsControl(c) && c != '\n' ? '·' : c).ToArray());
        return $"({body.Length} bytes) {printable}{(body.Length > 240 ? "..." : "")}";
    }
}

/// <summary>Generates the sweep's requests from a seeded Random: the same seed makes the same requests.</summary>
internal sealed class SweepGenerator(Random random, string ns)
{
    /// <summary>Cluster-scoped collections the sweep may create sweep-* objects in (none that changes other tests' cluster).</summary>
    public static readonly string[] ClusterCollections =
    [
        "/api/v1/namespaces", "/apis/rbac.authorization.k8s.io/v1/clusterroles", "/api/v1/persistentvolumes",
    ];

    private static readonly string[] JsonTypes = ["application/json", "application/json; charset=utf-8"];

    private static readonly string[] PatchTypes =
    [
        "application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml",
    ];

    private static readonly string[] OddContentTypes =
    [
        "text/plain", "application/xml", "multipart/form-data; boundary=x", ";;", "application/json; charset=utf-16", "application/json;charset=latin1",
        "application/json-patch+json", "application/apply-patch+yaml", "application/vnd.kubernetes.protobuf;stream=watch", "*/*", "application/",
        "application/yaml; q=0.5", "application/cbor", "application/json; charset=\"", "application/merge-patch+json; charset=utf-8",
    ];

    private static readonly string[] Accepts =
    [
        "application/json;as=Table;v=v1;g=meta.k8s.io", "application/json;as=Table;v=v1beta1;g=meta.k8s.io", "application/json;as=Table",
        "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io", "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io",
        "text/html", "*/*;q=0", "application/*;q=abc", "application/vnd.kubernetes.protobuf", "application/json;stream=watch", ",,,",
        "application/yaml", "application/yaml;as=Table;v=v1;g=meta.k8s.io", "application/json;pretty=1", "application/json;q=0.1, text/plain",
        "image/png", "application/json;as=APIGroupDiscoveryList;v=v2;g=apidiscovery.k8s.io", "application/cbor", "",
    ];

    private static readonly string[] QueryKeys =
    [
        "labelSelector", "fieldSelector", "resourceVersion", "resourceVersionMatch", "limit", "continue", "timeoutSeconds", "watch", "dryRun",
        "fieldManager", "fieldValidation", "force", "gracePeriodSeconds", "propagationPolicy", "orphanDependents", "pretty", "allowWatchBookmarks",
        "sendInitialEvents", "includeObject", "exact", "export", "%ff", "", "a%00b",
    ];

    private static readonly string[] QueryValues =
    [
        "", "-1", "0", "1", "2", "abc", "99999999999999999999999", "1.5", "true", "false", "%ff", "%C3%A9", "a+in+(", "a%3Db%2C", "!", "=", "a%3D%3Db%3D%3Dc",
        "metadata.name%3Dx%2Cspec.foo%3Dy", "~", new string('x', 3000), "All", "Strict", "Warn", "Ignore", "Foreground", "Orphan", "Background",
        "NotOlderThan", "Exact", "x%20notin%20(a,b)", "%00", "spec.nodeName%3D%3Dn", "status.phase!%3DRunning", "metadata.namespace%3D" + "x", "Object",
        "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOiJ4In0", "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6LTEsInN0YXJ0IjoiXHUwMDAwIn0",
    ];

    private static readonly string[] Names =
    [
        "sweep-a", "sweep-b", "missing", "Sweep-Upper", "sweep_under", "-sweep", "sweep.dot", "%2e%2e", "..", ".", "%00", "%ff", "sweep%2Fslash",
        new string('s', 300), "sweep-%C3%A9", "sweep-a%20b", "sweep:colon", "sweep-a?x=1",
    ];

    private static readonly string[] Subresources = ["status", "scale", "binding", "token", "eviction", "finalize", "approval", "log", "exec", "proxy", "ephemeralcontainers", "resize", "bogus"];

    private readonly record struct Target(string Collection, bool ClusterScoped, string Kind, string ApiVersion, JsonObject Sample);

    private Target[]? _targets;

    private Target[] Targets => _targets ??=
    [
        Namespaced("/api/v1", "pods", "Pod", "v1", """{"spec":{"containers":[{"name":"c","image":"nginx","ports":[{"containerPort":80}],"resources":{"limits":{"cpu":"1"}}}]}}"""),
        Namespaced("/api/v1", "configmaps", "ConfigMap", "v1", """{"data":{"k":"v"},"binaryData":{"b":"aGk="}}"""),
        Namespaced("/api/v1", "secrets", "Secret", "v1", """{"type":"Opaque","data":{"k":"djE="},"stringData":{"s":"x"}}"""),
        Namespaced("/api/v1", "services", "Service", "v1", """{"spec":{"ports":[{"port":80,"targetPort":"http"}],"selector":{"app":"x"},"type":"ClusterIP"}}"""),
        Namespaced("/api/v1", "serviceaccounts", "ServiceAccount", "v1", """{"automountServiceAccountToken":false}"""),
        Namespaced("/api/v1", "events", "Event", "v1", """{"involvedObject":{"kind":"Pod","name":"p"},"reason":"R","message":"m","count":1}"""),
        Namespaced("/api/v1", "persistentvolumeclaims", "PersistentVolumeClaim", "v1", """{"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}"""),
        Namespaced("/api/v1", "limitranges", "LimitRange", "v1", """{"spec":{"limits":[{"type":"Container","max":{"cpu":"100"}}]}}"""),
        Namespaced("/api/v1", "replicationcontrollers", "ReplicationController", "v1", """{"spec":{"replicas":1,"selector":{"a":"b"},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}"""),
        Namespaced("/apis/apps/v1", "deployments", "Deployment", "apps/v1", """{"spec":{"replicas":1,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}"""),
        Namespaced("/apis/apps/v1", "statefulsets", "StatefulSet", "apps/v1", """{"spec":{"serviceName":"s","selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}"""),
        Namespaced("/apis/batch/v1", "jobs", "Job", "batch/v1", """{"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"i"}]}}}}"""),
        Namespaced("/apis/batch/v1", "cronjobs", "CronJob", "batch/v1", """{"spec":{"schedule":"*/1 * * * *","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"i"}]}}}}}}"""),
        Namespaced("/apis/rbac.authorization.k8s.io/v1", "roles", "Role", "rbac.authorization.k8s.io/v1", """{"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]}"""),
        Namespaced("/apis/rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding", "rbac.authorization.k8s.io/v1", """{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r"},"subjects":[{"kind":"User","name":"u"}]}"""),
        Namespaced("/apis/coordination.k8s.io/v1", "leases", "Lease", "coordination.k8s.io/v1", """{"spec":{"holderIdentity":"h","leaseDurationSeconds":10,"renewTime":"2026-01-01T00:00:00.000000Z"}}"""),
        Namespaced("/apis/networking.k8s.io/v1", "networkpolicies", "NetworkPolicy", "networking.k8s.io/v1", """{"spec":{"podSelector":{},"ingress":[{"ports":[{"port":80}]}]}}"""),
        Namespaced("/apis/policy/v1", "poddisruptionbudgets", "PodDisruptionBudget", "policy/v1", """{"spec":{"minAvailable":1,"selector":{"matchLabels":{"a":"b"}}}}"""),
        Namespaced("/apis/autoscaling/v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", "autoscaling/v2", """{"spec":{"scaleTargetRef":{"kind":"Deployment","name":"d","apiVersion":"apps/v1"},"maxReplicas":3}}"""),
        Namespaced("/apis/discovery.k8s.io/v1", "endpointslices", "EndpointSlice", "discovery.k8s.io/v1", """{"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"]}]}"""),
        Cluster("/api/v1", "namespaces", "Namespace", "v1", """{"spec":{"finalizers":["kubernetes"]}}"""),
        Cluster("/apis/rbac.authorization.k8s.io/v1", "clusterroles", "ClusterRole", "rbac.authorization.k8s.io/v1", """{"rules":[{"nonResourceURLs":["/x"],"verbs":["get"]}]}"""),
        Cluster("/api/v1", "persistentvolumes", "PersistentVolume", "v1", """{"spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"],"hostPath":{"path":"/tmp"}}}"""),
    ];

    private Target Namespaced(string prefix, string plural, string kind, string apiVersion, string rest) =>
        new($"{prefix}/namespaces/{ns}/{plural}", false, kind, apiVersion, Sample(kind, apiVersion, rest));

    private static Target Cluster(string prefix, string plural, string kind, string apiVersion, string rest) =>
        new($"{prefix}/{plural}", true, kind, apiVersion, Sample(kind, apiVersion, rest));

    private static JsonObject Sample(string kind, string apiVersion, string rest)
    {
        var obj = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind, ["metadata"] = new JsonObject { ["name"] = "sweep-a", ["labels"] = new JsonObject { ["app"] = "x" } } };
        foreach (var (key, value) in JsonNode.Parse(rest)!.AsObject())
        {
            obj[key] = value?.DeepClone();
        }

        return obj;
    }

    public SweepRequest Next()
    {
        var roll = random.Next(100);
        return roll switch
        {
            < 45 => BodyRequest(),
            < 58 => PathRequest(),
            < 72 => QueryRequest(),
            < 82 => HeaderRequest(),
            < 92 => DeleteRequest(),
            _ => SubresourceRequest(),
        };
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private Target PickTarget() => Pick(Targets);

    private string Name() => random.Next(3) == 0 ? Pick(Names) : Pick(["sweep-a", "sweep-b"]);

    // ------------------------------------------------------------------ bodies

    private SweepRequest BodyRequest()
    {
        var target = PickTarget();
        var kind = random.Next(10);
        string method, path, contentType;
        if (kind < 4)
        {
            method = "POST";
            path = target.Collection;
            contentType = Pick(JsonTypes);
        }
        else if (kind < 6)
        {
            method = "PUT";
            path = $"{target.Collection}/{Name()}";
            contentType = Pick(JsonTypes);
        }
        else
        {
            method = "PATCH";
            path = $"{target.Collection}/{Name()}";
            contentType = Pick(PatchTypes);
        }

        var format = random.Next(10);
        byte[] body;
        if (method == "PATCH")
        {
            body = PatchBody(contentType, target);
            if (contentType.StartsWith("application/apply", StringComparison.Ordinal))
            {
                path += random.Next(2) == 0 ? "?fieldManager=sweep" : "?fieldManager=sweep&force=true";
            }
        }
        else if (format < 6)
        {
            body = MutatedJson(target.Sample);
        }
        else if (format < 8)
        {
            contentType = "application/yaml";
            body = MutatedYaml(target.Sample);
        }
        else if (format < 9)
        {
            contentType = "application/vnd.kubernetes.protobuf";
            body = MutatedProtobuf(target);
        }
        else
        {
            contentType = Pick(OddContentTypes);
            body = MutatedJson(target.Sample);
        }

        if (random.Next(4) == 0)
        {
            path += (path.Contains('?') ? "&" : "?") + RandomQuery();
        }

        return new SweepRequest(method, path, contentType, body, RandomHeaders(0.2), false);
    }

    private static readonly JsonNode?[] Replacements =
    [
        "str", 0, -1, 1.5, 2147483648, -9223372036854775809m, true, false, null, new JsonArray(), new JsonObject(), new JsonArray(1, "a", null),
        new JsonObject { ["a"] = new JsonObject() }, "", "\u00e9\u65e5", "1e400", "-0", new string('x', 70_000), "2026-13-45T99:99:99Z", "10Gi",
        "1000000000000000000000000000000000000000Ki", "0.000000001m", "-1Gi",
    ];

    private byte[] MutatedJson(JsonObject sample)
    {
        var obj = (JsonObject)sample.DeepClone();
        var text = random.Next(12) switch
        {
            0 => Truncate(obj.ToJsonString()),
            1 => ReplaceRandomValue(obj).ToJsonString(),
            2 => ReplaceRandomValue(ReplaceRandomValue(obj)).ToJsonString(),
            3 => AddWeirdField(obj).ToJsonString(),
            4 => InsertRaw(obj.ToJsonString(), HugeNumber()),
            5 => InsertRaw(obj.ToJsonString(), Nesting(random.Next(2) == 0 ? 150 : 1200)),
            6 => Pick(WholeBodies),
            7 => InsertRaw(obj.ToJsonString(), Pick(["\"\\ud800\"", "\"\\udc00x\"", "\"\\u0000\"", "\"\\uZZZZ\"", "\"\\x41\"", "'single'", "NaN", "Infinity", "-", "01", "1.", ".5", "1e", "[1,]", "{\"a\":1,}", "undefined", "\"a\"\"b\""])),
            8 => DuplicateKeys(obj.ToJsonString()),
            9 => obj.ToJsonString().Replace("\"metadata\"", Pick(["\"Metadata\"", "\"metadata\" ", "\"meta\\u0064ata\""]), StringComparison.Ordinal),
            10 or 11 => WeirdSameTypeValues(obj).ToJsonString(),
            _ => ReplaceRandomValue(obj).ToJsonString(),
        };
        var bytes = Encoding.UTF8.GetBytes(text);
        return random.Next(8) == 0 ? CorruptBytes(bytes) : bytes;
    }

    private static readonly string[] WholeBodies =
    [
        "", "null", "[]", "{}", "\"x\"", "42", "true", new string('{', 20_000), new string('[', 20_000) + new string(']', 20_000), " \n\t ", "\uFEFF{}",
        "{\"apiVersion\":\"v1\"}", "{\"kind\":\"Pod\",\"apiVersion\":\"v2\"}", "{\"kind\":\"Nope\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"sweep-z\"}}",
        "{\"metadata\":null}", "{\"metadata\":[]}", "{\"metadata\":\"x\"}", "{\"metadata\":{\"name\":null}}", "{\"metadata\":{\"name\":\"\"}}",
        "{\"metadata\":{\"name\":\"sweep-a\",\"namespace\":\"other\"}}", "{\"metadata\":{\"name\":\"sweep-a\",\"resourceVersion\":\"abc\"}}",
        "{\"metadata\":{\"name\":\"sweep-a\",\"resourceVersion\":\"99999999999999999999\"}}", "{\"metadata\":{\"generateName\":\"sweep-\",\"name\":\"\"}}",
        "{\"metadata\":{\"name\":\"sweep-a\",\"managedFields\":[{\"manager\":1}]}}", "{\"metadata\":{\"name\":\"sweep-a\",\"managedFields\":[{\"fieldsType\":\"FieldsV1\",\"fieldsV1\":\"x\"}]}}",
        "{\"metadata\":{\"name\":\"sweep-a\",\"ownerReferences\":[{}]}}", "{\"metadata\":{\"name\":\"sweep-a\",\"finalizers\":[\"\",\"a/b/c\"]}}",
        "{\"metadata\":{\"name\":\"sweep-a\",\"labels\":{\"\":\"\",\"a/b/c\":\"x\"},\"annotations\":{\"\":\"\"}}}",
        "{\"metadata\":{\"name\":\"sweep-a\",\"creationTimestamp\":\"yesterday\",\"deletionTimestamp\":1}}",
    ];

    private string Truncate(string text) => text[..random.Next(text.Length)];

    private string InsertRaw(string json, string raw)
    {
        // Replace the first value after a random colon with raw text.
        var colons = Enumerable.Range(0, json.Length).Where(i => json[i] == ':').ToList();
        if (colons.Count == 0)
        {
            return raw;
        }

        var at = Pick(colons) + 1;
        var end = at;
        var depth = 0;
        var inString = false;
        for (; end < json.Length; end++)
        {
            var c = json[end];
            if (inString)
            {
                if (c == '\\')
                {
                    end++;
                }
                else if (c == '"')
                {
                    inString = false;
                }

                continue;
            }

            if (c == '"')
            {
                inString = true;
            }
            else if (c is '{' or '[')
            {
                depth++;
            }
            else if (c is '}' or ']')
            {
                if (depth == 0)
                {
                    break;
                }

                depth--;
            }
            else if (c == ',' && depth == 0)
            {
                break;
            }
        }

        return json[..at] + raw + json[end..];
    }

    private string HugeNumber() => Pick(["1e400", "-1e400", "99999999999999999999999999999", "-9223372036854775809", "18446744073709551616", "1.7976931348623157e309",
        "0.0000000000000000000000000000001", "-0", "1E+2", "123456789012345678901234567890.5", "4294967296", "2147483648"]);

    private static string Nesting(int depth) => new string('[', depth) + new string(']', depth);

    private string DuplicateKeys(string json) => json.Replace("\"metadata\":{", "\"metadata\":{\"name\":\"sweep-dup\",", StringComparison.Ordinal)
        .Replace("{\"apiVersion\"", "{\"kind\":\"Dup\",\"apiVersion\"", StringComparison.Ordinal);

    private JsonObject ReplaceRandomValue(JsonObject obj)
    {
        var slots = new List<(JsonNode Parent, object Key)>();
        void Walk(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (key, value) in o)
                    {
                        slots.Add((o, key));
                        Walk(value);
                    }

                    break;
                case JsonArray a:
                    for (var i = 0; i < a.Count; i++)
                    {
                        slots.Add((a, i));
                        Walk(a[i]);
                    }

                    break;
            }
        }

        Walk(obj);
        var (parent, slot) = Pick(slots);
        var replacement = Pick(Replacements)?.DeepClone();
        if (parent is JsonObject po)
        {
            po[(string)slot] = replacement;
        }
        else
        {
            ((JsonArray)parent)[(int)slot] = replacement;
        }

        return obj;
    }

    private static readonly string[] WeirdStrings =
    [
        "", "Bogus", "-1", "1e400", "9999-99-99T99:99:99Z", "yesterday", "Ei", "1000000000000000000000Ei", "-5Gi", "0.5m", "*/0 * * * *", "@every",
        "a in (", "::1/999", "http://[::1", "10.0.0.300", "65536", "NaN", "\u00e9\u65e5", "a/b/c", "UPPER", new string('x', 300), "${VAR}", "0x10",
    ];

    /// <summary>Values of the right JSON type that kube's validation, defaulting, printers or selectors must still take apart.</summary>
    private JsonObject WeirdSameTypeValues(JsonObject obj)
    {
        var leaves = new List<(JsonNode Parent, object Key, JsonValue Value)>();
        void Walk(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (key, value) in o.ToList())
                    {
                        if (value is JsonValue v)
                        {
                            leaves.Add((o, key, v));
                        }

                        Walk(value);
                    }

                    break;
                case JsonArray a:
                    for (var i = 0; i < a.Count; i++)
                    {
                        if (a[i] is JsonValue v)
                        {
                            leaves.Add((a, i, v));
                        }

                        Walk(a[i]);
                    }

                    break;
            }
        }

        Walk(obj);
        for (var n = random.Next(1, 4); n > 0 && leaves.Count > 0; n--)
        {
            var (parent, key, value) = Pick(leaves);
            JsonNode replacement = value.GetValueKind() switch
            {
                System.Text.Json.JsonValueKind.String => Pick(WeirdStrings),
                System.Text.Json.JsonValueKind.Number => Pick(new JsonNode[] { -1, 0, 2147483647, -2147483648, 9007199254740993, 65536 }).DeepClone(),
                _ => !value.GetValue<bool>(),
            };
            if (parent is JsonObject po)
            {
                po[(string)key] = replacement;
            }
            else
            {
                ((JsonArray)parent)[(int)key] = replacement;
            }
        }

        // And weird names, labels and annotations of the right type.
        if (random.Next(3) == 0 && obj["metadata"] is JsonObject metadata)
        {
            metadata["labels"] = new JsonObject { [Pick(["a/b", "", "x" + new string('y', 70), "k8s.io/", "-a"])] = Pick(WeirdStrings) };
            metadata["annotations"] = new JsonObject { ["a"] = new string('v', random.Next(2) == 0 ? 10 : 300_000) };
        }

        return obj;
    }

    private JsonObject AddWeirdField(JsonObject obj)
    {
        var name = Pick(["x\u00e9", "\u65e5\u672c", "", " ", "a.b", "$patch", "tab\t", "nul\u0000", "\u202e", "\ufeff", new string('k', 5000), "metadata ", "\u00ff\u00fe"]);
        var targetObject = random.Next(3) switch
        {
            0 => obj,
            1 => obj["metadata"] as JsonObject ?? obj,
            _ => (obj["spec"] as JsonObject) ?? obj,
        };
        targetObject[name] = Pick(Replacements)?.DeepClone();
        return obj;
    }

    private byte[] CorruptBytes(byte[] bytes)
    {
        var copy = bytes.ToList();
        for (var n = random.Next(1, 4); n > 0 && copy.Count > 0; n--)
        {
            var at = random.Next(copy.Count);
            var bad = Pick(new byte[] { 0xFF, 0xC3, 0xE2, 0x80, 0xED, 0xF4, 0x00, 0xC0, 0xF8 });
            switch (random.Next(3))
            {
                case 0: copy[at] = bad; break;
                case 1: copy.Insert(at, bad); break;
                default: copy.RemoveAt(at); break;
            }
        }

        return [.. copy];
    }

    private byte[] MutatedYaml(JsonObject sample)
    {
        var yaml = ToYaml(sample, 0);
        var text = random.Next(10) switch
        {
            0 => Truncate(yaml),
            1 => yaml.Replace("  ", "\t", StringComparison.Ordinal),
            2 => "a: &a [1,2]\nb: *a\nc: *missing\n" + yaml,
            3 => yaml + "\n---\n" + yaml,
            4 => yaml.Replace("name: sweep-a", "name: " + Pick(["!!binary aGk=", "~", "[a, b]", "{a: b}", "1e400", ".inf", "0x1F", "'unterminated", "\"\\ud800\"", "? complex\n", "|\n  block", "*alias", "&anchor x"]), StringComparison.Ordinal),
            5 => new string('[', 2000) + new string(']', 2000),
            6 => "- just\n- a list\n",
            7 => yaml.Replace("metadata:", "metadata: !!str", StringComparison.Ordinal),
            8 => "metadata:\n  name: sweep-a\n  name: sweep-dup\n" + yaml,
            _ => yaml + "\n" + Pick(["x\u00e9: 1", "\"\\u0000\": 1", ": novalue", "- stray", "key: [unclosed", "%TAG ! tag:x,2000:", "...", "? ", "a: b: c"]),
        };
        var bytes = Encoding.UTF8.GetBytes(text);
        return random.Next(6) == 0 ? CorruptBytes(bytes) : bytes;
    }

    private static string ToYaml(JsonNode? node, int indent)
    {
        var pad = new string(' ', indent);
        switch (node)
        {
            case JsonObject o:
                var sb = new StringBuilder();
                foreach (var (key, value) in o)
                {
                    if (value is JsonObject { Count: > 0 } or JsonArray { Count: > 0 })
                    {
                        sb.Append(pad).Append(key).Append(":\n").Append(ToYaml(value, indent + 2));
                    }
                    else
                    {
                        sb.Append(pad).Append(key).Append(": ").Append(value?.ToJsonString() ?? "null").Append('\n');
                    }
                }

                return sb.ToString();
            case JsonArray a:
                var items = new StringBuilder();
                foreach (var item in a)
                {
                    items.Append(pad).Append("- ").Append(item is JsonObject or JsonArray ? "\n" + ToYaml(item, indent + 2) : (item?.ToJsonString() ?? "null") + "\n");
                }

                return items.ToString();
            default:
                return pad + (node?.ToJsonString() ?? "null") + "\n";
        }
    }

    /// <summary>A Kubernetes protobuf envelope (k8s\0, runtime.Unknown) around a small message, then damaged.</summary>
    private byte[] MutatedProtobuf(Target target)
    {
        var (apiVersion, kind) = (target.ApiVersion, target.Kind);
        var meta = Message(Field(1, Encoding.UTF8.GetBytes("sweep-p")));
        var inner = random.Next(2) == 0 ? Message(Field(1, meta)) : Message(Field(1, meta), Field(2, RandomBytes(random.Next(1, 40))));
        var typeMeta = Message(Field(1, Encoding.UTF8.GetBytes(apiVersion)), Field(2, Encoding.UTF8.GetBytes(kind)));
        var unknown = Message(Field(1, typeMeta), Field(2, inner));
        byte[] envelope = [.. "k8s\0"u8, .. unknown];
        return random.Next(8) switch
        {
            0 => envelope,
            1 => envelope[..random.Next(envelope.Length)],
            2 => [.. "k8s\0"u8, .. RandomBytes(random.Next(0, 64))],
            3 => RandomBytes(random.Next(0, 64)),
            4 => [.. "k8s\0"u8, 0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01],
            5 => [.. "k8s\0"u8, .. Message(Field(1, typeMeta), Field(2, [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]))],
            6 => [.. "k8s\0"u8, .. Message(Field(1, Message(Field(1, Encoding.UTF8.GetBytes("v1")), Field(2, Encoding.UTF8.GetBytes("Nope")))), Field(2, inner))],
            _ => CorruptBytes(envelope),
        };
    }

    private static byte[] Field(int number, byte[] bytes) => [.. Varint((ulong)(number << 3 | 2)), .. Varint((ulong)bytes.Length), .. bytes];

    private static byte[] Message(params byte[][] fields) => fields.SelectMany(f => f).ToArray();

    private static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value == 0 ? b : (byte)(b | 0x80));
        }
        while (value != 0);
        return [.. bytes];
    }

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private byte[] PatchBody(string contentType, Target target)
    {
        string text;
        if (contentType == "application/json-patch+json")
        {
            var op = Pick(["add", "remove", "replace", "move", "copy", "test", "bogus", ""]);
            var path = Pick(["/metadata/labels/x", "/metadata/labels", "/spec/containers/-", "/spec/containers/0/image", "/spec/containers/99999999999", "/spec/containers/-1",
                "/data/k", "/a~2b", "/~1", "", "/", "metadata", "/metadata/name", "/metadata/managedFields", "/spec/0", "/data/\u00e9", "/apiVersion", "/kind"]);
            var value = Pick(Replacements)?.ToJsonString() ?? "null";
            var opJson = random.Next(8) switch
            {
                0 => $"{{\"path\":\"{path}\",\"value\":{value}}}",
                1 => $"{{\"op\":\"{op}\",\"value\":{value}}}",
                2 => $"{{\"op\":\"move\",\"path\":\"{path}\"}}",
                3 => $"{{\"op\":\"copy\",\"from\":\"/nope\",\"path\":\"{path}\"}}",
                _ => $"{{\"op\":\"{op}\",\"path\":\"{path}\",\"value\":{value},\"from\":\"/metadata/labels\"}}",
            };
            text = random.Next(6) switch
            {
                0 => opJson,
                1 => "[" + string.Join(",", Enumerable.Repeat(opJson, random.Next(1, 5))) + "]",
                2 => "[]",
                3 => Truncate("[" + opJson + "]"),
                _ => "[" + opJson + "]",
            };
        }
        else if (contentType == "application/apply-patch+yaml")
        {
            var config = (JsonObject)target.Sample.DeepClone();
            switch (random.Next(6))
            {
                case 0: config.Remove("apiVersion"); break;
                case 1: config["kind"] = "Other"; break;
                case 2: ((JsonObject)config["metadata"]!)["managedFields"] = new JsonArray(new JsonObject()); break;
                case 3: ((JsonObject)config["metadata"]!)["namespace"] = "elsewhere"; break;
                default: ReplaceRandomValue(config); break;
            }

            return random.Next(2) == 0 ? MutatedJsonText(config.ToJsonString()) : MutatedYaml(config);
        }
        else
        {
            var fragment = random.Next(8) switch
            {
                0 => "{\"metadata\":{\"labels\":{\"x\":null}}}",
                1 => "{\"spec\":{\"containers\":[{\"name\":\"c\",\"$patch\":\"delete\"}]}}",
                2 => "{\"spec\":{\"$retainKeys\":[\"containers\"],\"containers\":[]}}",
                3 => "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"zz\"}],\"containers\":[{\"name\":\"zz\"}]}}",
                4 => "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"a\"],\"finalizers\":5}}",
                5 => "{\"$patch\":\"replace\",\"metadata\":{\"name\":\"sweep-a\"}}",
                6 => "{\"spec\":{\"containers\":{\"name\":\"c\"}},\"data\":[1]}",
                _ => ReplaceRandomValue((JsonObject)target.Sample.DeepClone()).ToJsonString(),
            };
            text = fragment;
        }

        return MutatedJsonText(text);
    }

    private byte[] MutatedJsonText(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(random.Next(5) == 0 ? Truncate(text) : text);
        return random.Next(6) == 0 ? CorruptBytes(bytes) : bytes;
    }

    // ------------------------------------------------------------------ paths, queries, headers

    private SweepRequest PathRequest()
    {
        var target = PickTarget();
        var path = random.Next(12) switch
        {
            0 => target.Collection + "/" + Name() + "/" + Name(),
            1 => target.Collection.Replace("/v1/", Pick(["/v2/", "/v1beta9/", "/V1/", "//", "/v1/%2e%2e/"]), StringComparison.Ordinal),
            2 => target.Collection + Pick(["/", "//", "/%2e%2e/secrets/s", "/./", "/../../../../etc/passwd", "/%00", "/%ff", "?"]),
            3 => $"/api/v1/namespaces/{Name()}/configmaps/{Name()}",
            4 => Pick(["/apis/nope/v1/things", "/apis/apps", "/apis/apps/v9", "/api/v2", "/apis//v1", "/apis/%2e%2e", "/openapi/v3/apis/nope/v1", "/openapi/v3/%ff",
                "/openapi/v2?x=%ff", "/version/extra", "/healthz/nope", "/livez/%ff", "/readyz?verbose=%ff&exclude=", "/metrics", "/logs", "/", "/api", "/apis",
                "/swagger-ui/%2e%2e/x", "/api/v1/namespaces/" + new string('n', 5000), "/api/v1/watch/namespaces/" + ns + "/configmaps?timeoutSeconds=1",
                "/api/v1/watch/namespaces/" + ns + "/configmaps/sweep-a/extra?timeoutSeconds=1", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/nope",
                "/api/v1/componentstatuses", "/apis/metrics.k8s.io/v1beta1/pods", "/.well-known/openid-configuration", "/openid/v1/jwks"]),
            5 => "/api/v1/namespaces/" + ns + "/" + Pick(["Pods", "pod", "po", "pods.", "pods%20", "pods/", "%70ods", "bindings", "componentstatuses"]),
            6 => target.Collection + "/" + Uri.EscapeDataString(Pick(["\u00e9", "\u65e5", "a b", "\ud83d\ude00", "x\u0000y"])),
            _ => target.Collection + "/" + Name(),
        };
        var method = Pick(["GET", "GET", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "FOO", "CONNECT"]);
        if (method == "CONNECT")
        {
            method = "PROPFIND";
        }

        // Never a collection delete outside the sweep's namespace: the cluster is shared.
        if (method == "DELETE" && target.ClusterScoped)
        {
            method = "GET";
        }

        byte[]? body = method is "POST" or "PUT" or "PATCH" ? Encoding.UTF8.GetBytes(target.Sample.ToJsonString()) : null;
        var contentType = method == "PATCH" ? "application/merge-patch+json" : body is null ? null : "application/json";
        return new SweepRequest(method, path, contentType, body, RandomHeaders(0.1), random.Next(30) == 0);
    }

    private string RandomQuery()
    {
        var parts = new List<(string Key, string Text)>();
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            var key = Pick(QueryKeys);
            parts.Add((key, random.Next(10) == 0 ? key : $"{key}={Pick(QueryValues)}"));
        }

        // A watch must end on its own: whatever else the query says, it times out after a second.
        if (parts.Any(p => p.Key == "watch"))
        {
            parts.RemoveAll(p => p.Key == "timeoutSeconds");
            parts.Add(("timeoutSeconds", "timeoutSeconds=1"));
        }

        return string.Join("&", parts.Select(p => p.Text));
    }

    private SweepRequest QueryRequest()
    {
        var target = PickTarget();
        var (method, path) = random.Next(6) switch
        {
            0 => ("GET", $"{target.Collection}/{Name()}"),
            1 => ("DELETE", target.ClusterScoped ? $"{target.Collection}/{Name()}" : target.Collection),
            2 => ("POST", target.Collection),
            _ => ("GET", target.Collection),
        };
        var query = RandomQuery();

        byte[]? body = method == "POST" ? Encoding.UTF8.GetBytes(target.Sample.ToJsonString().Replace("sweep-a", "sweep-q" + random.Next(50), StringComparison.Ordinal)) : null;
        var headers = RandomHeaders(0.2);
        if (method == "GET" && random.Next(3) == 0)
        {
            // kubectl get's Table, over whatever the sweep has managed to store.
            headers.Add(("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"));
            query += "&includeObject=" + Pick(["None", "Metadata", "Object", "Bogus"]);
        }

        return new SweepRequest(method, $"{path}?{query}", body is null ? null : "application/json", body, headers, random.Next(40) == 0);
    }

    private List<(string, string)> RandomHeaders(double chance)
    {
        var headers = new List<(string, string)>();
        if (random.NextDouble() >= chance)
        {
            return headers;
        }

        for (var n = random.Next(1, 3); n > 0; n--)
        {
            headers.Add(random.Next(9) switch
            {
                0 or 1 => ("Accept", Pick(Accepts)),
                2 => ("Authorization", Pick(["Bearer garbage", "Bearer ", "Basic Zm9vOmJhcg==", "Bearer eyJhbGciOiJub25lIn0.e30.", "Negotiate x", "Bearer " + new string('a', 2000)])),
                3 => ("Impersonate-User", Pick(["", "system:anonymous", "sweep-user", "\u00e9", "system:serviceaccount:x"])),
                4 => ("Impersonate-Group", Pick(["system:masters", "", "g"])),
                5 => ("Impersonate-Extra-%ff", "x"),
                6 => ("User-Agent", Pick(["curl/8.0", "Mozilla/5.0", "", "kubectl/v1.32.0 (linux/amd64) kubernetes/abc", "\u00e9"])),
                7 => ("Content-Encoding", Pick(["gzip", "br", "identity"])),
                _ => (Pick(["If-Match", "Expect", "X-Remote-User", "Impersonate-Uid", "Accept-Encoding", "Audit-Id"]), Pick(["*", "100-continue", "x", "\"etag\"", "gzip"])),
            });
        }

        return headers;
    }

    private SweepRequest HeaderRequest()
    {
        var target = PickTarget();
        var method = Pick(["GET", "GET", "POST", "PUT", "PATCH", "DELETE"]);
        var path = method == "POST" || (method == "GET" && random.Next(2) == 0) ? target.Collection : $"{target.Collection}/{Name()}";
        if (method == "DELETE" && !target.ClusterScoped && random.Next(3) == 0)
        {
            path = target.Collection;
        }

        var headers = RandomHeaders(1.0);
        byte[]? body = method is "POST" or "PUT" or "PATCH" ? MutatedJson(target.Sample) : null;
        var contentType = method == "PATCH" ? Pick(PatchTypes) : body is null ? null : Pick(OddContentTypes.Concat(JsonTypes).ToArray());
        return new SweepRequest(method, path, contentType, body, headers, random.Next(10) == 0);
    }

    private SweepRequest DeleteRequest()
    {
        var target = PickTarget();
        var path = target.ClusterScoped || random.Next(3) != 0 ? $"{target.Collection}/{Name()}" : target.Collection;
        var body = random.Next(8) switch
        {
            0 => null,
            1 => "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"propagationPolicy\":\"" + Pick(["Foreground", "Orphan", "Background", "Sideways", ""]) + "\"}",
            2 => "{\"gracePeriodSeconds\":" + Pick(["-1", "0", "\"5\"", "1e400", "99999999999999999999", "null", "[]"]) + "}",
            3 => "{\"preconditions\":{\"uid\":" + Pick(["\"x\"", "5", "null", "{}"]) + ",\"resourceVersion\":" + Pick(["\"1\"", "\"abc\"", "7"]) + "}}",
            4 => "{\"dryRun\":" + Pick(["[\"All\"]", "[\"Some\"]", "\"All\"", "[1]"]) + "}",
            5 => "{\"orphanDependents\":" + Pick(["true", "\"yes\"", "null"]) + ",\"propagationPolicy\":\"Orphan\"}",
            6 => Pick(WholeBodies),
            _ => "{\"kind\":\"Pod\",\"apiVersion\":\"v1\"}",
        };
        var bytes = body is null ? null : random.Next(6) == 0 ? CorruptBytes(Encoding.UTF8.GetBytes(body)) : Encoding.UTF8.GetBytes(body);
        var query = random.Next(3) == 0 ? "?" + RandomQuery() : "";
        return new SweepRequest("DELETE", path + query, bytes is null ? null : Pick(["application/json", "application/yaml", "text/plain"]), bytes, RandomHeaders(0.1), false);
    }

    private SweepRequest SubresourceRequest()
    {
        var target = PickTarget();
        var subresource = Pick(Subresources);
        var method = Pick(["GET", "PUT", "PATCH", "POST"]);
        var path = $"{target.Collection}/{Name()}/{subresource}";
        byte[]? body = method == "GET" ? null : subresource switch
        {
            "scale" => Encoding.UTF8.GetBytes(Pick(["{\"apiVersion\":\"autoscaling/v1\",\"kind\":\"Scale\",\"metadata\":{\"name\":\"sweep-a\"},\"spec\":{\"replicas\":-5}}",
                "{\"spec\":{\"replicas\":\"many\"}}", "{\"kind\":\"Deployment\"}", "{}", "[]", "{\"spec\":{\"replicas\":2147483648}}"])),
            "binding" => Encoding.UTF8.GetBytes(Pick(["{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":\"sweep-a\"},\"target\":{\"kind\":\"Node\",\"name\":\"n\"}}",
                "{\"target\":{}}", "{\"target\":\"n\"}", "{}"])),
            "token" => Encoding.UTF8.GetBytes(Pick(["{\"spec\":{\"audiences\":[\"a\"],\"expirationSeconds\":1}}", "{\"spec\":{\"expirationSeconds\":\"x\"}}",
                "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Pod\",\"name\":\"nope\"}}}", "{\"kind\":\"Pod\"}", "{}"])),
            "eviction" => Encoding.UTF8.GetBytes("{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"sweep-a\"}}"),
            _ => MutatedJson(target.Sample),
        };
        var contentType = method == "PATCH" ? Pick(PatchTypes) : body is null ? null : "application/json";
        if (method == "PATCH" && body is not null && contentType == "application/json-patch+json")
        {
            body = PatchBody(contentType, target);
        }

        return new SweepRequest(method, path, contentType, body, RandomHeaders(0.1), false);
    }
}
