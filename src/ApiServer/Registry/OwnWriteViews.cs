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
    // A preparation whose event never comes (a no-op update, a relist in between) is dropped once
    // the cache has passed its write's revision; this runs every this many preparations (counting
    // the dictionary itself would take all its locks on every write).
    private const int PruneEvery = 256;

    // One preparation per key: the latest write in flight there. A write prepares before it sends
    // its Txn, because etcd's watch event can reach the cache before the Txn's answer reaches the
    // writer; preparing after the answer lost that race about as often as it won it.
    private readonly ConcurrentDictionary<string, Preparation> _prepared = new(StringComparer.Ordinal);
    private long _lastDecorated;
    private int _preparations;

    /// <summary>Preparations whose events have not been cached yet (for tests).</summary>
    internal int PendingCount => _prepared.Count;

    /// <summary>
    /// Called by a write just before it sends <paramref name="encoded"/> for <paramref name="key"/>.
    /// The write then reports <see cref="Stored"/> or <see cref="Forget"/>. Null when the bytes
    /// cannot be served spliced (the cache parses those anyway).
    /// </summary>
    public Preparation? Prepare(string key, JsonObject obj, EncodedObject encoded)
    {
        if (encoded.MetadataBodyAt == 0)
        {
            return null;
        }

        var preparation = new Preparation(key, encoded, SelectionFacts.Of(obj, strategy));
        _prepared[key] = preparation;
        if (Interlocked.Increment(ref _preparations) % PruneEvery == 0)
        {
            var last = Volatile.Read(ref _lastDecorated);
            foreach (var (staleKey, stale) in _prepared)
            {
                if (stale.Revision is > 0 and var revision && revision <= last)
                {
                    _prepared.TryRemove(KeyValuePair.Create(staleKey, stale));
                }
            }
        }

        return preparation;
    }

    /// <summary>The write was acknowledged at <paramref name="revision"/>: its preparation may be pruned once the cache is past it.</summary>
    public static void Stored(Preparation? preparation, long revision)
    {
        if (preparation is not null)
        {
            preparation.Revision = revision;
        }
    }

    /// <summary>The write failed, or stored other bytes: its preparation must not describe another write's event.</summary>
    public void Forget(Preparation? preparation)
    {
        if (preparation is not null)
        {
            _prepared.TryRemove(KeyValuePair.Create(preparation.Key, preparation));
        }
    }

    /// <summary>The cache's decorator: the prepared view when the event carries exactly the prepared bytes, else one parsed from the bytes.</summary>
    public ICachedView Decorate(StoredObject stored)
    {
        Revisions.RaiseTo(ref _lastDecorated, stored.ModRevision);
        if (_prepared.TryGetValue(stored.Key, out var prepared) && stored.Value.Span.SequenceEqual(prepared.Encoded.Bytes)
            && _prepared.TryRemove(KeyValuePair.Create(stored.Key, prepared))
            && prepared.Encoded.ServedAs(stored.Value, stored.ModRevision) is { } json)
        {
            // The view refers to the event's bytes, which the cache keeps, not to the write's copy.
            return ObjectView.Create(stored, prepared.Facts, json);
        }

        return ObjectView.Create(stored, strategy);
    }

    /// <summary>One write's bytes and the selection facts of the object it encoded.</summary>
    public sealed class Preparation(string key, EncodedObject encoded, SelectionFacts facts)
    {
        private long _revision;

        public string Key { get; } = key;

        public EncodedObject Encoded { get; } = encoded;

        public SelectionFacts Facts { get; } = facts;

        /// <summary>The write's revision once etcd acknowledged it; 0 while in flight.</summary>
        public long Revision
        {
            get => Volatile.Read(ref _revision);
            set => Volatile.Write(ref _revision, value);
        }
    }
}
