using ClientTools.Selectors;
using Scheduler.Framework;

namespace Scheduler.Plugins.TaintToleration;

/// <summary>
/// Filter: a node with a NoSchedule or NoExecute taint the pod does not tolerate is out (kube 1.35
/// reports it without naming the taint). Score: fewer untolerated PreferNoSchedule taints is better
/// (normalized in reverse).
/// </summary>
public sealed class TaintToleration : IFilterPlugin, IScorePlugin
{
    public const string ErrReasonNotMatch = "node(s) had untolerated taint(s)";

    public string Name => "TaintToleration";

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node) =>
        Tolerations.FirstUntoleratedTaint(node.Node?.Spec?.Taints, pod.Pod.Spec?.Tolerations) is null
            ? Status.Success
            : Status.Unresolvable(ErrReasonNotMatch);

    public long Score(CycleState state, PodInfo pod, NodeInfo node)
    {
        // Only tolerations with effect PreferNoSchedule or no effect count here.
        var tolerations = (pod.Pod.Spec?.Tolerations ?? []).Where(t => string.IsNullOrEmpty(t.Effect) || t.Effect == "PreferNoSchedule").ToList();
        return (node.Node?.Spec?.Taints ?? []).Count(t => t.Effect == "PreferNoSchedule" && !Tolerations.Tolerates(tolerations, t));
    }

    public void NormalizeScore(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, long[] scores) => ScoreHelper.DefaultNormalize(scores, reverse: true);
}
