using ApiMachinery.Protobuf;

namespace ApiMachinery.Tests.Protobuf;

public sealed class GoFormatsTests
{
    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(1L, "1ns")]
    [InlineData(1_500L, "1.5µs")]
    [InlineData(300_000_000L, "300ms")]
    [InlineData(1_500_000_000L, "1.5s")]
    [InlineData(60_000_000_000L, "1m0s")]
    [InlineData(3_600_000_000_000L, "1h0m0s")]
    [InlineData(3_723_000_000_000L, "1h2m3s")]
    [InlineData(-60_000_000_000L, "-1m0s")]
    [InlineData(long.MinValue, "-2562047h47m16.854775808s")]
    [InlineData(long.MaxValue, "2562047h47m16.854775807s")]
    public void FormatDuration_WritesGoDurationString(long nanoseconds, string expected) =>
        Assert.Equal(expected, GoFormats.FormatDuration(nanoseconds));

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("1h2m3s", 3_723_000_000_000L)]
    [InlineData("1.5s", 1_500_000_000L)]
    [InlineData(".5s", 500_000_000L)]
    [InlineData("-1m", -60_000_000_000L)]
    [InlineData("+2ms", 2_000_000L)]
    [InlineData("3us", 3_000L)]
    [InlineData("3µs", 3_000L)]
    [InlineData("3μs", 3_000L)]
    [InlineData("1h1h", 7_200_000_000_000L)]
    [InlineData("-2562047h47m16.854775808s", long.MinValue)]
    public void TryParseDuration_ReadsGoDurations(string text, long expected)
    {
        Assert.True(GoFormats.TryParseDuration(text, out var nanoseconds));
        Assert.Equal(expected, nanoseconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("s")]
    [InlineData("1d")]
    [InlineData(".s")]
    [InlineData("1.5.5s")]
    [InlineData("9999999999999999999h")]
    [InlineData("2562047h47m16.854775808s")]
    public void TryParseDuration_RefusesWhatGoRefuses(string text) => Assert.False(GoFormats.TryParseDuration(text, out _));

    [Theory]
    [InlineData("2023-11-14T22:13:20Z", 1700000000L, 0)]
    [InlineData("2023-11-14T23:13:20+01:00", 1700000000L, 0)]
    [InlineData("2023-11-14T21:43:20-00:30", 1700000000L, 0)]
    [InlineData("2023-11-14T22:13:20.5Z", 1700000000L, 500_000_000)]
    [InlineData("2023-11-14T22:13:20.123456789Z", 1700000000L, 123_456_789)]
    [InlineData("1970-01-01T00:00:00Z", 0L, 0)]
    [InlineData("0001-01-01T00:00:00Z", GoFormats.ZeroTimeUnixSeconds, 0)]
    public void TryParseRfc3339_ReadsRfc3339(string text, long seconds, int nanos)
    {
        Assert.True(GoFormats.TryParseRfc3339(text, out var s, out var n));
        Assert.Equal((seconds, nanos), (s, n));
    }

    [Theory]
    [InlineData("2023-11-14 22:13:20Z")]
    [InlineData("2023-11-14T22:13:20")]
    [InlineData("2023-02-30T00:00:00Z")]
    [InlineData("2023-11-14T24:00:00Z")]
    [InlineData("2023-11-14T22:13:20.Z")]
    [InlineData("2023-11-14T22:13:20+0100")]
    [InlineData("yesterday")]
    public void TryParseRfc3339_RefusesOtherText(string text) => Assert.False(GoFormats.TryParseRfc3339(text, out _, out _));

    [Fact]
    public void FormatTimes_InUtc()
    {
        Assert.Equal("2023-11-14T22:13:20Z", GoFormats.FormatTime(1700000000));
        Assert.Equal("2023-11-14T22:13:20.000001Z", GoFormats.FormatMicroTime(1700000000, 1_000));
        Assert.Equal("1969-12-31T23:59:59Z", GoFormats.FormatTime(-1));
    }

    [Theory]
    [InlineData("a", "b")]
    [InlineData("a", "ab")]
    [InlineData("B", "a")]
    [InlineData("\uFFFD", "😀")]
    [InlineData("\uE000", "\uD800\uDC00")]
    public void Utf8Order_SortsLikeGoBytes(string lower, string higher)
    {
        Assert.True(Utf8Order.Compare(lower, higher) < 0);
        Assert.True(Utf8Order.Compare(higher, lower) > 0);
    }
}
