using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ApiMachinery.Text;

/// <summary>
/// Go's formatting of strings and floats. kube-apiserver builds its messages with fmt's %q and %v
/// and clients (and tests written against the real server) compare those texts verbatim.
/// </summary>
public static class GoText
{
    private const string LowerHex = "0123456789abcdef";

    /// <summary>strconv.Quote / fmt's %q: double-quoted, Go escapes, printable Unicode kept as is.</summary>
    public static string Quote(string value)
    {
        var sb = new StringBuilder(value.Length + 2);
        sb.Append('"');
        AppendQuoted(sb, value);
        sb.Append('"');
        return sb.ToString();
    }

    /// <summary>Appends the escaped body of <see cref="Quote"/> without the surrounding quotes.</summary>
    public static void AppendQuoted(StringBuilder sb, string value)
    {
        foreach (var rune in EnumerateRunesLenient(value))
        {
            var r = rune.Value;
            if (r is '"' or '\\')
            {
                sb.Append('\\').Append((char)r);
                continue;
            }
            if (IsPrint(rune))
            {
                sb.Append(rune.ToString());
                continue;
            }
            switch (r)
            {
                case '\a': sb.Append("\\a"); continue;
                case '\b': sb.Append("\\b"); continue;
                case '\f': sb.Append("\\f"); continue;
                case '\n': sb.Append("\\n"); continue;
                case '\r': sb.Append("\\r"); continue;
                case '\t': sb.Append("\\t"); continue;
                case '\v': sb.Append("\\v"); continue;
            }
            if (r < ' ' || r == 0x7f)
            {
                sb.Append("\\x").Append(LowerHex[r >> 4]).Append(LowerHex[r & 0xF]);
            }
            else if (r < 0x10000)
            {
                sb.Append("\\u");
                AppendHex(sb, r, 4);
            }
            else
            {
                sb.Append("\\U");
                AppendHex(sb, r, 8);
            }
        }
    }

    /// <summary>unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.</summary>
    public static bool IsPrint(Rune rune)
    {
        if (rune.Value == ' ')
        {
            return true;
        }
        switch (Rune.GetUnicodeCategory(rune))
        {
            case UnicodeCategory.UppercaseLetter:
            case UnicodeCategory.LowercaseLetter:
            case UnicodeCategory.TitlecaseLetter:
            case UnicodeCategory.ModifierLetter:
            case UnicodeCategory.OtherLetter:
            case UnicodeCategory.NonSpacingMark:
            case UnicodeCategory.SpacingCombiningMark:
            case UnicodeCategory.EnclosingMark:
            case UnicodeCategory.DecimalDigitNumber:
            case UnicodeCategory.LetterNumber:
            case UnicodeCategory.OtherNumber:
            case UnicodeCategory.ConnectorPunctuation:
            case UnicodeCategory.DashPunctuation:
            case UnicodeCategory.OpenPunctuation:
            case UnicodeCategory.ClosePunctuation:
            case UnicodeCategory.InitialQuotePunctuation:
            case UnicodeCategory.FinalQuotePunctuation:
            case UnicodeCategory.OtherPunctuation:
            case UnicodeCategory.MathSymbol:
            case UnicodeCategory.CurrencySymbol:
            case UnicodeCategory.ModifierSymbol:
            case UnicodeCategory.OtherSymbol:
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Runes of a .NET string; a lone surrogate becomes U+FFFD, which is what Go holds after decoding
    /// the same text from JSON.
    /// </summary>
    public static IEnumerable<Rune> EnumerateRunesLenient(string value)
    {
        for (var i = 0; i < value.Length;)
        {
            if (Rune.TryGetRuneAt(value, i, out var rune))
            {
                yield return rune;
                i += rune.Utf16SequenceLength;
            }
            else
            {
                yield return Rune.ReplacementChar;
                i++;
            }
        }
    }

    /// <summary>
    /// strconv.FormatFloat(value, format, -1, bitSize) for format 'e', 'f' or 'g': the shortest digits
    /// that round-trip, laid out as Go does ('g' switches to an exponent at 1e+06 and below 1e-04).
    /// </summary>
    public static string FormatFloat(double value, char format, int bitSize = 64)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }
        if (double.IsPositiveInfinity(value))
        {
            return "+Inf";
        }
        if (double.IsNegativeInfinity(value))
        {
            return "-Inf";
        }
        var negative = double.IsNegative(value);
        var (digits, decimalPoint) = ShortestDigits(value, bitSize);
        var sb = new StringBuilder();
        if (negative)
        {
            sb.Append('-');
        }
        switch (format)
        {
            case 'e':
                AppendE(sb, digits, decimalPoint);
                break;
            case 'f':
                AppendF(sb, digits, decimalPoint);
                break;
            case 'g':
                var exp = decimalPoint - 1;
                if (digits.Length == 0)
                {
                    exp = 0;
                }
                if (exp < -4 || exp >= 6)
                {
                    AppendE(sb, digits, decimalPoint);
                }
                else
                {
                    AppendF(sb, digits, decimalPoint);
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, "only 'e', 'f' and 'g' are supported");
        }
        return sb.ToString();
    }

