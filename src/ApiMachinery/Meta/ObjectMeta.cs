using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApiMachinery.Json;

namespace ApiMachinery.Meta;

/// <summary>
/// Reads and writes the common fields of an object (TypeMeta and ObjectMeta) held as a JsonObject —
/// the one accessor of object metadata in the server. String getters answer "" for absent fields and
/// for values of the wrong JSON type, as Go's zero value prints (the registry compares and formats
/// them); type errors are the schema's business, not these helpers'.
/// </summary>
public static class ObjectMeta
{
    private static readonly IReadOnlyDictionary<string, string> EmptyMap = new Dictionary<string, string>();

    public static string Kind(JsonObject obj) => obj.GetString("kind") ?? "";

    public static string ApiVersion(JsonObject obj) => obj.GetString("apiVersion") ?? "";

    /// <summary>The metadata object, created (or replacing a non-object value) when needed.</summary>
    public static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject metadata)
        {
            return metadata;
        }
        metadata = [];
        obj["metadata"] = metadata;
        return metadata;
    }

    public static string Name(JsonObject obj) => MetaString(obj, "name");

    public static void SetName(JsonObject obj, string? name) => SetMetaString(obj, "name", name);

    public static string GenerateName(JsonObject obj) => MetaString(obj, "generateName");

    public static string Namespace(JsonObject obj) => MetaString(obj, "namespace");

    public static void SetNamespace(JsonObject obj, string? ns) => SetMetaString(obj, "namespace", ns);

    public static string Uid(JsonObject obj) => MetaString(obj, "uid");

    public static void SetUid(JsonObject obj, string? uid) => SetMetaString(obj, "uid", uid);

    public static string ResourceVersion(JsonObject obj) => MetaString(obj, "resourceVersion");

    public static void SetResourceVersion(JsonObject obj, string? resourceVersion) => SetMetaString(obj, "resourceVersion", resourceVersion);

    public static string CreationTimestamp(JsonObject obj) => MetaString(obj, "creationTimestamp");

    public static string DeletionTimestamp(JsonObject obj) => MetaString(obj, "deletionTimestamp");

    /// <summary>metadata.generation; null when absent or not an integer.</summary>
    public static long? Generation(JsonObject obj) =>
        MetadataOrNull(obj)?["generation"] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var g) ? g : null;

    public static IReadOnlyDictionary<string, string> Labels(JsonObject obj) => ReadStringMap(MetadataOrNull(obj)?["labels"]);

    public static IReadOnlyDictionary<string, string> Annotations(JsonObject obj) => ReadStringMap(MetadataOrNull(obj)?["annotations"]);

    public static IReadOnlyList<string> Finalizers(JsonObject obj) => ReadStringList(MetadataOrNull(obj)?["finalizers"]);

    /// <summary>The metadata object, or null when absent or not an object (read-only accessors).</summary>
    private static JsonObject? MetadataOrNull(JsonObject obj) => obj["metadata"] as JsonObject;

    /// <summary>RFC 3339 with second precision, as metav1.Time serializes.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A JSON object of string values as a dictionary in document order; non-string values are skipped.</summary>
    public static IReadOnlyDictionary<string, string> ReadStringMap(JsonNode? node)
    {
        if (node is not JsonObject map || map.Count == 0)
        {
            return EmptyMap;
        }
        var result = new Dictionary<string, string>(map.Count, StringComparer.Ordinal);
        foreach (var (key, value) in map)
        {
            if (value.AsString() is { } s)
            {
                result[key] = s;
            }
        }
        return result;
    }

    /// <summary>A JSON array of strings as a list; non-string items are skipped.</summary>
    public static IReadOnlyList<string> ReadStringList(JsonNode? node)
    {
        if (node is not JsonArray array)
        {
            return [];
        }
        var result = new List<string>(array.Count);
        foreach (var item in array)
        {
            if (item.AsString() is { } s)
            {
                result.Add(s);
            }
        }
        return result;
    }

    private static string MetaString(JsonObject obj, string property) => obj.GetString("metadata", property) ?? "";

    private static void SetMetaString(JsonObject obj, string property, string? value)
    {
        var metadata = Metadata(obj);
        if (value is null)
        {
            metadata.Remove(property);
        }
        else
        {
            metadata[property] = value;
        }
    }
}
