namespace ApiExtensions.Cel;

/// <summary>A library value (Quantity, URL, IP, ...) that knows its CEL type name and how it compares.</summary>
public interface ICelOpaque
{
    string TypeName { get; }

    bool CelEquals(object other);
}

/// <summary>CEL's equality and ordering across run-time values (heterogeneous numeric equality, as Kubernetes enables).</summary>
public static class CelEquality
{
    public static bool ValueEquals(object a, object b) => a switch
    {
        long x => b switch
        {
            long y => x == y,
            ulong y => x >= 0 && (ulong)x == y,
            double y => x == y && !(y >= 9.2233720368547758e18),
            _ => false,
        },
        ulong x => b switch
        {
            ulong y => x == y,
            long y => y >= 0 && x == (ulong)y,
            double y => y >= 0 && y < 1.8446744073709552e19 && x == y,
            _ => false,
        },
        double x => b switch
        {
            double y => x == y,
            long or ulong => ValueEquals(b, a),
            _ => false,
        },
        string x => b is string sy && string.Equals(x, sy, StringComparison.Ordinal),
        bool x => b is bool by && x == by,
        CelNull => b is CelNull,
        CelBytes x => b is CelBytes bb && x.Equals(bb),
        CelDuration x => b is CelDuration dy && x == dy,
        CelTimestamp x => b is CelTimestamp ty && x == ty,
        CelTypeValue x => b is CelTypeValue tv && x.Equals(tv),
        CelOptional x => b is CelOptional oy && (x.HasValue ? oy.HasValue && ValueEquals(x.Value!, oy.Value!) : !oy.HasValue),
        ICelList x => b is ICelList ly && ListEquals(x, ly),
        ICelMap x => b is ICelMap my && MapEquals(x, my),
        ICelOpaque x => x.CelEquals(b),
        _ => Equals(a, b),
    };

    private static bool ListEquals(ICelList x, ICelList y)
    {
        if (x.Count != y.Count)
        {
            return false;
        }
        if (x is IUnorderedList ux && ux.IsUnordered)
        {
            return ux.UnorderedEquals(y);
        }
        if (y is IUnorderedList uy && uy.IsUnordered)
        {
            return uy.UnorderedEquals(x);
        }
        for (var i = 0; i < x.Count; i++)
        {
            var a = x.Get(i);
            var b = y.Get(i);
            if (a is CelError || b is CelError || !ValueEquals(a, b))
            {
                return false;
            }
        }
        return true;
    }

    private static bool MapEquals(ICelMap x, ICelMap y)
    {
        if (x.Count != y.Count)
        {
            return false;
        }
        foreach (var key in x.Keys)
        {
            if (!y.TryGet(key, out var other) || !x.TryGet(key, out var value) || !ValueEquals(value, other))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Ordering for <c>&lt;</c> and friends; null when the values are not comparable.</summary>
    public static int? Compare(object a, object b)
    {
        switch (a, b)
        {
            case (long x, long y):
                return x.CompareTo(y);
            case (ulong x, ulong y):
                return x.CompareTo(y);
            case (double x, double y):
                return double.IsNaN(x) || double.IsNaN(y) ? null : x.CompareTo(y);
            case (long x, ulong y):
                return x < 0 ? -1 : ((ulong)x).CompareTo(y);
            case (ulong x, long y):
                return y < 0 ? 1 : x.CompareTo((ulong)y);
            case (long x, double y):
                return CompareIntDouble(x, y);
            case (double x, long y):
                return -CompareIntDouble(y, x);
            case (ulong x, double y):
                return CompareUintDouble(x, y);
            case (double x, ulong y):
                return -CompareUintDouble(y, x);
            case (string x, string y):
                return Math.Sign(CompareCodePoints(x, y));
            case (bool x, bool y):
                return x.CompareTo(y);
            case (CelBytes x, CelBytes y):
                return Math.Sign(x.CompareTo(y));
            case (CelDuration x, CelDuration y):
                return x.Nanos.CompareTo(y.Nanos);
            case (CelTimestamp x, CelTimestamp y):
                return x.CompareTo(y);
            default:
                return a is IComparable<object> c ? c.CompareTo(b) : null;
        }
    }

    // cel-go compares an int or uint with a double as doubles (lossy above 2^53).
    private static int? CompareIntDouble(long x, double y) => double.IsNaN(y) ? null : ((double)x).CompareTo(y);

    private static int? CompareUintDouble(ulong x, double y) => double.IsNaN(y) ? null : ((double)x).CompareTo(y);

    /// <summary>Strings compare by code point (UTF-16 ordinal order differs above the BMP).</summary>
    public static int CompareCodePoints(string x, string y)
    {
        var i = 0;
        var n = Math.Min(x.Length, y.Length);
        while (i < n && x[i] == y[i])
        {
            i++;
        }
        if (i == n)
        {
            return x.Length.CompareTo(y.Length);
        }
        var cx = char.IsSurrogate(x[i]) ? 0x10000 + x[i] : x[i];
        var cy = char.IsSurrogate(y[i]) ? 0x10000 + y[i] : y[i];
        return cx.CompareTo(cy);
    }

    /// <summary>The name <c>type(v)</c> gives a run-time value.</summary>
    public static string TypeName(object v) => v switch
    {
        long => "int",
        ulong => "uint",
        double => "double",
        bool => "bool",
        string => "string",
        CelBytes => "bytes",
        CelNull => "null_type",
        ICelList => "list",
        ICelMap => "map",
        CelDuration => "google.protobuf.Duration",
        CelTimestamp => "google.protobuf.Timestamp",
        CelTypeValue => "type",
        CelOptional => "optional_type",
        ICelOpaque o => o.TypeName,
        _ => v.GetType().Name,
    };
}

/// <summary>A list whose order does not matter for equality (x-kubernetes-list-type set and map).</summary>
public interface IUnorderedList : ICelList
{
    bool IsUnordered { get; }

    bool UnorderedEquals(ICelList other);
}
