using System.Text.Json.Nodes;
using ApiMachinery.Validation;

namespace ApiMachinery.Tests.Validation;

public class FieldPathTests
{
    public static TheoryData<FieldPath, string> Paths => new()
    {
        { FieldPath.New("metadata"), "metadata" },
        { FieldPath.New("metadata", "labels"), "metadata.labels" },
        { FieldPath.New("spec").Child("containers").Index(0).Child("name"), "spec.containers[0].name" },
        { FieldPath.New("metadata").Child("annotations").Key("example.com/key"), "metadata.annotations[example.com/key]" },
        { FieldPath.New("spec").Child("template", "spec"), "spec.template.spec" },
        { FieldPath.New("values").Index(1).Key("app"), "values[1][app]" },
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public void ToString_BuiltPath_PrintsLikeKube(FieldPath path, string expected)
    {
        Assert.Equal(expected, path.ToString());
    }

    [Fact]
    public void ToString_NullPath_PrintsGoNil()
    {
        Assert.Equal("<nil>", FieldPath.ToString(null));
    }

    [Fact]
    public void Root_DeepPath_ReturnsFirstElement()
    {
        Assert.Equal("spec", FieldPath.New("spec").Child("a").Index(3).Root.ToString());
    }
}

public class FieldErrorTests
{
    public static TheoryData<FieldError, string> Errors => new()
    {
        { FieldError.Required(FieldPath.New("spec", "containers")), "spec.containers: Required value" },
        { FieldError.Required(FieldPath.New("metadata", "name"), "name or generateName is required"), "metadata.name: Required value: name or generateName is required" },
        {
            FieldError.Invalid(FieldPath.New("metadata", "name"), "Foo", "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
            "metadata.name: Invalid value: \"Foo\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        },
        { FieldError.Invalid(FieldPath.New("spec", "replicas"), -1L, "must be greater than or equal to 0"), "spec.replicas: Invalid value: -1: must be greater than or equal to 0" },
        { FieldError.Invalid(FieldPath.New("spec", "ratio"), 1.5, "too big"), "spec.ratio: Invalid value: 1.5: too big" },
        { FieldError.Invalid(FieldPath.New("spec", "on"), true, "nope"), "spec.on: Invalid value: true: nope" },
        { FieldError.Invalid(FieldPath.New("spec", "x"), null, "nope"), "spec.x: Invalid value: \"null\": nope" },
        { FieldError.Invalid(FieldPath.New("spec", "x"), "tab\there", ""), "spec.x: Invalid value: \"tab\\there\"" },
        { FieldError.Invalid(FieldPath.New("values"), new List<string>(), "for 'in', 'notin' operators, values set can't be empty"), "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty" },
        { FieldError.Invalid(FieldPath.New("spec"), JsonNode.Parse("""{"b":1,"a":"x"}"""), "bad"), "spec: Invalid value: map[string]interface {}{\"a\":\"x\", \"b\":1}: bad" },
        { FieldError.NotSupported(FieldPath.New("spec", "restartPolicy"), "x", ["Always", "OnFailure", "Never"]), "spec.restartPolicy: Unsupported value: \"x\": supported values: \"Always\", \"OnFailure\", \"Never\"" },
        { FieldError.Duplicate(FieldPath.New("spec", "ports").Index(1), "80/TCP"), "spec.ports[1]: Duplicate value: \"80/TCP\"" },
        { FieldError.Forbidden(FieldPath.New("metadata", "namespace"), "not allowed on this type"), "metadata.namespace: Forbidden: not allowed on this type" },
        { FieldError.TooLong(FieldPath.New("metadata", "annotations"), 262144), "metadata.annotations: Too long: may not be more than 262144 bytes" },
        { FieldError.TooLong(FieldPath.New("x"), -1), "x: Too long: value is too long" },
        { FieldError.TooMany(FieldPath.New("spec", "items"), 5, 3), "spec.items: Too many: 5: must have at most 3 items" },
        { FieldError.TooMany(FieldPath.New("spec", "items"), -1, 3), "spec.items: Too many: must have at most 3 items" },
        { FieldError.NotFound(FieldPath.New("spec", "ref"), "r"), "spec.ref: Not found: \"r\"" },
        { FieldError.InternalError(FieldPath.New("spec"), "oops"), "spec: Internal error: oops" },
        { FieldError.TypeInvalid(FieldPath.New("spec", "n"), "x", "must be an integer"), "spec.n: Invalid value: \"x\": must be an integer" },
        { FieldError.Invalid(FieldPath.New("a"), FieldError.OmitValue, "hidden"), "a: Invalid value: hidden" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void ToString_EachType_MatchesKubeFormat(FieldError error, string expected)
    {
        Assert.Equal(expected, error.ToString());
    }

    [Theory]
    [InlineData(FieldErrorType.Required, "FieldValueRequired")]
    [InlineData(FieldErrorType.Invalid, "FieldValueInvalid")]
    [InlineData(FieldErrorType.NotSupported, "FieldValueNotSupported")]
    [InlineData(FieldErrorType.Duplicate, "FieldValueDuplicate")]
    [InlineData(FieldErrorType.Forbidden, "FieldValueForbidden")]
    [InlineData(FieldErrorType.TooLong, "FieldValueTooLong")]
    [InlineData(FieldErrorType.TooMany, "FieldValueTooMany")]
    [InlineData(FieldErrorType.NotFound, "FieldValueNotFound")]
    [InlineData(FieldErrorType.Internal, "InternalError")]
    [InlineData(FieldErrorType.TypeInvalid, "FieldValueTypeInvalid")]
    public void CauseTypeOf_EachType_IsKubeCauseType(FieldErrorType type, string expected)
    {
        Assert.Equal(expected, FieldError.CauseTypeOf(type));
    }

    [Fact]
    public void ErrorBody_Invalid_OmitsField()
    {
        Assert.Equal("Invalid value: \"Foo\": bad", FieldError.Invalid(FieldPath.New("metadata", "name"), "Foo", "bad").ErrorBody());
    }

    [Fact]
    public void Aggregate_SeveralWithDuplicates_BracketsAndDeduplicates()
    {
        var a = FieldError.Required(FieldPath.New("a"));
        var b = FieldError.Forbidden(FieldPath.New("b"), "no");

        Assert.Equal("[a: Required value, b: Forbidden: no]", FieldError.Aggregate([a, b, a]));
        Assert.Equal("a: Required value", FieldError.Aggregate([a, a]));
        Assert.Equal("", FieldError.Aggregate([]));
    }
}
