using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Writes;

/// <summary>
/// dryRun=All on every write verb (issue: schemas and the writes that need them): the answer is
/// what would have been stored, and nothing is: the stored object and its resourceVersion stay.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class DryRunTests(ClusterFixture cluster)
{
    private async Task<(HttpStatusCode Code, JsonNode? Body)> SendAsync(HttpMethod method, string path, string? body = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }

        using var response = await cluster.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null);
    }

    [Fact]
    public async Task EveryWriteVerb_AnswersTheResult_AndStoresNothing()
    {
        var ns = await cluster.CreateNamespaceAsync("dry");
        var configMaps = $"/api/v1/namespaces/{ns}/configmaps";
        var (code, created) = await SendAsync(HttpMethod.Post, configMaps,
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kept","labels":{"dry":"yes"}},"data":{"k":"original"}}""");
        Assert.Equal(HttpStatusCode.Created, code);
        var version = created!["metadata"]!["resourceVersion"]!.GetValue<string>();

        async Task AssertUnchangedAsync(string step)
        {
            var stored = await cluster.GetJsonAsync(configMaps + "/kept");
            Assert.True(version == stored["metadata"]!["resourceVersion"]!.GetValue<string>(), $"{step} changed the stored object");
            Assert.Equal("original", stored["data"]!["k"]!.GetValue<string>());
        }

        // create
        (code, var answer) = await SendAsync(HttpMethod.Post, configMaps + "?dryRun=All",
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"never"},"data":{"k":"v"}}""");
        Assert.Equal(HttpStatusCode.Created, code);
        Assert.Equal("never", answer!["metadata"]!["name"]!.GetValue<string>());
        Assert.NotNull(answer["metadata"]!["uid"]);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, configMaps + "/never")).Code);

        // update
        var replaced = (JsonObject)created.DeepClone();
        replaced["data"]!["k"] = "replaced";
        (code, answer) = await SendAsync(HttpMethod.Put, configMaps + "/kept?dryRun=All", replaced.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("replaced", answer!["data"]!["k"]!.GetValue<string>());
        await AssertUnchangedAsync("PUT");

        // every patch type, apply included
        foreach (var (type, patch) in new[]
        {
            ("application/merge-patch+json", """{"data":{"k":"patched"}}"""),
            ("application/strategic-merge-patch+json", """{"data":{"k":"patched"}}"""),
            ("application/json-patch+json", """[{"op":"replace","path":"/data/k","value":"patched"}]"""),
            ("application/apply-patch+yaml", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kept"},"data":{"k":"patched"}}"""),
        })
        {
            var query = type.Contains("apply") ? "?dryRun=All&fieldManager=dry&force=true" : "?dryRun=All";
            (code, answer) = await SendAsync(HttpMethod.Patch, configMaps + "/kept" + query, patch, type);

            Assert.True(code == HttpStatusCode.OK, $"{type}: {code} {answer}");
            Assert.Equal("patched", answer!["data"]!["k"]!.GetValue<string>());
            await AssertUnchangedAsync(type);
        }

        // delete and deletecollection
        (code, _) = await SendAsync(HttpMethod.Delete, configMaps + "/kept?dryRun=All");
        Assert.Equal(HttpStatusCode.OK, code);
        await AssertUnchangedAsync("DELETE");
        (code, _) = await SendAsync(HttpMethod.Delete, configMaps + "?dryRun=All&labelSelector=dry%3Dyes");
        Assert.Equal(HttpStatusCode.OK, code);
        await AssertUnchangedAsync("DELETE collection");

        // kubectl says it was a server dry run
        var deleted = await cluster.KubectlOkAsync("delete", "configmap", "kept", "-n", ns, "--dry-run=server");
        Assert.Contains("configmap \"kept\" deleted (server dry run)", deleted);
        await AssertUnchangedAsync("kubectl delete");
    }

    [Fact]
    public async Task Subresources_StatusAndScale_StoreNothing()
    {
        var ns = await cluster.CreateNamespaceAsync("dry-sub");
        await cluster.KubectlOkAsync("create", "deployment", "web", "-n", ns, "--image=nginx:1.27", "--replicas=2");
        var path = $"/apis/apps/v1/namespaces/{ns}/deployments/web";
        var before = await cluster.GetJsonAsync(path);

        var (code, answer) = await SendAsync(HttpMethod.Patch, path + "/status?dryRun=All", """{"status":{"observedGeneration":7}}""", "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(7, answer!["status"]!["observedGeneration"]!.GetValue<int>());

        (code, answer) = await SendAsync(HttpMethod.Patch, path + "/scale?dryRun=All", """{"spec":{"replicas":5}}""", "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(5, answer!["spec"]!["replicas"]!.GetValue<int>());

        var scaled = await cluster.KubectlOkAsync("scale", "deployment", "web", "-n", ns, "--replicas=4", "--dry-run=server");
        Assert.Contains("deployment.apps/web scaled (server dry run)", scaled);

        var after = await cluster.GetJsonAsync(path);
        Assert.Equal(before["metadata"]!["resourceVersion"]!.GetValue<string>(), after["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal(2, after["spec"]!["replicas"]!.GetValue<int>());
        Assert.Null(after["status"]?["observedGeneration"]);
    }
}
