using ControllerManager.Disruption;
using k8s.Models;

namespace ControllerManager.Tests;

/// <summary>The disruption controller's arithmetic, as kube's disruption controller tests it.</summary>
public sealed class DisruptionTests
{
    private static readonly DateTime Now = new(2026, 12, 4, 3, 0, 0, DateTimeKind.Utc);

    private static V1PodDisruptionBudget Budget(string? minAvailable = null, string? maxUnavailable = null, long generation = 1, V1PodDisruptionBudgetStatus? status = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "pdb", NamespaceProperty = "ns", Generation = generation },
        Spec = new V1PodDisruptionBudgetSpec
        {
            MinAvailable = minAvailable is null ? null : (IntOrString)minAvailable,
            MaxUnavailable = maxUnavailable is null ? null : (IntOrString)maxUnavailable,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
        },
        Status = status,
    };

    private static V1Pod Pod(string name, bool ready = true, bool deleting = false, string app = "web") => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = "ns",
            Labels = new Dictionary<string, string> { ["app"] = app },
            DeletionTimestamp = deleting ? Now : null,
        },
        Status = new V1PodStatus { Phase = "Running", Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False" }] },
    };

    [Theory]
    [InlineData("2", null, 3, 5, 3, 2)] // an integer minAvailable: the pods found are expected
    [InlineData("50%", null, 3, 5, 5, 3)] // percentages round up against the controllers' scale
    [InlineData(null, "1", 3, 5, 5, 4)]
    [InlineData(null, "30%", 3, 5, 5, 3)] // 30% of 5 = 1.5 unavailable, rounded up to 2
    [InlineData(null, "200%", 3, 5, 5, 0)] // never below zero
    [InlineData(null, null, 3, 5, 0, 0)]
    public async Task ExpectedAndDesired_AsKubesGetExpectedPodCount(string? minAvailable, string? maxUnavailable, int pods, int scale, int expected, int desired)
    {
        var result = await BudgetStatus.ExpectedAndDesiredAsync(Budget(minAvailable, maxUnavailable), pods, () => Task.FromResult(scale));
        Assert.Equal((expected, desired), result);
    }

    [Fact]
    public async Task NonPercentString_IsKubesError()
    {
        var e = await Assert.ThrowsAsync<FormatException>(() => BudgetStatus.ExpectedAndDesiredAsync(Budget(maxUnavailable: "x%"), 1, () => Task.FromResult(1)));
        Assert.StartsWith("invalid value for IntOrString", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Healthy_ExcludesUnreadyDeletingAndRecentlyEvictedPods()
    {
        var budget = Budget("1", status: new V1PodDisruptionBudgetStatus
        {
            DisruptedPods = new Dictionary<string, DateTime?>
            {
                ["evicted"] = Now.AddSeconds(-30),
                ["expired"] = Now.AddMinutes(-3),
                ["deleting"] = Now.AddSeconds(-10),
                ["gone"] = Now.AddSeconds(-10),
            },
        });
        List<V1Pod> pods = [Pod("ok"), Pod("unready", ready: false), Pod("deleting", deleting: true), Pod("evicted"), Pod("expired")];
        var expired = new List<string>();
        var (disrupted, recheck) = BudgetStatus.DisruptedPods(budget, pods, Now, p => expired.Add(p.Metadata.Name));

        // Kept: only the recent eviction of a pod that is still there and not yet deleting.
        Assert.Equal(["evicted"], disrupted.Keys);
        Assert.Equal(["expired"], expired);
        Assert.Equal(Now.AddSeconds(90), recheck);
        Assert.Equal(2, BudgetStatus.CountHealthy(pods, disrupted, Now)); // ok and expired
    }

    [Fact]
    public void Desired_AllowsNothingWithoutExpectedPods_AndSetsKubesCondition()
    {
        var empty = new Dictionary<string, DateTime>();
        var none = BudgetStatus.Desired(Budget("0"), currentHealthy: 2, desiredHealthy: 0, expected: 0, empty, Now)!;
        Assert.Equal(0, none.DisruptionsAllowed);
        var c = Assert.Single(none.Conditions);
        Assert.Equal(("DisruptionAllowed", "False", "InsufficientPods", 1L, Now), (c.Type, c.Status, c.Reason, c.ObservedGeneration, c.LastTransitionTime));

        var budget = Budget("1", generation: 3, status: none);
        var some = BudgetStatus.Desired(budget, currentHealthy: 3, desiredHealthy: 1, expected: 3, empty, Now.AddMinutes(1))!;
        Assert.Equal((2, 3L), (some.DisruptionsAllowed, some.ObservedGeneration));
        c = Assert.Single(some.Conditions);
        Assert.Equal(("True", "SufficientPods", 3L, Now.AddMinutes(1)), (c.Status, c.Reason, c.ObservedGeneration, c.LastTransitionTime));

        // Written once: the same numbers again need no update.
        Assert.Null(BudgetStatus.Desired(Budget("1", generation: 3, status: some), 3, 1, 3, empty, Now.AddMinutes(2)));
    }

    [Fact]
    public void FailSafe_AllowsNothing_AndKeepsTheTransitionTimeWhileFalse()
    {
        var insufficient = BudgetStatus.Desired(Budget("5"), 2, 5, 2, new Dictionary<string, DateTime>(), Now)!;
        var failed = BudgetStatus.FailSafe(Budget("5", status: insufficient), "found no controllers for pod \"p\"", Now.AddMinutes(5));
        var c = Assert.Single(failed.Conditions);
        Assert.Equal(("False", "SyncFailed", "found no controllers for pod \"p\"", Now), (c.Status, c.Reason, c.Message, c.LastTransitionTime));
        Assert.Equal(0, failed.DisruptionsAllowed);
        Assert.False(BudgetStatus.ConditionsAreUpToDate(Budget("5", status: failed)));
    }

    [Fact]
    public void Selector_EmptyMatchesEveryPodInTheNamespace_MissingMatchesNone()
    {
        var budget = Budget("1");
        Assert.True(BudgetStatus.Selects(budget, Pod("a")));
        Assert.False(BudgetStatus.Selects(budget, Pod("b", app: "other")));
        budget.Spec.Selector = new V1LabelSelector();
        Assert.True(BudgetStatus.Selects(budget, Pod("b", app: "other")));
        budget.Spec.Selector = null;
        Assert.False(BudgetStatus.Selects(budget, Pod("a")));
        var elsewhere = Pod("a");
        elsewhere.Metadata.NamespaceProperty = "other";
        Assert.False(BudgetStatus.Selects(Budget("1"), elsewhere));
    }
}
