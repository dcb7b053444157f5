using ApiMachinery.Validation;

namespace ApiMachinery.Tests.Validation;

public class NameValidationTests
{
    private const string SubdomainRegexError = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    private const string LabelRegexError = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    private const string QualifiedNameRegexError = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    private const string LabelValueRegexError = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    [Theory]
    [InlineData("a")]
    [InlineData("example.com")]
    [InlineData("my-name.v1")]
    [InlineData("0")]
    [InlineData("a-b.c-d")]
    public void IsDNS1123Subdomain_Valid_NoErrors(string name)
    {
        Assert.Empty(NameValidation.IsDNS1123Subdomain(name));
    }

    [Theory]
    [InlineData("")]
    [InlineData("A")]
    [InlineData("-a")]
    [InlineData("a-")]
    [InlineData("a..b")]
    [InlineData("a_b")]
    [InlineData("é")]
    public void IsDNS1123Subdomain_Invalid_RegexError(string name)
    {
        Assert.Equal([SubdomainRegexError], NameValidation.IsDNS1123Subdomain(name));
    }

    [Fact]
    public void IsDNS1123Subdomain_TooLong_LengthErrorOnly()
    {
        Assert.Equal(["must be no more than 253 characters"], NameValidation.IsDNS1123Subdomain(new string('b', 254)));
        var longest = string.Join(".", new string('a', 63), new string('a', 63), new string('a', 63), new string('a', 61));
        Assert.Equal(253, longest.Length);
        Assert.Empty(NameValidation.IsDNS1123Subdomain(longest));
    }

    [Theory]
    [InlineData("a.b", "must not contain dots")]
    [InlineData("A_b", LabelRegexError)]
    [InlineData("", LabelRegexError)]
    public void IsDNS1123Label_Invalid_KubeMessage(string name, string expected)
    {
        Assert.Equal([expected], NameValidation.IsDNS1123Label(name));
    }

    [Fact]
    public void IsDNS1123Label_TooLong_LengthError()
    {
        Assert.Equal(["must be no more than 63 characters"], NameValidation.IsDNS1123Label(new string('a', 64)));
        Assert.Empty(NameValidation.IsDNS1123Label(new string('a', 63)));
    }

    [Theory]
    [InlineData("my-service")]
    [InlineData("a1")]
    public void IsDNS1035Label_Valid_NoErrors(string name)
    {
        Assert.Empty(NameValidation.IsDNS1035Label(name));
    }

    [Fact]
    public void IsDNS1035Label_LeadingDigit_Error()
    {
        Assert.Equal(
            ["a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"],
            NameValidation.IsDNS1035Label("1a"));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("MyName")]
    [InlineData("my.name")]
    [InlineData("123-abc")]
    [InlineData("example.com/MyName")]
    [InlineData("app.kubernetes.io/name")]
    public void IsQualifiedName_Valid_NoErrors(string key)
    {
        Assert.Empty(NameValidation.IsQualifiedName(key));
    }

    public static TheoryData<string, string[]> InvalidQualifiedNames => new()
    {
        { "", ["name part must be non-empty", QualifiedNameRegexError] },
        { "-a", [QualifiedNameRegexError] },
        { "/a", ["prefix part must be non-empty"] },
        { "a/", ["name part must be non-empty", QualifiedNameRegexError] },
        { "Example.com/a", ["prefix part " + SubdomainRegexError] },
        { new string('a', 64), ["name part must be no more than 63 characters"] },
        {
            "a/b/c",
            ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
        },
    };

    [Theory]
    [MemberData(nameof(InvalidQualifiedNames))]
    public void IsQualifiedName_Invalid_KubeMessages(string key, string[] expected)
    {
        Assert.Equal(expected, NameValidation.IsQualifiedName(key));
    }

    [Theory]
    [InlineData("")]
    [InlineData("v1")]
    [InlineData("My_Value-1.0")]
    public void IsValidLabelValue_Valid_NoErrors(string value)
    {
        Assert.Empty(NameValidation.IsValidLabelValue(value));
    }

    [Theory]
    [InlineData("-a")]
    [InlineData("a b")]
    [InlineData("a/b")]
    public void IsValidLabelValue_Invalid_RegexError(string value)
    {
        Assert.Equal([LabelValueRegexError], NameValidation.IsValidLabelValue(value));
    }

    [Fact]
    public void IsValidLabelValue_MultiByteCharacters_CountedAsBytes()
    {
        // 62 ASCII characters plus one two-byte character: 64 bytes.
        Assert.Equal(["must be no more than 63 characters", LabelValueRegexError], NameValidation.IsValidLabelValue(new string('a', 62) + "é"));
    }

    [Theory]
    [InlineData(".", new[] { "may not be '.'" })]
    [InlineData("..", new[] { "may not be '..'" })]
    [InlineData("a/b", new[] { "may not contain '/'" })]
    [InlineData("a%b", new[] { "may not contain '%'" })]
    [InlineData("a/%", new[] { "may not contain '/'", "may not contain '%'" })]
    [InlineData("...", new string[0])]
    [InlineData("Anything Goes:", new string[0])]
    public void IsValidPathSegmentName_Cases_KubeMessages(string name, string[] expected)
    {
        Assert.Equal(expected, NameValidation.IsValidPathSegmentName(name));
    }

    [Fact]
    public void IsValidPathSegmentPrefix_Dot_Allowed()
    {
        Assert.Empty(NameValidation.IsValidPathSegmentPrefix("."));
        Assert.Equal(["may not contain '/'"], NameValidation.ValidatePathSegmentName("a/", prefix: true));
    }

    [Theory]
    [InlineData("web-", "wea")]
    [InlineData("a-", "a")]
    [InlineData("-", "-")]
    [InlineData("web", "web")]
    public void MaskTrailingDash_AsKube_DropsTwoCharacters(string prefix, string expected)
    {
        Assert.Equal(expected, NameValidation.MaskTrailingDash(prefix));
    }

    [Fact]
    public void NameIsDNSSubdomain_GenerateNamePrefix_TrailingDashAccepted()
    {
        Assert.Empty(NameValidation.NameIsDNSSubdomain("web-", prefix: true));
        Assert.Equal([SubdomainRegexError], NameValidation.NameIsDNSSubdomain("web-", prefix: false));
    }
}
