using Scheduler.Framework;

namespace Scheduler.Queue;

/// <summary>A pod waiting to be scheduled, with its history in the queue (framework.QueuedPodInfo).</summary>
public sealed class QueuedPodInfo(PodInfo pod, DateTime timestamp)
{
    public PodInfo PodInfo { get; set; } = pod;

    /// <summary>When it was last added to the queue (after a failure: when it failed).</summary>
    public DateTime Timestamp { get; set; } = timestamp;

    public int Attempts { get; set; }

    public DateTime InitialAttemptTimestamp { get; set; } = timestamp;

    public string Key => PodInfo.Key;
}

/// <summary>
/// kube-scheduler's scheduling queue (internal/queue.PriorityQueue), in three parts:
/// <list type="bullet">
/// <item>activeQ: pods to try now, highest priority first, then the longest waiting (the PrioritySort plugin);</item>
/// <item>backoffQ: pods that failed and wait out their back-off (1 s doubling per attempt up to 10 s);</item>
/// <item>unschedulable pods: those no node could take; they go back to activeQ or backoffQ when the
/// cluster changes in a way that might help (a node added or changed, a pod deleted...), and in any case
/// after --pod-max-in-unschedulable-pods-duration (5 min).</item>
/// </list>
/// A pod that failed while such a change happened during its cycle goes to backoffQ rather than
/// waiting for another change. The queue also keeps the nominator: pods nominated to a node by
/// preemption, which other pods' filters account for.
/// </summary>
public sealed class SchedulingQueue
{
    private readonly Lock _lock = new();
    private readonly SortedSet<Entry> _active = new(EntryComparer.Instance);
    private readonly Dictionary<string, Entry> _activeByKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, QueuedPodInfo> _backoff = new(StringComparer.Ordinal);
    private readonly Dictionary<string, QueuedPodInfo> _unschedulable = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inFlight = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (PodInfo Pod, string Node)> _nominated = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _sequence;
    private long _schedulingCycle;
    private long _moveRequestCycle = -1;
    private bool _closed;

    public SchedulingQueue(TimeProvider? time = null, TimeSpan? initialBackoff = null, TimeSpan? maxBackoff = null, TimeSpan? maxInUnschedulable = null)
    {
        _time = time ?? TimeProvider.System;
        InitialBackoff = initialBackoff ?? TimeSpan.FromSeconds(1);
        MaxBackoff = maxBackoff ?? TimeSpan.FromSeconds(10);
        MaxInUnschedulable = maxInUnschedulable ?? TimeSpan.FromMinutes(5);
    }

    public TimeSpan InitialBackoff { get; }

    public TimeSpan MaxBackoff { get; }

    public TimeSpan MaxInUnschedulable { get; }

    private readonly record struct Entry(int Priority, DateTime Timestamp, long Sequence, string Key);

    private sealed class EntryComparer : IComparer<Entry>
    {
        public static readonly EntryComparer Instance = new();

        public int Compare(Entry x, Entry y)
        {
            var c = y.Priority.CompareTo(x.Priority);
            if (c != 0)
            {
                return c;
            }

            c = x.Timestamp.CompareTo(y.Timestamp);
            return c != 0 ? c : x.Sequence.CompareTo(y.Sequence);
        }
    }

    private readonly Dictionary<string, QueuedPodInfo> _activeInfo = new(StringComparer.Ordinal);

    /// <summary>(activeQ, backoffQ, unschedulable) sizes, for logs and tests.</summary>
    public (int Active, int Backoff, int Unschedulable) Counts
    {
        get
        {
            lock (_lock)
            {
                return (_active.Count, _backoff.Count, _unschedulable.Count);
            }
        }
    }

    public long SchedulingCycle
    {
        get
        {
            lock (_lock)
            {
                return _schedulingCycle;
            }
        }
    }

