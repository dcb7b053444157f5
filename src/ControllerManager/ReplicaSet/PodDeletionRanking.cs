using System.Globalization;
using ControllerManager.Common;
using k8s.Models;

namespace ControllerManager.ReplicaSet;

/// <summary>
/// Which pods a replica set deletes first when it scales down (kube's getPodsToDelete with
/// ActivePodsWithRanks and the LogarithmicScaleDown and PodDeletionCost defaults): unscheduled before
/// scheduled, pending before unknown before running, not ready before ready, lower
/// controller.kubernetes.io/pod-deletion-cost first, pods doubled up on a node with related pods
/// first, then the more recently ready, the more restarted, and the newer (times compared in
/// power-of-two buckets, ties broken by uid).
/// </summary>
internal static class PodDeletionRanking
{
    public const string DeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost";

    /// <param name="pods">The replica set's active pods.</param>
    /// <param name="related">Active pods of the replica sets with the same controller as this one, this one's included.</param>
    public static List<V1Pod> PodsToDelete(IReadOnlyList<V1Pod> pods, IEnumerable<V1Pod> related, int diff, DateTime now)
    {
        if (diff >= pods.Count)
        {
            return [.. pods];
        }

        var onNode = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var pod in related.Where(Pods.IsActive))
        {
            var node = pod.Spec?.NodeName ?? "";
            onNode[node] = onNode.GetValueOrDefault(node) + 1;
        }

        var ranked = pods.Select(p => (Pod: p, Rank: onNode.GetValueOrDefault(p.Spec?.NodeName ?? ""))).ToList();
        ranked.Sort((a, b) => Compare(a.Pod, a.Rank, b.Pod, b.Rank, now));
        return [.. ranked.Take(diff).Select(r => r.Pod)];
    }

    /// <summary>Negative when <paramref name="a"/> should be deleted before <paramref name="b"/>.</summary>
    public static int Compare(V1Pod a, int rankA, V1Pod b, int rankB, DateTime now)
    {
        var nodeA = a.Spec?.NodeName ?? "";
        var nodeB = b.Spec?.NodeName ?? "";
        if (nodeA != nodeB && (nodeA.Length == 0 || nodeB.Length == 0))
        {
            return nodeA.Length == 0 ? -1 : 1;
        }

        var phase = PhaseOrdinal(a).CompareTo(PhaseOrdinal(b));
        if (phase != 0)
        {
            return phase;
        }

        var readyA = Pods.IsReady(a);
        var readyB = Pods.IsReady(b);
        if (readyA != readyB)
        {
            return readyA ? 1 : -1;
        }

        var cost = DeletionCost(a).CompareTo(DeletionCost(b));
        if (cost != 0)
        {
            return cost;
        }

        if (rankA != rankB)
        {
            return rankA > rankB ? -1 : 1;
        }

        if (readyA && readyB)
        {
            var timeA = Pods.Condition(a, "Ready")?.LastTransitionTime;
            var timeB = Pods.Condition(b, "Ready")?.LastTransitionTime;
            if (timeA != timeB)
            {
                var byTime = NewerFirst(timeA, timeB, a, b, now);
                if (byTime != 0)
                {
                    return byTime;
                }
            }
        }

        var restarts = MaxRestarts(b).CompareTo(MaxRestarts(a));
        if (restarts != 0)
        {
            return restarts;
        }

        var createdA = a.Metadata?.CreationTimestamp;
        var createdB = b.Metadata?.CreationTimestamp;
        return createdA != createdB ? NewerFirst(createdA, createdB, a, b, now) : 0;
    }

    private static int NewerFirst(DateTime? a, DateTime? b, V1Pod podA, V1Pod podB, DateTime now)
    {
        if (a is null || b is null)
        {
            // An empty time sorts first (kube's afterOrZero).
            return a is null ? (b is null ? 0 : -1) : 1;
        }

        var diff = Log2Bucket(now - a.Value) - Log2Bucket(now - b.Value);
        return diff != 0 ? diff : string.CompareOrdinal(podA.Metadata?.Uid, podB.Metadata?.Uid);
    }

    private static int Log2Bucket(TimeSpan age) => age.Ticks > 0 ? (int)Math.Log2(age.Ticks * 100.0) : -1;

    private static int PhaseOrdinal(V1Pod pod) => pod.Status?.Phase switch
    {
        "Pending" => 0,
        "Unknown" => 1,
        "Running" => 2,
        _ => 0,
    };

    private static int DeletionCost(V1Pod pod) =>
        pod.Metadata?.Annotations?.TryGetValue(DeletionCostAnnotation, out var text) == true
        && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var cost) ? cost : 0;

    private static int MaxRestarts(V1Pod pod) =>
        pod.Status?.ContainerStatuses?.Select(c => c.RestartCount).DefaultIfEmpty(0).Max() ?? 0;
}
