using Scheduler.Framework;

namespace Scheduler.Plugins.ImageLocality;

/// <summary>
/// Favors nodes that already hold the pod's images (node.status.images), weighing each image's size by
/// how widely it is spread over the cluster, between 23 MB and 1000 MB per container.
/// </summary>
public sealed class ImageLocality : IScorePlugin
{
    private const long Mb = 1024 * 1024;
    private const long MinThreshold = 23 * Mb;
    private const long MaxContainerThreshold = 1000 * Mb;

    private readonly Func<Snapshot> _snapshot;

    public ImageLocality(Func<Snapshot> snapshot) => _snapshot = snapshot;

    public string Name => "ImageLocality";

    public long Score(CycleState state, PodInfo pod, NodeInfo node)
    {
        var snapshot = _snapshot();
        var totalNodes = Math.Max(1, snapshot.Nodes.Count);
        var containers = (pod.Pod.Spec?.InitContainers ?? []).Concat(pod.Pod.Spec?.Containers ?? []).ToList();
        long sum = 0;
        foreach (var container in containers)
        {
            var name = Normalize(container.Image ?? "");
            if (node.Images.TryGetValue(name, out var size))
            {
                var spread = snapshot.ImageNodeCounts.GetValueOrDefault(name) / (double)totalNodes;
                sum += (long)(size * spread);
            }
        }

        var max = MaxContainerThreshold * Math.Max(1, containers.Count);
        sum = Math.Clamp(sum, MinThreshold, max);
        return ScoreHelper.MaxNodeScore * (sum - MinThreshold) / (max - MinThreshold);
    }

    /// <summary>kube's normalizedImageName: a name without a tag or digest gets ":latest".</summary>
    public static string Normalize(string image)
    {
        if (image.Contains('@', StringComparison.Ordinal))
        {
            return image;
        }

        var slash = image.LastIndexOf('/');
        return image.IndexOf(':', slash + 1) < 0 ? image + ":latest" : image;
    }
}
