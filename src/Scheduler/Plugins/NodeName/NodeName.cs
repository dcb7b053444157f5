using Scheduler.Framework;

namespace Scheduler.Plugins.NodeName;

/// <summary>A pod that names a node (spec.nodeName) fits only that node.</summary>
public sealed class NodeName : IFilterPlugin
{
    public const string ErrReason = "node(s) didn't match the requested node name";

    public string Name => "NodeName";

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node) =>
        string.IsNullOrEmpty(pod.Pod.Spec?.NodeName) || pod.Pod.Spec.NodeName == node.Name
            ? Status.Success
            : Status.Unresolvable(ErrReason);
}
