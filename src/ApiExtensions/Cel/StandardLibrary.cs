using System.Globalization;
using System.Text;
using ApiExtensions.Schema;

namespace ApiExtensions.Cel;

/// <summary>CEL's standard functions (cel-spec's language definition), with cel-go's error texts.</summary>
internal static class StandardLibrary
{
    internal static readonly CelType A = CelType.Param("A");
    internal static readonly CelType B = CelType.Param("B");
    internal static readonly CelType K = CelType.Param("K");
    internal static readonly CelType V = CelType.Param("V");

    private static readonly CelType I = CelType.Int;
    private static readonly CelType U = CelType.Uint;
    private static readonly CelType D = CelType.Double;
    private static readonly CelType S = CelType.String;
    private static readonly CelType By = CelType.Bytes;
    private static readonly CelType Bo = CelType.Bool;
    private static readonly CelType Du = CelType.Duration;
    private static readonly CelType Ts = CelType.Timestamp;

    internal static long StringCost(object s) => TraversalCost(((string)s).Length);

    internal static long TraversalCost(long size) => (long)Math.Ceiling(size * 0.1);

    internal static ulong EstimateTraversal(ulong size) => (ulong)Math.Ceiling(size * 0.1);

    public static void Register(FunctionRegistry r)
    {
        RegisterArithmetic(r);
        RegisterComparisons(r);
        RegisterCollections(r);
        RegisterConversions(r);
        RegisterStrings(r);
        RegisterTime(r);
    }

    private static void RegisterArithmetic(FunctionRegistry r)
    {
        r.Global("_+_", [I, I], I, (a, b) => AddInt((long)a, (long)b));
        r.Global("_+_", [U, U], U, (a, b) => (ulong)a > ulong.MaxValue - (ulong)b ? new CelError("unsigned integer overflow") : (object)((ulong)a + (ulong)b));
        r.Global("_+_", [D, D], D, (a, b) => (double)a + (double)b);
        r.Global("_+_", [S, S], S, (a, b) => string.Concat((string)a, (string)b), args => TraversalCost(((string)args[0]).Length + ((string)args[1]).Length), s => EstimateTraversal(s[0] + s[1]));
        r.Global("_+_", [By, By], By, (a, b) => new CelBytes([.. ((CelBytes)a).Value, .. ((CelBytes)b).Value]), args => TraversalCost(((CelBytes)args[0]).Value.Length + ((CelBytes)args[1]).Value.Length), s => EstimateTraversal(s[0] + s[1]));
        r.Global("_+_", [CelType.List(A), CelType.List(A)], CelType.List(A), (a, b) => ConcatLists((ICelList)a, (ICelList)b), args => TraversalCost(((ICelList)args[0]).Count + ((ICelList)args[1]).Count), s => EstimateTraversal(s[0] + s[1]));
        r.Global("_+_", [Du, Du], Du, (a, b) => AddDuration(((CelDuration)a).Nanos, ((CelDuration)b).Nanos));
        r.Global("_+_", [Ts, Du], Ts, (a, b) => AddTimestamp((CelTimestamp)a, ((CelDuration)b).Nanos));
        r.Global("_+_", [Du, Ts], Ts, (a, b) => AddTimestamp((CelTimestamp)b, ((CelDuration)a).Nanos));

        r.Global("_-_", [I, I], I, (a, b) => SubInt((long)a, (long)b));
        r.Global("_-_", [U, U], U, (a, b) => (ulong)a < (ulong)b ? new CelError("unsigned integer overflow") : (object)((ulong)a - (ulong)b));
        r.Global("_-_", [D, D], D, (a, b) => (double)a - (double)b);
        r.Global("_-_", [Du, Du], Du, (a, b) => SubDuration(((CelDuration)a).Nanos, ((CelDuration)b).Nanos));
        r.Global("_-_", [Ts, Ts], Du, (a, b) => TimestampDiff((CelTimestamp)a, (CelTimestamp)b));
        r.Global("_-_", [Ts, Du], Ts, (a, b) => ((CelDuration)b).Nanos == long.MinValue ? new CelError("integer overflow") : AddTimestamp((CelTimestamp)a, -((CelDuration)b).Nanos));

        r.Global("_*_", [I, I], I, (a, b) =>
        {
            try
            {
                return checked((long)a * (long)b);
            }
            catch (OverflowException)
            {
                return new CelError("integer overflow");
            }
        });
        r.Global("_*_", [U, U], U, (a, b) =>
        {
            try
            {
                return checked((ulong)a * (ulong)b);
            }
            catch (OverflowException)
            {
                return new CelError("unsigned integer overflow");
            }
        });
        r.Global("_*_", [D, D], D, (a, b) => (double)a * (double)b);

        r.Global("_/_", [I, I], I, (a, b) => (long)b == 0 ? new CelError("division by zero") : (long)a == long.MinValue && (long)b == -1 ? new CelError("integer overflow") : (object)((long)a / (long)b));
        r.Global("_/_", [U, U], U, (a, b) => (ulong)b == 0 ? new CelError("division by zero") : (object)((ulong)a / (ulong)b));
        r.Global("_/_", [D, D], D, (a, b) => (double)a / (double)b);
        r.Global("_%_", [I, I], I, (a, b) => (long)b == 0 ? new CelError("modulus by zero") : (long)a == long.MinValue && (long)b == -1 ? new CelError("integer overflow") : (object)((long)a % (long)b));
        r.Global("_%_", [U, U], U, (a, b) => (ulong)b == 0 ? new CelError("modulus by zero") : (object)((ulong)a % (ulong)b));

        r.Global("-_", [I], I, a => (long)a == long.MinValue ? new CelError("integer overflow") : (object)(-(long)a));
        r.Global("-_", [D], D, a => -(double)a);
        r.Global("!_", [Bo], Bo, a => !(bool)a);
    }

