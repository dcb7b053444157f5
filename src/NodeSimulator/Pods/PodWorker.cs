using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using ClientTools.Cache;
using ClientTools.Logging;
using ClientTools.WorkQueue;
using k8s;
using k8s.Autorest;
using k8s.Models;
using NodeSimulator.Nodes;

namespace NodeSimulator.Pods;

/// <summary>
/// Takes every pod bound to a simulated node through <see cref="PodLifecycle"/>: one work queue for all
/// nodes (keys "namespace/name"), so a pod is handled by one worker at a time; each step's status is
/// written with a merge patch of pods/status under the node's identity (as the kubelet's status manager
/// patches it), the kubelet's events recorded, and the pod looked at again when its next transition is due.
/// </summary>
public sealed class PodWorker
{
    private readonly LifecycleSettings _settings;
    private readonly bool _recordEvents;
    private readonly RateLimitingQueue<string> _queue = new("pods");
    private readonly ConcurrentDictionary<string, SimulatedNode> _nodeOf = new(StringComparer.Ordinal);
    // The last pod this worker wrote, newer than the informer's copy until the watch catches up.
    private readonly ConcurrentDictionary<string, V1Pod> _written = new(StringComparer.Ordinal);

    public PodWorker(LifecycleSettings settings, bool recordEvents)
    {
        _settings = settings;
        _recordEvents = recordEvents;
    }

    /// <summary>Status writes made, for logs and the benchmark.</summary>
    public long StatusWrites => Interlocked.Read(ref _statusWrites);

    private long _statusWrites;

    /// <summary>Wires a node's pod informer to the queue.</summary>
    public void Attach(SimulatedNode node)
    {
        node.Pods.AddEventHandler(new ResourceEventHandler<V1Pod>
        {
            OnAdd = (pod, initial) =>
            {
                if (initial && pod.Status?.PodIP is { Length: > 0 } ip && pod.Spec?.HostNetwork != true)
                {
                    node.PodIps.Claim(ip);
                }

                Enqueue(node, pod);
            },
            OnUpdate = (_, pod) => Enqueue(node, pod),
            OnDelete = pod =>
            {
                var key = ObjectKeys.KeyOf(pod);
                if (pod.Status?.PodIP is { Length: > 0 } ip && pod.Spec?.HostNetwork != true)
                {
                    node.PodIps.Release(ip);
                }

                _written.TryRemove(key, out _);
                _nodeOf.TryRemove(key, out _);
            },
        });
    }

    /// <summary>Looks at every pod of <paramref name="node"/> again (its heartbeats resumed).</summary>
    public void Resync(SimulatedNode node)
    {
        foreach (var pod in node.Pods.Store.List())
        {
            Enqueue(node, pod);
        }
    }

    public Task RunAsync(int workers, CancellationToken cancellationToken) =>
        _queue.RunWorkersAsync(workers, SyncAsync, cancellationToken);

    private void Enqueue(SimulatedNode node, V1Pod pod)
    {
        var key = ObjectKeys.KeyOf(pod);
        _nodeOf[key] = node;
        _queue.Add(key);
    }

    private async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        if (!_nodeOf.TryGetValue(key, out var node) || node.Stopped)
        {
            return;
        }

        // A few transitions may be due at once (a restarted simulator, a zero --pod-start-delay).
        for (var round = 0; round < 8; round++)
        {
            var pod = Newest(node.Pods.Store.Get(key), _written.GetValueOrDefault(key));
            if (pod is null)
            {
                return;
            }

            string? allocated = null;
            var now = DateTime.UtcNow;
            var step = PodLifecycle.Next(pod, now, _settings, node.HostIp, () => allocated = node.PodIps.Allocate());
            try
            {
                if (step.NewStatus is { } status)
                {
                    var body = KubernetesJson.Serialize(new V1Pod { Status = status });
                    var patched = await node.Client.CoreV1.PatchNamespacedPodStatusAsync(
                        new V1Patch(body, V1Patch.PatchType.MergePatch), pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
                    Interlocked.Increment(ref _statusWrites);
                    _written[key] = patched;
                }
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                Release(node, allocated);
                return;
            }
            catch
            {
                Release(node, allocated);
                throw;
            }

            if (_recordEvents)
            {
                foreach (var ev in step.Events)
                {
                    node.Events.Event(pod, ev.Type, ev.Reason, ev.Message, fieldPath: ev.FieldPath);
                }
            }

            foreach (var image in step.StartedImages)
            {
                node.AddImage(image);
            }

            if (step.Delete)
            {
                await DeleteAsync(node, pod, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (step.WakeAt is not { } wake)
            {
                return;
            }

            var delay = wake - DateTime.UtcNow;
            if (delay > TimeSpan.Zero || step.NewStatus is null)
            {
                _queue.AddAfter(key, delay > TimeSpan.Zero ? delay + TimeSpan.FromMilliseconds(50) : TimeSpan.FromMilliseconds(200));
                return;
            }
        }
    }

    /// <summary>The kubelet ends a graceful deletion: delete with grace period 0, only this pod (its UID).</summary>
    private static async Task DeleteAsync(SimulatedNode node, V1Pod pod, CancellationToken cancellationToken)
    {
        try
        {
            await node.Client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty,
                new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = pod.Metadata.Uid } },
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            // Already gone, or a new pod with the same name.
        }
    }

    private static void Release(SimulatedNode node, string? ip)
    {
        if (ip is not null)
        {
            node.PodIps.Release(ip);
        }
    }

    private static V1Pod? Newest(V1Pod? cached, V1Pod? written)
    {
        if (cached is null)
        {
            return null; // deleted, or not (yet) bound here
        }

        if (written is null || cached.Metadata.Uid != written.Metadata.Uid)
        {
            return cached;
        }

        return Version(written) > Version(cached) ? written : cached;
    }

    private static long Version(V1Pod pod) =>
        long.TryParse(pod.Metadata?.ResourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
}
