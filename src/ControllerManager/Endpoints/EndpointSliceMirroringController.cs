using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ClientTools.Cache;
using ClientTools.Events;
using ClientTools.Logging;
using ControllerManager.Common;
using ControllerManager.Infrastructure;
using k8s;
using k8s.Models;

namespace ControllerManager.Endpoints;

/// <summary>
/// kube's EndpointSlice mirroring controller (pkg/controller/endpointslicemirroring): the Endpoints of a
/// Service without a selector (written by hand or by another controller) are mirrored into
/// EndpointSlices labelled kubernetes.io/service-name and managed-by endpointslicemirroring-controller.k8s.io,
/// owned by the Endpoints, carrying its other labels and annotations. The subsets are repacked as kube
/// does; each (address family, port set) becomes one slice of at most --mirroring-max-endpoints-per-subset
/// endpoints (ready addresses first), the rest skipped with a TooManyAddressesToMirror event; an address
/// that is not an IP is skipped with InvalidIPAddress. Endpoints labelled endpointslice.kubernetes.io/skip-mirror
/// "true", or holding a leader-election record, are not mirrored; their slices, and those of a Service
/// that gains a selector or goes away, are deleted.
/// </summary>
internal sealed class EndpointSliceMirroringController : QueueController
{
    public const string ManagedBy = "endpointslicemirroring-controller.k8s.io";
    public const string SkipMirrorLabel = "endpointslice.kubernetes.io/skip-mirror";
    private const string LeaderAnnotation = "control-plane.alpha.kubernetes.io/leader";
    private const string LastChangeTriggerTime = "endpoints.kubernetes.io/last-change-trigger-time";
    private const string LastAppliedConfig = "kubectl.kubernetes.io/last-applied-configuration";

    private readonly SharedIndexInformer<V1Endpoints> _endpoints;
    private readonly SharedIndexInformer<V1Service> _services;
    private readonly SharedIndexInformer<V1EndpointSlice> _slices;
    private readonly IKubernetes _client;
    private readonly EventRecorder _recorder;
    private readonly int _maxPerSubset;
    private readonly SliceTracker _tracker;

    public EndpointSliceMirroringController(ControllerContext context)
        : base(ControllerNames.EndpointSliceMirroring, context.Settings.MirroringConcurrentServiceEndpointSyncs, context.Time)
    {
        _client = context.ClientFor(ControllerNames.EndpointSliceMirroring);
        _recorder = context.RecorderFor("endpoint-slice-mirroring-controller", _client);
        _maxPerSubset = context.Settings.MirroringMaxEndpointsPerSubset;
        _endpoints = context.Informers.Endpoints();
        _services = context.Informers.Services();
        _slices = context.Informers.EndpointSlices();
        _tracker = new SliceTracker((ns, name) => _slices.Store.Get(ns, name) is not null, context.Time);
        _endpoints.AddEventHandler(new ResourceEventHandler<V1Endpoints>
        {
            OnAdd = (e, _) => EnqueueIf(ShouldMirror(e), e.Metadata),
            OnUpdate = (old, e) => EnqueueIf(ShouldMirror(old) || ShouldMirror(e), e.Metadata),
            OnDelete = e => EnqueueIf(ShouldMirror(e), e.Metadata),
        });
        _services.AddEventHandler(new ResourceEventHandler<V1Service>
        {
            OnAdd = (s, _) => EnqueueIf(!HasSelector(s), s.Metadata),
            OnUpdate = (old, s) => EnqueueIf(HasSelector(old) != HasSelector(s), s.Metadata),
            OnDelete = s => EnqueueIf(!HasSelector(s), s.Metadata),
        });
        _slices.AddEventHandler(new ResourceEventHandler<V1EndpointSlice>
        {
            OnAdd = (s, _) => SliceChanged(s, added: true),
            OnUpdate = (old, s) =>
            {
                SliceChanged(s, added: true);
                if (IsMirrored(old) && (!IsMirrored(s) || ServiceName(old) != ServiceName(s)))
                {
                    SliceChanged(old, added: true);
                }
            },
            OnDelete = s => SliceChanged(s, added: false),
        });
    }

    private void EnqueueIf(bool condition, V1ObjectMeta meta)
    {
        if (condition)
        {
            Enqueue(ObjectKeys.KeyOf(meta.NamespaceProperty, meta.Name));
        }
    }

