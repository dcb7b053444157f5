using System.Globalization;
using ControllerManager.Common;
using k8s.Models;

namespace ControllerManager.Job;

/// <summary>What one sync of a Job decides: the status to write, the pods to make (by count, or by completion index), the pods to delete, the events to record, when to look again.</summary>
internal sealed record JobPlan(
    V1JobStatus Status,
    int CreateCount,
    IReadOnlyList<int> CreateIndexes,
    IReadOnlyList<V1Pod> Delete,
    IReadOnlyList<(string Type, string Reason, string Message)> Events,
    TimeSpan? RequeueAfter)
{
    /// <summary>With backoffLimitPerIndex: the failures each index had so far (a replacement pod carries its index's count).</summary>
    public IReadOnlyDictionary<int, int> IndexFailures { get; init; } = new Dictionary<int, int>();
}

/// <summary>
/// kube's Job controller decisions (pkg/controller/job syncJob/manageJob) as a pure function of the Job,
/// its pods and the clock: how many pods should be active (parallelism, completions, work-queue jobs,
/// suspension), when it has succeeded (SuccessCriteriaMet, then Complete once no pod runs) or failed
/// (FailureTarget with BackoffLimitExceeded or DeadlineExceeded, then Failed once its pods are gone),
/// the pod-failure backoff (10 s doubling to 6 minutes), and Indexed jobs' completion indexes.
/// </summary>
internal static class JobPlanner
{
    public const string CompletionIndexAnnotation = "batch.kubernetes.io/job-completion-index";
    public static readonly TimeSpan BackoffBase = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan BackoffMax = TimeSpan.FromMinutes(6);

    public static bool IsFinished(V1Job job) =>
        job.Status?.Conditions?.Any(c => c.Type is "Complete" or "Failed" && c.Status == "True") == true;

    public static bool IsIndexed(V1Job job) => job.Spec.CompletionMode == "Indexed";

    /// <summary>
    /// kube's onlyReplaceFailedPods: podReplacementPolicy Failed (the server's default when a
    /// podFailurePolicy is set) waits for a terminating pod to finish before replacing it;
    /// TerminatingOrFailed replaces it as soon as it is terminating.
    /// </summary>
    public static bool OnlyReplaceFailedPods(V1Job job) => job.Spec.PodReplacementPolicy == "Failed" || job.Spec.PodFailurePolicy is not null;

    /// <summary>The completion index of a pod of an Indexed job, from its annotation (or label).</summary>
    public static int? IndexOf(V1Pod pod)
    {
        var text = pod.Metadata.Annotations?.TryGetValue(CompletionIndexAnnotation, out var a) == true ? a
            : pod.Metadata.Labels?.TryGetValue(CompletionIndexAnnotation, out var l) == true ? l : null;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : null;
    }

    /// <summary>The delay before a Job makes pods again after <paramref name="failures"/> pod failures.</summary>
    public static TimeSpan Backoff(int failures)
    {
        if (failures <= 0)
        {
            return TimeSpan.Zero;
        }

        var delay = BackoffBase * Math.Pow(2, Math.Min(failures - 1, 16));
        return delay > BackoffMax ? BackoffMax : delay;
    }

