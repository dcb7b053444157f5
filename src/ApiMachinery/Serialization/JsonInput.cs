using System.Text.Json;
using System.Text.Json.Nodes;

namespace ApiMachinery.Serialization;

/// <summary>
/// Parses request JSON the way Go's decoder reads it: a field repeated within one object keeps its
/// last value instead of failing (System.Text.Json's JsonObject refuses duplicates), and the
/// repeats are reported by path (<c>metadata.name</c>, <c>spec.containers[0].image</c>) so
/// fieldValidation can refuse or warn about them as kube-apiserver does.
/// </summary>
public static class JsonInput
{
    public static JsonNode? Parse(ReadOnlySpan<byte> utf8, int maxDepth, List<string>? duplicates = null)
    {
        // Almost no request repeats a field: one parse that refuses repeats settles it, and only a
        // refused (or malformed) document is scanned for them. Scanning every body first cost a
        // string and a set per object on every write.
        List<string> found;
        try
        {
            return JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions { MaxDepth = maxDepth, AllowDuplicateProperties = false });
        }
        catch (JsonException)
        {
            // Malformed JSON fails here again, with the reader's own message, as it always has.
            found = FindDuplicates(utf8, maxDepth);
            if (found.Count == 0)
            {
                throw;
            }
        }

        duplicates?.AddRange(found);
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = maxDepth });
        using var document = JsonDocument.ParseValue(ref reader);
        return Build(document.RootElement);
    }

    /// <summary>The paths of fields that appear more than once in their object, in document order.</summary>
    public static List<string> FindDuplicates(ReadOnlySpan<byte> utf8, int maxDepth)
    {
        var found = new List<string>();
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = maxDepth });
        var frames = new List<Frame>();
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    Enter(frames);
                    frames.Add(new Frame(IsArray: false));
                    break;
                case JsonTokenType.StartArray:
                    Enter(frames);
                    frames.Add(new Frame(IsArray: true));
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    frames.RemoveAt(frames.Count - 1);
                    break;
                case JsonTokenType.PropertyName:
                    var frame = frames[^1];
                    var name = reader.GetString()!;
                    frame.Key = name;
                    if (!(frame.Keys ??= new HashSet<string>(StringComparer.Ordinal)).Add(name))
                    {
                        found.Add(PathOf(frames));
                    }

                    break;
                default:
                    Enter(frames);
                    break;
            }
        }

        return found;

        // A value inside an array advances its index.
        static void Enter(List<Frame> frames)
        {
            if (frames.Count > 0 && frames[^1].IsArray)
            {
                frames[^1].Index++;
            }
        }
    }

    private static string PathOf(List<Frame> frames)
    {
        var path = new System.Text.StringBuilder();
        foreach (var frame in frames)
        {
            if (frame.IsArray)
            {
                path.Append('[').Append(frame.Index).Append(']');
            }
            else
            {
                if (path.Length > 0)
                {
                    path.Append('.');
                }

                path.Append(frame.Key);
            }
        }

        return path.ToString();
    }

    private static JsonNode? Build(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var obj = new JsonObject();
                foreach (var property in element.EnumerateObject())
                {
                    // The last occurrence wins, as with Go's encoding/json.
                    obj[property.Name] = Build(property.Value);
                }

                return obj;
            case JsonValueKind.Array:
                return new JsonArray(element.EnumerateArray().Select(Build).ToArray());
            case JsonValueKind.Null:
                return null;
            default:
                return JsonValue.Create(element.Clone());
        }
    }

    private sealed class Frame(bool IsArray)
    {
        public bool IsArray { get; } = IsArray;

        /// <summary>The index of the current item (arrays), starting at -1 before the first.</summary>
        public int Index { get; set; } = -1;

        public string? Key { get; set; }

        public HashSet<string>? Keys { get; set; }
    }
}