    /// <summary>kube's shouldMirror: not labelled skip-mirror "true", no leader-election record.</summary>
    public static bool ShouldMirror(V1Endpoints endpoints) =>
        !(endpoints.Metadata.Labels?.TryGetValue(SkipMirrorLabel, out var skip) == true && skip == "true")
        && endpoints.Metadata.Annotations?.ContainsKey(LeaderAnnotation) != true;

    private static bool HasSelector(V1Service service) => service.Spec?.Selector is not null;

    private static bool IsMirrored(V1EndpointSlice slice) =>
        slice.Metadata.Labels?.TryGetValue(EndpointSliceController.ManagedByLabel, out var by) == true && by == ManagedBy;

    private static string? ServiceName(V1EndpointSlice slice) =>
        slice.Metadata.Labels?.TryGetValue(EndpointSliceController.ServiceNameLabel, out var name) == true ? name : null;

    private void SliceChanged(V1EndpointSlice slice, bool added)
    {
        if (!IsMirrored(slice) || ServiceName(slice) is not { Length: > 0 } service)
        {
            return;
        }

        var key = ObjectKeys.KeyOf(slice.Metadata.NamespaceProperty, service);
        _tracker.Observed(key, slice.Metadata.Name, added);
        Enqueue(key);
    }

    private List<V1EndpointSlice> MirroredSlices(string ns, string name) =>
        [.. _slices.Store.ByIndex(Indexers.Namespace, ns).Where(s => IsMirrored(s) && ServiceName(s) == name)];

