using System.Text.Json.Nodes;
using ApiExtensions.Schema;
using ApiMachinery.Validation;

namespace ApiExtensions.Tests;

/// <summary>CRD-time checks of openAPIV3Schema (structural rules, keyword rules, defaults), with kube's messages.</summary>
public class SchemaValidationTests
{
    private const string P = "spec.versions[0].schema.openAPIV3Schema";

    public static TheoryData<string, string[]> Cases() => new()
    {
        { """{"type":"object","properties":{"spec":{"type":"object","properties":{"replicas":{"type":"integer"}}}}}""", [] },
        { """{"type":"object","x-kubernetes-preserve-unknown-fields":true}""", [] },
        // types everywhere
        { """{"properties":{"spec":{"type":"object"}}}""", [$"{P}.type: Required value: must not be empty at the root"] },
        { """{"type":"object","properties":{"spec":{}}}""", [$"{P}.properties[spec].type: Required value: must not be empty for specified object fields"] },
        { """{"type":"object","properties":{"l":{"type":"array","items":{}}}}""", [$"{P}.properties[l].items.type: Required value: must not be empty for specified array items"] },
        { """{"type":"object","properties":{"l":{"type":"array"}}}""", [$"{P}.properties[l].items: Required value: must be specified"] },
        { """{"type":"string"}""", [$"{P}.type: Invalid value: \"string\": must be object at the root"] },
        { """{"type":"object","properties":{"a":{"type":"null"}}}""", [$"{P}.properties[a].type: Unsupported value: \"null\": supported values: \"array\", \"boolean\", \"integer\", \"number\", \"object\", \"string\"", $"{P}.properties[a].type: Forbidden: type cannot be set to null, use nullable as an alternative"] },
        // additionalProperties
        { """{"type":"object","additionalProperties":{"type":"string"}}""", [$"{P}.additionalProperties: Forbidden: must not be used at the root"] },
        { """{"type":"object","properties":{"m":{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":{"type":"string"}}}}""", [$"{P}.properties[m].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive"] },
        { """{"type":"object","properties":{"m":{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":true}}}""", [] },
        // value validation only under junctors
        { """{"type":"object","properties":{"a":{"type":"string","anyOf":[{"type":"string"}]}}}""", [$"{P}.properties[a].anyOf[0].type: Forbidden: must be empty to be structural"] },
        { """{"type":"object","properties":{"a":{"type":"object"}},"allOf":[{"properties":{"a":{"properties":{"b":{"maxLength":3}}}}}]}""", [$"{P}.properties[a].properties[b]: Required value: because it is defined in {P}.allOf[0].properties[a].properties[b]"] },
        // (kube checks completeness only for value validations at the root)
        { """{"type":"object","properties":{"a":{"type":"object","allOf":[{"properties":{"b":{"maxLength":3}}}]}}}""", [] },
        { """{"type":"object","properties":{"a":{"type":"string","oneOf":[{"description":"x"}]}}}""", [$"{P}.properties[a].oneOf[0].description: Forbidden: must be empty to be structural"] },
        // int-or-string
        { """{"type":"object","properties":{"a":{"x-kubernetes-int-or-string":true,"anyOf":[{"type":"integer"},{"type":"string"}]}}}""", [] },
        { """{"type":"object","properties":{"a":{"x-kubernetes-int-or-string":true,"allOf":[{"anyOf":[{"type":"integer"},{"type":"string"}]},{"maximum":3}]}}}""", [] },
        { """{"type":"object","properties":{"a":{"x-kubernetes-int-or-string":true,"x-kubernetes-preserve-unknown-fields":true}}}""", [$"{P}.properties[a].x-kubernetes-preserve-unknown-fields: Invalid value: true: must be false if x-kubernetes-int-or-string is true"] },
        // embedded resources
        { """{"type":"object","properties":{"e":{"type":"object","x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true}}}""", [] },
        { """{"type":"object","properties":{"e":{"type":"object","x-kubernetes-embedded-resource":true}}}""", [$"{P}.properties[e].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"] },
        { """{"type":"object","properties":{"e":{"type":"string","x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true}}}""", [$"{P}.properties[e].type: Invalid value: \"string\": must be object if x-kubernetes-embedded-resource is true"] },
        { """{"type":"object","properties":{"e":{"type":"object","x-kubernetes-embedded-resource":true,"properties":{"kind":{"type":"integer"}}}}}""", [$"{P}.properties[e].properties[kind].type: Invalid value: \"integer\": must be string"] },
        // metadata
        { """{"type":"object","properties":{"metadata":{"type":"object","properties":{"name":{"type":"string","maxLength":10}}}}}""", [] },
        { """{"type":"object","properties":{"metadata":{"type":"object","properties":{"labels":{"type":"object"}}}}}""", [$"{P}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified"] },
        { """{"type":"object","properties":{"metadata":{"type":"string"}}}""", [$"{P}.properties[metadata].type: Invalid value: \"string\": must be object"] },
        { """{"type":"object","properties":{"metadata":{"type":"object","default":{"name":"x"}}}}""", [$"{P}.properties[metadata].default: Forbidden: must not be set in top-level metadata"] },
        // list and map types
        { """{"type":"object","properties":{"l":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],"items":{"type":"object","required":["name"],"properties":{"name":{"type":"string"}}}}}}""", [] },
        { """{"type":"object","properties":{"l":{"type":"array","x-kubernetes-list-type":"map","items":{"type":"object","properties":{"name":{"type":"string"}}}}}}""", [$"{P}.properties[l].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map"] },
        { """{"type":"object","properties":{"l":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],"items":{"type":"object","properties":{"name":{"type":"string"}}}}}}""", [$"{P}.properties[l].items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property"] },
        { """{"type":"object","properties":{"l":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["nope"],"items":{"type":"object","properties":{"name":{"type":"string"}}}}}}""", [$"{P}.properties[l].x-kubernetes-list-map-keys: Invalid value: []string{{\"nope\"}}: entries must all be names of item properties"] },
        { """{"type":"object","properties":{"l":{"type":"array","x-kubernetes-list-type":"bag","items":{"type":"string"}}}}""", [$"{P}.properties[l].x-kubernetes-list-type: Unsupported value: \"bag\": supported values: \"atomic\", \"set\", \"map\""] },
        { """{"type":"object","properties":{"l":{"type":"string","x-kubernetes-list-type":"set"}}}""", [$"{P}.properties[l].type: Invalid value: \"string\": must be array if x-kubernetes-list-type is specified"] },
        { """{"type":"object","properties":{"l":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"object","properties":{"a":{"type":"string"}}}}}}""", [$"{P}.properties[l].items.x-kubernetes-map-type: Invalid value: \"null\": must be atomic as item of a list with x-kubernetes-list-type=set"] },
        { """{"type":"object","properties":{"m":{"type":"object","x-kubernetes-map-type":"sometimes"}}}""", [$"{P}.properties[m].x-kubernetes-map-type: Unsupported value: \"sometimes\": supported values: \"atomic\", \"granular\""] },
        // keywords kube does not support
        { """{"type":"object","properties":{"a":{"type":"array","uniqueItems":true,"items":{"type":"string"}}}}""", [$"{P}.properties[a].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic"] },
        { """{"type":"object","properties":{"a":{"$ref":"#/definitions/x"}}}""", [$"{P}.properties[a].$ref: Forbidden: $ref is not supported"] },
        { """{"type":"object","properties":{"a":{"type":"string","x-kubernetes-preserve-unknown-fields":false}}}""", [$"{P}.properties[a].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined"] },
        { """{"type":"object","properties":{"a":{"type":"string","pattern":"(a"}}}""", [$"{P}.properties[a].pattern: Invalid value: \"(a\": must be a valid regular expression, but isn't: error parsing regexp: missing closing ): `(a`"] },
        { """{"type":"object","nullable":true}""", [$"{P}.nullable: Forbidden: nullable cannot be true at the root"] },
        // defaults
        { """{"type":"object","properties":{"a":{"type":"integer","default":3,"maximum":5}}}""", [] },
        { """{"type":"object","properties":{"a":{"type":"integer","default":7,"maximum":5}}}""", [$"{P}.properties[a].default: Invalid value: 7:  in body should be less than or equal to 5"] },
        { """{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"string"}},"default":{"b":"x","c":"y"}}}}""", [$"{P}.properties[a].default: Invalid value: map[string]interface {{}}{{\"b\":\"x\", \"c\":\"y\"}}: must not have unknown fields"] },
        { """{"type":"object","properties":{"a":{"type":"string","default":1}}}""", [$"{P}.properties[a].default: Invalid value: \"integer\":  in body must be of type string: \"integer\""] },
        // x-kubernetes-validations static checks
        { """{"type":"object","x-kubernetes-validations":[{"rule":" "}]}""", [$"{P}.x-kubernetes-validations[0].rule: Required value: rule is not specified"] },
        { """{"type":"object","x-kubernetes-validations":[{"rule":"true","reason":"Nope"}]}""", [$"{P}.x-kubernetes-validations[0].reason: Unsupported value: \"Nope\": supported values: \"FieldValueDuplicate\", \"FieldValueForbidden\", \"FieldValueInvalid\", \"FieldValueRequired\""] },
        { """{"type":"object","properties":{"a":{"type":"string"}},"x-kubernetes-validations":[{"rule":"true","fieldPath":".b"}]}""", [$"{P}.x-kubernetes-validations[0].fieldPath: Invalid value: \".b\": must be a valid path"] },
        { """{"type":"object","properties":{"a":{"type":"string"}},"x-kubernetes-validations":[{"rule":"true","fieldPath":".a"}]}""", [] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ValidatesLikeKube(string schemaJson, string[] expected)
    {
        var errors = CrdSchemaValidation.ValidateSchema((JsonObject)JsonNode.Parse(schemaJson)!, FieldPath.New("spec", "versions").Index(0).Child("schema", "openAPIV3Schema"));
        var got = errors.Select(e => e.ToString()).Order(StringComparer.Ordinal).ToArray();
        var want = string.Join("\n", expected.Order(StringComparer.Ordinal));
        var have = string.Join("\n", got);
        Assert.True(want == have, $"schema {schemaJson}\nwant: {want}\nhave: {have}");
    }

    [Fact]
    public void CompileRefusesAnInvalidSchemaWithKubesMessage()
    {
        var e = Assert.Throws<ArgumentException>(() => CustomResourceSchema.Compile((JsonObject)JsonNode.Parse("""{"type":"object","properties":{"spec":{}}}""")!));
        Assert.StartsWith("openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StatusSubresourceRestrictsTheRoot()
    {
        var schema = (JsonObject)JsonNode.Parse("""{"type":"object","minProperties":1}""")!;
        var errors = CrdSchemaValidation.ValidateSchema(schema, FieldPath.New("openAPIV3Schema"), statusSubresourceEnabled: true);
        Assert.Contains(errors, e => e.Field == "openAPIV3Schema" && e.Detail.StartsWith("only [Description Type Format", StringComparison.Ordinal));
    }
}
