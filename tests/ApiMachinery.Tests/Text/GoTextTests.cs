using ApiMachinery.Text;

namespace ApiMachinery.Tests.Text;

public class GoTextTests
{
    [Theory]
    [InlineData("x", "\"x\"")]
    [InlineData("", "\"\"")]
    [InlineData("a\"b\\c", "\"a\\\"b\\\\c\"")]
    [InlineData("\n\t\r\a\b\f\v", "\"\\n\\t\\r\\a\\b\\f\\v\"")]
    [InlineData("\u0000\u007f", "\"\\x00\\x7f\"")]
    [InlineData("é日😀", "\"é日😀\"")]
    [InlineData("\u00a0\u00ad\u2028", "\"\\u00a0\\u00ad\\u2028\"")]
    [InlineData("\U000E0001", "\"\\U000e0001\"")]
    public void Quote_Strings_LikeStrconvQuote(string value, string expected)
    {
        Assert.Equal(expected, GoText.Quote(value));
    }

    [Theory]
    [InlineData(0.0, 'g', "0")]
    [InlineData(-0.0, 'g', "-0")]
    [InlineData(1.0, 'g', "1")]
    [InlineData(1.5, 'g', "1.5")]
    [InlineData(100000.0, 'g', "100000")]
    [InlineData(1000000.0, 'g', "1e+06")]
    [InlineData(123456789.0, 'g', "1.23456789e+08")]
    [InlineData(0.0001, 'g', "0.0001")]
    [InlineData(0.00001, 'g', "1e-05")]
    [InlineData(1e21, 'g', "1e+21")]
    [InlineData(1e21, 'f', "1000000000000000000000")]
    [InlineData(1.5e-7, 'f', "0.00000015")]
    [InlineData(1.5e-7, 'e', "1.5e-07")]
    [InlineData(123.0, 'e', "1.23e+02")]
    [InlineData(double.NaN, 'g', "NaN")]
    [InlineData(double.PositiveInfinity, 'g', "+Inf")]
    [InlineData(double.NegativeInfinity, 'g', "-Inf")]
    public void FormatFloat_Shortest_LikeStrconv(double value, char format, string expected)
    {
        Assert.Equal(expected, GoText.FormatFloat(value, format));
    }

    [Fact]
    public void FormatFloat_ThirtyTwoBit_ShortestForFloat()
    {
        Assert.Equal("2.5", GoText.FormatFloat(2.5, 'g', 32));
        Assert.Equal("0.1", GoText.FormatFloat(0.1, 'g', 32));
    }

    [Theory]
    [InlineData(1.0, "1")]
    [InlineData(1e21, "1e+21")]
    [InlineData(1e20, "100000000000000000000")]
    [InlineData(1e-7, "1e-7")]
    [InlineData(1.5e-10, "1.5e-10")]
    [InlineData(0.000001, "0.000001")]
    public void FormatJsonFloat_Values_LikeEncodingJson(double value, string expected)
    {
        Assert.Equal(expected, GoText.FormatJsonFloat(value));
    }
}
