using Scheduler.Framework;

namespace Scheduler.Plugins.InterPodAffinity;

/// <summary>
/// Pod affinity and anti-affinity. Filter (required terms), in kube's order: no existing pod's
/// anti-affinity may reject the pod in the node's domain; each of the pod's affinity terms needs a
/// matching pod in the node's domain (unless no pod anywhere matches and the pod matches its own terms:
/// the first of a group); none of its anti-affinity terms may match a pod in the node's domain.
/// Score (preferred terms, both the pod's and existing pods' towards it): weights summed per
/// topology domain, then scaled between the lowest and highest node to 0..100.
/// </summary>
public sealed class InterPodAffinity : IPreFilterExtensions, IFilterPlugin, IPreScorePlugin, IScorePlugin
{
    public const string ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules";
    public const string ErrReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules";
    public const string ErrReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules";

    private const string PreFilterKey = "PreFilterInterPodAffinity";
    private const string PreScoreKey = "PreScoreInterPodAffinity";

    /// <summary>kube-scheduler's hardPodAffinityWeight default: an existing pod's required affinity to this pod counts this much when scoring.</summary>
    private const int HardPodAffinityWeight = 1;

    private readonly Func<Snapshot> _snapshot;

    public InterPodAffinity(Func<Snapshot> snapshot) => _snapshot = snapshot;

    public string Name => "InterPodAffinity";

    private readonly record struct TopologyPair(string Key, string Value);

    private sealed class FilterState : IStateData
    {
        public Dictionary<TopologyPair, long> ExistingAntiAffinity { get; init; } = [];

        public Dictionary<TopologyPair, long> Affinity { get; init; } = [];

        public Dictionary<TopologyPair, long> AntiAffinity { get; init; } = [];

        public IStateData Clone() => new FilterState
        {
            ExistingAntiAffinity = new(ExistingAntiAffinity),
            Affinity = new(Affinity),
            AntiAffinity = new(AntiAffinity),
        };
    }

    private sealed class ScoreState : IStateData
    {
        public Dictionary<TopologyPair, long> Scores { get; } = [];

        public IStateData Clone() => this;
    }

    public Status PreFilter(CycleState state, PodInfo pod, Snapshot snapshot)
    {
        var s = new FilterState();
        var podNamespaceLabels = snapshot.NamespaceLabels(pod.Namespace);
        foreach (var node in snapshot.HavePodsWithRequiredAntiAffinity)
        {
            foreach (var existing in node.PodsWithRequiredAntiAffinity)
            {
                CountExistingAntiAffinity(s, existing, pod, node, podNamespaceLabels, +1);
            }
        }

        if (pod.RequiredAffinityTerms.Count > 0 || pod.RequiredAntiAffinityTerms.Count > 0)
        {
            foreach (var node in snapshot.Nodes)
            {
                foreach (var existing in node.Pods)
                {
                    CountIncoming(s, pod, existing, node, snapshot, +1);
                }
            }
        }

        state.Write(PreFilterKey, s);
        return Status.Success;
    }

    public void AddPod(CycleState state, PodInfo pod, PodInfo added, NodeInfo node) => Adjust(state, pod, added, node, +1);

    public void RemovePod(CycleState state, PodInfo pod, PodInfo removed, NodeInfo node) => Adjust(state, pod, removed, node, -1);

    private void Adjust(CycleState state, PodInfo pod, PodInfo other, NodeInfo node, int delta)
    {
        if (state.Read<FilterState>(PreFilterKey) is not { } s)
        {
            return;
        }

        var snapshot = _snapshot();
        CountExistingAntiAffinity(s, other, pod, node, snapshot.NamespaceLabels(pod.Namespace), delta);
        CountIncoming(s, pod, other, node, snapshot, delta);
    }

    private static void CountExistingAntiAffinity(FilterState s, PodInfo existing, PodInfo pod, NodeInfo node, IDictionary<string, string>? podNamespaceLabels, int delta)
    {
        foreach (var term in existing.RequiredAntiAffinityTerms)
        {
            if (term.Matches(pod.Pod, podNamespaceLabels) && node.Labels.TryGetValue(term.TopologyKey, out var value))
            {
                Add(s.ExistingAntiAffinity, new TopologyPair(term.TopologyKey, value), delta);
            }
        }
    }

