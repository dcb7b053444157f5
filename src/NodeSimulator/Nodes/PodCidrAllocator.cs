using System.Net;
using System.Net.Sockets;

namespace NodeSimulator.Nodes;

/// <summary>
/// Node pod CIDRs and pod IPs. Node i gets the i-th /24 of the cluster range (what
/// kube-controller-manager's range allocator gives with --allocate-node-cidrs and the default
/// node mask of 24); a pod gets the lowest free address of its node's /24 from .2 up (.1 is the
/// bridge, as with the host-local IPAM of a typical CNI plugin).
/// </summary>
public sealed class PodCidrAllocator
{
    private readonly Lock _lock = new();
    private readonly HashSet<uint> _used = [];
    private readonly uint _network;

    public PodCidrAllocator(string nodeCidr)
    {
        var (network, prefix) = Parse(nodeCidr);
        if (prefix != 24)
        {
            throw new ArgumentException($"a node's pod CIDR must be a /24: {nodeCidr}");
        }

        _network = network;
        Cidr = nodeCidr;
    }

    public string Cidr { get; }

    /// <summary>The /24 of node <paramref name="index"/> (0-based) in <paramref name="clusterCidr"/>.</summary>
    public static string NodeCidr(string clusterCidr, int index)
    {
        var (network, prefix) = Parse(clusterCidr);
        if (prefix > 24)
        {
            throw new ArgumentException($"--pod-cidr {clusterCidr} is smaller than a /24");
        }

        var subnets = 1L << (24 - prefix);
        if (index >= subnets)
        {
            throw new ArgumentException($"--pod-cidr {clusterCidr} has room for {subnets} nodes, not {index + 1}");
        }

        return $"{ToText(network + ((uint)index << 8))}/24";
    }

    public static (uint Network, int Prefix) Parse(string cidr)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IPAddress.TryParse(cidr[..slash], out var ip) || ip.AddressFamily != AddressFamily.InterNetwork ||
            !int.TryParse(cidr[(slash + 1)..], out var prefix) || prefix is < 8 or > 30)
        {
            throw new ArgumentException($"invalid IPv4 CIDR: {cidr}");
        }

        var bytes = ip.GetAddressBytes();
        var value = ((uint)bytes[0] << 24) | ((uint)bytes[1] << 16) | ((uint)bytes[2] << 8) | bytes[3];
        var mask = prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);
        return (value & mask, prefix);
    }

    /// <summary>Marks an address in use (a pod that already has it, seen after a restart).</summary>
    public bool Claim(string ip)
    {
        if (!IPAddress.TryParse(ip, out var address) || address.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        var bytes = address.GetAddressBytes();
        var value = ((uint)bytes[0] << 24) | ((uint)bytes[1] << 16) | ((uint)bytes[2] << 8) | bytes[3];
        if ((value & 0xFFFFFF00) != _network)
        {
            return false;
        }

        lock (_lock)
        {
            _used.Add(value);
        }

        return true;
    }

    /// <summary>The lowest free address, or null when all 253 are taken.</summary>
    public string? Allocate()
    {
        lock (_lock)
        {
            for (uint host = 2; host < 255; host++)
            {
                if (_used.Add(_network + host))
                {
                    return ToText(_network + host);
                }
            }

            return null;
        }
    }

    public void Release(string ip)
    {
        if (!IPAddress.TryParse(ip, out var address) || address.AddressFamily != AddressFamily.InterNetwork)
        {
            return;
        }

        var bytes = address.GetAddressBytes();
        lock (_lock)
        {
            _used.Remove(((uint)bytes[0] << 24) | ((uint)bytes[1] << 16) | ((uint)bytes[2] << 8) | bytes[3]);
        }
    }

    private static string ToText(uint value) => $"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}";
}
