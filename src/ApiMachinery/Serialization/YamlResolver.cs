using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ApiMachinery.Serialization;

/// <summary>
/// Plain-scalar resolution of go-yaml v2 (resolve.go), the YAML 1.1 flavour sigs.k8s.io/yaml uses:
/// yes/no/on/off are booleans, 0755 is octal, 1_000 is 1000, timestamps stay strings.
/// </summary>
internal static partial class YamlResolver
{
    public const string LongTagPrefix = "tag:yaml.org,2002:";
    public const string StrTag = LongTagPrefix + "str";
    public const string BoolTag = LongTagPrefix + "bool";
    public const string IntTag = LongTagPrefix + "int";
    public const string FloatTag = LongTagPrefix + "float";
    public const string NullTag = LongTagPrefix + "null";
    public const string TimestampTag = LongTagPrefix + "timestamp";
    public const string MergeTag = LongTagPrefix + "merge";
    public const string BinaryTag = LongTagPrefix + "binary";

    private static readonly Dictionary<string, (string Tag, object? Value)> ResolveMap = BuildResolveMap();

    [GeneratedRegex(@"\A[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex YamlStyleFloat();

    [GeneratedRegex(@"\A[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex Base60Float();

    [GeneratedRegex(@"\A([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:([Tt ])([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex TimestampShape();

    private static Dictionary<string, (string, object?)> BuildResolveMap()
    {
        var map = new Dictionary<string, (string, object?)>(StringComparer.Ordinal);
        void Add(string tag, object? value, params string[] spellings)
        {
            foreach (var s in spellings)
            {
                map[s] = (tag, value);
            }
        }
        Add(BoolTag, true, "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON");
        Add(BoolTag, false, "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF");
        Add(NullTag, null, "", "~", "null", "Null", "NULL");
        Add(FloatTag, double.NaN, ".nan", ".NaN", ".NAN");
        Add(FloatTag, double.PositiveInfinity, ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF");
        Add(FloatTag, double.NegativeInfinity, "-.inf", "-.Inf", "-.INF");
        Add(MergeTag, "<<", "<<");
        return map;
    }

    public static string ShortTag(string tag) =>
        tag.StartsWith(LongTagPrefix, StringComparison.Ordinal) ? "!!" + tag[LongTagPrefix.Length..] : tag;

    private static bool Resolvable(string tag) =>
        tag is "" or StrTag or BoolTag or IntTag or FloatTag or NullTag or TimestampTag;

    /// <summary>
    /// The resolved tag and value of a scalar: null, bool, long, ulong, double or string. Timestamps resolve
    /// to <see cref="TimestampTag"/> with the text as value. An explicit tag the text cannot satisfy fails.
    /// </summary>
    public static (string Tag, object? Value) Resolve(string tag, string input)
    {
        if (!Resolvable(tag))
        {
            return (tag, input);
        }
        var (rtag, value) = ResolveCore(tag, input);
        if (tag.Length == 0 || tag == rtag || tag == StrTag)
        {
            return (rtag, value);
        }
        if (tag == FloatTag && rtag == IntTag && value is long l)
        {
            return (FloatTag, (double)l);
        }
        throw new YamlJsonException($"yaml: cannot decode {ShortTag(rtag)} `{input}` as a {ShortTag(tag)}");
    }

    private static (string Tag, object? Value) ResolveCore(string tag, string input)
    {
        var hint = input.Length == 0 ? 'N' : Hint(input[0]);
        if (hint != 0 && tag != StrTag && tag != BinaryTag)
        {
            if (ResolveMap.TryGetValue(input, out var item))
            {
                return item;
            }
            switch (hint)
            {
                case '.':
                    if (TryParseGoFloat(input, out var f))
                    {
                        return (FloatTag, f);
                    }
                    break;
                case 'D':
                case 'S':
                    if ((tag.Length == 0 || tag == TimestampTag) && IsTimestamp(input))
                    {
                        return (TimestampTag, input);
                    }
                    var plain = input.Replace("_", "", StringComparison.Ordinal);
                    if (TryParseGoInt(plain, out var i))
                    {
                        return (IntTag, i);
                    }
                    if (TryParseGoUint(plain, out var u))
                    {
                        return (IntTag, u);
                    }
                    if (YamlStyleFloat().IsMatch(plain) && TryParseGoFloat(plain, out var pf))
                    {
                        return (FloatTag, pf);
                    }
                    break;
            }
        }
        return (StrTag, input);
    }

    private static char Hint(char c) => c switch
    {
        '+' or '-' => 'S',
        >= '0' and <= '9' => 'D',
        'y' or 'Y' or 'n' or 'N' or 't' or 'T' or 'f' or 'F' or 'o' or 'O' or '~' => 'M',
        '.' => '.',
        _ => '\0',
    };

    /// <summary>Whether a Go string would be written plain by go-yaml's encoder (it resolves to a string and is no base-60 float).</summary>
    public static bool CanUsePlain(string s) => ResolveCore("", s).Tag == StrTag && !IsBase60Float(s);

    private static bool IsBase60Float(string s)
    {
        if (s.Length == 0)
        {
            return false;
        }
        var c = s[0];
        if (!(c == '+' || c == '-' || c is >= '0' and <= '9') || !s.Contains(':', StringComparison.Ordinal))
        {
            return false;
        }
        return Base60Float().IsMatch(s);
    }

    // go-yaml's parseTimestamp: four digits and '-', then one of its layouts with Go's range checks.
    private static bool IsTimestamp(string s)
    {
        var m = TimestampShape().Match(s);
        if (!m.Success)
        {
            return false;
        }
        var year = int.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
        var month = int.Parse(m.Groups[2].ValueSpan, CultureInfo.InvariantCulture);
        var day = int.Parse(m.Groups[3].ValueSpan, CultureInfo.InvariantCulture);
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(year, 1), month))
        {
            return false;
        }
        if (!m.Groups[4].Success)
        {
            return true;
        }
        var separator = m.Groups[4].Value;
        var zone = m.Groups[8];
        // Only the space-separated layout has no zone, and it may not have one.
        if (separator == " " ? zone.Success : !zone.Success)
        {
            return false;
        }
        var hour = int.Parse(m.Groups[5].ValueSpan, CultureInfo.InvariantCulture);
        var minute = int.Parse(m.Groups[6].ValueSpan, CultureInfo.InvariantCulture);
        var second = int.Parse(m.Groups[7].ValueSpan, CultureInfo.InvariantCulture);
        if (hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }
        if (zone.Success && zone.Value != "Z")
        {
            var zh = int.Parse(zone.ValueSpan[1..3], CultureInfo.InvariantCulture);
            var zm = int.Parse(zone.ValueSpan[4..6], CultureInfo.InvariantCulture);
            if (zh > 24 || zm > 60)
            {
                return false;
            }
        }
        return true;
    }

    // strconv.ParseInt(s, 0, 64): optional sign, then 0x/0o/0b prefixes or a leading 0 for octal.
    internal static bool TryParseGoInt(string s, out long value)
    {
        value = 0;
        if (s.Length == 0)
        {
            return false;
        }
        var negative = false;
        var body = s;
        if (s[0] is '+' or '-')
        {
            negative = s[0] == '-';
            body = s[1..];
        }
        if (!TryParseGoUint(body, out var magnitude))
        {
            return false;
        }
        if (negative)
        {
            if (magnitude > (ulong)long.MaxValue + 1)
            {
                return false;
            }
            value = unchecked(-(long)magnitude);
            return true;
        }
        if (magnitude > long.MaxValue)
        {
            return false;
        }
        value = (long)magnitude;
        return true;
    }

    // strconv.ParseUint(s, 0, 64).
    internal static bool TryParseGoUint(string s, out ulong value)
    {
        value = 0;
        if (s.Length == 0)
        {
            return false;
        }
        var radix = 10;
        var digits = s;
        if (s[0] == '0')
        {
            if (s.Length >= 3 && (s[1] is 'x' or 'X'))
            {
                radix = 16;
                digits = s[2..];
            }
            else if (s.Length >= 3 && (s[1] is 'o' or 'O'))
            {
                radix = 8;
                digits = s[2..];
            }
            else if (s.Length >= 3 && (s[1] is 'b' or 'B'))
            {
                radix = 2;
                digits = s[2..];
            }
            else
            {
                radix = 8;
                digits = s[1..];
                if (digits.Length == 0)
                {
                    return true;
                }
            }
        }
        if (digits.Length == 0)
        {
            return false;
        }
        ulong result = 0;
        foreach (var c in digits)
        {
            int d;
            if (c is >= '0' and <= '9')
            {
                d = c - '0';
            }
            else if (c is >= 'a' and <= 'z')
            {
                d = c - 'a' + 10;
            }
            else if (c is >= 'A' and <= 'Z')
            {
                d = c - 'A' + 10;
            }
            else
            {
                return false;
            }
            if (d >= radix)
            {
                return false;
            }
            if (result > (ulong.MaxValue - (ulong)d) / (ulong)radix)
            {
                return false;
            }
            result = (result * (ulong)radix) + (ulong)d;
        }
        value = result;
        return true;
    }

    // strconv.ParseFloat(s, 64) for the decimal forms go-yaml hands it; out of range is an error, as in Go.
    internal static bool TryParseGoFloat(string s, out double value)
    {
        if (s.Length == 0 || s[^1] is '+' or '-' || !s.All(c => c is >= '0' and <= '9' or '.' or 'e' or 'E' or '+' or '-'))
        {
            value = 0;
            return false;
        }
        if (!double.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out value))
        {
            return false;
        }
        return !double.IsInfinity(value);
    }

    /// <summary>
    /// go-yaml's key order for maps (sorter.go keyList.Less on strings): letters before non-letters at the first
    /// difference, runs of digits compared by numeric value, otherwise by code point.
    /// </summary>
    public static bool KeyLess(string a, string b)
    {
        var ar = ToRunes(a);
        var br = ToRunes(b);
        for (var i = 0; i < ar.Length && i < br.Length; i++)
        {
            if (ar[i] == br[i])
            {
                continue;
            }
            var al = Rune.IsLetter(new Rune(ar[i]));
            var bl = Rune.IsLetter(new Rune(br[i]));
            if (al && bl)
            {
                return ar[i] < br[i];
            }
            if (al || bl)
            {
                return bl;
            }
            long an = 0, bn = 0;
            if (ar[i] == '0' || br[i] == '0')
            {
                for (var j = i - 1; j >= 0 && IsDigit(ar[j]); j--)
                {
                    if (ar[j] != '0')
                    {
                        an = 1;
                        bn = 1;
                        break;
                    }
                }
            }
            int ai, bi;
            for (ai = i; ai < ar.Length && IsDigit(ar[ai]); ai++)
            {
                an = unchecked((an * 10) + (ar[ai] - '0'));
            }
            for (bi = i; bi < br.Length && IsDigit(br[bi]); bi++)
            {
                bn = unchecked((bn * 10) + (br[bi] - '0'));
            }
            if (an != bn)
            {
                return an < bn;
            }
            if (ai != bi)
            {
                return ai < bi;
            }
            return ar[i] < br[i];
        }
        return ar.Length < br.Length;
    }

    private static bool IsDigit(int r) => Rune.IsDigit(new Rune(r));

    internal static int[] ToRunes(string s)
    {
        var runes = new List<int>(s.Length);
        foreach (var r in Text.GoText.EnumerateRunesLenient(s))
        {
            runes.Add(r.Value);
        }
        return [.. runes];
    }
}
