using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json.Nodes;
using ApiServer.Registry;
using Conformance.Infrastructure;

namespace Conformance.Foundation;

/// <summary>
/// Every resource the server serves, through every verb its discovery advertises, over HTTP: the
/// table drives the handlers, so the table also drives this test. A resource added to the table
/// is covered without a new test; a verb added to the handlers must be added here.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ResourceCoverageTests(ClusterFixture cluster)
{
    private static readonly ResourceTable Table = ResourceTable.LoadBuiltin();

    public static TheoryData<string, string, string> Resources()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var r in Table.All)
        {
            data.Add(r.Group, r.Version, r.Plural);
        }

        return data;
    }

    [Fact]
    public void EveryAdvertisedVerb_IsExercisedBelow()
    {
        string[] covered = ["create", "get", "list", "watch", "update", "patch", "delete", "deletecollection"];
        Assert.All(Table.All.SelectMany(r => r.Verbs).Distinct(), verb => Assert.Contains(verb, covered));
        Assert.Contains(Table.All, r => r.Group == "" && r.Plural == "pods");
        Assert.Contains(Table.All, r => r.Group == "apps" && r.Plural == "deployments");
    }

    [Theory]
    [MemberData(nameof(Resources))]
    public async Task Resource_SupportsEveryAdvertisedVerb(string group, string version, string plural)
    {
        var resource = Table.Find(group, version, plural)!;
        var ns = resource.Namespaced ? await cluster.CreateNamespaceAsync("cov") : "";
        var basePath = (group.Length == 0 ? $"/api/{version}" : $"/apis/{group}/{version}")
            + (resource.Namespaced ? $"/namespaces/{ns}" : "") + $"/{plural}";
        var name = "cov" + Guid.NewGuid().ToString("N")[..8];

        if (resource is { Group: "", Plural: "bindings" })
        {
            // The one create-only resource: a binding of an existing pod (PodBindingTests has the rest).
            Assert.Equal(["create"], resource.Verbs);
            await Send(HttpMethod.Post, $"/api/v1/namespaces/{ns}/pods", Body(Table.Find("", "v1", "pods")!, name), HttpStatusCode.Created);
            var binding = $$$"""{"apiVersion":"v1","kind":"Binding","metadata":{"name":"{{{name}}}"},"target":{"kind":"Node","name":"n1"}}""";
            await Send(HttpMethod.Post, basePath, binding, HttpStatusCode.Created);
            return;
        }

        if (ReviewSpec(plural, ns) is { } spec)
        {
            // The reviews are create-only and answered, not stored: the answer carries a status.
            Assert.Equal(["create"], resource.Verbs);
            var review = $$$"""{"apiVersion":"{{{resource.ApiVersion}}}","kind":"{{{resource.Kind}}}","spec":{{{spec}}}}""";
            var answered = await Send(HttpMethod.Post, basePath, review, HttpStatusCode.Created);
            Assert.Equal(resource.Kind, answered["kind"]!.GetValue<string>());
            Assert.NotNull(answered["status"]);
            return;
        }

        // create
        var created = await Send(HttpMethod.Post, basePath, Body(resource, name), HttpStatusCode.Created);
        Assert.Equal(resource.Kind, created["kind"]!.GetValue<string>());
        Assert.Equal(resource.ApiVersion, created["apiVersion"]!.GetValue<string>());

        // get
        var got = await Send(HttpMethod.Get, $"{basePath}/{name}", null, HttpStatusCode.OK);
        Assert.Equal(created["metadata"]!["uid"]!.GetValue<string>(), got["metadata"]!["uid"]!.GetValue<string>());

        // list
        var list = await Send(HttpMethod.Get, basePath, null, HttpStatusCode.OK);
        Assert.Equal(resource.ListKind, list["kind"]!.GetValue<string>());
        Assert.Contains(list["items"]!.AsArray(), i => i!["metadata"]!["name"]!.GetValue<string>() == name);

        // watch (from the list's revision, ended by timeoutSeconds)
        var watch = await cluster.Http.GetAsync($"{basePath}?watch=true&timeoutSeconds=1&resourceVersion={list["metadata"]!["resourceVersion"]}");
        Assert.Equal(HttpStatusCode.OK, watch.StatusCode);

        // update
        got["metadata"]!["labels"] = new JsonObject { ["covered"] = "update" };
        var updated = await Send(HttpMethod.Put, $"{basePath}/{name}", got.ToJsonString(), HttpStatusCode.OK);
        Assert.Equal("update", updated["metadata"]!["labels"]!["covered"]!.GetValue<string>());

        // patch
        if (resource.Supports("patch"))
        {
            using var request = new HttpRequestMessage(HttpMethod.Patch, $"{basePath}/{name}")
            {
                Content = new StringContent("""{"metadata":{"labels":{"covered":"patch"}}}""", Encoding.UTF8, "application/merge-patch+json"),
            };
            var patched = await SendRequest(request, HttpStatusCode.OK);
            Assert.Equal("patch", patched["metadata"]!["labels"]!["covered"]!.GetValue<string>());
        }

        // delete
        var deleted = await cluster.Http.DeleteAsync($"{basePath}/{name}");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);

        // deletecollection
        if (resource.Supports("deletecollection"))
        {
            // Only what this test made: cluster-scoped collections hold the server's own objects too
            // (the bootstrap RBAC policy, the system priority classes).
            var labelled = JsonNode.Parse(Body(resource, name + "b"))!.AsObject();
            labelled["metadata"]!["labels"] = new JsonObject { ["coverage"] = name };
            await Send(HttpMethod.Post, basePath, labelled.ToJsonString(), HttpStatusCode.Created);
            var collection = await Send(HttpMethod.Delete, $"{basePath}?labelSelector=coverage%3D{name}", null, HttpStatusCode.OK);
            Assert.Equal(resource.ListKind, collection["kind"]!.GetValue<string>());
            var after = await Send(HttpMethod.Get, basePath, null, HttpStatusCode.OK);
            Assert.DoesNotContain(after["items"]!.AsArray(), i => i!["metadata"]!["name"]!.GetValue<string>() == name + "b"
                && i["metadata"]!["deletionTimestamp"] is null);
        }
    }

    /// <summary>The smallest valid object of each kind: metadata, plus what a kind requires.</summary>
    private static string Body(ResourceDefinition resource, string name)
    {
        var obj = new JsonObject
        {
            ["apiVersion"] = resource.ApiVersion,
            ["kind"] = resource.Kind,
            ["metadata"] = new JsonObject { ["name"] = name },
        };
        if (resource is { Group: "", Plural: "pods" })
        {
            obj["spec"] = JsonNode.Parse("""{"containers":[{"name":"c","image":"busybox"}]}""");
        }

        return obj.ToJsonString();
    }

    private async Task<JsonObject> Send(HttpMethod method, string path, string? body, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return await SendRequest(request, expected);
    }

    private async Task<JsonObject> SendRequest(HttpRequestMessage request, HttpStatusCode expected)
    {
        var response = await cluster.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{request.Method} {request.RequestUri}: {(int)response.StatusCode} {text}");
        return (JsonObject)JsonNode.Parse(text)!;
    }

    /// <summary>A valid spec for each review resource; null for the stored ones.</summary>
    private static string? ReviewSpec(string plural, string ns) => plural switch
    {
        "selfsubjectreviews" => "{}",
        "tokenreviews" => """{"token":"not-a-token"}""",
        "selfsubjectaccessreviews" => """{"resourceAttributes":{"verb":"get","resource":"pods","namespace":"default"}}""",
        "subjectaccessreviews" => """{"user":"alice","resourceAttributes":{"verb":"get","resource":"pods","namespace":"default"}}""",
        "localsubjectaccessreviews" => $$$"""{"user":"alice","resourceAttributes":{"verb":"get","resource":"pods","namespace":"{{{ns}}}"}}""",
        "selfsubjectrulesreviews" => """{"namespace":"default"}""",
        _ => null,
    };
}
