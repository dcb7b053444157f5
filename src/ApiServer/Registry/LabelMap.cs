using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace ApiServer.Registry;

/// <summary>
/// A cached object's labels as one array of key, value pairs in document order: what a selector needs
/// (lookups among the handful of labels an object has) at a fraction of a dictionary's cost, which the
/// watch cache pays once per object (a two-label Dictionary is about 300 bytes, this array 56).
/// </summary>
internal sealed class LabelMap : IReadOnlyDictionary<string, string>
{
    public static readonly LabelMap Empty = new([]);

    // key0, value0, key1, value1, ...; keys distinct.
    private readonly string[] _pairs;

    /// <param name="pairs">keys and values alternating, keys distinct (the caller checked).</param>
    public LabelMap(string[] pairs)
    {
        _pairs = pairs;
    }

    public int Count => _pairs.Length / 2;

    public string this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key);

    public IEnumerable<string> Keys => this.Select(p => p.Key);

    public IEnumerable<string> Values => this.Select(p => p.Value);

    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
    {
        var at = IndexOf(key);
        value = at >= 0 ? _pairs[at + 1] : null;
        return at >= 0;
    }

    private int IndexOf(string key)
    {
        for (var i = 0; i < _pairs.Length; i += 2)
        {
            if (string.Equals(_pairs[i], key, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator()
    {
        for (var i = 0; i < _pairs.Length; i += 2)
        {
            yield return KeyValuePair.Create(_pairs[i], _pairs[i + 1]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
