using Scheduler.Framework;

namespace Scheduler.Plugins.NodeResourcesFit;

/// <summary>
/// Filter: the pod's requests (containers, the largest init step, overhead) must fit in the node's
/// allocatable minus what its pods already request, and the node must have room for one more pod.
/// Score (the default LeastAllocated strategy, cpu and memory weighted 1 each): the free share of each
/// resource after placing the pod, counting pods without requests at the scheduler's defaults.
/// </summary>
public sealed class NodeResourcesFit : IFilterPlugin, IScorePlugin
{
    public const string TooManyPods = "Too many pods";

    public string Name => "NodeResourcesFit";

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node)
    {
        var reasons = InsufficientResources(pod.Requests, node);
        return reasons.Count == 0 ? Status.Success : new Status(Code.Unschedulable, reasons);
    }

    /// <summary>The reasons, in kube's order: pods, cpu, memory, ephemeral-storage, then extended resources.</summary>
    public static List<string> InsufficientResources(Resource request, NodeInfo node)
    {
        var reasons = new List<string>();
        var allocatable = node.Allocatable;
        if (node.Pods.Count + 1 > allocatable.AllowedPodNumber)
        {
            reasons.Add(TooManyPods);
        }

        if (request.MilliCpu > 0 && request.MilliCpu > allocatable.MilliCpu - node.Requested.MilliCpu)
        {
            reasons.Add("Insufficient cpu");
        }

        if (request.Memory > 0 && request.Memory > allocatable.Memory - node.Requested.Memory)
        {
            reasons.Add("Insufficient memory");
        }

        if (request.EphemeralStorage > 0 && request.EphemeralStorage > allocatable.EphemeralStorage - node.Requested.EphemeralStorage)
        {
            reasons.Add("Insufficient ephemeral-storage");
        }

        foreach (var (name, quantity) in request.Scalars.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            if (quantity > 0 && quantity > allocatable.Scalars.GetValueOrDefault(name) - node.Requested.Scalars.GetValueOrDefault(name))
            {
                reasons.Add($"Insufficient {name}");
            }
        }

        return reasons;
    }

    public long Score(CycleState state, PodInfo pod, NodeInfo node)
    {
        // leastResourceScorer: Σ weight × (allocatable − requested) × 100 / allocatable, over Σ weight.
        long total = 0;
        long weights = 0;
        foreach (var (allocatable, requested) in Pairs(pod, node))
        {
            weights++;
            total += allocatable == 0 || requested > allocatable ? 0 : (allocatable - requested) * ScoreHelper.MaxNodeScore / allocatable;
        }

        return weights == 0 ? 0 : total / weights;
    }

    /// <summary>(allocatable, requested after placing the pod) for cpu and memory, with the scheduler's non-zero defaults.</summary>
    internal static IEnumerable<(long Allocatable, long Requested)> Pairs(PodInfo pod, NodeInfo node)
    {
        yield return (node.Allocatable.MilliCpu, node.NonZeroRequested.MilliCpu + pod.NonZeroRequests.MilliCpu);
        yield return (node.Allocatable.Memory, node.NonZeroRequested.Memory + pod.NonZeroRequests.Memory);
    }
}
