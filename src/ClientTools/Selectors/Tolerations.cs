using k8s.Models;

namespace ClientTools.Selectors;

/// <summary>Whether tolerations tolerate taints (v1 Toleration.ToleratesTaint), for the scheduler and the node and DaemonSet controllers.</summary>
public static class Tolerations
{
    /// <summary>
    /// Effects match when the toleration's is empty or equal; an empty key with Exists tolerates every
    /// key; Equal (the default operator) compares values, Exists ignores them.
    /// </summary>
    public static bool Tolerates(V1Toleration toleration, V1Taint taint)
    {
        if (!string.IsNullOrEmpty(toleration.Effect) && toleration.Effect != taint.Effect)
        {
            return false;
        }

        if (!string.IsNullOrEmpty(toleration.Key) && toleration.Key != taint.Key)
        {
            return false;
        }

        return toleration.OperatorProperty switch
        {
            "Exists" => true,
            null or "" or "Equal" => (toleration.Value ?? "") == (taint.Value ?? ""),
            _ => false,
        };
    }

    public static bool Tolerates(IEnumerable<V1Toleration>? tolerations, V1Taint taint) =>
        (tolerations ?? []).Any(t => Tolerates(t, taint));

    /// <summary>The first NoSchedule or NoExecute taint none of the tolerations tolerates, if any.</summary>
    public static V1Taint? FirstUntoleratedTaint(IEnumerable<V1Taint>? taints, IList<V1Toleration>? tolerations) =>
        (taints ?? []).FirstOrDefault(t => t.Effect is "NoSchedule" or "NoExecute" && !Tolerates(tolerations, t));
}
