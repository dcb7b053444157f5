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
}
