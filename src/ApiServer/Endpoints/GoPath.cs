using System.Text;
using ApiMachinery.Errors;

namespace ApiServer.Endpoints;

/// <summary>A request path as Go's net/url decodes it into URL.Path, which kube-apiserver routes on.</summary>
internal static class GoPath
{
    /// <summary>
    /// Every %XX becomes its byte (%2F a slash too), bytes are read as UTF-8 (invalid sequences become
    /// U+FFFD), and nothing else changes: no dot segments are removed. A malformed escape is refused
    /// with 400 and Go's message, as Go's server refuses the request line.
    /// </summary>
    public static string Unescape(ReadOnlySpan<char> raw)
    {
        if (raw.IndexOf('%') < 0)
        {
            return raw.ToString();
        }

        var bytes = new byte[Encoding.UTF8.GetMaxByteCount(raw.Length)];
        var length = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '%')
            {
                if (i + 2 >= raw.Length || !IsHex(raw[i + 1]) || !IsHex(raw[i + 2]))
                {
                    var bad = raw.Slice(i, Math.Min(3, raw.Length - i)).ToString();
                    throw StatusException.NewBadRequest($"invalid URL escape \"{bad}\"");
                }

                bytes[length++] = (byte)((HexValue(raw[i + 1]) << 4) | HexValue(raw[i + 2]));
                i += 2;
            }
            else if (c < 0x80)
            {
                bytes[length++] = (byte)c;
            }
            else
            {
                // Not ASCII in a request line: keep the character as Kestrel decoded it.
                var end = i + 1;
                while (end < raw.Length && raw[end] >= 0x80)
                {
                    end++;
                }

                length += Encoding.UTF8.GetBytes(raw[i..end], bytes.AsSpan(length));
                i = end - 1;
            }
        }

        return Encoding.UTF8.GetString(bytes, 0, length);
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
