namespace Scheduler.Framework;

/// <summary>A scheduling framework plugin; each has a name, as in a KubeSchedulerConfiguration profile.</summary>
public interface IPlugin
{
    string Name { get; }
}

/// <summary>Runs once per cycle before the filters; may reject the pod outright, or tell the framework to skip its Filter.</summary>
public interface IPreFilterPlugin : IPlugin
{
    Status PreFilter(CycleState state, PodInfo pod, Snapshot snapshot);
}

/// <summary>
/// PreFilter state that must follow pods being added to or removed from a node during a dry run
/// (nominated pods, preemption victims) — framework.PreFilterExtensions.
/// </summary>
public interface IPreFilterExtensions : IPreFilterPlugin
{
    void AddPod(CycleState state, PodInfo pod, PodInfo added, NodeInfo node);

    void RemovePod(CycleState state, PodInfo pod, PodInfo removed, NodeInfo node);
}

/// <summary>Decides whether one node can take the pod.</summary>
public interface IFilterPlugin : IPlugin
{
    Status Filter(CycleState state, PodInfo pod, NodeInfo node);
}

/// <summary>Runs when no node passed the filters (preemption is one).</summary>
public interface IPostFilterPlugin : IPlugin
{
    PostFilterResult PostFilter(CycleState state, PodInfo pod, NodeStatuses statuses);
}

/// <summary>A PostFilter's outcome: the status and, for preemption, the node nominated for the pod.</summary>
public sealed record PostFilterResult(Status Status, string? NominatedNodeName = null);

/// <summary>Runs once per cycle before scoring, with the feasible nodes.</summary>
public interface IPreScorePlugin : IPlugin
{
    Status PreScore(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes);
}

/// <summary>Ranks a feasible node; scores are normalized to 0..100 and weighted by the profile.</summary>
public interface IScorePlugin : IPlugin
{
    long Score(CycleState state, PodInfo pod, NodeInfo node);

    /// <summary>Brings the raw scores (one per node of <paramref name="nodes"/>) to 0..100 (framework.ScoreExtensions); the default leaves them as they are.</summary>
    void NormalizeScore(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, long[] scores)
    {
    }
}

/// <summary>The status of every node a cycle looked at (framework.NodeToStatus).</summary>
public sealed class NodeStatuses
{
    private readonly Dictionary<string, Status> _statuses = new(StringComparer.Ordinal);

    /// <summary>The status of nodes the cycle did not name (when PreFilter rejected the pod for all of them).</summary>
    public Status Absent { get; set; } = Status.Unresolvable();

    public void Set(string node, Status status) => _statuses[node] = status;

    public Status Get(string node) => _statuses.TryGetValue(node, out var status) ? status : Absent;

    public int Count => _statuses.Count;

    public IEnumerable<KeyValuePair<string, Status>> Explicit => _statuses;
}

/// <summary>Helpers kube's plugins share for scores.</summary>
public static class ScoreHelper
{
    public const long MaxNodeScore = 100;

    /// <summary>helper.DefaultNormalizeScore: scales to 0..max by the largest score; reverse flips it.</summary>
    public static void DefaultNormalize(long[] scores, bool reverse, long maxPriority = MaxNodeScore)
    {
        long max = 0;
        foreach (var score in scores)
        {
            max = Math.Max(max, score);
        }

        if (max == 0)
        {
            if (reverse)
            {
                Array.Fill(scores, maxPriority);
            }

            return;
        }

        for (var i = 0; i < scores.Length; i++)
        {
            var score = maxPriority * scores[i] / max;
            scores[i] = reverse ? maxPriority - score : score;
        }
    }
}
