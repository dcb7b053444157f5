using ClientTools.Cache;
using ClientTools.Events;
using ClientTools.Logging;
using ControllerManager.Common;
using ControllerManager.Infrastructure;
using k8s;
using k8s.Models;

namespace ControllerManager.NodeLifecycle;

/// <summary>
/// kube's node lifecycle controller: every --node-monitor-period it looks at each node's heartbeats
/// (its Lease in kube-node-lease and its Ready condition's lastHeartbeatTime). A node not heard from
/// for --node-monitor-grace-period (--node-startup-grace-period before it was ever Ready) has its
/// conditions set to Unknown ("Kubelet stopped posting node status.") and its pods' Ready condition
/// set to False. Nodes get the NoSchedule and NoExecute taints node.kubernetes.io/unreachable
/// (Ready Unknown) or not-ready (Ready False), removed when the node is Ready again; the
/// taint-eviction controller evicts pods by their tolerations of the NoExecute ones.
/// </summary>
internal sealed class NodeLifecycleController : QueueController
{
    private static readonly string[] ConditionTypes = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

    private readonly SharedIndexInformer<V1Node> _nodes;
    private readonly SharedIndexInformer<V1Lease> _leases;
    private readonly SharedIndexInformer<V1Pod> _pods;
    private readonly IKubernetes _client;
    private readonly EventRecorder _recorder;
    private readonly TimeProvider _time;
    private readonly ControllerManagerSettings _settings;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Health> _health = new(StringComparer.Ordinal);

    public NodeLifecycleController(ControllerContext context)
        : base(ControllerNames.NodeLifecycle, 1, context.Time)
    {
        _client = context.ClientFor(ControllerNames.NodeLifecycle);
        _recorder = context.RecorderFor("node-controller", _client);
        _time = context.Time;
        _settings = context.Settings;
        _nodes = context.Informers.Nodes();
        _leases = context.Informers.Leases("kube-node-lease");
        _pods = context.Informers.Pods();
        _nodes.AddEventHandler(new ResourceEventHandler<V1Node>
        {
            OnAdd = (n, _) => Enqueue(n.Metadata.Name),
            OnUpdate = (_, n) => Enqueue(n.Metadata.Name),
            OnDelete = n =>
            {
                lock (_lock)
                {
                    _health.Remove(n.Metadata.Name);
                }
            },
        });
    }

    private DateTime Now => _time.GetUtcNow().UtcDateTime;

