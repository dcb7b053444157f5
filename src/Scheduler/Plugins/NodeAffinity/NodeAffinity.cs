using ClientTools.Selectors;
using Scheduler.Framework;

namespace Scheduler.Plugins.NodeAffinity;

/// <summary>
/// Filter: the pod's nodeSelector and required node affinity must match the node's labels (and, for
/// matchFields, its name). Score: the sum of the weights of the preferred terms the node matches,
/// normalized to 0..100.
/// </summary>
public sealed class NodeAffinity : IFilterPlugin, IScorePlugin
{
    public const string ErrReasonPod = "node(s) didn't match Pod's node affinity/selector";

    public string Name => "NodeAffinity";

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node) =>
        node.Node is { } n && Matches(pod, n) ? Status.Success : Status.Unresolvable(ErrReasonPod);

    /// <summary>nodeSelector and requiredDuringSchedulingIgnoredDuringExecution (component-helpers' RequiredNodeAffinity).</summary>
    public static bool Matches(PodInfo pod, k8s.Models.V1Node node) => NodeSelectors.PodMatchesNode(pod.Pod.Spec, node);

    public long Score(CycleState state, PodInfo pod, NodeInfo node)
    {
        if (node.Node is not { } n)
        {
            return 0;
        }

        long score = 0;
        foreach (var term in pod.Pod.Spec?.Affinity?.NodeAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? [])
        {
            if (term.Weight != 0 && term.Preference is { } preference && NodeSelectors.Matches(preference, n))
            {
                score += term.Weight;
            }
        }

        return score;
    }

    public void NormalizeScore(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, long[] scores) => ScoreHelper.DefaultNormalize(scores, reverse: false);
}
