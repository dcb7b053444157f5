using ClientTools.Cache;
using ClientTools.Logging;
using ControllerManager.Common;
using ControllerManager.Infrastructure;
using k8s;
using k8s.Models;

namespace ControllerManager.Job;

/// <summary>
/// kube's TTL-after-finished controller (pkg/controller/ttlafterfinished): a finished Job with
/// spec.ttlSecondsAfterFinished is deleted (in the foreground, its pods first, as kube) that many seconds
/// after it finished. Before deleting it re-reads the Job, so a TTL changed meanwhile counts.
/// </summary>
internal sealed class TtlAfterFinishedController : QueueController
{
    private readonly SharedIndexInformer<V1Job> _jobs;
    private readonly IKubernetes _client;
    private readonly TimeProvider _time;

    public TtlAfterFinishedController(ControllerContext context)
        : base(ControllerNames.TtlAfterFinished, context.Settings.ConcurrentTtlSyncs, context.Time)
    {
        _client = context.ClientFor(ControllerNames.TtlAfterFinished);
        _time = context.Time;
        _jobs = context.Informers.Jobs();
        _jobs.AddEventHandler(new ResourceEventHandler<V1Job>
        {
            OnAdd = (j, _) => EnqueueIfNeeded(j),
            OnUpdate = (_, j) => EnqueueIfNeeded(j),
        });
    }

    private void EnqueueIfNeeded(V1Job job)
    {
        if (job.Metadata.DeletionTimestamp is null && job.Spec.TtlSecondsAfterFinished is not null && JobPlanner.IsFinished(job))
        {
            Enqueue(ObjectKeys.KeyOf(job));
        }
    }

    /// <summary>When the Job finished: its Complete or Failed condition's transition (kube's jobFinishTime).</summary>
    public static DateTime? FinishedAt(V1Job job) =>
        job.Status?.Conditions?.FirstOrDefault(c => c.Type is "Complete" or "Failed" && c.Status == "True")?.LastTransitionTime;

    /// <summary>How long until the Job expires (zero or less: now), or null when it never does.</summary>
    public static TimeSpan? TimeLeft(V1Job job, DateTime now)
    {
        if (job.Spec.TtlSecondsAfterFinished is not { } ttl || !JobPlanner.IsFinished(job) || FinishedAt(job) is not { } finished)
        {
            return null;
        }

        return finished.AddSeconds(ttl) - now;
    }

    public override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        var cached = _jobs.Store.Get(key);
        if (cached is null || cached.Metadata.DeletionTimestamp is not null || TimeLeft(cached, _time.GetUtcNow().UtcDateTime) is not { } left)
        {
            return;
        }

        if (left > TimeSpan.Zero)
        {
            Queue.AddAfter(key, left);
            return;
        }

        var (ns, name) = ObjectKeys.Split(key);
        var fresh = await Fresh.ReadAsync(() => _client.BatchV1.ReadNamespacedJobAsync(name, ns, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (fresh is null || fresh.Metadata.DeletionTimestamp is not null || TimeLeft(fresh, _time.GetUtcNow().UtcDateTime) is not { } freshLeft)
        {
            return;
        }

        if (freshLeft > TimeSpan.Zero)
        {
            Queue.AddAfter(key, freshLeft);
            return;
        }

        Klog.Info(2, $"Cleaning up Job {key}: {fresh.Spec.TtlSecondsAfterFinished}s after it finished");
        try
        {
            await _client.BatchV1.DeleteNamespacedJobAsync(name, ns, new V1DeleteOptions
            {
                PropagationPolicy = "Foreground",
                Preconditions = new V1Preconditions { Uid = fresh.Metadata.Uid },
            }, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
        }
    }
}
