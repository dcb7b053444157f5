using Scheduler.Framework;

namespace Scheduler.Plugins.NodePorts;

/// <summary>The host ports the pod asks for must be free on the node (same protocol and port, overlapping IP).</summary>
public sealed class NodePorts : IFilterPlugin
{
    public const string ErrReason = "node(s) didn't have free ports for the requested pod ports";

    public string Name => "NodePorts";

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node)
    {
        foreach (var wanted in pod.HostPorts)
        {
            foreach (var used in node.UsedPorts)
            {
                if (wanted.ConflictsWith(used))
                {
                    return Status.Unschedulable(ErrReason);
                }
            }
        }

        return Status.Success;
    }
}
