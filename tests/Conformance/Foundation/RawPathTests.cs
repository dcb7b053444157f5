using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Foundation;

/// <summary>
/// Requests are routed on the path the client sent, as kube-apiserver routes on Go's URL.Path: escapes
/// decoded, dot segments kept. A dot segment, literal or encoded, never walks to another object (issue
/// 14 item 19: <c>configmaps/%2e%2e/secrets/s</c> used to read the secret). curl --path-as-is sends the
/// path untouched.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RawPathTests(ClusterFixture cluster)
{
    private async Task<string> NamespaceWithSecretAsync()
    {
        var ns = await cluster.CreateNamespaceAsync("rawpath");
        await cluster.KubectlOkAsync("create", "secret", "generic", "s", "-n", ns, "--from-literal=password=hunter2");
        await cluster.KubectlOkAsync("create", "configmap", "cm", "-n", ns, "--from-literal=k=v");
        return ns;
    }

    private async Task<(int Code, JsonNode? Body, string Text)> GetAsIsAsync(string path)
    {
        var result = await cluster.CurlAsync(cluster.Admin, "--path-as-is", $"{cluster.ServerUrl}{path}", "-w", "\n%{http_code}");
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.StdOut.TrimEnd().Split('\n');
        var body = string.Join('\n', lines[..^1]);
        return (int.Parse(lines[^1], System.Globalization.CultureInfo.InvariantCulture), body.StartsWith('{') ? JsonNode.Parse(body) : null, body);
    }

    [Theory]
    [InlineData("%2e%2e")]
    [InlineData("%2E%2E")]
    [InlineData("..")]
    public async Task DotSegmentAfterAResource_IsNotFound_AndNeverReadsTheSecret(string dots)
    {
        var ns = await NamespaceWithSecretAsync();
        var (code, body, text) = await GetAsIsAsync($"/api/v1/namespaces/{ns}/configmaps/{dots}/secrets/s");
        Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
        Assert.DoesNotContain("aHVudGVyMg", text, StringComparison.Ordinal); // hunter2 in base64
        Assert.Equal(404, code);
        Assert.Equal("Status", body?["kind"]?.GetValue<string>());
        Assert.Equal("NotFound", body?["reason"]?.GetValue<string>());
    }

    [Theory]
    [InlineData("%2e%2e", "..")]
    [InlineData("..", "..")]
    [InlineData("%2e", ".")]
    public async Task DotSegmentAsAName_IsABadName_NotTheParent(string segment, string name)
    {
        // /namespaces/{ns}/configmaps/.. used to be /namespaces/{ns}: the namespace itself.
        var ns = await NamespaceWithSecretAsync();
        var (code, body, _) = await GetAsIsAsync($"/api/v1/namespaces/{ns}/configmaps/{segment}");
        Assert.Equal(400, code);
        Assert.Equal("BadRequest", body?["reason"]?.GetValue<string>());
        Assert.Equal($"Name parameter invalid: \"{name}\": may not be '{name}'", body?["message"]?.GetValue<string>());
    }

    [Fact]
    public async Task EncodedCharacters_AreDecodedBeforeRouting()
    {
        var ns = await NamespaceWithSecretAsync();
        var (code, body, _) = await GetAsIsAsync($"/api/v1/namespaces/{ns}/config%6Daps/c%6D");
        Assert.Equal(200, code);
        Assert.Equal("cm", body?["metadata"]?["name"]?.GetValue<string>());
    }

    [Fact]
    public async Task DotSegmentsOutsideTheApi_DoNotReachIt()
    {
        // /healthz/../api/v1/secrets is a health check named "../api/v1/secrets", not a list of secrets.
        await NamespaceWithSecretAsync();
        var result = await cluster.CurlAsync(cluster.Admin, "--path-as-is", $"{cluster.ServerUrl}/healthz/../api/v1/secrets", "-w", "\n%{http_code}");
        Assert.Equal("404", result.StdOut.TrimEnd().Split('\n')[^1]);
        Assert.DoesNotContain("SecretList", result.StdOut, StringComparison.Ordinal);
    }
}
