using ClientTools.Cache;
using k8s.Models;
using Scheduler.Framework;

namespace Scheduler.Cache;

/// <summary>
/// The scheduler's view of nodes and of the pods on them (internal/cache): bound pods from the
/// informer, and pods the scheduler has assumed onto a node while their binding is in flight, so the
/// next cycle already counts them. Each cycle copies what changed into its <see cref="Snapshot"/>.
/// An assumed pod's life is kube's: <see cref="AssumePod"/> in the scheduling cycle;
/// <see cref="FinishBinding"/> once the binding call returned; the informer's update of the bound pod
/// confirms it (<see cref="AddOrUpdatePod"/>, which also moves it if it landed elsewhere);
/// <see cref="ForgetPod"/> when the binding failed. An assumed pod whose binding finished but that the
/// informer never confirmed expires after the TTL (<see cref="CleanupExpiredAssumedPods"/>); kube-scheduler
/// runs with a TTL of 0, never expiring them (kubernetes#106361: expiring raced with slow binds and
/// double-booked nodes), and so does this one unless a TTL is given.
/// </summary>
public sealed class SchedulerCache(TimeSpan? assumedPodTtl = null, TimeProvider? time = null)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, NodeInfo> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PodState> _pods = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private long _structureGeneration;

    private sealed record PodState(PodInfo Info, string Node, bool Assumed)
    {
        public bool BindingFinished { get; set; }

        public DateTimeOffset? Deadline { get; set; }
    }

    /// <summary>How long an assumed pod whose binding finished may wait for the informer's confirmation; zero or less: forever.</summary>
    public TimeSpan AssumedPodTtl { get; } = assumedPodTtl ?? TimeSpan.Zero;

    /// <summary>Pods assumed and not yet confirmed, forgotten or expired.</summary>
    public int AssumedCount
    {
        get
        {
            lock (_lock)
            {
                return _pods.Values.Count(p => p.Assumed);
            }
        }
    }

    public int NodeCount
    {
        get
        {
            lock (_lock)
            {
                return _nodes.Values.Count(n => n.Node is not null);
            }
        }
    }

    public void AddOrUpdateNode(V1Node node)
    {
        lock (_lock)
        {
            var info = NodeInfoFor(node.Metadata.Name);
            if (info.Node is null)
            {
                _structureGeneration = NodeInfo.NextGeneration();
            }

            info.SetNode(node);
        }
    }

    public void RemoveNode(string name)
    {
        lock (_lock)
        {
            if (!_nodes.TryGetValue(name, out var info))
            {
                return;
            }

            if (info.Pods.Count == 0)
            {
                _nodes.Remove(name);
            }
            else
            {
                // Pods still name it; keep their accounting until they go.
                _nodes[name] = Rebuilt(name, info.Pods);
            }

            _structureGeneration = NodeInfo.NextGeneration();
        }
    }

    /// <summary>A bound pod seen by the informer (also the confirmation of an assumed one).</summary>
    public void AddOrUpdatePod(V1Pod pod)
    {
        var nodeName = pod.Spec?.NodeName;
        if (string.IsNullOrEmpty(nodeName))
        {
            return;
        }

        var info = new PodInfo(pod);
        lock (_lock)
        {
            if (_pods.TryGetValue(info.Key, out var existing))
            {
                NodeInfoFor(existing.Node).RemovePod(info.Key);
                Prune(existing.Node);
            }

            NodeInfoFor(nodeName).AddPod(info);
            _pods[info.Key] = new PodState(info, nodeName, Assumed: false);
        }
    }

    public void RemovePod(string key)
    {
        lock (_lock)
        {
            if (_pods.Remove(key, out var existing))
            {
                NodeInfoFor(existing.Node).RemovePod(key);
                Prune(existing.Node);
            }
        }
    }

    /// <summary>Counts the pod on the node before its binding is confirmed.</summary>
    public void AssumePod(PodInfo pod, string node)
    {
        lock (_lock)
        {
            if (_pods.TryGetValue(pod.Key, out var existing))
            {
                NodeInfoFor(existing.Node).RemovePod(pod.Key);
            }

            NodeInfoFor(node).AddPod(pod);
            _pods[pod.Key] = new PodState(pod, node, Assumed: true);
        }
    }

    /// <summary>The binding call returned: from now on the assumed pod may expire (if a TTL is set) unless the informer confirms it.</summary>
    public void FinishBinding(string key)
    {
        lock (_lock)
        {
            if (_pods.TryGetValue(key, out var state) && state.Assumed)
            {
                state.BindingFinished = true;
                state.Deadline = AssumedPodTtl > TimeSpan.Zero ? _time.GetUtcNow() + AssumedPodTtl : null;
            }
        }
    }

    /// <summary>
    /// Removes assumed pods whose binding finished longer than the TTL ago without the informer
    /// confirming them (kube's cleanupAssumedPods, run every second); returns their keys.
    /// </summary>
    public IReadOnlyList<string> CleanupExpiredAssumedPods()
    {
        if (AssumedPodTtl <= TimeSpan.Zero)
        {
            return [];
        }

        lock (_lock)
        {
            var now = _time.GetUtcNow();
            var expired = _pods.Where(p => p.Value is { Assumed: true, BindingFinished: true, Deadline: { } d } && now > d).Select(p => p.Key).ToList();
            foreach (var key in expired)
            {
                _pods.Remove(key, out var state);
                NodeInfoFor(state!.Node).RemovePod(key);
                Prune(state.Node);
            }

            return expired;
        }
    }

    /// <summary>The binding failed: the assumed pod no longer counts.</summary>
    public void ForgetPod(string key)
    {
        lock (_lock)
        {
            if (_pods.TryGetValue(key, out var existing) && existing.Assumed)
            {
                _pods.Remove(key);
                NodeInfoFor(existing.Node).RemovePod(key);
                Prune(existing.Node);
            }
        }
    }

    public bool IsAssumed(string key)
    {
        lock (_lock)
        {
            return _pods.TryGetValue(key, out var state) && state.Assumed;
        }
    }

    /// <summary>Brings <paramref name="snapshot"/> up to date, copying only the nodes that changed since its last update.</summary>
    public void UpdateSnapshot(Snapshot snapshot)
    {
        lock (_lock)
        {
            var rebuild = _structureGeneration > snapshot.Generation;
            foreach (var (name, info) in _nodes)
            {
                if (info.Generation > snapshot.Generation && !snapshot.TryReplace(info.Clone()))
                {
                    rebuild = true;
                }
            }

            if (_structureGeneration > snapshot.Generation)
            {
                foreach (var name in snapshot.NodeInfoMap.Keys.Where(n => !_nodes.ContainsKey(n)).ToList())
                {
                    snapshot.NodeInfoMap.Remove(name);
                }
            }

            if (rebuild)
            {
                snapshot.Rebuild();
            }

            snapshot.Generation = NodeInfo.NextGeneration();
        }
    }

    private NodeInfo NodeInfoFor(string name)
    {
        if (!_nodes.TryGetValue(name, out var info))
        {
            info = new NodeInfo(name);
            _nodes[name] = info;
        }

        return info;
    }

    /// <summary>A NodeInfo without a Node and without pods is forgotten.</summary>
    private void Prune(string name)
    {
        if (_nodes.TryGetValue(name, out var info) && info.Node is null && info.Pods.Count == 0)
        {
            _nodes.Remove(name);
            _structureGeneration = NodeInfo.NextGeneration();
        }
    }

    private static NodeInfo Rebuilt(string name, IEnumerable<PodInfo> pods)
    {
        var info = new NodeInfo(name);
        foreach (var pod in pods)
        {
            info.AddPod(pod);
        }

        return info;
    }

    internal static string KeyOf(V1Pod pod) => ObjectKeys.KeyOf(pod);
}
