using System.Text;
using ClientTools.Cache;
using ClientTools.Events;
using ClientTools.Logging;
using ControllerManager.Common;
using ControllerManager.Infrastructure;
using k8s;
using k8s.Models;

namespace ControllerManager.Endpoints;

/// <summary>
/// kube's endpoints controller (pkg/controller/endpoint): for every Service with a selector, an
/// Endpoints object of the same name whose subsets list the selected pods' IPs — ready pods under
/// addresses, the others under notReadyAddresses (all ready with publishNotReadyAddresses) — with
/// each service port resolved per pod (named target ports through the pod's container ports),
/// repacked so pods with the same ports share a subset. The Endpoints of a deleted Service go too.
/// </summary>
internal sealed class EndpointsController : QueueController
{
    /// <summary>kube's maxCapacity: an Endpoints object holds at most this many addresses.</summary>
    public const int MaxCapacity = 1000;

    public const string OverCapacityAnnotation = "endpoints.kubernetes.io/over-capacity";

    private const string LeaderAnnotation = "control-plane.alpha.kubernetes.io/leader";

    private readonly SharedIndexInformer<V1Service> _services;
    private readonly SharedIndexInformer<V1Pod> _pods;
    private readonly SharedIndexInformer<V1Endpoints> _endpoints;
    private readonly IKubernetes _client;
    private readonly EventRecorder _recorder;

    public EndpointsController(ControllerContext context)
        : base(ControllerNames.Endpoints, context.Settings.ConcurrentEndpointSyncs, context.Time)
    {
        _client = context.ClientFor(ControllerNames.Endpoints);
        _recorder = context.RecorderFor("endpoint-controller", _client);
        _services = context.Informers.Services();
        _pods = context.Informers.Pods();
        _endpoints = context.Informers.Endpoints();
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
        // An Endpoints object deleted under a live Service is made again.
        _endpoints.AddEventHandler(new ResourceEventHandler<V1Endpoints> { OnDelete = e => Enqueue(ObjectKeys.KeyOf(e)) });
    }

    private void EnqueueServicesOf(V1Pod pod)
    {
        foreach (var key in ServicePods.ServicesSelecting(pod, _services.Store))
        {
            Enqueue(key);
        }
    }

    /// <summary>kube's checkLeftoverEndpoints: Endpoints whose Service went away while no controller ran are looked at once.</summary>
    protected override Task RunExtraAsync(CancellationToken cancellationToken)
    {
        foreach (var endpoints in _endpoints.Store.List())
        {
            if (endpoints.Metadata.Annotations?.ContainsKey(LeaderAnnotation) != true)
            {
                Enqueue(ObjectKeys.KeyOf(endpoints));
            }
        }

        return Task.CompletedTask;
    }

