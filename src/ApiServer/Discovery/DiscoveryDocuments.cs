using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ApiServer.Registry;

namespace ApiServer.Discovery;

/// <summary>
/// The discovery documents, rendered once from a snapshot of the resource table (a new snapshot, when
/// CRDs change, gets new documents): the legacy /api, /apis, /api/v1, /apis/{group}[/{version}] documents and the
/// aggregated apidiscovery.k8s.io v2 (and v2beta1) lists clients ask for first.
/// </summary>
internal sealed class DiscoveryDocuments
{
    public const string AggregatedV2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    public const string AggregatedV2Beta1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

    private readonly Dictionary<string, byte[]> _legacy = new(StringComparer.Ordinal);

    public DiscoveryDocuments(ResourceTable table, string serverAddress)
    {
        // Custom resources appear once their CRD is established (kube serves them a moment earlier).
        var served = table.GroupVersions
            .Select(gv => gv with { Resources = gv.Resources.Where(r => r.Custom is not { Established: false }).ToArray() })
            .Where(gv => gv.Resources.Count > 0)
            .ToArray();
        var core = served.Where(gv => gv.Group.Length == 0).ToArray();
        var groups = served.Where(gv => gv.Group.Length > 0).GroupBy(gv => gv.Group).ToArray();

        _legacy["/api"] = ObjectCodec.Serialize(new JsonObject
        {
            ["kind"] = "APIVersions",
            ["versions"] = new JsonArray(core.Select(gv => (JsonNode)gv.Version).ToArray()),
            ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
        });

        _legacy["/apis"] = ObjectCodec.Serialize(new JsonObject
        {
            ["kind"] = "APIGroupList",
            ["apiVersion"] = "v1",
            ["groups"] = new JsonArray(groups.Select(g => (JsonNode)ApiGroup(g.Key, g.ToArray(), withTypeMeta: false)).ToArray()),
        });

        foreach (var group in groups)
        {
            _legacy[$"/apis/{group.Key}"] = ObjectCodec.Serialize(ApiGroup(group.Key, group.ToArray(), withTypeMeta: true));
        }

        foreach (var gv in served)
        {
            var path = gv.Group.Length == 0 ? $"/api/{gv.Version}" : $"/apis/{gv.Group}/{gv.Version}";
            _legacy[path] = ObjectCodec.Serialize(ResourceList(gv));
        }

        CoreAggregated = Aggregated(core.Length == 0 ? [] : [core]);
        GroupsAggregated = Aggregated(groups.Select(g => g.ToArray()).ToArray());
        CoreAggregatedV2Beta1 = Aggregated(core.Length == 0 ? [] : [core], "v2beta1");
        GroupsAggregatedV2Beta1 = Aggregated(groups.Select(g => g.ToArray()).ToArray(), "v2beta1");
        CoreETag = ETag(CoreAggregated);
        GroupsETag = ETag(GroupsAggregated);
    }

    public byte[] CoreAggregated { get; }

    public byte[] GroupsAggregated { get; }

    public byte[] CoreAggregatedV2Beta1 { get; }

    public byte[] GroupsAggregatedV2Beta1 { get; }

    public string CoreETag { get; }

    public string GroupsETag { get; }

    /// <summary>The legacy document at a discovery path, or null.</summary>
    public byte[]? Legacy(string path) => _legacy.TryGetValue(path.TrimEnd('/'), out var body) ? body : null;

    private static JsonObject ApiGroup(string name, IReadOnlyList<GroupVersionResources> versions, bool withTypeMeta)
    {
        var preferred = versions[0];
        var group = new JsonObject();
        if (withTypeMeta)
        {
            group["kind"] = "APIGroup";
            group["apiVersion"] = "v1";
        }

        group["name"] = name;
        group["versions"] = new JsonArray(versions.Select(v => (JsonNode)GroupVersionFor(v)).ToArray());
        group["preferredVersion"] = GroupVersionFor(preferred);
        return group;
    }

    private static JsonObject GroupVersionFor(GroupVersionResources gv) =>
        new() { ["groupVersion"] = gv.GroupVersion, ["version"] = gv.Version };

