using System.Globalization;
using System.Text.Json.Nodes;
using Meta = ApiMachinery.Meta.ObjectMeta;

namespace ApiServer.Registry;

/// <summary>
/// The registry's view of object metadata: ApiMachinery's accessors, with absent fields read as ""
/// (the registry compares and formats them, and "" is what Go's zero value prints as).
/// </summary>
internal static class ObjectMeta
{
    public static JsonObject Metadata(JsonObject obj) => Meta.EnsureMetadata(obj);

    public static string Name(JsonObject obj) => Meta.GetName(obj) ?? "";

    public static string Namespace(JsonObject obj) => Meta.GetNamespace(obj) ?? "";

    public static string Uid(JsonObject obj) => Meta.GetUid(obj) ?? "";

    public static string ResourceVersion(JsonObject obj) => Meta.GetResourceVersion(obj) ?? "";

    public static string DeletionTimestamp(JsonObject obj) => Meta.GetDeletionTimestamp(obj) ?? "";

    public static IReadOnlyDictionary<string, string> Labels(JsonObject obj) => Meta.GetLabels(obj);

    public static IReadOnlyDictionary<string, string> Annotations(JsonObject obj) => Meta.GetAnnotations(obj);

    public static IReadOnlyList<string> Finalizers(JsonObject obj) => Meta.GetFinalizers(obj);

    public static IReadOnlyList<string> StringList(JsonArray? array) => Meta.ReadStringList(array);

    /// <summary>RFC 3339 with second precision, as metav1.Time serializes.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
