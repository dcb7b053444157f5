using ControllerManager.Job;
using k8s.Models;

namespace ControllerManager.Tests;

public sealed class JobTests
{
    private static readonly DateTime Now = new(2026, 12, 3, 12, 0, 0, DateTimeKind.Utc);

    private static V1Job Job(int? completions = 1, int parallelism = 1, int backoffLimit = 6, bool suspend = false, string? mode = null, long? deadline = null, DateTime? started = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "job", NamespaceProperty = "ns", Uid = "job-uid" },
        Spec = new V1JobSpec
        {
            Completions = completions,
            Parallelism = parallelism,
            BackoffLimit = backoffLimit,
            Suspend = suspend,
            CompletionMode = mode,
            ActiveDeadlineSeconds = deadline,
            Template = new V1PodTemplateSpec { Spec = new V1PodSpec { RestartPolicy = "Never", Containers = [new V1Container { Name = "c", Image = "busybox" }] } },
        },
        Status = started is null ? null : new V1JobStatus { StartTime = started },
    };

    private static V1Pod Pod(string name, string phase = "Running", int? index = null, bool terminating = false) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = "ns",
            CreationTimestamp = Now.AddMinutes(-1),
            DeletionTimestamp = terminating ? Now : null,
            Annotations = index is null ? null : new Dictionary<string, string> { [JobPlanner.CompletionIndexAnnotation] = index.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        },
        Status = new V1PodStatus { Phase = phase },
    };

    [Fact]
    public void NewJob_StartsParallelismPods_UpToTheRemainingCompletions()
    {
        var plan = JobPlanner.Plan(Job(completions: 5, parallelism: 2), [], Now, null);
        Assert.Equal(2, plan.CreateCount);
        Assert.Equal(Now, plan.Status.StartTime);

        plan = JobPlanner.Plan(Job(completions: 5, parallelism: 3), [Pod("a", "Succeeded"), Pod("b", "Succeeded"), Pod("c", "Succeeded"), Pod("d")], Now, null);
        Assert.Equal(1, plan.CreateCount);
        Assert.Equal((1, 3), (plan.Status.Active, plan.Status.Succeeded));
    }

    [Fact]
    public void CompletionsReached_SuccessCriteriaMetThenCompleteOnceNoPodRuns()
    {
        var plan = JobPlanner.Plan(Job(completions: 2, parallelism: 3), [Pod("a", "Succeeded"), Pod("b", "Succeeded"), Pod("c")], Now, null);
        Assert.Contains(plan.Status.Conditions, c => c.Type == "SuccessCriteriaMet" && c.Status == "True");
        Assert.DoesNotContain(plan.Status.Conditions, c => c.Type == "Complete");

        var job = Job(completions: 2);
        job.Status = plan.Status;
        plan = JobPlanner.Plan(job, [Pod("a", "Succeeded"), Pod("b", "Succeeded")], Now, null);
        var complete = Assert.Single(plan.Status.Conditions, c => c.Type == "Complete");
        Assert.Equal(("True", "CompletionsReached"), (complete.Status, complete.Reason));
        Assert.Equal(Now, plan.Status.CompletionTime);
        Assert.Contains(plan.Events, e => e.Reason == "Completed");
        Assert.True(JobPlanner.IsFinished(new V1Job { Status = plan.Status }));
    }

    [Fact]
    public void WorkQueueJob_CompleteWhenOneSucceededAndNoneRuns_NoNewPodsAfterASuccess()
    {
        var plan = JobPlanner.Plan(Job(completions: null, parallelism: 3), [Pod("a", "Succeeded"), Pod("b")], Now, null);
        Assert.Equal(0, plan.CreateCount);
        Assert.Null(plan.Status.Conditions?.FirstOrDefault(c => c.Type == "Complete"));
        plan = JobPlanner.Plan(Job(completions: null, parallelism: 3), [Pod("a", "Succeeded"), Pod("b", "Succeeded")], Now, null);
        Assert.Contains(plan.Status.Conditions, c => c.Type == "Complete");
    }

    [Fact]
    public void FailedPods_BackOffBeforeReplacing_ThenFailAfterTheBackoffLimit()
    {
        var plan = JobPlanner.Plan(Job(backoffLimit: 2), [Pod("a", "Failed")], Now, Now.AddSeconds(-3));
        Assert.Equal(0, plan.CreateCount);
        Assert.Equal(TimeSpan.FromSeconds(7), plan.RequeueAfter);
        plan = JobPlanner.Plan(Job(backoffLimit: 2), [Pod("a", "Failed")], Now, Now.AddSeconds(-11));
        Assert.Equal(1, plan.CreateCount);
        Assert.Equal(TimeSpan.FromSeconds(20), JobPlanner.Backoff(2));
        Assert.Equal(TimeSpan.FromMinutes(6), JobPlanner.Backoff(20));

        plan = JobPlanner.Plan(Job(backoffLimit: 2), [Pod("a", "Failed"), Pod("b", "Failed"), Pod("c", "Failed"), Pod("d")], Now, Now);
        Assert.Contains(plan.Status.Conditions, c => c.Type == "FailureTarget" && c.Reason == "BackoffLimitExceeded");
        Assert.Equal("d", Assert.Single(plan.Delete).Metadata.Name);
        Assert.DoesNotContain(plan.Status.Conditions, c => c.Type == "Failed");

        var job = Job(backoffLimit: 2);
        job.Status = plan.Status;
        plan = JobPlanner.Plan(job, [Pod("a", "Failed"), Pod("b", "Failed"), Pod("c", "Failed")], Now, Now);
        var failed = Assert.Single(plan.Status.Conditions, c => c.Type == "Failed");
        Assert.Equal(("True", "BackoffLimitExceeded", "Job has reached the specified backoff limit"), (failed.Status, failed.Reason, failed.Message));
        Assert.Contains(plan.Events, e => e.Type == "Warning" && e.Reason == "BackoffLimitExceeded");
    }

    [Fact]
    public void ActiveDeadline_FailsTheJobAndDeletesItsPods_OrLooksAgainAtTheDeadline()
    {
        var plan = JobPlanner.Plan(Job(deadline: 30, started: Now.AddSeconds(-10)), [Pod("a")], Now, null);
        Assert.Equal(TimeSpan.FromSeconds(20), plan.RequeueAfter);
        plan = JobPlanner.Plan(Job(deadline: 30, started: Now.AddSeconds(-31)), [Pod("a")], Now, null);
        Assert.Contains(plan.Status.Conditions, c => c.Type == "FailureTarget" && c.Reason == "DeadlineExceeded");
        Assert.Single(plan.Delete);
    }

    [Fact]
    public void Suspended_DeletesActivePods_AndSaysSo()
    {
        var plan = JobPlanner.Plan(Job(completions: 3, parallelism: 2, suspend: true), [Pod("a"), Pod("b")], Now, null);
        Assert.Equal(2, plan.Delete.Count);
        Assert.Contains(plan.Status.Conditions, c => c.Type == "Suspended" && c.Status == "True" && c.Reason == "JobSuspended");
        Assert.Equal(0, plan.CreateCount);
    }

    [Fact]
    public void Indexed_CreatesTheMissingIndexes_AndReportsCompletedIndexes()
    {
        var plan = JobPlanner.Plan(Job(completions: 5, parallelism: 3, mode: "Indexed"), [Pod("a", "Succeeded", index: 0), Pod("b", "Running", index: 2)], Now, null);
        Assert.Equal([1, 3], plan.CreateIndexes);
        Assert.Equal("0", plan.Status.CompletedIndexes);
        Assert.Equal("0-2,4,6-7", JobPlanner.FormatIndexes([7, 0, 1, 2, 4, 6]));
        Assert.Equal([0, 1, 2, 4, 6, 7], JobPlanner.ParseIndexes("0-2,4,6-7"));

        var pod = new V1Pod { Metadata = new V1ObjectMeta(), Spec = new V1PodSpec { Containers = [new V1Container { Name = "c" }] } };
        JobController.AddCompletionIndex(pod, "job", 3);
        Assert.Equal(("3", "3", "job-3"), (pod.Metadata.Annotations[JobPlanner.CompletionIndexAnnotation], pod.Metadata.Labels[JobPlanner.CompletionIndexAnnotation], pod.Spec.Hostname));
        Assert.Equal("JOB_COMPLETION_INDEX", Assert.Single(pod.Spec.Containers[0].Env).Name);
    }

    [Fact]
    public void TtlAfterFinished_CountsFromTheFinishingCondition()
    {
        var job = Job();
        Assert.Null(TtlAfterFinishedController.TimeLeft(job, Now));
        job.Spec.TtlSecondsAfterFinished = 60;
        Assert.Null(TtlAfterFinishedController.TimeLeft(job, Now));
        job.Status = new V1JobStatus { Conditions = [new V1JobCondition { Type = "Complete", Status = "True", LastTransitionTime = Now.AddSeconds(-20) }] };
        Assert.Equal(TimeSpan.FromSeconds(40), TtlAfterFinishedController.TimeLeft(job, Now));
        job.Status.Conditions[0].Type = "Failed";
        Assert.Equal(TimeSpan.FromSeconds(-40), TtlAfterFinishedController.TimeLeft(job, Now.AddSeconds(80)));
    }

    [Fact]
    public void PodReplacementPolicy_FailedWaitsForTerminatingPods_TerminatingOrFailedDoesNot()
    {
        var job = Job(completions: 4, parallelism: 2);
        var pods = new[] { Pod("a"), Pod("b", terminating: true) };
        var plan = JobPlanner.Plan(job, pods, Now, null);
        Assert.Equal(1, plan.CreateCount);
        Assert.Equal((1, 1), (plan.Status.Active, plan.Status.Terminating));

        job.Spec.PodReplacementPolicy = "Failed";
        plan = JobPlanner.Plan(job, pods, Now, null);
        Assert.Equal(0, plan.CreateCount);
        Assert.Equal(1, plan.Status.Terminating);

        // Once the terminating pod is gone its replacement comes.
        plan = JobPlanner.Plan(job, [Pod("a")], Now, null);
        Assert.Equal(1, plan.CreateCount);

        // Indexed: the terminating pod's index is not made again while it terminates.
        var indexed = Job(completions: 3, parallelism: 3, mode: "Indexed");
        indexed.Spec.PodReplacementPolicy = "Failed";
        plan = JobPlanner.Plan(indexed, [Pod("i0", index: 0), Pod("i1", index: 1, terminating: true)], Now, null);
        Assert.Equal([2], plan.CreateIndexes);
        indexed.Spec.PodReplacementPolicy = "TerminatingOrFailed";
        plan = JobPlanner.Plan(indexed, [Pod("i0", index: 0), Pod("i1", index: 1, terminating: true)], Now, null);
        Assert.Equal([1, 2], plan.CreateIndexes);
    }

    [Fact]
    public void BackoffLimitPerIndex_EachIndexBacksOffOnItsOwn()
    {
        var job = Job(completions: 3, parallelism: 3, mode: "Indexed");
        job.Spec.BackoffLimitPerIndex = 5;
        // Index 0 failed 5 s ago for the second time (10 s, then 20 s): 15 s left. Index 1 failed 30 s ago once (10 s): done.
        var second = Pod("f0", "Failed", index: 0);
        second.Metadata.Annotations[JobPolicies.IndexFailureCountAnnotation] = "1";
        second.Status.Conditions = [new V1PodCondition { Type = "Ready", Status = "False", LastTransitionTime = Now.AddSeconds(-5) }];
        var first = Pod("f1", "Failed", index: 1);
        first.Status.Conditions = [new V1PodCondition { Type = "Ready", Status = "False", LastTransitionTime = Now.AddSeconds(-30) }];
        var plan = JobPlanner.Plan(job, [second, first], Now, Now.AddSeconds(-5));
        Assert.Equal([1, 2], plan.CreateIndexes);
        Assert.Equal(TimeSpan.FromSeconds(15), plan.RequeueAfter);
        plan = JobPlanner.Plan(job, [second, first], Now.AddSeconds(16), Now.AddSeconds(-5));
        Assert.Equal([0, 1, 2], plan.CreateIndexes);
    }
}