    private static JsonObject ResourceList(GroupVersionResources gv)
    {
        var resources = new JsonArray();
        foreach (var r in gv.Resources)
        {
            var entry = new JsonObject
            {
                ["name"] = r.Plural,
                ["singularName"] = r.Singular,
                ["namespaced"] = r.Namespaced,
                ["kind"] = r.Kind,
                ["verbs"] = Strings(VerbsOf(r)),
            };
            if (r.ShortNames.Count > 0)
            {
                entry["shortNames"] = Strings(r.ShortNames);
            }

            if (r.Categories.Count > 0)
            {
                entry["categories"] = Strings(r.Categories);
            }

            if (StorageVersionHash(r) is { } hash)
            {
                entry["storageVersionHash"] = hash;
            }

            resources.Add(entry);
            foreach (var sub in r.Subresources)
            {
                var subEntry = new JsonObject
                {
                    ["name"] = $"{r.Plural}/{sub.Name}",
                    ["singularName"] = "",
                    ["namespaced"] = r.Namespaced,
                    ["kind"] = sub.ResponseKind.Kind,
                    ["verbs"] = Strings(sub.Verbs),
                };
                if (sub.ResponseKind.Group != r.Group || sub.ResponseKind.Version != r.Version)
                {
                    subEntry["group"] = sub.ResponseKind.Group;
                    subEntry["version"] = sub.ResponseKind.Version;
                }

                resources.Add(subEntry);
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = gv.GroupVersion,
            ["resources"] = resources,
        };
    }

    private static byte[] Aggregated(IReadOnlyList<IReadOnlyList<GroupVersionResources>> groups, string version = "v2")
    {
        var items = new JsonArray();
        foreach (var versions in groups)
        {
            var group = new JsonObject { ["metadata"] = new JsonObject { ["name"] = versions[0].Group, ["creationTimestamp"] = null } };
            if (versions[0].Group.Length == 0)
            {
                group["metadata"] = new JsonObject { ["creationTimestamp"] = null };
            }

            group["versions"] = new JsonArray(versions.Select(v => (JsonNode)new JsonObject
            {
                ["version"] = v.Version,
                ["resources"] = new JsonArray(OrderAggregated(v.Resources).Select(r => (JsonNode)AggregatedResource(r)).ToArray()),
                ["freshness"] = "Current",
            }).ToArray());
            items.Add(group);
        }

        return ObjectCodec.Serialize(new JsonObject
        {
            ["kind"] = "APIGroupDiscoveryList",
            ["apiVersion"] = $"apidiscovery.k8s.io/{version}",
            ["metadata"] = new JsonObject(),
            ["items"] = items,
        });
    }

    private static JsonObject AggregatedResource(ResourceDefinition r)
    {
        var entry = new JsonObject
        {
            ["resource"] = r.Plural,
            ["responseKind"] = Gvk(r.Gvk),
            ["scope"] = r.Namespaced ? "Namespaced" : "Cluster",
            ["singularResource"] = r.Singular,
            ["verbs"] = Strings(VerbsOf(r)),
        };
        if (r.ShortNames.Count > 0)
        {
            entry["shortNames"] = Strings(r.ShortNames);
        }

        if (r.Categories.Count > 0)
        {
            entry["categories"] = Strings(r.Categories);
        }

        if (r.Subresources.Count > 0)
        {
            entry["subresources"] = new JsonArray(r.Subresources.Select(s => (JsonNode)new JsonObject
            {
                ["subresource"] = s.Name,
                ["responseKind"] = Gvk(s.ResponseKind),
                ["verbs"] = Strings(s.Verbs),
            }).ToArray());
        }

        return entry;
    }

    /// <summary>
    /// kube's discovery.StorageVersionHash: the first 8 bytes of SHA-256 over "group/version/kind" of the
    /// version etcd holds, base64; for resources with storage only (not bindings, reviews, componentstatuses).
    /// Clients such as the storage version migrator compare it to notice a changed storage version.
    /// </summary>
    internal static string? StorageVersionHash(ResourceDefinition r)
    {
        if (ResourceTable.IsVirtual(r))
        {
            return null;
        }

        var (group, version, kind) = r.Custom is { } custom
            ? (r.Group, custom.StorageVersion, r.Kind)
            : Registry.Conversion.BuiltinConversions.StorageGvk(r) is var gvk ? (gvk.Group, gvk.Version, gvk.Kind) : default;
        var digest = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{group}/{version}/{kind}"));
        return Convert.ToBase64String(digest, 0, 8);
    }

    /// <summary>A terminating CRD's resources are offered for reading and deleting only, as kube does.</summary>
    private static IReadOnlyList<string> VerbsOf(ResourceDefinition r) =>
        r.Custom is { Terminating: true } ? CustomResources.CustomResourceDefinitions.TerminatingVerbs : r.Verbs;

    /// <summary>kube lists a custom group's resources by name in aggregated discovery.</summary>
    private static IEnumerable<ResourceDefinition> OrderAggregated(IReadOnlyList<ResourceDefinition> resources) =>
        resources.Count > 0 && resources[0].Custom is not null ? resources.OrderBy(r => r.Plural, StringComparer.Ordinal) : resources;

    private static JsonObject Gvk(GroupVersionKind gvk) =>
        new() { ["group"] = gvk.Group, ["version"] = gvk.Version, ["kind"] = gvk.Kind };

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)v).ToArray());

    private static string ETag(byte[] body) => "\"" + Convert.ToHexStringLower(SHA256.HashData(body)) + "\"";
}
