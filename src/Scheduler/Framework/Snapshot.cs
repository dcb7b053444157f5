namespace Scheduler.Framework;

/// <summary>
/// The cluster as one scheduling cycle sees it (internal/cache.Snapshot): a copy of every node's
/// NodeInfo taken at the start of the cycle, so informer events arriving meanwhile cannot change it,
/// plus the lists the inter-pod affinity plugin walks and how many nodes hold each image.
/// </summary>
public sealed class Snapshot
{
    public Dictionary<string, NodeInfo> NodeInfoMap { get; } = new(StringComparer.Ordinal);

    /// <summary>Nodes (with a Node object) in a stable order.</summary>
    public List<NodeInfo> Nodes { get; set; } = [];

    public List<NodeInfo> HavePodsWithAffinity { get; set; } = [];

    public List<NodeInfo> HavePodsWithRequiredAntiAffinity { get; set; } = [];

    /// <summary>Image name to the number of nodes that report it.</summary>
    public Dictionary<string, int> ImageNodeCounts { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Namespace name to its labels (for affinity terms with namespaceSelector).</summary>
    public Func<string, IDictionary<string, string>?> NamespaceLabels { get; set; } = _ => null;

    public long Generation { get; set; }

    public NodeInfo? Get(string name) => NodeInfoMap.GetValueOrDefault(name);

    /// <summary>A snapshot of fixed nodes, for tests.</summary>
    public static Snapshot Of(IEnumerable<NodeInfo> nodes)
    {
        var snapshot = new Snapshot();
        foreach (var node in nodes)
        {
            snapshot.NodeInfoMap[node.Name] = node;
        }

        snapshot.Rebuild();
        return snapshot;
    }

    /// <summary>Recomputes the lists from <see cref="NodeInfoMap"/>.</summary>
    public void Rebuild()
    {
        Nodes = [.. NodeInfoMap.Values.Where(n => n.Node is not null).OrderBy(n => n.Name, StringComparer.Ordinal)];
        HavePodsWithAffinity = [.. Nodes.Where(n => n.PodsWithAffinity.Count > 0)];
        HavePodsWithRequiredAntiAffinity = [.. Nodes.Where(n => n.PodsWithRequiredAntiAffinity.Count > 0)];
        var images = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in Nodes)
        {
            foreach (var name in node.Images.Keys)
            {
                images[name] = images.GetValueOrDefault(name) + 1;
            }
        }

        ImageNodeCounts = images;
    }
}
