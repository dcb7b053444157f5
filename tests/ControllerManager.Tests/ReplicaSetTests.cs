using ControllerManager.Common;
using ControllerManager.ReplicaSet;
using k8s.Models;

namespace ControllerManager.Tests;

public sealed class ReplicaSetTests
{
    private static readonly DateTime Now = new(2026, 12, 3, 12, 0, 0, DateTimeKind.Utc);

    private static V1Pod Pod(string name, string? node = null, string phase = "Running", bool ready = false, DateTime? readySince = null, DateTime? created = null, int restarts = 0, string? cost = null) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = "ns",
            Uid = "uid-" + name,
            CreationTimestamp = created ?? Now.AddHours(-1),
            Labels = new Dictionary<string, string> { ["app"] = "web" },
            Annotations = cost is null ? null : new Dictionary<string, string> { [PodDeletionRanking.DeletionCostAnnotation] = cost },
        },
        Spec = new V1PodSpec { NodeName = node },
        Status = new V1PodStatus
        {
            Phase = phase,
            Conditions = ready ? [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = readySince ?? Now.AddMinutes(-30) }] : null,
            ContainerStatuses = [new V1ContainerStatus { Name = "c", RestartCount = restarts }],
        },
    };

    public static TheoryData<string, V1Pod, V1Pod> DeletedFirst => new()
    {
        { "unscheduled before scheduled", Pod("a"), Pod("b", node: "n1") },
        { "pending before running", Pod("a", node: "n1", phase: "Pending"), Pod("b", node: "n1") },
        { "not ready before ready", Pod("a", node: "n1"), Pod("b", node: "n1", ready: true) },
        { "lower deletion cost first", Pod("a", node: "n1", ready: true, cost: "-5"), Pod("b", node: "n1", ready: true) },
        { "recently ready before long ready", Pod("a", node: "n1", ready: true, readySince: Now.AddSeconds(-10)), Pod("b", node: "n1", ready: true, readySince: Now.AddDays(-2)) },
        { "more restarts first", Pod("a", node: "n1", restarts: 5), Pod("b", node: "n1") },
        { "newer first", Pod("a", node: "n1", created: Now.AddSeconds(-5)), Pod("b", node: "n1", created: Now.AddDays(-3)) },
    };

    [Theory]
    [MemberData(nameof(DeletedFirst))]
    public void Ranking_DeletesInKubesOrder(string why, V1Pod first, V1Pod second)
    {
        Assert.True(PodDeletionRanking.Compare(first, 0, second, 0, Now) < 0, why);
        Assert.True(PodDeletionRanking.Compare(second, 0, first, 0, Now) > 0, why);
    }

    [Fact]
    public void PodsToDelete_PrefersPodsDoubledUpOnANode()
    {
        var pods = new[] { Pod("a", node: "n1", ready: true), Pod("b", node: "n2", ready: true), Pod("c", node: "n2", ready: true) };
        var victims = PodDeletionRanking.PodsToDelete(pods, pods, 1, Now);
        Assert.Equal("n2", Assert.Single(victims).Spec.NodeName);
    }

    [Fact]
    public void CalculateStatus_CountsAndReplicaFailure()
    {
        var rs = new V1ReplicaSet
        {
            Metadata = new V1ObjectMeta { Name = "web", Generation = 2 },
            Spec = new V1ReplicaSetSpec
            {
                Replicas = 3,
                MinReadySeconds = 60,
                Template = new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "web", ["tier"] = "x" } } },
            },
            Status = new V1ReplicaSetStatus { Replicas = 0 },
        };
        var pods = new List<V1Pod> { Pod("a", ready: true, readySince: Now.AddMinutes(-5)), Pod("b", ready: true, readySince: Now.AddSeconds(-5)), Pod("c") };
        pods[0].Metadata.Labels["tier"] = "x";

        var failed = ReplicaSetController.CalculateStatus(rs, pods, new InvalidOperationException("quota"), diff: -1, Now);
        Assert.Equal((3, 1, 2, 1), (failed.Replicas, failed.FullyLabeledReplicas, failed.ReadyReplicas, failed.AvailableReplicas));
        var condition = Assert.Single(failed.Conditions);
        Assert.Equal(("ReplicaFailure", "True", "FailedCreate", "quota"), (condition.Type, condition.Status, condition.Reason, condition.Message));

        rs.Status = failed;
        Assert.Null(ReplicaSetController.CalculateStatus(rs, pods, null, diff: 0, Now).Conditions);
    }

    [Fact]
    public void Expectations_WaitForObservedCreationsAndDeletions()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Now);
        var expectations = new ControllerExpectations(time);
        Assert.True(expectations.Satisfied("ns/web"));
        expectations.ExpectCreations("ns/web", 2);
        expectations.CreationObserved("ns/web");
        Assert.False(expectations.Satisfied("ns/web"));
        expectations.CreationObserved("ns/web");
        Assert.True(expectations.Satisfied("ns/web"));

        expectations.ExpectDeletions("ns/web", ["ns/a"]);
        expectations.DeletionObserved("ns/web", "ns/other");
        Assert.False(expectations.Satisfied("ns/web"));
        time.Advance(ControllerExpectations.Timeout + TimeSpan.FromSeconds(1));
        Assert.True(expectations.Satisfied("ns/web"));
    }
}