    private static void CountIncoming(FilterState s, PodInfo pod, PodInfo existing, NodeInfo node, Snapshot snapshot, int delta)
    {
        var labels = snapshot.NamespaceLabels(existing.Namespace);
        if (pod.RequiredAffinityTerms.Count > 0 && pod.RequiredAffinityTerms.All(t => t.Matches(existing.Pod, labels)))
        {
            foreach (var term in pod.RequiredAffinityTerms)
            {
                if (node.Labels.TryGetValue(term.TopologyKey, out var value))
                {
                    Add(s.Affinity, new TopologyPair(term.TopologyKey, value), delta);
                }
            }
        }

        foreach (var term in pod.RequiredAntiAffinityTerms)
        {
            if (term.Matches(existing.Pod, labels) && node.Labels.TryGetValue(term.TopologyKey, out var value))
            {
                Add(s.AntiAffinity, new TopologyPair(term.TopologyKey, value), delta);
            }
        }
    }

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node)
    {
        if (state.Read<FilterState>(PreFilterKey) is not { } s)
        {
            return Status.Success;
        }

        foreach (var (key, value) in node.Labels)
        {
            if (s.ExistingAntiAffinity.GetValueOrDefault(new TopologyPair(key, value)) > 0)
            {
                return Status.Unschedulable(ErrReasonExistingAntiAffinityRulesNotMatch);
            }
        }

        if (!SatisfiesAffinity(s, pod, node))
        {
            return Status.Unresolvable(ErrReasonAffinityRulesNotMatch);
        }

        foreach (var term in pod.RequiredAntiAffinityTerms)
        {
            if (node.Labels.TryGetValue(term.TopologyKey, out var value) && s.AntiAffinity.GetValueOrDefault(new TopologyPair(term.TopologyKey, value)) > 0)
            {
                return Status.Unschedulable(ErrReasonAntiAffinityRulesNotMatch);
            }
        }

        return Status.Success;
    }

    private bool SatisfiesAffinity(FilterState s, PodInfo pod, NodeInfo node)
    {
        var podsExist = true;
        foreach (var term in pod.RequiredAffinityTerms)
        {
            if (!node.Labels.TryGetValue(term.TopologyKey, out var value))
            {
                return false; // every topology key must be on the node
            }

            if (s.Affinity.GetValueOrDefault(new TopologyPair(term.TopologyKey, value)) <= 0)
            {
                podsExist = false;
            }
        }

        if (podsExist)
        {
            return true;
        }

        // The first pod of a group with affinity to itself: nothing matches anywhere yet, and it matches its own terms.
        var ownLabels = _snapshot().NamespaceLabels(pod.Namespace);
        return s.Affinity.Values.All(v => v <= 0) && pod.RequiredAffinityTerms.All(t => t.Matches(pod.Pod, ownLabels));
    }

    public Status PreScore(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes)
    {
        var snapshot = _snapshot();
        var hasPreferences = pod.PreferredAffinityTerms.Count > 0 || pod.PreferredAntiAffinityTerms.Count > 0;
        var candidates = hasPreferences ? snapshot.Nodes : snapshot.HavePodsWithAffinity;
        if (candidates.Count == 0)
        {
            state.SkipScorePlugins.Add(Name);
            return Status.Skip;
        }

        var s = new ScoreState();
        var podNamespaceLabels = snapshot.NamespaceLabels(pod.Namespace);
        foreach (var node in candidates)
        {
            var existingPods = hasPreferences ? node.Pods : node.PodsWithAffinity;
            foreach (var existing in existingPods)
            {
                var existingNamespaceLabels = snapshot.NamespaceLabels(existing.Namespace);
                foreach (var (term, weight) in pod.PreferredAffinityTerms)
                {
                    Score(s, node, term, existing.Pod, existingNamespaceLabels, weight);
                }

                foreach (var (term, weight) in pod.PreferredAntiAffinityTerms)
                {
                    Score(s, node, term, existing.Pod, existingNamespaceLabels, -weight);
                }

                foreach (var term in existing.RequiredAffinityTerms)
                {
                    Score(s, node, term, pod.Pod, podNamespaceLabels, HardPodAffinityWeight);
                }

                foreach (var (term, weight) in existing.PreferredAffinityTerms)
                {
                    Score(s, node, term, pod.Pod, podNamespaceLabels, weight);
                }

                foreach (var (term, weight) in existing.PreferredAntiAffinityTerms)
                {
                    Score(s, node, term, pod.Pod, podNamespaceLabels, -weight);
                }
            }
        }

        if (s.Scores.Count == 0)
        {
            state.SkipScorePlugins.Add(Name);
            return Status.Skip;
        }

        state.Write(PreScoreKey, s);
        return Status.Success;
    }

    private static void Score(ScoreState s, NodeInfo node, AffinityTerm term, k8s.Models.V1Pod target, IDictionary<string, string>? targetNamespaceLabels, int weight)
    {
        if (weight != 0 && term.Matches(target, targetNamespaceLabels) && node.Labels.TryGetValue(term.TopologyKey, out var value))
        {
            Add(s.Scores, new TopologyPair(term.TopologyKey, value), weight);
        }
    }

    public long Score(CycleState state, PodInfo pod, NodeInfo node)
    {
        if (state.Read<ScoreState>(PreScoreKey) is not { } s)
        {
            return 0;
        }

        long score = 0;
        foreach (var (key, value) in node.Labels)
        {
            score += s.Scores.GetValueOrDefault(new TopologyPair(key, value));
        }

        return score;
    }

    public void NormalizeScore(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, long[] scores)
    {
        if (scores.Length == 0)
        {
            return;
        }

        var min = scores.Min();
        var max = scores.Max();
        var range = max - min;
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = range > 0 ? (long)(ScoreHelper.MaxNodeScore * ((scores[i] - min) / (double)range)) : 0;
        }
    }

    private static void Add(Dictionary<TopologyPair, long> counts, TopologyPair pair, long delta) =>
        counts[pair] = counts.GetValueOrDefault(pair) + delta;
}
