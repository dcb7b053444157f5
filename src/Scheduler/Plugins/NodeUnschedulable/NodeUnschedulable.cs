using ClientTools.Selectors;
using Scheduler.Framework;
using k8s.Models;

namespace Scheduler.Plugins.NodeUnschedulable;

/// <summary>A cordoned node (spec.unschedulable) takes only pods tolerating node.kubernetes.io/unschedulable:NoSchedule.</summary>
public sealed class NodeUnschedulable : IFilterPlugin
{
    public const string ErrReasonUnschedulable = "node(s) were unschedulable";

    private static readonly V1Taint UnschedulableTaint = new() { Key = "node.kubernetes.io/unschedulable", Effect = "NoSchedule" };

    public string Name => "NodeUnschedulable";

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node)
    {
        if (node.Node?.Spec?.Unschedulable != true || Tolerations.Tolerates(pod.Pod.Spec?.Tolerations, UnschedulableTaint))
        {
            return Status.Success;
        }

        return Status.Unresolvable(ErrReasonUnschedulable);
    }
}
