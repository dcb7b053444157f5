using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using ApiServer.Registry.Strategies;
using Storage;

namespace ApiServer.Registry;

/// <summary>
/// The watch cache's views of this server's own writes, prepared by each write from the object it
/// already holds in memory. When the write's event arrives, the cache takes the prepared view
/// instead of parsing the bytes it stored (that parse was the cache's main cost per event). Other
/// writers' events, and any event whose bytes are not the prepared ones, are parsed as before.
/// </summary>
internal sealed class OwnWriteViews(ResourceStrategy strategy)
{
    // A write can finish after its event was already cached; such leftovers are dropped every this
    // many preparations (counting the dictionary itself would take all its locks on every write).
    private const int PruneEvery = 256;

    private readonly ConcurrentDictionary<(string Key, long Revision), Prepared> _prepared = new();
    private long _lastDecorated;
    private int _preparations;

    /// <summary>Preparations whose events have not been cached yet (for tests).</summary>
    internal int PendingCount => _prepared.Count;

    /// <summary>Called by a write once etcd has stored <paramref name="encoded"/> at <paramref name="revision"/>.</summary>
    public void Prepare(string key, long revision, JsonObject obj, EncodedObject encoded)
    {
        if (encoded.MetadataBodyAt == 0 || revision <= Volatile.Read(ref _lastDecorated))
        {
            return;
        }

        _prepared[(key, revision)] = new Prepared(encoded, SelectionFacts.Of(obj, strategy));
        if (Interlocked.Increment(ref _preparations) % PruneEvery == 0)
        {
            var last = Volatile.Read(ref _lastDecorated);
            foreach (var stale in _prepared.Keys.Where(k => k.Revision <= last))
            {
                _prepared.TryRemove(stale, out _);
            }
        }
    }

    /// <summary>The cache's decorator: the prepared view when this is that write's event, else one parsed from the bytes.</summary>
    public ICachedView Decorate(StoredObject stored)
    {
        Revisions.RaiseTo(ref _lastDecorated, stored.ModRevision);
        if (_prepared.TryRemove((stored.Key, stored.ModRevision), out var prepared) && stored.Value.Span.SequenceEqual(prepared.Encoded.Bytes)
            && prepared.Encoded.ServedAs(stored.Value, stored.ModRevision) is { } json)
        {
            // The view refers to the event's bytes, which the cache keeps, not to the write's copy.
            return ObjectView.Create(stored, prepared.Facts, json);
        }

        return ObjectView.Create(stored, strategy);
    }

    private sealed record Prepared(EncodedObject Encoded, SelectionFacts Facts);
}
