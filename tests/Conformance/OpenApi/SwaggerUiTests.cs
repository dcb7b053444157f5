using System.Net;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.OpenApi;

/// <summary>The browsable API page: Swagger UI over the server's own OpenAPI documents, behind authentication.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SwaggerUiTests(ClusterFixture cluster)
{
    [Fact]
    public async Task SwaggerUi_ServesItsPage_ListingTheGroupVersionDocuments()
    {
        using var page = await cluster.Http.GetAsync("/swagger-ui/index.html");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("swagger-ui", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);

        // The page loads its document list from its config; each entry is one of our /openapi/v3 documents.
        using var config = await cluster.Http.GetAsync("/swagger-ui/index.js");
        Assert.Equal(HttpStatusCode.OK, config.StatusCode);
        var script = await config.Content.ReadAsStringAsync();
        Assert.Contains("/openapi/v3/api/v1", script, StringComparison.Ordinal);
        Assert.Contains("/openapi/v3/apis/apps/v1", script, StringComparison.Ordinal);
        var document = await cluster.GetJsonAsync("/openapi/v3/apis/apps/v1");
        Assert.NotNull(document["paths"]);
    }

    [Fact]
    public async Task SwaggerUi_WithoutCredentials_IsForbiddenWithAStatus()
    {
        // Anonymous requests reach authorization (the cluster runs RBAC), which grants them no page.
        using var anonymous = cluster.CreateHttpClient(null);
        using var response = await anonymous.GetAsync("/swagger-ui/index.html");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("Status", status["kind"]!.GetValue<string>());
        Assert.Equal(403, status["code"]!.GetValue<int>());
        Assert.Equal("forbidden: User \"system:anonymous\" cannot get path \"/swagger-ui/index.html\"", status["message"]!.GetValue<string>());
    }
}
