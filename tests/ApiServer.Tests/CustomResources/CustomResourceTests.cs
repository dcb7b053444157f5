using System.Text.Json.Nodes;
using ApiMachinery.FieldManagement;
using ApiMachinery.Schema;
using ApiServer.CustomResources;
using ApiServer.Printing;
using ApiServer.Registry;

namespace ApiServer.Tests.CustomResources;

public sealed class KubeVersionComparerTests
{
    [Fact]
    public void Sort_PutsGaFirst_ThenBeta_ThenAlpha_ThenOthersAlphabetically()
    {
        string[] versions = ["v1alpha1", "foo", "v2", "v1beta1", "v1", "v10", "v2beta2", "v11alpha2", "bar", "v1beta2"];

        var sorted = versions.Order(KubeVersionComparer.Instance).ToArray();

        Assert.Equal(["v10", "v2", "v1", "v2beta2", "v1beta2", "v1beta1", "v11alpha2", "v1alpha1", "bar", "foo"], sorted);
    }
}

public sealed class JsonPathExpressionTests
{
    private static readonly JsonObject Object = JsonNode.Parse("""
        {"metadata":{"name":"w","labels":{"app.kubernetes.io/name":"web"}},
         "spec":{"replicas":3,"ports":[{"name":"a","port":80},{"name":"b","port":443}]},
         "status":{"conditions":[{"type":"Synced","status":"False"},{"type":"Ready","status":"True","message":"all good"}]}}
        """)!.AsObject();

    [Theory]
    [InlineData(".spec.replicas", "3")]
    [InlineData("{.metadata.name}", "\"w\"")]
    [InlineData(".spec.ports[1].port", "443")]
    [InlineData(".spec.ports[-1].name", "\"b\"")]
    [InlineData(".spec.ports[*].port", "80,443")]
    [InlineData(".status.conditions[?(@.type==\"Ready\")].status", "\"True\"")]
    [InlineData(".status.conditions[?(@.type == 'Ready')].message", "\"all good\"")]
    [InlineData(".status.conditions[?(@.message)].type", "\"Ready\"")]
    [InlineData(".metadata.labels['app.kubernetes.io/name']", "\"web\"")]
    [InlineData("..port", "80,443")]
    [InlineData(".spec.missing", "")]
    public void Evaluate_SelectsWhatClientGosJsonPathSelects(string path, string expected)
    {
        var results = JsonPathExpression.Parse(path).Evaluate(Object);

        Assert.Equal(expected, string.Join(",", results.Select(r => r?.ToJsonString())));
    }
}

public sealed class StructuralSchemaFactsTests
{
    private static readonly JsonObject Schema = JsonNode.Parse("""
        {"type":"object","properties":{
          "metadata":{"type":"object"},
          "spec":{"type":"object","properties":{
            "replicas":{"type":"integer"},
            "labels":{"type":"object","additionalProperties":{"type":"string"}},
            "ports":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
                     "items":{"type":"object","properties":{"name":{"type":"string"},"port":{"type":"integer"}}}},
            "tags":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}},
            "args":{"type":"array","items":{"type":"string"}},
            "selector":{"type":"object","x-kubernetes-map-type":"atomic","properties":{"app":{"type":"string"}}},
            "raw":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}}}
        """)!.AsObject();

