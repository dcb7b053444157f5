using ControllerManager.Job;
using k8s.Models;

namespace ControllerManager.Tests;

/// <summary>Job's podFailurePolicy, successPolicy and backoffLimitPerIndex, as kube 1.35's Job controller decides them.</summary>
public sealed class JobPolicyTests
{
    private static readonly DateTime Now = new(2026, 12, 4, 4, 0, 0, DateTimeKind.Utc);

    private static V1Job Job(int completions = 3, int parallelism = 3, bool indexed = false, V1PodFailurePolicy? failurePolicy = null,
        V1SuccessPolicy? successPolicy = null, int? perIndex = null, int? maxFailedIndexes = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "job", NamespaceProperty = "ns", Uid = "job-uid" },
        Spec = new V1JobSpec
        {
            Completions = completions,
            Parallelism = parallelism,
            BackoffLimit = perIndex is null ? 6 : int.MaxValue,
            CompletionMode = indexed ? "Indexed" : "NonIndexed",
            PodFailurePolicy = failurePolicy,
            SuccessPolicy = successPolicy,
            BackoffLimitPerIndex = perIndex,
            MaxFailedIndexes = maxFailedIndexes,
            Template = new V1PodTemplateSpec { Spec = new V1PodSpec { RestartPolicy = "Never", Containers = [new V1Container { Name = "main", Image = "busybox" }] } },
        },
        Status = new V1JobStatus { StartTime = Now.AddMinutes(-1) },
    };

    private static V1Pod Pod(string name, string phase = "Running", int? exitCode = null, int? index = null, int previousFailures = 0, string? condition = null)
    {
        var annotations = new Dictionary<string, string>();
        if (index is { } i)
        {
            annotations[JobPlanner.CompletionIndexAnnotation] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            annotations[JobPolicies.IndexFailureCountAnnotation] = previousFailures.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "ns", CreationTimestamp = Now.AddMinutes(-1), Annotations = annotations },
            Status = new V1PodStatus
            {
                Phase = phase,
                Conditions = condition is null ? null : [new V1PodCondition { Type = condition, Status = "True" }],
                ContainerStatuses = exitCode is null ? null :
                [
                    new V1ContainerStatus { Name = "main", Image = "busybox", ImageID = "", Ready = false, RestartCount = 0, State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = exitCode.Value } } },
                ],
            },
        };
    }

    private static V1PodFailurePolicy Policy(params V1PodFailurePolicyRule[] rules) => new() { Rules = rules };

    private static V1PodFailurePolicyRule ExitCodes(string action, string op, params int[] codes) =>
        new() { Action = action, OnExitCodes = new V1PodFailurePolicyOnExitCodesRequirement { OperatorProperty = op, Values = codes } };

    private static V1PodFailurePolicyRule Condition(string action, string type) =>
        new() { Action = action, OnPodConditions = [new V1PodFailurePolicyOnPodConditionsPattern { Type = type, Status = "True" }] };

    [Fact]
    public void FailJob_OnAnExitCode_FailsTheJobWithKubesReasonAndMessage_AndStopsItsPods()
    {
        var job = Job(failurePolicy: Policy(ExitCodes("FailJob", "In", 42)));
        var plan = JobPlanner.Plan(job, [Pod("a", "Failed", exitCode: 42), Pod("b")], Now, Now);
        var target = Assert.Single(plan.Status.Conditions, c => c.Type == "FailureTarget");
        Assert.Equal(("PodFailurePolicy", "Container main for pod ns/a failed with exit code 42 matching FailJob rule at index 0"), (target.Reason, target.Message));
        Assert.Equal(["b"], plan.Delete.Select(p => p.Metadata.Name));

        // Another exit code counts as an ordinary failure and is replaced.
        plan = JobPlanner.Plan(job, [Pod("a", "Failed", exitCode: 1), Pod("b")], Now, null);
        Assert.Null(plan.Status.Conditions);
        Assert.Equal((1, 2), (plan.Status.Failed!.Value, plan.CreateCount));
    }

    [Fact]
    public void Ignore_OnDisruptionTarget_DoesNotCountTowardsTheBackoffLimit_AndNotIn_MatchesOtherCodes()
    {
        var job = Job(failurePolicy: Policy(Condition("Ignore", "DisruptionTarget"), ExitCodes("Count", "NotIn", 0, 3)));
        var plan = JobPlanner.Plan(job, [Pod("a", "Failed", exitCode: 137, condition: "DisruptionTarget"), Pod("b"), Pod("c")], Now, null);
        Assert.Equal((0, 1), (plan.Status.Failed!.Value, plan.CreateCount));
        Assert.Equal("Count", JobPolicies.Match(job.Spec.PodFailurePolicy, Pod("d", "Failed", exitCode: 5))!.Action);
        Assert.Null(JobPolicies.Match(job.Spec.PodFailurePolicy, Pod("e", "Failed", exitCode: 3)));
        Assert.Equal("Pod ns/a has condition DisruptionTarget matching Ignore rule at index 0",
            JobPolicies.Match(job.Spec.PodFailurePolicy, Pod("a", "Failed", exitCode: 137, condition: "DisruptionTarget"))!.Message);
    }

    [Fact]
    public void SuccessPolicy_SucceedsOnTheRuleMet_AndStopsTheRest()
    {
        var job = Job(completions: 5, parallelism: 5, indexed: true, successPolicy: new V1SuccessPolicy
        {
            Rules = [new V1SuccessPolicyRule { SucceededIndexes = "0,4" }, new V1SuccessPolicyRule { SucceededIndexes = "1-3", SucceededCount = 2 }],
        });
        var plan = JobPlanner.Plan(job, [Pod("p0", "Succeeded", index: 0), Pod("p1", "Succeeded", index: 1), Pod("p2", index: 2), Pod("p3", "Succeeded", index: 3), Pod("p4", index: 4)], Now, null);
        var met = Assert.Single(plan.Status.Conditions, c => c.Type == "SuccessCriteriaMet");
        Assert.Equal(("SuccessPolicy", "Matched rules at index 1"), (met.Reason, met.Message));
        Assert.Equal(["p2", "p4"], plan.Delete.Select(p => p.Metadata.Name).Order());

        job.Status = plan.Status;
        plan = JobPlanner.Plan(job, [Pod("p0", "Succeeded", index: 0), Pod("p1", "Succeeded", index: 1), Pod("p3", "Succeeded", index: 3)], Now, null);
        var complete = Assert.Single(plan.Status.Conditions, c => c.Type == "Complete");
        Assert.Equal(("SuccessPolicy", "Matched rules at index 1"), (complete.Reason, complete.Message));
    }

    [Fact]
    public void BackoffLimitPerIndex_FailsAnIndexPastItsLimit_OthersGoOn_ThenFailedIndexes()
    {
        var job = Job(completions: 3, parallelism: 3, indexed: true, perIndex: 1);

        // Index 1 failed once: replaced, the replacement says so.
        var plan = JobPlanner.Plan(job, [Pod("a0", index: 0), Pod("a1", "Failed", exitCode: 1, index: 1), Pod("a2", index: 2)], Now, null);
        Assert.Equal([1], plan.CreateIndexes);
        Assert.Equal(1, plan.IndexFailures[1]);
        Assert.Equal("", plan.Status.FailedIndexes);

        // Its replacement failed too (2 > 1): the index is failed, not made again; the others finish.
        List<V1Pod> pods = [Pod("a0", "Succeeded", index: 0), Pod("b1", "Failed", exitCode: 1, index: 1, previousFailures: 1), Pod("a2", index: 2)];
        plan = JobPlanner.Plan(job, pods, Now, null);
        Assert.Equal(("1", 0), (plan.Status.FailedIndexes, plan.CreateIndexes.Count));
        Assert.Null(plan.Status.Conditions?.FirstOrDefault(c => c.Type == "FailureTarget"));

        pods[2] = Pod("a2", "Succeeded", index: 2);
        job.Status = plan.Status;
        plan = JobPlanner.Plan(job, pods, Now, null);
        var target = Assert.Single(plan.Status.Conditions, c => c.Type == "FailureTarget");
        Assert.Equal(("FailedIndexes", "Job has failed indexes"), (target.Reason, target.Message));
        Assert.Contains(plan.Status.Conditions, c => c.Type == "Failed" && c.Reason == "FailedIndexes");
        Assert.Equal("0,2", plan.Status.CompletedIndexes);
    }

    [Fact]
    public void FailIndex_AndMaxFailedIndexes_FailTheJob()
    {
        var job = Job(completions: 4, parallelism: 4, indexed: true, perIndex: 3, maxFailedIndexes: 1,
            failurePolicy: Policy(ExitCodes("FailIndex", "In", 7)));
        var plan = JobPlanner.Plan(job, [Pod("a0", "Failed", exitCode: 7, index: 0), Pod("a1", index: 1), Pod("a2", index: 2), Pod("a3", index: 3)], Now, null);
        Assert.Equal("0", plan.Status.FailedIndexes);
        Assert.Null(plan.Status.Conditions?.FirstOrDefault(c => c.Type == "FailureTarget"));

        plan = JobPlanner.Plan(job, [Pod("a0", "Failed", exitCode: 7, index: 0), Pod("a1", "Failed", exitCode: 7, index: 1), Pod("a2", index: 2), Pod("a3", index: 3)], Now, null);
        var target = Assert.Single(plan.Status.Conditions, c => c.Type == "FailureTarget");
        Assert.Equal(("MaxFailedIndexesExceeded", "Job has exceeded the specified maximal number of failed indexes"), (target.Reason, target.Message));
        Assert.Equal(2, plan.Delete.Count);
    }
}