    public override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        var (ns, name) = ObjectKeys.Split(key);
        var endpoints = _endpoints.Store.Get(key);
        var service = _services.Store.Get(key);
        var existing = MirroredSlices(ns, name);
        if (endpoints is null || !ShouldMirror(endpoints) || service is null || HasSelector(service))
        {
            await DeleteAsync(key, ns, existing, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!_tracker.CaughtUp(key))
        {
            // As the EndpointSlice controller: the cache has not shown this controller's last writes yet.
            throw new InvalidOperationException($"the EndpointSlice cache is behind this controller's writes for Endpoints {key}");
        }

        var (desired, invalid, skipped) = Desired(endpoints, _maxPerSubset);
        if (invalid > 0)
        {
            _recorder.Event(endpoints, EventTypes.Warning, "InvalidIPAddress",
                string.Create(CultureInfo.InvariantCulture, $"Skipped {invalid} invalid IP addresses when mirroring to EndpointSlices"));
        }

        if (skipped > invalid)
        {
            _recorder.Event(endpoints, EventTypes.Warning, "TooManyAddressesToMirror",
                string.Create(CultureInfo.InvariantCulture, $"A max of {_maxPerSubset} addresses can be mirrored to EndpointSlices per Endpoints subset. {skipped} addresses were skipped"));
        }

        var labels = SliceLabels(endpoints);
        var annotations = SliceAnnotations(endpoints);
        var creates = new List<V1EndpointSlice>();
        var updates = new List<V1EndpointSlice>();
        var deletes = new List<V1EndpointSlice>();
        var byGroup = existing.GroupBy(DesiredSlice.GroupKeyOf).ToDictionary(g => g.Key, g => g.OrderBy(s => s.Metadata.Name, StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
        foreach (var want in desired)
        {
            var current = byGroup.Remove(want.GroupKey, out var slices) ? slices : [];
            if (current.Count == 0)
            {
                creates.Add(NewSlice(endpoints, want, labels, annotations));
                continue;
            }

            deletes.AddRange(current.Skip(1));
            var first = current[0];
            if (!SameContent(first, want, labels, annotations))
            {
                var updated = NewSlice(endpoints, want, labels, annotations);
                updated.Metadata.GenerateName = null;
                updated.Metadata.Name = first.Metadata.Name;
                updated.Metadata.ResourceVersion = first.Metadata.ResourceVersion;
                updates.Add(updated);
            }
        }

        deletes.AddRange(byGroup.Values.SelectMany(s => s));
        Recycle(creates, updates, deletes);
        if (creates.Count + updates.Count + deletes.Count == 0)
        {
            return;
        }

        Klog.Info(4, $"Mirroring Endpoints {key}: {creates.Count} EndpointSlices to create, {updates.Count} to update, {deletes.Count} to delete");
        try
        {
            if (endpoints.Metadata.DeletionTimestamp is null)
            {
                foreach (var slice in creates)
                {
                    var created = await _client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(slice, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
                    _tracker.Wrote(key, ns, created.Metadata.Name, exists: true);
                }
            }

            foreach (var slice in updates)
            {
                await _client.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(slice, slice.Metadata.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException && ApiErrors.IsNamespaceTerminating(e))
        {
            return;
        }

        await DeleteAsync(key, ns, deletes, cancellationToken).ConfigureAwait(false);
    }

    private async Task DeleteAsync(string key, string ns, List<V1EndpointSlice> slices, CancellationToken cancellationToken)
    {
        foreach (var slice in slices)
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

    /// <summary>kube's recycleSlices: a slice to create and one to delete of the same address type become one update.</summary>
    private static void Recycle(List<V1EndpointSlice> creates, List<V1EndpointSlice> updates, List<V1EndpointSlice> deletes)
    {
        foreach (var create in creates.ToList())
        {
            if (deletes.FirstOrDefault(d => d.AddressType == create.AddressType) is not { } reuse)
            {
                continue;
            }

            deletes.Remove(reuse);
            creates.Remove(create);
            create.Metadata.GenerateName = null;
            create.Metadata.Name = reuse.Metadata.Name;
            create.Metadata.ResourceVersion = reuse.Metadata.ResourceVersion;
            updates.Add(create);
        }
    }

    /// <summary>
    /// The slices kube's reconciler aims at: per repacked subset and address family, its ready then not-ready
    /// addresses, at most <paramref name="maxPerSubset"/> of them; also how many addresses were not IPs and
    /// how many were skipped in all (invalid ones included), as kube counts them.
    /// </summary>
    public static (List<DesiredSlice> Slices, int Invalid, int Skipped) Desired(V1Endpoints endpoints, int maxPerSubset)
    {
        var groups = new Dictionary<string, DesiredSlice>(StringComparer.Ordinal);
        int invalid = 0, skipped = 0;
        foreach (var subset in Repack(endpoints.Subsets))
        {
            var ports = (subset.Ports ?? []).Select(p => new Discoveryv1EndpointPort { Name = p.Name ?? "", Port = p.Port, Protocol = p.Protocol ?? "TCP", AppProtocol = p.AppProtocol }).ToList();
            var addresses = (subset.Addresses ?? []).Select(a => (Address: a, Ready: true))
                .Concat((subset.NotReadyAddresses ?? []).Select(a => (Address: a, Ready: false))).ToList();
            var added = 0;
            foreach (var (address, ready) in addresses)
            {
                if (added >= maxPerSubset)
                {
                    break;
                }

                if (!IPAddress.TryParse(address.Ip, out var ip) || address.Ip.Contains('%', StringComparison.Ordinal))
                {
                    invalid++;
                    continue;
                }

                var addressType = ip.AddressFamily == AddressFamily.InterNetworkV6 && !ip.IsIPv4MappedToIPv6 ? "IPv6" : "IPv4";
                var text = ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4().ToString() : ip.ToString();
                var group = new DesiredSlice(addressType, ports, []);
                if (!groups.TryGetValue(group.GroupKey, out var existing))
                {
                    groups[group.GroupKey] = existing = group;
                }

                existing.Endpoints.Add(new V1Endpoint
                {
                    Addresses = [text],
                    Conditions = new V1EndpointConditions { Ready = ready },
                    Hostname = string.IsNullOrEmpty(address.Hostname) ? null : address.Hostname,
                    NodeName = string.IsNullOrEmpty(address.NodeName) ? null : address.NodeName,
                    TargetRef = address.TargetRef,
                });
                added++;
            }

            skipped += addresses.Count - added;
        }

        return ([.. groups.Values.OrderBy(g => g.GroupKey, StringComparer.Ordinal)], invalid, skipped);
    }

    /// <summary>
    /// kube's RepackSubsets: addresses (by IP and target UID) grouped by the exact set of ports they
    /// offer, an address not ready on any of its ports listed as not ready, in a stable order.
    /// </summary>
    public static List<V1EndpointSubset> Repack(IList<V1EndpointSubset>? subsets)
    {
        var addresses = new Dictionary<string, V1EndpointAddress>(StringComparer.Ordinal);
        var portsOf = new Dictionary<string, Dictionary<string, (Corev1EndpointPort Port, bool Ready)>>(StringComparer.Ordinal);
        foreach (var subset in subsets ?? [])
        {
            foreach (var port in subset.Ports ?? [])
            {
                var portKey = $"{port.Name}/{port.Port}/{port.Protocol}/{port.AppProtocol}";
                foreach (var (address, ready) in (subset.Addresses ?? []).Select(a => (a, true)).Concat((subset.NotReadyAddresses ?? []).Select(a => (a, false))))
                {
                    var addressKey = address.Ip + "|" + address.TargetRef?.Uid;
                    addresses.TryAdd(addressKey, address);
                    if (!portsOf.TryGetValue(addressKey, out var ports))
                    {
                        portsOf[addressKey] = ports = new Dictionary<string, (Corev1EndpointPort, bool)>(StringComparer.Ordinal);
                    }

                    // Not ready on any port wins, as kube's mapAddressByPort.
                    ports[portKey] = ports.TryGetValue(portKey, out var seen) ? (port, seen.Ready && ready) : (port, ready);
                }
            }
        }

        var result = new List<V1EndpointSubset>();
        foreach (var group in portsOf.GroupBy(p => string.Join(",", p.Value.Keys.Order(StringComparer.Ordinal)), StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var members = group.OrderBy(m => addresses[m.Key].Ip, StringComparer.Ordinal).ThenBy(m => addresses[m.Key].TargetRef?.Uid, StringComparer.Ordinal).ToList();
            var ready = members.Where(m => m.Value.Values.All(p => p.Ready)).Select(m => addresses[m.Key]).ToList();
            var notReady = members.Where(m => !m.Value.Values.All(p => p.Ready)).Select(m => addresses[m.Key]).ToList();
            result.Add(new V1EndpointSubset
            {
                Addresses = ready.Count > 0 ? ready : null,
                NotReadyAddresses = notReady.Count > 0 ? notReady : null,
                Ports = [.. members[0].Value.Values.Select(p => p.Port).OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Port)],
            });
        }

        return result;
    }

    /// <summary>The Endpoints' labels, then kubernetes.io/service-name and managed-by.</summary>
    public static Dictionary<string, string> SliceLabels(V1Endpoints endpoints)
    {
        var labels = new Dictionary<string, string>(endpoints.Metadata.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [EndpointSliceController.ServiceNameLabel] = endpoints.Metadata.Name,
            [EndpointSliceController.ManagedByLabel] = ManagedBy,
        };
        return labels;
    }

    /// <summary>The Endpoints' annotations but its last-change trigger time and kubectl's last-applied configuration.</summary>
    public static Dictionary<string, string> SliceAnnotations(V1Endpoints endpoints) =>
        (endpoints.Metadata.Annotations ?? new Dictionary<string, string>())
            .Where(a => a.Key is not LastChangeTriggerTime and not LastAppliedConfig)
            .ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);

    private static bool SameContent(V1EndpointSlice slice, DesiredSlice want, Dictionary<string, string> labels, Dictionary<string, string> annotations) =>
        EndpointsKey(slice.Endpoints) == EndpointsKey(want.Endpoints)
        && ObjectCopy.Canonical(slice.Metadata.Labels ?? new Dictionary<string, string>()) == ObjectCopy.Canonical(labels)
        && ObjectCopy.Canonical(slice.Metadata.Annotations ?? new Dictionary<string, string>()) == ObjectCopy.Canonical(annotations);

    /// <summary>The endpoints as a set (kube compares them by hash, whatever their order).</summary>
    private static string EndpointsKey(IEnumerable<V1Endpoint>? endpoints) =>
        string.Join("\n", (endpoints ?? []).Select(ObjectCopy.Canonical).Order(StringComparer.Ordinal));

    public static V1EndpointSlice NewSlice(V1Endpoints endpoints, DesiredSlice want, Dictionary<string, string> labels, Dictionary<string, string> annotations)
    {
        var prefix = endpoints.Metadata.Name + "-";
        return new V1EndpointSlice
        {
            ApiVersion = "discovery.k8s.io/v1",
            Kind = "EndpointSlice",
            Metadata = new V1ObjectMeta
            {
                GenerateName = prefix.Length > 58 ? endpoints.Metadata.Name[..Math.Min(endpoints.Metadata.Name.Length, 58)] : prefix,
                NamespaceProperty = endpoints.Metadata.NamespaceProperty,
                Labels = new Dictionary<string, string>(labels),
                Annotations = annotations.Count > 0 ? new Dictionary<string, string>(annotations) : null,
                OwnerReferences = [OwnerReferences.NewControllerRef(endpoints.Metadata, "v1", "Endpoints")],
            },
            AddressType = want.AddressType,
            Endpoints = want.Endpoints,
            Ports = want.Ports,
        };
    }
}
