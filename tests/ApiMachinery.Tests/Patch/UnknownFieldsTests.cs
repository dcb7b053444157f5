using System.Text.Json.Nodes;
using ApiMachinery.Schema;

namespace ApiMachinery.Tests.Patch;

public sealed class UnknownFieldsTests
{
    [Fact]
    public void Prune_RemovesAndNamesUnknownFields_InsideListsAndNestedObjects()
    {
        var pod = JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labelz":{}},
             "spec":{"containers":[{"name":"a","image":"x","imagee":"y"}],"nodeSelector":{"any":"key"},"bogus":1}}
            """)!.AsObject();
        var unknown = UnknownFields.Prune(pod, SchemaFacts.Builtin.ForKind("", "v1", "Pod")!);
        Assert.Equal(["metadata.labelz", "spec.containers[0].imagee", "spec.bogus"], unknown);
        Assert.Equal("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"x"}],"nodeSelector":{"any":"key"}}}""", pod.ToJsonString());
    }

    [Fact]
    public void FreeFormParts_AreLeftAlone()
    {
        // A ControllerRevision's data is a RawExtension: anything goes inside it.
        var revision = JsonNode.Parse("""{"apiVersion":"apps/v1","kind":"ControllerRevision","metadata":{"name":"r"},"revision":1,"data":{"whatever":{"deep":true}}}""")!.AsObject();
        Assert.Empty(UnknownFields.Prune(revision, SchemaFacts.Builtin.ForKind("apps", "v1", "ControllerRevision")!));
    }
}
