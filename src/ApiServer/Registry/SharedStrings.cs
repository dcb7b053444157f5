using System.Text.Json;

namespace ApiServer.Registry;

/// <summary>
/// One string object for the label keys, label values, namespaces and index keys that many cached
/// objects repeat ("app", "web", "label:app=web"): a watch cache of 100,000 objects otherwise holds
/// 100,000 copies of each (measured: the labels and index keys were a quarter of the cache's per-object
/// cost). A fixed table, lossy and lock-free: a slot holds the last string hashed to it, readers take
/// whole entries, so a race costs at most a duplicate string, never a wrong one. Strings seen once (pod
/// names, hashes) pass through it and are overwritten; it never grows.
/// </summary>
internal static class SharedStrings
{
    // 16,384 slots: about 1.5 MB when full of short strings.
    private const int Slots = 1 << 14;

    // Longer texts are rarely repeated and not worth hashing.
    private const int MaxBytes = 128;

    private sealed class Text(byte[] utf8, string value)
    {
        public readonly byte[] Utf8 = utf8;
        public readonly string Value = value;
    }

    private sealed class Pair(string first, string second, string joined)
    {
        public readonly string First = first;
        public readonly string Second = second;
        public readonly string Joined = joined;
    }

    private static readonly Text?[] Texts = new Text?[Slots];
    private static readonly Pair?[] Pairs = new Pair?[Slots];

    /// <summary>The string of the reader's current string or property name token, shared when it was seen before.</summary>
    public static string Of(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped || reader.HasValueSequence || reader.ValueSpan.Length > MaxBytes)
        {
            return reader.GetString()!;
        }

        var utf8 = reader.ValueSpan;
        var hash = new HashCode();
        hash.AddBytes(utf8);
        var slot = (int)((uint)hash.ToHashCode() % Slots);
        if (Volatile.Read(ref Texts[slot]) is { } known && utf8.SequenceEqual(known.Utf8))
        {
            return known.Value;
        }

        // GetString checks the UTF-8 as any read of the object would.
        var value = reader.GetString()!;
        Volatile.Write(ref Texts[slot], new Text(utf8.ToArray(), value));
        return value;
    }

    private static readonly string?[] Strings = new string?[Slots];

    /// <summary><paramref name="value"/>, or an equal string seen before (field values: node names, phases).</summary>
    public static string Of(string value)
    {
        if (value.Length == 0 || value.Length > MaxBytes)
        {
            return value.Length == 0 ? string.Empty : value;
        }

        var slot = (int)((uint)string.GetHashCode(value, StringComparison.Ordinal) % Slots);
        if (Volatile.Read(ref Strings[slot]) is { } known && string.Equals(known, value, StringComparison.Ordinal))
        {
            return known;
        }

        Volatile.Write(ref Strings[slot], value);
        return value;
    }

    /// <summary><paramref name="join"/>(first, second), shared when the same two strings were joined before (index keys).</summary>
    public static string Join(string first, string second, Func<string, string, string> join)
    {
        var slot = (int)((uint)HashCode.Combine(first, second) % Slots);
        if (Volatile.Read(ref Pairs[slot]) is { } known && known.First == first && known.Second == second)
        {
            return known.Joined;
        }

        var joined = join(first, second);
        Volatile.Write(ref Pairs[slot], new Pair(first, second, joined));
        return joined;
    }
}
