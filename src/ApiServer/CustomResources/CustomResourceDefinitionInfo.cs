using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiServer.Registry;

namespace ApiServer.CustomResources;

/// <summary>The names of a custom resource (spec.names, or what status.acceptedNames granted).</summary>
internal sealed record CrdNames(
    string Plural, string Singular, string Kind, string ListKind, IReadOnlyList<string> ShortNames, IReadOnlyList<string> Categories)
{
    public static CrdNames From(JsonNode? names) => new(
        names.GetString("plural") ?? "", names.GetString("singular") ?? "", names.GetString("kind") ?? "", names.GetString("listKind") ?? "",
        Strings(names?["shortNames"]), Strings(names?["categories"]));

    /// <summary>v1's JSON: plural and kind always, the rest when set (their Go fields are omitempty).</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject { ["plural"] = Plural };
        if (Singular.Length > 0)
        {
            json["singular"] = Singular;
        }

        if (ShortNames.Count > 0)
        {
            json["shortNames"] = new JsonArray(ShortNames.Select(s => (JsonNode)s).ToArray());
        }

        json["kind"] = Kind;
        if (ListKind.Length > 0)
        {
            json["listKind"] = ListKind;
        }

        if (Categories.Count > 0)
        {
            json["categories"] = new JsonArray(Categories.Select(s => (JsonNode)s).ToArray());
        }

        return json;
    }

    public bool SameAs(CrdNames other) =>
        Plural == other.Plural && Singular == other.Singular && Kind == other.Kind && ListKind == other.ListKind
        && ShortNames.SequenceEqual(other.ShortNames) && Categories.SequenceEqual(other.Categories);

    internal static IReadOnlyList<string> Strings(JsonNode? node) =>
        node is JsonArray a ? a.Select(i => i.AsString() ?? "").ToArray() : [];
}

/// <summary>subresources.scale: where the replicas and the selector live in the custom resource.</summary>
internal sealed record CrdScale(string SpecReplicasPath, string StatusReplicasPath, string? LabelSelectorPath);

/// <summary>One additionalPrinterColumns entry.</summary>
internal sealed record CrdColumn(string Name, string Type, string Format, string Description, int Priority, string JsonPath);

/// <summary>One entry of spec.versions.</summary>
internal sealed record CrdVersion(
    string Name,
    bool Served,
    bool Storage,
    bool Deprecated,
    string? DeprecationWarning,
    JsonObject? Schema,
    bool StatusSubresource,
    CrdScale? Scale,
    IReadOnlyList<CrdColumn> Columns,
    IReadOnlyList<string> SelectableFields);

/// <summary>spec.conversion.</summary>
internal sealed record CrdConversion(string Strategy, JsonObject? ClientConfig, IReadOnlyList<string> ReviewVersions);

/// <summary>
/// A CustomResourceDefinition as the serving side reads it (apiextensions.k8s.io/v1): names, scope,
/// versions with their schemas, subresources and columns, conversion, and the conditions that decide
/// whether it is served. Parsed from the stored JSON; the JSON itself stays the source of truth.
/// </summary>
internal sealed class CustomResourceDefinitionInfo
{
    public const string CleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io";

    private CustomResourceDefinitionInfo(JsonObject crd)
    {
        Object = crd;
        var spec = crd["spec"] as JsonObject;
        var status = crd["status"] as JsonObject;
        Name = ObjectMeta.Name(crd);
        Uid = ObjectMeta.Uid(crd);
        ResourceVersion = ObjectMeta.ResourceVersion(crd);
        Group = spec.GetString("group") ?? "";
        Namespaced = spec.GetString("scope") == "Namespaced";
        Names = CrdNames.From(spec?["names"]);
        AcceptedNames = CrdNames.From(status?["acceptedNames"]);
        Versions = (spec?["versions"] as JsonArray ?? []).OfType<JsonObject>().Select(Version).ToArray();
        var conversion = spec?["conversion"] as JsonObject;
        Conversion = new CrdConversion(
            conversion.GetString("strategy") is { Length: > 0 } strategy ? strategy : "None",
            conversion?["webhook"]?["clientConfig"] as JsonObject,
            CrdNames.Strings(conversion?["webhook"]?["conversionReviewVersions"]));
        StoredVersions = CrdNames.Strings(status?["storedVersions"]);
        NamesAccepted = CrdConditions.IsTrue(crd, "NamesAccepted");
        Established = CrdConditions.IsTrue(crd, "Established");
        Terminating = ObjectMeta.DeletionTimestamp(crd).Length > 0 || CrdConditions.IsTrue(crd, "Terminating");
    }

    /// <summary>The CRD as stored (with its resourceVersion); not to be changed.</summary>
    public JsonObject Object { get; }

    public string Name { get; }

