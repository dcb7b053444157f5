using ControllerManager.CronJob;
using k8s.Models;

namespace ControllerManager.Tests;

public sealed class CronJobTests
{
    private static readonly DateTime Now = new(2026, 12, 3, 12, 0, 30, DateTimeKind.Utc);

    private static V1CronJob CronJob(string schedule = "*/5 * * * *", DateTime? last = null, long? startingDeadline = null, string? zone = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "tick", NamespaceProperty = "ns", Uid = "cj-uid", CreationTimestamp = Now.AddHours(-1) },
        Spec = new V1CronJobSpec
        {
            Schedule = schedule,
            TimeZone = zone,
            StartingDeadlineSeconds = startingDeadline,
            JobTemplate = new V1JobTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "tick" } },
                Spec = new V1JobSpec { Template = new V1PodTemplateSpec { Spec = new V1PodSpec { RestartPolicy = "Never", Containers = [new V1Container { Name = "c", Image = "busybox" }] } } },
            },
        },
        Status = last is null ? null : new V1CronJobStatus { LastScheduleTime = last },
    };

    private static V1Job Finished(string name, string type, int minutesAgo) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, CreationTimestamp = Now.AddMinutes(-minutesAgo) },
        Status = new V1JobStatus { StartTime = Now.AddMinutes(-minutesAgo), Conditions = [new V1JobCondition { Type = type, Status = "True" }] },
    };

    [Fact]
    public void MostRecentScheduleTime_TheLatestStartSinceTheLastOne()
    {
        var cronJob = CronJob(last: new DateTime(2026, 12, 3, 11, 50, 0, DateTimeKind.Utc));
        var (parsed, zone, error) = CronJobController.Parse(cronJob);
        Assert.Null(error);
        var (recent, missed) = CronJobController.MostRecentScheduleTime(cronJob, parsed!, zone!, Now);
        Assert.Equal(new DateTime(2026, 12, 3, 12, 0, 0, DateTimeKind.Utc), recent);
        Assert.Equal(2, missed);

        cronJob = CronJob(last: new DateTime(2026, 12, 3, 12, 0, 0, DateTimeKind.Utc));
        Assert.Null(CronJobController.MostRecentScheduleTime(cronJob, parsed!, zone!, Now).MostRecent);
    }

    [Fact]
    public void MostRecentScheduleTime_StartingDeadlineLimitsHowFarBack_TooManyMissedIsCounted()
    {
        var cronJob = CronJob(schedule: "* * * * *", last: Now.AddDays(-1), startingDeadline: 90);
        var (parsed, zone, _) = CronJobController.Parse(cronJob);
        var (recent, missed) = CronJobController.MostRecentScheduleTime(cronJob, parsed!, zone!, Now);
        Assert.Equal((new DateTime(2026, 12, 3, 12, 0, 0, DateTimeKind.Utc), 1), (recent!.Value, missed));

        cronJob = CronJob(schedule: "* * * * *", last: Now.AddDays(-1));
        (recent, missed) = CronJobController.MostRecentScheduleTime(cronJob, parsed!, zone!, Now);
        Assert.True(missed > CronJobController.MaxMissedTimes);
        Assert.Equal(new DateTime(2026, 12, 3, 12, 0, 0, DateTimeKind.Utc), recent);
    }

    [Fact]
    public void Parse_MacrosAndNamesAndTimeZones_ErrorsForBadOnes()
    {
        Assert.Null(CronJobController.Parse(CronJob("@hourly")).Error);
        Assert.Null(CronJobController.Parse(CronJob("0 9 * JAN-MAR MON-FRI")).Error);
        Assert.Null(CronJobController.Parse(CronJob("0 9 * * *", zone: "Europe/Berlin")).Error);
        Assert.StartsWith("unparseable schedule", CronJobController.Parse(CronJob("61 * * * *")).Error, StringComparison.Ordinal);
        Assert.StartsWith("invalid timeZone", CronJobController.Parse(CronJob(zone: "Mars/Olympus")).Error, StringComparison.Ordinal);

        var berlin = CronJob("0 9 * * *", last: new DateTime(2026, 12, 3, 0, 0, 0, DateTimeKind.Utc), zone: "Europe/Berlin");
        var (parsed, zone, _) = CronJobController.Parse(berlin);
        Assert.Equal(new DateTime(2026, 12, 3, 8, 0, 0, DateTimeKind.Utc), CronJobController.MostRecentScheduleTime(berlin, parsed!, zone!, Now).MostRecent);
    }

    [Fact]
    public void Every_IsAConstantDelayFromTheLastStart_AsRobfigCronsEvery()
    {
        // Created an hour ago (11:00:30), never run: every 7 minutes from creation; the latest is 11:56:30.
        var cronJob = CronJob("@every 7m");
        var (parsed, zone, error) = CronJobController.Parse(cronJob);
        Assert.Null(error);
        var (recent, missed) = CronJobController.MostRecentScheduleTime(cronJob, parsed!, zone!, Now);
        Assert.Equal((new DateTime(2026, 12, 3, 11, 56, 30, DateTimeKind.Utc), 8), (recent!.Value, missed));

        // From the last start; under a second is a second, fractions are cut.
        cronJob = CronJob("@every 90s", last: Now.AddSeconds(-100));
        (parsed, zone, _) = CronJobController.Parse(cronJob);
        Assert.Equal(Now.AddSeconds(-10), CronJobController.MostRecentScheduleTime(cronJob, parsed!, zone!, Now).MostRecent);
        Assert.Equal(Now.AddSeconds(1), CronSchedule.Parse("@every 100ms").GetNextOccurrence(Now, TimeZoneInfo.Utc));
        Assert.Equal(Now.AddSeconds(2), CronSchedule.Parse("@every 2.5s").GetNextOccurrence(Now.AddMilliseconds(300), TimeZoneInfo.Utc));
        Assert.StartsWith("unparseable schedule", CronJobController.Parse(CronJob("@every five")).Error, StringComparison.Ordinal);

        // Too many missed: the last one before now, still on the delay's grid.
        cronJob = CronJob("@every 1s", last: Now.AddHours(-1));
        (parsed, zone, _) = CronJobController.Parse(cronJob);
        (recent, missed) = CronJobController.MostRecentScheduleTime(cronJob, parsed!, zone!, Now);
        Assert.True(missed > CronJobController.MaxMissedTimes);
        Assert.Equal(Now, recent);
    }

    [Fact]
    public void NewJob_NamedByScheduledMinute_OwnedAndAnnotated()
    {
        var scheduled = new DateTime(2026, 12, 3, 12, 0, 0, DateTimeKind.Utc);
        var job = CronJobController.NewJob(CronJob(), scheduled, TimeZoneInfo.Utc);
        Assert.Equal($"tick-{new DateTimeOffset(scheduled).ToUnixTimeSeconds() / 60}", job.Metadata.Name);
        Assert.Equal("2026-12-03T12:00:00Z", job.Metadata.Annotations[CronJobController.ScheduledTimestampAnnotation]);
        Assert.Equal("tick", job.Metadata.Labels["app"]);
        var owner = Assert.Single(job.Metadata.OwnerReferences);
        Assert.Equal(("batch/v1", "CronJob", "tick", "cj-uid", true), (owner.ApiVersion, owner.Kind, owner.Name, owner.Uid, owner.Controller));
    }

    [Fact]
    public void JobsToPrune_OldestFinishedBeyondTheHistoryLimits()
    {
        var cronJob = CronJob();
        cronJob.Spec.SuccessfulJobsHistoryLimit = 2;
        var jobs = new[] { Finished("s1", "Complete", 30), Finished("s2", "Complete", 20), Finished("s3", "Complete", 10), Finished("f1", "Failed", 25), Finished("f2", "Failed", 5) };
        Assert.Equal(["s1", "f1"], CronJobController.JobsToPrune(cronJob, jobs).Select(j => j.Metadata.Name));
    }
}
