using System.Globalization;
using ControllerManager.Common;
using k8s.Models;

namespace ControllerManager.Disruption;

/// <summary>
/// The arithmetic of a PodDisruptionBudget's status as kube's disruption controller does it
/// (pkg/controller/disruption and component-helpers' poddisruptionbudget helpers), apart from the
/// caches and the API so it can be tested alone.
/// </summary>
internal static class BudgetStatus
{
    /// <summary>
    /// kube's DeletionTimeout: how long after an eviction put a pod in status.disruptedPods the pod
    /// must show a deletionTimestamp; until then it does not count as healthy, after that it does again.
    /// </summary>
    public static readonly TimeSpan DeletionTimeout = TimeSpan.FromMinutes(2);

    public const string DisruptionAllowedCondition = "DisruptionAllowed";
    public const string SufficientPodsReason = "SufficientPods";
    public const string InsufficientPodsReason = "InsufficientPods";
    public const string SyncFailedReason = "SyncFailed";

    /// <summary>Whether an int-or-string is a percentage ("50%"); anything else is read as an integer.</summary>
    public static bool IsPercent(IntOrString? value) => value?.Value?.EndsWith('%') == true;

    /// <summary>intstr.GetScaledValueFromIntOrPercent with kube's error for a string that is not a percentage.</summary>
    public static int Scaled(IntOrString value, int total, bool roundUp)
    {
        var text = value.Value ?? "";
        if (text.EndsWith('%'))
        {
            if (!int.TryParse(text[..^1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var percent))
            {
                throw new FormatException($"invalid value for IntOrString: invalid value \"{text}\": strconv.Atoi: parsing \"{text[..^1]}\": invalid syntax");
            }

            var exact = percent * (double)total / 100;
            return roundUp ? (int)Math.Ceiling(exact) : (int)Math.Floor(exact);
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
        {
            throw new FormatException($"invalid value for IntOrString: invalid type: string is not a percentage");
        }

        return n;
    }

    /// <summary>
    /// The pods a budget covers: those in its namespace its selector matches (policy/v1: an empty
    /// selector matches every pod, a missing one none).
    /// </summary>
    public static bool Selects(V1PodDisruptionBudget budget, V1Pod pod) =>
        budget.Metadata.NamespaceProperty == pod.Metadata.NamespaceProperty
        && LabelSelectors.Matches(budget.Spec?.Selector, pod.Metadata.Labels);

    /// <summary>
    /// getExpectedPodCount: with maxUnavailable, or a percentage minAvailable, the expected pods are the
    /// sum of the pods' controllers' scales (<paramref name="expectedScale"/>); with an integer
    /// minAvailable they are the pods found, and desiredHealthy is that integer.
    /// </summary>
    public static async Task<(int Expected, int DesiredHealthy)> ExpectedAndDesiredAsync(V1PodDisruptionBudget budget, int podCount, Func<Task<int>> expectedScale)
    {
        var spec = budget.Spec ?? new V1PodDisruptionBudgetSpec();
        if (spec.MaxUnavailable is { } maxUnavailable)
        {
            var expected = await expectedScale().ConfigureAwait(false);
            var desired = expected - Scaled(maxUnavailable, expected, roundUp: true);
            return (expected, Math.Max(0, desired));
        }

        if (spec.MinAvailable is { } minAvailable)
        {
            if (!IsPercent(minAvailable))
            {
                return (podCount, Scaled(minAvailable, 0, roundUp: true));
            }

            var expected = await expectedScale().ConfigureAwait(false);
            return (expected, Scaled(minAvailable, expected, roundUp: true));
        }

        return (0, 0);
    }

    /// <summary>
    /// buildDisruptedPodMap: the evictions in status.disruptedPods whose pod still exists without a
    /// deletionTimestamp and whose two minutes have not passed; and when to look again (the earliest
    /// of their deadlines). Entries past the deadline are dropped and reported to <paramref name="expired"/>.
    /// </summary>
    public static (Dictionary<string, DateTime> Disrupted, DateTime? RecheckAt) DisruptedPods(
        V1PodDisruptionBudget budget, IReadOnlyList<V1Pod> pods, DateTime now, Action<V1Pod>? expired = null)
    {
        var result = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        DateTime? recheck = null;
        var recorded = budget.Status?.DisruptedPods;
        if (recorded is null)
        {
            return (result, null);
        }

        foreach (var pod in pods)
        {
            if (pod.Metadata.DeletionTimestamp is not null || !recorded.TryGetValue(pod.Metadata.Name, out var recordedAt) || recordedAt is not { } at)
            {
                continue;
            }

            var deadline = at.ToUniversalTime() + DeletionTimeout;
            if (deadline < now)
            {
                expired?.Invoke(pod);
                continue;
            }

            result[pod.Metadata.Name] = at;
            if (recheck is null || deadline < recheck)
            {
                recheck = deadline;
            }
        }

        return (result, recheck);
    }

    /// <summary>countHealthyPods: ready pods that are neither being deleted nor recently evicted.</summary>
    public static int CountHealthy(IReadOnlyList<V1Pod> pods, IReadOnlyDictionary<string, DateTime> disrupted, DateTime now) =>
        pods.Count(pod => pod.Metadata.DeletionTimestamp is null
            && !(disrupted.TryGetValue(pod.Metadata.Name, out var at) && at.ToUniversalTime() + DeletionTimeout > now)
            && Pods.IsReady(pod));

    /// <summary>
    /// updatePdbStatus: the status the budget should have (null when it already has it). No disruption
    /// is allowed while no pods are expected, so a budget whose first pods just appeared is safe.
    /// </summary>
    public static V1PodDisruptionBudgetStatus? Desired(V1PodDisruptionBudget budget, int currentHealthy, int desiredHealthy, int expected,
        IReadOnlyDictionary<string, DateTime> disrupted, DateTime now)
    {
        var allowed = currentHealthy - desiredHealthy;
        if (expected <= 0 || allowed <= 0)
        {
            allowed = 0;
        }

        var status = budget.Status;
        var generation = budget.Metadata.Generation ?? 0;
        if (status is not null && status.CurrentHealthy == currentHealthy && status.DesiredHealthy == desiredHealthy
            && status.ExpectedPods == expected && status.DisruptionsAllowed == allowed
            && SameDisrupted(status.DisruptedPods, disrupted) && (status.ObservedGeneration ?? 0) == generation
            && ConditionsAreUpToDate(budget))
        {
            return null;
        }

        var updated = new V1PodDisruptionBudgetStatus
        {
            CurrentHealthy = currentHealthy,
            DesiredHealthy = desiredHealthy,
            ExpectedPods = expected,
            DisruptionsAllowed = allowed,
            DisruptedPods = disrupted.Count == 0 ? null : disrupted.ToDictionary(p => p.Key, p => (DateTime?)p.Value),
            ObservedGeneration = generation,
            Conditions = [.. (status?.Conditions ?? []).Select(CopyOf)],
        };
        var sufficient = allowed > 0;
        SetCondition(updated.Conditions, new V1Condition
        {
            Type = DisruptionAllowedCondition,
            Status = sufficient ? "True" : "False",
            Reason = sufficient ? SufficientPodsReason : InsufficientPodsReason,
            Message = "",
            ObservedGeneration = generation,
        }, now);
        return updated;
    }

    /// <summary>failSafe: when the status cannot be computed, allow no disruption and say why (SyncFailed).</summary>
    public static V1PodDisruptionBudgetStatus FailSafe(V1PodDisruptionBudget budget, string message, DateTime now)
    {
        var status = budget.Status ?? new V1PodDisruptionBudgetStatus();
        var failed = new V1PodDisruptionBudgetStatus
        {
            CurrentHealthy = status.CurrentHealthy,
            DesiredHealthy = status.DesiredHealthy,
            ExpectedPods = status.ExpectedPods,
            DisruptionsAllowed = 0,
            DisruptedPods = status.DisruptedPods,
            ObservedGeneration = status.ObservedGeneration,
            Conditions = [.. (status.Conditions ?? []).Select(CopyOf)],
        };
        SetCondition(failed.Conditions, new V1Condition
        {
            Type = DisruptionAllowedCondition,
            Status = "False",
            Reason = SyncFailedReason,
            Message = message,
            ObservedGeneration = status.ObservedGeneration,
        }, now);
        return failed;
    }

    /// <summary>pdbhelper.ConditionsAreUpToDate: the DisruptionAllowed condition agrees with disruptionsAllowed at this generation.</summary>
    public static bool ConditionsAreUpToDate(V1PodDisruptionBudget budget)
    {
        var condition = budget.Status?.Conditions?.FirstOrDefault(c => c.Type == DisruptionAllowedCondition);
        if (condition is null || (budget.Status!.ObservedGeneration ?? 0) != (budget.Metadata.Generation ?? 0))
        {
            return false;
        }

        return budget.Status.DisruptionsAllowed > 0
            ? condition.Status == "True" && condition.Reason == SufficientPodsReason
            : condition.Status == "False" && condition.Reason == InsufficientPodsReason;
    }

    /// <summary>apimeta.SetStatusCondition: the transition time moves only when the status changes.</summary>
    public static void SetCondition(IList<V1Condition> conditions, V1Condition condition, DateTime now)
    {
        var existing = conditions.FirstOrDefault(c => c.Type == condition.Type);
        if (existing is null)
        {
            condition.LastTransitionTime = now;
            conditions.Add(condition);
            return;
        }

        if (existing.Status != condition.Status)
        {
            existing.Status = condition.Status;
            existing.LastTransitionTime = now;
        }

        existing.Reason = condition.Reason;
        existing.Message = condition.Message;
        existing.ObservedGeneration = condition.ObservedGeneration;
    }

    private static V1Condition CopyOf(V1Condition c) => new()
    {
        Type = c.Type,
        Status = c.Status,
        Reason = c.Reason,
        Message = c.Message ?? "",
        ObservedGeneration = c.ObservedGeneration,
        LastTransitionTime = c.LastTransitionTime,
    };

    private static bool SameDisrupted(IDictionary<string, DateTime?>? recorded, IReadOnlyDictionary<string, DateTime> computed)
    {
        if ((recorded?.Count ?? 0) != computed.Count)
        {
            return false;
        }

        return computed.All(p => recorded!.TryGetValue(p.Key, out var at) && at?.ToUniversalTime() == p.Value.ToUniversalTime());
    }
}
