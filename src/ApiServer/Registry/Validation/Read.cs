using System.Text.Json;
using System.Text.Json.Nodes;
using ApiMachinery.Json;
using Meta = ApiMachinery.Meta.ObjectMeta;

namespace ApiServer.Registry.Validation;

/// <summary>
/// Reads fields of a decoded object the way kube's validation sees its Go structs: an absent field
/// is its zero value (0, false, an empty list; a string is <c>obj.GetString(field) ?? ""</c>, the one
/// string reader in ApiMachinery.Json). The schema check has already refused values of the wrong
/// JSON type, so a value of another type only ever reads as absent here.
/// </summary>
internal static class Read
{
    public static long Int(JsonNode? obj, string field) => IntOrNull(obj, field) ?? 0;

    public static long? IntOrNull(JsonNode? obj, string field) => Number((obj as JsonObject)?[field]);

    /// <summary>
    /// A JSON number as an integer, whatever CLR type holds it (parsed documents hold elements,
    /// defaulting stores ints); fractions are truncated as Go's decoder would refuse them first.
    /// </summary>
    public static long? Number(JsonNode? node)
    {
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
        {
            return null;
        }
        if (v.TryGetValue<long>(out var l))
        {
            return l;
        }
        if (v.TryGetValue<int>(out var i))
        {
            return i;
        }
        var text = v.ToJsonString();
        if (long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out l))
        {
            return l;
        }
        return double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d)
            ? (long)Math.Clamp(d, long.MinValue, long.MaxValue)
            : null;
    }

    public static bool Bool(JsonNode? obj, string field) => BoolOrNull(obj, field) ?? false;

    public static bool? BoolOrNull(JsonNode? obj, string field) =>
        (obj as JsonObject)?[field] is JsonValue v ? v.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => null,
        } : null;

    /// <summary>A nested object, or null (a nil pointer) when absent.</summary>
    public static JsonObject? Obj(JsonNode? obj, string field) => (obj as JsonObject)?[field] as JsonObject;

    /// <summary>True when the field is present and not JSON null (a set pointer or a non-nil slice/map).</summary>
    public static bool Has(JsonNode? obj, string field) => (obj as JsonObject)?[field] is not null;

    /// <summary>The objects of a list field; empty when absent.</summary>
    public static IReadOnlyList<JsonObject> Items(JsonNode? obj, string field) =>
        (obj as JsonObject)?[field] is JsonArray a ? a.Select(i => i as JsonObject ?? []).ToList() : [];

    public static int Count(JsonNode? obj, string field) => (obj as JsonObject)?[field] is JsonArray a ? a.Count : 0;

    public static IReadOnlyList<string> Strings(JsonNode? obj, string field) => Meta.ReadStringList((obj as JsonObject)?[field]);

    public static IReadOnlyDictionary<string, string> Map(JsonNode? obj, string field) => Meta.ReadStringMap((obj as JsonObject)?[field]);

    /// <summary>An IntOrString field: the number, or null when it holds a string (or nothing).</summary>
    public static long? IntOrStringNumber(JsonNode? obj, string field) => IntOrNull(obj, field);

    /// <summary>A resource quantity field, which JSON may hold as a string or a number.</summary>
    public static string? QuantityText(JsonNode? value) => value switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.AsString(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        _ => null,
    };

    public static bool DeepEquals(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(Normalize(a), Normalize(b));

    /// <summary>
    /// As apiequality.Semantic.DeepEqual compares: null, an empty list and an empty map are all
    /// "absent" (Go's nil and empty slices and maps are equal there).
    /// </summary>
    private static JsonNode? Normalize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                var result = new JsonObject();
                foreach (var (key, value) in o)
                {
                    if (Normalize(value) is { } normalized)
                    {
                        result[key] = normalized;
                    }
                }
                return result.Count == 0 ? null : result;
            case JsonArray a:
                return a.Count == 0 ? null : new JsonArray(a.Select(i => Normalize(i) ?? new JsonObject()).ToArray());
            default:
                // Values compare by their JSON text: a defaulted int and a parsed number are one value.
                return node is null ? null : JsonNode.Parse(node.ToJsonString());
        }
    }
}
