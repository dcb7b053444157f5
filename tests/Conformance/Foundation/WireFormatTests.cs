using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Foundation;

/// <summary>
/// The bytes of kube-apiserver's answers: the newline its JSON encoder writes after every value,
/// pretty-printing as its negotiation decides it, UTF-8 in Warning headers, and request bodies with
/// invalid UTF-8 or lone surrogate escapes read as Go reads them.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class WireFormatTests(ClusterFixture cluster)
{
    private static async Task<(HttpStatusCode Code, string Body)> SendAsync(HttpClient http, HttpMethod method, string path, string? json = null, string? contentType = null, string? accept = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType ?? "application/json");
        }

        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task JsonAnswers_EndWithOneNewline_AndWatchEventsAreOnePerLine()
    {
        var ns = await cluster.CreateNamespaceAsync("newline");
        var http = cluster.Http;
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        var answers = new List<(string What, HttpStatusCode Code, string Body)>();
        async Task Record(string what, HttpMethod method, string url, string? json = null, string? contentType = null, string? accept = null)
        {
            var (code, body) = await SendAsync(http, method, url, json, contentType, accept);
            answers.Add((what, code, body));
        }

        await Record("create", HttpMethod.Post, path, """{"metadata":{"name":"a"},"data":{"k":"v"}}""");
        await Record("get", HttpMethod.Get, $"{path}/a");
        await Record("get from the cache", HttpMethod.Get, $"{path}/a?resourceVersion=0");
        await Record("list", HttpMethod.Get, path);
        await Record("list from etcd", HttpMethod.Get, $"{path}?limit=1");
        await Record("update", HttpMethod.Put, $"{path}/a", """{"metadata":{"name":"a"},"data":{"k":"w"}}""");
        await Record("patch", HttpMethod.Patch, $"{path}/a", """{"data":{"k":"x"}}""", "application/merge-patch+json");
        await Record("table", HttpMethod.Get, path, accept: "application/json;as=Table;v=v1;g=meta.k8s.io");
        await Record("not found", HttpMethod.Get, $"{path}/missing");
        await Record("bad request", HttpMethod.Post, path, "{not json");
        await Record("discovery", HttpMethod.Get, "/api/v1");
        await Record("delete", HttpMethod.Delete, $"{path}/a");
        foreach (var (what, code, body) in answers)
        {
            Assert.True(body.EndsWith("}\n", StringComparison.Ordinal) && !body.EndsWith("\n\n", StringComparison.Ordinal),
                $"{what} ({(int)code}) does not end with one newline: {body}");
            Assert.NotNull(JsonNode.Parse(body));
        }

        // A watch stays one event per line.
        var watched = await SendAsync(http, HttpMethod.Get, $"{path}?watch=1&timeoutSeconds=1&resourceVersion=0&allowWatchBookmarks=false");
        await Record("create b", HttpMethod.Post, path, """{"metadata":{"name":"b"}}""");
        var lines = (await SendAsync(http, HttpMethod.Get, $"{path}?watch=1&timeoutSeconds=1")).Body.Split('\n');
        Assert.Equal("", lines[^1]);
        Assert.Equal("ADDED", JsonNode.Parse(lines[0])!["type"]!.GetValue<string>());
        Assert.All(lines[..^1], line => Assert.NotNull(JsonNode.Parse(line)));
        Assert.Equal(HttpStatusCode.OK, watched.Code);
    }

    [Fact]
    public async Task PrettyOutput_AsKubesNegotiationDecides()
    {
        var ns = await cluster.CreateNamespaceAsync("pretty");
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        Assert.Equal(HttpStatusCode.Created, (await cluster.Http.PostAsync(path, ClusterFixture.Json("""{"metadata":{"name":"a"},"data":{"k":"v<>&"}}"""))).StatusCode);
        var indentedPrefix = $$"""
            {
              "kind": "ConfigMap",
              "apiVersion": "v1",
              "metadata": {
                "name": "a",
                "namespace": "{{ns}}",
            """;

        // ?pretty=true: indented by two spaces as json.MarshalIndent writes it, without a trailing newline.
        var (code, body) = await SendAsync(cluster.Http, HttpMethod.Get, $"{path}/a?pretty=true");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.StartsWith(indentedPrefix, body);
        Assert.EndsWith("\n  \"data\": {\n    \"k\": \"v\\u003c\\u003e\\u0026\"\n  }\n}", body);

        // curl is a "human" client: pretty unless it says pretty=false.
        var curl = await cluster.CurlAsync(cluster.Admin, $"{cluster.ServerUrl}{path}/a");
        Assert.StartsWith(indentedPrefix, curl.StdOut);
        var compact = await cluster.CurlAsync(cluster.Admin, $"{cluster.ServerUrl}{path}/a?pretty=false");
        Assert.StartsWith("{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",", compact.StdOut);
        Assert.EndsWith("}\n", compact.StdOut);

        // Errors, lists and the Accept parameter pretty=1 too.
        var missing = await cluster.CurlAsync(cluster.Admin, $"{cluster.ServerUrl}{path}/missing");
        Assert.StartsWith("{\n  \"kind\": \"Status\",\n  \"apiVersion\": \"v1\",\n  \"metadata\": {},\n  \"status\": \"Failure\",", missing.StdOut);
        var list = await SendAsync(cluster.Http, HttpMethod.Get, path, accept: "application/json;pretty=1");
        Assert.StartsWith("{\n  \"kind\": \"ConfigMapList\",\n  \"apiVersion\": \"v1\",\n  \"metadata\": {\n    \"resourceVersion\": ", list.Body);
        Assert.Contains("\n  \"items\": [\n    {\n      \"kind\": \"ConfigMap\"", list.Body);

        // /version is always indented (kube's WriteRawJSON), without a newline.
        var version = await SendAsync(cluster.Http, HttpMethod.Get, "/version");
        Assert.StartsWith("{\n  \"major\": \"1\",\n  \"minor\": ", version.Body);
        Assert.EndsWith("\"\n}", version.Body);
    }

    [Fact]
    public async Task UnknownNonAsciiFields_AreWarnedAboutInUtf8()
    {
        var ns = await cluster.CreateNamespaceAsync("warn-utf8");
        var result = await cluster.KubectlWithInputAsync("""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: accents
            xé: 1
            data:
              k: v
            """, "create", "--validate=warn", "-n", ns, "-f", "-");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Warning: unknown field \"xé\"", result.StdErr);

        // The same through curl, which shows the header's bytes as they are (Go's %q keeps printable
        // Unicode, escapes control characters).
        var curl = await cluster.CurlAsync(cluster.Admin, "--http1.1", "-D", "-", "-o", "/dev/null", "-X", "POST", "-H", "Content-Type: application/json",
            $"{cluster.ServerUrl}/api/v1/namespaces/{ns}/configmaps", "--data-binary", """{"metadata":{"name":"c2"},"日本":1,"tab\u0009":2}""");
        Assert.Contains("HTTP/1.1 201", curl.StdOut);
        Assert.Contains("Warning: 299 - \"unknown field \\\"日本\\\"\"", curl.StdOut);
        Assert.Contains("Warning: 299 - \"unknown field \\\"tab\\\\t\\\"\"", curl.StdOut);
    }

    [Fact]
    public async Task InvalidUtf8_AndLoneSurrogates_AreReadAsGoReadsThem_OnEveryWrite()
    {
        var ns = await cluster.CreateNamespaceAsync("utf8");
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        // Warning headers carry UTF-8, as Go's net/http writes them.
        using var http = cluster.CreateHttpClient(cluster.Admin, headerEncoding: Encoding.UTF8);
        async Task<(HttpStatusCode Code, JsonObject Body, HttpResponseMessage Response)> Send(HttpMethod method, string url, byte[] body, string contentType = "application/json")
        {
            using var request = new HttpRequestMessage(method, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, (JsonObject)JsonNode.Parse(text)!, response);
        }

        // The JSON as written, with <BAD> standing for the given invalid bytes.
        static byte[] Bytes(string json, params byte[] bad)
        {
            var parts = json.Split("<BAD>");
            return [.. Encoding.UTF8.GetBytes(parts[0]), .. bad, .. Encoding.UTF8.GetBytes(parts[1])];
        }

        // A name with an invalid byte: U+FFFD makes it an invalid name, 422 as kube answers.
        var badName = await Send(HttpMethod.Post, path, Bytes("""{"metadata":{"name":"a<BAD>b"}}""", 0xFF));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badName.Code);
        Assert.Contains("a\uFFFDb", badName.Body["message"]!.GetValue<string>());

        // A field name with an invalid byte is an unknown field: dropped, 201, a warning naming it.
        var badField = await Send(HttpMethod.Post, path, Bytes("""{"metadata":{"name":"f"},"x<BAD>":1,"data":{"k":"v"}}""", 0xC3));
        Assert.Equal(HttpStatusCode.Created, badField.Code);
        Assert.Equal("unknown field \"x\uFFFD\"", Warnings(badField.Response).Single());

        // Invalid bytes in a value and a lone surrogate escape: U+FFFD each, 201.
        var created = await Send(HttpMethod.Post, path, Bytes("""{"metadata":{"name":"s"},"data":{"lone":"\ud800","bad":"x<BAD>","pair":"\ud83d\ude00"}}""", 0xE2, 0x82));
        Assert.Equal(HttpStatusCode.Created, created.Code);
        Assert.Equal("\uFFFD", created.Body["data"]!["lone"]!.GetValue<string>());
        Assert.Equal("x\uFFFD\uFFFD", created.Body["data"]!["bad"]!.GetValue<string>());
        Assert.Equal("😀", created.Body["data"]!["pair"]!.GetValue<string>());

        // Update and every patch type read their bodies the same way.
        var updated = await Send(HttpMethod.Put, $"{path}/s", Bytes("""{"metadata":{"name":"s"},"data":{"u":"\udc00<BAD>"}}""", 0x80));
        Assert.Equal(HttpStatusCode.OK, updated.Code);
        Assert.Equal("\uFFFD\uFFFD", updated.Body["data"]!["u"]!.GetValue<string>());
        var patches = new (string Type, byte[] Body)[]
        {
            ("application/json-patch+json", Bytes("""[{"op":"add","path":"/data/j","value":"\ud800<BAD>"}]""", 0xFF)),
            ("application/merge-patch+json", Bytes("""{"data":{"m":"\ud800<BAD>"}}""", 0xFF)),
            ("application/strategic-merge-patch+json", Bytes("""{"data":{"s":"\ud800<BAD>"}}""", 0xFF)),
        };
        foreach (var (type, body) in patches)
        {
            var url = $"{path}/s" + (type.StartsWith("application/apply", StringComparison.Ordinal) ? "?fieldManager=utf8&force=true" : "");
            var patched = await Send(HttpMethod.Patch, url, body, type);
            Assert.True(patched.Code == HttpStatusCode.OK, $"{type}: {(int)patched.Code} {patched.Body.ToJsonString()}");
            Assert.Contains(patched.Body["data"]!.AsObject(), p => p.Value!.GetValue<string>() == "\uFFFD\uFFFD");
        }

        // An apply configuration is YAML, which go-yaml reads only as valid UTF-8: 400, as kube answers.
        var apply = await Send(HttpMethod.Patch, $"{path}/s?fieldManager=utf8", Bytes("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"s"},"data":{"a":"<BAD>"}}""", 0xFF), "application/apply-patch+yaml");
        Assert.Equal(HttpStatusCode.BadRequest, apply.Code);
        Assert.Equal("error converting YAML to JSON: yaml: invalid leading UTF-8 octet", apply.Body["message"]!.GetValue<string>());
    }

    private static IEnumerable<string> Warnings(HttpResponseMessage response)
    {
        return response.Headers.TryGetValues("Warning", out var values)
            ? values.Select(v => v["299 - \"".Length..^1].Replace("\\\"", "\"").Replace("\\\\", "\\"))
            : [];
    }
}