    [Fact]
    public void FromSchema_GivesFieldManagementTheSchemasListTypesAndMapKeys()
    {
        var root = StructuralSchemaFacts.FromSchema("com.example.v1.Widget", Schema);
        var shape = FieldShape.Of(root);
        var spec = shape.FieldOf("spec");

        Assert.Equal(ShapeKind.Struct, shape.Kind);
        Assert.Equal(ShapeKind.Struct, shape.FieldOf("metadata").Kind);
        Assert.Equal(ShapeKind.Map, shape.FieldOf("metadata").FieldOf("labels").Kind);
        Assert.Equal(ShapeKind.Struct, spec.Kind);
        Assert.Equal(ShapeKind.Map, spec.FieldOf("labels").Kind);
        var ports = spec.FieldOf("ports");
        Assert.Equal(ShapeKind.KeyedList, ports.Kind);
        Assert.Equal(["name"], ports.Keys);
        Assert.Equal(ShapeKind.Struct, ports.Element().Kind);
        Assert.Equal(ShapeKind.SetList, spec.FieldOf("tags").Kind);
        Assert.Equal(ShapeKind.Leaf, spec.FieldOf("args").Kind);
        Assert.Equal(ShapeKind.Leaf, spec.FieldOf("selector").Kind);
        Assert.Equal(ShapeKind.Leaf, spec.FieldOf("raw").Kind);
    }
}

public sealed class CustomResourceDefinitionValidationTests
{
    private static JsonObject Crd(string versions = """[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object"}}}]""") =>
        JsonNode.Parse("""
            {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.example.com"},
             "spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"widgets","singular":"widget","kind":"Widget","listKind":"WidgetList"},
                     "versions":VERSIONS,"conversion":{"strategy":"None"}},
             "status":{"storedVersions":["v1"]}}
            """.Replace("VERSIONS", versions, StringComparison.Ordinal))!.AsObject();

    private static string[] Errors(JsonObject crd) => CustomResourceDefinitionValidation.ValidateCreate(crd).Select(e => e.ToString()).ToArray();

    [Fact]
    public void AValidCrd_HasNoErrors() => Assert.Empty(Errors(Crd()));

    [Fact]
    public void Name_MustBePluralDotGroup()
    {
        var crd = Crd();
        crd["metadata"]!["name"] = "gadgets.example.com";

        Assert.Contains("metadata.name: Invalid value: \"gadgets.example.com\": must be spec.names.plural+\".\"+spec.group", Errors(crd));
    }

    [Fact]
    public void Group_MustBeADomainWithADot()
    {
        var crd = Crd();
        crd["spec"]!["group"] = "example";
        crd["metadata"]!["name"] = "widgets.example";

        Assert.Contains("spec.group: Invalid value: \"example\": should be a domain with at least one dot", Errors(crd));
    }

    [Fact]
    public void Versions_NeedExactlyOneStorageVersion_AndUniqueNames()
    {
        var errors = Errors(Crd("""
            [{"name":"v1","served":true,"storage":false,"schema":{"openAPIV3Schema":{"type":"object"}}},
             {"name":"v1","served":true,"storage":false,"schema":{"openAPIV3Schema":{"type":"object"}}}]
            """));

        Assert.Contains("spec.versions: Invalid value: must contain unique version names", errors);
        Assert.Contains("spec.versions: Invalid value: must have exactly one version marked as storage version", errors);
    }

    [Fact]
    public void IdenticalSubresources_AreReportedAtSpecLevel_AsKubesInternalFormHasThem()
    {
        var errors = Errors(Crd("""
            [{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object"}},
              "subresources":{"scale":{"specReplicasPath":".spec.replicas"}},
              "additionalPrinterColumns":[{"name":"Size","type":"integer"}]}]
            """));

        Assert.Contains("spec.subresources.scale.statusReplicasPath: Required value", errors);
        Assert.Contains("spec.additionalPrinterColumns[0].JSONPath: Required value", errors);
    }

    [Fact]
    public void StatusEnabled_AllowsOnlyObjectAtTheSchemaRoot()
    {
        var errors = Errors(Crd("""
            [{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"array","items":{"type":"string"}}},"subresources":{"status":{}}}]
            """));

        Assert.Contains(errors, e => e.StartsWith("spec.validation.openAPIV3Schema.type: Invalid value: \"array\": only \"object\" is allowed", StringComparison.Ordinal));
    }

