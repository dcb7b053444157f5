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

        Assert.Equal("Pod", ObjectMeta.Kind(pod));
        Assert.Equal("v1", ObjectMeta.ApiVersion(pod));
        Assert.Equal("p", ObjectMeta.Name(pod));
        Assert.Equal("ns", ObjectMeta.Namespace(pod));
        Assert.Equal("u", ObjectMeta.Uid(pod));
        Assert.Equal("7", ObjectMeta.ResourceVersion(pod));
        Assert.Equal("p-", ObjectMeta.GenerateName(pod));
        Assert.Equal(2, ObjectMeta.Generation(pod));
        Assert.Equal("2024-01-01T00:00:00Z", ObjectMeta.CreationTimestamp(pod));
        Assert.Equal("2024-01-02T00:00:00Z", ObjectMeta.DeletionTimestamp(pod));
        Assert.Equal(new Dictionary<string, string> { ["app"] = "web" }, ObjectMeta.Labels(pod));
        Assert.Equal(new Dictionary<string, string> { ["a"] = "b" }, ObjectMeta.Annotations(pod));
        Assert.Equal(["x/y"], ObjectMeta.Finalizers(pod));
    }

    [Fact]
    public void Getters_NoMetadata_EmptyAsGoZeroValues()
    {
        var obj = new JsonObject { ["metadata"] = "not an object" };

        Assert.Equal("", ObjectMeta.Name(obj));
        Assert.Equal("", ObjectMeta.DeletionTimestamp(obj));
        Assert.Null(ObjectMeta.Generation(obj));
        Assert.Empty(ObjectMeta.Labels(obj));
        Assert.Empty(ObjectMeta.Finalizers(obj));
        Assert.Equal("", ObjectMeta.Kind(new JsonObject { ["kind"] = 1 }));
        Assert.Equal("", ObjectMeta.Namespace(new JsonObject { ["metadata"] = new JsonObject { ["namespace"] = null } }));
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
        Assert.Equal("", ObjectMeta.ResourceVersion(obj));
        Assert.False(obj["metadata"]!.AsObject().ContainsKey("resourceVersion"));
    }

    [Fact]
    public void Metadata_Existing_SameInstance()
    {
        var pod = Pod();

        Assert.Same(pod["metadata"], ObjectMeta.Metadata(pod));

        var empty = new JsonObject();
        var created = ObjectMeta.Metadata(empty);
        Assert.Same(created, empty["metadata"]);
        Assert.Empty(created);

        var replaced = new JsonObject { ["metadata"] = 3 };
        Assert.Same(ObjectMeta.Metadata(replaced), replaced["metadata"]);
    }

    [Fact]
    public void FormatTime_SecondPrecisionUtc()
    {
        Assert.Equal("2024-01-02T03:04:05Z", ObjectMeta.FormatTime(new DateTimeOffset(2024, 1, 2, 4, 4, 5, 999, TimeSpan.FromHours(1))));
    }
}
