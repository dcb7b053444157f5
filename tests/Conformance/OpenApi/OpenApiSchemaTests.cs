using System.Net.Http.Headers;
using Conformance.Infrastructure;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Conformance.OpenApi;

/// <summary>OpenAPI v3 and v2 built from the schema facts, and kubectl explain over them.</summary>
[Collection(ClusterCollection.Name)]
public sealed class OpenApiSchemaTests(ClusterFixture cluster)
{
    [Fact]
    public async Task KubectlExplain_PodSpecContainers()
    {
        var output = await cluster.KubectlOkAsync("explain", "pod.spec.containers");
        Assert.Contains("KIND:       Pod", output);
        Assert.Contains("FIELD: containers <[]Container>", output);
        Assert.Contains("  image\t<string>", output);
        Assert.Contains("  ports\t<[]ContainerPort>", output);
        Assert.Contains("  name\t<string> -required-", output);
    }

    [Fact]
    public async Task KubectlExplain_DeploymentSpecRecursive_AndTheV2Path()
    {
        var output = await cluster.KubectlOkAsync("explain", "deployment.spec", "--recursive");
        Assert.Contains("GROUP:      apps", output);
        Assert.Contains("  selector\t<LabelSelector> -required-", output);
        Assert.Contains("      maxSurge\t<IntOrString>", output);
        Assert.Contains("      containers\t<[]Container> -required-", output);

        // kubectl's older path reads /openapi/v2 in protobuf.
        var v2 = await cluster.KubectlOkAsync("explain", "deployment.spec.strategy", "--output=plaintext-openapiv2");
        Assert.Contains("RESOURCE: strategy <Object>", v2);
        Assert.Contains("rollingUpdate\t<Object>", v2);
    }

    [Fact]
    public async Task V3Documents_ParseWithMicrosoftOpenApi_AndCarryTheKindsSchemas()
    {
        var index = await cluster.GetJsonAsync("/openapi/v3");
        foreach (var key in new[] { "api/v1", "apis/apps/v1", "apis/rbac.authorization.k8s.io/v1" })
        {
            var url = index["paths"]![key]!["serverRelativeURL"]!.GetValue<string>();
            using var response = await cluster.Http.GetAsync(url);
            var text = await response.Content.ReadAsStringAsync();
            var result = OpenApiDocument.Parse(text, "json", new OpenApiReaderSettings());
            Assert.True(result.Diagnostic is null || result.Diagnostic.Errors.Count == 0,
                $"{key}: " + string.Join("; ", result.Diagnostic?.Errors.Select(e => e.ToString()) ?? []));
            Assert.NotNull(result.Document);
            Assert.NotEmpty(result.Document!.Components!.Schemas!);
        }

        var apps = await cluster.GetJsonAsync("/openapi/v3/apis/apps/v1");
        var deployment = apps["components"]!["schemas"]!["io.k8s.api.apps.v1.Deployment"]!;
        Assert.Equal("Deployment", deployment["x-kubernetes-group-version-kind"]![0]!["kind"]!.GetValue<string>());
        var containers = apps["components"]!["schemas"]!["io.k8s.api.core.v1.PodSpec"]!["properties"]!["containers"]!;
        Assert.Equal("name", containers["x-kubernetes-patch-merge-key"]!.GetValue<string>());
        Assert.Equal("#/components/schemas/io.k8s.api.core.v1.Container", containers["items"]!["$ref"]!.GetValue<string>());
    }

    [Fact]
    public async Task V2_IsJsonOrGnosticProtobuf()
    {
        var json = await cluster.GetJsonAsync("/openapi/v2");
        Assert.Equal("2.0", json["swagger"]!.GetValue<string>());
        Assert.NotNull(json["definitions"]!["io.k8s.api.core.v1.Pod"]);
        Assert.NotNull(json["paths"]!["/api/v1/namespaces/{namespace}/pods/{name}"]);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v2");
        // client-go's spelling, which .NET's typed headers refuse to parse.
        request.Headers.TryAddWithoutValidation("Accept", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf");
        using var response = await cluster.Http.SendAsync(request);
        Assert.Equal("application/com.github.proto-openapi.spec.v2.v1.0+protobuf", response.Content.Headers.ContentType!.MediaType);
        var document = ApiServer.OpenApi.Wire.Document.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("2.0", document.Swagger);
        Assert.Contains(document.Definitions.AdditionalProperties, p => p.Name == "io.k8s.api.apps.v1.Deployment");
        Assert.Contains(document.Paths.Path, p => p.Name == "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale");

        // The same bytes again are not modified.
        using var again = new HttpRequestMessage(HttpMethod.Get, "/openapi/v2");
        again.Headers.IfNoneMatch.Add(new EntityTagHeaderValue(response.Headers.ETag!.Tag));
        using var notModified = await cluster.Http.SendAsync(again);
        Assert.Equal(System.Net.HttpStatusCode.NotModified, notModified.StatusCode);
    }
}
