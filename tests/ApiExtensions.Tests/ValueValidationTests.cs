using System.Text.Json.Nodes;
using ApiExtensions.Schema;
using ApiMachinery.Validation;

namespace ApiExtensions.Tests;

/// <summary>
/// OpenAPI value validation of custom resources, with kube's messages. The cases and expected texts are those of
/// apiextensions' TestValidateCustomResource (pkg/apiserver/validation), written here as JSON.
/// </summary>
public class ValueValidationTests
{
    public static TheoryData<string, string, string[]> Cases() => new()
    {
        // !nullable
        { """{"type":"object","properties":{"field":{"type":"object"}}}""", """{}""", [] },
        { """{"type":"object","properties":{"field":{"type":"object"}}}""", """{"field":{}}""", [] },
        { """{"type":"object","properties":{"field":{"type":"object"}}}""", """{"field":"foo"}""", ["""field: Invalid value: "string": field in body must be of type object: "string" """] },
        { """{"type":"object","properties":{"field":{"type":"object"}}}""", """{"field":42}""", ["""field: Invalid value: "integer": field in body must be of type object: "integer" """] },
        { """{"type":"object","properties":{"field":{"type":"object"}}}""", """{"field":true}""", ["""field: Invalid value: "boolean": field in body must be of type object: "boolean" """] },
        { """{"type":"object","properties":{"field":{"type":"object"}}}""", """{"field":1.2}""", ["""field: Invalid value: "number": field in body must be of type object: "number" """] },
        { """{"type":"object","properties":{"field":{"type":"object"}}}""", """{"field":[]}""", ["""field: Invalid value: "array": field in body must be of type object: "array" """] },
        { """{"type":"object","properties":{"field":{"type":"object"}}}""", """{"field":null}""", ["""field: Invalid value: "null": field in body must be of type object: "null" """] },
        // nullable
        { """{"type":"object","properties":{"field":{"type":"object","nullable":true}}}""", """{"field":null}""", [] },
        { """{"type":"object","properties":{"field":{"type":"object","nullable":true}}}""", """{"field":"foo"}""", ["""field: Invalid value: "string": field in body must be of type object: "string" """] },
        // nullable and no type
        { """{"type":"object","properties":{"field":{"nullable":true}}}""", """{"field":null}""", [] },
        { """{"type":"object","properties":{"field":{"nullable":true}}}""", """{"field":1.2}""", [] },
        { """{"type":"object","properties":{"field":{"nullable":true}}}""", """{"field":[]}""", [] },
        // x-kubernetes-int-or-string
        { """{"type":"object","properties":{"field":{"x-kubernetes-int-or-string":true}}}""", """{"field":42}""", [] },
        { """{"type":"object","properties":{"field":{"x-kubernetes-int-or-string":true}}}""", """{"field":"foo"}""", [] },
        { """{"type":"object","properties":{"field":{"x-kubernetes-int-or-string":true}}}""", """{"field":null}""", ["""field: Invalid value: "null": field in body must be of type integer,string: "null" """] },
        { """{"type":"object","properties":{"field":{"x-kubernetes-int-or-string":true}}}""", """{"field":true}""", ["""field: Invalid value: "boolean": field in body must be of type integer,string: "boolean" """] },
        { """{"type":"object","properties":{"field":{"x-kubernetes-int-or-string":true}}}""", """{"field":1.2}""", ["""field: Invalid value: "number": field in body must be of type integer,string: "number" """] },
        { """{"type":"object","properties":{"field":{"x-kubernetes-int-or-string":true}}}""", """{"field":{}}""", ["""field: Invalid value: "object": field in body must be of type integer,string: "object" """] },
        // nullable, int-or-string and a user-provided anyOf
        { IntOrStringAnyOf, """{"field":null}""", [] },
        { IntOrStringAnyOf, """{"field":42}""", [] },
        {
            IntOrStringAnyOf, """{"field":true}""",
            [
                """<nil>: Invalid value: "": "field" must validate at least one schema (anyOf)""",
                """field: Invalid value: "boolean": field in body must be of type integer,string: "boolean" """,
                """field: Invalid value: "boolean": field in body must be of type integer: "boolean" """,
            ]
        },
        {
            IntOrStringAnyOf, """{"field":1.2}""",
            [
                """<nil>: Invalid value: "": "field" must validate at least one schema (anyOf)""",
                """field: Invalid value: "number": field in body must be of type integer,string: "number" """,
                """field: Invalid value: "number": field in body must be of type integer: "number" """,
                """<nil>: Invalid value: "": Checked value must be of type integer (default format) in field""",
            ]
        },
        // nullable, int-or-string and a user-provided allOf
        {
            IntOrStringAllOf, """{"field":[]}""",
            [
                """<nil>: Invalid value: "": "field" must validate all the schemas (allOf). None validated""",
                """<nil>: Invalid value: "": "field" must validate at least one schema (anyOf)""",
                """field: Invalid value: "array": field in body must be of type integer,string: "array" """,
                """field: Invalid value: "array": field in body must be of type integer: "array" """,
            ]
        },
        // invalid regex
        {
            """{"type":"object","properties":{"field":{"type":"string","pattern":"+"}}}""", """{"field":"foo"}""",
            ["field: Invalid value: \"foo\": field in body should match '+, but pattern is invalid: error parsing regexp: missing argument to repetition operator: `+`'"]
        },
        // required
        { RequiredSchema, """{"test":"a"}""", ["field: Required value"] },
        { RequiredSchema, """{"field":{}}""", ["field.nested: Required value"] },
        // enum
        { EnumSchema, """{"field":{}}""", ["field.nestedint: Required value", "field.nestedstring: Required value"] },
        {
            EnumSchema, """{"field":{"nestedint":"x","nestedstring":true}}""",
            [
                """field.nestedint: Invalid value: "string": field.nestedint in body must be of type integer: "string" """,
                """field.nestedint: Unsupported value: "x": supported values: "1", "2" """,
                """field.nestedstring: Invalid value: "boolean": field.nestedstring in body must be of type string: "boolean" """,
                """field.nestedstring: Unsupported value: true: supported values: "a", "b" """,
            ]
        },
        { EnumSchema, """{"field":{"nestedint":2,"nestedstring":"b"}}""", [] },
        { EnumSchema, """{"field":{"nestedint":2.0,"nestedstring":"b"}}""", [] },
        // maxProperties, maxItems, maxLength
        { """{"type":"object","properties":{"fieldX":{"type":"object","maxProperties":2}}}""", """{"fieldX":{"a":true,"b":true,"c":true}}""", ["fieldX: Too many: 3: must have at most 2 items"] },
        { """{"type":"object","properties":{"fieldX":{"type":"array","maxItems":2}}}""", """{"fieldX":["a","b","c"]}""", ["fieldX: Too many: 3: must have at most 2 items"] },
        { """{"type":"object","properties":{"fieldX":{"type":"string","maxLength":2}}}""", """{"fieldX":"abc"}""", ["fieldX: Too long: may not be more than 2 bytes"] },
        // k8s-long-name, k8s-short-name
        { """{"type":"object","properties":{"fieldX":{"type":"string","format":"k8s-long-name"}}}""", """{"fieldX":"a.-"}""", ["""fieldX: Invalid value: "a.-": fieldX in body must be of type k8s-long-name: "a.-" """] },
        { """{"type":"object","properties":{"fieldX":{"type":"string","format":"k8s-short-name"}}}""", """{"fieldX":"a-"}""", ["""fieldX: Invalid value: "a-": fieldX in body must be of type k8s-short-name: "a-" """] },
        // numeric formats
        { NumericFormats, """{"intThirtyTwo":-2147483648,"intSixtyFour":-9223372036854775808,"floatThreeTwo":-3.4028234663852886e+38,"floatSixFour":-1.7976931348623157e+308}""", [] },
        { NumericFormats, """{"intThirtyTwo":2147483647,"intSixtyFour":9223372036854775807,"floatThreeTwo":3.4028234663852886e+38,"floatSixFour":1.7976931348623157e+308}""", [] },
        { NumericFormats, """{"intThirtyTwo":2147483648}""", ["""<nil>: Invalid value: "": Checked value must be of type integer with format int32 in intThirtyTwo"""] },
        { NumericFormats, """{"intThirtyTwo":-2147483649}""", ["""<nil>: Invalid value: "": Checked value must be of type integer with format int32 in intThirtyTwo"""] },
        {
            NumericFormats, """{"intSixtyFour":1.0145709240540253e+19}""",
            [
                """intSixtyFour: Invalid value: "float64": intSixtyFour in body must be of type int64: "float64" """,
                """<nil>: Invalid value: "": Checked value must be of type integer with format int64 in intSixtyFour""",
            ]
        },
        { NumericFormats, """{"floatThreeTwo":3.743106126023816e+38}""", ["""<nil>: Invalid value: "": Checked value must be of type number with format float in floatThreeTwo"""] },
        // bounds, multipleOf, lengths, pattern, items, properties
        { """{"type":"object","properties":{"r":{"type":"integer","minimum":1,"maximum":10}}}""", """{"r":11}""", ["r: Invalid value: 11: r in body should be less than or equal to 10"] },
        { """{"type":"object","properties":{"r":{"type":"integer","minimum":1,"maximum":10}}}""", """{"r":0}""", ["r: Invalid value: 0: r in body should be greater than or equal to 1"] },
        { """{"type":"object","properties":{"r":{"type":"integer","maximum":10,"exclusiveMaximum":true}}}""", """{"r":10}""", ["r: Invalid value: 10: r in body should be less than 10"] },
        { """{"type":"object","properties":{"r":{"type":"number","minimum":0.5,"exclusiveMinimum":true}}}""", """{"r":0.5}""", ["r: Invalid value: 0.5: r in body should be greater than 0.5"] },
        { """{"type":"object","properties":{"r":{"type":"integer","multipleOf":3}}}""", """{"r":7}""", ["r: Invalid value: 7: r in body should be a multiple of 3"] },
        { """{"type":"object","properties":{"r":{"type":"number","multipleOf":0.5}}}""", """{"r":1.25}""", ["r: Invalid value: 1.25: r in body should be a multiple of 0.5"] },
        { """{"type":"object","properties":{"r":{"type":"number","multipleOf":0.5}}}""", """{"r":1.5}""", [] },
        { """{"type":"object","properties":{"s":{"type":"string","minLength":3}}}""", """{"s":"ab"}""", ["""s: Invalid value: "ab": s in body should be at least 3 chars long"""] },
        { """{"type":"object","properties":{"s":{"type":"string","pattern":"^[a-z]+$"}}}""", """{"s":"aB"}""", ["""s: Invalid value: "aB": s in body should match '^[a-z]+$'"""] },
        { """{"type":"object","properties":{"s":{"type":"string","pattern":"^[a-z]+$"}}}""", """{"s":"ab\n"}""", ["""s: Invalid value: "ab\n": s in body should match '^[a-z]+$'"""] },
        { """{"type":"object","properties":{"l":{"type":"array","minItems":2,"items":{"type":"string"}}}}""", """{"l":["a"]}""", ["l: Invalid value: 1: l in body should have at least 2 items"] },
        { """{"type":"object","properties":{"l":{"type":"array","items":{"type":"string","maxLength":1}}}}""", """{"l":["a","bc"]}""", ["l[1]: Too long: may not be more than 1 bytes"] },
        { """{"type":"object","properties":{"l":{"type":"array","uniqueItems":true,"items":{"type":"integer"}}}}""", """{"l":[1,2,1]}""", ["""l: Invalid value: "": l in body shouldn't contain duplicates"""] },
        { """{"type":"object","properties":{"m":{"type":"object","minProperties":2}}}""", """{"m":{"a":1}}""", ["m: Invalid value: 1: m in body should have at least 2 properties"] },
        { """{"type":"object","properties":{"m":{"type":"object","additionalProperties":{"type":"integer"}}}}""", """{"m":{"a":1,"b":"x"}}""", ["""m.b: Invalid value: "string": m.b in body must be of type integer: "string" """] },
        { """{"type":"object","properties":{"spec":{"type":"object","properties":{"list":{"type":"array","items":{"type":"object","required":["name"],"properties":{"name":{"type":"string"}}}}}}}}""", """{"spec":{"list":[{"name":"a"},{}]}}""", ["spec.list[1].name: Required value"] },
        // formats
        { """{"type":"object","properties":{"u":{"type":"string","format":"uri"}}}""", """{"u":"not a uri"}""", ["""u: Invalid value: "not a uri": u in body must be of type uri: "not a uri" """] },
        { """{"type":"object","properties":{"u":{"type":"string","format":"uri"}}}""", """{"u":"https://example.com/x"}""", [] },
        { """{"type":"object","properties":{"d":{"type":"string","format":"date-time"}}}""", """{"d":"2024-01-02T03:04:05Z"}""", [] },
        { """{"type":"object","properties":{"d":{"type":"string","format":"date-time"}}}""", """{"d":"yesterday"}""", ["""d: Invalid value: "yesterday": d in body must be of type date-time: "yesterday" """] },
        { """{"type":"object","properties":{"ip":{"type":"string","format":"ipv4"}}}""", """{"ip":"10.0.0.256"}""", ["""ip: Invalid value: "10.0.0.256": ip in body must be of type ipv4: "10.0.0.256" """] },
        { """{"type":"object","properties":{"x":{"type":"string","format":"no-such-format"}}}""", """{"x":"anything"}""", [] },
        { """{"type":"object","properties":{"d":{"type":"string","format":"duration"}}}""", """{"d":"1h30m"}""", [] },
        { """{"type":"object","properties":{"d":{"type":"string","format":"duration"}}}""", """{"d":"soon"}""", ["""d: Invalid value: "soon": d in body must be of type duration: "soon" """] },
        // oneOf, not
        {
            """{"type":"object","properties":{"f":{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}},"oneOf":[{"required":["a"]},{"required":["b"]}]}}}""",
            """{"f":{"a":"x","b":"y"}}""",
            ["""<nil>: Invalid value: "": "f" must validate one and only one schema (oneOf). Found 2 valid alternatives"""]
        },
        {
            """{"type":"object","properties":{"f":{"type":"string","not":{"enum":["bad"]}}}}""",
            """{"f":"bad"}""",
            ["""<nil>: Invalid value: "": "f" must not validate the schema (not)"""]
        },
    };

