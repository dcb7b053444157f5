using Scheduler.Framework;

namespace Scheduler.Plugins.NodeResourcesBalancedAllocation;

/// <summary>
/// Favors nodes whose cpu and memory would be used in equal shares after placing the pod:
/// score = (1 − standard deviation of the requested fractions) × 100.
/// </summary>
public sealed class NodeResourcesBalancedAllocation : IScorePlugin
{
    public string Name => "NodeResourcesBalancedAllocation";

    public long Score(CycleState state, PodInfo pod, NodeInfo node)
    {
        var fractions = new List<double>(2);
        foreach (var (allocatable, requested) in NodeResourcesFit.NodeResourcesFit.Pairs(pod, node))
        {
            if (allocatable == 0)
            {
                continue;
            }

            fractions.Add(Math.Min(1, requested / (double)allocatable));
        }

        double std = 0;
        if (fractions.Count == 2)
        {
            std = Math.Abs(fractions[0] - fractions[1]) / 2;
        }
        else if (fractions.Count > 2)
        {
            var mean = fractions.Average();
            std = Math.Sqrt(fractions.Sum(f => (f - mean) * (f - mean)) / fractions.Count);
        }

        return (long)((1 - std) * ScoreHelper.MaxNodeScore);
    }
}
