using ApiMachinery.Selectors;

namespace ApiMachinery.Tests.Selectors;

public class FieldSelectorTests
{
    private static Func<string, string?> Fields(params (string Field, string Value)[] fields) =>
        f => fields.FirstOrDefault(p => p.Field == f).Value;

    [Theory]
    [InlineData("", "", true)]
    [InlineData("a=b", "b", true)]
    [InlineData("a==b", "b", true)]
    [InlineData("a=b", "c", false)]
    [InlineData("a!=b", "c", true)]
    [InlineData("a!=b", "b", false)]
    [InlineData("a=", "", true)]
    [InlineData("a=b\\=c", "b=c", true)]
    [InlineData("a=b\\,c", "b,c", true)]
    [InlineData("a=b\\\\c", "b\\c", true)]
    public void Matches_SingleTerm_ComparesFieldValue(string selector, string value, bool expected)
    {
        Assert.Equal(expected, FieldSelector.Parse(selector).Matches(Fields(("a", value))));
    }

    [Fact]
    public void Matches_MissingField_ComparesAsEmpty()
    {
        Assert.True(FieldSelector.Parse("spec.nodeName=").Matches(Fields()));
        Assert.False(FieldSelector.Parse("spec.nodeName=n1").Matches(Fields()));
        Assert.True(FieldSelector.Parse("spec.nodeName!=n1").Matches(Fields()));
    }

    [Fact]
    public void Matches_SeveralTerms_AllMustHold()
    {
        var selector = FieldSelector.Parse("status.phase!=Running,status.phase!=Succeeded,metadata.namespace=default");

        Assert.True(selector.Matches(Fields(("status.phase", "Pending"), ("metadata.namespace", "default"))));
        Assert.False(selector.Matches(Fields(("status.phase", "Running"), ("metadata.namespace", "default"))));
        Assert.False(selector.Matches(Fields(("status.phase", "Pending"), ("metadata.namespace", "other"))));
    }

    [Fact]
    public void Requirements_Parsed_SortedByRawTermWithOperators()
    {
        var requirements = FieldSelector.Parse("metadata.name==x,a\\,b!=c\\=d,metadata.namespace=ns").Requirements;

        Assert.Equal(
        [
            new FieldRequirement("a\\,b", SelectionOperator.NotEquals, "c=d"),
            new FieldRequirement("metadata.name", SelectionOperator.Equals, "x"),
            new FieldRequirement("metadata.namespace", SelectionOperator.Equals, "ns"),
        ], requirements);
    }

    [Theory]
    [InlineData("a=b,c=d", "a=b,c=d")]
    [InlineData("c=d,a=b", "a=b,c=d")]
    [InlineData("a==b", "a=b")]
    [InlineData("a=b\\,c", "a=b\\,c")]
    [InlineData("a=b,,c=d,", "a=b,c=d")]
    [InlineData("", "")]
    public void ToString_Parsed_NormalizedAndEscaped(string selector, string expected)
    {
        Assert.Equal(expected, FieldSelector.Parse(selector).ToString());
    }

    [Theory]
    [InlineData("a", "invalid selector: 'a'; can't understand 'a'")]
    [InlineData("x,a=b", "invalid selector: 'x,a=b'; can't understand 'x'")]
    [InlineData("a=b\\x", "invalid field selector: invalid escape sequence: \\x")]
    [InlineData("a=b\\!", "invalid field selector: invalid escape sequence: \\!")]
    [InlineData("a=b\\", "invalid field selector: invalid escape sequence: \\")]
    [InlineData("a=b=c", "invalid field selector: unescaped character in value: 61")]
    public void Parse_Invalid_ThrowsWithKubeMessage(string selector, string message)
    {
        var e = Assert.Throws<SelectorParseException>(() => FieldSelector.Parse(selector));

        Assert.Equal(message, e.Message);
    }

    [Theory]
    [InlineData("metadata.name=web", "web", null)]
    [InlineData("metadata.namespace=ns,metadata.name=web", "web", "ns")]
    [InlineData("metadata.name!=web", null, null)]
    [InlineData("spec.nodeName=n1", null, null)]
    public void ExactNameAndNamespace_Terms_ExtractedForIndexes(string selector, string? name, string? ns)
    {
        var parsed = FieldSelector.Parse(selector);

        Assert.Equal(name, parsed.ExactName);
        Assert.Equal(ns, parsed.ExactNamespace);
    }

    [Fact]
    public void Transform_DefaultMetaConversion_RejectsOtherFields()
    {
        var ok = FieldSelector.Parse("metadata.name=a").Transform(FieldSelector.DefaultMetaFieldConversion);
        Assert.Equal("metadata.name=a", ok.ToString());

        var e = Assert.Throws<SelectorParseException>(() => FieldSelector.Parse("spec.foo=a").Transform(FieldSelector.DefaultMetaFieldConversion));
        Assert.Equal("\"spec.foo\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"", e.Message);
    }

    [Fact]
    public void Transform_EmptyResult_TermDropped()
    {
        var transformed = FieldSelector.Parse("a=b,c=d").Transform((f, v) => f == "a" ? ("", "") : (f.ToUpperInvariant(), v));

        Assert.Equal("C=d", transformed.ToString());
    }

    [Theory]
    [InlineData("a", "a")]
    [InlineData("a,b=c\\d", "a\\,b\\=c\\\\d")]
    public void EscapeValue_UnescapeValue_RoundTrip(string value, string escaped)
    {
        Assert.Equal(escaped, FieldSelector.EscapeValue(value));
        Assert.Equal(value, FieldSelector.UnescapeValue(escaped));
    }

    [Fact]
    public void EverythingAndNothing_EmptyAndMatchBehaviour()
    {
        Assert.True(FieldSelector.Everything.IsEmpty);
        Assert.True(FieldSelector.Parse("").IsEmpty);
        Assert.True(FieldSelector.Everything.Matches(Fields()));
        Assert.False(FieldSelector.Nothing.Matches(Fields()));
        Assert.False(FieldSelector.TryParse("a", out _));
    }
}
