namespace Scheduler.Framework;

/// <summary>The outcome of one scheduling attempt: the chosen node, or why none.</summary>
public sealed record ScheduleResult(string? Host, FitError? Error, int EvaluatedNodes, int FeasibleNodes)
{
    public bool Scheduled => Host is not null;
}

/// <summary>
/// One pod against one snapshot (kube's schedulePod): PreFilter; then Filter over the nodes, starting
/// where the last cycle stopped and stopping once enough feasible nodes are found (all nodes below
/// 100; above, kube's adaptive share: 50% less 1% per 125 nodes, at least 5% and at least 100 nodes);
/// then Score; the highest total wins, ties broken at random. A pod nominated to a node tries that node first.
/// </summary>
public sealed class ScheduleAlgorithm(SchedulingFramework framework, int percentageOfNodesToScore = 0, Random? random = null)
{
    private const int MinFeasibleNodesToFind = 100;
    private const int MinFeasibleNodesPercentageToFind = 5;

    private readonly Random _random = random ?? Random.Shared;
    private int _nextStartNodeIndex;

    public SchedulingFramework Framework { get; } = framework;

    public ScheduleResult Schedule(CycleState state, PodInfo pod, Snapshot snapshot)
    {
        var nodes = snapshot.Nodes;
        if (nodes.Count == 0)
        {
            var none = new NodeStatuses();
            return new ScheduleResult(null, new FitError(0, none, FitError.NoNodesAvailable), 0, 0);
        }

        var statuses = new NodeStatuses();
        var preFilter = Framework.RunPreFilter(state, pod, snapshot);
        if (!preFilter.IsSuccess)
        {
            statuses.Absent = preFilter;
            return new ScheduleResult(null, new FitError(nodes.Count, statuses, preFilter.Message), 0, 0);
        }

        // A pod that preemption nominated to a node tries that node first.
        if (pod.Pod.Status?.NominatedNodeName is { Length: > 0 } nominated && snapshot.Get(nominated) is { Node: not null } nominatedNode)
        {
            if (Framework.RunFilterWithNominatedPods(state, pod, nominatedNode).IsSuccess)
            {
                return new ScheduleResult(nominated, null, 1, 1);
            }
        }

        var feasible = new List<NodeInfo>();
        var toFind = NumFeasibleNodesToFind(nodes.Count);
        var evaluated = 0;
        for (var i = 0; i < nodes.Count && feasible.Count < toFind; i++)
        {
            var node = nodes[(_nextStartNodeIndex + i) % nodes.Count];
            evaluated++;
            var status = Framework.RunFilterWithNominatedPods(state, pod, node);
            if (status.IsSuccess)
            {
                feasible.Add(node);
            }
            else
            {
                statuses.Set(node.Name, status);
            }
        }

        _nextStartNodeIndex = (_nextStartNodeIndex + evaluated) % nodes.Count;
        if (feasible.Count == 0)
        {
            return new ScheduleResult(null, new FitError(nodes.Count, statuses), evaluated, 0);
        }

        if (feasible.Count == 1)
        {
            return new ScheduleResult(feasible[0].Name, null, evaluated, 1);
        }

        var scores = Framework.RunScore(state, pod, feasible);
        return new ScheduleResult(SelectHost(feasible, scores), null, evaluated, feasible.Count);
    }

    /// <summary>How many feasible nodes are enough before scoring (numFeasibleNodesToFind).</summary>
    public int NumFeasibleNodesToFind(int numAllNodes)
    {
        if (numAllNodes < MinFeasibleNodesToFind)
        {
            return numAllNodes;
        }

        var percentage = percentageOfNodesToScore;
        if (percentage <= 0)
        {
            percentage = Math.Max(MinFeasibleNodesPercentageToFind, 50 - (numAllNodes / 125));
        }

        if (percentage >= 100)
        {
            return numAllNodes;
        }

        return Math.Max(MinFeasibleNodesToFind, numAllNodes * percentage / 100);
    }

    /// <summary>The node with the highest score; among equals, one chosen uniformly (reservoir sampling, as kube).</summary>
    private string SelectHost(List<NodeInfo> nodes, long[] scores)
    {
        var best = 0;
        var ties = 1;
        for (var i = 1; i < nodes.Count; i++)
        {
            if (scores[i] > scores[best])
            {
                best = i;
                ties = 1;
            }
            else if (scores[i] == scores[best])
            {
                ties++;
                if (_random.Next(ties) == 0)
                {
                    best = i;
                }
            }
        }

        return nodes[best].Name;
    }
}
