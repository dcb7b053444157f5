using System.Text.Json;
using System.Text.Json.Nodes;

namespace ApiMachinery.Json;

/// <summary>
/// The one way the server reads a string out of a decoded object: a JSON string, or null when the
/// node (or any step of the path to it) is absent, JSON null, or of another JSON type. Callers that
/// want Go's zero value write <c>?? ""</c>. Type errors are the schema's business, not these helpers'.
/// </summary>
public static class JsonStrings
{
    /// <summary>The string held by a node, or null when it is absent or not a JSON string.</summary>
    public static string? AsString(this JsonNode? node)
    {
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
        {
            return null;
        }

        // Values built from CLR types such as DateTime report String but do not convert to string directly.
        return v.TryGetValue<string>(out var s) ? s : JsonSerializer.Deserialize<string>(v.ToJsonString());
    }

    /// <summary>The string in field <paramref name="field"/> of an object node; null when the node is not an object.</summary>
    public static string? GetString(this JsonNode? node, string field) => (node as JsonObject)?[field].AsString();

    /// <summary>The string at a path of object fields (e.g. "spec", "nodeName"); null when a step is missing or not an object.</summary>
    public static string? GetString(this JsonNode? node, params ReadOnlySpan<string> path)
    {
        foreach (var part in path)
        {
            node = (node as JsonObject)?[part];
        }

        return node.AsString();
    }
}