    private const string IntOrStringAnyOf = """{"type":"object","properties":{"field":{"nullable":true,"x-kubernetes-int-or-string":true,"anyOf":[{"type":"integer"},{"type":"string"}]}}}""";

    private const string IntOrStringAllOf = """{"type":"object","properties":{"field":{"nullable":true,"x-kubernetes-int-or-string":true,"allOf":[{"anyOf":[{"type":"integer"},{"type":"string"}]}]}}}""";

    private const string RequiredSchema = """{"type":"object","required":["field"],"properties":{"field":{"type":"object","required":["nested"],"properties":{"nested":{}}}}}""";

    private const string EnumSchema = """{"type":"object","properties":{"field":{"type":"object","required":["nestedint","nestedstring"],"properties":{"nestedint":{"type":"integer","enum":[1,2]},"nestedstring":{"type":"string","enum":["a","b"]}}}}}""";

    private const string NumericFormats = """{"type":"object","properties":{"intThirtyTwo":{"type":"integer","format":"int32"},"intSixtyFour":{"type":"integer","format":"int64"},"floatThreeTwo":{"type":"number","format":"float"},"floatSixFour":{"type":"number","format":"double"}}}""";

    [Theory]
    [MemberData(nameof(Cases))]
    public void ValidatesLikeKube(string schemaJson, string objectJson, string[] expected)
    {
        var schema = SchemaNode.Parse((JsonObject)JsonNode.Parse(schemaJson)!);
        var errors = new List<FieldError>();
        ValueValidator.Validate(schema, JsonNode.Parse(objectJson), null, errors);
        var got = errors.Select(e => e.ToString()).Order(StringComparer.Ordinal).ToArray();
        var want = expected.Select(e => e.TrimEnd()).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(string.Join("\n", want), string.Join("\n", got));
    }
}
