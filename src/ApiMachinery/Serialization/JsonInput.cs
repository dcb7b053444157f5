using System.Buffers;
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
        if (AsGoReadsText(utf8) is { } fixedText)
        {
            utf8 = fixedText;
        }

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

    /// <summary>
    /// The text as Go's decoder reads it, or null when that is the text as it is: each byte that is
    /// not part of valid UTF-8 becomes U+FFFD (System.Text.Json would refuse to turn it into a string),
    /// and a \u escape of a lone UTF-16 surrogate becomes \ufffd (Go decodes it so; System.Text.Json
    /// would refuse it). Almost every body is valid UTF-8 without surrogate escapes: both checks are
    /// vectorized scans that copy nothing.
    /// </summary>
    public static byte[]? AsGoReadsText(ReadOnlySpan<byte> utf8)
    {
        byte[]? text = null;
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            text = ReplaceInvalidUtf8(utf8);
        }

        ReadOnlySpan<byte> current = text ?? utf8;
        if (current.IndexOf("\\u"u8) < 0)
        {
            return text;
        }

        var copy = text ?? current.ToArray();
        return ReplaceLoneSurrogateEscapes(copy) || text is not null ? copy : null;
    }

    /// <summary>Each byte Go's utf8.DecodeRune refuses (it consumes one byte at a time) becomes EF BF BD.</summary>
    private static byte[] ReplaceInvalidUtf8(ReadOnlySpan<byte> utf8)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>(utf8.Length + 16);
        while (!utf8.IsEmpty)
        {
            var status = System.Text.Rune.DecodeFromUtf8(utf8, out _, out var consumed);
            if (status == System.Buffers.OperationStatus.Done)
            {
                output.Write(utf8[..consumed]);
                utf8 = utf8[consumed..];
            }
            else
            {
                output.Write("\uFFFD"u8);
                utf8 = utf8[1..];
            }
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Rewrites, in place, each \uXXXX escape of a UTF-16 surrogate that is not half of a valid pair as
    /// \ufffd (same length). Escapes are followed from backslash to backslash, so an escaped backslash
    /// before "u" is not mistaken for one. Returns whether anything changed.
    /// </summary>
    private static bool ReplaceLoneSurrogateEscapes(byte[] text)
    {
        var changed = false;
        var i = 0;
        while (true)
        {
            var at = text.AsSpan(i).IndexOf((byte)'\\');
            if (at < 0)
            {
                return changed;
            }

            i += at;
            if (i + 1 >= text.Length)
            {
                return changed;
            }

            if (text[i + 1] != 'u' || Hex4(text, i + 2) is not { } unit)
            {
                i += 2; // any other escape, the escaped character included
                continue;
            }

            if (unit is >= 0xD800 and <= 0xDBFF && i + 12 <= text.Length && text[i + 6] == '\\' && text[i + 7] == 'u'
                && Hex4(text, i + 8) is >= 0xDC00 and <= 0xDFFF)
            {
                i += 12; // a valid pair
                continue;
            }

            if (unit is >= 0xD800 and <= 0xDFFF)
            {
                "\\ufffd"u8.CopyTo(text.AsSpan(i));
                changed = true;
            }

            i += 6;
        }
    }

    /// <summary>The value of four hex digits at <paramref name="at"/>, or null.</summary>
    private static int? Hex4(byte[] text, int at)
    {
        if (at + 4 > text.Length)
        {
            return null;
        }

        var value = 0;
        for (var k = 0; k < 4; k++)
        {
            var c = text[at + k];
            int digit = c switch
            {
                >= (byte)'0' and <= (byte)'9' => c - '0',
                >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                return null;
            }

            value = (value << 4) | digit;
        }

        return value;
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
