namespace Scheduler.Framework;

/// <summary>
/// Why no node could take a pod, in kube-scheduler's words (framework.FitError):
/// "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu. preemption: ...".
/// Each node's reasons are counted, written "count reason" and sorted as strings; a PreFilter
/// rejection replaces the per-node reasons; the PostFilter's message (preemption's) follows.
/// </summary>
public sealed class FitError(int numAllNodes, NodeStatuses statuses, string preFilterMessage = "", string postFilterMessage = "")
{
    public const string NoNodesAvailable = "no nodes available to schedule pods";

    public int NumAllNodes { get; } = numAllNodes;

    public NodeStatuses Statuses { get; } = statuses;

    public string PreFilterMessage { get; } = preFilterMessage;

    public string PostFilterMessage { get; set; } = postFilterMessage;

    public override string ToString()
    {
        var message = $"0/{NumAllNodes} nodes are available:";
        if (PreFilterMessage.Length > 0)
        {
            message += $" {PreFilterMessage}.";
        }
        else
        {
            var reasons = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var (_, status) in Statuses.Explicit)
            {
                foreach (var reason in status.Reasons)
                {
                    reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
                }
            }

            if (Statuses.Count < NumAllNodes)
            {
                foreach (var reason in Statuses.Absent.Reasons)
                {
                    reasons[reason] = reasons.GetValueOrDefault(reason) + NumAllNodes - Statuses.Count;
                }
            }

            var histogram = reasons.Select(r => $"{r.Value} {r.Key}").Order(StringComparer.Ordinal).ToList();
            if (histogram.Count > 0)
            {
                message += $" {string.Join(", ", histogram)}.";
            }
        }

        if (PostFilterMessage.Length > 0)
        {
            message += $" {PostFilterMessage}";
        }

        return message;
    }
}
