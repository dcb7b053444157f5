using System.Text.Json.Nodes;
using ApiMachinery.Serialization.Protobuf;

namespace ApiMachinery.Tests.Serialization;

public sealed class KubeProtobufTests
{
    /// <summary>
    /// Request bodies kubectl 1.32 sent (recorded from the wire) and the JSON Go's encoder writes for
    /// the same objects (kubectl --dry-run=client -o json prints the same, less creationTimestamp: null,
    /// which the newer types omit as a zero value). Note replicas: 0 kept (a pointer) and strategy: {}
    /// kept (a struct).
    /// </summary>
    [Theory]
    [InlineData(
        // kubectl create namespace ...
        "azhzAAoPCgJ2MRIJTmFtZXNwYWNlEiIKGgoKY2FwdHVyZS1ucxIAGgAiACoAMgA4AEIAEgAaAgoAGgAiAA==",
        """
        {"kind":"Namespace","apiVersion":"v1","metadata":{"name":"capture-ns"},"spec":{},"status":{}}
        """)]
    [InlineData(
        // kubectl create configmap ...
        "azhzAAoPCgJ2MRIJQ29uZmlnTWFwEjoKHQoDY20xEgAaCmNhcHR1cmUtbnMiACoAMgA4AEIAEg0KBWNvbG9yEgRibHVlEgoKBHNpemUSAjEwGgAiAA==",
        """
        {"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm1","namespace":"capture-ns"},"data":{"color":"blue","size":"10"}}
        """)]
    [InlineData(
        // kubectl create secret ...
        "azhzAAoMCgJ2MRIGU2VjcmV0EjYKHgoEc2VjMRIAGgpjYXB0dXJlLW5zIgAqADIAOABCABISCghwYXNzd29yZBIGczNjcmV0GgAaACIA",
        """
        {"kind":"Secret","apiVersion":"v1","metadata":{"name":"sec1","namespace":"capture-ns"},"data":{"password":"czNjcmV0"}}
        """)]
    [InlineData(
        // kubectl create service ...
        "azhzAAoNCgJ2MRIHU2VydmljZRJ1CisKBHN2YzESABoKY2FwdHVyZS1ucyIAKgAyADgAQgBaCwoDYXBwEgRzdmMxEkIKGwoHODAtODA4MBIDVENQGFAiBwgAEJA/GgAoABILCgNhcHASBHN2YzEaACIITm9kZVBvcnQ6AEIAUgBaAGAAaAAaAgoAGgAiAA==",
        """
        {"kind":"Service","apiVersion":"v1","metadata":{"name":"svc1","namespace":"capture-ns","labels":{"app":"svc1"}},"spec":{"ports":[{"name":"80-8080","protocol":"TCP","port":80,"targetPort":8080}],"selector":{"app":"svc1"},"type":"NodePort"},"status":{"loadBalancer":{}}}
        """)]
    [InlineData(
        // kubectl create deployment ...
        "azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50EssBCisKBGRlcDESABoKY2FwdHVyZS1ucyIAKgAyADgAQgBaCwoDYXBwEgRkZXAxEo0BCAASDQoLCgNhcHASBGRlcDEacgodCgASABoAIgAqADIAOABCAFoLCgNhcHASBGRlcDESURIzCgVuZ2lueBIKbmdpbng6MS4yNyoAMgoKABAAGFAiACoAQgBqAHIAgAEAiAEAkAEAogEAGgAyAEIASgBSAFgAYABoAIIBAIoBAJoBAMIBACICCgAoADgAGgwIABAAGAAgACgAOAAaACIA",
        """
        {"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"dep1","namespace":"capture-ns","labels":{"app":"dep1"}},"spec":{"replicas":0,"selector":{"matchLabels":{"app":"dep1"}},"template":{"metadata":{"labels":{"app":"dep1"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.27","ports":[{"containerPort":80}],"resources":{}}]}},"strategy":{}},"status":{}}
        """)]
    public void Decode_RealKubectlBodies_GiveGoJson(string base64, string json) =>
        Assert.Equal(json.Trim(), KubeProtobuf.Decode(Convert.FromBase64String(base64)).ToJsonString());

    [Fact]
    public void Decode_WithoutMagic_IsRejected() =>
        Assert.Contains("expected prefix", Assert.Throws<ProtobufDecodeException>(() => KubeProtobuf.Decode("{}"u8)).Message);

    [Fact]
    public void Decode_Truncated_IsRejected()
    {
        var bytes = Convert.FromBase64String("azhzAAoPCgJ2MRIJQ29uZmlnTWFwEjoKHQoDY20xEgAaCmNhcHR1cmUtbnMiACoAMgA4AEIAEg0KBWNvbG9yEgRibHVlEgoKBHNpemUSAjEwGgAiAA==");
        Assert.Throws<ProtobufDecodeException>(() => KubeProtobuf.Decode(bytes.AsSpan(0, bytes.Length - 7)));
    }

    [Fact]
    public void Decode_UnknownKind_IsRejected()
    {
        // k8s\0 + Unknown{typeMeta{apiVersion "x/v1", kind "Widget"}}
        byte[] body = [.. "k8s\0"u8, 0x0A, 0x0E, 0x0A, 0x04, .. "x/v1"u8, 0x12, 0x06, .. "Widget"u8];
        Assert.Contains("no protobuf form is known for x/v1, Kind=Widget", Assert.Throws<ProtobufDecodeException>(() => KubeProtobuf.Decode(body)).Message);
    }

    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(1_500_000_000L, "1.5s")]
    [InlineData(300_000_000L, "300ms")]
    [InlineData(3_723_000_000_000L, "1h2m3s")]
    [InlineData(-60_000_000_000L, "-1m0s")]
    public void GoDuration_FormatsLikeGo(long nanoseconds, string expected) =>
        Assert.Equal(expected, KubeProtobuf.GoDuration(nanoseconds));

    [Fact]
    public void Knows_BuiltInKindsOnly()
    {
        Assert.True(KubeProtobuf.Knows("v1", "Pod"));
        Assert.True(KubeProtobuf.Knows("apps/v1", "Deployment"));
        Assert.True(KubeProtobuf.Knows("meta.k8s.io/v1", "DeleteOptions"));
        Assert.False(KubeProtobuf.Knows("example.com/v1", "Widget"));
    }
}