    /// <summary>How Go's encoding/json writes a float64: 'f' form, 'e' form outside [1e-6, 1e21), "e-07" trimmed to "e-7".</summary>
    public static string FormatJsonFloat(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "json: unsupported value");
        }
        var abs = Math.Abs(value);
        var format = abs != 0 && (abs < 1e-6 || abs >= 1e21) ? 'e' : 'f';
        var s = FormatFloat(value, format);
        if (format == 'e')
        {
            var n = s.Length;
            if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0')
            {
                s = string.Concat(s.AsSpan(0, n - 2), s.AsSpan(n - 1));
            }
        }
        return s;
    }

    /// <summary>
    /// An approximation of fmt's %#v for the values kube's messages print: strings quoted, numbers and
    /// booleans bare, JSON objects as maps (keys sorted, as fmt does) named <paramref name="mapType"/>,
    /// arrays and other sequences as <c>[]interface {}{...}</c>, string lists as <c>[]string{...}</c>.
    /// </summary>
    public static string GoSyntax(object? value, string mapType = "map[string]interface {}")
    {
        var sb = new StringBuilder();
        AppendGoSyntax(sb, value, mapType, topLevel: true);
        return sb.ToString();
    }

    private static void AppendGoSyntax(StringBuilder sb, object? value, string mapType, bool topLevel)
    {
        switch (value)
        {
            case null:
                sb.Append(topLevel ? "<nil>" : "interface {}(nil)");
                return;
            case string s:
                sb.Append(Quote(s));
                return;
            case bool b:
                sb.Append(b ? "true" : "false");
                return;
            case double d:
                sb.Append(FormatFloat(d, 'g'));
                return;
            case JsonObject obj:
                sb.Append(mapType).Append('{');
                var first = true;
                foreach (var key in obj.Select(p => p.Key).Order(StringComparer.Ordinal))
                {
                    if (!first)
                    {
                        sb.Append(", ");
                    }
                    first = false;
                    sb.Append(Quote(key)).Append(':');
                    AppendGoSyntax(sb, obj[key], mapType, topLevel: false);
                }
                sb.Append('}');
                return;
            case JsonArray array:
                sb.Append("[]interface {}{");
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(", ");
                    }
                    AppendGoSyntax(sb, array[i], mapType, topLevel: false);
                }
                sb.Append('}');
                return;
            case JsonValue jv:
                switch (jv.GetValueKind())
                {
                    case JsonValueKind.String:
                        sb.Append(Quote(jv.TryGetValue<string>(out var str) ? str : jv.ToJsonString()));
                        return;
                    case JsonValueKind.True:
                        sb.Append("true");
                        return;
                    case JsonValueKind.False:
                        sb.Append("false");
                        return;
                    case JsonValueKind.Number when jv.TryGetValue<long>(out var l):
                        sb.Append(l.ToString(CultureInfo.InvariantCulture));
                        return;
                    case JsonValueKind.Number:
                        sb.Append(FormatFloat(jv.GetValue<double>(), 'g'));
                        return;
                    default:
                        sb.Append(jv.ToJsonString());
                        return;
                }
            case IEnumerable<KeyValuePair<string, string>> map:
                sb.Append("map[string]string{");
                sb.Append(string.Join(", ", map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => Quote(p.Key) + ":" + Quote(p.Value))));
                sb.Append('}');
                return;
            case IEnumerable<string> strings:
                sb.Append("[]string{").Append(string.Join(", ", strings.Select(Quote))).Append('}');
                return;
            case IFormattable formattable when value.GetType().IsPrimitive || value is decimal:
                sb.Append(formattable.ToString(null, CultureInfo.InvariantCulture));
                return;
            case IEnumerable items:
                sb.Append("[]interface {}{");
                var firstItem = true;
                foreach (var item in items)
                {
                    if (!firstItem)
                    {
                        sb.Append(", ");
                    }
                    firstItem = false;
                    AppendGoSyntax(sb, item, mapType, topLevel: false);
                }
                sb.Append('}');
                return;
            default:
                sb.Append(value.ToString());
                return;
        }
    }

    private static void AppendE(StringBuilder sb, string digits, int decimalPoint)
    {
        if (digits.Length == 0)
        {
            sb.Append("0e+00");
            return;
        }
        sb.Append(digits[0]);
        if (digits.Length > 1)
        {
            sb.Append('.').Append(digits, 1, digits.Length - 1);
        }
        var exp = decimalPoint - 1;
        sb.Append('e').Append(exp < 0 ? '-' : '+');
        exp = Math.Abs(exp);
        if (exp < 10)
        {
            sb.Append('0');
        }
        sb.Append(exp.ToString(CultureInfo.InvariantCulture));
    }

    private static void AppendF(StringBuilder sb, string digits, int decimalPoint)
    {
        if (digits.Length == 0)
        {
            sb.Append('0');
            return;
        }
        if (decimalPoint <= 0)
        {
            sb.Append("0.").Append('0', -decimalPoint).Append(digits);
        }
        else if (decimalPoint >= digits.Length)
        {
            sb.Append(digits).Append('0', decimalPoint - digits.Length);
        }
        else
        {
            sb.Append(digits, 0, decimalPoint).Append('.').Append(digits, decimalPoint, digits.Length - decimalPoint);
        }
    }

    // Digits d1..dn and decimal point position dp such that |value| = 0.d1...dn * 10^dp.
    private static (string Digits, int DecimalPoint) ShortestDigits(double value, int bitSize)
    {
        var text = bitSize == 32
            ? Math.Abs((float)value).ToString("R", CultureInfo.InvariantCulture)
            : Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var exponent = 0;
        var e = text.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(text.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            text = text[..e];
        }
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var intPart = dot >= 0 ? text[..dot] : text;
        var fracPart = dot >= 0 ? text[(dot + 1)..] : string.Empty;
        var all = intPart + fracPart;
        var dp = intPart.Length + exponent;
        var start = 0;
        while (start < all.Length && all[start] == '0')
        {
            start++;
            dp--;
        }
        var end = all.Length;
        while (end > start && all[end - 1] == '0')
        {
            end--;
        }
        if (start == end)
        {
            return (string.Empty, 0);
        }
        return (all[start..end], dp);
    }

    private static void AppendHex(StringBuilder sb, int value, int width)
    {
        for (var shift = (width - 1) * 4; shift >= 0; shift -= 4)
        {
            sb.Append(LowerHex[(value >> shift) & 0xF]);
        }
    }
}