    private static object AddInt(long a, long b)
    {
        var r = unchecked(a + b);
        return ((a ^ r) & (b ^ r)) < 0 ? new CelError("integer overflow") : r;
    }

    private static object SubInt(long a, long b)
    {
        var r = unchecked(a - b);
        return ((a ^ b) & (a ^ r)) < 0 ? new CelError("integer overflow") : r;
    }

    private static object AddDuration(long a, long b) => AddInt(a, b) is long n ? new CelDuration(n) : new CelError("integer overflow");

    private static object SubDuration(long a, long b) => SubInt(a, b) is long n ? new CelDuration(n) : new CelError("integer overflow");

    internal static object AddTimestamp(CelTimestamp t, long nanos)
    {
        var seconds = t.Seconds + nanos / 1_000_000_000;
        var n = t.Nanos + (int)(nanos % 1_000_000_000);
        if (n >= 1_000_000_000)
        {
            seconds++;
            n -= 1_000_000_000;
        }
        else if (n < 0)
        {
            seconds--;
            n += 1_000_000_000;
        }
        var result = new CelTimestamp(seconds, n);
        return result.InRange ? result : new CelError("timestamp overflow");
    }

    private static object TimestampDiff(CelTimestamp a, CelTimestamp b)
    {
        var seconds = (System.Numerics.BigInteger)a.Seconds - b.Seconds;
        var nanos = seconds * 1_000_000_000 + (a.Nanos - b.Nanos);
        return nanos < long.MinValue || nanos > long.MaxValue ? new CelError("integer overflow") : new CelDuration((long)nanos);
    }

    internal static ICelList ConcatLists(ICelList a, ICelList b)
    {
        if (a.Count == 0)
        {
            return b;
        }
        if (b.Count == 0)
        {
            return a;
        }
        var items = new object[a.Count + b.Count];
        for (var i = 0; i < a.Count; i++)
        {
            items[i] = a.Get(i);
        }
        for (var i = 0; i < b.Count; i++)
        {
            items[a.Count + i] = b.Get(i);
        }
        return new CelList(items);
    }

    private static void RegisterComparisons(FunctionRegistry r)
    {
        var ordered = new[] { I, U, D, S, By, Bo, Du, Ts };
        var numeric = new[] { I, U, D };
        foreach (var (name, test) in new (string, Func<int, bool>)[] { ("_<_", c => c < 0), ("_<=_", c => c <= 0), ("_>_", c => c > 0), ("_>=_", c => c >= 0) })
        {
            foreach (var t in ordered)
            {
                r.Global(name, [t, t], Bo, (a, b) => CelEquality.Compare(a, b) is { } c ? test(c) : false,
                    t == S || t == By ? args => TraversalCost(Math.Min(SizeOf(args[0]), SizeOf(args[1]))) : null);
            }
            // Kubernetes enables cross-type numeric comparisons.
            foreach (var x in numeric)
            {
                foreach (var y in numeric)
                {
                    if (x != y)
                    {
                        r.Global(name, [x, y], Bo, (a, b) => CelEquality.Compare(a, b) is { } c ? test(c) : false);
                    }
                }
            }
        }
        r.Global("_==_", [A, A], Bo, (a, b) => CelEquality.ValueEquals(a, b), args => EqualityCost(args[0], args[1]), s => EstimateTraversal(Math.Min(s[0], s[1])));
        r.Global("_!=_", [A, A], Bo, (a, b) => !CelEquality.ValueEquals(a, b), args => EqualityCost(args[0], args[1]), s => EstimateTraversal(Math.Min(s[0], s[1])));
    }

