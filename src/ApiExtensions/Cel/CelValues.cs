using System.Globalization;
using System.Text;

namespace ApiExtensions.Cel;

// CEL values at run time are CLR objects: long (int), ulong (uint), double, bool, string, and the types below.

/// <summary>CEL's null.</summary>
public sealed class CelNull
{
    public static readonly CelNull Instance = new();

    private CelNull()
    {
    }

    public override string ToString() => "null";
}

public sealed class CelBytes(byte[] value) : IEquatable<CelBytes>
{
    public byte[] Value { get; } = value;

    public bool Equals(CelBytes? other) => other is not null && Value.AsSpan().SequenceEqual(other.Value);

    public override bool Equals(object? obj) => obj is CelBytes b && Equals(b);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.AddBytes(Value);
        return h.ToHashCode();
    }

    public int CompareTo(CelBytes other) => Value.AsSpan().SequenceCompareTo(other.Value);
}

/// <summary>google.protobuf.Duration, in nanoseconds (CEL's range is ±10000 years; long nanoseconds cover ±292 years,
/// which is what Go's time.Duration and so Kubernetes' CEL can hold).</summary>
public readonly record struct CelDuration(long Nanos)
{
    public override string ToString() => Format(Nanos);

    /// <summary>As cel-go prints a duration: seconds with the fraction trimmed, e.g. "3600s", "1.5s".</summary>
    public static string Format(long nanos)
    {
        var seconds = nanos / 1_000_000_000;
        var frac = Math.Abs(nanos % 1_000_000_000);
        var sign = nanos < 0 && seconds == 0 ? "-" : "";
        if (frac == 0)
        {
            return sign + seconds.ToString(CultureInfo.InvariantCulture) + "s";
        }
        return sign + seconds.ToString(CultureInfo.InvariantCulture) + "." + frac.ToString("D9", CultureInfo.InvariantCulture).TrimEnd('0') + "s";
    }
}

/// <summary>google.protobuf.Timestamp: seconds since the Unix epoch and nanoseconds (0001-01-01 to 9999-12-31).</summary>
public readonly record struct CelTimestamp(long Seconds, int Nanos) : IComparable<CelTimestamp>
{
    public const long MinSeconds = -62135596800;
    public const long MaxSeconds = 253402300799;

    public int CompareTo(CelTimestamp other) => Seconds != other.Seconds ? Seconds.CompareTo(other.Seconds) : Nanos.CompareTo(other.Nanos);

    public DateTime ToDateTime() => DateTime.UnixEpoch.AddSeconds(Seconds).AddTicks(Nanos / 100);

    public static CelTimestamp FromDateTime(DateTime t, int extraNanos = 0)
    {
        var ticks = (t.ToUniversalTime() - DateTime.UnixEpoch).Ticks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rem);
        if (rem < 0)
        {
            seconds--;
            rem += TimeSpan.TicksPerSecond;
        }
        return new CelTimestamp(seconds, (int)(rem * 100) + extraNanos);
    }

    public bool InRange => Seconds is >= MinSeconds and <= MaxSeconds;

    /// <summary>RFC 3339 with nanoseconds trimmed, as cel-go's string(timestamp).</summary>
    public override string ToString()
    {
        var dt = DateTime.UnixEpoch.AddSeconds(Seconds);
        var sb = new StringBuilder(dt.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture));
        if (Nanos != 0)
        {
            sb.Append('.').Append(Nanos.ToString("D9", CultureInfo.InvariantCulture).TrimEnd('0'));
        }
        return sb.Append('Z').ToString();
    }
}

/// <summary>A type as a value (<c>type(1) == int</c>).</summary>
public sealed class CelTypeValue(string name) : IEquatable<CelTypeValue>
{
    public string Name { get; } = name;

    public bool Equals(CelTypeValue? other) => other is not null && other.Name == Name;

    public override bool Equals(object? obj) => obj is CelTypeValue t && Equals(t);

    public override int GetHashCode() => Name.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => Name;
}

/// <summary>optional(T): a value or none.</summary>
public sealed class CelOptional
{
    public static readonly CelOptional None = new(null);

    private CelOptional(object? value)
    {
        Value = value;
    }

    public object? Value { get; }

    public bool HasValue => Value is not null;

    public static CelOptional Of(object value) => new(value);
}

/// <summary>An evaluation error as a value: errors propagate through strict functions and are absorbed by
/// <c>&amp;&amp;</c>, <c>||</c> and the comprehension macros as CEL specifies.</summary>
public sealed class CelError(string message)
{
    public string Message { get; } = message;

    public override string ToString() => Message;

    public static CelError NoSuchOverload(string function) => new($"no such overload: {function}");

    public static CelError NoSuchKey(object key) => new($"no such key: {CelFormat.Display(key)}");

    public static CelError IndexOutOfBounds(long index) => new($"index out of bounds: {index.ToString(CultureInfo.InvariantCulture)}");
}

/// <summary>A CEL list.</summary>
public interface ICelList
{
    int Count { get; }

    object Get(int index);
}

/// <summary>A CEL map (and, at run time, an object with declared fields).</summary>
public interface ICelMap
{
    int Count { get; }

    bool TryGet(object key, out object value);

    IEnumerable<object> Keys { get; }
}

/// <summary>A list built by an expression.</summary>
public sealed class CelList(object[] items) : ICelList
{
    public static readonly CelList Empty = new([]);

    public object[] Items { get; } = items;

    public int Count => Items.Length;

    public object Get(int index) => Items[index];
}

/// <summary>A map built by an expression (keys compared with CEL's numeric equality).</summary>
public sealed class CelMap : ICelMap
{
    public static readonly CelMap Empty = new(new Dictionary<object, object>(CelKeyComparer.Instance));

    private readonly Dictionary<object, object> _entries;

    public CelMap(Dictionary<object, object> entries)
    {
        _entries = entries;
    }

    public int Count => _entries.Count;

    public IEnumerable<object> Keys => _entries.Keys;

    public bool TryGet(object key, out object value) => _entries.TryGetValue(key, out value!);
}

/// <summary>Map keys as CEL compares them: 1, 1u and 1.0 are the same key.</summary>
public sealed class CelKeyComparer : IEqualityComparer<object>
{
    public static readonly CelKeyComparer Instance = new();

    public new bool Equals(object? x, object? y) => x is not null && y is not null && CelEquality.ValueEquals(x, y);

    public int GetHashCode(object obj) => obj switch
    {
        long l => l.GetHashCode(),
        ulong u => u <= long.MaxValue ? ((long)u).GetHashCode() : u.GetHashCode(),
        double d when d == Math.Floor(d) && d >= long.MinValue && d < 9.2233720368547758e18 => ((long)d).GetHashCode(),
        _ => obj.GetHashCode(),
    };
}

internal static class CelFormat
{
    /// <summary>A value as cel-go prints it in error messages.</summary>
    public static string Display(object? v) => v switch
    {
        null => "<nil>",
        string s => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        ulong u => u.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };
}
