using System.Collections.Concurrent;
using ClientTools.Cache;
using ClientTools.Events;
using ClientTools.Logging;
using ControllerManager.Common;
using ControllerManager.Infrastructure;
using k8s;
using k8s.Models;

namespace ControllerManager.Job;

/// <summary>
/// kube's Job controller (pkg/controller/job): runs a Job's pods to completion — parallelism at a time
/// up to completions (or, without completions, until one succeeds), Indexed jobs one pod per
/// completion index — recreating failed pods after a backoff until backoffLimit, stopping at
/// activeDeadlineSeconds, pausing while suspended, and writing status (active, ready, terminating,
/// succeeded, failed, completedIndexes, failedIndexes, startTime, completionTime) and kube's conditions
/// and events; podFailurePolicy (FailJob, Ignore, Count, FailIndex on exit codes and pod conditions),
/// successPolicy and backoffLimitPerIndex/maxFailedIndexes as kube 1.35 has them (<see cref="JobPolicies"/>).
/// The decisions are <see cref="JobPlanner"/>'s; this class reads the caches and makes the calls.
/// Unlike kube it puts no job-tracking finalizer on pods: the counts never go down, but a pod removed
/// before the controller saw it finish is not counted.
/// </summary>
internal sealed class JobController : QueueController
{
    private readonly SharedIndexInformer<V1Job> _jobs;
    private readonly SharedIndexInformer<V1Pod> _pods;
    private readonly IKubernetes _client;
    private readonly EventRecorder _recorder;
    private readonly PodControl _podControl;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, (int Failed, DateTime At)> _failures = new(StringComparer.Ordinal);

    public JobController(ControllerContext context)
        : base(ControllerNames.Job, context.Settings.ConcurrentJobSyncs, context.Time)
    {
        _client = context.ClientFor(ControllerNames.Job);
        _recorder = context.RecorderFor("job-controller", _client);
        _podControl = new PodControl(_client, _recorder);
        _time = context.Time;
        Expectations = new ControllerExpectations(context.Time);
        _jobs = context.Informers.Jobs();
        _pods = context.Informers.Pods();
        _jobs.AddEventHandler(new ResourceEventHandler<V1Job>
        {
            OnAdd = (j, _) => Enqueue(ObjectKeys.KeyOf(j)),
            OnUpdate = (_, j) => Enqueue(ObjectKeys.KeyOf(j)),
            OnDelete = j =>
            {
                Expectations.Delete(ObjectKeys.KeyOf(j));
                _failures.TryRemove(ObjectKeys.KeyOf(j), out _);
            },
        });
        _pods.AddEventHandler(new ResourceEventHandler<V1Pod>
        {
            OnAdd = (p, _) => PodChanged(p, created: true),
            OnUpdate = (_, p) => PodChanged(p, created: false),
            OnDelete = PodDeleted,
        });
    }

    public ControllerExpectations Expectations { get; }

    private V1Job? Owner(V1Pod pod)
    {
        var controllerRef = OwnerReferences.ControllerOf(pod.Metadata);
        if (controllerRef is null || controllerRef.Kind != "Job" || !controllerRef.ApiVersion.StartsWith("batch/", StringComparison.Ordinal))
        {
            return null;
        }

        var job = _jobs.Store.Get(pod.Metadata.NamespaceProperty, controllerRef.Name);
        return job?.Metadata.Uid == controllerRef.Uid ? job : null;
    }

    private void PodChanged(V1Pod pod, bool created)
    {
        if (Owner(pod) is not { } job)
        {
            return;
        }

        var key = ObjectKeys.KeyOf(job);
        if (created)
        {
            Expectations.CreationObserved(key);
        }

        if (pod.Metadata.DeletionTimestamp is not null)
        {
            Expectations.DeletionObserved(key, Pods.Key(pod));
        }

        Enqueue(key);
    }

    private void PodDeleted(V1Pod pod)
    {
        if (Owner(pod) is not { } job)
        {
            return;
        }

        var key = ObjectKeys.KeyOf(job);
        Expectations.DeletionObserved(key, Pods.Key(pod));
        Enqueue(key);
    }

    public override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        var job = _jobs.Store.Get(key);
        if (job is null)
        {
            Expectations.Delete(key);
            return;
        }

        if (job.Metadata.DeletionTimestamp is not null && JobPlanner.IsFinished(job))
        {
            return;
        }

        var ns = job.Metadata.NamespaceProperty;
        var manager = new ControllerRefManager<V1Pod>(job.Metadata, "batch/v1", "Job",
            labels => LabelSelectors.Matches(job.Spec.Selector, labels),
            async ct => (await Fresh.ReadAsync(() => _client.BatchV1.ReadNamespacedJobAsync(job.Metadata.Name, ns, cancellationToken: ct)).ConfigureAwait(false))?.Metadata,
            (pod, patch, ct) => _client.CoreV1.PatchNamespacedPodAsync(patch, pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: ct));
        var pods = await manager.ClaimAsync(_pods.Store.ByIndex(Indexers.Namespace, ns), cancellationToken).ConfigureAwait(false);

