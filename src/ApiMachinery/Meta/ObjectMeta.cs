using System.Text.Json;
using System.Text.Json.Nodes;
using ApiMachinery.Json;

namespace ApiMachinery.Meta;

/// <summary>
/// Reads and writes the common fields of an object (TypeMeta and ObjectMeta) held as a JsonObject.
/// Getters take the whole object and answer null (or empty) for absent fields and for values of the
/// wrong JSON type; type errors are the schema's business, not these helpers'.
/// </summary>
public static class ObjectMeta
{
    private static readonly IReadOnlyDictionary<string, string> EmptyMap = new Dictionary<string, string>();

    public static string? GetKind(JsonObject obj) => obj.GetString("kind");

    public static string? GetApiVersion(JsonObject obj) => obj.GetString("apiVersion");

    /// <summary>The metadata object, or null when absent or not an object.</summary>
    public static JsonObject? GetMetadata(JsonObject obj) => obj["metadata"] as JsonObject;

    /// <summary>The metadata object, created (or replacing a non-object value) when needed.</summary>
    public static JsonObject EnsureMetadata(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject metadata)
        {
            return metadata;
        }
        metadata = [];
        obj["metadata"] = metadata;
        return metadata;
    }

    public static string? GetName(JsonObject obj) => GetMetadata(obj).GetString("name");

    public static void SetName(JsonObject obj, string? name) => SetMetaString(obj, "name", name);

    public static string? GetGenerateName(JsonObject obj) => GetMetadata(obj).GetString("generateName");

    public static string? GetNamespace(JsonObject obj) => GetMetadata(obj).GetString("namespace");

    public static void SetNamespace(JsonObject obj, string? ns) => SetMetaString(obj, "namespace", ns);

    public static string? GetUid(JsonObject obj) => GetMetadata(obj).GetString("uid");

    public static void SetUid(JsonObject obj, string? uid) => SetMetaString(obj, "uid", uid);

    public static string? GetResourceVersion(JsonObject obj) => GetMetadata(obj).GetString("resourceVersion");

    public static void SetResourceVersion(JsonObject obj, string? resourceVersion) => SetMetaString(obj, "resourceVersion", resourceVersion);

    public static string? GetCreationTimestamp(JsonObject obj) => GetMetadata(obj).GetString("creationTimestamp");

    public static string? GetDeletionTimestamp(JsonObject obj) => GetMetadata(obj).GetString("deletionTimestamp");

    /// <summary>metadata.generation; null when absent or not an integer.</summary>
    public static long? GetGeneration(JsonObject obj) =>
        GetMetadata(obj)?["generation"] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var g) ? g : null;

    public static IReadOnlyDictionary<string, string> GetLabels(JsonObject obj) => ReadStringMap(GetMetadata(obj)?["labels"]);

    public static IReadOnlyDictionary<string, string> GetAnnotations(JsonObject obj) => ReadStringMap(GetMetadata(obj)?["annotations"]);

    public static IReadOnlyList<string> GetFinalizers(JsonObject obj) => ReadStringList(GetMetadata(obj)?["finalizers"]);

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

    private static void SetMetaString(JsonObject obj, string property, string? value)
    {
        var metadata = EnsureMetadata(obj);
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
