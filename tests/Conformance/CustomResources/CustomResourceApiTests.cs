using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Text.Json.Nodes;
using Conformance.Components;
using Conformance.Infrastructure;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Conformance.CustomResources;

/// <summary>
/// The rest of issue 16's API surface for custom resources, through kubectl, the official C# client
/// and HTTP: discovery's version priority (legacy and aggregated), OpenAPI v2 for `kubectl explain`,
/// the Table without printer columns, the scale subresource as autoscaling/v1 Scale, deletecollection,
/// dryRun, paging, generateName, finalizers, NamespaceLifecycle, metadata validation, server-side apply
/// with the schema's list types, None conversion with storedVersions, and CRD schema errors.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class CustomResourceApiTests(ClusterFixture cluster)
{
    private static string NewGroup(string prefix) => $"{prefix}{Guid.NewGuid().ToString("N")[..6]}.example.com";

    private static string Widget(string group, string name) => CustomResourceDefinitionTests.Widget(group, name);

    private Task ApplyWidgetCrdAsync(string group) =>
        CustomResourceDefinitionTests.ApplyCrdAsync(cluster, CustomResourceDefinitionTests.WidgetCrd(group), "widgets." + group);

    /// <summary>A CRD whose versions are served in an order that is not kube's priority order.</summary>
    private static string ManyVersionsCrd(string group) => $$$"""
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: things.{{{group}}}
        spec:
          group: {{{group}}}
          scope: Cluster
          names: {plural: things, singular: thing, kind: Thing, shortNames: [th], categories: [stuff]}
          versions:
          - {name: v1alpha1, served: true, storage: false, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true} } }
          - {name: v1beta1, served: true, storage: false, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true} } }
          - {name: v2beta1, served: true, storage: false, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true} } }
          - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true} } }
          - {name: v3, served: false, storage: false, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true} } }
        """;

    [Fact]
    public async Task Discovery_OrdersVersionsByKubesPriority_InLegacyAndAggregatedDiscovery()
    {
        var group = NewGroup("prio");
        await CustomResourceDefinitionTests.ApplyCrdAsync(cluster, ManyVersionsCrd(group), "things." + group);
        // GA before beta before alpha, higher numbers first; v3 is not served.
        string[] expected = ["v1", "v2beta1", "v1beta1", "v1alpha1"];

        var apiGroup = await cluster.GetJsonAsync($"/apis/{group}");
        Assert.Equal(expected, apiGroup["versions"]!.AsArray().Select(v => v!["version"]!.GetValue<string>()));
        Assert.Equal($"{group}/v1", apiGroup["preferredVersion"]!["groupVersion"]!.GetValue<string>());
        var groups = await cluster.GetJsonAsync("/apis");
        var listed = groups["groups"]!.AsArray().Single(g => g!["name"]!.GetValue<string>() == group)!;
        Assert.Equal(expected, listed["versions"]!.AsArray().Select(v => v!["version"]!.GetValue<string>()));
        using (var v3 = await cluster.Http.GetAsync($"/apis/{group}/v3"))
        {
            Assert.Equal(HttpStatusCode.NotFound, v3.StatusCode);
        }

        // Aggregated discovery (what kubectl 1.32 reads): the same order, and the resource's names.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/apis");
        request.Headers.TryAddWithoutValidation("Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
        using var response = await cluster.Http.SendAsync(request);
        var aggregated = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var item = aggregated["items"]!.AsArray().Single(i => i!["metadata"]!["name"]!.GetValue<string>() == group)!;
        Assert.Equal(expected, item["versions"]!.AsArray().Select(v => v!["version"]!.GetValue<string>()));
        var things = item["versions"]![0]!["resources"]!.AsArray().Single()!;
        Assert.Equal("things", things["resource"]!.GetValue<string>());
        Assert.Equal("thing", things["singularResource"]!.GetValue<string>());
        Assert.Equal("Cluster", things["scope"]!.GetValue<string>());
        Assert.Equal("Thing", things["responseKind"]!["kind"]!.GetValue<string>());
        Assert.Equal(["th"], things["shortNames"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal(["stuff"], things["categories"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Contains("deletecollection", things["verbs"]!.AsArray().Select(v => v!.GetValue<string>()));

        // kubectl resolves the short name and the category to the preferred version.
        var created = await cluster.KubectlWithInputAsync($"apiVersion: {group}/v1beta1\nkind: Thing\nmetadata:\n  name: t1\nanything: goes\n", "create", "-f", "-");
        Assert.True(created.ExitCode == 0, created.ToString());
        var byShortName = JsonNode.Parse(await cluster.KubectlOkAsync("get", "th", "t1", "-o", "json"))!;
        Assert.Equal($"{group}/v1", byShortName["apiVersion"]!.GetValue<string>());
        Assert.Equal("goes", byShortName["anything"]!.GetValue<string>());
        Assert.Contains($"thing.{group}/t1", await cluster.KubectlOkAsync("get", "stuff", "-o", "name"));
        await cluster.KubectlOkAsync("delete", "crd", "things." + group);
    }

    [Fact]
    public async Task TheCrdInformerAndControllers_HaveReadyzChecks()
    {
        var ready = await cluster.CurlAsync(null, $"{cluster.ServerUrl}/readyz?verbose");
        Assert.Contains("[+]poststarthook/crd-informer-synced ok", ready.StdOut);
        Assert.Contains("[+]informer/customresourcedefinitions ok", ready.StdOut);
        Assert.Contains("[+]controller/apiextensions ok", ready.StdOut);
    }

    [Fact]
    public async Task OpenApiV2_CarriesTheSchemaAndItsDescriptions_ForKubectlExplain()
    {
        var group = NewGroup("oav2");
        await ApplyWidgetCrdAsync(group);
        var reversed = string.Join('.', group.Split('.').Reverse());

        // kubectl explain reads /openapi/v2 (in protobuf) with this output. The fixture's kubectl keeps a
        // discovery cache from earlier tests, which explain does not refresh for a new group: api-resources does.
        await cluster.KubectlOkAsync("api-resources", "--api-group", group);
        var explained = await cluster.KubectlOkAsync("explain", $"widgets.{group}.spec", "--output=plaintext-openapiv2");
        Assert.Contains("What the widget should look like.", explained);
        Assert.Contains("The paint on the widget.", explained);

        var v2 = await cluster.GetJsonAsync("/openapi/v2");
        var definition = v2["definitions"]![$"{reversed}.v1.Widget"]!;
        Assert.Equal("A widget the tests make.", definition["description"]!.GetValue<string>());
        Assert.Equal("How many parts the widget has.", definition["properties"]!["spec"]!["properties"]!["size"]!["description"]!.GetValue<string>());
        Assert.Equal(group, definition["x-kubernetes-group-version-kind"]![0]!["group"]!.GetValue<string>());
        Assert.NotNull(v2["paths"]![$"/apis/{group}/v1/namespaces/{{namespace}}/widgets/{{name}}"]);

        // The v3 index and document follow a CRD's deletion.
        await cluster.KubectlOkAsync("delete", "crd", "widgets." + group);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await cluster.GetJsonAsync("/openapi/v3"))["paths"]![$"apis/{group}/v1"] is not null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the deleted CRD stayed in /openapi/v3");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task WithoutPrinterColumns_TheTableIsNameAndAge_AndColumnsCarryTheirDescriptions()
    {
        var group = NewGroup("tbl");
        var name = "plains." + group;
        var crd = $$$"""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: {{{name}}}
            spec:
              group: {{{group}}}
              scope: Namespaced
              names: {plural: plains, singular: plain, kind: Plain}
              versions:
              - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true} } }
            """;
        await CustomResourceDefinitionTests.ApplyCrdAsync(cluster, crd, name);
        var ns = await cluster.CreateNamespaceAsync("plain");
        Assert.Equal(0, (await cluster.KubectlWithInputAsync($"apiVersion: {group}/v1\nkind: Plain\nmetadata:\n  name: p1\n", "create", "-n", ns, "-f", "-")).ExitCode);
        var table = (await cluster.KubectlOkAsync("get", $"plains.{group}", "-n", ns)).Split('\n');
        Assert.Matches(@"^NAME\s+AGE\s*$", table[0]);
        Assert.Matches(@"^p1\s+\d+s\s*$", table[1]);

        // The server-side Table of a CRD with columns: kube's column definitions (priority, description, format).
        await ApplyWidgetCrdAsync(group + "x");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/apis/{group}x/v1/widgets");
        request.Headers.TryAddWithoutValidation("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
        using var response = await cluster.Http.SendAsync(request);
        var columns = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["columnDefinitions"]!.AsArray();
        Assert.Equal(["Name", "Color", "Size", "Ready", "Age"], columns.Select(c => c!["name"]!.GetValue<string>()));
        Assert.Equal("name", columns[0]!["format"]!.GetValue<string>());
        Assert.Equal(1, columns[3]!["priority"]!.GetValue<int>());
        Assert.Equal("date", columns[4]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Scale_IsAnAutoscalingV1Scale_ForTheCSharpClientAndKubectl()
    {
        var group = NewGroup("scl");
        await ApplyWidgetCrdAsync(group);
        var ns = await cluster.CreateNamespaceAsync("scale");
        Assert.Equal(0, (await cluster.KubectlWithInputAsync(Widget(group, "s"), "create", "-n", ns, "-f", "-")).ExitCode);
        using var client = ComponentClients.For(cluster, cluster.Admin, "crd-scale-test");

        var scale = KubernetesJson.Deserialize<V1Scale>(JsonSerializer.Serialize(
            await client.CustomObjects.GetNamespacedCustomObjectScaleAsync(group, "v1", ns, "widgets", "s")));
        Assert.Equal("autoscaling/v1", scale.ApiVersion);
        Assert.Equal(2, scale.Spec.Replicas);

        scale.Spec.Replicas = 4;
        var replaced = KubernetesJson.Deserialize<V1Scale>(JsonSerializer.Serialize(
            await client.CustomObjects.ReplaceNamespacedCustomObjectScaleAsync(scale, group, "v1", ns, "widgets", "s")));
        Assert.Equal(4, replaced.Spec.Replicas);
        var widget = (JsonElement)await client.CustomObjects.GetNamespacedCustomObjectAsync(group, "v1", ns, "widgets", "s");
        Assert.Equal(4, widget.GetProperty("spec").GetProperty("size").GetInt32());
        Assert.Equal(2, widget.GetProperty("metadata").GetProperty("generation").GetInt64());

        // A Scale at an old resourceVersion is a conflict; a negative count is invalid.
        scale.Spec.Replicas = 6;
        var conflict = await Assert.ThrowsAsync<HttpOperationException>(() =>
            client.CustomObjects.ReplaceNamespacedCustomObjectScaleAsync(scale, group, "v1", ns, "widgets", "s"));
        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
        var current = KubernetesJson.Deserialize<V1Scale>(JsonSerializer.Serialize(
            await client.CustomObjects.GetNamespacedCustomObjectScaleAsync(group, "v1", ns, "widgets", "s")));
        current.Spec.Replicas = -1;
        var negative = await Assert.ThrowsAsync<HttpOperationException>(() =>
            client.CustomObjects.ReplaceNamespacedCustomObjectScaleAsync(current, group, "v1", ns, "widgets", "s"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, negative.Response.StatusCode);
        Assert.Contains(".spec.size: Invalid value: -1: should be a non-negative integer", negative.Response.Content);

        // A status replicas value the scale paths cannot read is refused as kube refuses it.
        var badStatus = await cluster.KubectlAsync("patch", $"widgets.{group}", "s", "-n", ns, "--subresource=status", "--type=merge", "-p", """{"status":{"size":-3}}""");
        Assert.NotEqual(0, badStatus.ExitCode);
        Assert.Contains(".status.size: Invalid value: -3: should be a non-negative integer", badStatus.StdErr);

        // kubectl scale with a precondition on the current count.
        var wrong = await cluster.KubectlAsync("scale", $"widgets.{group}", "s", "-n", ns, "--current-replicas=3", "--replicas=1");
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains("Expected replicas to be 3, was 4", wrong.StdErr);
        await cluster.KubectlOkAsync("scale", $"widgets.{group}", "s", "-n", ns, "--current-replicas=4", "--replicas=1");
        Assert.Equal("1", await cluster.KubectlOkAsync("get", $"widgets.{group}", "s", "-n", ns, "-o", "jsonpath={.spec.size}"));
    }

    [Fact]
    public async Task Verbs_DeleteCollectionDryRunPagingGenerateNameAndFinalizers()
    {
        var group = NewGroup("verbs");
        await ApplyWidgetCrdAsync(group);
        var ns = await cluster.CreateNamespaceAsync("verbs");
        var path = $"/apis/{group}/v1/namespaces/{ns}/widgets";

        // dryRun: answered as created, nothing stored.
        var dry = await cluster.KubectlWithInputAsync(Widget(group, "dry"), "create", "--dry-run=server", "-n", ns, "-f", "-");
        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.Contains($"widget.{group}/dry created (server dry run)", dry.StdOut);
        Assert.Empty(cluster.Etcdctl("get", $"{ClusterFixture.EtcdPrefix}/{group}/widgets/{ns}/dry", "--keys-only").Trim());

        // generateName: the server picks the name.
        var generated = await cluster.KubectlWithInputAsync(Widget(group, "unused").Replace("  name: unused", "  generateName: gen-"), "create", "-n", ns, "-f", "-");
        Assert.True(generated.ExitCode == 0, generated.ToString());
        Assert.Matches($@"widget\.{System.Text.RegularExpressions.Regex.Escape(group)}/gen-[a-z0-9]{{5}} created", generated.StdOut);

        for (var i = 0; i < 5; i++)
        {
            var labelled = Widget(group, $"p{i}").Replace($"  name: p{i}", $"  name: p{i}\n  labels: {{tier: {(i % 2 == 0 ? "even" : "odd")}}}");
            Assert.Equal(0, (await cluster.KubectlWithInputAsync(labelled, "create", "-n", ns, "-f", "-")).ExitCode);
        }

        // Paging: limit and continue, as kubectl's --chunk-size uses them.
        var page = await cluster.GetJsonAsync($"{path}?limit=2");
        Assert.Equal(2, page["items"]!.AsArray().Count);
        Assert.False(string.IsNullOrEmpty(page["metadata"]!["continue"]?.GetValue<string>()));
        Assert.Equal(4, page["metadata"]!["remainingItemCount"]!.GetValue<long>());
        var rest = await cluster.GetJsonAsync($"{path}?limit=10&continue={Uri.EscapeDataString(page["metadata"]!["continue"]!.GetValue<string>())}");
        Assert.Equal(4, rest["items"]!.AsArray().Count);
        var chunked = await cluster.KubectlOkAsync("get", $"widgets.{group}", "-n", ns, "--chunk-size=2", "-o", "name");
        Assert.Equal(6, chunked.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        // A field selector on metadata.name, and a label selector.
        var named = await cluster.KubectlOkAsync("get", $"widgets.{group}", "-n", ns, "--field-selector=metadata.name=p3", "-o", "name");
        Assert.Equal($"widget.{group}/p3", named.Trim());

        // A finalizer holds a delete: deletionTimestamp set, the object stays until the finalizer goes.
        await cluster.KubectlOkAsync("patch", $"widgets.{group}", "p1", "-n", ns, "--type=merge", "-p", """{"metadata":{"finalizers":["example.com/hold"]}}""");
        await cluster.KubectlOkAsync("delete", $"widgets.{group}", "p1", "-n", ns, "--wait=false");
        var held = await cluster.GetJsonAsync($"{path}/p1");
        Assert.NotNull(held["metadata"]!["deletionTimestamp"]);

        // deletecollection through the C# client, by label: the odd ones go (p1 is held by its finalizer).
        using var client = ComponentClients.For(cluster, cluster.Admin, "crd-verbs-test");
        await client.CustomObjects.DeleteCollectionNamespacedCustomObjectAsync(group, "v1", ns, "widgets", labelSelector: "tier=odd");
        var left = (JsonElement)await client.CustomObjects.ListNamespacedCustomObjectAsync(group, "v1", ns, "widgets");
        var names = left.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("metadata").GetProperty("name").GetString()!).Where(n => n.StartsWith('p')).Order().ToArray();
        Assert.Equal(["p0", "p1", "p2", "p4"], names);

        // deletecollection over HTTP with dryRun deletes nothing; then for real.
        using (var dryDelete = await cluster.Http.DeleteAsync($"{path}?labelSelector=tier%3Deven&dryRun=All"))
        {
            Assert.Equal(HttpStatusCode.OK, dryDelete.StatusCode);
        }

        Assert.Equal(5, (await cluster.GetJsonAsync(path))["items"]!.AsArray().Count);
        using (var deleteEven = await cluster.Http.DeleteAsync($"{path}?labelSelector=tier%3Deven"))
        {
            Assert.Equal(HttpStatusCode.OK, deleteEven.StatusCode);
        }

        await cluster.KubectlOkAsync("patch", $"widgets.{group}", "p1", "-n", ns, "--type=merge", "-p", """{"metadata":{"finalizers":null}}""");
        var remaining = (await cluster.GetJsonAsync(path))["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).ToArray();
        Assert.Single(remaining);
        Assert.StartsWith("gen-", remaining[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metadata_IsValidatedAsForAnyObject_AndNamespaceLifecycleApplies()
    {
        var group = NewGroup("meta");
        await ApplyWidgetCrdAsync(group);
        var ns = await cluster.CreateNamespaceAsync("meta");

        var badName = await cluster.KubectlWithInputAsync(Widget(group, "Bad_Name"), "create", "-n", ns, "-f", "-");
        Assert.NotEqual(0, badName.ExitCode);
        Assert.Contains("The Widget \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain", badName.StdErr);

        var badLabel = await cluster.KubectlWithInputAsync(Widget(group, "w").Replace("  name: w", "  name: w\n  labels: {\"-x\": v}"), "create", "-n", ns, "-f", "-");
        Assert.NotEqual(0, badLabel.ExitCode);
        Assert.Contains("metadata.labels: Invalid value: \"-x\"", badLabel.StdErr);

        var missingNamespace = await cluster.KubectlWithInputAsync(Widget(group, "w"), "create", "-n", "no-such-ns-" + Guid.NewGuid().ToString("N")[..6], "-f", "-");
        Assert.NotEqual(0, missingNamespace.ExitCode);
        Assert.Contains("namespaces \"no-such-ns-", missingNamespace.StdErr);
        Assert.Contains("not found", missingNamespace.StdErr);

        // The list of every namespace is the CRD's list kind.
        Assert.Equal("WidgetList", (await cluster.GetJsonAsync($"/apis/{group}/v1/widgets"))["kind"]!.GetValue<string>());

        // The wrong kind for the URL: kube decodes any kind for a custom resource, then its type-meta check refuses it.
        using var wrongKind = await cluster.Http.PostAsync($"/apis/{group}/v1/namespaces/{ns}/widgets", ClusterFixture.Json($$$"""{"apiVersion":"{{{group}}}/v1","kind":"Gadget","metadata":{"name":"x"}}"""));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, wrongKind.StatusCode);
        var wrongKindStatus = JsonNode.Parse(await wrongKind.Content.ReadAsStringAsync())!;
        Assert.Equal($"Gadget.{group} \"x\" is invalid: kind: Invalid value: \"Gadget\": must be Widget", wrongKindStatus["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task ServerSideApply_MergesListMapsAndSetsByTheSchema_AndReplacesAtomicLists()
    {
        var group = NewGroup("ssa");
        var name = "routes." + group;
        var crd = $$"""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: {{name}}
            spec:
              group: {{group}}
              scope: Namespaced
              names: {plural: routes, singular: route, kind: Route}
              versions:
              - name: v1
                served: true
                storage: true
                schema:
                  openAPIV3Schema:
                    type: object
                    properties:
                      spec:
                        type: object
                        properties:
                          ports:
                            type: array
                            x-kubernetes-list-type: map
                            x-kubernetes-list-map-keys: [name]
                            items:
                              type: object
                              required: [name]
                              properties:
                                name: {type: string}
                                port: {type: integer}
                          hosts:
                            type: array
                            x-kubernetes-list-type: set
                            items: {type: string}
                          rules:
                            type: array
                            items: {type: string}
            """;
        await CustomResourceDefinitionTests.ApplyCrdAsync(cluster, crd, name);
        var ns = await cluster.CreateNamespaceAsync("ssa");
        string Route(string spec) => $"apiVersion: {group}/v1\nkind: Route\nmetadata:\n  name: r\nspec: {spec}\n";

        async Task ApplyAsync(string manager, string spec)
        {
            var applied = await cluster.KubectlWithInputAsync(Route(spec), "apply", "--server-side", $"--field-manager={manager}", "-n", ns, "-f", "-");
            Assert.True(applied.ExitCode == 0, applied.ToString());
        }

        await ApplyAsync("alpha", "{ports: [{name: http, port: 80}], hosts: [a.example.com], rules: [one]}");
        await ApplyAsync("beta", "{ports: [{name: https, port: 443}], hosts: [b.example.com]}");

        var route = JsonNode.Parse(await cluster.KubectlOkAsync("get", $"routes.{group}", "r", "-n", ns, "-o", "json", "--show-managed-fields"))!;
        Assert.Equal(["http", "https"], route["spec"]!["ports"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()));
        Assert.Equal(["a.example.com", "b.example.com"], route["spec"]!["hosts"]!.AsArray().Select(h => h!.GetValue<string>()));
        var beta = route["metadata"]!["managedFields"]!.AsArray().Single(e => e!["manager"]!.GetValue<string>() == "beta")!;
        Assert.NotNull(beta["fieldsV1"]!["f:spec"]!["f:ports"]!["k:{\"name\":\"https\"}"]);
        Assert.NotNull(beta["fieldsV1"]!["f:spec"]!["f:hosts"]!["v:\"b.example.com\""]);

        // An atomic list belongs to one manager: another one's apply conflicts, unless forced.
        var conflicting = await cluster.KubectlWithInputAsync(Route("{rules: [two]}"), "apply", "--server-side", "--field-manager=beta", "-n", ns, "-f", "-");
        Assert.NotEqual(0, conflicting.ExitCode);
        Assert.Contains("conflict with \"alpha\"", conflicting.StdErr);
        Assert.Contains(".spec.rules", conflicting.StdErr);

        // A duplicate key in a list-type map is refused as kube refuses it.
        var duplicate = await cluster.KubectlWithInputAsync(Route("{ports: [{name: http, port: 80}, {name: http, port: 81}]}").Replace("name: r", "name: dup"), "create", "-n", ns, "-f", "-");
        Assert.NotEqual(0, duplicate.ExitCode);
        Assert.Contains("spec.ports[1]: Duplicate value: map[string]interface {}{\"name\":\"http\"}", duplicate.StdErr);
    }

    [Fact]
    public async Task NoneConversion_ServesEveryVersion_AndStoredVersionsFollowTheStorageVersion()
    {
        var group = NewGroup("none");
        var name = "gears." + group;
        static string Version(string version, bool storage) => $"""
              - name: {version}
                served: true
                storage: {(storage ? "true" : "false")}
                schema:
                  openAPIV3Schema:
                    type: object
                    properties:
                      spec:
                        type: object
                        properties:
                          teeth:
                            type: integer
            """;
        string Crd(string storage, bool withV1 = true) => $"""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: {name}
            spec:
              group: {group}
              scope: Namespaced
              names:
                plural: gears
                singular: gear
                kind: Gear
              versions:
            {(withV1 ? Version("v1", storage == "v1") + "\n" : "")}{Version("v2", storage == "v2")}
            """;
        await CustomResourceDefinitionTests.ApplyCrdAsync(cluster, Crd("v1"), name);
        var ns = await cluster.CreateNamespaceAsync("none");
        Assert.Equal(0, (await cluster.KubectlWithInputAsync($"apiVersion: {group}/v1\nkind: Gear\nmetadata:\n  name: old\nspec: {{teeth: 12}}\n", "create", "-n", ns, "-f", "-")).ExitCode);

        // Read in either version: apiVersion rewritten, fields kept.
        var asV2 = await cluster.GetJsonAsync($"/apis/{group}/v2/namespaces/{ns}/gears/old");
        Assert.Equal($"{group}/v2", asV2["apiVersion"]!.GetValue<string>());
        Assert.Equal(12, asV2["spec"]!["teeth"]!.GetValue<int>());

        // The storage version moves to v2: both are recorded as stored, new objects are stored as v2.
        var changed = await cluster.KubectlWithInputAsync(Crd("v2"), "apply", "-f", "-");
        Assert.True(changed.ExitCode == 0, changed.ToString());
        var crd = JsonNode.Parse(await cluster.KubectlOkAsync("get", "crd", name, "-o", "json"))!;
        Assert.Equal(["v1", "v2"], crd["status"]!["storedVersions"]!.AsArray().Select(v => v!.GetValue<string>()));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var created = await cluster.KubectlWithInputAsync($"apiVersion: {group}/v1\nkind: Gear\nmetadata:\n  name: new{DateTime.UtcNow.Ticks}\nspec: {{teeth: 7}}\n", "create", "-n", ns, "-f", "-", "-o", "name");
            Assert.True(created.ExitCode == 0, created.ToString());
            var createdName = created.StdOut.Trim().Split('/')[1];
            var stored = JsonNode.Parse(cluster.Etcdctl("get", $"{ClusterFixture.EtcdPrefix}/{group}/gears/{ns}/{createdName}", "--print-value-only"))!;
            if (stored["apiVersion"]!.GetValue<string>() == $"{group}/v2")
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "new objects were never stored as v2");
            await Task.Delay(200);
        }

        Assert.Equal($"{group}/v1", JsonNode.Parse(cluster.Etcdctl("get", $"{ClusterFixture.EtcdPrefix}/{group}/gears/{ns}/old", "--print-value-only"))!["apiVersion"]!.GetValue<string>());

        // A version still listed in storedVersions cannot leave spec.versions.
        var dropped = await cluster.KubectlWithInputAsync(Crd("v2", withV1: false), "apply", "-f", "-");
        Assert.NotEqual(0, dropped.ExitCode);
        Assert.Contains("status.storedVersions[0]: Invalid value: \"v1\": missing from spec.versions; v1 was previously a storage version", dropped.StdErr);
    }

    [Fact]
    public async Task InvalidSchemas_AreRefused_WithKubesStructuralSchemaErrors()
    {
        var group = NewGroup("struct");
        var crd = $$$"""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: shapes.{{{group}}}
            spec:
              group: {{{group}}}
              scope: Namespaced
              names: {plural: shapes, kind: Shape}
              versions:
              - name: v1
                served: true
                storage: true
                schema:
                  openAPIV3Schema:
                    type: object
                    properties:
                      spec: {properties: {size: {type: integer} } }
                      extra:
                        type: object
                        properties: {a: {type: string}}
                        additionalProperties: {type: string}
            """;
        var refused = await cluster.KubectlWithInputAsync(crd, "create", "-f", "-");
        Assert.NotEqual(0, refused.ExitCode);
        // One version (or the same schema in every version): kube's internal CRD holds it at spec.validation,
        // and so do its field paths.
        var prefix = "spec.validation.openAPIV3Schema";
        Assert.Contains($"{prefix}.properties[spec].type: Required value: must not be empty for specified object fields", refused.StdErr);
        Assert.Contains($"{prefix}.properties[extra].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive", refused.StdErr);

        // A validation rule that does not compile makes the CRD invalid.
        var badRule = crd
            .Replace("spec: {properties:", "spec: {type: object, properties:", StringComparison.Ordinal)
            .Replace("additionalProperties: {type: string}", "x-kubernetes-validations: [{rule: \"self.missing > 0\"}]", StringComparison.Ordinal);
        Assert.Contains("self.missing", badRule);
        Assert.Contains("spec: {type: object, properties:", badRule);
        var refusedRule = await cluster.KubectlWithInputAsync(badRule, "create", "-f", "-");
        Assert.NotEqual(0, refusedRule.ExitCode);
        Assert.Contains($"{prefix}.properties[extra].x-kubernetes-validations[0].rule: Invalid value:", refusedRule.StdErr);
        Assert.Contains("compilation failed: ERROR: <input>:1:5: undefined field 'missing'", refusedRule.StdErr);
        Assert.Empty(cluster.Etcdctl("get", $"{ClusterFixture.EtcdPrefix}/apiextensions.k8s.io/customresourcedefinitions/shapes.{group}", "--keys-only").Trim());
    }

    [Fact]
    public async Task ValidationRules_RefuseObjectsAndTransitions_WithTheirMessages()
    {
        var group = NewGroup("cel");
        var name = "pools." + group;
        var crd = $$"""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: {{name}}
            spec:
              group: {{group}}
              scope: Namespaced
              names: {plural: pools, singular: pool, kind: Pool}
              versions:
              - name: v1
                served: true
                storage: true
                schema:
                  openAPIV3Schema:
                    type: object
                    properties:
                      spec:
                        type: object
                        x-kubernetes-validations:
                        - rule: self.min <= self.max
                          message: min must not exceed max
                        - rule: "!has(oldSelf.tier) || self.tier == oldSelf.tier"
                          messageExpression: "'tier is immutable, it was ' + oldSelf.tier"
                          reason: FieldValueForbidden
                          fieldPath: .tier
                        properties:
                          min: {type: integer}
                          max: {type: integer}
                          tier: {type: string}
            """;
        await CustomResourceDefinitionTests.ApplyCrdAsync(cluster, crd, name);
        var ns = await cluster.CreateNamespaceAsync("cel");
        string Pool(string spec) => $"apiVersion: {group}/v1\nkind: Pool\nmetadata:\n  name: p\nspec: {spec}\n";

        var refused = await cluster.KubectlWithInputAsync(Pool("{min: 5, max: 1, tier: gold}"), "create", "-n", ns, "-f", "-");
        Assert.NotEqual(0, refused.ExitCode);
        // kube omits the value of an object or a list from a rule's error.
        Assert.Contains("The Pool \"p\" is invalid: spec: Invalid value: min must not exceed max", refused.StdErr);

        Assert.Equal(0, (await cluster.KubectlWithInputAsync(Pool("{min: 1, max: 5, tier: gold}"), "create", "-n", ns, "-f", "-")).ExitCode);
        var transition = await cluster.KubectlAsync("patch", $"pools.{group}", "p", "-n", ns, "--type=merge", "-p", """{"spec":{"tier":"silver"}}""");
        Assert.NotEqual(0, transition.ExitCode);
        Assert.Contains("spec.tier: Forbidden: tier is immutable, it was gold", transition.StdErr);
        await cluster.KubectlOkAsync("patch", $"pools.{group}", "p", "-n", ns, "--type=merge", "-p", """{"spec":{"max":9}}""");
    }

    [Fact]
    public async Task SelectableFields_AreFieldSelectors_AndKubectlEditPatchesACustomResource()
    {
        var group = NewGroup("sel");
        var name = "boats." + group;
        var crd = $$"""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: {{name}}
            spec:
              group: {{group}}
              scope: Namespaced
              names:
                plural: boats
                singular: boat
                kind: Boat
              versions:
              - name: v1
                served: true
                storage: true
                selectableFields:
                - jsonPath: .spec.color
                - jsonPath: .spec.length
                schema:
                  openAPIV3Schema:
                    type: object
                    properties:
                      spec:
                        type: object
                        properties:
                          color:
                            type: string
                          length:
                            type: integer
                          sails:
                            type: integer
            """;
        await CustomResourceDefinitionTests.ApplyCrdAsync(cluster, crd, name);
        var ns = await cluster.CreateNamespaceAsync("boats");
        foreach (var (boat, color, length) in new[] { ("b1", "red", 10), ("b2", "blue", 10), ("b3", "red", 12) })
        {
            var created = await cluster.KubectlWithInputAsync(
                $"apiVersion: {group}/v1\nkind: Boat\nmetadata:\n  name: {boat}\nspec:\n  color: {color}\n  length: {length}\n  sails: 2\n",
                "create", "-n", ns, "-f", "-");
            Assert.True(created.ExitCode == 0, created.ToString());
        }

        async Task<string[]> Selected(string selector) =>
            (await cluster.KubectlOkAsync("get", $"boats.{group}", "-n", ns, "--field-selector", selector, "-o", "name"))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(n => n.Split('/')[1]).Order(StringComparer.Ordinal).ToArray();

        // A string field, an integer field (compared as its decimal text), both together, and !=.
        Assert.Equal(["b1", "b3"], await Selected("spec.color=red"));
        Assert.Equal(["b1", "b2"], await Selected("spec.length=10"));
        Assert.Equal(["b3"], await Selected("spec.color=red,spec.length=12"));
        Assert.Equal(["b2", "b3"], await Selected("metadata.name!=b1"));

        // A field the CRD does not list is refused, as kube's field label conversion refuses it.
        var unsupported = await cluster.KubectlAsync("get", $"boats.{group}", "-n", ns, "--field-selector", "spec.sails=2");
        Assert.NotEqual(0, unsupported.ExitCode);
        Assert.Contains("field label not supported: spec.sails", unsupported.StdErr);

        // The watch cache filters by the same fields.
        var watched = await cluster.GetJsonAsync($"/apis/{group}/v1/namespaces/{ns}/boats?fieldSelector=spec.color%3Dblue&resourceVersion=0");
        Assert.Equal(["b2"], watched["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()));

        // kubectl edit of a custom resource (it sends a JSON merge patch: no strategic merge for custom resources).
        var editor = Path.Combine(cluster.WorkDirectory, "editor-" + Guid.NewGuid().ToString("N")[..6] + ".sh");
        await File.WriteAllTextAsync(editor, "#!/bin/sh\nsed -i 's/color: red/color: green/' \"$1\"\n");
        var edited = await ProcessRunner.RunAsync("kubectl",
            ["--kubeconfig", cluster.Kubeconfig, "edit", $"boats.{group}", "b1", "-n", ns],
            environment: new Dictionary<string, string> { ["EDITOR"] = "sh " + editor, ["KUBE_EDITOR"] = "sh " + editor });
        Assert.True(edited.ExitCode == 0, edited.ToString());
        Assert.Contains($"boat.{group}/b1 edited", edited.StdOut);
        Assert.Equal(["b1"], await Selected("spec.color=green"));
        Assert.Equal(["b3"], await Selected("spec.color=red"));
        var b1 = JsonNode.Parse(await cluster.KubectlOkAsync("get", $"boats.{group}", "b1", "-n", ns, "-o", "json"))!;
        Assert.Equal(2, b1["metadata"]!["generation"]!.GetValue<long>());
        Assert.Equal(10, b1["spec"]!["length"]!.GetValue<int>());
    }

    [Fact]
    public async Task NamesOfABuiltInResourceOfTheGroup_AreNotAccepted()
    {
        // networking.k8s.io has networkpolicies with the short name "netpol": a CRD of the group (a
        // protected group, so it carries the approval annotation) may not take it.
        var name = $"w{Guid.NewGuid().ToString("N")[..6]}s.networking.k8s.io";
        var plural = name.Split('.')[0];
        var crd = $$"""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: {{name}}
              annotations:
                api-approved.kubernetes.io: "unapproved, conformance test only"
            spec:
              group: networking.k8s.io
              scope: Namespaced
              names:
                plural: {{plural}}
                kind: W{{plural}}
                shortNames: [netpol]
              versions:
              - name: v1
                served: true
                storage: true
                schema:
                  openAPIV3Schema:
                    type: object
                    x-kubernetes-preserve-unknown-fields: true
            """;
        var created = await cluster.KubectlWithInputAsync(crd, "create", "-f", "-");
        Assert.True(created.ExitCode == 0, created.ToString());
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            JsonNode? condition = null;
            while (condition is null)
            {
                var current = JsonNode.Parse(await cluster.KubectlOkAsync("get", "crd", name, "-o", "json"))!;
                condition = (current["status"]?["conditions"] as JsonArray ?? []).FirstOrDefault(c => c!["type"]!.GetValue<string>() == "NamesAccepted");
                Assert.True(DateTime.UtcNow < deadline, "NamesAccepted was never set");
                await Task.Delay(100);
            }

            Assert.Equal("False", condition["status"]!.GetValue<string>());
            Assert.Equal("ShortNamesConflict", condition["reason"]!.GetValue<string>());
            Assert.Equal("\"netpol\" is already in use", condition["message"]!.GetValue<string>());
            var networking = await cluster.GetJsonAsync("/apis/networking.k8s.io/v1");
            Assert.DoesNotContain(plural, networking["resources"]!.AsArray().Select(r => r!["name"]!.GetValue<string>()));
            // The short name still names the built-in resource.
            var policies = await cluster.KubectlAsync("get", "netpol", "-A");
            Assert.True(policies.ExitCode == 0, policies.ToString());
        }
        finally
        {
            await cluster.KubectlAsync("delete", "crd", name, "--wait=false");
        }
    }
}
