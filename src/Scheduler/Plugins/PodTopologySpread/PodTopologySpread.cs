using ClientTools.Selectors;
using Scheduler.Framework;
using k8s.Models;

namespace Scheduler.Plugins.PodTopologySpread;

/// <summary>
/// topologySpreadConstraints. Filter (whenUnsatisfiable: DoNotSchedule): placing the pod must not make
/// the number of matching pods in the node's domain exceed the least-loaded domain's by more than
/// maxSkew (with minDomains, missing domains count as empty). Score (ScheduleAnyway): fewer matching
/// pods in the node's domains is better, each constraint weighted by the log of its domain count.
/// Domains are the values of topologyKey among nodes that pass the pod's node affinity
/// (nodeAffinityPolicy Honor, the default) and, with nodeTaintsPolicy Honor, its tolerations.
/// kube's system default constraints (spreading a Service's or ReplicaSet's pods when the pod has none)
/// are not applied here.
/// </summary>
public sealed class PodTopologySpread : IPreFilterExtensions, IFilterPlugin, IPreScorePlugin, IScorePlugin
{
    public const string ErrReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints";
    public const string ErrReasonNodeLabelNotMatch = ErrReasonConstraintsNotMatch + " (missing required label)";

    private const string PreFilterKey = "PreFilterPodTopologySpread";
    private const string PreScoreKey = "PreScorePodTopologySpread";

    private readonly Func<Snapshot> _snapshot;

    public PodTopologySpread(Func<Snapshot> snapshot) => _snapshot = snapshot;

    public string Name => "PodTopologySpread";

    private sealed record Constraint(string TopologyKey, int MaxSkew, V1LabelSelector? Selector, int MinDomains, bool HonorAffinity, bool HonorTaints, bool SelfMatch);

    private sealed class FilterState(List<Constraint> constraints) : IStateData
    {
        public List<Constraint> Constraints { get; } = constraints;

        public List<Dictionary<string, int>> Counts { get; init; } = [];

        public IStateData Clone() => new FilterState(Constraints) { Counts = [.. Counts.Select(c => new Dictionary<string, int>(c, StringComparer.Ordinal))] };
    }

    private sealed class ScoreState(List<Constraint> constraints) : IStateData
    {
        public List<Constraint> Constraints { get; } = constraints;

        public List<Dictionary<string, long>> Counts { get; } = [];

        public List<double> Weights { get; } = [];

        public HashSet<string> Ignored { get; } = new(StringComparer.Ordinal);

        public IStateData Clone() => this;
    }

    public Status PreFilter(CycleState state, PodInfo pod, Snapshot snapshot)
    {
        var constraints = Constraints(pod, "DoNotSchedule");
        if (constraints.Count == 0)
        {
            return Status.Skip;
        }

        var filterState = new FilterState(constraints);
        foreach (var _ in constraints)
        {
            filterState.Counts.Add(new Dictionary<string, int>(StringComparer.Ordinal));
        }

        foreach (var node in snapshot.Nodes)
        {
            if (!Eligible(pod, node, constraints) || !HasAllKeys(node, constraints))
            {
                continue;
            }

            for (var i = 0; i < constraints.Count; i++)
            {
                var value = node.Labels[constraints[i].TopologyKey];
                filterState.Counts[i][value] = filterState.Counts[i].GetValueOrDefault(value) + CountMatching(node, pod, constraints[i]);
            }
        }

        state.Write(PreFilterKey, filterState);
        return Status.Success;
    }

    public void AddPod(CycleState state, PodInfo pod, PodInfo added, NodeInfo node) => Adjust(state, pod, added, node, +1);

    public void RemovePod(CycleState state, PodInfo pod, PodInfo removed, NodeInfo node) => Adjust(state, pod, removed, node, -1);

