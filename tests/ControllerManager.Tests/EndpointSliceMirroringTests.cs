using ControllerManager.Endpoints;
using k8s.Models;

namespace ControllerManager.Tests;

public sealed class EndpointSliceMirroringTests
{
    private static V1EndpointAddress Address(string ip, string? uid = null) => new() { Ip = ip, TargetRef = uid is null ? null : new V1ObjectReference { Kind = "Pod", Uid = uid } };

    private static Corev1EndpointPort Port(string name, int port) => new() { Name = name, Port = port, Protocol = "TCP" };

    private static V1Endpoints Endpoints(params V1EndpointSubset[] subsets) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = "ext",
            NamespaceProperty = "ns",
            Labels = new Dictionary<string, string> { ["team"] = "db", ["kubernetes.io/service-name"] = "spoofed" },
            Annotations = new Dictionary<string, string> { ["owner"] = "ops", ["endpoints.kubernetes.io/last-change-trigger-time"] = "x", ["kubectl.kubernetes.io/last-applied-configuration"] = "{}" },
        },
        Subsets = subsets,
    };

    [Fact]
    public void Repack_GroupsAddressesByTheirPortSet_NotReadyOnAnyPortWins()
    {
        var packed = EndpointSliceMirroringController.Repack(
        [
            new V1EndpointSubset { Addresses = [Address("10.0.0.2"), Address("10.0.0.1")], Ports = [Port("http", 80)] },
            new V1EndpointSubset { Addresses = [Address("10.0.0.1")], NotReadyAddresses = [Address("10.0.0.2")], Ports = [Port("metrics", 9090)] },
            new V1EndpointSubset { Addresses = [Address("10.0.0.3")], Ports = [Port("http", 80)] },
        ]);
        Assert.Equal(2, packed.Count);
        var both = packed.Single(s => s.Ports.Count == 2);
        Assert.Equal(["10.0.0.1"], both.Addresses.Select(a => a.Ip));
        Assert.Equal(["10.0.0.2"], both.NotReadyAddresses.Select(a => a.Ip));
        var httpOnly = packed.Single(s => s.Ports.Count == 1);
        Assert.Equal(["10.0.0.3"], httpOnly.Addresses.Select(a => a.Ip));
        Assert.Null(httpOnly.NotReadyAddresses);
    }

    [Fact]
    public void Desired_OneSlicePerFamilyAndPortSet_CappedPerSubset_InvalidSkipped()
    {
        var endpoints = Endpoints(new V1EndpointSubset
        {
            Addresses = [Address("10.0.0.1"), Address("fd00::1"), Address("not-an-ip"), Address("10.0.0.2")],
            NotReadyAddresses = [Address("10.0.0.3"), Address("10.0.0.4")],
            Ports = [Port("http", 80)],
        });
        var (slices, invalid, skipped) = EndpointSliceMirroringController.Desired(endpoints, maxPerSubset: 4);
        Assert.Equal(1, invalid);
        Assert.Equal(2, skipped); // the invalid address and 10.0.0.4, past the cap of 4
        var v4 = slices.Single(s => s.AddressType == "IPv4");
        Assert.Equal(["10.0.0.1", "10.0.0.2", "10.0.0.3"], v4.Endpoints.Select(e => e.Addresses[0]));
        Assert.Equal([true, true, false], v4.Endpoints.Select(e => e.Conditions.Ready == true));
        Assert.Equal(["fd00::1"], slices.Single(s => s.AddressType == "IPv6").Endpoints.Select(e => e.Addresses[0]));
        Assert.Equal(80, v4.Ports.Single().Port);
    }

    [Fact]
    public void Slices_CarryTheEndpointsLabelsAndAnnotations_WithTheServiceNameAndManagedBy()
    {
        var endpoints = Endpoints();
        var labels = EndpointSliceMirroringController.SliceLabels(endpoints);
        Assert.Equal("ext", labels["kubernetes.io/service-name"]);
        Assert.Equal("endpointslicemirroring-controller.k8s.io", labels["endpointslice.kubernetes.io/managed-by"]);
        Assert.Equal("db", labels["team"]);
        Assert.Equal(new Dictionary<string, string> { ["owner"] = "ops" }, EndpointSliceMirroringController.SliceAnnotations(endpoints));
        Assert.True(EndpointSliceMirroringController.ShouldMirror(endpoints));
        endpoints.Metadata.Labels["endpointslice.kubernetes.io/skip-mirror"] = "true";
        Assert.False(EndpointSliceMirroringController.ShouldMirror(endpoints));
    }
}