    /// <param name="job">The Job as cached.</param>
    /// <param name="pods">The pods it controls.</param>
    /// <param name="now">The clock.</param>
    /// <param name="lastFailureAt">When the controller saw the latest pod failure (for the backoff), if any.</param>
    public static JobPlan Plan(V1Job job, IReadOnlyList<V1Pod> pods, DateTime now, DateTime? lastFailureAt)
    {
        var old = job.Status ?? new V1JobStatus();
        var conditions = (old.Conditions ?? []).Select(c => new V1JobCondition
        {
            Type = c.Type, Status = c.Status, Reason = c.Reason, Message = c.Message, LastProbeTime = c.LastProbeTime, LastTransitionTime = c.LastTransitionTime,
        }).ToList();
        var events = new List<(string, string, string)>();
        var active = pods.Where(p => !Pods.IsTerminal(p) && p.Metadata.DeletionTimestamp is null).ToList();
        var terminating = pods.Count(p => !Pods.IsTerminal(p) && p.Metadata.DeletionTimestamp is not null);
        var succeededPods = pods.Where(p => p.Status?.Phase == "Succeeded").ToList();
        // The podFailurePolicy decides per failed pod: Ignore does not count, FailJob fails the Job,
        // FailIndex fails the pod's index; Count and no match count as usual.
        var failures = pods.Where(p => p.Status?.Phase == "Failed")
            .Select(p => (Pod: p, Match: JobPolicies.Match(job.Spec.PodFailurePolicy, p))).ToList();
        var counted = failures.Where(f => f.Match?.Action != "Ignore").ToList();
        // Without kube's job-tracking finalizers, the counts never go down when terminated pods are removed.
        var succeeded = Math.Max(old.Succeeded ?? 0, succeededPods.Count);
        var failed = Math.Max(old.Failed ?? 0, counted.Count);
        var parallelism = Math.Max(0, job.Spec.Parallelism ?? 1);
        var completions = job.Spec.Completions;
        var indexed = IsIndexed(job) && completions is not null;
        var perIndex = indexed ? job.Spec.BackoffLimitPerIndex : null;
        var completedIndexes = indexed ? ParseIndexes(old.CompletedIndexes) : [];
        if (indexed)
        {
            foreach (var index in succeededPods.Select(IndexOf).OfType<int>().Where(i => i < completions!.Value))
            {
                completedIndexes.Add(index);
            }

            succeeded = Math.Max(succeeded, completedIndexes.Count);
        }

        // backoffLimitPerIndex: an index whose failures exceed the limit, or whose pod matched a FailIndex
        // rule, is failed for good; its pods go and it is not made again.
        var indexFailures = new Dictionary<int, int>();
        var failedIndexes = perIndex is not null ? ParseIndexes(old.FailedIndexes) : [];
        if (perIndex is { } limit)
        {
            foreach (var pod in pods)
            {
                if (IndexOf(pod) is not { } index || index >= completions!.Value)
                {
                    continue;
                }

                var count = JobPolicies.PreviousFailures(pod) + (counted.Any(f => f.Pod == pod) ? 1 : 0);
                indexFailures[index] = Math.Max(indexFailures.GetValueOrDefault(index), count);
                if (count > limit || failures.Any(f => f.Pod == pod && f.Match?.Action == "FailIndex"))
                {
                    failedIndexes.Add(index);
                }
            }

            failedIndexes.ExceptWith(completedIndexes);
        }

        var status = new V1JobStatus
        {
            Active = active.Count,
            Ready = active.Count(Pods.IsReady),
            Terminating = terminating,
            Succeeded = succeeded,
            Failed = failed,
            StartTime = old.StartTime,
            CompletionTime = old.CompletionTime,
            CompletedIndexes = indexed && completedIndexes.Count > 0 ? FormatIndexes(completedIndexes) : null,
            FailedIndexes = perIndex is not null ? FormatIndexes(failedIndexes) : old.FailedIndexes,
            UncountedTerminatedPods = new V1UncountedTerminatedPods(),
        };
        if (IsFinished(job))
        {
            status.Conditions = conditions;
            return new JobPlan(status, 0, [], active, events, null);
        }

        var suspended = job.Spec.Suspend == true;
        var wasSuspended = conditions.Any(c => c.Type == "Suspended" && c.Status == "True");
        if (suspended)
        {
            if (!wasSuspended)
            {
                SetCondition(conditions, "Suspended", "True", "JobSuspended", "Job suspended", now);
                events.Add(("Normal", "Suspended", "Job suspended"));
            }
        }
        else
        {
            if (wasSuspended)
            {
                SetCondition(conditions, "Suspended", "False", "JobResumed", "Job resumed", now);
                events.Add(("Normal", "Resumed", "Job resumed"));
                status.StartTime = now;
            }

            status.StartTime ??= now;
        }

        // Failure: too many failed pods, or past activeDeadlineSeconds.
        var failureTarget = conditions.FirstOrDefault(c => c.Type == "FailureTarget" && c.Status == "True");
        TimeSpan? requeue = null;
        if (failureTarget is null && !suspended)
        {
            var failJob = failures.FirstOrDefault(f => f.Match?.Action == "FailJob").Match;
            if (failJob is not null)
            {
                failureTarget = SetCondition(conditions, "FailureTarget", "True", "PodFailurePolicy", failJob.Message, now);
            }
            else if (perIndex is null && failed > (job.Spec.BackoffLimit ?? 6))
            {
                failureTarget = SetCondition(conditions, "FailureTarget", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit", now);
            }
            else if (job.Spec.ActiveDeadlineSeconds is { } deadline && status.StartTime is { } started)
            {
                var end = started.AddSeconds(deadline);
                if (end <= now)
                {
                    failureTarget = SetCondition(conditions, "FailureTarget", "True", "DeadlineExceeded", "Job was active longer than specified deadline", now);
                }
                else
                {
                    requeue = end - now;
                }
            }

            if (failureTarget is null && perIndex is not null)
            {
                if (job.Spec.MaxFailedIndexes is { } maxFailed && failedIndexes.Count > maxFailed)
                {
                    failureTarget = SetCondition(conditions, "FailureTarget", "True", "MaxFailedIndexesExceeded", "Job has exceeded the specified maximal number of failed indexes", now);
                }
                else if (failedIndexes.Count > 0 && failedIndexes.Count + completedIndexes.Count >= completions!.Value)
                {
                    failureTarget = SetCondition(conditions, "FailureTarget", "True", "FailedIndexes", "Job has failed indexes", now);
                }
            }
        }

        if (failureTarget is not null)
        {
            if (active.Count == 0 && terminating == 0)
            {
                SetCondition(conditions, "Failed", "True", failureTarget.Reason, failureTarget.Message, now);
                events.Add(("Warning", failureTarget.Reason, failureTarget.Message));
            }

            status.Conditions = conditions;
            return new JobPlan(status, 0, [], active, events, null);
        }

        // Success: a successPolicy rule met (Indexed jobs), completions reached, or (work queue) one pod
        // succeeded and none runs. The pods still running are then deleted.
        var met = conditions.FirstOrDefault(c => c.Type == "SuccessCriteriaMet" && c.Status == "True");
        var policyMessage = indexed && met is null ? JobPolicies.MatchSuccessPolicy(job.Spec.SuccessPolicy, completions!.Value, completedIndexes) : null;
        var successCriteriaMet = met is not null || policyMessage is not null
            || (completions is { } total ? succeeded >= total : succeeded > 0 && active.Count == 0);
        if (successCriteriaMet && !suspended)
        {
            if (met is null)
            {
                met = policyMessage is not null
                    ? SetCondition(conditions, "SuccessCriteriaMet", "True", "SuccessPolicy", policyMessage, now)
                    : SetCondition(conditions, "SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods", now);
            }

            if (active.Count == 0 && terminating == 0)
            {
                SetCondition(conditions, "Complete", "True", met.Reason, met.Message, now);
                status.CompletionTime = now;
                events.Add(("Normal", "Completed", "Job completed"));
            }

            status.Conditions = conditions;
            return new JobPlan(status, 0, [], active, events, null);
        }

        int wantActive;
        if (suspended)
        {
            wantActive = 0;
        }
        else if (completions is null)
        {
            wantActive = succeeded > 0 ? Math.Min(active.Count, parallelism) : parallelism;
        }
        else
        {
            wantActive = Math.Max(0, Math.Min(parallelism, completions.Value - succeeded - failedIndexes.Count));
        }

        var delete = new List<V1Pod>();
        if (failedIndexes.Count > 0)
        {
            // The pods of a failed index stop (kube terminates them), and the index is not made again.
            var stopping = active.Where(p => IndexOf(p) is { } i && failedIndexes.Contains(i)).ToList();
            delete.AddRange(stopping);
            active = [.. active.Except(stopping)];
        }

        var createCount = 0;
        var createIndexes = new List<int>();
        if (active.Count > wantActive)
        {
            // kube deletes the least useful first: not ready, then the newest.
            delete.AddRange(active.OrderBy(p => Pods.IsReady(p) ? 1 : 0).ThenByDescending(p => p.Metadata.CreationTimestamp).Take(active.Count - wantActive));
        }
        else if (active.Count + (OnlyReplaceFailedPods(job) ? terminating : 0) < wantActive)
        {
            // podReplacementPolicy Failed: a terminating pod is replaced only once it is gone or failed.
            var missing = wantActive - active.Count - (OnlyReplaceFailedPods(job) ? terminating : 0);
            // backoffLimitPerIndex: each index backs off on its own (below), not the Job as a whole.
            var wait = perIndex is null && lastFailureAt is { } at && failed > 0 ? at + Backoff(failed) - now : TimeSpan.Zero;
            if (wait > TimeSpan.Zero)
            {
                requeue = requeue is { } r && r < wait ? r : wait;
            }
            else if (indexed)
            {
                var running = active.Select(IndexOf).OfType<int>().ToHashSet();
                if (OnlyReplaceFailedPods(job))
                {
                    running.UnionWith(pods.Where(p => !Pods.IsTerminal(p) && p.Metadata.DeletionTimestamp is not null).Select(IndexOf).OfType<int>());
                }

                if (perIndex is not null)
                {
                    // kube's getRemainingTimePerIndex: the index's last failed pod, its failure count
                    // (the annotation plus this failure) and when it finished decide the index's delay.
                    foreach (var group in pods.Where(p => p.Status?.Phase == "Failed" && IndexOf(p) is not null).GroupBy(p => IndexOf(p)!.Value))
                    {
                        var last = group.MaxBy(FinishedAt)!;
                        var delay = FinishedAt(last) + Backoff(JobPolicies.PreviousFailures(last) + 1) - now;
                        if (delay > TimeSpan.Zero && !active.Any(p => IndexOf(p) == group.Key))
                        {
                            running.Add(group.Key);
                            requeue = requeue is { } r && r < delay ? r : delay;
                        }
                    }
                }

                createIndexes.AddRange(Enumerable.Range(0, completions!.Value)
                    .Where(i => !completedIndexes.Contains(i) && !failedIndexes.Contains(i) && !running.Contains(i)).Take(missing));
            }
            else
            {
                createCount = missing;
            }
        }

        status.Conditions = conditions.Count > 0 ? conditions : null;
        return new JobPlan(status, createCount, createIndexes, delete, events, requeue) { IndexFailures = indexFailures };
    }

    /// <summary>
    /// kube's getFinishedTime: the latest container finish when all containers finished, else the
    /// Ready=False condition's transition, else deletion time less grace, else creation.
    /// </summary>
    public static DateTime FinishedAt(V1Pod pod)
    {
        var statuses = pod.Status?.ContainerStatuses ?? [];
        if (statuses.Count > 0 && statuses.All(c => c.State?.Terminated?.FinishedAt is not null))
        {
            return statuses.Max(c => c.State.Terminated.FinishedAt!.Value);
        }

        if (pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready" && c.Status == "False")?.LastTransitionTime is { } readyFalse)
        {
            return readyFalse;
        }

        if (pod.Metadata.DeletionTimestamp is { } deleted)
        {
            return deleted.AddSeconds(-(pod.Metadata.DeletionGracePeriodSeconds ?? 0));
        }

        return pod.Metadata.CreationTimestamp ?? DateTime.MinValue;
    }

    private static V1JobCondition SetCondition(List<V1JobCondition> conditions, string type, string status, string reason, string message, DateTime now)
    {
        var existing = conditions.FirstOrDefault(c => c.Type == type);
        if (existing is null)
        {
            existing = new V1JobCondition { Type = type };
            conditions.Add(existing);
        }

        if (existing.Status != status)
        {
            existing.LastTransitionTime = now;
        }

        existing.Status = status;
        existing.Reason = reason;
        existing.Message = message;
        existing.LastProbeTime = now;
        return existing;
    }

    /// <summary>Parses kube's completedIndexes form ("1,3-5,7").</summary>
    public static SortedSet<int> ParseIndexes(string? text)
    {
        var set = new SortedSet<int>();
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0)
            {
                if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var single))
                {
                    set.Add(single);
                }
            }
            else if (int.TryParse(part[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var from)
                && int.TryParse(part[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var to))
            {
                for (var i = from; i <= to; i++)
                {
                    set.Add(i);
                }
            }
        }

        return set;
    }

    /// <summary>kube's completedIndexes form: sorted, each run of consecutive indexes written "first-last" (e.g. "0-2,4").</summary>
    public static string FormatIndexes(IEnumerable<int> indexes)
    {
        var sorted = indexes.Distinct().Order().ToList();
        var parts = new List<string>();
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1)
            {
                j++;
            }

            parts.Add(j == i ? sorted[i].ToString(CultureInfo.InvariantCulture) : $"{sorted[i]}-{sorted[j]}");
            i = j + 1;
        }

        return string.Join(",", parts);
    }
}
