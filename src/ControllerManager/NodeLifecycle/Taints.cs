using ClientTools.Selectors;
using k8s.Models;

namespace ControllerManager.NodeLifecycle;

/// <summary>The node taints kube's node controller manages, and how long tolerations let a pod stay.</summary>
internal static class Taints
{
    public const string NotReady = "node.kubernetes.io/not-ready";
    public const string Unreachable = "node.kubernetes.io/unreachable";
    public const string Unschedulable = "node.kubernetes.io/unschedulable";
    public const string NoSchedule = "NoSchedule";
    public const string NoExecute = "NoExecute";

    /// <summary>
    /// How long a pod may stay on a node with these NoExecute taints: null when some taint is not
    /// tolerated (evict now), <see cref="TimeSpan.MaxValue"/> when all are tolerated forever, else the
    /// shortest tolerationSeconds among the tolerations used (kube's getMinTolerationTime).
    /// </summary>
    public static TimeSpan? TolerationTime(IEnumerable<V1Taint> noExecuteTaints, IList<V1Toleration>? tolerations)
    {
        var min = TimeSpan.MaxValue;
        foreach (var taint in noExecuteTaints)
        {
            var used = (tolerations ?? []).Where(t => Tolerations.Tolerates(t, taint)).ToList();
            if (used.Count == 0)
            {
                return null;
            }

            foreach (var toleration in used)
            {
                if (toleration.TolerationSeconds is { } seconds)
                {
                    var time = seconds <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(seconds);
                    if (time < min)
                    {
                        min = time;
                    }
                }
            }
        }

        return min;
    }
}
