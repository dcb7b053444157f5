using System.Text;
using System.Text.Json.Nodes;
using ApiMachinery.Protobuf;
using ApiServer.Registry;

namespace ApiServer.Tests.Registry;

/// <summary>
/// --storage-media-type at the edge of etcd: what is written for each encoding (kube's protobuf
/// envelope for the kinds the protobuf facts cover, JSON for the rest), and what is read back.
/// </summary>
public sealed class StorageEncodingTests
{
    private const string Key = "/registry/configmaps/ns/settings";

    private static readonly StorageEncoding Protobuf = new("/registry", writeProtobuf: true);
    private static readonly StorageEncoding Json = new("/registry", writeProtobuf: false);

    private static byte[] ConfigMapJson(string name = "settings") => Encoding.UTF8.GetBytes(
        $$$"""{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"{{{name}}}","namespace":"ns","uid":"6c1f4b1e-3f0a-4e59-9a5e-0d2b7c9e1a11","creationTimestamp":"2025-06-01T10:00:00Z","labels":{"app":"web"}},"data":{"mode":"fast"}}""");

    [Fact]
    public void Protobuf_WritesKubesEnvelope_AndReadsItBackAsTheSameJson()
    {
        var json = ConfigMapJson();
        var stored = Protobuf.Encode(Key, json).ToArray();

        // "k8s\0", then runtime.Unknown: typeMeta {apiVersion: "v1", kind: "ConfigMap"}, raw, and
        // empty contentEncoding and contentType, as kube-apiserver's protobuf serializer writes them.
        Assert.Equal("k8s\0"u8.ToArray(), stored[..4]);
        byte[] typeMeta = [0x0a, 15, 0x0a, 2, .. "v1"u8, 0x12, 9, .. "ConfigMap"u8];
        Assert.Equal(typeMeta, stored[4..(4 + typeMeta.Length)]);
        Assert.Equal(0x12, stored[4 + typeMeta.Length]);
        Assert.Equal([0x1a, 0, 0x22, 0], stored[^4..]);
        Assert.Equal(JsonNode.Parse(json)!.ToJsonString(), KubeProtobuf.Decode(stored).ToJsonString());

        Assert.True(Protobuf.TryDecode(Key, stored, out var read, out var error), error);
        Assert.Equal(Encoding.UTF8.GetString(json), Encoding.UTF8.GetString(read.Span));
        Assert.True(Json.TryDecode(Key, stored, out var readByJson, out _));
        Assert.Equal(read.ToArray(), readByJson.ToArray());
    }

    [Fact]
    public void Json_IsStoredAsItIs_AndBothEncodingsReadIt()
    {
        var json = ConfigMapJson();
        Assert.Equal(json, Json.Encode(Key, json).ToArray());
        Assert.True(Protobuf.TryDecode(Key, json, out var read, out _));
        Assert.Equal(json, read.ToArray());
    }

    [Theory]
    // Custom resources are JSON in kube whatever --storage-media-type says.
    [InlineData("/registry/example.com/widgets/ns/w", """{"kind":"Widget","apiVersion":"example.com/v1","metadata":{"name":"w","namespace":"ns"},"spec":{"size":3}}""")]
    // Objects without a kind, and values outside the registry's prefix, are left as they are.
    [InlineData("/registry/configmaps/ns/x", """{"metadata":{"name":"x"}}""")]
    [InlineData("/other/configmaps/ns/settings", """{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"settings"}}""")]
    public void Protobuf_LeavesKindsWithoutProtobufFactsAsJson(string key, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.Equal(bytes, Protobuf.Encode(key, bytes).ToArray());
    }

    [Fact]
    public void ReadingKubesProtobuf_DropsAStoredResourceVersion()
    {
        var obj = JsonNode.Parse(ConfigMapJson())!.AsObject();
        obj["metadata"]!["resourceVersion"] = "42";
        Assert.True(Json.TryDecode(Key, KubeProtobuf.Encode(obj), out var read, out _));
        Assert.Null(JsonNode.Parse(read.Span)!["metadata"]!["resourceVersion"]);
    }

    [Theory]
    [InlineData("k8s\0")]
    [InlineData("k8s\0\n\u00ff")]
    [InlineData("{\"kind\":\"ConfigMap\",")]
    [InlineData("{\"kind\":\"ConfigMap\"} trailing")]
    [InlineData("[1,2]")]
    [InlineData("not json")]
    [InlineData("")]
    public void CorruptValues_AreRefusedWithAReason(string value)
    {
        Assert.False(Protobuf.TryDecode(Key, Encoding.Latin1.GetBytes(value), out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
        Assert.False(Json.TryDecode(Key, Encoding.Latin1.GetBytes(value), out _, out _));
    }

    [Fact]
    public void AKindUnknownToTheProtobufFacts_InAProtobufEnvelope_IsCorrupt()
    {
        byte[] stored = [.. "k8s\0"u8, 0x0a, 24, 0x0a, 14, .. "example.com/v1"u8, 0x12, 6, .. "Widget"u8, 0x12, 0];
        Assert.False(Json.TryDecode("/registry/example.com/widgets/w", stored, out _, out var error));
        Assert.Contains("Widget", error);
    }
}
