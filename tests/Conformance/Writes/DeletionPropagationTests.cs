using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Writes;

/// <summary>
/// kube-apiserver's part of garbage collection: propagationPolicy and orphanDependents decide the
/// orphan and foregroundDeletion finalizers a delete leaves (the dependents' side is the garbage
/// collector's), each kind's default policy applies when a request names none, and bad options are 422.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class DeletionPropagationTests(ClusterFixture cluster)
{
    [Fact]
    public async Task KubectlCascade_OrphanAndForegroundLeaveTheirFinalizer_BackgroundDeletes()
    {
        var ns = await cluster.CreateNamespaceAsync("cascade");
        foreach (var name in new[] { "orphaned", "foreground", "background" })
        {
            await cluster.KubectlOkAsync("create", "deployment", name, "-n", ns, "--image=nginx:1.27");
        }

        await cluster.KubectlOkAsync("delete", "deployment", "orphaned", "-n", ns, "--cascade=orphan", "--wait=false");
        await cluster.KubectlOkAsync("delete", "deployment", "foreground", "-n", ns, "--cascade=foreground", "--wait=false");
        await cluster.KubectlOkAsync("delete", "deployment", "background", "-n", ns, "--cascade=background", "--wait=false");

        var orphaned = JsonNode.Parse(await cluster.KubectlOkAsync("get", "deployment", "orphaned", "-n", ns, "-o", "json"))!;
        Assert.Equal(["orphan"], Finalizers(orphaned));
        Assert.NotNull(orphaned["metadata"]!["deletionTimestamp"]);
        Assert.Equal(0, orphaned["metadata"]!["deletionGracePeriodSeconds"]!.GetValue<int>());
        Assert.Equal(2, orphaned["metadata"]!["generation"]!.GetValue<int>());

        var foreground = JsonNode.Parse(await cluster.KubectlOkAsync("get", "deployment", "foreground", "-n", ns, "-o", "json"))!;
        Assert.Equal(["foregroundDeletion"], Finalizers(foreground));
        Assert.NotNull(foreground["metadata"]!["deletionTimestamp"]);

        var background = await cluster.KubectlAsync("get", "deployment", "background", "-n", ns);
        Assert.Contains("NotFound", background.StdErr);

        // A second delete may change its mind: the finalizers follow the latest policy.
        await cluster.KubectlOkAsync("delete", "deployment", "foreground", "-n", ns, "--cascade=orphan", "--wait=false");
        Assert.Equal(["orphan"], Finalizers(JsonNode.Parse(await cluster.KubectlOkAsync("get", "deployment", "foreground", "-n", ns, "-o", "json"))!));

        // Once the garbage collector's finalizer is gone (the controller manager's part), the object goes.
        await cluster.KubectlOkAsync("patch", "deployment", "orphaned", "-n", ns, "--type=json", "-p", """[{"op":"remove","path":"/metadata/finalizers"}]""");
        Assert.Contains("NotFound", (await cluster.KubectlAsync("get", "deployment", "orphaned", "-n", ns)).StdErr);
    }

    [Fact]
    public async Task WithoutAPolicy_EachKindsDefaultApplies()
    {
        var ns = await cluster.CreateNamespaceAsync("gcdefault");
        const string template = """{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox"}]}}""";
        await Post($"/apis/batch/v1/namespaces/{ns}/jobs", $$$"""{"metadata":{"name":"job"},"spec":{"template":{{{template}}}}}""");
        await Post($"/api/v1/namespaces/{ns}/replicationcontrollers", """{"metadata":{"name":"rc"},"spec":{"selector":{"app":"rc"},"template":{"metadata":{"labels":{"app":"rc"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}""");
        await Post($"/apis/apps/v1/namespaces/{ns}/replicasets", """{"metadata":{"name":"rs"},"spec":{"selector":{"matchLabels":{"app":"rs"}},"template":{"metadata":{"labels":{"app":"rs"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}""");
        await Post($"/api/v1/namespaces/{ns}/configmaps", """{"metadata":{"name":"cm"}}""");
        await Post($"/api/v1/namespaces/{ns}/events", $$$"""{"metadata":{"name":"ev"},"involvedObject":{"kind":"Pod","name":"p","namespace":"{{{ns}}}"},"reason":"Test"}""");

        // batch/v1 jobs and v1 replication controllers orphan their pods unless asked otherwise.
        foreach (var path in new[] { $"/apis/batch/v1/namespaces/{ns}/jobs/job", $"/api/v1/namespaces/{ns}/replicationcontrollers/rc" })
        {
            var deleted = await cluster.CurlAsync(cluster.Admin, "-X", "DELETE", cluster.ServerUrl + path);
            Assert.True(deleted.ExitCode == 0, deleted.ToString());
            var remaining = await cluster.GetJsonAsync(path);
            Assert.Equal(["orphan"], Finalizers(remaining));
            Assert.NotNull(remaining["metadata"]!["deletionTimestamp"]);
        }

        // apps/v1 and kinds without a policy delete their dependents in the background: gone at once.
        foreach (var path in new[] { $"/apis/apps/v1/namespaces/{ns}/replicasets/rs", $"/api/v1/namespaces/{ns}/configmaps/cm" })
        {
            await cluster.CurlAsync(cluster.Admin, "-X", "DELETE", cluster.ServerUrl + path);
            using var gone = await cluster.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        // Events take no part in garbage collection: even Orphan deletes them at once.
        await cluster.CurlAsync(cluster.Admin, "-X", "DELETE", $"{cluster.ServerUrl}/api/v1/namespaces/{ns}/events/ev?propagationPolicy=Orphan");
        using (var gone = await cluster.Http.GetAsync($"/api/v1/namespaces/{ns}/events/ev"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        // orphanDependents=false in the body overrides the job default; so does Background.
        await Post($"/apis/batch/v1/namespaces/{ns}/jobs", $$$"""{"metadata":{"name":"job2"},"spec":{"template":{{{template}}}}}""");
        var body = new StringContent("""{"kind":"DeleteOptions","apiVersion":"v1","orphanDependents":false}""", Encoding.UTF8, "application/json");
        using (var request = new HttpRequestMessage(HttpMethod.Delete, $"/apis/batch/v1/namespaces/{ns}/jobs/job2") { Content = body })
        using (var response = await cluster.Http.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var gone = await cluster.Http.GetAsync($"/apis/batch/v1/namespaces/{ns}/jobs/job2"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
    }

    [Theory]
    [InlineData("?propagationPolicy=Sideways", "", "propagationPolicy: Unsupported value: \"Sideways\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"")]
    [InlineData("", """{"propagationPolicy":"Orphan","orphanDependents":true}""", "propagationPolicy: Invalid value: \"Orphan\": orphanDependents and deletionPropagation cannot be both set")]
    public async Task InvalidDeleteOptions_Are422OnDeleteOptions_AndDeleteNothing(string query, string body, string cause)
    {
        var ns = await cluster.CreateNamespaceAsync("badoptions");
        await Post($"/api/v1/namespaces/{ns}/configmaps", """{"metadata":{"name":"kept"}}""");
        var args = new List<string> { "-X", "DELETE", "-w", "\n%{http_code}", $"{cluster.ServerUrl}/api/v1/namespaces/{ns}/configmaps/kept{query}" };
        if (body.Length > 0)
        {
            args.InsertRange(0, ["-H", "Content-Type: application/json", "-d", body]);
        }

        var result = await cluster.CurlAsync(cluster.Admin, args.ToArray());
        var lines = result.StdOut.TrimEnd().Split('\n');
        Assert.Equal("422", lines[^1]);
        var status = JsonNode.Parse(string.Join('\n', lines[..^1]))!;
        Assert.Equal("Invalid", status["reason"]!.GetValue<string>());
        Assert.Equal("meta.k8s.io", status["details"]!["group"]!.GetValue<string>());
        Assert.Equal("DeleteOptions", status["details"]!["kind"]!.GetValue<string>());
        Assert.Equal($"DeleteOptions.meta.k8s.io \"\" is invalid: {cause}", status["message"]!.GetValue<string>());
        Assert.Equal("kept", (await cluster.GetJsonAsync($"/api/v1/namespaces/{ns}/configmaps/kept"))["metadata"]!["name"]!.GetValue<string>());
    }

    private async Task Post(string path, string json)
    {
        using var response = await cluster.Http.PostAsync(path, ClusterFixture.Json(json));
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static string[] Finalizers(JsonNode obj) =>
        obj["metadata"]!["finalizers"]?.AsArray().Select(f => f!.GetValue<string>()).ToArray() ?? [];
}
