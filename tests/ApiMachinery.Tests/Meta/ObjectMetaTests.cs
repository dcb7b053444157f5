using System.Text.Json.Nodes;
using ApiMachinery.Meta;

namespace ApiMachinery.Tests.Meta;

public class ObjectMetaTests
{
    private static JsonObject Pod() => JsonNode.Parse("""
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns","uid":"u","resourceVersion":"7","generation":2,
         "generateName":"p-","creationTimestamp":"2024-01-01T00:00:00Z","deletionTimestamp":"2024-01-02T00:00:00Z",
         "labels":{"app":"web","bad":5},"annotations":{"a":"b"},"finalizers":["x/y",3]}}
        """)!.AsObject();

    [Fact]
    public void Getters_FullObject_ReadEachField()
    {
        var pod = Pod();

        Assert.Equal("Pod", ObjectMeta.GetKind(pod));
        Assert.Equal("v1", ObjectMeta.GetApiVersion(pod));
        Assert.Equal("p", ObjectMeta.GetName(pod));
        Assert.Equal("ns", ObjectMeta.GetNamespace(pod));
        Assert.Equal("u", ObjectMeta.GetUid(pod));
        Assert.Equal("7", ObjectMeta.GetResourceVersion(pod));
        Assert.Equal("p-", ObjectMeta.GetGenerateName(pod));
        Assert.Equal(2, ObjectMeta.GetGeneration(pod));
        Assert.Equal("2024-01-01T00:00:00Z", ObjectMeta.GetCreationTimestamp(pod));
        Assert.Equal("2024-01-02T00:00:00Z", ObjectMeta.GetDeletionTimestamp(pod));
        Assert.Equal(new Dictionary<string, string> { ["app"] = "web" }, ObjectMeta.GetLabels(pod));
        Assert.Equal(new Dictionary<string, string> { ["a"] = "b" }, ObjectMeta.GetAnnotations(pod));
        Assert.Equal(["x/y"], ObjectMeta.GetFinalizers(pod));
    }

    [Fact]
    public void Getters_NoMetadata_NullOrEmpty()
    {
        var obj = new JsonObject { ["metadata"] = "not an object" };

        Assert.Null(ObjectMeta.GetName(obj));
        Assert.Null(ObjectMeta.GetDeletionTimestamp(obj));
        Assert.Null(ObjectMeta.GetGeneration(obj));
        Assert.Empty(ObjectMeta.GetLabels(obj));
        Assert.Empty(ObjectMeta.GetFinalizers(obj));
        Assert.Null(ObjectMeta.GetKind(new JsonObject { ["kind"] = 1 }));
    }

    [Fact]
    public void Setters_MissingMetadata_CreatedAndNullRemoves()
    {
        var obj = new JsonObject();

        ObjectMeta.SetResourceVersion(obj, "12");
        ObjectMeta.SetName(obj, "n");
        ObjectMeta.SetNamespace(obj, "ns");
        ObjectMeta.SetUid(obj, "u");
        Assert.Equal("""{"metadata":{"resourceVersion":"12","name":"n","namespace":"ns","uid":"u"}}""", obj.ToJsonString());

        ObjectMeta.SetResourceVersion(obj, null);
        Assert.Null(ObjectMeta.GetResourceVersion(obj));
    }

    [Fact]
    public void EnsureMetadata_Existing_SameInstance()
    {
        var pod = Pod();

        Assert.Same(pod["metadata"], ObjectMeta.EnsureMetadata(pod));

        var empty = new JsonObject();
        var created = ObjectMeta.EnsureMetadata(empty);
        Assert.Same(created, empty["metadata"]);
        Assert.Empty(created);
    }
}
