using ClientTools.Cache;
using ClientTools.Events;
using ClientTools.Logging;
using ControllerManager.Common;
using ControllerManager.Infrastructure;
using k8s;
using k8s.Models;

namespace ControllerManager.Endpoints;

/// <summary>
/// kube's EndpointSlice controller (pkg/controller/endpointslice): for every Service with a selector,
/// EndpointSlices labelled kubernetes.io/service-name and endpointslice.kubernetes.io/managed-by,
/// owned by the Service (so the garbage collector removes them with it), one address type each,
/// at most --max-endpoints-per-slice endpoints, one port set per slice. Every selected pod with an IP
/// is an endpoint — terminating ones too, with kube's ready/serving/terminating conditions — with its
/// node, zone, hostname and pod reference. A Service with no endpoints gets one empty placeholder slice.
/// </summary>
internal sealed class EndpointSliceController : QueueController
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";
    public const string ManagedByLabel = "endpointslice.kubernetes.io/managed-by";
    public const string ManagedBy = "endpointslice-controller.k8s.io";
    public const string ZoneLabel = "topology.kubernetes.io/zone";

    private readonly SharedIndexInformer<V1Service> _services;
    private readonly SharedIndexInformer<V1Pod> _pods;
    private readonly SharedIndexInformer<V1Node> _nodes;
    private readonly SharedIndexInformer<V1EndpointSlice> _slices;
    private readonly IKubernetes _client;
    private readonly EventRecorder _recorder;
    private readonly int _maxPerSlice;
    private readonly SliceTracker _tracker;

    public EndpointSliceController(ControllerContext context)
        : base(ControllerNames.EndpointSlice, context.Settings.ConcurrentServiceEndpointSyncs, context.Time)
    {
        _client = context.ClientFor(ControllerNames.EndpointSlice);
        _recorder = context.RecorderFor("endpoint-slice-controller", _client);
        _maxPerSlice = context.Settings.MaxEndpointsPerSlice;
        _services = context.Informers.Services();
        _pods = context.Informers.Pods();
        _nodes = context.Informers.Nodes();
        _slices = context.Informers.EndpointSlices();
        _tracker = new SliceTracker((ns, name) => _slices.Store.Get(ns, name) is not null, context.Time);
        _services.AddEventHandler(new ResourceEventHandler<V1Service>
        {
            OnAdd = (s, _) => Enqueue(ObjectKeys.KeyOf(s)),
            OnUpdate = (_, s) => Enqueue(ObjectKeys.KeyOf(s)),
            OnDelete = s => Enqueue(ObjectKeys.KeyOf(s)),
        });
        _pods.AddEventHandler(new ResourceEventHandler<V1Pod>
        {
            OnAdd = (p, _) => EnqueueServicesOf(p),
            OnUpdate = (old, p) =>
            {
                if (ServicePods.EndpointsRelevantChange(old, p))
                {
                    EnqueueServicesOf(old);
                    EnqueueServicesOf(p);
                }
            },
            OnDelete = EnqueueServicesOf,
        });
        _slices.AddEventHandler(new ResourceEventHandler<V1EndpointSlice>
        {
            OnAdd = (s, _) => SliceChanged(s, added: true),
            OnUpdate = (_, s) => SliceChanged(s, added: true),
            OnDelete = s => SliceChanged(s, added: false),
        });
    }

    private void EnqueueServicesOf(V1Pod pod)
    {
        foreach (var key in ServicePods.ServicesSelecting(pod, _services.Store))
        {
            Enqueue(key);
        }
    }

    private void SliceChanged(V1EndpointSlice slice, bool added)
    {
        if (!IsManagedSlice(slice) || slice.Metadata.Labels?.TryGetValue(ServiceNameLabel, out var service) != true)
        {
            return;
        }

        var key = ObjectKeys.KeyOf(slice.Metadata.NamespaceProperty, service!);
        _tracker.Observed(key, slice.Metadata.Name, added);
        Enqueue(key);
    }

    private static bool IsManagedSlice(V1EndpointSlice slice) =>
        slice.Metadata.Labels?.TryGetValue(ManagedByLabel, out var by) == true && by == ManagedBy;

    public override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        var service = _services.Store.Get(key);
        if (service is null || !ServicePods.IsManaged(service) || service.Metadata.DeletionTimestamp is not null)
        {
            // A deleted Service's slices go with it through their owner reference (the garbage collector).
            return;
        }

        if (!_tracker.CaughtUp(key))
        {
            // kube's StaleInformerCache: the cache has not yet shown this controller's own last writes;
            // acting on it could create duplicate slices. The slices' events requeue the key.
            throw new InvalidOperationException($"the EndpointSlice cache is behind this controller's writes for Service {key}");
        }

        var (ns, name) = ObjectKeys.Split(key);
        var desired = Desired(service, ServicePods.Selected(service, _pods.Store), ZoneOf, _maxPerSlice);
        var existing = _slices.Store.ByIndex(Indexers.Namespace, ns)
            .Where(s => IsManagedSlice(s) && s.Metadata.Labels.TryGetValue(ServiceNameLabel, out var n) && n == name)
            .ToList();
        var labels = SliceLabels(service);

        var creates = new List<V1EndpointSlice>();
        var updates = new List<V1EndpointSlice>();
        var deletes = new List<V1EndpointSlice>();
        var owned = existing.Where(s => OwnerReferences.ControllerOf(s.Metadata)?.Uid == service.Metadata.Uid).ToList();
        deletes.AddRange(existing.Except(owned));
        var byGroup = owned.GroupBy(DesiredSlice.GroupKeyOf).ToDictionary(g => g.Key, g => g.OrderBy(s => s.Metadata.Name, StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
        foreach (var group in desired.GroupBy(d => d.GroupKey, StringComparer.Ordinal))
        {
            var current = byGroup.Remove(group.Key, out var slices) ? slices : [];
            var i = 0;
            foreach (var want in group)
            {
                if (i < current.Count)
                {
                    var slice = current[i++];
                    if (!SameContent(slice, want, labels))
                    {
                        var updated = ObjectCopy.Clone(slice);
                        updated.Endpoints = want.Endpoints;
                        updated.Ports = want.Ports.Count > 0 ? want.Ports : null;
                        updated.Metadata.Labels = labels;
                        updates.Add(updated);
                    }
                }
                else
                {
                    creates.Add(NewSlice(service, want, labels));
                }
            }

            deletes.AddRange(current.Skip(i));
        }

        deletes.AddRange(byGroup.Values.SelectMany(s => s));
        if (creates.Count + updates.Count + deletes.Count == 0)
        {
            return;
        }

        Klog.Info(4, $"Reconciling EndpointSlices of Service {key}: {creates.Count} to create, {updates.Count} to update, {deletes.Count} to delete");
        try
        {
            foreach (var slice in creates)
            {
                var created = await _client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(slice, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
                _tracker.Wrote(key, ns, created.Metadata.Name, exists: true);
            }

            foreach (var slice in updates)
            {
                await _client.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(slice, slice.Metadata.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            foreach (var slice in deletes)
            {
                try
                {
                    await _client.DiscoveryV1.DeleteNamespacedEndpointSliceAsync(slice.Metadata.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
                    _tracker.Wrote(key, ns, slice.Metadata.Name, exists: false);
                }
                catch (Exception e) when (ApiErrors.IsNotFound(e))
                {
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (ApiErrors.IsNamespaceTerminating(e))
            {
                return;
            }

            _recorder.Event(service, EventTypes.Warning, "FailedToUpdateEndpointSlices", $"Error updating Endpoint Slices for Service {key}: {ApiErrors.Message(e)}");
            throw;
        }
    }

    private string? ZoneOf(string nodeName) =>
        _nodes.Store.Get(nodeName)?.Metadata.Labels?.TryGetValue(ZoneLabel, out var zone) == true ? zone : null;

    /// <summary>
    /// The slices kube's reconciler aims at for <paramref name="service"/>: per address type, the
    /// selected pods' endpoints grouped by their resolved port set, in pod-name order, cut into slices of
    /// <paramref name="maxPerSlice"/>; a single empty placeholder when there are none.
    /// </summary>
    public static List<DesiredSlice> Desired(V1Service service, IEnumerable<V1Pod> pods, Func<string, string?> zoneOf, int maxPerSlice)
    {
        var publishNotReady = service.Spec.PublishNotReadyAddresses == true;
        var addressTypes = ServicePods.AddressTypes(service);
        var podList = pods.Where(p => ServicePods.ShouldBeInEndpoints(p, includeTerminating: true)).OrderBy(p => p.Metadata.Name, StringComparer.Ordinal).ToList();
        var result = new List<DesiredSlice>();
        foreach (var addressType in addressTypes)
        {
            var groups = new SortedDictionary<string, (List<Discoveryv1EndpointPort> Ports, List<V1Endpoint> Endpoints)>(StringComparer.Ordinal);
            foreach (var pod in podList)
            {
                if (ServicePods.PodIp(pod, addressType) is not { } ip)
                {
                    continue;
                }

                var ports = new List<Discoveryv1EndpointPort>();
                foreach (var servicePort in service.Spec.Ports ?? [])
                {
                    if (ServicePods.FindPort(pod, servicePort) is { } number)
                    {
                        ports.Add(new Discoveryv1EndpointPort { Name = servicePort.Name ?? "", Port = number, Protocol = servicePort.Protocol ?? "TCP", AppProtocol = servicePort.AppProtocol });
                    }
                }

                var serving = publishNotReady || Pods.IsReady(pod);
                var terminating = pod.Metadata.DeletionTimestamp is not null;
                var nodeName = string.IsNullOrEmpty(pod.Spec?.NodeName) ? null : pod.Spec.NodeName;
                var endpoint = new V1Endpoint
                {
                    Addresses = [ip],
                    Conditions = new V1EndpointConditions { Ready = publishNotReady || (serving && !terminating), Serving = serving, Terminating = terminating },
                    Hostname = ServicePods.Hostname(pod, service),
                    NodeName = nodeName,
                    Zone = nodeName is null ? null : zoneOf(nodeName),
                    TargetRef = new V1ObjectReference { Kind = "Pod", NamespaceProperty = pod.Metadata.NamespaceProperty, Name = pod.Metadata.Name, Uid = pod.Metadata.Uid },
                };
                var portsKey = DesiredSlice.PortsKey(ports);
                if (!groups.TryGetValue(portsKey, out var group))
                {
                    group = (ports, []);
                    groups[portsKey] = group;
                }

                group.Endpoints.Add(endpoint);
            }

            foreach (var (_, group) in groups)
            {
                foreach (var chunk in group.Endpoints.Chunk(Math.Max(1, maxPerSlice)))
                {
                    result.Add(new DesiredSlice(addressType, group.Ports, [.. chunk]));
                }
            }
        }

        if (result.Count == 0)
        {
            result.Add(new DesiredSlice(addressTypes[0], [], []));
        }

        return result;
    }

    private static bool SameContent(V1EndpointSlice slice, DesiredSlice want, Dictionary<string, string> labels) =>
        ObjectCopy.Canonical(slice.Endpoints ?? []) == ObjectCopy.Canonical(want.Endpoints)
        && ObjectCopy.Canonical(slice.Ports ?? []) == ObjectCopy.Canonical(want.Ports)
        && ObjectCopy.Canonical(slice.Metadata.Labels ?? new Dictionary<string, string>()) == ObjectCopy.Canonical(labels);

    /// <summary>The Service's labels (and the headless label) plus kubernetes.io/service-name and managed-by.</summary>
    public static Dictionary<string, string> SliceLabels(V1Service service)
    {
        var labels = ServicePods.Labels(service);
        labels[ServiceNameLabel] = service.Metadata.Name;
        labels[ManagedByLabel] = ManagedBy;
        return labels;
    }

    public static V1EndpointSlice NewSlice(V1Service service, DesiredSlice want, Dictionary<string, string> labels)
    {
        var prefix = service.Metadata.Name + "-";
        return new V1EndpointSlice
        {
            ApiVersion = "discovery.k8s.io/v1",
            Kind = "EndpointSlice",
            Metadata = new V1ObjectMeta
            {
                GenerateName = prefix.Length > 58 ? prefix[..58] : prefix,
                NamespaceProperty = service.Metadata.NamespaceProperty,
                Labels = labels,
                OwnerReferences = [OwnerReferences.NewControllerRef(service.Metadata, "v1", "Service")],
            },
            AddressType = want.AddressType,
            Endpoints = want.Endpoints,
            Ports = want.Ports.Count > 0 ? want.Ports : null,
        };
    }
}
