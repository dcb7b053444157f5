using k8s;
using k8s.Models;

namespace Conformance.ControllerManager;

/// <summary>CronJobs fire: a Job per start time, owned by the CronJob, tracked in its status until it finishes.</summary>
[Collection(ControllerManagerCollection.Name)]
public sealed class CronJobTests(ControllerManagerFixture fixture)
{
    private readonly Kubernetes _admin = fixture.Admin;

    [Fact]
    public async Task CronJob_FiresAJobForTheMissedStartTime_TracksItUntilItCompletes()
    {
        var cluster = fixture.Cluster;
        var ns = await cluster.CreateNamespaceAsync("cronjob");
        // Suspended, and told it last ran three minutes ago: on resuming, the start time of the current
        // minute is due at once (kube's controller starts the most recent missed time), so the test
        // need not wait for the clock.
        await cluster.KubectlOkAsync("create", "cronjob", "tick", "--image=busybox", "--schedule=* * * * *", "-n", ns, "--", "date");
        await cluster.KubectlOkAsync("patch", "cronjob", "tick", "-n", ns, "-p", "{\"spec\":{\"suspend\":true}}");
        var cronJob = await _admin.BatchV1.ReadNamespacedCronJobAsync("tick", ns);
        await DeleteJobsAsync(ns); // in case a minute began between create and suspend
        cronJob.Status ??= new V1CronJobStatus();
        cronJob.Status.LastScheduleTime = DateTime.UtcNow.AddMinutes(-3);
        cronJob.Status.Active = null;
        await _admin.BatchV1.ReplaceNamespacedCronJobStatusAsync(cronJob, "tick", ns);
        await cluster.KubectlOkAsync("patch", "cronjob", "tick", "-n", ns, "-p", "{\"spec\":{\"suspend\":false}}");

        var job = await fixture.EventuallyAsync(async () => (await _admin.BatchV1.ListNamespacedJobAsync(ns)).Items.FirstOrDefault(j => j.Metadata.DeletionTimestamp is null), "the CronJob's Job");
        var owner = Assert.Single(job.Metadata.OwnerReferences);
        Assert.Equal(("CronJob", "tick", true), (owner.Kind, owner.Name, owner.Controller == true));
        Assert.Matches("^tick-[0-9]+$", job.Metadata.Name);
        Assert.True(job.Metadata.Annotations.ContainsKey("batch.kubernetes.io/cronjob-scheduled-timestamp"));
        var active = await fixture.EventuallyAsync(async () =>
        {
            var c = await _admin.BatchV1.ReadNamespacedCronJobAsync("tick", ns);
            return c.Status?.Active?.Any(a => a.Name == job.Metadata.Name) == true ? c : null;
        }, "status.active to list the Job");
        Assert.NotNull(active.Status.LastScheduleTime);
        Assert.Contains(job.Metadata.Name, await cluster.KubectlOkAsync("get", "jobs", "-n", ns), StringComparison.Ordinal);

        var pod = await fixture.EventuallyAsync(async () => (await _admin.CoreV1.ListNamespacedPodAsync(ns, labelSelector: $"batch.kubernetes.io/job-name={job.Metadata.Name}")).Items.FirstOrDefault(), "the Job's pod");
        await fixture.FinishPodAsync(pod, "Succeeded");
        var done = await fixture.EventuallyAsync(async () =>
        {
            var c = await _admin.BatchV1.ReadNamespacedCronJobAsync("tick", ns);
            return c.Status?.LastSuccessfulTime is not null && c.Status.Active?.Any(a => a.Name == job.Metadata.Name) != true ? c : null;
        }, "the CronJob to see its Job complete");
        Assert.NotNull(done.Status.LastSuccessfulTime);
        await cluster.KubectlOkAsync("patch", "cronjob", "tick", "-n", ns, "-p", "{\"spec\":{\"suspend\":true}}");
    }

    private async Task DeleteJobsAsync(string ns)
    {
        foreach (var j in (await _admin.BatchV1.ListNamespacedJobAsync(ns)).Items)
        {
            await _admin.BatchV1.DeleteNamespacedJobAsync(j.Metadata.Name, ns, propagationPolicy: "Background");
        }
    }
}
