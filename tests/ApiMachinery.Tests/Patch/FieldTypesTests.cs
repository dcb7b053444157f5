using System.Text.Json.Nodes;
using ApiMachinery.Schema;

namespace ApiMachinery.Tests.Patch;

public sealed class FieldTypesTests
{
    private static string? Check(string kind, string json, string group = "", string version = "v1") =>
        FieldTypes.FirstError(JsonNode.Parse(json)!.AsObject(), SchemaFacts.Builtin.ForKind(group, version, kind)!);

    [Theory]
    [InlineData("ConfigMap", """{"data":[1,2]}""", "json: cannot unmarshal array into Go struct field ConfigMap.data of type map[string]string")]
    [InlineData("ConfigMap", """{"data":{"a":1}}""", "json: cannot unmarshal number into Go struct field ConfigMap.data of type string")]
    [InlineData("ConfigMap", """{"immutable":"yes"}""", "json: cannot unmarshal string into Go struct field ConfigMap.immutable of type bool")]
    [InlineData("Pod", """{"spec":"x"}""", "json: cannot unmarshal string into Go struct field Pod.spec of type v1.PodSpec")]
    [InlineData("Pod", """{"spec":{"containers":[{"name":"a","image":5}]}}""", "json: cannot unmarshal number into Go struct field Container.spec.containers.image of type string")]
    [InlineData("Pod", """{"spec":{"containers":[{"name":"a","ports":[{"containerPort":"80"}]}]}}""", "json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32")]
    [InlineData("Pod", """{"spec":{"terminationGracePeriodSeconds":1.5}}""", "json: cannot unmarshal number 1.5 into Go struct field PodSpec.spec.terminationGracePeriodSeconds of type int64")]
    [InlineData("Pod", """{"spec":{"containers":{"name":"a"}}}""", "json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container")]
    [InlineData("Secret", """{"data":{"k":"not base64!"}}""", "illegal base64 data at input byte 3")]
    [InlineData("ConfigMap", """{"metadata":{"managedFields":[{"manager":"m","fieldsV1":7}]}}""", "json: cannot unmarshal number into Go struct field ManagedFieldsEntry.metadata.managedFields.fieldsV1 of type v1.FieldsV1")]
    public void WrongTypes_AreReportedAsGosDecoderReportsThem(string kind, string json, string expected) =>
        Assert.Equal(expected, Check(kind, json));

    [Theory]
    [InlineData("Pod", """{"metadata":{"name":"p","labels":null},"spec":{"containers":[{"name":"a","image":"x","resources":{"limits":{"cpu":1,"memory":"1Gi"}}}]}}""")]
    [InlineData("Secret", """{"data":{"k":"aGVsbG8="},"stringData":{"x":"y"}}""")]
    [InlineData("Deployment", """{"spec":{"strategy":{"rollingUpdate":{"maxSurge":1,"maxUnavailable":"25%"}}}}""", "apps")]
    [InlineData("Pod", """{"spec":{"containers":[{"name":"a","image":"x","livenessProbe":{"httpGet":{"port":"http"}}}]}}""")]
    [InlineData("ControllerRevision", """{"data":"anything","metadata":{"managedFields":[{"fieldsV1":{"f:a":{}}}]}}""", "apps")]
    public void WellTypedObjects_Pass(string kind, string json, string group = "") =>
        Assert.Null(Check(kind, json, group));
}
