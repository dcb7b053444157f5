using System.Text.Json.Nodes;
using ApiMachinery.Patch;
using ApiMachinery.Schema;

namespace ApiMachinery.Tests.Patch;

public sealed class StrategicMergePatchTests
{
    private static readonly DefinitionSchema Pod = SchemaFacts.Builtin.ForKind("", "v1", "Pod")!;
    private static readonly DefinitionSchema Deployment = SchemaFacts.Builtin.ForKind("apps", "v1", "Deployment")!;

    private static string Apply(DefinitionSchema schema, string original, string patch) =>
        StrategicMergePatch.Apply(JsonNode.Parse(original)!.AsObject(), JsonNode.Parse(patch)!.AsObject(), schema).ToJsonString();

    [Theory]
    // Containers merge by name: the patch changes one and leaves the other.
    [InlineData(
        """{"spec":{"containers":[{"name":"a","image":"x:1"},{"name":"b","image":"y:1"}]}}""",
        """{"spec":{"containers":[{"name":"b","image":"y:2"}]}}""",
        """{"spec":{"containers":[{"name":"a","image":"x:1"},{"name":"b","image":"y:2"}]}}""")]
    // A new container is appended.
    [InlineData(
        """{"spec":{"containers":[{"name":"a","image":"x:1"}]}}""",
        """{"spec":{"containers":[{"name":"c","image":"z:1"}]}}""",
        """{"spec":{"containers":[{"name":"a","image":"x:1"},{"name":"c","image":"z:1"}]}}""")]
    // $patch: delete removes an item by its merge key.
    [InlineData(
        """{"spec":{"containers":[{"name":"a"},{"name":"b"}]}}""",
        """{"spec":{"containers":[{"name":"a","$patch":"delete"}]}}""",
        """{"spec":{"containers":[{"name":"b"}]}}""")]
    // $patch: replace in a list replaces the list.
    [InlineData(
        """{"spec":{"containers":[{"name":"a"},{"name":"b"}]}}""",
        """{"spec":{"containers":[{"name":"c"},{"$patch":"replace"}]}}""",
        """{"spec":{"containers":[{"name":"c"}]}}""")]
    // Env entries merge by name inside a container; null deletes a field.
    [InlineData(
        """{"spec":{"containers":[{"name":"a","env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}],"command":["sh"]}]}}""",
        """{"spec":{"containers":[{"name":"a","env":[{"name":"Y","value":"3"}],"command":null}]}}""",
        """{"spec":{"containers":[{"name":"a","env":[{"name":"X","value":"1"},{"name":"Y","value":"3"}]}]}}""")]
    // Lists without a merge strategy (tolerations are atomic) are replaced.
    [InlineData(
        """{"spec":{"tolerations":[{"key":"a"},{"key":"b"}]}}""",
        """{"spec":{"tolerations":[{"key":"c"}]}}""",
        """{"spec":{"tolerations":[{"key":"c"}]}}""")]
    // Maps merge; $patch: replace on a map replaces it.
    [InlineData(
        """{"metadata":{"labels":{"a":"1","b":"2"}}}""",
        """{"metadata":{"labels":{"b":null,"c":"3"}}}""",
        """{"metadata":{"labels":{"a":"1","c":"3"}}}""")]
    [InlineData(
        """{"metadata":{"labels":{"a":"1","b":"2"}}}""",
        """{"metadata":{"labels":{"c":"3","$patch":"replace"}}}""",
        """{"metadata":{"labels":{"c":"3"}}}""")]
    // Finalizers are a merged primitive list (a union); $deleteFromPrimitiveList removes values.
    [InlineData(
        """{"metadata":{"finalizers":["a","b"]}}""",
        """{"metadata":{"finalizers":["c","a"]}}""",
        """{"metadata":{"finalizers":["a","b","c"]}}""")]
    [InlineData(
        """{"metadata":{"finalizers":["a","b"]}}""",
        """{"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}}""",
        """{"metadata":{"finalizers":["b"]}}""")]
    // $setElementOrder puts the listed items in order, the others after them.
    [InlineData(
        """{"spec":{"containers":[{"name":"a"},{"name":"b"},{"name":"other"}]}}""",
        """{"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}],"containers":[{"name":"a","image":"i"}]}}""",
        """{"spec":{"containers":[{"name":"b"},{"name":"a","image":"i"},{"name":"other"}]}}""")]
    // Ports merge by containerPort.
    [InlineData(
        """{"spec":{"containers":[{"name":"a","ports":[{"containerPort":80},{"containerPort":443}]}]}}""",
        """{"spec":{"containers":[{"name":"a","ports":[{"containerPort":443,"name":"https"}]}]}}""",
        """{"spec":{"containers":[{"name":"a","ports":[{"containerPort":80},{"containerPort":443,"name":"https"}]}]}}""")]
    public void Pod_Cases(string original, string patch, string expected) =>
        Assert.Equal(JsonNode.Parse(expected)!.ToJsonString(), Apply(Pod, original, patch));

    [Fact]
    public void RetainKeys_DropsWhatTheNewStrategyDoesNotHave()
    {
        // kubectl apply switching a deployment from RollingUpdate to Recreate.
        var result = Apply(Deployment,
            """{"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}}""",
            """{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate","rollingUpdate":null}}}""");
        Assert.Equal("""{"spec":{"strategy":{"type":"Recreate"}}}""", result);
    }

    [Fact]
    public void Volumes_MergeByName_WithRetainKeys()
    {
        var result = Apply(Pod,
            """{"spec":{"volumes":[{"name":"v","emptyDir":{}},{"name":"w","emptyDir":{}}]}}""",
            """{"spec":{"volumes":[{"$retainKeys":["name","configMap"],"name":"v","configMap":{"name":"cm"}}]}}""");
        Assert.Equal("""{"spec":{"volumes":[{"name":"v","configMap":{"name":"cm"}},{"name":"w","emptyDir":{}}]}}""", result);
    }

    [Fact]
    public void MissingMergeKey_IsAnError()
    {
        var error = Assert.Throws<PatchException>(() => Apply(Pod, """{"spec":{"containers":[{"name":"a"}]}}""", """{"spec":{"containers":[{"image":"x"}]}}"""));
        Assert.Contains("does not contain declared merge key: name", error.Message);
    }

    [Fact]
    public void SchemaFacts_KnowTheBuiltinKinds()
    {
        var containers = Pod.Field("spec")!.Definition!.Field("containers")!;
        Assert.Equal(FieldKind.Array, containers.Kind);
        Assert.Equal("name", containers.MergeKey);
        Assert.True(containers.HasStrategy("merge"));
        Assert.True(containers.Required);
        Assert.Equal("io.k8s.api.core.v1.Container", containers.Definition!.Name);
        Assert.Null(SchemaFacts.Builtin.ForKind("example.com", "v1", "Widget"));
    }
}