    private static long EqualityCost(object a, object b) => a switch
    {
        string or CelBytes or ICelList or ICelMap => TraversalCost(Math.Min(SizeOf(a), SizeOf(b))),
        _ => 0,
    };

    internal static long SizeOf(object v) => v switch
    {
        string s => s.Length,
        CelBytes b => b.Value.Length,
        ICelList l => l.Count,
        ICelMap m => m.Count,
        _ => 1,
    };

    private static void RegisterCollections(FunctionRegistry r)
    {
        r.Global("size", [S], I, a => (long)RuneCount((string)a));
        r.Member("size", [S], I, a => (long)RuneCount((string)a));
        r.Global("size", [By], I, a => (long)((CelBytes)a).Value.Length);
        r.Member("size", [By], I, a => (long)((CelBytes)a).Value.Length);
        r.Global("size", [CelType.List(A)], I, a => (long)((ICelList)a).Count);
        r.Member("size", [CelType.List(A)], I, a => (long)((ICelList)a).Count);
        r.Global("size", [CelType.Map(K, V)], I, a => (long)((ICelMap)a).Count);
        r.Member("size", [CelType.Map(K, V)], I, a => (long)((ICelMap)a).Count);

        r.Global("_[_]", [CelType.List(A), I], A, (l, i) => ListIndex((ICelList)l, i));
        r.Global("_[_]", [CelType.List(A), U], A, (l, i) => ListIndex((ICelList)l, i));
        r.Global("_[_]", [CelType.List(A), D], A, (l, i) => ListIndex((ICelList)l, i));
        r.Global("_[_]", [CelType.Map(K, V), K], V, (m, k) => ((ICelMap)m).TryGet(k, out var v) ? v : CelError.NoSuchKey(k));
        r.Global("@in", [A, CelType.List(A)], Bo, (x, l) => ListContains((ICelList)l, x), args => TraversalCost(((ICelList)args[1]).Count), s => EstimateTraversal(s[1]));
        r.Global("@in", [K, CelType.Map(K, V)], Bo, (x, m) => ((ICelMap)m).TryGet(x, out _));
    }

    internal static object ListIndex(ICelList list, object index)
    {
        long i;
        switch (index)
        {
            case long l:
                i = l;
                break;
            case ulong u:
                i = u > long.MaxValue ? long.MaxValue : (long)u;
                break;
            case double d when d == Math.Floor(d) && double.IsFinite(d):
                i = (long)d;
                break;
            case double:
                return new CelError("unsupported index value");
            default:
                return CelError.NoSuchOverload("_[_]");
        }
        return i < 0 || i >= list.Count ? CelError.IndexOutOfBounds(i) : list.Get((int)i);
    }

