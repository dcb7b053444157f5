using ClientTools.Cache;
using ClientTools.Events;
using ClientTools.Logging;
using ControllerManager.Common;
using ControllerManager.Infrastructure;
using k8s;
using k8s.Models;

namespace ControllerManager.NodeLifecycle;

/// <summary>
/// kube's taint-eviction controller (the NoExecute taint manager): a pod on a node with NoExecute
/// taints it does not tolerate is deleted at once; one that tolerates them for a while
/// (tolerationSeconds — the DefaultTolerationSeconds admission plugin gives every pod 300 s for
/// not-ready and unreachable, the seeds' "5 minutes") is deleted when that time has passed since
/// the controller saw the taint, unless the taints are gone by then.
/// </summary>
internal sealed class TaintEvictionController : QueueController
{
    private readonly SharedIndexInformer<V1Node> _nodes;
    private readonly SharedIndexInformer<V1Pod> _pods;
    private readonly IKubernetes _client;
    private readonly EventRecorder _recorder;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, DateTime> _scheduled = new(StringComparer.Ordinal);

    public TaintEvictionController(ControllerContext context)
        : base(ControllerNames.TaintEviction, 8, context.Time)
    {
        _client = context.ClientFor(ControllerNames.TaintEviction);
        _recorder = context.RecorderFor("taint-eviction-controller", _client);
        _time = context.Time;
        _nodes = context.Informers.Nodes();
        _pods = context.Informers.Pods();
        _nodes.AddEventHandler(new ResourceEventHandler<V1Node> { OnAdd = (n, _) => NodeChanged(n), OnUpdate = (_, n) => NodeChanged(n) });
        _pods.AddEventHandler(new ResourceEventHandler<V1Pod> { OnAdd = (p, _) => PodChanged(p), OnUpdate = (_, p) => PodChanged(p) });
    }

    private void NodeChanged(V1Node node)
    {
        foreach (var pod in _pods.Store.ByIndex(Indexers.PodNodeName, node.Metadata.Name))
        {
            Enqueue(ObjectKeys.KeyOf(pod));
        }
    }

    private void PodChanged(V1Pod pod)
    {
        if (!string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            Enqueue(ObjectKeys.KeyOf(pod));
        }
    }

    public override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        var pod = _pods.Store.Get(key);
        var node = pod?.Spec?.NodeName is { Length: > 0 } nodeName ? _nodes.Store.Get(nodeName) : null;
        var taints = node?.Spec?.Taints?.Where(t => t.Effect == Taints.NoExecute).ToList() ?? [];
        if (pod is null || pod.Metadata.DeletionTimestamp is not null || taints.Count == 0)
        {
            Cancel(key, pod);
            return;
        }

        var allowed = Taints.TolerationTime(taints, pod.Spec.Tolerations);
        if (allowed == TimeSpan.MaxValue)
        {
            Cancel(key, pod);
            return;
        }

        var now = _time.GetUtcNow().UtcDateTime;
        DateTime due;
        lock (_lock)
        {
            if (!_scheduled.TryGetValue(key, out due))
            {
                due = now + (allowed ?? TimeSpan.Zero);
                _scheduled[key] = due;
            }
        }

        if (due > now)
        {
            Queue.AddAfter(key, due - now);
            return;
        }

        Klog.Info($"taint-eviction-controller: deleting pod {key} from node {node!.Metadata.Name}");
        _recorder.Event(pod, EventTypes.Normal, "TaintManagerEviction", $"Marking for deletion Pod {key}");
        try
        {
            await _client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
        }

        lock (_lock)
        {
            _scheduled.Remove(key);
        }
    }

    private void Cancel(string key, V1Pod? pod)
    {
        bool was;
        lock (_lock)
        {
            was = _scheduled.Remove(key);
        }

        if (was && pod is not null && pod.Metadata.DeletionTimestamp is null)
        {
            _recorder.Event(pod, EventTypes.Normal, "TaintManagerEviction", $"Cancelling deletion of Pod {key}");
        }
    }
}