    protected override async Task RunExtraAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_settings.NodeMonitorPeriod, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var node in _nodes.Store.List())
                {
                    Enqueue(node.Metadata.Name);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One node: its health (monitorNodeHealth), then its taints (doNoScheduleTaintingPass and the NoExecute pass).</summary>
    public override async Task SyncAsync(string name, CancellationToken cancellationToken)
    {
        var node = _nodes.Store.Get(name);
        if (node is null)
        {
            return;
        }

        var observedReady = ReadyOf(node);
        var updated = await UpdateHealthAsync(node, cancellationToken).ConfigureAwait(false);
        var ready = ReadyOf(updated);
        if (observedReady?.Status == "True" && ready?.Status != "True")
        {
            _recorder.Event(updated, EventTypes.Normal, "NodeNotReady", $"Node {name} status is now: NodeNotReady");
            await MarkPodsNotReadyAsync(name, cancellationToken).ConfigureAwait(false);
        }

        await UpdateTaintsAsync(updated, ready?.Status, cancellationToken).ConfigureAwait(false);
    }

    private static V1NodeCondition? ReadyOf(V1Node node) => node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");

    /// <summary>kube's tryUpdateNodeHealth: the probe time moves when the node or its lease shows a new heartbeat.</summary>
    private async Task<V1Node> UpdateHealthAsync(V1Node node, CancellationToken cancellationToken)
    {
        var name = node.Metadata.Name;
        var ready = ReadyOf(node);
        var lease = _leases.Store.Get("kube-node-lease", name);
        var now = Now;
        DateTime probe;
        lock (_lock)
        {
            if (!_health.TryGetValue(name, out var health))
            {
                health = new Health(ready?.LastHeartbeatTime, lease?.Spec?.RenewTime, ready is null ? node.Metadata.CreationTimestamp ?? now : now);
                _health[name] = health;
            }

            if (ready?.LastHeartbeatTime is { } heartbeat && heartbeat != health.Heartbeat)
            {
                health.Heartbeat = heartbeat;
                health.ProbeTime = now;
            }

            if (lease?.Spec?.RenewTime is { } renew && (health.LeaseRenew is null || renew > health.LeaseRenew))
            {
                health.LeaseRenew = renew;
                health.ProbeTime = now;
            }

            probe = health.ProbeTime;
        }

        var grace = ready is null ? _settings.NodeStartupGracePeriod : _settings.NodeMonitorGracePeriod;
        if (now <= probe + grace)
        {
            return node;
        }

        var copy = ObjectCopy.Clone(node);
        copy.Status ??= new V1NodeStatus();
        copy.Status.Conditions ??= [];
        var changed = false;
        foreach (var type in ConditionTypes)
        {
            var condition = copy.Status.Conditions.FirstOrDefault(c => c.Type == type);
            if (condition is null)
            {
                copy.Status.Conditions.Add(new V1NodeCondition
                {
                    Type = type, Status = "Unknown", Reason = "NodeStatusNeverUpdated", Message = "Kubelet never posted node status.",
                    LastHeartbeatTime = node.Metadata.CreationTimestamp, LastTransitionTime = now,
                });
                changed = true;
            }
            else if (condition.Status != "Unknown")
            {
                condition.Status = "Unknown";
                condition.Reason = "NodeStatusUnknown";
                condition.Message = "Kubelet stopped posting node status.";
                condition.LastTransitionTime = now;
                changed = true;
            }
        }

        if (!changed)
        {
            return node;
        }

        Klog.Info($"node {name} hasn't been updated for {now - probe:g}; marking its conditions Unknown");
        try
        {
            return await _client.CoreV1.ReplaceNodeStatusAsync(copy, name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsConflict(e))
        {
            // The kubelet wrote meanwhile: its heartbeat is next round's news.
            return node;
        }
    }

    /// <summary>Sets the Ready condition of the node's pods to False (MarkPodsNotReady).</summary>
    private async Task MarkPodsNotReadyAsync(string nodeName, CancellationToken cancellationToken)
    {
        foreach (var pod in _pods.Store.ByIndex(Indexers.PodNodeName, nodeName))
        {
            if (pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready") is not { Status: not "False" })
            {
                continue;
            }

            var copy = ObjectCopy.Clone(pod);
            var ready = copy.Status.Conditions.First(c => c.Type == "Ready");
            ready.Status = "False";
            ready.LastTransitionTime = Now;
            try
            {
                await _client.CoreV1.ReplaceNamespacedPodStatusAsync(copy, pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (ApiErrors.IsConflict(e) || ApiErrors.IsNotFound(e))
            {
            }
        }
    }

    /// <summary>The NoSchedule and NoExecute taints for the node's Ready state, and unschedulable (TaintNodesByCondition).</summary>
    private async Task UpdateTaintsAsync(V1Node node, string? readyStatus, CancellationToken cancellationToken)
    {
        var wanted = new List<(string Key, string Effect)>();
        if (readyStatus == "False")
        {
            wanted.Add((Taints.NotReady, Taints.NoSchedule));
            wanted.Add((Taints.NotReady, Taints.NoExecute));
        }
        else if (readyStatus == "Unknown")
        {
            wanted.Add((Taints.Unreachable, Taints.NoSchedule));
            wanted.Add((Taints.Unreachable, Taints.NoExecute));
        }

        if (node.Spec?.Unschedulable == true)
        {
            wanted.Add((Taints.Unschedulable, Taints.NoSchedule));
        }

        var managed = new HashSet<string>(StringComparer.Ordinal) { Taints.NotReady, Taints.Unreachable, Taints.Unschedulable };
        var current = node.Spec?.Taints ?? [];
        var keep = current.Where(t => !managed.Contains(t.Key) || wanted.Contains((t.Key, t.Effect))).ToList();
        var add = wanted.Where(w => !current.Any(t => t.Key == w.Key && t.Effect == w.Effect)).ToList();
        if (add.Count == 0 && keep.Count == current.Count)
        {
            return;
        }

        var copy = ObjectCopy.Clone(node);
        copy.Spec ??= new V1NodeSpec();
        copy.Spec.Taints = [.. keep, .. add.Select(a => new V1Taint { Key = a.Key, Effect = a.Effect, TimeAdded = a.Effect == Taints.NoExecute ? Now : null })];
        Klog.Info(2, $"node {node.Metadata.Name}: taints now {string.Join(", ", copy.Spec.Taints.Select(t => $"{t.Key}:{t.Effect}"))}");
        try
        {
            await _client.CoreV1.ReplaceNodeAsync(copy, node.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsConflict(e))
        {
            Enqueue(node.Metadata.Name);
        }
    }

    private sealed class Health(DateTime? heartbeat, DateTime? leaseRenew, DateTime probeTime)
    {
        public DateTime? Heartbeat { get; set; } = heartbeat;

        public DateTime? LeaseRenew { get; set; } = leaseRenew;

        public DateTime ProbeTime { get; set; } = probeTime;
    }
}
