using System.Text.Json.Nodes;
using ApiMachinery.Json;

namespace ApiMachinery.Tests.Json;

public class JsonStringsTests
{
    private static readonly JsonObject Pod = JsonNode.Parse("""
        {"spec":{"nodeName":"n1","priority":5,"enabled":true,"list":["a"],"nothing":null,"empty":""},"status":"x"}
        """)!.AsObject();

    [Theory]
    [InlineData("nodeName", "n1")]
    [InlineData("empty", "")]
    [InlineData("priority", null)]
    [InlineData("enabled", null)]
    [InlineData("list", null)]
    [InlineData("nothing", null)]
    [InlineData("absent", null)]
    public void GetString_Field_OnlyJsonStrings(string field, string? expected) =>
        Assert.Equal(expected, Pod["spec"].GetString(field));

    [Fact]
    public void GetString_Path_WalksObjectsOnly()
    {
        Assert.Equal("n1", Pod.GetString("spec", "nodeName"));
        Assert.Null(Pod.GetString("spec", "absent", "deeper"));
        // "status" is a string, not an object: a step through it finds nothing.
        Assert.Null(Pod.GetString("status", "phase"));
        Assert.Null(Pod.GetString("spec", "list", "0"));
        Assert.Equal("x", Pod.GetString("status"));
    }

    [Fact]
    public void GetString_NullOrNonObjectNode_Null()
    {
        JsonNode? none = null;
        Assert.Null(none.GetString("a"));
        Assert.Null(none.GetString("a", "b"));
        Assert.Null(JsonValue.Create("text").GetString("a"));
        Assert.Null(new JsonArray("a").GetString("0"));
    }

    [Fact]
    public void AsString_ClrValues_ReadAsTheirJson()
    {
        Assert.Equal("plain", JsonValue.Create("plain").AsString());
        // A value built from a CLR type that serializes as a JSON string reads as that string.
        Assert.Equal("2024-01-02T03:04:05Z", JsonValue.Create(new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc)).AsString());
        Assert.Null(JsonValue.Create(3).AsString());
        Assert.Null(((JsonNode?)null).AsString());
    }
}
