using k8s.Models;

namespace Scheduler.Framework;

/// <summary>
/// A node and what is on it, as the scheduler counts it (framework.NodeInfo): its pods (bound and
/// assumed), the sum of their requests, used host ports, the images it holds. Each change bumps
/// <see cref="Generation"/>, so a snapshot copies only the nodes that changed.
/// </summary>
public sealed class NodeInfo
{
    private static long _nextGeneration;

    public NodeInfo(string name)
    {
        Name = name;
        Generation = NextGeneration();
    }

    public string Name { get; }

    /// <summary>Null while only pods that name this node are known (the node may not have been seen yet).</summary>
    public V1Node? Node { get; private set; }

    public List<PodInfo> Pods { get; private set; } = [];

    public List<PodInfo> PodsWithAffinity { get; private set; } = [];

    public List<PodInfo> PodsWithRequiredAntiAffinity { get; private set; } = [];

    public Resource Requested { get; private set; } = new();

    public Resource NonZeroRequested { get; private set; } = new();

    public Resource Allocatable { get; private set; } = new();

    public List<HostPort> UsedPorts { get; private set; } = [];

    /// <summary>Image names (each name the node reports) to size in bytes.</summary>
    public Dictionary<string, long> Images { get; private set; } = new(StringComparer.Ordinal);

    public long Generation { get; private set; }

    public IDictionary<string, string> Labels => Node?.Metadata?.Labels ?? new Dictionary<string, string>();

    public static long NextGeneration() => Interlocked.Increment(ref _nextGeneration);

    public void SetNode(V1Node node)
    {
        Node = node;
        Allocatable = Resource.From(node.Status?.Allocatable);
        Images = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var image in node.Status?.Images ?? [])
        {
            foreach (var name in image.Names ?? [])
            {
                Images[name] = image.SizeBytes ?? 0;
            }
        }

        Generation = NextGeneration();
    }

    public void AddPod(PodInfo pod)
    {
        Pods.Add(pod);
        if (pod.HasAffinity)
        {
            PodsWithAffinity.Add(pod);
        }

        if (pod.HasRequiredAntiAffinity)
        {
            PodsWithRequiredAntiAffinity.Add(pod);
        }

        Requested.Add(pod.Requests);
        NonZeroRequested.Add(pod.NonZeroRequests);
        UsedPorts.AddRange(pod.HostPorts);
        Generation = NextGeneration();
    }

    /// <summary>Removes the pod with this key; false if it is not here.</summary>
    public bool RemovePod(string key)
    {
        var index = Pods.FindIndex(p => p.Key == key);
        if (index < 0)
        {
            return false;
        }

        var pod = Pods[index];
        Pods.RemoveAt(index);
        PodsWithAffinity.RemoveAll(p => p.Key == key);
        PodsWithRequiredAntiAffinity.RemoveAll(p => p.Key == key);
        Requested.Subtract(pod.Requests);
        NonZeroRequested.Subtract(pod.NonZeroRequests);
        foreach (var port in pod.HostPorts)
        {
            UsedPorts.Remove(port);
        }

        Generation = NextGeneration();
        return true;
    }

    /// <summary>A copy whose pod lists and sums can be changed without touching this one (for snapshots and preemption's dry runs).</summary>
    public NodeInfo Clone() => new(Name)
    {
        Node = Node,
        Pods = [.. Pods],
        PodsWithAffinity = [.. PodsWithAffinity],
        PodsWithRequiredAntiAffinity = [.. PodsWithRequiredAntiAffinity],
        Requested = Requested.Clone(),
        NonZeroRequested = NonZeroRequested.Clone(),
        Allocatable = Allocatable.Clone(),
        UsedPorts = [.. UsedPorts],
        Images = Images,
        Generation = Generation,
    };
}
