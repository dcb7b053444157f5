using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.CustomResources;

/// <summary>
/// CustomResourceDefinitions through kubectl and HTTP (issue 16): a CRD becomes established and its
/// resources are served at once, with printer columns, discovery, explain, scale, status and watch;
/// invalid CRDs are refused with kube's field errors; names already taken are not accepted; deleting
/// a CRD deletes its objects first. Each test uses its own group, so CRDs of parallel tests never meet.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class CustomResourceDefinitionTests(ClusterFixture cluster)
{
    /// <summary>A namespaced Widget CRD with status and scale subresources, printer columns and a described schema.</summary>
    internal static string WidgetCrd(string group, string plural = "widgets", string kind = "Widget", string shortName = "wd") => $$"""
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: {{plural}}.{{group}}
        spec:
          group: {{group}}
          scope: Namespaced
          names:
            plural: {{plural}}
            singular: {{kind.ToLowerInvariant()}}
            kind: {{kind}}
            shortNames: [{{shortName}}]
            categories: [all]
          versions:
          - name: v1
            served: true
            storage: true
            subresources:
              status: {}
              scale:
                specReplicasPath: .spec.size
                statusReplicasPath: .status.size
                labelSelectorPath: .status.selector
            additionalPrinterColumns:
            - name: Color
              type: string
              jsonPath: .spec.color
            - name: Size
              type: integer
              jsonPath: .spec.size
            - name: Ready
              type: string
              priority: 1
              jsonPath: .status.conditions[?(@.type=="Ready")].status
            - name: Age
              type: date
              jsonPath: .metadata.creationTimestamp
            schema:
              openAPIV3Schema:
                type: object
                description: A widget the tests make.
                properties:
                  spec:
                    type: object
                    description: What the widget should look like.
                    properties:
                      color:
                        type: string
                        description: The paint on the widget.
                      size:
                        type: integer
                        description: How many parts the widget has.
                  status:
                    type: object
                    properties:
                      size: {type: integer}
                      selector: {type: string}
                      conditions:
                        type: array
                        items:
                          type: object
                          properties:
                            type: {type: string}
                            status: {type: string}
        """;

    internal static string Widget(string group, string name, string color = "red", int size = 2, string kind = "Widget") => $$"""
        apiVersion: {{group}}/v1
        kind: {{kind}}
        metadata:
          name: {{name}}
        spec:
          color: {{color}}
          size: {{size}}
        """;

    private static string NewGroup(string prefix) => $"{prefix}{Guid.NewGuid().ToString("N")[..6]}.example.com";

    /// <summary>Applies a CRD with kubectl and waits, as users do, for condition=Established.</summary>
    internal static async Task ApplyCrdAsync(ClusterFixture on, string yaml, string name)
    {
        var applied = await on.KubectlWithInputAsync(yaml, "apply", "-f", "-");
        Assert.True(applied.ExitCode == 0, applied.ToString());
        await on.KubectlOkAsync("wait", "--for", "condition=Established", "crd/" + name, "--timeout=30s");
    }

    /// <summary>Waits until the server's CRD controller has established <paramref name="name"/>.</summary>
    internal static async Task WaitForEstablishedAsync(ClusterFixture on, string name)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await on.Http.GetAsync($"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}");
            var crd = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            var conditions = crd["status"]?["conditions"] as JsonArray ?? [];
            if (conditions.Any(c => c?["type"]?.GetValue<string>() == "Established" && c["status"]?.GetValue<string>() == "True"))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{name} was not established: {crd}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task AppliedCrd_IsEstablished_WithAcceptedNamesAndStoredVersions()
    {
        var group = NewGroup("est");
        var name = "widgets." + group;
        await ApplyCrdAsync(cluster, WidgetCrd(group), name);

        var crd = JsonNode.Parse(await cluster.KubectlOkAsync("get", "crd", name, "-o", "json"))!;
        Assert.Equal("None", crd["spec"]!["conversion"]!["strategy"]!.GetValue<string>());
        Assert.Equal("WidgetList", crd["spec"]!["names"]!["listKind"]!.GetValue<string>());
        var status = crd["status"]!;
        Assert.Equal(["v1"], status["storedVersions"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal("widgets", status["acceptedNames"]!["plural"]!.GetValue<string>());
        Assert.Equal("Widget", status["acceptedNames"]!["kind"]!.GetValue<string>());
        Assert.Equal(["wd"], status["acceptedNames"]!["shortNames"]!.AsArray().Select(v => v!.GetValue<string>()));
        var conditions = status["conditions"]!.AsArray().ToDictionary(c => c!["type"]!.GetValue<string>(), c => c!);
        Assert.Equal("True", conditions["NamesAccepted"]["status"]!.GetValue<string>());
        Assert.Equal("NoConflicts", conditions["NamesAccepted"]["reason"]!.GetValue<string>());
        Assert.Equal("True", conditions["Established"]["status"]!.GetValue<string>());
        Assert.Equal("InitialNamesAccepted", conditions["Established"]["reason"]!.GetValue<string>());
        Assert.Equal(1, crd["metadata"]!["generation"]!.GetValue<long>());

        // Stored where kube-apiserver stores it.
        var keys = cluster.Etcdctl("get", $"{ClusterFixture.EtcdPrefix}/apiextensions.k8s.io/customresourcedefinitions/{name}", "--keys-only");
        Assert.Contains(name, keys);
    }

    [Fact]
    public async Task CustomResources_WorkWithKubectl_CreateGetPrintPatchStatusScaleAndDelete()
    {
        var group = NewGroup("kc");
        await ApplyCrdAsync(cluster, WidgetCrd(group), "widgets." + group);
        var ns = await cluster.CreateNamespaceAsync("widgets");

        var created = await cluster.KubectlWithInputAsync(Widget(group, "w1"), "apply", "-n", ns, "-f", "-");
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains($"widget.{group}/w1 created", created.StdOut);

        // Printer columns (the priority 1 column only with -o wide). The tests' CRDs all have a
        // "widgets" resource, in different groups, so the group is spelled out, as users must then.
        var table = await cluster.KubectlOkAsync("get", $"widgets.{group}", "-n", ns);
        Assert.Matches(@"NAME\s+COLOR\s+SIZE\s+AGE", table);
        Assert.Matches(@"w1\s+red\s+2\s+\d+s", table);
        var wide = await cluster.KubectlOkAsync("get", $"widgets.{group}", "-n", ns, "-o", "wide");
        Assert.Matches(@"NAME\s+COLOR\s+SIZE\s+READY\s+AGE", wide);

        // A merge patch changes the spec: generation moves.
        await cluster.KubectlOkAsync("patch", $"widgets.{group}", "w1", "-n", ns, "--type=merge", "-p", """{"spec":{"color":"blue"}}""");
        // The status subresource changes status only, and generation stays.
        await cluster.KubectlOkAsync("patch", $"widgets.{group}", "w1", "-n", ns, "--subresource=status", "--type=merge",
            "-p", """{"status":{"size":2,"selector":"app=w1","conditions":[{"type":"Ready","status":"True"}]},"spec":{"color":"green"}}""");
        var w1 = JsonNode.Parse(await cluster.KubectlOkAsync("get", $"widgets.{group}", "w1", "-n", ns, "-o", "json"))!;
        Assert.Equal("blue", w1["spec"]!["color"]!.GetValue<string>());
        Assert.Equal(2, w1["metadata"]!["generation"]!.GetValue<long>());
        Assert.Equal("True", w1["status"]!["conditions"]![0]!["status"]!.GetValue<string>());
        Assert.Matches(@"w1\s+blue\s+2\s+True\s+\d+s", await cluster.KubectlOkAsync("get", $"widgets.{group}", "-n", ns, "-o", "wide"));

        // A status update is validated against the status schema, its messages naming the field inside status.
        var badStatus = await cluster.KubectlAsync("patch", $"widgets.{group}", "w1", "-n", ns, "--subresource=status", "--type=merge", "-p", """{"status":{"size":"big"}}""");
        Assert.NotEqual(0, badStatus.ExitCode);
        Assert.Contains("status.size: Invalid value: \"string\": size in body must be of type integer: \"string\"", badStatus.StdErr);

        // Status is not written through the main resource.
        await cluster.KubectlOkAsync("patch", $"widgets.{group}", "w1", "-n", ns, "--type=merge", "-p", """{"status":{"size":9}}""");
        Assert.Equal("2", await cluster.KubectlOkAsync("get", $"widgets.{group}", "w1", "-n", ns, "-o", "jsonpath={.status.size}"));

        // kubectl scale through the scale subresource, at the CRD's own paths.
        await cluster.KubectlOkAsync("scale", $"widgets.{group}", "w1", "-n", ns, "--replicas=5");
        Assert.Equal("5", await cluster.KubectlOkAsync("get", $"widgets.{group}", "w1", "-n", ns, "-o", "jsonpath={.spec.size}"));
        var scale = await cluster.GetJsonAsync($"/apis/{group}/v1/namespaces/{ns}/widgets/w1/scale");
        Assert.Equal("Scale", scale["kind"]!.GetValue<string>());
        Assert.Equal(5, scale["spec"]!["replicas"]!.GetValue<long>());
        Assert.Equal(2, scale["status"]!["replicas"]!.GetValue<long>());
        Assert.Equal("app=w1", scale["status"]!["selector"]!.GetValue<string>());

        // Strategic merge patch is for built-in kinds only.
        var strategic = await cluster.KubectlAsync("patch", $"widgets.{group}", "w1", "-n", ns, "--type=strategic", "-p", """{"spec":{"color":"x"}}""");
        Assert.NotEqual(0, strategic.ExitCode);
        Assert.Contains("application/strategic-merge-patch+json is not supported", strategic.StdErr);

        // Server-side apply, with field ownership recorded per field of the schema.
        var applied = await cluster.KubectlWithInputAsync(Widget(group, "w1", color: "purple", size: 5), "apply", "--server-side", "--force-conflicts", "-n", ns, "-f", "-");
        Assert.True(applied.ExitCode == 0, applied.ToString());
        var managed = JsonNode.Parse(await cluster.KubectlOkAsync("get", $"widgets.{group}", "w1", "-n", ns, "-o", "json", "--show-managed-fields"))!;
        var apply = managed["metadata"]!["managedFields"]!.AsArray().Single(e => e!["operation"]!.GetValue<string>() == "Apply" && e["manager"]!.GetValue<string>() == "kubectl");
        Assert.NotNull(apply!["fieldsV1"]!["f:spec"]!["f:color"]);

        // In the "all" category, and stored as JSON where kube-apiserver stores custom resources.
        Assert.Contains($"widget.{group}/w1", await cluster.KubectlOkAsync("get", "all", "-n", ns));
        var stored = cluster.Etcdctl("get", $"{ClusterFixture.EtcdPrefix}/{group}/widgets/{ns}/w1", "--print-value-only");
        Assert.Equal("purple", JsonNode.Parse(stored)!["spec"]!["color"]!.GetValue<string>());

        await cluster.KubectlOkAsync("delete", $"widgets.{group}", "w1", "-n", ns);
        Assert.Contains("No resources found", (await cluster.KubectlAsync("get", $"widgets.{group}", "-n", ns)).StdErr);
    }

    [Fact]
    public async Task Discovery_ApiResources_AndExplain_DescribeTheCustomResource()
    {
        var group = NewGroup("disc");
        await ApplyCrdAsync(cluster, WidgetCrd(group), "widgets." + group);

        var resources = await cluster.KubectlOkAsync("api-resources", "--api-group", group);
        var escaped = System.Text.RegularExpressions.Regex.Escape(group);
        Assert.Matches($@"widgets\s+wd\s+{escaped}/v1\s+true\s+Widget", resources);

        var explained = await cluster.KubectlOkAsync("explain", $"widgets.{group}.spec");
        Assert.Contains("What the widget should look like.", explained);
        Assert.Contains("The paint on the widget.", explained);

        // Legacy discovery of the group and version, with the subresources.
        var apiGroup = await cluster.GetJsonAsync($"/apis/{group}");
        Assert.Equal($"{group}/v1", apiGroup["preferredVersion"]!["groupVersion"]!.GetValue<string>());
        var list = await cluster.GetJsonAsync($"/apis/{group}/v1");
        var names = list["resources"]!.AsArray().Select(r => r!["name"]!.GetValue<string>()).ToArray();
        Assert.Equal(["widgets", "widgets/status", "widgets/scale"], names);
        var scale = list["resources"]!.AsArray().Single(r => r!["name"]!.GetValue<string>() == "widgets/scale")!;
        Assert.Equal("autoscaling", scale["group"]!.GetValue<string>());
        Assert.Equal(["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
            list["resources"]![0]!["verbs"]!.AsArray().Select(v => v!.GetValue<string>()));

        // The OpenAPI v3 document of the group/version carries the CRD's schema.
        var index = await cluster.GetJsonAsync("/openapi/v3");
        Assert.NotNull(index["paths"]![$"apis/{group}/v1"]);
        var document = await cluster.GetJsonAsync($"/openapi/v3/apis/{group}/v1");
        var reversed = string.Join('.', group.Split('.').Reverse());
        var schema = document["components"]!["schemas"]![$"{reversed}.v1.Widget"]!;
        Assert.Equal("A widget the tests make.", schema["description"]!.GetValue<string>());
        Assert.Equal("#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", schema["properties"]!["metadata"]!["$ref"]!.GetValue<string>());
    }

    [Fact]
    public async Task Watch_SeesCustomResourceEvents_FromTheWatchCache()
    {
        var group = NewGroup("watch");
        await ApplyCrdAsync(cluster, WidgetCrd(group), "widgets." + group);
        var ns = await cluster.CreateNamespaceAsync("wwatch");
        var list = await cluster.GetJsonAsync($"/apis/{group}/v1/namespaces/{ns}/widgets");
        var from = list["metadata"]!["resourceVersion"]!.GetValue<string>();

        using var watchClient = cluster.CreateHttpClient(cluster.Admin);
        using var response = await watchClient.GetAsync(
            $"/apis/{group}/v1/namespaces/{ns}/widgets?watch=true&resourceVersion={from}&timeoutSeconds=10", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        await cluster.KubectlWithInputAsync(Widget(group, "seen"), "apply", "-n", ns, "-f", "-");
        await cluster.KubectlOkAsync("label", $"widgets.{group}", "seen", "-n", ns, "tier=gold");
        await cluster.KubectlOkAsync("delete", $"widgets.{group}", "seen", "-n", ns);

        var types = new List<string>();
        while (types.Count < 3 && await reader.ReadLineAsync() is { } line)
        {
            var change = JsonNode.Parse(line)!;
            Assert.Equal("seen", change["object"]!["metadata"]!["name"]!.GetValue<string>());
            types.Add(change["type"]!.GetValue<string>());
        }

        Assert.Equal(["ADDED", "MODIFIED", "DELETED"], types);
    }

    [Fact]
    public async Task InvalidCrds_AreRefused_WithKubesFieldErrors()
    {
        var group = NewGroup("bad");
        var twoStorage = $$"""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: things.{{group}}
            spec:
              group: {{group}}
              scope: Everywhere
              names: {plural: things, kind: Thing, shortNames: [Bad_Name]}
              versions:
              - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object} } }
              - {name: v2, served: true, storage: true, schema: {openAPIV3Schema: {type: object} } }
            """;
        var refused = await cluster.KubectlWithInputAsync(twoStorage, "create", "-f", "-");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains($"The CustomResourceDefinition \"things.{group}\" is invalid", refused.StdErr);
        Assert.Contains("spec.scope: Unsupported value: \"Everywhere\": supported values: \"Cluster\", \"Namespaced\"", refused.StdErr);
        Assert.Contains("spec.versions: Invalid value:", refused.StdErr);
        Assert.Contains("must have exactly one version marked as storage version", refused.StdErr);
        Assert.Contains("spec.names.shortNames[0]: Invalid value: \"Bad_Name\"", refused.StdErr);

        var wrongName = $$"""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: other.{{group}}
            spec:
              group: {{group}}
              scope: Cluster
              names: {plural: things, kind: Thing}
              versions:
              - name: v1
                served: true
                storage: true
                schema: {openAPIV3Schema: {type: object} }
                subresources: {scale: {specReplicasPath: replicas, statusReplicasPath: .spec.replicas} }
                additionalPrinterColumns: [ {name: X, type: text, jsonPath: .spec.x} ]
            """;
        var refusedName = await cluster.KubectlWithInputAsync(wrongName, "create", "-f", "-");
        Assert.NotEqual(0, refusedName.ExitCode);
        Assert.Contains($"metadata.name: Invalid value: \"other.{group}\": must be spec.names.plural+\".\"+spec.group", refusedName.StdErr);
        Assert.Contains("spec.subresources.scale.specReplicasPath: Invalid value: \"replicas\": must be a simple json path starting with .", refusedName.StdErr);
        Assert.Contains("spec.subresources.scale.statusReplicasPath: Invalid value: \".spec.replicas\": should be a json path under .status", refusedName.StdErr);
        Assert.Contains("spec.additionalPrinterColumns[0].type: Invalid value: \"text\": must be one of boolean,date,integer,number,string", refusedName.StdErr);

        // Nothing of either was stored.
        Assert.DoesNotContain(group, cluster.Etcdctl("get", $"{ClusterFixture.EtcdPrefix}/apiextensions.k8s.io/customresourcedefinitions/", "--prefix", "--keys-only"));
    }

    [Fact]
    public async Task NamesTakenByAnotherCrdOfTheGroup_AreNotAccepted_AndItIsNotServed()
    {
        var group = NewGroup("names");
        await ApplyCrdAsync(cluster, WidgetCrd(group), "widgets." + group);
        // Its short name is the first CRD's plural.
        var rival = WidgetCrd(group, plural: "gadgets", kind: "Gadget", shortName: "widgets");
        var created = await cluster.KubectlWithInputAsync(rival, "create", "-f", "-");
        Assert.True(created.ExitCode == 0, created.ToString());

        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonNode? condition = null;
        while (condition is null)
        {
            var crd = JsonNode.Parse(await cluster.KubectlOkAsync("get", "crd", "gadgets." + group, "-o", "json"))!;
            condition = (crd["status"]?["conditions"] as JsonArray ?? []).FirstOrDefault(c => c!["type"]!.GetValue<string>() == "NamesAccepted");
            Assert.True(DateTime.UtcNow < deadline, "NamesAccepted was never set");
            await Task.Delay(100);
        }

        Assert.Equal("False", condition["status"]!.GetValue<string>());
        Assert.Equal("ShortNamesConflict", condition["reason"]!.GetValue<string>());
        Assert.Equal("\"widgets\" is already in use", condition["message"]!.GetValue<string>());
        var crdNow = JsonNode.Parse(await cluster.KubectlOkAsync("get", "crd", "gadgets." + group, "-o", "json"))!;
        var established = crdNow["status"]!["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == "Established")!;
        Assert.Equal("False", established["status"]!.GetValue<string>());
        Assert.Equal("NotAccepted", established["reason"]!.GetValue<string>());

        // Not in discovery: only the first CRD's resource is.
        var list = await cluster.GetJsonAsync($"/apis/{group}/v1");
        Assert.DoesNotContain("gadgets", list["resources"]!.AsArray().Select(r => r!["name"]!.GetValue<string>()));

        // Once the first CRD is gone, the names are free and the second one is established.
        await cluster.KubectlOkAsync("delete", "crd", "widgets." + group);
        await cluster.KubectlOkAsync("wait", "--for", "condition=Established", "crd/gadgets." + group, "--timeout=30s");
    }

    [Fact]
    public async Task DeletingACrd_DeletesItsObjectsFirst_ThenStopsServingThem()
    {
        var group = NewGroup("del");
        var name = "widgets." + group;
        await ApplyCrdAsync(cluster, WidgetCrd(group), name);
        var ns1 = await cluster.CreateNamespaceAsync("wdel");
        var ns2 = await cluster.CreateNamespaceAsync("wdel");
        await cluster.KubectlWithInputAsync(Widget(group, "a"), "apply", "-n", ns1, "-f", "-");
        await cluster.KubectlWithInputAsync(Widget(group, "b"), "apply", "-n", ns2, "-f", "-");
        // An object with a finalizer holds the CRD's deletion until the finalizer is removed.
        var held = Widget(group, "held").Replace("  name: held", "  name: held\n  finalizers: [example.com/hold]");
        Assert.Equal(0, (await cluster.KubectlWithInputAsync(held, "apply", "-n", ns1, "-f", "-")).ExitCode);

        await cluster.KubectlOkAsync("delete", "crd", name, "--wait=false");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonNode crd;
        while (true)
        {
            crd = JsonNode.Parse(await cluster.KubectlOkAsync("get", "crd", name, "-o", "json"))!;
            var terminating = crd["status"]!["conditions"]!.AsArray().FirstOrDefault(c => c!["type"]!.GetValue<string>() == "Terminating");
            if (terminating?["reason"]?.GetValue<string>() == "InstanceDeletionInProgress" && (await cluster.KubectlAsync("get", $"widgets.{group}", "b", "-n", ns2)).ExitCode != 0)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "the CRD's objects were not being deleted: " + crd);
            await Task.Delay(200);
        }

        Assert.Contains("customresourcecleanup.apiextensions.k8s.io", crd["metadata"]!["finalizers"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.NotNull(crd["metadata"]!["deletionTimestamp"]);
        // No new objects while it goes.
        var refused = await cluster.KubectlWithInputAsync(Widget(group, "late"), "create", "-n", ns1, "-f", "-");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("create not allowed while custom resource definition is terminating", refused.StdErr);

        await cluster.KubectlOkAsync("patch", $"widgets.{group}", "held", "-n", ns1, "--type=merge", "-p", """{"metadata":{"finalizers":null}}""");
        await cluster.KubectlOkAsync("wait", "--for=delete", "crd/" + name, "--timeout=60s");

        Assert.Empty(cluster.Etcdctl("get", $"{ClusterFixture.EtcdPrefix}/{group}/", "--prefix", "--keys-only").Trim());
        var gone = await cluster.KubectlAsync("get", $"widgets.{group}", "-A");
        Assert.NotEqual(0, gone.ExitCode);
        using var response = await cluster.Http.GetAsync($"/apis/{group}/v1/widgets");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task ChangingTheCrd_TakesEffectWithoutARestart()
    {
        var group = NewGroup("chg");
        var name = "widgets." + group;
        await ApplyCrdAsync(cluster, WidgetCrd(group), name);
        var ns = await cluster.CreateNamespaceAsync("wchg");
        await cluster.KubectlWithInputAsync(Widget(group, "w"), "apply", "-n", ns, "-f", "-");

        // A second served version, and a printer column less.
        var changed = WidgetCrd(group)
            .Replace("    - name: Color\n      type: string\n      jsonPath: .spec.color\n", "")
            .Replace("  versions:\n", "  versions:\n  - name: v2beta1\n    served: true\n    storage: false\n    schema:\n      openAPIV3Schema:\n"
                + "        type: object\n        x-kubernetes-preserve-unknown-fields: true\n");
        Assert.DoesNotContain("jsonPath: .spec.color", changed);
        var applied = await cluster.KubectlWithInputAsync(changed, "apply", "-f", "-");
        Assert.True(applied.ExitCode == 0, applied.ToString());

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await cluster.Http.GetAsync($"/apis/{group}/v2beta1/namespaces/{ns}/widgets/w");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var v2 = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                Assert.Equal($"{group}/v2beta1", v2["apiVersion"]!.GetValue<string>());
                Assert.Equal("red", v2["spec"]!["color"]!.GetValue<string>());
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "v2beta1 was never served");
            await Task.Delay(100);
        }

        // v1 stays preferred (GA before beta), and its table lost the column.
        var apiGroup = await cluster.GetJsonAsync($"/apis/{group}");
        Assert.Equal(["v1", "v2beta1"], apiGroup["versions"]!.AsArray().Select(v => v!["version"]!.GetValue<string>()));
        Assert.Equal("v1", apiGroup["preferredVersion"]!["version"]!.GetValue<string>());
        var table = await cluster.KubectlOkAsync("get", $"widgets.v1.{group}", "-n", ns);
        Assert.Matches(@"NAME\s+SIZE\s+AGE", table);
    }

    [Fact]
    public async Task QuotaAndRbac_ApplyToCustomResources()
    {
        var group = NewGroup("quota");
        await ApplyCrdAsync(cluster, WidgetCrd(group), "widgets." + group);
        var ns = await cluster.CreateNamespaceAsync("wquota");
        await cluster.KubectlOkAsync("create", "quota", "q", "-n", ns, $"--hard=count/widgets.{group}=1");
        await EventuallyAsync(async () => (await cluster.GetJsonAsync($"/api/v1/namespaces/{ns}/resourcequotas/q"))["status"]?["used"]?[$"count/widgets.{group}"]?.GetValue<string>() == "0");

        Assert.Equal(0, (await cluster.KubectlWithInputAsync(Widget(group, "one"), "create", "-n", ns, "-f", "-")).ExitCode);
        var second = await cluster.KubectlWithInputAsync(Widget(group, "two"), "create", "-n", ns, "-f", "-");
        Assert.NotEqual(0, second.ExitCode);
        Assert.Contains($"exceeded quota: q, requested: count/widgets.{group}=1, used: count/widgets.{group}=1, limited: count/widgets.{group}=1", second.StdErr);

        // RBAC: a user may read widgets only once a role says so.
        var user = cluster.Pki.IssueClientCertificate("widget-reader-" + group[..8], "widget-reader-" + group[..8]);
        using var client = cluster.CreateHttpClient(user);
        var path = $"/apis/{group}/v1/namespaces/{ns}/widgets";
        using (var denied = await client.GetAsync(path))
        {
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
            Assert.Contains($"cannot list resource \\\"widgets\\\" in API group \\\"{group}\\\"", await denied.Content.ReadAsStringAsync());
        }

        await cluster.KubectlOkAsync("create", "role", "widget-reader", "-n", ns, "--verb=get,list", $"--resource=widgets.{group}");
        await cluster.KubectlOkAsync("create", "rolebinding", "widget-reader", "-n", ns, "--role=widget-reader", "--user=widget-reader-" + group[..8]);
        await EventuallyAsync(async () =>
        {
            using var allowed = await client.GetAsync(path);
            return allowed.StatusCode == HttpStatusCode.OK;
        });
    }

    [Fact]
    public async Task TheSchema_ValidatesPrunesAndDefaultsCustomResources()
    {
        var group = NewGroup("schema");
        var name = "gizmos." + group;
        string Crd(string extra) => $$"""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: {{name}}
            spec:
              group: {{group}}
              scope: Namespaced
              names: {plural: gizmos, singular: gizmo, kind: Gizmo}
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
                        required: [color]
                        properties:
                          color: {type: string, enum: [red, blue]}
                          replicas: {type: integer, minimum: 1, maximum: 10}
                          mode: {type: string, default: auto}
            {{extra}}
            """;
        await ApplyCrdAsync(cluster, Crd(""), name);
        var ns = await cluster.CreateNamespaceAsync("schema");
        string Gizmo(string objectName, string spec) => $"apiVersion: {group}/v1\nkind: Gizmo\nmetadata:\n  name: {objectName}\nspec: {spec}\n";

        // Values the schema refuses: 422 listing every field error.
        var invalid = await cluster.KubectlWithInputAsync(Gizmo("bad", "{color: green, replicas: 20}"), "create", "-n", ns, "-f", "-");
        Assert.NotEqual(0, invalid.ExitCode);
        Assert.Contains("The Gizmo \"bad\" is invalid", invalid.StdErr);
        Assert.Contains("spec.color: Unsupported value: \"green\"", invalid.StdErr);
        Assert.Contains("spec.replicas: Invalid value: 20", invalid.StdErr);

        // Unknown fields: kubectl's strict validation refuses them, a warning otherwise, and they are pruned.
        var strict = await cluster.KubectlWithInputAsync(Gizmo("odd", "{color: red, shade: dark}"), "create", "-n", ns, "-f", "-");
        Assert.NotEqual(0, strict.ExitCode);
        Assert.Contains("Gizmo in version \"v1\" cannot be handled as a Gizmo: strict decoding error: unknown field \"spec.shade\"", strict.StdErr);
        var warned = await cluster.KubectlWithInputAsync(Gizmo("odd", "{color: red, shade: dark}"), "create", "--validate=warn", "-n", ns, "-f", "-");
        Assert.True(warned.ExitCode == 0, warned.ToString());
        Assert.Contains("unknown field \"spec.shade\"", warned.StdErr);
        var odd = JsonNode.Parse(await cluster.KubectlOkAsync("get", $"gizmos.{group}", "odd", "-n", ns, "-o", "json"))!;
        Assert.Null(odd["spec"]!["shade"]);
        // The default is set on create.
        Assert.Equal("auto", odd["spec"]!["mode"]!.GetValue<string>());

        // A default added to the schema later shows on objects stored before it, from the cache and from etcd.
        var original = Crd("");
        var modeLine = original.Split('\n').Single(l => l.TrimStart().StartsWith("mode:", StringComparison.Ordinal));
        var indent = modeLine[..(modeLine.Length - modeLine.TrimStart().Length)];
        var withDefault = original.Replace(modeLine, modeLine + "\n" + indent + "size: {type: integer, default: 3}", StringComparison.Ordinal);
        var changed = await cluster.KubectlWithInputAsync(withDefault, "apply", "-f", "-");
        Assert.True(changed.ExitCode == 0, changed.ToString());
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var cached = await cluster.GetJsonAsync($"/apis/{group}/v1/namespaces/{ns}/gizmos/odd?resourceVersion=0");
            if (cached["spec"]?["size"] is not null)
            {
                Assert.Equal(3, cached["spec"]!["size"]!.GetValue<int>());
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "the new default never showed: " + cached);
            await Task.Delay(200);
        }

        var fromEtcd = await cluster.GetJsonAsync($"/apis/{group}/v1/namespaces/{ns}/gizmos/odd");
        Assert.Equal(3, fromEtcd["spec"]!["size"]!.GetValue<int>());
        var stored = JsonNode.Parse(cluster.Etcdctl("get", $"{ClusterFixture.EtcdPrefix}/{group}/gizmos/{ns}/odd", "--print-value-only"))!;
        Assert.Null(stored["spec"]!["size"]);
    }

    [Fact]
    public async Task TwoServersOnOneEtcd_ACrdCreatedThroughOne_IsServedByTheOther()
    {
        // A second server on the same etcd, as in an HA control plane: it follows CRDs on its own.
        var port = TestSupport.FreePort.Next();
        var flags = cluster.Server.Flags.Select(f => f.StartsWith("--secure-port=", StringComparison.Ordinal) ? $"--secure-port={port}" : f).ToArray();
        await using var second = new ServerProcess(Path.Combine(cluster.WorkDirectory, "second-" + Guid.NewGuid().ToString("N")[..6]), flags, port);
        await second.StartAsync(cluster.CreateHttpClient(null), TimeSpan.FromSeconds(90));
        var secondKubeconfig = Path.Combine(cluster.WorkDirectory, $"second-{port}.kubeconfig");
        await File.WriteAllTextAsync(secondKubeconfig, cluster.KubeconfigFor(cluster.Admin).Replace(cluster.ServerUrl, second.Url, StringComparison.Ordinal));
        Task<ProcessResult> OnSecond(string? stdin, params string[] args) => ProcessRunner.RunAsync(
            "kubectl", new[] { "--kubeconfig", secondKubeconfig, "--cache-dir", Path.Combine(cluster.WorkDirectory, $"kube-cache-{port}") }.Concat(args), stdin: stdin);

        var group = NewGroup("ha");
        await ApplyCrdAsync(cluster, WidgetCrd(group), "widgets." + group);
        var ns = await cluster.CreateNamespaceAsync("ha");

        // The second server serves it too: a create there is read through the first.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        ProcessResult created;
        while ((created = await OnSecond(Widget(group, "from-second"), "create", "-n", ns, "-f", "-")).ExitCode != 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the second server never served the CRD: " + created);
            await Task.Delay(200);
        }

        var read = await cluster.GetJsonAsync($"/apis/{group}/v1/namespaces/{ns}/widgets/from-second");
        Assert.Equal("red", read["spec"]!["color"]!.GetValue<string>());
        var table = await OnSecond(null, "get", $"widgets.{group}", "-n", ns);
        Assert.Matches(@"from-second\s+red\s+2", table.StdOut);

        // Its deletion through the first server stops the second one serving it.
        await cluster.KubectlOkAsync("delete", "crd", "widgets." + group);
        deadline = DateTime.UtcNow.AddSeconds(30);
        using var client = cluster.CreateHttpClient(cluster.Admin);
        while (true)
        {
            using var response = await client.GetAsync($"{second.Url}/apis/{group}/v1/namespaces/{ns}/widgets");
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "the second server still serves the deleted CRD");
            await Task.Delay(200);
        }
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(200);
        }
    }
}
