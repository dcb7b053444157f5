using System.Text.Json.Nodes;
using ApiMachinery.Selectors;

namespace ApiMachinery.Tests.Selectors;

public class LabelSelectorTests
{
    private static Dictionary<string, string> Labels(string spec) =>
        spec.Length == 0
            ? []
            : spec.Split(',').Select(p => p.Split(':')).ToDictionary(p => p[0], p => p[1]);

    [Theory]
    [InlineData("", "", true)]
    [InlineData("", "a:b", true)]
    [InlineData("a=b", "a:b", true)]
    [InlineData("a=b", "a:c", false)]
    [InlineData("a=b", "", false)]
    [InlineData("a==b", "a:b", true)]
    [InlineData("a!=b", "a:c", true)]
    [InlineData("a!=b", "", true)]
    [InlineData("a!=b", "a:b", false)]
    [InlineData("a", "a:", true)]
    [InlineData("a", "b:c", false)]
    [InlineData("!a", "b:c", true)]
    [InlineData("!a", "a:x", false)]
    [InlineData("a in (b,c)", "a:c", true)]
    [InlineData("a in (b,c)", "a:d", false)]
    [InlineData("a in (b,c)", "", false)]
    [InlineData("a notin (b,c)", "a:d", true)]
    [InlineData("a notin (b,c)", "", true)]
    [InlineData("a notin (b,c)", "a:b", false)]
    [InlineData("a in (,b)", "a:", true)]
    [InlineData("a in ()", "a:", true)]
    [InlineData("a=", "a:", true)]
    [InlineData("x=1,y=2", "x:1,y:2", true)]
    [InlineData("x=1,y=2", "x:1,y:3", false)]
    [InlineData("x=1,!z", "x:1", true)]
    [InlineData("n>3", "n:5", true)]
    [InlineData("n>3", "n:3", false)]
    [InlineData("n<3", "n:-3", true)]
    [InlineData("n<3", "n:x", false)]
    [InlineData("n>2", "n:-3", false)]
    [InlineData("a in (in)", "a:in", true)]
    [InlineData("in in (notin)", "in:notin", true)]
    public void Matches_SelectorAndLabels_AsKube(string selector, string labels, bool expected)
    {
        Assert.Equal(expected, LabelSelector.Parse(selector).Matches(Labels(labels)));
    }

    [Theory]
    [InlineData("a in (b, c)")]
    [InlineData("a in ( b , c )")]
    [InlineData("a   in   (b,c)")]
    [InlineData("a in(b,c)")]
    [InlineData("\ta in (c,b)\n")]
    public void Parse_InWithSpaces_MatchesListedValues(string selector)
    {
        var parsed = LabelSelector.Parse(selector);

        Assert.True(parsed.Matches(Labels("a:b")));
        Assert.True(parsed.Matches(Labels("a:c")));
        Assert.False(parsed.Matches(Labels("a:d")));
        Assert.Equal("a in (b,c)", parsed.ToString());
    }

    [Theory]
    [InlineData("b=1,a=2", "a=2,b=1")]
    [InlineData("a==b", "a==b")]
    [InlineData(" a = b ", "a=b")]
    [InlineData("!x,a", "a,!x")]
    [InlineData("a notin (z,y,x)", "a notin (x,y,z)")]
    [InlineData("a in (b,b)", "a in (b)")]
    [InlineData("n>3", "n>3")]
    [InlineData("", "")]
    public void ToString_Parsed_NormalizedAsKube(string selector, string expected)
    {
        Assert.Equal(expected, LabelSelector.Parse(selector).ToString());
    }

    [Theory]
    [InlineData("a in", "unable to parse requirement: found '' expected: '('")]
    [InlineData("a in (b", "unable to parse requirement: found '', expected: ',' or ')'")]
    [InlineData("a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'")]
    [InlineData("!", "unable to parse requirement: found '', expected: identifier")]
    [InlineData("a=b,", "found '', expected: identifier after ','")]
    [InlineData("a,,b", "found ',', expected: identifier after ','")]
    [InlineData("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt")]
    [InlineData("a=(b)", "unable to parse requirement: found '(', expected: identifier")]
    [InlineData("a in (b)c", "found 'c', expected: ',' or 'end of string'")]
    [InlineData(",", "found ',', expected: !, identifier, or 'end of string'")]
    [InlineData("=a", "found '=', expected: !, identifier, or 'end of string'")]
    [InlineData("a=b!", "found '!', expected: ',' or 'end of string'")]
    [InlineData("n>-4", "unable to parse requirement: values[0][n]: Invalid value: \"-4\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")]
    [InlineData("n>a", "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer")]
    [InlineData("a@b", "unable to parse requirement: <nil>: Invalid value: \"a@b\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")]
    [InlineData("a=b@c", "unable to parse requirement: values[0][a]: Invalid value: \"b@c\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")]
    [InlineData("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=a", "unable to parse requirement: <nil>: Invalid value: \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\": name part must be no more than 63 characters")]
    public void Parse_Invalid_ThrowsWithKubeMessage(string selector, string message)
    {
        var e = Assert.Throws<SelectorParseException>(() => LabelSelector.Parse(selector));

        Assert.Equal(message, e.Message);
        Assert.IsAssignableFrom<FormatException>(e);
    }

