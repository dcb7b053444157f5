using System.Globalization;
using System.Text.Json.Nodes;

namespace ApiServer.Registry;

/// <summary>Typed access to the metadata of a JSON object, tolerant of absent or mistyped fields.</summary>
internal static class ObjectMeta
{
    public static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject metadata)
        {
            return metadata;
        }

        metadata = new JsonObject();
        obj["metadata"] = metadata;
        return metadata;
    }

    public static string GetString(JsonObject? obj, string field) =>
        obj is not null && obj.TryGetPropertyValue(field, out var node) && node is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    public static string Name(JsonObject obj) => GetString(obj["metadata"] as JsonObject, "name");

    public static string Namespace(JsonObject obj) => GetString(obj["metadata"] as JsonObject, "namespace");

    public static string Uid(JsonObject obj) => GetString(obj["metadata"] as JsonObject, "uid");

    public static string ResourceVersion(JsonObject obj) => GetString(obj["metadata"] as JsonObject, "resourceVersion");

    public static string DeletionTimestamp(JsonObject obj) => GetString(obj["metadata"] as JsonObject, "deletionTimestamp");

    public static IReadOnlyDictionary<string, string> Labels(JsonObject obj) => StringMap(obj["metadata"]?["labels"] as JsonObject);

    public static IReadOnlyList<string> Finalizers(JsonObject obj) => StringList(obj["metadata"]?["finalizers"] as JsonArray);

    public static IReadOnlyDictionary<string, string> StringMap(JsonObject? map)
    {
        if (map is null || map.Count == 0)
        {
            return EmptyMap;
        }

        var result = new Dictionary<string, string>(map.Count, StringComparer.Ordinal);
        foreach (var (key, value) in map)
        {
            result[key] = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString() ?? "";
        }

        return result;
    }

    public static IReadOnlyList<string> StringList(JsonArray? array) =>
        array is null ? [] : array.Select(n => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : "").ToArray();

    /// <summary>RFC 3339 with second precision, as metav1.Time serializes.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static readonly IReadOnlyDictionary<string, string> EmptyMap = new Dictionary<string, string>();
}