    public string Uid { get; }

    public string ResourceVersion { get; }

    public string Group { get; }

    public bool Namespaced { get; }

    /// <summary>spec.names: what the CRD asks for.</summary>
    public CrdNames Names { get; }

    /// <summary>status.acceptedNames: what clients see (discovery, kinds) once accepted.</summary>
    public CrdNames AcceptedNames { get; }

    public IReadOnlyList<CrdVersion> Versions { get; }

    public CrdConversion Conversion { get; }

    public IReadOnlyList<string> StoredVersions { get; }

    public bool NamesAccepted { get; }

    public bool Established { get; }

    /// <summary>Being deleted: no new objects, its objects are being removed.</summary>
    public bool Terminating { get; }

    public CrdVersion? StorageVersion => Versions.FirstOrDefault(v => v.Storage);

    /// <summary>kube-apiserver serves a CRD's objects once its names are accepted or it is established.</summary>
    public bool Serves => NamesAccepted || Established;

    public static CustomResourceDefinitionInfo Parse(JsonObject crd) => new(crd);

    private static CrdVersion Version(JsonObject v)
    {
        var subresources = v["subresources"] as JsonObject;
        CrdScale? scale = null;
        if (subresources?["scale"] is JsonObject s)
        {
            var selector = s.GetString("labelSelectorPath") ?? "";
            scale = new CrdScale(s.GetString("specReplicasPath") ?? "", s.GetString("statusReplicasPath") ?? "", selector.Length > 0 ? selector : null);
        }

        var columns = (v["additionalPrinterColumns"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(c => new CrdColumn(
                c.GetString("name") ?? "", c.GetString("type") ?? "", c.GetString("format") ?? "", c.GetString("description") ?? "",
                c["priority"] is JsonValue p && p.TryGetValue<int>(out var priority) ? priority : 0,
                c.GetString("jsonPath") ?? ""))
            .ToArray();
        var selectable = (v["selectableFields"] as JsonArray ?? []).OfType<JsonObject>().Select(f => f.GetString("jsonPath") ?? "").ToArray();
        return new CrdVersion(
            v.GetString("name") ?? "",
            v["served"] is JsonValue served && served.TryGetValue<bool>(out var isServed) && isServed,
            v["storage"] is JsonValue storage && storage.TryGetValue<bool>(out var isStorage) && isStorage,
            v["deprecated"] is JsonValue deprecated && deprecated.TryGetValue<bool>(out var isDeprecated) && isDeprecated,
            v["deprecationWarning"].AsString(),
            v["schema"]?["openAPIV3Schema"] as JsonObject,
            subresources?["status"] is JsonObject,
            scale,
            columns,
            selectable);
    }
}

/// <summary>The CRD's status.conditions, read and set as apiextensions' helpers do.</summary>
internal static class CrdConditions
{
    public static JsonObject? Find(JsonObject crd, string type) =>
        (crd["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => (c.GetString("type") ?? "") == type);

    public static bool IsTrue(JsonObject crd, string type) => Find(crd, type) is { } c && c.GetString("status") == "True";

    /// <summary>
    /// Sets a condition; lastTransitionTime moves only when its status changes (SetCRDCondition).
    /// Returns whether anything changed.
    /// </summary>
    public static bool Set(JsonObject crd, string type, string status, string reason, string message, DateTimeOffset now)
    {
        var statusObject = crd["status"] as JsonObject;
        if (statusObject is null)
        {
            statusObject = [];
            crd["status"] = statusObject;
        }

        var conditions = statusObject["conditions"] as JsonArray;
        if (conditions is null)
        {
            // conditions comes first in the status, as Go writes its fields.
            var rest = statusObject.ToList();
            statusObject.Clear();
            conditions = [];
            statusObject["conditions"] = conditions;
            foreach (var (key, value) in rest)
            {
                if (key != "conditions")
                {
                    statusObject[key] = value;
                }
            }
        }

        var existing = conditions.OfType<JsonObject>().FirstOrDefault(c => (c.GetString("type") ?? "") == type);
        if (existing is null)
        {
            conditions.Add(new JsonObject
            {
                ["type"] = type,
                ["status"] = status,
                ["lastTransitionTime"] = ObjectMeta.FormatTime(now),
                ["reason"] = reason,
                ["message"] = message,
            });
            return true;
        }

        if ((existing.GetString("status") ?? "") == status && (existing.GetString("reason") ?? "") == reason && (existing.GetString("message") ?? "") == message)
        {
            return false;
        }

        if ((existing.GetString("status") ?? "") != status)
        {
            existing["lastTransitionTime"] = ObjectMeta.FormatTime(now);
        }

        existing["status"] = status;
        existing["reason"] = reason;
        existing["message"] = message;
        return true;
    }
}
