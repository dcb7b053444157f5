namespace Scheduler.Framework;

/// <summary>
/// A profile: the scheduler name it serves and its plugins per extension point, in order, with score
/// weights (a KubeSchedulerConfiguration profile).
/// </summary>
public sealed class Profile
{
    public required string SchedulerName { get; init; }

    public List<IPreFilterPlugin> PreFilter { get; } = [];

    public List<IFilterPlugin> Filter { get; } = [];

    public List<IPostFilterPlugin> PostFilter { get; } = [];

    public List<IPreScorePlugin> PreScore { get; } = [];

    public List<(IScorePlugin Plugin, int Weight)> Score { get; } = [];
}

/// <summary>
/// Runs a profile's plugins for one pod (framework.frameworkImpl): PreFilter, Filter (also with the
/// pods nominated to a node accounted for), PreScore and Score with normalization and weights.
/// </summary>
public sealed class SchedulingFramework(Profile profile, Func<string, IReadOnlyList<PodInfo>>? nominatedPods = null)
{
    public Profile Profile { get; } = profile;

    /// <summary>Pods nominated to a node (by preemption) that are not bound yet.</summary>
    public Func<string, IReadOnlyList<PodInfo>> NominatedPods { get; } = nominatedPods ?? (_ => []);

    /// <summary>The first rejection or error of a PreFilter plugin; Skip marks the plugin's Filter to be skipped.</summary>
    public Status RunPreFilter(CycleState state, PodInfo pod, Snapshot snapshot)
    {
        foreach (var plugin in Profile.PreFilter)
        {
            var status = plugin.PreFilter(state, pod, snapshot);
            if (status.Code == Code.Skip)
            {
                state.SkipFilterPlugins.Add(plugin.Name);
                continue;
            }

            if (!status.IsSuccess)
            {
                return status.WithPlugin(plugin.Name);
            }
        }

        return Status.Success;
    }

    /// <summary>The first Filter plugin that does not pass the node decides (framework.RunFilterPlugins).</summary>
    public Status RunFilter(CycleState state, PodInfo pod, NodeInfo node)
    {
        foreach (var plugin in Profile.Filter)
        {
            if (state.SkipFilterPlugins.Contains(plugin.Name))
            {
                continue;
            }

            var status = plugin.Filter(state, pod, node);
            if (!status.IsSuccess)
            {
                return status.WithPlugin(plugin.Name);
            }
        }

        return Status.Success;
    }

    /// <summary>
    /// Filters a node twice when pods of equal or higher priority are nominated to it: once with them
    /// placed there (they will come back for that room) and once without (they might go elsewhere); the
    /// node passes only if both pass (framework.RunFilterPluginsWithNominatedPods).
    /// </summary>
    public Status RunFilterWithNominatedPods(CycleState state, PodInfo pod, NodeInfo node)
    {
        var nominated = NominatedPods(node.Name).Where(p => p.Key != pod.Key && p.Priority >= pod.Priority).ToList();
        if (nominated.Count == 0)
        {
            return RunFilter(state, pod, node);
        }

        var withState = state.Clone();
        var withNode = node.Clone();
        foreach (var other in nominated)
        {
            withNode.AddPod(other);
            RunAddPod(withState, pod, other, withNode);
        }

        var status = RunFilter(withState, pod, withNode);
        return status.IsSuccess ? RunFilter(state, pod, node) : status;
    }

    public void RunAddPod(CycleState state, PodInfo pod, PodInfo added, NodeInfo node)
    {
        foreach (var plugin in Profile.PreFilter)
        {
            if (plugin is IPreFilterExtensions extensions && !state.SkipFilterPlugins.Contains(plugin.Name))
            {
                extensions.AddPod(state, pod, added, node);
            }
        }
    }

    public void RunRemovePod(CycleState state, PodInfo pod, PodInfo removed, NodeInfo node)
    {
        foreach (var plugin in Profile.PreFilter)
        {
            if (plugin is IPreFilterExtensions extensions && !state.SkipFilterPlugins.Contains(plugin.Name))
            {
                extensions.RemovePod(state, pod, removed, node);
            }
        }
    }

    /// <summary>Each node's total score: every Score plugin's normalized score times its weight, summed.</summary>
    public long[] RunScore(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes)
    {
        foreach (var plugin in Profile.PreScore)
        {
            var status = plugin.PreScore(state, pod, nodes);
            if (status.Code == Code.Skip)
            {
                state.SkipScorePlugins.Add(plugin.Name);
            }
        }

        var totals = new long[nodes.Count];
        var scores = new long[nodes.Count];
        foreach (var (plugin, weight) in Profile.Score)
        {
            if (state.SkipScorePlugins.Contains(plugin.Name))
            {
                continue;
            }

            for (var i = 0; i < nodes.Count; i++)
            {
                scores[i] = plugin.Score(state, pod, nodes[i]);
            }

            plugin.NormalizeScore(state, pod, nodes, scores);
            for (var i = 0; i < nodes.Count; i++)
            {
                totals[i] += scores[i] * weight;
            }
        }

        return totals;
    }

    /// <summary>The per-plugin scores of one node, for logs and tests.</summary>
    public Dictionary<string, long> ScoreBreakdown(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, int index)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        var scores = new long[nodes.Count];
        foreach (var (plugin, weight) in Profile.Score)
        {
            if (state.SkipScorePlugins.Contains(plugin.Name))
            {
                continue;
            }

            for (var i = 0; i < nodes.Count; i++)
            {
                scores[i] = plugin.Score(state, pod, nodes[i]);
            }

            plugin.NormalizeScore(state, pod, nodes, scores);
            result[plugin.Name] = scores[index] * weight;
        }

        return result;
    }
}
