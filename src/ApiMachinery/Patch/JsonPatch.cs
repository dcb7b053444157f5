using System.Text.Json.Nodes;

namespace ApiMachinery.Patch;

/// <summary>
/// RFC 6902 JSON Patch (application/json-patch+json): add, remove, replace, move, copy, test,
/// applied in order to a copy; any failing operation fails the whole patch.
/// </summary>
public static class JsonPatch
{
    public static JsonNode Apply(JsonNode document, JsonArray operations)
    {
        var result = document.DeepClone();
        for (var i = 0; i < operations.Count; i++)
        {
            if (operations[i] is not JsonObject op)
            {
                throw new PatchException($"operation {i} is not an object");
            }

            var kind = op["op"]?.GetValue<string>() ?? throw new PatchException($"operation {i} has no \"op\"");
            var path = op["path"]?.GetValue<string>() ?? throw new PatchException($"operation {i} has no \"path\"");
            switch (kind)
            {
                case "add":
                    result = Add(result, path, Value(op, i));
                    break;
                case "remove":
                    result = Remove(result, path, out _);
                    break;
                case "replace":
                    result = Remove(result, path, out _);
                    result = Add(result, path, Value(op, i));
                    break;
                case "move":
                {
                    var from = From(op, i);
                    if (path.StartsWith(from + "/", StringComparison.Ordinal))
                    {
                        throw new PatchException($"cannot move \"{from}\" into its own child \"{path}\"");
                    }

                    result = Remove(result, from, out var moved);
                    result = Add(result, path, moved);
                    break;
                }

                case "copy":
                    result = Add(result, path, Get(result, From(op, i))?.DeepClone());
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(result, path), Value(op, i)))
                    {
                        throw new PatchException($"testing value {path} failed");
                    }

                    break;
                default:
                    throw new PatchException($"unexpected kind of operation \"{kind}\"");
            }
        }

        return result;
    }

    private static JsonNode? Value(JsonObject op, int index) =>
        op.TryGetPropertyValue("value", out var value) ? value?.DeepClone() : throw new PatchException($"operation {index} has no \"value\"");

    private static string From(JsonObject op, int index) =>
        op["from"]?.GetValue<string>() ?? throw new PatchException($"operation {index} has no \"from\"");

    private static string[] Tokens(string pointer)
    {
        if (pointer.Length == 0)
        {
            return [];
        }

        if (pointer[0] != '/')
        {
            throw new PatchException($"invalid JSON pointer \"{pointer}\"");
        }

        return pointer[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
    }

    private static JsonNode? Get(JsonNode? root, string pointer)
    {
        var node = root;
        foreach (var token in Tokens(pointer))
        {
            node = node switch
            {
                JsonObject o when o.TryGetPropertyValue(token, out var child) => child,
                JsonArray a when int.TryParse(token, out var i) && i >= 0 && i < a.Count => a[i],
                _ => throw new PatchException($"path \"{pointer}\" does not exist"),
            };
        }

        return node;
    }

    private static JsonNode Add(JsonNode root, string pointer, JsonNode? value)
    {
        var tokens = Tokens(pointer);
        if (tokens.Length == 0)
        {
            return value ?? throw new PatchException("cannot replace the document with null");
        }

        var parent = Get(root, ParentPointer(tokens));
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i <= a.Count:
                a.Insert(i, value);
                break;
            default:
                throw new PatchException($"cannot add at \"{pointer}\"");
        }

        return root;
    }

    private static JsonNode Remove(JsonNode root, string pointer, out JsonNode? removed)
    {
        var tokens = Tokens(pointer);
        if (tokens.Length == 0)
        {
            throw new PatchException("cannot remove the whole document");
        }

        var parent = Get(root, ParentPointer(tokens));
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject o when o.TryGetPropertyValue(last, out var value):
                o.Remove(last);
                removed = value;
                break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i < a.Count:
                removed = a[i];
                a.RemoveAt(i);
                break;
            default:
                throw new PatchException($"path \"{pointer}\" does not exist");
        }

        return root;
    }

    private static string ParentPointer(string[] tokens) =>
        tokens.Length == 1 ? "" : "/" + string.Join('/', tokens[..^1].Select(Escape));

    private static string Escape(string token) => token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
}

/// <summary>
/// RFC 7386 JSON Merge Patch (application/merge-patch+json): objects merge recursively, null
/// removes, everything else (arrays included) replaces.
/// </summary>
public static class JsonMergePatch
{
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else
            {
                result[key] = Apply(result[key], value);
            }
        }

        return result;
    }
}

public sealed class PatchException(string message) : Exception(message);