    private void Adjust(CycleState state, PodInfo pod, PodInfo other, NodeInfo node, int delta)
    {
        if (state.Read<FilterState>(PreFilterKey) is not { } s || !Eligible(pod, node, s.Constraints) || !HasAllKeys(node, s.Constraints))
        {
            return;
        }

        for (var i = 0; i < s.Constraints.Count; i++)
        {
            if (other.Namespace == pod.Namespace && other.Pod.Metadata?.DeletionTimestamp is null && LabelSelectors.Matches(s.Constraints[i].Selector, other.Pod.Metadata?.Labels))
            {
                var value = node.Labels[s.Constraints[i].TopologyKey];
                s.Counts[i][value] = s.Counts[i].GetValueOrDefault(value) + delta;
            }
        }
    }

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node)
    {
        if (state.Read<FilterState>(PreFilterKey) is not { } s)
        {
            return Status.Success;
        }

        for (var i = 0; i < s.Constraints.Count; i++)
        {
            var constraint = s.Constraints[i];
            if (!node.Labels.TryGetValue(constraint.TopologyKey, out var value))
            {
                return Status.Unresolvable(ErrReasonNodeLabelNotMatch);
            }

            var counts = s.Counts[i];
            var min = counts.Count == 0 ? 0 : counts.Values.Min();
            if (counts.Count < constraint.MinDomains)
            {
                min = 0;
            }

            var skew = counts.GetValueOrDefault(value) + (constraint.SelfMatch ? 1 : 0) - min;
            if (skew > constraint.MaxSkew)
            {
                return Status.Unschedulable(ErrReasonConstraintsNotMatch);
            }
        }

        return Status.Success;
    }

    public Status PreScore(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes)
    {
        var constraints = Constraints(pod, "ScheduleAnyway");
        if (constraints.Count == 0)
        {
            state.SkipScorePlugins.Add(Name);
            return Status.Skip;
        }

        var scoreState = new ScoreState(constraints);
        var domains = constraints.Select(_ => new HashSet<string>(StringComparer.Ordinal)).ToList();
        foreach (var node in nodes)
        {
            if (!HasAllKeys(node, constraints))
            {
                scoreState.Ignored.Add(node.Name);
                continue;
            }

            for (var i = 0; i < constraints.Count; i++)
            {
                domains[i].Add(node.Labels[constraints[i].TopologyKey]);
            }
        }

        for (var i = 0; i < constraints.Count; i++)
        {
            var counts = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var node in _snapshot().Nodes)
            {
                if (!Eligible(pod, node, constraints) || !node.Labels.TryGetValue(constraints[i].TopologyKey, out var value) || !domains[i].Contains(value))
                {
                    continue;
                }

                counts[value] = counts.GetValueOrDefault(value) + CountMatching(node, pod, constraints[i]);
            }

            scoreState.Counts.Add(counts);
            scoreState.Weights.Add(Math.Log(domains[i].Count + 2));
        }

        state.Write(PreScoreKey, scoreState);
        return Status.Success;
    }

    public long Score(CycleState state, PodInfo pod, NodeInfo node)
    {
        if (state.Read<ScoreState>(PreScoreKey) is not { } s || s.Ignored.Contains(node.Name))
        {
            return 0;
        }

        double score = 0;
        for (var i = 0; i < s.Constraints.Count; i++)
        {
            if (node.Labels.TryGetValue(s.Constraints[i].TopologyKey, out var value))
            {
                score += (s.Counts[i].GetValueOrDefault(value) * s.Weights[i]) + (s.Constraints[i].MaxSkew - 1);
            }
        }

        return (long)Math.Round(score);
    }

    public void NormalizeScore(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, long[] scores)
    {
        if (state.Read<ScoreState>(PreScoreKey) is not { } s)
        {
            return;
        }

        // Ignored nodes score 0; the rest are flipped so the least crowded domain gets 100.
        long min = long.MaxValue;
        long max = long.MinValue;
        for (var i = 0; i < scores.Length; i++)
        {
            if (s.Ignored.Contains(nodes[i].Name))
            {
                continue;
            }

            min = Math.Min(min, scores[i]);
            max = Math.Max(max, scores[i]);
        }

        for (var i = 0; i < scores.Length; i++)
        {
            if (s.Ignored.Contains(nodes[i].Name))
            {
                scores[i] = 0;
            }
            else
            {
                scores[i] = max <= 0 ? ScoreHelper.MaxNodeScore : ScoreHelper.MaxNodeScore * (max + min - scores[i]) / max;
            }
        }
    }

    private static List<Constraint> Constraints(PodInfo pod, string whenUnsatisfiable) =>
        [.. (pod.Pod.Spec?.TopologySpreadConstraints ?? [])
            .Where(c => c.WhenUnsatisfiable == whenUnsatisfiable)
            .Select(c =>
            {
                var selector = WithMatchLabelKeys(c.LabelSelector, c.MatchLabelKeys, pod.Pod.Metadata?.Labels);
                return new Constraint(c.TopologyKey, c.MaxSkew, selector, c.MinDomains ?? 1,
                    (c.NodeAffinityPolicy ?? "Honor") == "Honor", c.NodeTaintsPolicy == "Honor",
                    LabelSelectors.Matches(selector, pod.Pod.Metadata?.Labels));
            })];

    /// <summary>matchLabelKeys: the pod's own values for those keys narrow the selector.</summary>
    private static V1LabelSelector? WithMatchLabelKeys(V1LabelSelector? selector, IList<string>? keys, IDictionary<string, string>? labels)
    {
        if (selector is null || keys is null || keys.Count == 0 || labels is null)
        {
            return selector;
        }

        var expressions = new List<V1LabelSelectorRequirement>(selector.MatchExpressions ?? []);
        foreach (var key in keys)
        {
            if (labels.TryGetValue(key, out var value))
            {
                expressions.Add(new V1LabelSelectorRequirement { Key = key, OperatorProperty = "In", Values = [value] });
            }
        }

        return new V1LabelSelector { MatchLabels = selector.MatchLabels, MatchExpressions = expressions };
    }

    private static bool Eligible(PodInfo pod, NodeInfo node, List<Constraint> constraints)
    {
        if (node.Node is not { } n)
        {
            return false;
        }

        if (constraints.Any(c => c.HonorAffinity) && !NodeAffinity.NodeAffinity.Matches(pod, n))
        {
            return false;
        }

        return !constraints.Any(c => c.HonorTaints) || Tolerations.FirstUntoleratedTaint(n.Spec?.Taints, pod.Pod.Spec?.Tolerations) is null;
    }

    private static bool HasAllKeys(NodeInfo node, List<Constraint> constraints) =>
        constraints.All(c => node.Labels.ContainsKey(c.TopologyKey));

    private static int CountMatching(NodeInfo node, PodInfo pod, Constraint constraint) =>
        node.Pods.Count(p => p.Namespace == pod.Namespace && p.Pod.Metadata?.DeletionTimestamp is null && LabelSelectors.Matches(constraint.Selector, p.Pod.Metadata?.Labels));
}
