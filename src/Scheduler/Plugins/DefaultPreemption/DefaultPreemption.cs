using ClientTools.Selectors;
using Scheduler.Framework;
using k8s.Models;

namespace Scheduler.Plugins.DefaultPreemption;

/// <summary>What preemption does to the cluster; the scheduler carries it out through the API.</summary>
public interface IPreemptionActions
{
    /// <summary>Marks the victim with a DisruptionTarget condition, deletes it and records a Preempted event.</summary>
    void Preempt(PodInfo preemptor, PodInfo victim, string node);

    /// <summary>Clears status.nominatedNodeName of pods that no longer fit on the node after the preemptor takes it.</summary>
    void ClearNomination(PodInfo pod);
}

/// <summary>A PodDisruptionBudget as preemption sees it: its namespace, selector and how many disruptions it still allows.</summary>
public sealed record DisruptionBudget(string Namespace, V1LabelSelector? Selector, int DisruptionsAllowed);

/// <summary>
/// Priority-based preemption (PostFilter), as kube's DefaultPreemption: when no node fits, look for a
/// node where removing pods of lower priority would let the pod fit. On each node that failed only
/// for resolvable reasons, all lower-priority pods are removed in a dry run; if the pod then fits, as
/// many of them as possible are given back, most important first (those whose PodDisruptionBudget
/// would be violated first). The node chosen has the fewest budget violations, then the lowest
/// highest victim priority, the lowest priority sum, the fewest victims, the most recently started
/// victims. The victims are deleted, lower-priority pods nominated there lose their nomination, and
/// the pod is nominated to the node (status.nominatedNodeName) to be scheduled when room appears.
/// </summary>
public sealed class DefaultPreemption(
    Func<Snapshot> snapshot,
    Func<SchedulingFramework> framework,
    Func<IReadOnlyList<DisruptionBudget>> budgets,
    IPreemptionActions actions) : IPostFilterPlugin
{
    public const string NotHelpful = "Preemption is not helpful for scheduling";
    public const string NoVictims = "No preemption victims found for incoming pod";

    /// <summary>minCandidateNodesAbsolute and minCandidateNodesPercentage defaults.</summary>
    private const int MinCandidateNodesAbsolute = 100;
    private const int MinCandidateNodesPercentage = 10;

    public string Name => "DefaultPreemption";

    public sealed record Candidate(string Node, List<PodInfo> Victims, int PdbViolations);

    public PostFilterResult PostFilter(CycleState state, PodInfo pod, NodeStatuses statuses)
    {
        var result = Preempt(state, pod, statuses);
        return result.Status.Reasons.Count > 0 && !result.Status.IsSuccess
            ? result with { Status = new Status(result.Status.Code, ["preemption: " + result.Status.Message], Name) }
            : result;
    }

    private PostFilterResult Preempt(CycleState state, PodInfo pod, NodeStatuses statuses)
    {
        if (pod.Pod.Spec?.PreemptionPolicy == "Never")
        {
            return new PostFilterResult(Status.Unschedulable("not eligible due to preemptionPolicy=Never."));
        }

        var snap = snapshot();
        if (pod.Pod.Status?.NominatedNodeName is { Length: > 0 } nominated &&
            statuses.Get(nominated).Code != Code.UnschedulableAndUnresolvable &&
            snap.Get(nominated) is { } nominatedNode &&
            nominatedNode.Pods.Any(p => p.Priority < pod.Priority && TerminatingByPreemption(p.Pod)))
        {
            return new PostFilterResult(Status.Unschedulable("not eligible due to a terminating pod on the nominated node."));
        }

        var all = snap.Nodes;
        var candidateStatuses = new NodeStatuses();
        var potential = new List<NodeInfo>();
        foreach (var node in all)
        {
            if (statuses.Get(node.Name).Code == Code.UnschedulableAndUnresolvable)
            {
                candidateStatuses.Set(node.Name, Status.Unresolvable(NotHelpful));
            }
            else
            {
                potential.Add(node);
            }
        }

        var candidates = new List<Candidate>();
        if (potential.Count > 0)
        {
            var wanted = Math.Min(potential.Count, Math.Max(MinCandidateNodesAbsolute, potential.Count * MinCandidateNodesPercentage / 100));
            var offset = Random.Shared.Next(potential.Count);
            var pdbs = budgets();
            for (var i = 0; i < potential.Count && candidates.Count < wanted; i++)
            {
                var node = potential[(offset + i) % potential.Count];
                var (victims, violations, status) = SelectVictimsOnNode(state.Clone(), pod, node.Clone(), pdbs);
                if (status.IsSuccess && victims.Count > 0)
                {
                    candidates.Add(new Candidate(node.Name, victims, violations));
                }
                else
                {
                    candidateStatuses.Set(node.Name, status.IsSuccess ? Status.Error($"expected at least one victim pod on node \"{node.Name}\"") : status);
                }
            }
        }

        if (candidates.Count == 0)
        {
            var error = new FitError(all.Count, candidateStatuses);
            return new PostFilterResult(Status.Unschedulable(error.ToString()), "");
        }

        var best = PickOneNode(candidates);
        foreach (var victim in best.Victims)
        {
            actions.Preempt(pod, victim, best.Node);
        }

        // Lower-priority pods nominated to this node may no longer fit there.
        foreach (var other in framework().NominatedPods(best.Node).Where(p => p.Priority < pod.Priority && p.Key != pod.Key))
        {
            actions.ClearNomination(other);
        }

        return new PostFilterResult(Status.Success, best.Node);
    }

    /// <summary>The fewest pods to remove from <paramref name="node"/> (a copy) so the pod fits, and how many of them have their budget violated.</summary>
    public (List<PodInfo> Victims, int PdbViolations, Status Status) SelectVictimsOnNode(CycleState state, PodInfo pod, NodeInfo node, IReadOnlyList<DisruptionBudget> pdbs)
    {
        var fw = framework();
        var potential = node.Pods.Where(p => p.Priority < pod.Priority).ToList();
        if (potential.Count == 0)
        {
            return ([], 0, Status.Unresolvable(NoVictims));
        }

        foreach (var victim in potential)
        {
            node.RemovePod(victim.Key);
            fw.RunRemovePod(state, pod, victim, node);
        }

        var status = fw.RunFilterWithNominatedPods(state, pod, node);
        if (!status.IsSuccess)
        {
            return ([], 0, status);
        }

        potential.Sort(MoreImportantFirst);
        var (violating, nonViolating) = SplitByBudget(potential, pdbs);
        var victims = new List<PodInfo>();
        var violations = 0;
        bool Reprieve(PodInfo p)
        {
            node.AddPod(p);
            fw.RunAddPod(state, pod, p, node);
            if (fw.RunFilterWithNominatedPods(state, pod, node).IsSuccess)
            {
                return true;
            }

            node.RemovePod(p.Key);
            fw.RunRemovePod(state, pod, p, node);
            victims.Add(p);
            return false;
        }

        foreach (var p in violating)
        {
            if (!Reprieve(p))
            {
                violations++;
            }
        }

        foreach (var p in nonViolating)
        {
            Reprieve(p);
        }

        victims.Sort(MoreImportantFirst);
        return (victims, violations, Status.Success);
    }

    /// <summary>pickOneNodeForPreemption's criteria, in order.</summary>
    public static Candidate PickOneNode(IReadOnlyList<Candidate> candidates)
    {
        IEnumerable<Candidate> best = candidates;
        best = MinBy(best, c => c.PdbViolations);
        best = MinBy(best, c => c.Victims.Count == 0 ? int.MinValue : c.Victims.Max(v => v.Priority));
        best = MinBy(best, c => c.Victims.Sum(v => (long)v.Priority + int.MaxValue + 1));
        best = MinBy(best, c => c.Victims.Count);
        // The latest start time among each node's highest-priority victims: prefer disturbing the newest.
        var list = best.ToList();
        if (list.Count > 1)
        {
            DateTime EarliestOfHighest(Candidate c)
            {
                var top = c.Victims.Max(v => v.Priority);
                return c.Victims.Where(v => v.Priority == top).Min(v => v.StartTime);
            }

            var latest = list.Max(EarliestOfHighest);
            list = [.. list.Where(c => EarliestOfHighest(c) == latest)];
        }

        return list[0];
    }

    private static IEnumerable<Candidate> MinBy<T>(IEnumerable<Candidate> candidates, Func<Candidate, T> key)
        where T : IComparable<T>
    {
        var list = candidates.ToList();
        var min = list.Min(key)!;
        return list.Where(c => key(c).CompareTo(min) == 0).ToList();
    }

    /// <summary>Higher priority first; among equals, the one started earlier is more important.</summary>
    private static int MoreImportantFirst(PodInfo a, PodInfo b)
    {
        var byPriority = b.Priority.CompareTo(a.Priority);
        return byPriority != 0 ? byPriority : a.StartTime.CompareTo(b.StartTime);
    }

    private static (List<PodInfo> Violating, List<PodInfo> NonViolating) SplitByBudget(List<PodInfo> pods, IReadOnlyList<DisruptionBudget> pdbs)
    {
        var allowed = pdbs.Select(p => p.DisruptionsAllowed).ToArray();
        var violating = new List<PodInfo>();
        var nonViolating = new List<PodInfo>();
        foreach (var pod in pods)
        {
            var violated = false;
            for (var i = 0; i < pdbs.Count; i++)
            {
                var pdb = pdbs[i];
                if (pdb.Namespace != pod.Namespace || pdb.Selector is null ||
                    (pdb.Selector.MatchLabels is not { Count: > 0 } && pdb.Selector.MatchExpressions is not { Count: > 0 }) ||
                    !LabelSelectors.Matches(pdb.Selector, pod.Pod.Metadata?.Labels))
                {
                    continue;
                }

                allowed[i]--;
                if (allowed[i] < 0)
                {
                    violated = true;
                }
            }

            (violated ? violating : nonViolating).Add(pod);
        }

        return (violating, nonViolating);
    }

    private static bool TerminatingByPreemption(V1Pod pod) =>
        pod.Metadata?.DeletionTimestamp is not null &&
        (pod.Status?.Conditions ?? []).FirstOrDefault(c => c.Type == "DisruptionTarget") is { Status: "True", Reason: "PreemptionByScheduler" };
}
