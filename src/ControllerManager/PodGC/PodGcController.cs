using ClientTools.Cache;
using ClientTools.Logging;
using ControllerManager.Common;
using ControllerManager.Infrastructure;
using k8s;
using k8s.Models;

namespace ControllerManager.PodGC;

/// <summary>
/// kube's pod garbage collector: every 20 s it force-deletes pods bound to nodes that no longer exist
/// (after asking the server, not just the cache), terminating pods that were never scheduled, and the
/// oldest terminated (Succeeded/Failed) pods beyond --terminated-pod-gc-threshold.
/// </summary>
internal sealed class PodGcController : IController
{
    private readonly SharedIndexInformer<V1Pod> _pods;
    private readonly SharedIndexInformer<V1Node> _nodes;
    private readonly IKubernetes _client;
    private readonly TimeProvider _time;
    private readonly ControllerManagerSettings _settings;

    public PodGcController(ControllerContext context)
    {
        _client = context.ClientFor(ControllerNames.PodGarbageCollector);
        _time = context.Time;
        _settings = context.Settings;
        _pods = context.Informers.Pods();
        _nodes = context.Informers.Nodes();
    }

    public string Name => ControllerNames.PodGarbageCollector;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Klog.Info("Starting GC controller");
        using var timer = new PeriodicTimer(_settings.PodGcPeriod, _time);
        try
        {
            do
            {
                try
                {
                    await GcAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Klog.Warning($"pod GC failed: {ApiErrors.Message(e)}");
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async Task GcAsync(CancellationToken cancellationToken)
    {
        var pods = _pods.Store.List();
        if (_settings.TerminatedPodGcThreshold > 0)
        {
            var terminated = pods.Where(Pods.IsTerminal).Where(p => p.Metadata.DeletionTimestamp is null).ToList();
            var excess = terminated.Count - _settings.TerminatedPodGcThreshold;
            foreach (var pod in terminated.OrderBy(p => p.Metadata.CreationTimestamp).Take(Math.Max(0, excess)))
            {
                await ForceDeleteAsync(pod, "terminated pods over the threshold", cancellationToken).ConfigureAwait(false);
            }
        }

        var missing = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            var nodeName = pod.Spec?.NodeName;
            if (string.IsNullOrEmpty(nodeName))
            {
                if (pod.Metadata.DeletionTimestamp is not null)
                {
                    await ForceDeleteAsync(pod, "terminating and never scheduled", cancellationToken).ConfigureAwait(false);
                }

                continue;
            }

            if (_nodes.Store.Get(nodeName) is not null)
            {
                continue;
            }

            if (!missing.TryGetValue(nodeName, out var gone))
            {
                gone = await Fresh.ReadAsync(() => _client.CoreV1.ReadNodeAsync(nodeName, cancellationToken: cancellationToken)).ConfigureAwait(false) is null;
                missing[nodeName] = gone;
            }

            if (gone)
            {
                await ForceDeleteAsync(pod, $"its node {nodeName} is gone", cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ForceDeleteAsync(V1Pod pod, string why, CancellationToken cancellationToken)
    {
        Klog.Info($"PodGC is force deleting Pod {ObjectKeys.KeyOf(pod)}: {why}");
        try
        {
            await _client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, gracePeriodSeconds: 0, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
        }
    }
}
