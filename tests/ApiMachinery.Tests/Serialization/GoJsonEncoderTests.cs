using System.Text.Json.Nodes;
using ApiMachinery.Serialization;

namespace ApiMachinery.Tests.Serialization;

public class GoJsonEncoderTests
{
    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("quote \" and \\", "\"quote \\\" and \\\\\"")]
    [InlineData("<a>&b", "\"\\u003ca\\u003e\\u0026b\"")]
    [InlineData("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"")]
    [InlineData("\u0001\u001f", "\"\\u0001\\u001f\"")]
    [InlineData("é日😀 '", "\"é日😀 '\"")]
    [InlineData("\u2028\u2029", "\"\\u2028\\u2029\"")]
    [InlineData("\u007f", "\"\u007f\"")]
    [InlineData("a long run of verbatim text, then é and 😀, then a tab\t", "\"a long run of verbatim text, then é and 😀, then a tab\\t\"")]
    public void ToJsonString_Strings_EscapedLikeEncodingJson(string value, string expected)
    {
        Assert.Equal(expected, JsonValue.Create(value).ToJsonString(GoJsonEncoder.SerializerOptions));
    }

    [Fact]
    public void ToJsonString_PropertyNames_EscapedToo()
    {
        var obj = new JsonObject { ["a<b"] = 1 };

        Assert.Equal("{\"a\\u003cb\":1}", obj.ToJsonString(GoJsonEncoder.SerializerOptions));
    }

    // Values parsed from JSON are written from their UTF-8 bytes, through the encoder's UTF-8 scan.
    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("a long run of verbatim ASCII text before <the> end", "\"a long run of verbatim ASCII text before \\u003cthe\\u003e end\"")]
    [InlineData("é日😀 ' and DEL \u007f, all verbatim in a long value", "\"é日😀 ' and DEL \u007f, all verbatim in a long value\"")]
    [InlineData("line\u2028separator after non-ASCII é", "\"line\\u2028separator after non-ASCII é\"")]
    [InlineData("ampersand at the end of a long value &", "\"ampersand at the end of a long value \\u0026\"")]
    public void ToJsonString_ParsedValues_EscapedLikeEncodingJson(string value, string expected)
    {
        var parsed = JsonNode.Parse("[\"" + value + "\"]")!;

        Assert.Equal("[" + expected + "]", parsed.ToJsonString(GoJsonEncoder.SerializerOptions));
    }

    [Fact]
    public void ToJsonString_ParsedEscapes_WrittenAsGoWritesThem()
    {
        var parsed = JsonNode.Parse("""["\u0041\n\u00e9\u003c\/"]""")!;

        Assert.Equal("""["A\né\u003c/"]""", parsed.ToJsonString(GoJsonEncoder.SerializerOptions));
    }
}
