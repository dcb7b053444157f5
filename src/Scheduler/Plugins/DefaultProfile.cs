using Scheduler.Framework;
using Scheduler.Plugins.DefaultPreemption;

namespace Scheduler.Plugins;

/// <summary>
/// kube-scheduler's default profile, for the plugins this scheduler has (the volume and dynamic
/// resource plugins are not here: the simulated cluster has no storage or devices). Filters run in
/// kube's order; score weights are kube's defaults: TaintToleration 3, NodeAffinity 2,
/// PodTopologySpread 2, InterPodAffinity 2, NodeResourcesFit 1, NodeResourcesBalancedAllocation 1,
/// ImageLocality 1.
/// </summary>
public static class DefaultProfile
{
    public const string SchedulerName = "default-scheduler";

    public static Profile Create(Func<Snapshot> snapshot, Func<SchedulingFramework> framework, Func<IReadOnlyList<DisruptionBudget>> budgets, IPreemptionActions actions, string schedulerName = SchedulerName)
    {
        var nodeUnschedulable = new NodeUnschedulable.NodeUnschedulable();
        var nodeName = new NodeName.NodeName();
        var taints = new TaintToleration.TaintToleration();
        var nodeAffinity = new NodeAffinity.NodeAffinity();
        var ports = new NodePorts.NodePorts();
        var fit = new NodeResourcesFit.NodeResourcesFit();
        var spread = new PodTopologySpread.PodTopologySpread(snapshot);
        var interPod = new InterPodAffinity.InterPodAffinity(snapshot);
        var profile = new Profile { SchedulerName = schedulerName };
        profile.PreFilter.AddRange([spread, interPod]);
        profile.Filter.AddRange([nodeUnschedulable, nodeName, taints, nodeAffinity, ports, fit, spread, interPod]);
        profile.PostFilter.Add(new DefaultPreemption.DefaultPreemption(snapshot, framework, budgets, actions));
        profile.PreScore.AddRange([spread, interPod]);
        profile.Score.AddRange(
        [
            (taints, 3),
            (nodeAffinity, 2),
            (fit, 1),
            (spread, 2),
            (interPod, 2),
            (new NodeResourcesBalancedAllocation.NodeResourcesBalancedAllocation(), 1),
            (new ImageLocality.ImageLocality(snapshot), 1),
        ]);
        return profile;
    }
}