        var now = _time.GetUtcNow().UtcDateTime;
        var failedNow = pods.Count(p => p.Status?.Phase == "Failed");
        var seen = _failures.AddOrUpdate(key, _ => (failedNow, failedNow > 0 ? now : DateTime.MinValue),
            (_, previous) => failedNow > previous.Failed ? (failedNow, now) : previous);
        var plan = JobPlanner.Plan(job, pods, now, seen.Failed > 0 ? seen.At : null);

        Exception? manageError = null;
        if (Expectations.Satisfied(key))
        {
            try
            {
                await ManageAsync(job, key, plan, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                manageError = e;
            }
        }

        if (ObjectCopy.Canonical(plan.Status) != ObjectCopy.Canonical(job.Status ?? new V1JobStatus()) || plan.Events.Count > 0)
        {
            var updated = ObjectCopy.Clone(job);
            updated.Status = plan.Status;
            try
            {
                await _client.BatchV1.ReplaceNamespacedJobStatusAsync(updated, job.Metadata.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
                foreach (var (type, reason, message) in plan.Events)
                {
                    _recorder.Event(job, type, reason, message);
                }
            }
            catch (Exception e) when (ApiErrors.IsConflict(e) || ApiErrors.IsNotFound(e))
            {
                Klog.Info(4, $"status of Job {key} not written: {ApiErrors.Message(e)}");
            }
        }

        if (manageError is not null)
        {
            throw manageError;
        }

        if (plan.RequeueAfter is { } after)
        {
            Queue.AddAfter(key, after + TimeSpan.FromMilliseconds(100));
        }
    }

    private async Task ManageAsync(V1Job job, string key, JobPlan plan, CancellationToken cancellationToken)
    {
        if (plan.Delete.Count > 0)
        {
            Expectations.ExpectDeletions(key, plan.Delete.Select(Pods.Key));
            var errors = await Task.WhenAll(plan.Delete.Select(async pod =>
            {
                try
                {
                    await _podControl.DeleteAsync(job, pod, cancellationToken).ConfigureAwait(false);
                    return null;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Expectations.DeletionObserved(key, Pods.Key(pod));
                    return ApiErrors.IsNotFound(e) ? null : e;
                }
            })).ConfigureAwait(false);
            if (errors.FirstOrDefault(e => e is not null) is { } failed)
            {
                throw failed;
            }
        }

        var count = Math.Min(ReplicaSet.ReplicaSetController.BurstReplicas, plan.CreateIndexes.Count > 0 ? plan.CreateIndexes.Count : plan.CreateCount);
        if (count == 0)
        {
            return;
        }

        Expectations.ExpectCreations(key, count);
        var indexes = new ConcurrentQueue<int>(plan.CreateIndexes.Take(count));
        var controllerRef = OwnerReferences.NewControllerRef(job.Metadata, "batch/v1", "Job");
        var (successes, error) = await SlowStart.BatchAsync(count, 1, async () =>
        {
            V1Pod pod;
            if (indexes.TryDequeue(out var index))
            {
                pod = PodControl.FromTemplate(job.Spec.Template, job.Metadata, controllerRef, PodControl.GenerateNamePrefix($"{job.Metadata.Name}-{index}"));
                AddCompletionIndex(pod, job.Metadata.Name, index);
                if (job.Spec.BackoffLimitPerIndex is not null)
                {
                    // kube's replacement pods carry their index's failures so far.
                    pod.Metadata.Annotations[JobPolicies.IndexFailureCountAnnotation] = plan.IndexFailures.GetValueOrDefault(index).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
            }
            else
            {
                pod = PodControl.FromTemplate(job.Spec.Template, job.Metadata, controllerRef);
            }

            try
            {
                await _podControl.CreateAsync(job, pod, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (ApiErrors.IsNamespaceTerminating(e))
            {
                Expectations.CreationObserved(key);
            }
        }).ConfigureAwait(false);
        for (var skipped = count - successes; skipped > 0; skipped--)
        {
            Expectations.CreationObserved(key);
        }

        if (error is not null)
        {
            throw error;
        }
    }

    /// <summary>
    /// What kube gives an Indexed job's pod: the completion index as annotation and label, the hostname
    /// "job-index", and JOB_COMPLETION_INDEX in every container from the annotation (downward API).
    /// </summary>
    public static void AddCompletionIndex(V1Pod pod, string jobName, int index)
    {
        var text = index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        pod.Metadata.Annotations ??= new Dictionary<string, string>();
        pod.Metadata.Annotations[JobPlanner.CompletionIndexAnnotation] = text;
        pod.Metadata.Labels ??= new Dictionary<string, string>();
        pod.Metadata.Labels[JobPlanner.CompletionIndexAnnotation] = text;
        if (string.IsNullOrEmpty(pod.Spec.Hostname))
        {
            pod.Spec.Hostname = $"{jobName}-{text}";
        }

        foreach (var container in (pod.Spec.InitContainers ?? []).Concat(pod.Spec.Containers ?? []))
        {
            container.Env ??= [];
            if (container.Env.All(e => e.Name != "JOB_COMPLETION_INDEX"))
            {
                container.Env.Add(new V1EnvVar
                {
                    Name = "JOB_COMPLETION_INDEX",
                    ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = $"metadata.annotations['{JobPlanner.CompletionIndexAnnotation}']" } },
                });
            }
        }
    }
}
