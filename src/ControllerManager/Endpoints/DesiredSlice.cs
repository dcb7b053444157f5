using k8s.Models;

namespace ControllerManager.Endpoints;

/// <summary>
/// One EndpointSlice's worth that a controller aims at: an address type, a port set and its endpoints.
/// Both the EndpointSlice controller and the mirroring controller reconcile by <see cref="GroupKey"/>:
/// existing slices with the same address type and port set are updated in place before new ones are made.
/// </summary>
internal sealed record DesiredSlice(string AddressType, List<Discoveryv1EndpointPort> Ports, List<V1Endpoint> Endpoints)
{
    public string GroupKey => KeyOf(AddressType, Ports);

    /// <summary>The group an existing slice belongs to.</summary>
    public static string GroupKeyOf(V1EndpointSlice slice) => KeyOf(slice.AddressType, slice.Ports);

    /// <summary>A port set as a key, whatever the ports' order.</summary>
    public static string PortsKey(IEnumerable<Discoveryv1EndpointPort>? ports) =>
        string.Join(",", (ports ?? []).Select(p => $"{p.Name}/{p.Port}/{p.Protocol}/{p.AppProtocol}").Order(StringComparer.Ordinal));

    private static string KeyOf(string addressType, IEnumerable<Discoveryv1EndpointPort>? ports) => addressType + "|" + PortsKey(ports);
}
