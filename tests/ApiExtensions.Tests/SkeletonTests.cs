using System.Text.Json.Nodes;
using ApiExtensions.Schema;

namespace ApiExtensions.Tests;

public class SkeletonTests
{
    [Fact]
    public void CompileKeepsACopyOfTheSchema()
    {
        var source = (JsonObject)JsonNode.Parse("""{"type":"object","properties":{"spec":{"type":"object"}}}""")!;
        var schema = CustomResourceSchema.Compile(source);
        source["type"] = "string";
        Assert.Equal("object", (string?)schema.Schema["type"]);
    }
}
