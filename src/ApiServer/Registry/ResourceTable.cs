using System.Collections.Frozen;
using System.Reflection;

namespace ApiServer.Registry;

/// <summary>
/// Every resource the server serves, built once from the generated table of built-in resources.
/// Discovery, OpenAPI, request routing and the namespace controller all read this one snapshot.
/// </summary>
internal sealed class ResourceTable
{
    /// <summary>
    /// The verbs the generic REST handlers implement today. Discovery advertises the intersection of
    /// these and the kind's verbs, so clients never see a verb we would answer with 405.
    /// </summary>
    public static readonly FrozenSet<string> ImplementedVerbs =
        new[] { "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection" }.ToFrozenSet();

    /// <summary>Subresources with a handler today, keyed by name; others stay out of discovery.</summary>
    public static readonly FrozenDictionary<string, string[]> ImplementedSubresources = new Dictionary<string, string[]>
    {
        ["status"] = ["get", "patch", "update"],
        ["finalize"] = ["update"],
        ["binding"] = ["create"],
        ["token"] = ["create"],
        ["scale"] = ["get", "patch", "update"],
        ["approval"] = ["get", "patch", "update"],
        ["ephemeralcontainers"] = ["get", "patch", "update"],
        ["resize"] = ["get", "patch", "update"],
        ["eviction"] = ["create"],
        ["log"] = ["get"],
        ["exec"] = ["create", "get"],
        ["attach"] = ["create", "get"],
        ["portforward"] = ["create", "get"],
        // nodes/proxy only (pods/proxy and services/proxy are not served).
        ["proxy"] = ["create", "delete", "get", "patch", "update"],
    }.ToFrozenDictionary();

    private readonly FrozenDictionary<(string Group, string Version, string Plural), ResourceDefinition> _byPath;

    public ResourceTable(IEnumerable<ResourceDefinition> resources)
    {
        All = resources.ToArray();
        _byPath = All.ToFrozenDictionary(r => (r.Group, r.Version, r.Plural));
        GroupVersions = All
            .GroupBy(r => (r.Group, r.Version))
            .Select(g => new GroupVersionResources(g.Key.Group, g.Key.Version, g.ToArray()))
            .ToArray();
    }

    public IReadOnlyList<ResourceDefinition> All { get; }

    /// <summary>Served group/versions in table order (core first, as kube-apiserver lists them).</summary>
    public IReadOnlyList<GroupVersionResources> GroupVersions { get; }

    public ResourceDefinition? Find(string group, string version, string plural) =>
        _byPath.TryGetValue((group, version, plural), out var r) ? r : null;

    public bool ServesGroupVersion(string group, string version) =>
        GroupVersions.Any(gv => gv.Group == group && gv.Version == version);

    /// <summary>Resources with no storage of their own (bindings, the reviews, componentstatuses): never cached.</summary>
    public static bool IsVirtual(ResourceDefinition r) => !r.Supports("get") || (r.Group, r.Plural) is ("", "componentstatuses");

    /// <summary>
    /// The built-in resources this server serves: every GA group/version whose kinds are stored
    /// objects, including versions stored as another one (autoscaling/v1 as v2, events.k8s.io/v1 as
    /// core v1 Events, through Registry/Conversion); the virtual bindings, reviews and
    /// componentstatuses. Not served: alpha and beta versions (off by default in kube-apiserver too).
    /// Within a group the versions come in kube's priority order (autoscaling/v2 before v1), the
    /// first being the preferred one.
    /// </summary>
    public static ResourceTable LoadBuiltin()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("ApiServer.Resources.builtin-resources.tsv")
            ?? throw new InvalidOperationException("builtin-resources.tsv is not embedded");
        using var reader = new StreamReader(stream);
        var definitions = Parse(reader).Where(IsServed).Select(Restrict).ToList();
        var groupOrder = definitions.Select(r => r.Group).Distinct().Select((g, i) => (g, i)).ToDictionary(p => p.g, p => p.i);
        return new ResourceTable(definitions
            .Select((r, i) => (r, i))
            .OrderBy(p => groupOrder[p.r.Group]).ThenByDescending(p => KubeVersionPriority(p.r.Version)).ThenBy(p => p.i)
            .Select(p => p.r));
    }

    private static bool IsServed(ResourceDefinition r)
    {
        if (r.Version.Contains("alpha", StringComparison.Ordinal) || r.Version.Contains("beta", StringComparison.Ordinal))
        {
            return false;
        }

        // componentstatuses is answered by probing the components, never stored.
        if ((r.Group, r.Plural) is ("", "componentstatuses"))
        {
            return true;
        }

        // The bindings resource is the one virtual resource served today (the scheduler's older path).
        if ((r.Group, r.Plural) is ("", "bindings"))
        {
            return true;
        }

        // The review resources are virtual too, answered by the review registry.
        if (Reviews.ReviewRegistry.IsReview(r.Group, r.Plural))
        {
            return true;
        }

        // Stored kinds have get, list and create; the rest are virtual.
        return r.Supports("get") && r.Supports("list") && r.Supports("create");
    }

    /// <summary>GA versions by number (v2 before v1), as kube's version priority orders a group's built-in versions.</summary>
    private static int KubeVersionPriority(string version) =>
        version.StartsWith('v') && int.TryParse(version.AsSpan(1), out var n) ? n : 0;

    /// <summary>Trims verbs and subresources to what the handlers implement.</summary>
    private static ResourceDefinition Restrict(ResourceDefinition r) => r with
    {
        Verbs = r.Verbs.Where(ImplementedVerbs.Contains).ToArray(),
        Subresources = r.Subresources
            .Where(s => ImplementedSubresources.ContainsKey(s.Name) && (s.Name != "proxy" || (r.Group, r.Plural) is ("", "nodes")))
            .Select(s => s with { Verbs = ImplementedSubresources[s.Name] })
            .ToArray(),
    };

    internal static IEnumerable<ResourceDefinition> Parse(TextReader reader)
    {
        string[]? header = null;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var cells = line.Split('\t');
            if (header is null)
            {
                header = cells;
                continue;
            }

            string Cell(string name) => cells[Array.IndexOf(header, name)];
            static string[] List(string cell) => cell.Length == 0 ? [] : cell.Split(',');

            var group = Cell("group");
            var version = Cell("version");
            var kind = Cell("kind");
            var subresources = Cell("subresources").Split(';', StringSplitOptions.RemoveEmptyEntries)
                .Select(s =>
                {
                    var parts = s.Split('=', 2);
                    var gvk = parts[1].Split('/');
                    var responseKind = gvk.Length == 3 ? new GroupVersionKind(gvk[0], gvk[1], gvk[2]) : new GroupVersionKind(group, version, kind);
                    return new SubresourceDefinition(parts[0], responseKind, []);
                })
                .ToArray();

            yield return new ResourceDefinition(
                group, version, kind, Cell("plural"), Cell("singular"), Cell("namespaced") == "true",
                List(Cell("verbs")), subresources, List(Cell("shortNames")), List(Cell("categories")),
                Cell("storageSegment"));
        }
    }
}

internal sealed record GroupVersionResources(string Group, string Version, IReadOnlyList<ResourceDefinition> Resources)
{
    public string GroupVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
}
