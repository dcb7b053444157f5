using System.Globalization;
using ClientTools.Cache;
using ClientTools.Events;
using ClientTools.Logging;
using ControllerManager.Common;
using ControllerManager.Infrastructure;
using ControllerManager.Job;
using k8s;
using k8s.Models;

namespace ControllerManager.CronJob;

/// <summary>
/// kube's CronJob controller (pkg/controller/cronjob, the v2 controller): at each scheduled time (in
/// spec.timeZone, else the controller's local zone, UTC here) it makes a Job named
/// "cronjob-&lt;scheduled time in minutes&gt;" from the jobTemplate, owned by the CronJob — unless
/// suspended, past startingDeadlineSeconds, or (concurrencyPolicy Forbid) a previous Job still runs;
/// Replace deletes the running ones first. It keeps status.active, lastScheduleTime and
/// lastSuccessfulTime, prunes finished Jobs beyond the history limits, and records kube's events.
/// Schedules are read as kube reads them (CronSchedule: Cronos for the five fields and macros, and @every).
/// </summary>
internal sealed class CronJobController : QueueController
{
    public const string ScheduledTimestampAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp";

    /// <summary>kube gives up counting missed start times past this many (and says so in an event).</summary>
    public const int MaxMissedTimes = 100;

    private readonly SharedIndexInformer<V1CronJob> _cronJobs;
    private readonly SharedIndexInformer<V1Job> _jobs;
    private readonly IKubernetes _client;
    private readonly EventRecorder _recorder;
    private readonly TimeProvider _time;

    public CronJobController(ControllerContext context)
        : base(ControllerNames.CronJob, context.Settings.ConcurrentCronJobSyncs, context.Time)
    {
        _client = context.ClientFor(ControllerNames.CronJob);
        _recorder = context.RecorderFor("cronjob-controller", _client);
        _time = context.Time;
        _cronJobs = context.Informers.CronJobs();
        _jobs = context.Informers.Jobs();
        _cronJobs.AddEventHandler(new ResourceEventHandler<V1CronJob>
        {
            OnAdd = (c, _) => Enqueue(ObjectKeys.KeyOf(c)),
            OnUpdate = (_, c) => Enqueue(ObjectKeys.KeyOf(c)),
        });
        _jobs.AddEventHandler(new ResourceEventHandler<V1Job>
        {
            OnAdd = (j, _) => JobChanged(j),
            OnUpdate = (_, j) => JobChanged(j),
            OnDelete = JobChanged,
        });
    }

    private void JobChanged(V1Job job)
    {
        if (OwnerReferences.ControllerOf(job.Metadata) is { Kind: "CronJob" } owner && owner.ApiVersion.StartsWith("batch/", StringComparison.Ordinal))
        {
            Enqueue(ObjectKeys.KeyOf(job.Metadata.NamespaceProperty, owner.Name));
        }
    }

    /// <summary>Parses a CronJob's schedule and zone; null (with the reason) when kube would not run it.</summary>
    public static (CronSchedule? Schedule, TimeZoneInfo? Zone, string? Error) Parse(V1CronJob cronJob)
    {
        TimeZoneInfo zone = TimeZoneInfo.Utc;
        if (!string.IsNullOrEmpty(cronJob.Spec.TimeZone) && !TimeZoneInfo.TryFindSystemTimeZoneById(cronJob.Spec.TimeZone, out zone!))
        {
            return (null, null, $"invalid timeZone: \"{cronJob.Spec.TimeZone}\"");
        }

        var text = (cronJob.Spec.Schedule ?? "").Trim();
        try
        {
            return (CronSchedule.Parse(text), zone, null);
        }
        catch (FormatException e)
        {
            return (null, null, $"unparseable schedule: \"{text}\" : {e.Message}");
        }
    }

    /// <summary>
    /// kube's mostRecentScheduleTime: the latest start time in (earliest, now], where earliest is the last
    /// scheduled time (else the creation time), moved up to now - startingDeadlineSeconds; and how many
    /// start times were missed (counted up to <see cref="MaxMissedTimes"/> + 1).
    /// </summary>
    public static (DateTime? MostRecent, int Missed) MostRecentScheduleTime(V1CronJob cronJob, CronSchedule schedule, TimeZoneInfo zone, DateTime now)
    {
        var earliest = cronJob.Status?.LastScheduleTime ?? cronJob.Metadata.CreationTimestamp ?? now;
        if (cronJob.Spec.StartingDeadlineSeconds is { } deadline && now.AddSeconds(-deadline) > earliest)
        {
            earliest = now.AddSeconds(-deadline);
        }

        DateTime? mostRecent = null;
        var missed = 0;
        for (var t = schedule.GetNextOccurrence(DateTime.SpecifyKind(earliest, DateTimeKind.Utc), zone); t is { } at && at <= now; t = schedule.GetNextOccurrence(at, zone))
        {
            mostRecent = at;
            if (++missed > MaxMissedTimes)
            {
                // Too many to walk one by one: jump to the last start time before now.
                mostRecent = schedule.LastAtOrBefore(at, now, zone);
                break;
            }
        }

        return (mostRecent, missed);
    }

