using System.Text.Json.Nodes;
using ApiExtensions.Schema;
using ApiMachinery.Validation;

namespace ApiExtensions.Tests;

/// <summary>x-kubernetes-validations on custom resources and at CRD time, with kube's messages and paths.</summary>
public class ValidationRuleTests
{
    private static JsonObject Json(string s) => (JsonObject)JsonNode.Parse(s)!;

    private const string Widget = """
        {"type":"object","properties":{"spec":{"type":"object",
          "x-kubernetes-validations":[
            {"rule":"self.minReplicas <= self.replicas","message":"replicas must be at least minReplicas"},
            {"rule":"!has(self.mode) || self.mode != 'legacy'","messageExpression":"'mode ' + self.mode + ' is retired'","reason":"FieldValueForbidden","fieldPath":".mode"}],
          "properties":{
            "replicas":{"type":"integer"},
            "minReplicas":{"type":"integer"},
            "mode":{"type":"string","maxLength":20},
            "name":{"type":"string","maxLength":63,"x-kubernetes-validations":[{"rule":"self == oldSelf","message":"name is immutable"}]},
            "size":{"x-kubernetes-int-or-string":true,"x-kubernetes-validations":[{"rule":"type(self) == string ? self.endsWith('%') : self >= 0"}]},
            "memory":{"type":"string","x-kubernetes-validations":[{"rule":"quantity(self).isLessThan(quantity('1Gi'))","message":"memory must be below 1Gi"}]},
            "tags":{"type":"array","maxItems":10,"items":{"type":"string","maxLength":20},"x-kubernetes-validations":[{"rule":"self.all(t, t.matches('^[a-z]+$'))"}]},
            "ports":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],"maxItems":16,
              "items":{"type":"object","required":["name"],"properties":{"name":{"type":"string","maxLength":15},"port":{"type":"integer",
                "x-kubernetes-validations":[{"rule":"self >= oldSelf","message":"ports only grow"}]}}}},
            "labels":{"type":"object","maxProperties":8,"additionalProperties":{"type":"string","maxLength":63}},
            "opt":{"type":"string","maxLength":10,"x-kubernetes-validations":[{"rule":"oldSelf.hasValue() ? self == oldSelf.value() : self.startsWith('v')","optionalOldSelf":true}]}}}},
        "x-kubernetes-validations":[{"rule":"self.metadata.name.startsWith('w')","message":"names start with w"}]}
        """;

    private static readonly CustomResourceSchema Schema = CustomResourceSchema.Compile(Json(Widget));

    private static string[] Errors(string obj, string? old = null) =>
        Schema.Validate(Json(obj), old is null ? null : Json(old)).Select(e => e.ToString()).ToArray();

    [Fact]
    public void PassingObjectHasNoErrors() =>
        Assert.Empty(Errors("""{"metadata":{"name":"w1"},"spec":{"replicas":3,"minReplicas":1,"size":"50%","memory":"512Mi","tags":["a"],"opt":"v1"}}"""));

    [Fact]
    public void FailedRulesReportKubesMessages()
    {
        var errors = Errors("""{"metadata":{"name":"x1"},"spec":{"replicas":1,"minReplicas":2,"mode":"legacy","size":-1,"memory":"2Gi","tags":["Bad"],"opt":"x"}}""");
        Assert.Equal(
        [
            "<nil>: Invalid value: names start with w",
            "spec: Invalid value: replicas must be at least minReplicas",
            "spec.mode: Forbidden: mode legacy is retired",
            "spec.size: Invalid value: -1: failed rule: type(self) == string ? self.endsWith('%') : self >= 0",
            """spec.memory: Invalid value: "2Gi": memory must be below 1Gi""",
            "spec.tags: Invalid value: failed rule: self.all(t, t.matches('^[a-z]+$'))",
            """spec.opt: Invalid value: "x": failed rule: oldSelf.hasValue() ? self == oldSelf.value() : self.startsWith('v')""",
        ], errors);
    }

    [Fact]
    public void TransitionRulesSeeTheOldObject()
    {
        var old = """{"metadata":{"name":"w1"},"spec":{"replicas":1,"minReplicas":1,"name":"a","opt":"v1","ports":[{"name":"http","port":80}]}}""";
        Assert.Empty(Errors(old, old));
        Assert.Equal(
        [
            """spec.name: Invalid value: "b": name is immutable""",
            """spec.opt: Invalid value: "v2": failed rule: oldSelf.hasValue() ? self == oldSelf.value() : self.startsWith('v')""",
            "spec.ports[1].port: Invalid value: 79: ports only grow",
        ], Errors("""{"metadata":{"name":"w1"},"spec":{"replicas":1,"minReplicas":1,"name":"b","opt":"v2","ports":[{"name":"dns","port":53},{"name":"http","port":79}]}}""", old));
    }

