using System.Text;
using ApiMachinery.Serialization;

namespace ApiMachinery.Tests.Serialization;

public sealed class JsonInputTests
{
    [Fact]
    public void RepeatedFields_KeepTheLastValue_AndAreReportedByPath()
    {
        var duplicates = new List<string>();
        var node = JsonInput.Parse(Encoding.UTF8.GetBytes(
            """{"a":1,"spec":{"containers":[{"name":"x"},{"name":"y","image":"i","image":"j"}],"b":[1,{"c":1,"c":2}]},"a":3}"""), 64, duplicates);
        Assert.Equal(["spec.containers[1].image", "spec.b[1].c", "a"], duplicates);
        Assert.Equal(3, node!["a"]!.GetValue<int>());
        Assert.Equal("j", node["spec"]!["containers"]![1]!["image"]!.GetValue<string>());
        Assert.Equal(2, node["spec"]!["b"]![1]!["c"]!.GetValue<int>());
    }

    [Fact]
    public void WithoutRepeats_ItIsAnOrdinaryParse()
    {
        var duplicates = new List<string>();
        var node = JsonInput.Parse("""[{"a":{"a":1}},{"a":2}]"""u8, 64, duplicates);
        Assert.Empty(duplicates);
        Assert.Equal("""[{"a":{"a":1}},{"a":2}]""", node!.ToJsonString());
    }

    [Fact]
    public void ARepeatSpelledWithAnEscape_IsStillARepeat()
    {
        var duplicates = new List<string>();
        var node = JsonInput.Parse("""{"a":1,"\u0061":2}"""u8, 64, duplicates);
        Assert.Equal(["a"], duplicates);
        Assert.Equal(2, node!["a"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("""{"a":1,""")]
    [InlineData("""{"a":1,"a":""")]
    [InlineData("""{"a":1}}""")]
    public void Malformed_FailsWithTheReadersError_EvenWithARepeat(string json)
    {
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => JsonInput.Parse(Encoding.UTF8.GetBytes(json), 64, []));
    }

    [Fact]
    public void DepthIsLimited()
    {
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => JsonInput.Parse(Encoding.UTF8.GetBytes(new string('[', 10) + new string(']', 10)), 5));
    }
}
