using System.Globalization;
using System.Text;

namespace ApiExtensions.Cel;

/// <summary>cel-go's <c>string.format(list)</c>: %s, %d, %f (with precision), %e, %x, %X, %o, %b and %%.</summary>
internal static class StringFormat
{
    public static object Format(string format, ICelList args)
    {
        var sb = new StringBuilder();
        var argIndex = 0;
        for (var i = 0; i < format.Length; i++)
        {
            var c = format[i];
            if (c != '%')
            {
                sb.Append(c);
                continue;
            }
            if (++i >= format.Length)
            {
                return new CelError("unexpected end of format string");
            }
            if (format[i] == '%')
            {
                sb.Append('%');
                continue;
            }
            int? precision = null;
            if (format[i] == '.')
            {
                var start = ++i;
                while (i < format.Length && char.IsAsciiDigit(format[i]))
                {
                    i++;
                }
                precision = int.Parse(format.AsSpan(start, i - start), CultureInfo.InvariantCulture);
                if (i >= format.Length)
                {
                    return new CelError("unexpected end of format string");
                }
            }
            if (argIndex >= args.Count)
            {
                return new CelError($"index {argIndex} out of range");
            }
            var arg = args.Get(argIndex++);
            var verb = format[i];
            string? text = verb switch
            {
                's' => AsString(arg),
                'd' => arg switch { long l => l.ToString(CultureInfo.InvariantCulture), ulong u => u.ToString(CultureInfo.InvariantCulture), _ => null },
                'f' => ToDouble(arg) is { } f ? f.ToString("F" + (precision ?? 6), CultureInfo.InvariantCulture) : null,
                'e' => ToDouble(arg) is { } e ? FormatExp(e, precision ?? 6) : null,
                'x' or 'X' => Hex(arg, verb == 'X'),
                'o' => arg switch { long l => Convert.ToString(l, 8), ulong u => Convert.ToString((long)u, 8), _ => null },
                'b' => arg switch { long l => Convert.ToString(l, 2), ulong u => Convert.ToString((long)u, 2), bool b => b ? "true" : "false", _ => null },
                _ => null,
            };
            if (text is null)
            {
                return new CelError($"error during formatting: unrecognized formatting clause or argument type for %{verb}");
            }
            sb.Append(text);
        }
        return sb.ToString();
    }

    private static double? ToDouble(object v) => v switch
    {
        double d => d,
        long l => l,
        ulong u => u,
        _ => null,
    };

    private static string FormatExp(double d, int precision)
    {
        var s = d.ToString("E" + precision, CultureInfo.InvariantCulture).ToLowerInvariant();
        // .NET prints e+006, Go prints e+06.
        var e = s.IndexOf('e', StringComparison.Ordinal);
        var sign = s[e + 1];
        var digits = s[(e + 2)..].TrimStart('0').PadLeft(2, '0');
        return s[..(e + 1)] + sign + digits;
    }

    private static string? Hex(object v, bool upper)
    {
        var s = v switch
        {
            long l => l < 0 ? "-" + (-(System.Numerics.BigInteger)l).ToString("x", CultureInfo.InvariantCulture).TrimStart('0') : l.ToString("x", CultureInfo.InvariantCulture),
            ulong u => u.ToString("x", CultureInfo.InvariantCulture),
            string str => Convert.ToHexString(Encoding.UTF8.GetBytes(str)).ToLowerInvariant(),
            CelBytes b => Convert.ToHexString(b.Value).ToLowerInvariant(),
            _ => null,
        };
        return upper ? s?.ToUpperInvariant() : s;
    }

    private static string AsString(object v) => v switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        long or ulong => CelFormat.Display(v),
        double d => StandardLibrary.FormatDouble(d),
        CelNull => "null",
        CelBytes b => Encoding.UTF8.GetString(b.Value),
        ICelList l => "[" + string.Join(", ", KubernetesLibraries.Items(l).Select(AsString)) + "]",
        ICelMap m => "{" + string.Join(", ", m.Keys.Select(k => AsString(k) + ": " + (m.TryGet(k, out var x) ? AsString(x) : ""))) + "}",
        CelTypeValue t => t.Name,
        _ => v.ToString() ?? "",
    };
}
