using ApiServer.Registry.Services;

namespace ApiServer.Tests.Registry;

public sealed class ServiceIPRangeTests
{
    [Theory]
    // CIDR, first and last allocatable address, size, lower band (KEP-3070: size/16 within [16, 256]; none under 16).
    [InlineData("10.0.0.0/24", "10.0.0.1", "10.0.0.254", 254, 16)]
    [InlineData("10.96.0.0/12", "10.96.0.1", "10.111.255.254", 1048574, 256)]
    [InlineData("192.168.1.0/28", "192.168.1.1", "192.168.1.14", 14, 0)]
    [InlineData("10.0.0.7/24", "10.0.0.1", "10.0.0.254", 254, 16)]
    [InlineData("fd00::/120", "fd00::1", "fd00::ff", 255, 16)]
    public void Range_AllocatableAddressesAndLowerBand(string cidr, string first, string last, long size, int lowerBand)
    {
        var range = ServiceIPRange.TryParse(cidr)!;
        Assert.Equal(first, range.FirstAddress);
        Assert.Equal(last, range.Format(range.Last));
        Assert.Equal((UInt128)(ulong)size, range.Size);
        Assert.Equal(lowerBand, range.LowerBand);
    }

    [Fact]
    public void Contains_ExcludesNetworkAndBroadcast_CoversTheWholeCidr()
    {
        var range = ServiceIPRange.TryParse("10.0.0.0/24")!;
        var network = ServiceIPRange.ParseAddress("10.0.0.0")!.Value;
        var broadcast = ServiceIPRange.ParseAddress("10.0.0.255")!.Value;
        var inside = ServiceIPRange.ParseAddress("10.0.0.200")!.Value;
        var outside = ServiceIPRange.ParseAddress("10.0.1.1")!.Value;
        Assert.False(range.Contains(network.Number, network.Family));
        Assert.True(range.Covers(network.Number, network.Family));
        Assert.False(range.Contains(broadcast.Number, broadcast.Family));
        Assert.True(range.Contains(inside.Number, inside.Family));
        Assert.False(range.Covers(outside.Number, outside.Family));
        Assert.False(range.Covers(ServiceIPRange.ParseAddress("fd00::1")!.Value.Number, "IPv6"));
    }

    [Theory]
    [InlineData("10.0.0.0")]
    [InlineData("10.0.0.0/33")]
    [InlineData("fe80::1%eth0/64")]
    [InlineData("")]
    public void TryParse_RefusesWhatIsNotACidr(string text) => Assert.Null(ServiceIPRange.TryParse(text));
}