    [Fact]
    public void TryParse_Invalid_FalseAndNothing()
    {
        Assert.False(LabelSelector.TryParse("a in", out var selector));
        Assert.False(selector.Matches(Labels("")));
        Assert.True(LabelSelector.TryParse("a", out selector));
        Assert.True(selector.Matches(Labels("a:x")));
    }

    [Fact]
    public void Everything_EmptyAndMatchesAll_NothingMatchesNone()
    {
        Assert.True(LabelSelector.Everything.IsEmpty);
        Assert.True(LabelSelector.Everything.Matches(null));
        Assert.True(LabelSelector.Parse("").IsEmpty);
        Assert.False(LabelSelector.Nothing.IsEmpty);
        Assert.False(LabelSelector.Nothing.Matches(Labels("a:b")));
    }

    [Theory]
    [InlineData("app=web,tier=front", "app", true, "web")]
    [InlineData("app==web", "app", true, "web")]
    [InlineData("app in (web)", "app", true, "web")]
    [InlineData("app in (web,api)", "app", false, "")]
    [InlineData("app!=web", "app", false, "")]
    [InlineData("tier=front", "app", false, "")]
    public void TryGetExactMatch_Requirements_ReportsSingleRequiredValue(string selector, string label, bool found, string value)
    {
        Assert.Equal(found, LabelSelector.Parse(selector).TryGetExactMatch(label, out var actual));
        Assert.Equal(value, actual);
    }

    [Fact]
    public void Requirements_Parsed_SortedByKeyWithSortedValues()
    {
        var requirements = LabelSelector.Parse("z notin (b,a),a=1,!m").Requirements;

        Assert.Equal(["a", "m", "z"], requirements.Select(r => r.Key));
        Assert.Equal([SelectionOperator.Equals, SelectionOperator.DoesNotExist, SelectionOperator.NotIn], requirements.Select(r => r.Operator));
        Assert.Equal(["a", "b"], requirements[2].Values);
    }

    [Fact]
    public void FromLabelSelectorJson_MatchLabelsAndExpressions_AndedTogether()
    {
        var json = JsonNode.Parse("""
            {"matchLabels":{"app":"web"},
             "matchExpressions":[{"key":"tier","operator":"In","values":["front","back"]},{"key":"legacy","operator":"DoesNotExist"}]}
            """)!.AsObject();

        var selector = LabelSelector.FromLabelSelectorJson(json);

        Assert.Equal("app=web,!legacy,tier in (back,front)", selector.ToString());
        Assert.True(selector.Matches(Labels("app:web,tier:back")));
        Assert.False(selector.Matches(Labels("app:web,tier:back,legacy:x")));
        Assert.False(selector.Matches(Labels("app:web")));
    }

    [Fact]
    public void FromLabelSelectorJson_NullAndEmpty_NothingAndEverything()
    {
        Assert.False(LabelSelector.FromLabelSelectorJson(null).Matches(Labels("a:b")));
        Assert.True(LabelSelector.FromLabelSelectorJson(new JsonObject()).Matches(Labels("a:b")));
        Assert.True(LabelSelector.FromLabelSelectorJson(new JsonObject { ["matchLabels"] = new JsonObject() }).IsEmpty);
    }

    [Theory]
    [InlineData("""{"matchExpressions":[{"key":"a","operator":"Equals","values":["b"]}]}""", "\"Equals\" is not a valid label selector operator")]
    [InlineData("""{"matchExpressions":[{"key":"a","operator":"In","values":[]}]}""", "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty")]
    [InlineData("""{"matchExpressions":[{"key":"a","operator":"Exists","values":["b"]}]}""", "values: Invalid value: []string{\"b\"}: values set must be empty for exists and does not exist")]
    [InlineData("""{"matchLabels":{"a":"b c"}}""", "values[0][a]: Invalid value: \"b c\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")]
    public void FromLabelSelectorJson_Invalid_ThrowsKubeMessage(string json, string message)
    {
        var e = Assert.Throws<SelectorParseException>(() => LabelSelector.FromLabelSelectorJson(JsonNode.Parse(json)!.AsObject()));

        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void LabelRequirement_Create_SeveralProblems_AggregatedInBrackets()
    {
        var e = Assert.Throws<SelectorParseException>(() => LabelRequirement.Create("a@", SelectionOperator.Equals, ["x", "y"]));

        Assert.StartsWith("[key: Invalid value: \"a@\": name part must consist", e.Message, StringComparison.Ordinal);
        Assert.EndsWith(", values: Invalid value: []string{\"x\", \"y\"}: exact-match compatibility requires one single value]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromSet_Labels_ExactMatchForEach()
    {
        var selector = LabelSelector.FromSet(new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" });

        Assert.Equal("a=1,b=2", selector.ToString());
        Assert.True(selector.Matches(Labels("a:1,b:2,c:3")));
        Assert.False(selector.Matches(Labels("a:1")));
    }

    [Fact]
    public void Add_Requirement_KeepsKeyOrder()
    {
        var selector = LabelSelector.Parse("b=1").Add(LabelRequirement.Create("a", SelectionOperator.Exists, []));

        Assert.Equal("a,b=1", selector.ToString());
    }
}
