using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ApiMachinery.Serialization;

/// <summary>
/// Escapes strings exactly as Go's encoding/json (which kube-apiserver's JSON serializer uses):
/// <c>\"</c>, <c>\\</c>, <c>\b \f \n \r \t</c>, other control characters as <c>\u00xx</c>, the HTML characters
/// <c>&lt; &gt; &amp;</c> and U+2028/U+2029 as <c>\u</c> escapes, everything else verbatim (no escaping of non-ASCII).
/// System.Text.Json's default encoder escapes far more (quotes as \u0022, all non-ASCII), which breaks
/// byte-for-byte comparisons with kube's answers.
/// </summary>
public sealed class GoJsonEncoder : JavaScriptEncoder
{
    public static readonly GoJsonEncoder Instance = new();

    /// <summary>Writer options that produce Go-compatible compact JSON.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = Instance, Indented = false };

    /// <summary>Serializer options for JsonNode.ToJsonString with Go-compatible escaping.</summary>
    public static readonly JsonSerializerOptions SerializerOptions = new() { Encoder = Instance, WriteIndented = false };

    private const string LowerHex = "0123456789abcdef";

    /// <summary>Compact JSON with every object's keys in ordinal order, as Go's json.Marshal writes a map.</summary>
    public static string SortedJson(System.Text.Json.Nodes.JsonNode? node) => Sorted(node)?.ToJsonString(SerializerOptions) ?? "null";

    private static System.Text.Json.Nodes.JsonNode? Sorted(System.Text.Json.Nodes.JsonNode? node) => node switch
    {
        System.Text.Json.Nodes.JsonObject obj => new System.Text.Json.Nodes.JsonObject(
            obj.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        System.Text.Json.Nodes.JsonArray array => new System.Text.Json.Nodes.JsonArray(array.Select(Sorted).ToArray()),
        _ => node?.DeepClone(),
    };

    private GoJsonEncoder()
    {
    }

    public override int MaxOutputCharactersPerInputCharacter => 12;

    public override bool WillEncode(int unicodeScalar) => Escaped(unicodeScalar);

    /// <summary>What Go escapes: control characters, the quote and backslash, HTML's &lt; &gt; &amp;, U+2028 and U+2029.</summary>
    private static bool Escaped(int unicodeScalar) =>
        unicodeScalar < 0x20 || unicodeScalar is '"' or '\\' or '<' or '>' or '&' or 0x2028 or 0x2029;

    /// <summary>The ASCII characters Go writes verbatim (DEL among them); a scan skips runs of them vectorized.</summary>
    private static readonly char[] VerbatimAsciiChars =
        Enumerable.Range(0, 0x80).Where(c => !Escaped(c)).Select(c => (char)c).ToArray();

    private static readonly System.Buffers.SearchValues<char> VerbatimAscii = System.Buffers.SearchValues.Create(VerbatimAsciiChars);

    private static readonly System.Buffers.SearchValues<byte> VerbatimAsciiBytes =
        System.Buffers.SearchValues.Create(VerbatimAsciiChars.Select(c => (byte)c).ToArray());

    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
    {
        var span = new ReadOnlySpan<char>(text, textLength);
        var i = 0;
        while (true)
        {
            var next = span[i..].IndexOfAnyExcept(VerbatimAscii);
            if (next < 0)
            {
                return -1;
            }

            i += next;
            var c = span[i];
            if (char.IsSurrogate(c))
            {
                if (char.IsHighSurrogate(c) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1]))
                {
                    i += 2;
                    continue;
                }

                return i;
            }

            if (WillEncode(c))
            {
                return i;
            }

            i++;
        }
    }

    /// <summary>
    /// The UTF-8 form, used for values written straight from parsed JSON. The base class decodes
    /// every scalar; this skips verbatim ASCII runs vectorized and decodes only non-ASCII.
    /// Invalid UTF-8 is reported for encoding (it becomes U+FFFD, as Go writes it).
    /// </summary>
    public override int FindFirstCharacterToEncodeUtf8(ReadOnlySpan<byte> utf8Text)
    {
        var i = 0;
        while (true)
        {
            var next = utf8Text[i..].IndexOfAnyExcept(VerbatimAsciiBytes);
            if (next < 0)
            {
                return -1;
            }

            i += next;
            if (utf8Text[i] < 0x80)
            {
                return i;
            }

            if (Rune.DecodeFromUtf8(utf8Text[i..], out var rune, out var consumed) != System.Buffers.OperationStatus.Done || WillEncode(rune.Value))
            {
                return i;
            }

            i += consumed;
        }
    }

    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
    {
        string replacement;
        switch (unicodeScalar)
        {
            case '"': replacement = "\\\""; break;
            case '\\': replacement = "\\\\"; break;
            case '\b': replacement = "\\b"; break;
            case '\f': replacement = "\\f"; break;
            case '\n': replacement = "\\n"; break;
            case '\r': replacement = "\\r"; break;
            case '\t': replacement = "\\t"; break;
            default:
                if (WillEncode(unicodeScalar))
                {
                    replacement = "\\u" + Hex4(unicodeScalar);
                }
                else if (!Rune.IsValid(unicodeScalar))
                {
                    replacement = "\\ufffd";
                }
                else
                {
                    replacement = new Rune(unicodeScalar).ToString();
                }
                break;
        }
        if (replacement.Length > bufferLength)
        {
            numberOfCharactersWritten = 0;
            return false;
        }
        for (var i = 0; i < replacement.Length; i++)
        {
            buffer[i] = replacement[i];
        }
        numberOfCharactersWritten = replacement.Length;
        return true;
    }

    private static string Hex4(int value) =>
        string.Create(4, value, static (span, v) =>
        {
            span[0] = LowerHex[(v >> 12) & 0xF];
            span[1] = LowerHex[(v >> 8) & 0xF];
            span[2] = LowerHex[(v >> 4) & 0xF];
            span[3] = LowerHex[v & 0xF];
        });
}