    /// <summary>kube's getJobName: the CronJob's name and the scheduled time in minutes since the epoch.</summary>
    public static string JobName(V1CronJob cronJob, DateTime scheduled) =>
        $"{cronJob.Metadata.Name}-{new DateTimeOffset(DateTime.SpecifyKind(scheduled, DateTimeKind.Utc)).ToUnixTimeSeconds() / 60}";

    /// <summary>The Job kube makes from the template at <paramref name="scheduled"/>.</summary>
    public static V1Job NewJob(V1CronJob cronJob, DateTime scheduled, TimeZoneInfo zone)
    {
        var template = cronJob.Spec.JobTemplate;
        var annotations = new Dictionary<string, string>(template.Metadata?.Annotations ?? new Dictionary<string, string>())
        {
            [ScheduledTimestampAnnotation] = new DateTimeOffset(DateTime.SpecifyKind(scheduled, DateTimeKind.Utc)).ToOffset(zone.GetUtcOffset(scheduled)).ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture).Replace("+00:00", "Z", StringComparison.Ordinal),
        };
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = new V1ObjectMeta
            {
                Name = JobName(cronJob, scheduled),
                NamespaceProperty = cronJob.Metadata.NamespaceProperty,
                Labels = template.Metadata?.Labels is { } labels ? new Dictionary<string, string>(labels) : null,
                Annotations = annotations,
                OwnerReferences = [OwnerReferences.NewControllerRef(cronJob.Metadata, "batch/v1", "CronJob")],
            },
            Spec = ObjectCopy.Clone(template.Spec),
        };
    }

    /// <summary>Finished Jobs beyond the history limits, oldest first (kube's cleanupFinishedJobs).</summary>
    public static IEnumerable<V1Job> JobsToPrune(V1CronJob cronJob, IEnumerable<V1Job> owned)
    {
        var finished = owned.Where(JobPlanner.IsFinished).ToList();
        static DateTime Started(V1Job j) => j.Status?.StartTime ?? j.Metadata.CreationTimestamp ?? DateTime.MinValue;
        var succeeded = finished.Where(j => j.Status.Conditions.Any(c => c.Type == "Complete" && c.Status == "True")).OrderBy(Started).ToList();
        var failed = finished.Except(succeeded).OrderBy(Started).ToList();
        return succeeded.Take(Math.Max(0, succeeded.Count - (cronJob.Spec.SuccessfulJobsHistoryLimit ?? 3)))
            .Concat(failed.Take(Math.Max(0, failed.Count - (cronJob.Spec.FailedJobsHistoryLimit ?? 1))));
    }

    public override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        var cronJob = _cronJobs.Store.Get(key);
        if (cronJob is null || cronJob.Metadata.DeletionTimestamp is not null)
        {
            return;
        }

        var ns = cronJob.Metadata.NamespaceProperty;
        var now = _time.GetUtcNow().UtcDateTime;
        var owned = _jobs.Store.ByIndex(Indexers.Namespace, ns)
            .Where(j => OwnerReferences.ControllerOf(j.Metadata) is { } r && r.Uid == cronJob.Metadata.Uid)
            .ToList();
        var status = ObjectCopy.Clone(cronJob.Status ?? new V1CronJobStatus());
        var active = (status.Active ?? []).ToList();
        var ownedByUid = owned.ToDictionary(j => j.Metadata.Uid, StringComparer.Ordinal);
        foreach (var job in owned)
        {
            var listed = active.Any(a => a.Uid == job.Metadata.Uid);
            if (JobPlanner.IsFinished(job))
            {
                if (listed)
                {
                    active.RemoveAll(a => a.Uid == job.Metadata.Uid);
                    var condition = job.Status.Conditions.First(c => c.Type is "Complete" or "Failed" && c.Status == "True");
                    _recorder.Event(cronJob, EventTypes.Normal, "SawCompletedJob", $"Saw completed job: {job.Metadata.Name}, condition: {condition.Type}");
                    if (condition.Type == "Complete" && job.Status.CompletionTime is { } completed && (status.LastSuccessfulTime is null || completed > status.LastSuccessfulTime))
                    {
                        status.LastSuccessfulTime = completed;
                    }
                }
            }
            else if (!listed && job.Metadata.DeletionTimestamp is null)
            {
                active.Add(Reference(job));
            }
        }

        // Jobs in the active list that no longer exist (deleted by someone) leave it.
        active.RemoveAll(a => !ownedByUid.ContainsKey(a.Uid) && _jobs.Store.Get(ns, a.Name) is null);

        TimeSpan? next = null;
        var (schedule, zone, error) = Parse(cronJob);
        if (error is not null)
        {
            _recorder.Event(cronJob, EventTypes.Warning, error.StartsWith("invalid timeZone", StringComparison.Ordinal) ? "UnknownTimeZone" : "UnparseableSchedule", error);
        }
        else if (cronJob.Spec.Suspend != true)
        {
            var (scheduled, missed) = MostRecentScheduleTime(cronJob, schedule!, zone!, now);
            if (missed > MaxMissedTimes)
            {
                _recorder.Event(cronJob, EventTypes.Warning, "TooManyMissedTimes", $"too many missed start times: {missed}+. Set or decrease .spec.startingDeadlineSeconds or check clock skew");
            }

            if (scheduled is { } at)
            {
                await StartAsync(cronJob, at, zone!, now, active, status, cancellationToken).ConfigureAwait(false);
            }

            if (schedule!.GetNextOccurrence(now, zone!) is { } upcoming)
            {
                next = upcoming - now;
            }
        }

        status.Active = active.Count > 0 ? active : null;
        if (ObjectCopy.Canonical(status) != ObjectCopy.Canonical(cronJob.Status ?? new V1CronJobStatus()))
        {
            var updated = ObjectCopy.Clone(cronJob);
            updated.Status = status;
            await _client.BatchV1.ReplaceNamespacedCronJobStatusAsync(updated, cronJob.Metadata.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        foreach (var job in JobsToPrune(cronJob, owned))
        {
            try
            {
                await _client.BatchV1.DeleteNamespacedJobAsync(job.Metadata.Name, ns, new V1DeleteOptions { PropagationPolicy = "Background" }, cancellationToken: cancellationToken).ConfigureAwait(false);
                _recorder.Event(cronJob, EventTypes.Normal, "SuccessfulDelete", $"Deleted job {job.Metadata.Name}");
            }
            catch (Exception e) when (ApiErrors.IsNotFound(e))
            {
            }
        }

        if (next is { } wait)
        {
            // kube adds a little slack so the next sync lands after the start time, not just before it.
            Queue.AddAfter(key, wait + TimeSpan.FromMilliseconds(100));
        }
    }

    private async Task StartAsync(V1CronJob cronJob, DateTime scheduled, TimeZoneInfo zone, DateTime now, List<V1ObjectReference> active, V1CronJobStatus status, CancellationToken cancellationToken)
    {
        var ns = cronJob.Metadata.NamespaceProperty;
        if (cronJob.Spec.StartingDeadlineSeconds is { } deadline && scheduled.AddSeconds(deadline) < now)
        {
            _recorder.Event(cronJob, EventTypes.Warning, "MissSchedule", $"Missed scheduled time to start a job: {scheduled.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}");
            return;
        }

        var name = JobName(cronJob, scheduled);
        if (active.Any(a => a.Name == name) || status.LastScheduleTime is { } last && last >= scheduled || _jobs.Store.Get(ns, name) is not null)
        {
            return;
        }

        switch (cronJob.Spec.ConcurrencyPolicy)
        {
            case "Forbid" when active.Count > 0:
                _recorder.Event(cronJob, EventTypes.Normal, "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid");
                return;
            case "Replace":
                foreach (var running in active.ToList())
                {
                    try
                    {
                        await _client.BatchV1.DeleteNamespacedJobAsync(running.Name, ns, new V1DeleteOptions { PropagationPolicy = "Background" }, cancellationToken: cancellationToken).ConfigureAwait(false);
                        _recorder.Event(cronJob, EventTypes.Normal, "SuccessfulDelete", $"Deleted job {running.Name}");
                    }
                    catch (Exception e) when (ApiErrors.IsNotFound(e))
                    {
                    }

                    active.Remove(running);
                }

                break;
        }

        V1Job created;
        try
        {
            created = await _client.BatchV1.CreateNamespacedJobAsync(NewJob(cronJob, scheduled, zone), ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            _recorder.Event(cronJob, EventTypes.Normal, "SuccessfulCreate", $"Created job {name}");
        }
        catch (Exception e) when (ApiErrors.IsAlreadyExists(e))
        {
            Klog.Info(2, $"Job {ns}/{name} already exists");
            status.LastScheduleTime = scheduled;
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException && !ApiErrors.IsNamespaceTerminating(e))
        {
            _recorder.Event(cronJob, EventTypes.Warning, "FailedCreate", $"Error creating job: {ApiErrors.Message(e)}");
            throw;
        }

        active.Add(Reference(created));
        status.LastScheduleTime = scheduled;
    }

    private static V1ObjectReference Reference(V1Job job) => new()
    {
        ApiVersion = "batch/v1",
        Kind = "Job",
        Name = job.Metadata.Name,
        NamespaceProperty = job.Metadata.NamespaceProperty,
        Uid = job.Metadata.Uid,
        ResourceVersion = job.Metadata.ResourceVersion,
    };
}