    /// <summary>A new pending pod.</summary>
    public void Add(PodInfo pod)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow().UtcDateTime;
            var queued = RemoveEverywhere(pod.Key) ?? new QueuedPodInfo(pod, now);
            queued.PodInfo = pod;
            queued.Timestamp = now;
            PushActive(queued);
            UpdateNomination(pod);
        }
    }

    /// <summary>
    /// A pending pod changed. In activeQ or backoffQ it is updated in place; an unschedulable pod whose
    /// spec or metadata changed (not just its status) is tried again.
    /// </summary>
    public void Update(PodInfo old, PodInfo pod)
    {
        lock (_lock)
        {
            UpdateNomination(pod);
            if (_activeInfo.TryGetValue(pod.Key, out var active))
            {
                active.PodInfo = pod;
                return;
            }

            if (_backoff.TryGetValue(pod.Key, out var backingOff))
            {
                backingOff.PodInfo = pod;
                return;
            }

            if (_unschedulable.TryGetValue(pod.Key, out var unschedulable))
            {
                unschedulable.PodInfo = pod;
                if (SignificantlyChanged(old, pod))
                {
                    _unschedulable.Remove(pod.Key);
                    if (IsBackingOff(unschedulable))
                    {
                        _backoff[pod.Key] = unschedulable;
                    }
                    else
                    {
                        PushActive(unschedulable);
                    }
                }

                return;
            }

            if (!_inFlight.Contains(pod.Key))
            {
                PushActive(new QueuedPodInfo(pod, _time.GetUtcNow().UtcDateTime));
            }
        }
    }

    public void Delete(string key)
    {
        lock (_lock)
        {
            RemoveEverywhere(key);
            _nominated.Remove(key);
        }
    }

    /// <summary>The next pod to schedule, waiting for one; null once the queue is closed.</summary>
    public async Task<QueuedPodInfo?> PopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_closed)
                {
                    return null;
                }

                if (_active.Count > 0)
                {
                    var first = _active.Min;
                    _active.Remove(first);
                    _activeByKey.Remove(first.Key);
                    _activeInfo.Remove(first.Key, out var queued);
                    queued!.Attempts++;
                    _schedulingCycle++;
                    _inFlight.Add(first.Key);
                    return queued;
                }

                wait = _wake.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The cycle for this pod is over (scheduled or requeued).</summary>
    public void Done(string key)
    {
        lock (_lock)
        {
            _inFlight.Remove(key);
        }
    }

    /// <summary>
    /// A pod failed: back to backoffQ if it failed with an error or if the cluster changed during its
    /// cycle (<paramref name="podSchedulingCycle"/>), else among the unschedulable pods.
    /// </summary>
    public void AddUnschedulable(QueuedPodInfo queued, long podSchedulingCycle, bool error)
    {
        lock (_lock)
        {
            _inFlight.Remove(queued.Key);
            if (_closed || _activeByKey.ContainsKey(queued.Key) || _backoff.ContainsKey(queued.Key) || _unschedulable.ContainsKey(queued.Key))
            {
                return;
            }

            queued.Timestamp = _time.GetUtcNow().UtcDateTime;
            if (error || _moveRequestCycle >= podSchedulingCycle)
            {
                _backoff[queued.Key] = queued;
            }
            else
            {
                _unschedulable[queued.Key] = queued;
            }
        }
    }

    /// <summary>Something changed that may let unschedulable pods fit: they are all tried again (after their back-off).</summary>
    public void MoveAllToActiveOrBackoff(string reason)
    {
        lock (_lock)
        {
            foreach (var queued in _unschedulable.Values)
            {
                if (IsBackingOff(queued))
                {
                    _backoff[queued.Key] = queued;
                }
                else
                {
                    PushActive(queued);
                }
            }

            _unschedulable.Clear();
            _moveRequestCycle = _schedulingCycle;
        }
    }

    /// <summary>Moves pods whose back-off is over to activeQ, and pods unschedulable for too long back too (called every second).</summary>
    public void Flush()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow().UtcDateTime;
            foreach (var queued in _backoff.Values.Where(q => !IsBackingOff(q, now)).ToList())
            {
                _backoff.Remove(queued.Key);
                PushActive(queued);
            }

            foreach (var queued in _unschedulable.Values.Where(q => now - q.Timestamp > MaxInUnschedulable).ToList())
            {
                _unschedulable.Remove(queued.Key);
                if (IsBackingOff(queued, now))
                {
                    _backoff[queued.Key] = queued;
                }
                else
                {
                    PushActive(queued);
                }
            }
        }
    }

    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            Signal();
        }
    }

    /// <summary>Records (or clears, with null) the node a pod is nominated to.</summary>
    public void Nominate(PodInfo pod, string? node)
    {
        lock (_lock)
        {
            if (string.IsNullOrEmpty(node))
            {
                _nominated.Remove(pod.Key);
            }
            else
            {
                _nominated[pod.Key] = (pod, node);
            }
        }
    }

    public IReadOnlyList<PodInfo> NominatedPodsForNode(string node)
    {
        lock (_lock)
        {
            return _nominated.Count == 0 ? [] : [.. _nominated.Values.Where(n => n.Node == node).Select(n => n.Pod)];
        }
    }

    /// <summary>When the pod's back-off ends: initial × 2^(attempts − 1), at most the maximum, from its last failure.</summary>
    public DateTime BackoffExpiry(QueuedPodInfo queued)
    {
        var duration = InitialBackoff;
        for (var i = 1; i < queued.Attempts && duration < MaxBackoff; i++)
        {
            duration *= 2;
        }

        return queued.Timestamp + (duration > MaxBackoff ? MaxBackoff : duration);
    }

    private bool IsBackingOff(QueuedPodInfo queued) => IsBackingOff(queued, _time.GetUtcNow().UtcDateTime);

    private bool IsBackingOff(QueuedPodInfo queued, DateTime now) => queued.Attempts > 0 && BackoffExpiry(queued) > now;

    private void UpdateNomination(PodInfo pod)
    {
        if (pod.Pod.Status?.NominatedNodeName is { Length: > 0 } node)
        {
            _nominated[pod.Key] = (pod, node);
        }
    }

    private void PushActive(QueuedPodInfo queued)
    {
        if (_activeByKey.Remove(queued.Key, out var existing))
        {
            _active.Remove(existing);
        }

        var entry = new Entry(queued.PodInfo.Priority, queued.Timestamp, _sequence++, queued.Key);
        _active.Add(entry);
        _activeByKey[queued.Key] = entry;
        _activeInfo[queued.Key] = queued;
        Signal();
    }

    private QueuedPodInfo? RemoveEverywhere(string key)
    {
        QueuedPodInfo? found = null;
        if (_activeByKey.Remove(key, out var entry))
        {
            _active.Remove(entry);
            _activeInfo.Remove(key, out found);
        }

        if (_backoff.Remove(key, out var b))
        {
            found = b;
        }

        if (_unschedulable.Remove(key, out var u))
        {
            found = u;
        }

        return found;
    }

    private void Signal()
    {
        var wake = _wake;
        _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        wake.TrySetResult();
    }

    /// <summary>kube's isPodUpdated: anything but status, resourceVersion, generation and managedFields.</summary>
    private static bool SignificantlyChanged(PodInfo old, PodInfo pod)
    {
        static string Essence(k8s.Models.V1Pod p) =>
            k8s.KubernetesJson.Serialize(new k8s.Models.V1Pod
            {
                Metadata = new k8s.Models.V1ObjectMeta { Labels = p.Metadata?.Labels, Annotations = p.Metadata?.Annotations },
                Spec = p.Spec,
            });

        return Essence(old.Pod) != Essence(pod.Pod);
    }
}