    public override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        var (ns, name) = ObjectKeys.Split(key);
        var service = _services.Store.Get(key);
        if (service is null)
        {
            if (_endpoints.Store.Get(key) is null)
            {
                return;
            }

            try
            {
                await _client.CoreV1.DeleteNamespacedEndpointsAsync(name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
                Klog.Info(2, $"Deleted Endpoints {key}: its Service is gone");
            }
            catch (Exception e) when (ApiErrors.IsNotFound(e))
            {
            }

            return;
        }

        if (!ServicePods.IsManaged(service))
        {
            return;
        }

        var (subsets, truncated) = Subsets(service, ServicePods.Selected(service, _pods.Store));
        var labels = ServicePods.Labels(service);
        var current = _endpoints.Store.Get(key);
        var overCapacity = current?.Metadata.Annotations?.TryGetValue(OverCapacityAnnotation, out var v) == true && v == "truncated";
        if (current is not null && Canonical(current.Subsets) == Canonical(subsets) && SameLabels(current.Metadata.Labels, labels) && overCapacity == truncated)
        {
            return;
        }

        try
        {
            if (current is null)
            {
                var created = new V1Endpoints
                {
                    ApiVersion = "v1",
                    Kind = "Endpoints",
                    Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = labels, Annotations = truncated ? new Dictionary<string, string> { [OverCapacityAnnotation] = "truncated" } : null },
                    Subsets = subsets,
                };
                await _client.CoreV1.CreateNamespacedEndpointsAsync(created, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var updated = ObjectCopy.Clone(current);
                updated.Subsets = subsets;
                updated.Metadata.Labels = labels;
                var annotations = new Dictionary<string, string>(updated.Metadata.Annotations ?? new Dictionary<string, string>());
                if (truncated)
                {
                    annotations[OverCapacityAnnotation] = "truncated";
                }
                else
                {
                    annotations.Remove(OverCapacityAnnotation);
                }

                updated.Metadata.Annotations = annotations.Count > 0 ? annotations : null;
                await _client.CoreV1.ReplaceNamespacedEndpointsAsync(updated, name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (ApiErrors.IsNamespaceTerminating(e))
            {
                return;
            }

            _recorder.Event(service, EventTypes.Warning, current is null ? "FailedToCreateEndpoint" : "FailedToUpdateEndpoint",
                $"Failed to {(current is null ? "create" : "update")} endpoint {key}: {ApiErrors.Message(e)}");
            throw;
        }
    }

    private sealed record Address(V1EndpointAddress Value, bool Ready)
    {
        public string Identity => Value.Ip + "|" + Value.TargetRef?.Uid;
    }

    /// <summary>
    /// The subsets kube's syncService computes for <paramref name="service"/> over the pods its selector
    /// picks, repacked (one subset per distinct port set) and sorted; true when more than
    /// <see cref="MaxCapacity"/> addresses had to be cut (ready ones are kept first).
    /// </summary>
    public static (List<V1EndpointSubset> Subsets, bool Truncated) Subsets(V1Service service, IEnumerable<V1Pod> pods)
    {
        var publishNotReady = service.Spec.PublishNotReadyAddresses == true;
        var addressType = ServicePods.AddressTypes(service)[0];
        var servicePorts = service.Spec.Ports ?? [];
        var portsOf = new Dictionary<string, (Address Address, SortedSet<string> Keys, List<Corev1EndpointPort> Ports)>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            if (!ServicePods.ShouldBeInEndpoints(pod, publishNotReady) || ServicePods.PodIp(pod, addressType) is not { } ip)
            {
                continue;
            }

            var address = new Address(new V1EndpointAddress
            {
                Ip = ip,
                NodeName = string.IsNullOrEmpty(pod.Spec?.NodeName) ? null : pod.Spec.NodeName,
                Hostname = ServicePods.Hostname(pod, service),
                TargetRef = new V1ObjectReference { Kind = "Pod", NamespaceProperty = pod.Metadata.NamespaceProperty, Name = pod.Metadata.Name, Uid = pod.Metadata.Uid },
            }, publishNotReady || Pods.IsReady(pod));
            var entry = (address, new SortedSet<string>(StringComparer.Ordinal), new List<Corev1EndpointPort>());
            if (servicePorts.Count == 0 && ServicePods.IsHeadless(service))
            {
                portsOf[address.Identity] = entry;
                continue;
            }

            foreach (var servicePort in servicePorts)
            {
                if (ServicePods.FindPort(pod, servicePort) is not { } number)
                {
                    Klog.Info(4, $"Failed to find port for service {ObjectKeys.KeyOf(service)}: no port {servicePort.TargetPort?.Value} in pod {Pods.Key(pod)}");
                    continue;
                }

                var port = new Corev1EndpointPort { Name = string.IsNullOrEmpty(servicePort.Name) ? null : servicePort.Name, Port = number, Protocol = servicePort.Protocol ?? "TCP", AppProtocol = servicePort.AppProtocol };
                entry.Item2.Add(PortKey(port));
                entry.Item3.Add(port);
            }

            if (entry.Item3.Count > 0)
            {
                portsOf[address.Identity] = entry;
            }
        }

        // Cut to MaxCapacity addresses, ready ones first (kube's truncateEndpoints keeps the proportion per
        // subset; keeping ready addresses is what clients notice).
        var kept = portsOf.Values.OrderBy(e => e.Address.Ready ? 0 : 1).ThenBy(e => e.Address.Value.Ip, StringComparer.Ordinal).ToList();
        var truncated = kept.Count > MaxCapacity;
        if (truncated)
        {
            kept = kept.Take(MaxCapacity).ToList();
        }

        var subsets = kept
            .GroupBy(e => string.Join(",", e.Keys), StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var ready = g.Where(e => e.Address.Ready).Select(e => e.Address.Value).OrderBy(a => a.Ip, StringComparer.Ordinal).ThenBy(a => a.TargetRef?.Uid, StringComparer.Ordinal).ToList();
                var notReady = g.Where(e => !e.Address.Ready).Select(e => e.Address.Value).OrderBy(a => a.Ip, StringComparer.Ordinal).ThenBy(a => a.TargetRef?.Uid, StringComparer.Ordinal).ToList();
                var ports = g.First().Ports.OrderBy(PortKey, StringComparer.Ordinal).ToList();
                return new V1EndpointSubset
                {
                    Addresses = ready.Count > 0 ? ready : null,
                    NotReadyAddresses = notReady.Count > 0 ? notReady : null,
                    Ports = ports.Count > 0 ? ports : null,
                };
            })
            .ToList();
        return (subsets, truncated);
    }

    private static string PortKey(Corev1EndpointPort p) => $"{p.Name}/{p.Port}/{p.Protocol}/{p.AppProtocol}";

    /// <summary>A canonical text of subsets, so a stored object and a computed one compare equal when kube would leave it alone.</summary>
    public static string Canonical(IList<V1EndpointSubset>? subsets)
    {
        var text = new StringBuilder();
        foreach (var subset in subsets ?? [])
        {
            text.Append('[');
            foreach (var (list, tag) in new[] { (subset.Addresses, "r"), (subset.NotReadyAddresses, "n") })
            {
                foreach (var a in list ?? [])
                {
                    text.Append(tag).Append(a.Ip).Append('|').Append(a.NodeName).Append('|').Append(a.Hostname).Append('|')
                        .Append(a.TargetRef?.Kind).Append('/').Append(a.TargetRef?.NamespaceProperty).Append('/').Append(a.TargetRef?.Name).Append('/').Append(a.TargetRef?.Uid).Append(';');
                }
            }

            foreach (var p in subset.Ports ?? [])
            {
                text.Append('p').Append(PortKey(p)).Append(';');
            }

            text.Append(']');
        }

        return text.ToString();
    }

    private static bool SameLabels(IDictionary<string, string>? current, Dictionary<string, string> wanted) =>
        (current?.Count ?? 0) == wanted.Count && wanted.All(kv => current!.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
