using System.Text.Json.Nodes;
using ApiServer.OpenApi;
using ApiServer.OpenApi.Wire;

namespace ApiServer.Tests.OpenApi;

public sealed class OpenApiV2ProtobufTests
{
    private const string Swagger = """
        {
          "swagger": "2.0",
          "info": {"title": "Kubernetes", "version": "v1.35.0"},
          "paths": {
            "/api/v1/namespaces/{namespace}/pods": {
              "get": {
                "operationId": "listCoreV1NamespacedPod",
                "consumes": ["*/*"],
                "produces": ["application/json"],
                "parameters": [{"name": "limit", "in": "query", "type": "integer", "uniqueItems": true}],
                "responses": {"200": {"description": "OK", "schema": {"$ref": "#/definitions/io.k8s.api.core.v1.PodList"}}, "401": {"description": "Unauthorized"}},
                "x-kubernetes-action": "list",
                "x-kubernetes-group-version-kind": {"group": "", "kind": "Pod", "version": "v1"}
              },
              "parameters": [{"$ref": "#/parameters/namespace-vgWSWtn3"}, {"name": "body", "in": "body", "required": true, "schema": {"type": "object"}}]
            }
          },
          "definitions": {
            "io.k8s.api.core.v1.PodSpec": {
              "type": "object",
              "required": ["containers"],
              "properties": {
                "containers": {"type": "array", "items": {"$ref": "#/definitions/io.k8s.api.core.v1.Container"}, "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge"},
                "nodeSelector": {"type": "object", "additionalProperties": {"type": "string", "default": ""}},
                "priority": {"type": "integer", "format": "int32"}
              }
            }
          },
          "parameters": {"namespace-vgWSWtn3": {"name": "namespace", "in": "path", "required": true, "type": "string", "uniqueItems": true}},
          "security": [{"BearerToken": []}],
          "securityDefinitions": {"BearerToken": {"type": "apiKey", "name": "authorization", "in": "header"}}
        }
        """;

    [Fact]
    public void Encode_KubernetesShapedDocument_DecodesToTheSameFacts()
    {
        var bytes = OpenApiV2Protobuf.Encode((JsonObject)JsonNode.Parse(Swagger)!);

        var document = Document.Parser.ParseFrom(bytes);
        Assert.Equal("2.0", document.Swagger);
        Assert.Equal("v1.35.0", document.Info.Version);
        var path = Assert.Single(document.Paths.Path);
        Assert.Equal("/api/v1/namespaces/{namespace}/pods", path.Name);
        var list = path.Value.Get;
        Assert.Equal("listCoreV1NamespacedPod", list.OperationId);
        Assert.Equal("limit", list.Parameters[0].Parameter.NonBodyParameter.QueryParameterSubSchema.Name);
        Assert.Equal("#/definitions/io.k8s.api.core.v1.PodList", list.Responses.ResponseCode.Single(r => r.Name == "200").Value.Response.Schema.Schema.Ref);
        Assert.Equal("group: \"\"\nkind: Pod\nversion: v1\n", list.VendorExtension.Single(e => e.Name == "x-kubernetes-group-version-kind").Value.Yaml);
        Assert.Equal("#/parameters/namespace-vgWSWtn3", path.Value.Parameters[0].JsonReference.Ref);
        Assert.True(path.Value.Parameters[1].Parameter.BodyParameter.Required);

        var spec = document.Definitions.AdditionalProperties.Single().Value;
        Assert.Equal(["object"], spec.Type.Value);
        Assert.Equal(["containers"], spec.Required);
        var containers = spec.Properties.AdditionalProperties.Single(p => p.Name == "containers").Value;
        Assert.Equal("#/definitions/io.k8s.api.core.v1.Container", containers.Items.Schema.Single().Ref);
        Assert.Equal("name\n", containers.VendorExtension.Single(e => e.Name == "x-kubernetes-patch-merge-key").Value.Yaml);
        var nodeSelector = spec.Properties.AdditionalProperties.Single(p => p.Name == "nodeSelector").Value;
        Assert.Equal(["string"], nodeSelector.AdditionalProperties.Schema.Type.Value);
        Assert.Equal("int32", spec.Properties.AdditionalProperties.Single(p => p.Name == "priority").Value.Format);

        Assert.True(document.Parameters.AdditionalProperties.Single().Value.NonBodyParameter.PathParameterSubSchema.Required);
        Assert.Equal("BearerToken", document.Security.Single().AdditionalProperties.Single().Name);
        Assert.Equal("authorization", document.SecurityDefinitions.AdditionalProperties.Single().Value.ApiKeySecurity.Name);
    }
}
