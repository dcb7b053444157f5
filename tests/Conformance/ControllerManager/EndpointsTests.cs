using System.Text.Json;
using k8s;
using k8s.Models;

namespace Conformance.ControllerManager;

/// <summary>
/// A Service gets endpoints: `kubectl expose` a Deployment and `kubectl get endpoints` shows its pods'
/// IPs (as they become ready), EndpointSlices managed by the controller follow scaling, and both go
/// away with the Service (the slices through their owner reference and the garbage collector).
/// </summary>
[Collection(ControllerManagerCollection.Name)]
public sealed class EndpointsTests(ControllerManagerFixture fixture)
{
    private readonly Kubernetes _admin = fixture.Admin;

    [Fact]
    public async Task ExposedDeployment_EndpointsAndSlicesListReadyPods_FollowScaling_GoWithTheService()
    {
        var cluster = fixture.Cluster;
        var ns = await cluster.CreateNamespaceAsync("endpoints");
        await cluster.KubectlOkAsync("create", "deployment", "web", "--image=nginx", "--replicas=3", "--port=80", "-n", ns);
        await cluster.KubectlOkAsync("expose", "deployment", "web", "--port=8080", "--target-port=80", "-n", ns);

        // Pods without IPs are in neither: the Endpoints object exists with no subsets, the slice is an empty placeholder.
        await fixture.EventuallyAsync(async () => (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items.Count == 3 ? "" : null, "3 pods");
        var empty = await fixture.EventuallyAsync(async () => await Fresh(() => _admin.CoreV1.ReadNamespacedEndpointsAsync("web", ns)), "the Endpoints object");
        Assert.True(empty.Subsets is null || empty.Subsets.Count == 0);
        Assert.Equal("web", empty.Metadata.Labels["app"]);

        await using (fixture.MarkPodsReady(ns))
        {
            var ips = await fixture.EventuallyAsync(async () =>
            {
                var pods = (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items;
                var want = pods.Where(p => p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true).Select(p => p.Status.PodIP).Order().ToList();
                var shown = (await cluster.KubectlOkAsync("get", "endpoints", "web", "-n", ns, "-o", "jsonpath={.subsets[*].addresses[*].ip}"))
                    .Split(' ', StringSplitOptions.RemoveEmptyEntries).Order().ToList();
                return want.Count == 3 && want.SequenceEqual(shown) ? shown : null;
            }, "kubectl get endpoints to show the 3 ready pods' IPs");

            var endpoints = await _admin.CoreV1.ReadNamespacedEndpointsAsync("web", ns);
            var subset = Assert.Single(endpoints.Subsets);
            Assert.Equal(80, Assert.Single(subset.Ports).Port);
            Assert.All(subset.Addresses, a => Assert.Equal("Pod", a.TargetRef.Kind));
            var table = await cluster.KubectlOkAsync("get", "endpoints", "web", "-n", ns);
            Assert.Contains($"{ips[0]}:80", table, StringComparison.Ordinal);

            var slice = await fixture.EventuallyAsync(async () =>
            {
                var slices = (await _admin.DiscoveryV1.ListNamespacedEndpointSliceAsync(ns, labelSelector: "kubernetes.io/service-name=web")).Items;
                return slices.Count == 1 && slices[0].Endpoints?.Count == 3 && slices[0].Endpoints.All(e => e.Conditions.Ready == true) ? slices[0] : null;
            }, "one EndpointSlice with 3 ready endpoints");
            Assert.Equal("endpointslice-controller.k8s.io", slice.Metadata.Labels["endpointslice.kubernetes.io/managed-by"]);
            Assert.Equal("IPv4", slice.AddressType);
            Assert.StartsWith("web-", slice.Metadata.Name, StringComparison.Ordinal);
            var owner = Assert.Single(slice.Metadata.OwnerReferences);
            Assert.Equal(("Service", "web", true), (owner.Kind, owner.Name, owner.Controller == true));
            Assert.Equal(ips, slice.Endpoints.Select(e => e.Addresses.Single()).Order());
            Assert.Equal((80, "TCP"), (slice.Ports.Single().Port, slice.Ports.Single().Protocol));

            await cluster.KubectlOkAsync("scale", "deployment", "web", "--replicas=1", "-n", ns);
            await fixture.EventuallyAsync(async () =>
            {
                var current = await _admin.CoreV1.ReadNamespacedEndpointsAsync("web", ns);
                var slices = (await _admin.DiscoveryV1.ListNamespacedEndpointSliceAsync(ns, labelSelector: "kubernetes.io/service-name=web")).Items;
                return current.Subsets?.SelectMany(s => s.Addresses ?? []).Count() == 1 && slices.Sum(s => s.Endpoints?.Count(e => e.Conditions.Terminating != true) ?? 0) == 1 ? "" : null;
            }, "the Endpoints and the slice to shrink to one pod");
        }

        await cluster.KubectlOkAsync("delete", "service", "web", "-n", ns);
        await fixture.EventuallyAsync(async () =>
        {
            var gone = await Fresh(() => _admin.CoreV1.ReadNamespacedEndpointsAsync("web", ns)) is null;
            var slices = (await _admin.DiscoveryV1.ListNamespacedEndpointSliceAsync(ns)).Items;
            return gone && slices.Count == 0 ? "" : null;
        }, "the Endpoints and EndpointSlices to go with the Service");
    }

    [Fact]
    public async Task HandWrittenEndpointsOfAServiceWithoutSelector_AreLeftAlone()
    {
        var cluster = fixture.Cluster;
        var ns = await cluster.CreateNamespaceAsync("manual-ep");
        await _admin.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "external" },
            Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 5432 }] },
        }, ns);
        await _admin.CoreV1.CreateNamespacedEndpointsAsync(new V1Endpoints
        {
            Metadata = new V1ObjectMeta { Name = "external" },
            Subsets = [new V1EndpointSubset { Addresses = [new V1EndpointAddress { Ip = "192.0.2.10" }], Ports = [new Corev1EndpointPort { Port = 5432 }] }],
        }, ns);
        // A selector Service beside it proves the controller is running and has seen this namespace.
        await cluster.KubectlOkAsync("create", "service", "clusterip", "probe", "--tcp=80:80", "-n", ns);
        await fixture.EventuallyAsync(async () => await Fresh(() => _admin.CoreV1.ReadNamespacedEndpointsAsync("probe", ns)), "the probe Service's Endpoints");

        var json = await cluster.KubectlOkAsync("get", "endpoints", "external", "-n", ns, "-o", "json");
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("192.0.2.10", doc.RootElement.GetProperty("subsets")[0].GetProperty("addresses")[0].GetProperty("ip").GetString());
        // The EndpointSlice controller makes none for it either (the mirroring controller's are its own: EndpointSliceMirroringTests).
        Assert.Empty((await _admin.DiscoveryV1.ListNamespacedEndpointSliceAsync(ns, labelSelector: "kubernetes.io/service-name=external,endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io")).Items);
    }

    private static async Task<T?> Fresh<T>(Func<Task<T>> read)
        where T : class
    {
        try
        {
            return await read();
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}