    internal static object ListContains(ICelList list, object x)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (CelEquality.ValueEquals(list.Get(i), x))
            {
                return true;
            }
        }
        return false;
    }

    internal static int RuneCount(string s)
    {
        var n = s.Length;
        foreach (var c in s)
        {
            if (char.IsLowSurrogate(c))
            {
                n--;
            }
        }
        return n;
    }

    private static void RegisterConversions(FunctionRegistry r)
    {
        r.Global("int", [I], I, a => a);
        r.Global("int", [U], I, a => (ulong)a > long.MaxValue ? new CelError("integer overflow") : (object)(long)(ulong)a);
        r.Global("int", [D], I, a => (double)a is var d && double.IsFinite(d) && d > -9.2233720368547758e18 && d < 9.2233720368547758e18 ? (long)d : new CelError("integer overflow"));
        r.Global("int", [S], I, a => long.TryParse((string)a, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : new CelError($"type conversion error from 'string' to 'int'"));
        r.Global("int", [Ts], I, a => ((CelTimestamp)a).Seconds);
        r.Global("uint", [U], U, a => a);
        r.Global("uint", [I], U, a => (long)a < 0 ? new CelError("unsigned integer overflow") : (object)(ulong)(long)a);
        r.Global("uint", [D], U, a => (double)a is var d && double.IsFinite(d) && d > -1 && d < 1.8446744073709552e19 ? (ulong)d : new CelError("unsigned integer overflow"));
        r.Global("uint", [S], U, a => ulong.TryParse((string)a, NumberStyles.None, CultureInfo.InvariantCulture, out var u) ? u : new CelError("type conversion error from 'string' to 'uint'"));
        r.Global("double", [D], D, a => a);
        r.Global("double", [I], D, a => (double)(long)a);
        r.Global("double", [U], D, a => (double)(ulong)a);
        r.Global("double", [S], D, a => ParseDouble((string)a) is { } d ? d : new CelError("type conversion error from 'string' to 'double'"));
        r.Global("string", [S], S, a => a);
        r.Global("string", [I], S, a => ((long)a).ToString(CultureInfo.InvariantCulture));
        r.Global("string", [U], S, a => ((ulong)a).ToString(CultureInfo.InvariantCulture));
        r.Global("string", [D], S, a => FormatDouble((double)a));
        r.Global("string", [Bo], S, a => (bool)a ? "true" : "false");
        r.Global("string", [By], S, a => DecodeUtf8(((CelBytes)a).Value) is { } s ? s : new CelError("invalid UTF-8 in bytes, cannot convert to string"));
        r.Global("string", [Ts], S, a => ((CelTimestamp)a).ToString());
        r.Global("string", [Du], S, a => ((CelDuration)a).ToString());
        r.Global("bytes", [By], By, a => a);
        r.Global("bytes", [S], By, a => new CelBytes(Encoding.UTF8.GetBytes((string)a)));
        r.Global("bool", [Bo], Bo, a => a);
        r.Global("bool", [S], Bo, a => (string)a switch
        {
            "1" or "t" or "true" or "TRUE" or "True" => true,
            "0" or "f" or "false" or "FALSE" or "False" => false,
            _ => new CelError("type conversion error from 'string' to 'bool'"),
        });
        r.Global("duration", [Du], Du, a => a);
        r.Global("duration", [S], Du, a => GoDuration.TryParse((string)a, out var n) ? new CelDuration(n) : new CelError($"type conversion error from 'string' to 'google.protobuf.Duration'"));
        r.Global("timestamp", [Ts], Ts, a => a);
        r.Global("timestamp", [I], Ts, a => new CelTimestamp((long)a, 0) is var t && t.InRange ? t : new CelError("timestamp overflow"));
        r.Global("timestamp", [S], Ts, a => ParseTimestamp((string)a) is { } t ? t : new CelError("type conversion error from 'string' to 'google.protobuf.Timestamp'"));
        r.Global("dyn", [A], CelType.Dyn, a => a);
        r.Global("type", [A], CelType.TypeOf(A), a => new CelTypeValue(CelEquality.TypeName(a)));
    }

    internal static double? ParseDouble(string s) => s switch
    {
        "NaN" => double.NaN,
        "Infinity" or "+Infinity" or "inf" or "+inf" => double.PositiveInfinity,
        "-Infinity" or "-inf" => double.NegativeInfinity,
        _ => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null,
    };

    /// <summary>string(double) as cel-go prints it (Go's strconv 'g' with the shortest representation).</summary>
    internal static string FormatDouble(double d) => double.IsPositiveInfinity(d) ? "+Inf" : ApiMachinery.Text.GoText.FormatFloat(d, 'g');

    private static string? DecodeUtf8(byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    internal static CelTimestamp? ParseTimestamp(string s)
    {
        // RFC 3339 with an optional fraction of up to nine digits.
        var m = System.Text.RegularExpressions.Regex.Match(s, @"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$");
        if (!m.Success)
        {
            return null;
        }
        try
        {
            var dt = new DateTime(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
                int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture),
                int.Parse(m.Groups[5].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[6].Value, CultureInfo.InvariantCulture), DateTimeKind.Utc);
            var nanos = m.Groups[7].Success ? int.Parse(m.Groups[7].Value.PadRight(9, '0'), CultureInfo.InvariantCulture) : 0;
            var zone = m.Groups[8].Value;
            long offsetSeconds = 0;
            if (zone is not ("Z" or "z"))
            {
                var sign = zone[0] == '-' ? -1 : 1;
                offsetSeconds = sign * (int.Parse(zone.AsSpan(1, 2), CultureInfo.InvariantCulture) * 3600 + int.Parse(zone.AsSpan(4, 2), CultureInfo.InvariantCulture) * 60);
            }
            var seconds = (long)(dt - DateTime.UnixEpoch).TotalSeconds - offsetSeconds;
            var t = new CelTimestamp(seconds, nanos);
            return t.InRange ? t : null;
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static void RegisterStrings(FunctionRegistry r)
    {
        r.Member("contains", [S, S], Bo, (a, b) => ((string)a).Contains((string)b, StringComparison.Ordinal), args => StringCost(args[0]), s => EstimateTraversal(s[0]));
        r.Member("startsWith", [S, S], Bo, (a, b) => ((string)a).StartsWith((string)b, StringComparison.Ordinal), args => StringCost(args[1]), s => EstimateTraversal(s[1]));
        r.Member("endsWith", [S, S], Bo, (a, b) => ((string)a).EndsWith((string)b, StringComparison.Ordinal), args => StringCost(args[1]), s => EstimateTraversal(s[1]));
        r.Member("matches", [S, S], Bo, (a, b) => Matches((string)a, (string)b), args => RegexCost(args[0], args[1]), s => EstimateTraversal(s[0]) * Math.Max(1, EstimateTraversal(s[1])));
        r.Global("matches", [S, S], Bo, (a, b) => Matches((string)a, (string)b), args => RegexCost(args[0], args[1]), s => EstimateTraversal(s[0]) * Math.Max(1, EstimateTraversal(s[1])));
    }

    internal static long RegexCost(object s, object pattern) => TraversalCost(((string)s).Length) * Math.Max(1, TraversalCost(((string)pattern).Length));

    internal static object Matches(string s, string pattern)
    {
        var (regex, error) = GoRegex.TryCompile(pattern);
        return regex is null ? new CelError("invalid regular expression: " + error) : regex.IsMatch(s);
    }

    private static void RegisterTime(FunctionRegistry r)
    {
        void Accessor(string name, Func<DateTime, long> get, Func<CelTimestamp, DateTime, long>? exact = null)
        {
            Func<CelTimestamp, DateTime, long> f = exact ?? ((_, dt) => get(dt));
            r.Member(name, [Ts], I, a => f((CelTimestamp)a, ((CelTimestamp)a).ToDateTime()));
            r.Member(name, [Ts, S], I, (a, tz) => InZone((CelTimestamp)a, (string)tz) is { } dt ? f((CelTimestamp)a, dt) : new CelError("invalid time zone: " + (string)tz));
        }
        Accessor("getFullYear", dt => dt.Year);
        Accessor("getMonth", dt => dt.Month - 1);
        Accessor("getDayOfYear", dt => dt.DayOfYear - 1);
        Accessor("getDayOfMonth", dt => dt.Day - 1);
        Accessor("getDate", dt => dt.Day);
        Accessor("getDayOfWeek", dt => (long)dt.DayOfWeek);
        Accessor("getHours", dt => dt.Hour);
        Accessor("getMinutes", dt => dt.Minute);
        Accessor("getSeconds", dt => dt.Second);
        Accessor("getMilliseconds", dt => dt.Millisecond, (t, _) => t.Nanos / 1_000_000);

        r.Member("getHours", [Du], I, a => ((CelDuration)a).Nanos / 3_600_000_000_000);
        r.Member("getMinutes", [Du], I, a => ((CelDuration)a).Nanos / 60_000_000_000);
        r.Member("getSeconds", [Du], I, a => ((CelDuration)a).Nanos / 1_000_000_000);
        r.Member("getMilliseconds", [Du], I, a => ((CelDuration)a).Nanos % 1_000_000_000 / 1_000_000);
    }

    private static DateTime? InZone(CelTimestamp t, string zone)
    {
        var utc = t.ToDateTime();
        if (zone.Length > 0 && (zone[0] is '+' or '-' || char.IsAsciiDigit(zone[0])))
        {
            var sign = zone[0] == '-' ? -1 : 1;
            var z = zone.TrimStart('+', '-');
            var parts = z.Split(':');
            if (parts.Length == 2 && int.TryParse(parts[0], out var h) && int.TryParse(parts[1], out var m))
            {
                return utc.AddMinutes(sign * (h * 60 + m));
            }
            return null;
        }
        try
        {
            var tz = TimeZoneInfo.FindSystemTimeZoneById(zone);
            return TimeZoneInfo.ConvertTimeFromUtc(utc, tz);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return null;
        }
    }
}