    [Fact]
    public void WebhookConversion_NeedsAClientConfigAndReviewVersions()
    {
        var crd = Crd();
        crd["spec"]!["conversion"] = JsonNode.Parse("""{"strategy":"Webhook","webhook":{"clientConfig":{"url":"http://example.com/convert?x=1"}}}""");

        var errors = Errors(crd);

        Assert.Contains(errors, e => e.StartsWith("spec.conversion.webhookClientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL scheme", StringComparison.Ordinal));
        Assert.Contains("spec.conversion.webhookClientConfig.url: Invalid value: \"x=1\": query parameters are not permitted in the URL", errors);
        Assert.Contains("spec.conversion.conversionReviewVersions: Required value", errors);
    }

    [Fact]
    public void StoredVersions_MustStayInSpecVersions()
    {
        var crd = Crd();
        crd["status"]!["storedVersions"] = new JsonArray("v1", "v1beta1");

        Assert.Contains(Errors(crd), e => e.StartsWith("status.storedVersions[1]: Invalid value: \"v1beta1\": missing from spec.versions; v1beta1 was previously a storage version", StringComparison.Ordinal));
    }

    [Fact]
    public void ProtectedGroups_NeedTheApprovalAnnotation()
    {
        var crd = Crd();
        crd["spec"]!["group"] = "widgets.k8s.io";
        crd["metadata"]!["name"] = "widgets.widgets.k8s.io";

        Assert.Contains("metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation \"api-approved.kubernetes.io\", see https://github.com/kubernetes/enhancements/pull/1111", Errors(crd));
    }

    [Fact]
    public void Update_MayNotChangeTheGroupOrPlural()
    {
        var old = Crd();
        var crd = Crd();
        crd["spec"]!["names"]!["plural"] = "gizmos";
        crd["metadata"]!["name"] = "gizmos.example.com";

        var errors = CustomResourceDefinitionValidation.ValidateUpdate(crd, old).Select(e => e.ToString()).ToArray();

        Assert.Contains("spec.names.plural: Invalid value: \"gizmos\": field is immutable", errors);
    }
}

public sealed class CustomResourceDefinitionsTests
{
    [Fact]
    public void Resources_ServeEachServedVersion_WithTheAcceptedNames_OnceNamesAreAccepted()
    {
        var crd = JsonNode.Parse("""
            {"metadata":{"name":"widgets.example.com","uid":"u1","resourceVersion":"5"},
             "spec":{"group":"example.com","scope":"Cluster","names":{"plural":"widgets","singular":"widget","kind":"Widget","listKind":"WidgetList"},
                     "versions":[{"name":"v1beta1","served":true,"storage":false},{"name":"v1","served":true,"storage":true,"subresources":{"status":{},"scale":{"specReplicasPath":".spec.n","statusReplicasPath":".status.n"}}},{"name":"v0","served":false,"storage":false}]},
             "status":{"acceptedNames":{"plural":"widgets","singular":"widget","kind":"Widget","listKind":"WidgetList","shortNames":["wd"]},
                       "conditions":[{"type":"NamesAccepted","status":"True"}]}}
            """)!.AsObject();

        var resources = CustomResourceDefinitions.Resources(CustomResourceDefinitionInfo.Parse(crd), (_, _) => (null, null)).ToArray();

        Assert.Equal(["v1", "v1beta1"], resources.Select(r => r.Version));
        var v1 = resources[0];
        Assert.Equal("example.com/widgets", v1.StorageSegment);
        Assert.False(v1.Namespaced);
        Assert.Equal(["wd"], v1.ShortNames);
        Assert.Equal(["status", "scale"], v1.Subresources.Select(s => s.Name));
        Assert.Equal(new GroupVersionKind("autoscaling", "v1", "Scale"), v1.FindSubresource("scale")!.ResponseKind);
        Assert.Equal("v1", v1.Custom!.StorageVersion);
        Assert.False(v1.Custom.Established);

        crd["status"]!["conditions"] = new JsonArray();
        Assert.Empty(CustomResourceDefinitions.Resources(CustomResourceDefinitionInfo.Parse(crd), (_, _) => (null, null)));
    }
}
