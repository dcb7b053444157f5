using System.Net;
using System.Net.Sockets;

namespace ApiServer.Registry.Services;

/// <summary>
/// One service CIDR as the cluster-IP allocator sees it: the addresses it may hand out (the
/// network address never, the IPv4 broadcast address never) and the split between the lower band,
/// kept for clients that ask for a particular IP, and the upper band random allocation draws from
/// first (KEP-3070), so a chosen IP rarely collides with one the server picked. Addresses are
/// numbers here (UInt128 holds both families) so walking and offsetting are plain arithmetic.
/// </summary>
internal sealed class ServiceIPRange
{
    private ServiceIPRange(IPAddress network, int prefixLength)
    {
        Family = network.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";
        PrefixLength = prefixLength;
        var bits = Family == "IPv4" ? 32 : 128;
        var hostBits = bits - prefixLength;
        var networkNumber = ToNumber(network);
        var hostMask = hostBits == 128 ? UInt128.MaxValue : (UInt128.One << hostBits) - 1;
        networkNumber &= ~hostMask;
        NetworkNumber = networkNumber;
        Cidr = FromNumber(networkNumber, Family) + "/" + prefixLength.ToString(System.Globalization.CultureInfo.InvariantCulture);
        First = networkNumber + 1;
        // IPv6 has no broadcast address: its last address is usable.
        Last = (networkNumber | hostMask) - (Family == "IPv4" ? UInt128.One : UInt128.Zero);
        Size = Last >= First ? Last - First + 1 : 0;
        // The lower band: 1/16 of the range, at least 16 and at most 256 addresses; none for ranges under 16.
        LowerBand = Size < 16 ? 0 : (int)UInt128.Min(UInt128.Max(16, Size / 16), 256);
    }

    /// <summary>"IPv4" or "IPv6", as Service.spec.ipFamilies names them.</summary>
    public string Family { get; }

    /// <summary>The range in canonical form ("10.0.0.0/24").</summary>
    public string Cidr { get; }

    public int PrefixLength { get; }

    public UInt128 NetworkNumber { get; }

    /// <summary>The first and last address that may be allocated.</summary>
    public UInt128 First { get; }

    public UInt128 Last { get; }

    public UInt128 Size { get; }

    /// <summary>How many addresses at the bottom of the range dynamic allocation leaves until the rest are taken.</summary>
    public int LowerBand { get; }

    /// <summary>The network's own address (what a dry-run allocation reports, as kube's does).</summary>
    public string NetworkAddress => FromNumber(NetworkNumber, Family);

    /// <summary>The first allocatable address: the `kubernetes` Service's IP.</summary>
    public string FirstAddress => FromNumber(First, Family);

    /// <summary>Parses "10.0.0.0/24" or "fd00::/108"; null when it is not a CIDR.</summary>
    public static ServiceIPRange? TryParse(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || text.Contains('%', StringComparison.Ordinal) || !IPAddress.TryParse(text[..slash], out var address)
            || !int.TryParse(text[(slash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var prefix))
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var bits = address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        return prefix > bits ? null : new ServiceIPRange(address, prefix);
    }

    /// <summary>Whether <paramref name="ip"/> is an address this range may allocate.</summary>
    public bool Contains(UInt128 ip, string family) => family == Family && ip >= First && ip <= Last;

    /// <summary>Whether the address lies in the CIDR at all (network and broadcast addresses included).</summary>
    public bool Covers(UInt128 ip, string family)
    {
        if (family != Family)
        {
            return false;
        }

        var hostBits = (Family == "IPv4" ? 32 : 128) - PrefixLength;
        var hostMask = hostBits == 128 ? UInt128.MaxValue : (UInt128.One << hostBits) - 1;
        return (ip & ~hostMask) == NetworkNumber;
    }

    public string Format(UInt128 ip) => FromNumber(ip, Family);

    /// <summary>Parses an IP the way the allocator names it; null for anything else.</summary>
    public static (UInt128 Number, string Family, string Canonical)? ParseAddress(string text)
    {
        if (text.Contains('%', StringComparison.Ordinal) || !IPAddress.TryParse(text, out var address))
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var family = address.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";
        var number = ToNumber(address);
        return (number, family, FromNumber(number, family));
    }

    public static UInt128 ToNumber(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        UInt128 value = 0;
        foreach (var b in bytes)
        {
            value = (value << 8) | b;
        }

        return value;
    }

    public static string FromNumber(UInt128 value, string family)
    {
        var length = family == "IPv4" ? 4 : 16;
        var bytes = new byte[length];
        for (var i = length - 1; i >= 0; i--)
        {
            bytes[i] = (byte)(value & 0xff);
            value >>= 8;
        }

        return new IPAddress(bytes).ToString();
    }
}
