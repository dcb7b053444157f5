using ControllerManager.Endpoints;
using k8s.Models;

namespace ControllerManager.Tests;

public sealed class EndpointsTests
{
    private static V1Service Service(bool publishNotReady = false, string? clusterIp = "10.96.0.10", params V1ServicePort[] ports) => new()
    {
        Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "ns", Uid = "svc-uid", Labels = new Dictionary<string, string> { ["team"] = "a" } },
        Spec = new V1ServiceSpec
        {
            Selector = new Dictionary<string, string> { ["app"] = "web" },
            ClusterIP = clusterIp,
            PublishNotReadyAddresses = publishNotReady,
            Ports = ports.Length > 0 ? ports : [new V1ServicePort { Name = "http", Port = 80, TargetPort = "http", Protocol = "TCP" }],
        },
    };

    private static V1Pod Pod(string name, string? ip, bool ready = true, string phase = "Running", bool terminating = false, int httpPort = 8080, string? node = "n1", string app = "web") => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = "ns",
            Uid = "uid-" + name,
            Labels = new Dictionary<string, string> { ["app"] = app },
            DeletionTimestamp = terminating ? DateTime.UtcNow : null,
        },
        Spec = new V1PodSpec
        {
            NodeName = node,
            Containers = [new V1Container { Name = "c", Ports = [new V1ContainerPort { Name = "http", ContainerPort = httpPort, Protocol = "TCP" }] }],
        },
        Status = new V1PodStatus
        {
            Phase = phase,
            PodIP = ip,
            Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False" }],
        },
    };

    [Fact]
    public void Subsets_ReadyAndNotReady_SkipPodsWithoutIpTerminalOrTerminating()
    {
        var pods = new[]
        {
            Pod("a", "10.0.0.2"), Pod("b", "10.0.0.1"), Pod("c", "10.0.0.3", ready: false),
            Pod("d", null), Pod("e", "10.0.0.5", phase: "Succeeded"), Pod("f", "10.0.0.6", terminating: true),
        };
        var (subsets, truncated) = EndpointsController.Subsets(Service(), pods);
        Assert.False(truncated);
        var subset = Assert.Single(subsets);
        Assert.Equal(["10.0.0.1", "10.0.0.2"], subset.Addresses.Select(a => a.Ip));
        Assert.Equal("10.0.0.3", Assert.Single(subset.NotReadyAddresses).Ip);
        var port = Assert.Single(subset.Ports);
        Assert.Equal(("http", 8080, "TCP"), (port.Name, port.Port, port.Protocol));
        var address = subset.Addresses[0];
        Assert.Equal(("Pod", "ns", "b", "uid-b", "n1"), (address.TargetRef.Kind, address.TargetRef.NamespaceProperty, address.TargetRef.Name, address.TargetRef.Uid, address.NodeName));
    }

    [Fact]
    public void Subsets_PublishNotReadyAddresses_ListsEveryPodAsReady()
    {
        var (subsets, _) = EndpointsController.Subsets(Service(publishNotReady: true), [Pod("a", "10.0.0.1", ready: false)]);
        Assert.Equal("10.0.0.1", Assert.Single(Assert.Single(subsets).Addresses).Ip);
        Assert.Null(subsets[0].NotReadyAddresses);
    }

    [Fact]
    public void Subsets_NamedTargetPortsResolvedPerPod_RepackedByPortSet()
    {
        var pods = new[] { Pod("a", "10.0.0.1", httpPort: 8080), Pod("b", "10.0.0.2", httpPort: 9090), Pod("c", "10.0.0.3", httpPort: 8080) };
        var (subsets, _) = EndpointsController.Subsets(Service(), pods);
        Assert.Equal(2, subsets.Count);
        var on8080 = subsets.Single(s => s.Ports[0].Port == 8080);
        Assert.Equal(["10.0.0.1", "10.0.0.3"], on8080.Addresses.Select(a => a.Ip));
        Assert.Equal("10.0.0.2", Assert.Single(subsets.Single(s => s.Ports[0].Port == 9090).Addresses).Ip);
    }

    [Fact]
    public void Subsets_PodWithoutTheNamedPort_IsLeftOut_NumericTargetPortIsUsedAsIs()
    {
        var pod = Pod("a", "10.0.0.1");
        Assert.Empty(EndpointsController.Subsets(Service(ports: new V1ServicePort { Name = "metrics", Port = 9100, TargetPort = "metrics" }), [pod]).Subsets);
        var (subsets, _) = EndpointsController.Subsets(Service(ports: new V1ServicePort { Port = 80, TargetPort = 8443 }), [pod]);
        var port = Assert.Single(Assert.Single(subsets).Ports);
        Assert.Equal((null, 8443), (port.Name, port.Port));
    }

    [Fact]
    public void Subsets_HeadlessWithoutPorts_ListsAddressesWithoutPorts()
    {
        var service = Service(clusterIp: "None");
        service.Spec.Ports = null;
        var subset = Assert.Single(EndpointsController.Subsets(service, [Pod("a", "10.0.0.1")]).Subsets);
        Assert.Null(subset.Ports);
        Assert.Equal("10.0.0.1", Assert.Single(subset.Addresses).Ip);
        Assert.Equal("", ServicePods.Labels(service)[ServicePods.HeadlessLabel]);
    }

    [Fact]
    public void Subsets_OverCapacity_KeepsReadyAddressesFirst()
    {
        var pods = Enumerable.Range(0, EndpointsController.MaxCapacity + 10)
            .Select(i => Pod($"p{i}", $"10.{i / 250}.{i % 250}.1", ready: i >= 10))
            .ToList();
        var (subsets, truncated) = EndpointsController.Subsets(Service(), pods);
        Assert.True(truncated);
        Assert.Equal(EndpointsController.MaxCapacity, subsets.Sum(s => s.Addresses?.Count ?? 0));
        Assert.All(subsets, s => Assert.Null(s.NotReadyAddresses));
    }

    [Fact]
    public void Canonical_IgnoresNullVersusEmpty()
    {
        Assert.Equal(EndpointsController.Canonical(null), EndpointsController.Canonical([]));
        var (a, _) = EndpointsController.Subsets(Service(), [Pod("a", "10.0.0.1")]);
        var (b, _) = EndpointsController.Subsets(Service(), [Pod("a", "10.0.0.1")]);
        Assert.Equal(EndpointsController.Canonical(a), EndpointsController.Canonical(b));
        var (c, _) = EndpointsController.Subsets(Service(), [Pod("a", "10.0.0.1", ready: false)]);
        Assert.NotEqual(EndpointsController.Canonical(a), EndpointsController.Canonical(c));
    }

    [Fact]
    public void Slices_ConditionsAsKube_TerminatingIncluded_ZoneFromNode()
    {
        var pods = new[] { Pod("a", "10.0.0.1"), Pod("b", "10.0.0.2", ready: false), Pod("c", "10.0.0.3", terminating: true), Pod("d", "10.0.0.4", phase: "Failed") };
        var slice = Assert.Single(EndpointSliceController.Desired(Service(), pods, n => n == "n1" ? "zone-a" : null, 100));
        Assert.Equal("IPv4", slice.AddressType);
        Assert.Equal(["a", "b", "c"], slice.Endpoints.Select(e => e.TargetRef.Name));
        Assert.Equal((true, true, false), Conditions(slice.Endpoints[0]));
        Assert.Equal((false, false, false), Conditions(slice.Endpoints[1]));
        Assert.Equal((false, true, true), Conditions(slice.Endpoints[2]));
        Assert.All(slice.Endpoints, e => Assert.Equal(("zone-a", "n1"), (e.Zone, e.NodeName)));
        var port = Assert.Single(slice.Ports);
        Assert.Equal(("http", 8080, "TCP"), (port.Name, port.Port, port.Protocol));

        static (bool?, bool?, bool?) Conditions(V1Endpoint e) => (e.Conditions.Ready, e.Conditions.Serving, e.Conditions.Terminating);
    }

    [Fact]
    public void Slices_SplitByMaxEndpointsAndPortSet_PlaceholderWhenEmpty()
    {
        var pods = Enumerable.Range(0, 5).Select(i => Pod($"p{i}", $"10.0.0.{i + 1}")).Append(Pod("q", "10.0.1.1", httpPort: 9090)).ToList();
        var slices = EndpointSliceController.Desired(Service(), pods, _ => null, 2);
        Assert.Equal([2, 2, 1, 1], slices.Select(s => s.Endpoints.Count));
        Assert.Equal(9090, slices.Single(s => s.Endpoints.Any(e => e.TargetRef.Name == "q")).Ports[0].Port);

        var placeholder = Assert.Single(EndpointSliceController.Desired(Service(), [], _ => null, 100));
        Assert.Empty(placeholder.Endpoints);
        Assert.Empty(placeholder.Ports);
    }

    [Fact]
    public void NewSlice_OwnedByTheService_LabelledAsKube()
    {
        var service = Service();
        var want = EndpointSliceController.Desired(service, [Pod("a", "10.0.0.1")], _ => null, 100)[0];
        var slice = EndpointSliceController.NewSlice(service, want, EndpointSliceController.SliceLabels(service));
        Assert.Equal("web-", slice.Metadata.GenerateName);
        Assert.Equal("web", slice.Metadata.Labels["kubernetes.io/service-name"]);
        Assert.Equal("endpointslice-controller.k8s.io", slice.Metadata.Labels["endpointslice.kubernetes.io/managed-by"]);
        Assert.Equal("a", slice.Metadata.Labels["team"]);
        var owner = Assert.Single(slice.Metadata.OwnerReferences);
        Assert.Equal(("v1", "Service", "web", "svc-uid", true, true), (owner.ApiVersion, owner.Kind, owner.Name, owner.Uid, owner.Controller, owner.BlockOwnerDeletion));
    }

    [Fact]
    public void ServicesSelectingAndFindPort()
    {
        var pod = Pod("a", "10.0.0.1");
        Assert.True(ServicePods.Selects(new Dictionary<string, string> { ["app"] = "web" }, pod.Metadata.Labels));
        Assert.False(ServicePods.Selects(new Dictionary<string, string> { ["app"] = "db" }, pod.Metadata.Labels));
        Assert.True(ServicePods.Selects(new Dictionary<string, string>(), pod.Metadata.Labels));
        Assert.False(ServicePods.Selects(null, pod.Metadata.Labels));
        Assert.Null(ServicePods.FindPort(pod, new V1ServicePort { Port = 80, TargetPort = "http", Protocol = "UDP" }));
        Assert.Equal(80, ServicePods.FindPort(pod, new V1ServicePort { Port = 80 }));
        var external = Service();
        external.Spec.Type = "ExternalName";
        Assert.False(ServicePods.IsManaged(external));
    }
}
