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
        if (resource is { Group: "apiextensions.k8s.io", Plural: "customresourcedefinitions" })
        {
            // A CRD is named <plural>.<group>.
            name += ".coverage.example.com";
        }

        if (resource is { Group: "", Plural: "bindings" })
        {
            // The one create-only resource: a binding of an existing pod (PodBindingTests has the rest).
            Assert.Equal(["create"], resource.Verbs);
            await Send(HttpMethod.Post, $"/api/v1/namespaces/{ns}/pods", Body(Table.Find("", "v1", "pods")!, name, ns), HttpStatusCode.Created);
            var binding = $$$"""{"apiVersion":"v1","kind":"Binding","metadata":{"name":"{{{name}}}"},"target":{"kind":"Node","name":"n1"}}""";
            await Send(HttpMethod.Post, basePath, binding, HttpStatusCode.Created);
            return;
        }

        if (resource is { Group: "", Plural: "componentstatuses" })
        {
            // Read-only and answered by asking the components (ServedVersionsTests has the rest).
            Assert.Equal(["get", "list"], resource.Verbs);
            var statuses = await Send(HttpMethod.Get, basePath, null, HttpStatusCode.OK);
            Assert.Equal("ComponentStatusList", statuses["kind"]!.GetValue<string>());
            Assert.Equal("ComponentStatus", (await Send(HttpMethod.Get, $"{basePath}/etcd-0", null, HttpStatusCode.OK))["kind"]!.GetValue<string>());
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
        name = CoverageObjects.NameFor(resource, name);
        var created = await Send(HttpMethod.Post, basePath, Body(resource, name, ns), HttpStatusCode.Created);
        Assert.Equal(resource.Kind, created["kind"]!.GetValue<string>());
        Assert.Equal(resource.ApiVersion, created["apiVersion"]!.GetValue<string>());

        // get
        var got = await Send(HttpMethod.Get, $"{basePath}/{name}", null, HttpStatusCode.OK);
        Assert.Equal(created["metadata"]!["uid"]!.GetValue<string>(), got["metadata"]!["uid"]!.GetValue<string>());

        // list
        var list = await Send(HttpMethod.Get, basePath, null, HttpStatusCode.OK);
        Assert.Equal(resource.ListKind, list["kind"]!.GetValue<string>());
        Assert.Contains(list["items"]!.AsArray(), i => i!["metadata"]!["name"]!.GetValue<string>() == name);

        // watch: from resourceVersion 0 the watch starts with the object as an ADDED event
        var watched = await FirstWatchEvent($"{basePath}?watch=true&timeoutSeconds=5&resourceVersion=0&fieldSelector=metadata.name%3D{name}");
        Assert.Equal("ADDED", watched["type"]!.GetValue<string>());
        Assert.Equal(name, watched["object"]!["metadata"]!["name"]!.GetValue<string>());

        // update
        if (resource is { Group: "apiextensions.k8s.io", Plural: "customresourcedefinitions" })
        {
            // The server's CRD controller writes the new CRD's status right after the create: wait for
            // it to be established, so the update does not race those writes.
            await CustomResources.CustomResourceDefinitionTests.WaitForEstablishedAsync(cluster, name);
            got = await Send(HttpMethod.Get, $"{basePath}/{name}", null, HttpStatusCode.OK);
        }

        got["metadata"]!["labels"] = new JsonObject { ["covered"] = "update" };
        var updated = await Send(HttpMethod.Put, $"{basePath}/{name}", got.ToJsonString(), HttpStatusCode.OK);
        Assert.Equal("update", updated["metadata"]!["labels"]!["covered"]!.GetValue<string>());

        // patch, in every patch type kube accepts for a built-in kind
        if (resource.Supports("patch"))
        {
            foreach (var (contentType, patch, value) in new[]
            {
                ("application/merge-patch+json", """{"metadata":{"labels":{"covered":"merge"}}}""", "merge"),
                ("application/strategic-merge-patch+json", """{"metadata":{"labels":{"covered":"strategic"}}}""", "strategic"),
                ("application/json-patch+json", """[{"op":"replace","path":"/metadata/labels/covered","value":"json"}]""", "json"),
            })
            {
                var patched = await Patch($"{basePath}/{name}", contentType, patch);
                Assert.Equal(value, patched["metadata"]!["labels"]!["covered"]!.GetValue<string>());
            }

            var apply = new JsonObject
            {
                ["apiVersion"] = resource.ApiVersion,
                ["kind"] = resource.Kind,
                ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["applied"] = "yes" } },
            }.ToJsonString();
            var applied = await Patch($"{basePath}/{name}?fieldManager=coverage", "application/apply-patch+yaml", apply);
            Assert.Equal("yes", applied["metadata"]!["labels"]!["applied"]!.GetValue<string>());
        }

        // the status subresource: a PUT and a merge patch of the object's own status are accepted
        if (resource.FindSubresource("status") is not null)
        {
            var current = await Send(HttpMethod.Get, $"{basePath}/{name}", null, HttpStatusCode.OK);
            var statusPut = await Send(HttpMethod.Put, $"{basePath}/{name}/status", current.ToJsonString(), HttpStatusCode.OK);
            Assert.Equal(current["metadata"]!["uid"]!.GetValue<string>(), statusPut["metadata"]!["uid"]!.GetValue<string>());
            var statusPatched = await Patch($"{basePath}/{name}/status", "application/merge-patch+json", """{"metadata":{"labels":{"status":"patched"}}}""");
            Assert.Equal(resource.Kind, statusPatched["kind"]!.GetValue<string>());
        }

        // the scale subresource reads and writes spec.replicas
        if (resource.FindSubresource("scale") is not null)
        {
            var scale = await Send(HttpMethod.Get, $"{basePath}/{name}/scale", null, HttpStatusCode.OK);
            Assert.Equal("Scale", scale["kind"]!.GetValue<string>());
            var scaled = await Patch($"{basePath}/{name}/scale", "application/merge-patch+json", """{"spec":{"replicas":0}}""");
            // autoscaling/v1 ScaleSpec.Replicas is `json:"replicas,omitempty"`: kube writes 0 as an empty spec.
            Assert.Null(scaled["spec"]!["replicas"]);
        }

        // delete: the object itself where kube's registry returns it (DeleteAnswerTests.ReturnsDeletedObject),
        // and while it stays (finalizers, a namespace's termination); a Success Status otherwise.
        var deleted = await Send(HttpMethod.Delete, $"{basePath}/{name}?gracePeriodSeconds=0", null, HttpStatusCode.OK);
        var stays = deleted["metadata"]?["deletionTimestamp"] is not null;
        var expectedKind = DeleteAnswerTests.ReturnsDeletedObject.Contains((group, plural)) || stays ? resource.Kind : "Status";
        Assert.True(deleted["kind"]!.GetValue<string>() == expectedKind, $"DELETE of {plural} answered {deleted.ToJsonString()}");

        // deletecollection
        if (resource.Supports("deletecollection"))
        {
            // Only what this test made: cluster-scoped collections hold the server's own objects too
            // (the bootstrap RBAC policy, the system priority classes).
            var second = CoverageObjects.NameFor(resource, "cov" + Guid.NewGuid().ToString("N")[..8]);
            var labelled = JsonNode.Parse(Body(resource, second, ns))!.AsObject();
            labelled["metadata"]!["labels"] = new JsonObject { ["coverage"] = second.Replace('.', '-') };
            await Send(HttpMethod.Post, basePath, labelled.ToJsonString(), HttpStatusCode.Created);
            var collection = await Send(HttpMethod.Delete, $"{basePath}?labelSelector=coverage%3D{second.Replace('.', '-')}", null, HttpStatusCode.OK);
            Assert.Equal(resource.ListKind, collection["kind"]!.GetValue<string>());
            var after = await Send(HttpMethod.Get, basePath, null, HttpStatusCode.OK);
            Assert.DoesNotContain(after["items"]!.AsArray(), i => i!["metadata"]!["name"]!.GetValue<string>() == second
                && i["metadata"]!["deletionTimestamp"] is null);
        }
    }

    /// <summary>Every stored kind refuses what kube refuses, with kube's 422 and message.</summary>
    [Theory]
    [MemberData(nameof(Resources))]
    public async Task Resource_RefusesWhatKubeRefuses(string group, string version, string plural)
    {
        var resource = Table.Find(group, version, plural)!;
        if (resource is { Group: "", Plural: "bindings" } || ReviewSpec(plural, "") is not null || !resource.Supports("create"))
        {
            return;
        }

        var invalid = CoverageObjects.Invalid(resource);
        if (invalid is null)
        {
            // kube validates these kinds' metadata only.
            Assert.Contains((resource.Group, resource.Kind), MetadataOnlyKinds);
            return;
        }

        var ns = resource.Namespaced ? await cluster.CreateNamespaceAsync("covbad") : "";
        var basePath = (group.Length == 0 ? $"/api/{version}" : $"/apis/{group}/{version}")
            + (resource.Namespaced ? $"/namespaces/{ns}" : "") + $"/{plural}";
        var name = CoverageObjects.NameFor(resource, "covbad" + Guid.NewGuid().ToString("N")[..8]);
        var body = JsonNode.Parse(Body(resource, name, ns))!.AsObject();
        invalid.Value.Break(body);
        var refused = await Send(HttpMethod.Post, basePath, body.ToJsonString(), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("Invalid", refused["reason"]!.GetValue<string>());
        var message = refused["message"]!.GetValue<string>();
        Assert.True(message.Contains(invalid.Value.Message, StringComparison.Ordinal), $"expected '{invalid.Value.Message}' in: {message}");
        await Send(HttpMethod.Get, $"{basePath}/{name}", null, HttpStatusCode.NotFound);
    }

    private static readonly (string, string)[] MetadataOnlyKinds = [("", "ServiceAccount"), ("apiextensions.k8s.io", "CustomResourceDefinition")];

    /// <summary>The smallest valid object of each kind (<see cref="CoverageObjects"/>), with its metadata.</summary>
    private static string Body(ResourceDefinition resource, string name, string ns)
    {
        var obj = new JsonObject
        {
            ["apiVersion"] = resource.ApiVersion,
            ["kind"] = resource.Kind,
            ["metadata"] = new JsonObject { ["name"] = name },
        };
        foreach (var (field, value) in CoverageObjects.Valid(resource, name, ns).ToList())
        {
            obj[field] = value?.DeepClone();
        }

        if (resource is { Group: "apiextensions.k8s.io", Plural: "customresourcedefinitions" })
        {
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            obj["spec"] = JsonNode.Parse($$$$"""
                {"group":"{{{{name[(dot + 1)..]}}}}","scope":"Namespaced","names":{"plural":"{{{{name[..dot]}}}}","kind":"Cov"},
                 "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object"}}}]}
                """);
        }

        return obj.ToJsonString();
    }

    private async Task<JsonObject> Patch(string path, string contentType, string patch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, path)
        {
            Content = new StringContent(patch, Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        return await SendRequest(request, HttpStatusCode.OK);
    }

    /// <summary>Opens a watch and reads its first event.</summary>
    private async Task<JsonObject> FirstWatchEvent(string path)
    {
        using var response = await cluster.Http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var stream = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(stream);
        var line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(string.IsNullOrEmpty(line), $"no watch event from {path}");
        return JsonNode.Parse(line!)!.AsObject();
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
