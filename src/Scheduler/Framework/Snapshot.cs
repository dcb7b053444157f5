namespace Scheduler.Framework;

/// <summary>
/// The cluster as one scheduling cycle sees it (internal/cache.Snapshot): a copy of every node's
/// NodeInfo taken at the start of the cycle, so informer events arriving meanwhile cannot change it,
/// plus the lists the inter-pod affinity plugin walks and how many nodes hold each image. Only the nodes
/// that changed are copied each cycle; the ordered node list is rebuilt only when nodes come, go or change
/// (a pod assumed or bound changes one entry in place), as kube's updateSnapshot.
/// </summary>
public sealed class Snapshot
{
    private readonly Dictionary<string, int> _position = new(StringComparer.Ordinal);

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

    /// <summary>
    /// Puts <paramref name="copy"/> (a fresh copy of a node whose pods changed) in place of the node's
    /// entry; false when that cannot be done in place (a node new to the snapshot, or whose Node object
    /// changed: labels, images, allocatable) and the caller must <see cref="Rebuild"/>.
    /// </summary>
    public bool TryReplace(NodeInfo copy)
    {
        if (!NodeInfoMap.TryGetValue(copy.Name, out var old) || !ReferenceEquals(old.Node, copy.Node) ||
            copy.Node is null || !_position.TryGetValue(copy.Name, out var position))
        {
            NodeInfoMap[copy.Name] = copy;
            return false;
        }

        NodeInfoMap[copy.Name] = copy;
        Nodes[position] = copy;
        ReplaceIn(HavePodsWithAffinity, old, copy, copy.PodsWithAffinity.Count > 0);
        ReplaceIn(HavePodsWithRequiredAntiAffinity, old, copy, copy.PodsWithRequiredAntiAffinity.Count > 0);
        return true;
    }

    /// <summary>Recomputes the lists from <see cref="NodeInfoMap"/>.</summary>
    public void Rebuild()
    {
        Nodes = [.. NodeInfoMap.Values.Where(n => n.Node is not null).OrderBy(n => n.Name, StringComparer.Ordinal)];
        _position.Clear();
        for (var i = 0; i < Nodes.Count; i++)
        {
            _position[Nodes[i].Name] = i;
        }

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

    /// <summary>Keeps a node's membership of one of the affinity lists (order among them does not matter to the plugins).</summary>
    private static void ReplaceIn(List<NodeInfo> list, NodeInfo old, NodeInfo copy, bool member)
    {
        var index = list.FindIndex(n => ReferenceEquals(n, old));
        if (index >= 0 && member)
        {
            list[index] = copy;
        }
        else if (index >= 0)
        {
            list.RemoveAt(index);
        }
        else if (member)
        {
            list.Add(copy);
        }
    }
}