    [Fact]
    public void UnchangedValuesAreRatcheted()
    {
        // The rule already failed before the update and the value did not change: kube lets it through.
        var old = """{"metadata":{"name":"w1"},"spec":{"replicas":1,"minReplicas":2}}""";
        Assert.Empty(Errors("""{"metadata":{"name":"w1"},"spec":{"replicas":1,"minReplicas":2}}""", old));
        Assert.Single(Errors("""{"metadata":{"name":"w1"},"spec":{"replicas":0,"minReplicas":2}}""", old));
    }

    [Fact]
    public void SchemaErrorsBlockRules()
    {
        Assert.Equal(
        [
            """spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string" """.TrimEnd(),
            "<nil>: Invalid value: \"null\": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
        ], Errors("""{"metadata":{"name":"w1"},"spec":{"replicas":"x","minReplicas":1}}"""));
    }

    private const string P = "openAPIV3Schema";

    public static TheoryData<string, string> CrdTimeCases() => new()
    {
        {
            """{"type":"object","properties":{"a":{"type":"integer"}},"x-kubernetes-validations":[{"rule":"self.b > 0"}]}""",
            $"{P}.x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{{Rule:\"self.b > 0\", Message:\"\", MessageExpression:\"\", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:\"\", OptionalOldSelf:(*bool)(nil)}}: compilation failed: ERROR: <input>:1:5: undefined field 'b'\n | self.b > 0\n | ....^"
        },
        {
            """{"type":"object","properties":{"a":{"type":"integer"}},"x-kubernetes-validations":[{"rule":"self.a + 1"}]}""",
            $"{P}.x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{{Rule:\"self.a + 1\", Message:\"\", MessageExpression:\"\", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:\"\", OptionalOldSelf:(*bool)(nil)}}: cel expression must evaluate to a bool"
        },
        {
            """{"type":"object","properties":{"a":{"type":"integer"}},"x-kubernetes-validations":[{"rule":"self.a > 0","messageExpression":"self.a"}]}""",
            $"{P}.x-kubernetes-validations[0].messageExpression: Invalid value: apiextensions.ValidationRule{{Rule:\"self.a > 0\", Message:\"\", MessageExpression:\"self.a\", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:\"\", OptionalOldSelf:(*bool)(nil)}}: messageExpression must evaluate to a string"
        },
        {
            """{"type":"object","properties":{"l":{"type":"array","items":{"type":"string","x-kubernetes-validations":[{"rule":"self == oldSelf"}]}}}}""",
            $"{P}.properties[l].items.x-kubernetes-validations[0].rule: Invalid value: \"self == oldSelf\": oldSelf cannot be used on the uncorrelatable portion of the schema within {P}.properties[l]"
        },
        {
            """{"type":"object","properties":{"a":{"type":"string","x-kubernetes-validations":[{"rule":"self.size() > 0","optionalOldSelf":true}]}}}""",
            $"{P}.properties[a].x-kubernetes-validations[0].optionalOldSelf: Invalid value: true: may not be set if oldSelf is not used in rule"
        },
        {
            """{"type":"object","properties":{"l":{"type":"array","items":{"type":"string"},"x-kubernetes-validations":[{"rule":"self.all(x, self.all(y, x == y))"}]}}}""",
            $"{P}.properties[l].x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of more than 100x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)"
        },
    };

    [Theory]
    [MemberData(nameof(CrdTimeCases))]
    public void RulesAreCheckedAtCrdTime(string schema, string expected)
    {
        var errors = CrdSchemaValidation.ValidateSchema(Json(schema), FieldPath.New(P)).Select(e => e.ToString()).ToList();
        Assert.Contains(expected, errors);
    }

    [Fact]
    public void BoundedRulesFitTheCostLimit()
    {
        var errors = CrdSchemaValidation.ValidateSchema(
            Json("""{"type":"object","properties":{"l":{"type":"array","maxItems":10,"items":{"type":"string","maxLength":10},"x-kubernetes-validations":[{"rule":"self.all(x, self.all(y, x == y))"}]}}}"""),
            FieldPath.New(P));
        Assert.Empty(errors);
    }

    [Fact]
    public void DefaultsMustPassTheirRules()
    {
        var errors = CrdSchemaValidation.ValidateSchema(
            Json("""{"type":"object","properties":{"a":{"type":"integer","default":-1,"x-kubernetes-validations":[{"rule":"self >= 0","message":"must not be negative"}]}}}"""),
            FieldPath.New(P)).Select(e => e.ToString()).ToList();
        Assert.Equal([$"{P}.properties[a].default: Invalid value: -1: must not be negative"], errors);
    }
}
