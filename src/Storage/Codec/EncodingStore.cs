using System.Runtime.CompilerServices;

namespace Storage.Codec;

/// <summary>
/// The etcd3 store seen through the storage encoding (kube-apiserver's storage codec): the layers
/// above (the watch cache, the registry) always get JSON; etcd holds what --storage-media-type says,
/// and values a kube-apiserver wrote in protobuf are read. A value that cannot be decoded (a corrupt
/// object) never takes its resource down: lists and watches leave it out and report it
/// (<see cref="CorruptObject"/>), a watch sees an object that became undecodable go as DELETED, and
/// reading or writing that object itself fails with <see cref="StorageErrorCode.CorruptObject"/>.
/// </summary>
public sealed class EncodingStore(IStorage inner, IStorageEncoding encoding) : IStorage, IWriteRevision
{
    /// <summary>Raised with the key and the reason for every undecodable value met (the host logs it).</summary>
    public event Action<string, string>? CorruptObject;

    public long LastWriteRevision => inner is IWriteRevision writes ? writes.LastWriteRevision : 0;

    public async Task<StoredObject> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        var stored = await inner.CreateAsync(key, encoding.Encode(key, value), cancellationToken).ConfigureAwait(false);
        return stored with { Value = value };
    }

    public async Task<StoredObject?> GetAsync(string key, ReadOptions options = default, CancellationToken cancellationToken = default)
    {
        var stored = await inner.GetAsync(key, options, cancellationToken).ConfigureAwait(false);
        return stored is null ? null : DecodeOrThrow(stored);
    }

    public async Task<ListResult> GetListAsync(string keyPrefix, ListOptions options, CancellationToken cancellationToken = default)
    {
        var page = await inner.GetListAsync(keyPrefix, options, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var items = new List<StoredObject>(page.Items.Count);
            var same = true;
            foreach (var item in page.Items)
            {
                var decoded = TryDecode(item);
                same &= ReferenceEquals(decoded, item);
                if (decoded is not null)
                {
                    items.Add(decoded);
                }
            }

            // A page of nothing but corrupt objects must not look like the end, nor leave the caller
            // without a key to continue from: read on, at the same revision, until one decodes.
            if (items.Count > 0 || !page.More || page.Items.Count == 0)
            {
                return same ? page : page with { Items = items };
            }

            options = options with { StartAfterKey = page.Items[^1].Key, Revision = page.Revision, Mode = ReadMode.Default };
            page = await inner.GetListAsync(keyPrefix, options, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<StoredObject> GuaranteedUpdateAsync(
        string key,
        Func<StoredObject?, CancellationToken, ValueTask<ReadOnlyMemory<byte>>> tryUpdate,
        CancellationToken cancellationToken = default,
        StoredObject? cachedExisting = null)
    {
        // The last attempt's JSON and the bytes stored for it: the answer is that JSON, not a decode.
        ReadOnlyMemory<byte> lastJson = default, lastStored = default;
        var stored = await inner.GuaranteedUpdateAsync(
            key,
            async (current, ct) =>
            {
                // The watch cache's copy (the first try's) is decoded already; what etcd returns is not.
                var fromCache = current is not null && ReferenceEquals(current, cachedExisting);
                var decoded = current is null ? null : fromCache ? current : DecodeOrThrow(current);
                var json = await tryUpdate(decoded, ct).ConfigureAwait(false);
                if (fromCache && json.Span.SequenceEqual(decoded!.Value.Span))
                {
                    // Unchanged on the cache's copy: its own bytes, so that the store checks again on etcd's.
                    lastJson = decoded.Value;
                    lastStored = current!.Value;
                    return current.Value;
                }

                // Otherwise the store compares what would be written with what etcd holds, as kube's
                // GuaranteedUpdate compares encoded bytes: an unchanged object stored in the other
                // encoding (or by another writer's encoder) is rewritten in this one, which is how
                // kube's storage migration moves objects to the configured encoding.
                lastJson = json;
                lastStored = encoding.Encode(key, json);
                return lastStored;
            },
            cancellationToken,
            cachedExisting).ConfigureAwait(false);
        return stored.Value.Span.SequenceEqual(lastStored.Span) ? stored with { Value = lastJson } : DecodeOrThrow(stored);
    }

    public async Task<StoredObject> DeleteAsync(
        string key, Func<StoredObject, CancellationToken, ValueTask>? validateDeletion = null, CancellationToken cancellationToken = default)
    {
        StoredObject? lastValidated = null;
        var deleted = await inner.DeleteAsync(
            key,
            async (current, ct) =>
            {
                lastValidated = DecodeOrThrow(current);
                if (validateDeletion is not null)
                {
                    await validateDeletion(lastValidated, ct).ConfigureAwait(false);
                }
            },
            cancellationToken).ConfigureAwait(false);
        // The deleted value is the one validated last (the Txn compared its revision).
        return lastValidated is not null ? deleted with { Value = lastValidated.Value } : DecodeOrThrow(deleted);
    }

    public async IAsyncEnumerable<StorageWatchEvent> WatchAsync(string keyPrefix, long afterRevision, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var change in inner.WatchAsync(keyPrefix, afterRevision, cancellationToken).ConfigureAwait(false))
        {
            if (change.Type == WatchEventType.Bookmark)
            {
                yield return change;
                continue;
            }

            var previous = change.Previous is null ? null : TryDecode(change.Previous);
            if (change.Type == WatchEventType.Deleted)
            {
                // A deletion carries the last value; if that was corrupt, nobody saw the object.
                if (previous is not null)
                {
                    yield return new StorageWatchEvent(WatchEventType.Deleted, previous with { ModRevision = change.Object.ModRevision }, previous);
                }

                continue;
            }

            if (TryDecode(change.Object) is { } current)
            {
                yield return change with { Object = current, Previous = previous };
            }
            else if (previous is not null)
            {
                // It became undecodable: as far as readers can tell, it is gone.
                yield return new StorageWatchEvent(WatchEventType.Deleted, previous with { ModRevision = change.Object.ModRevision }, previous);
            }
        }
    }

    public Task<long> GetCurrentRevisionAsync(CancellationToken cancellationToken = default) => inner.GetCurrentRevisionAsync(cancellationToken);

    private StoredObject? TryDecode(StoredObject stored)
    {
        if (encoding.TryDecode(stored.Key, stored.Value, out var json, out var error))
        {
            return json.Equals(stored.Value) ? stored : stored with { Value = json };
        }

        CorruptObject?.Invoke(stored.Key, error ?? "undecodable");
        return null;
    }

    private StoredObject DecodeOrThrow(StoredObject stored)
    {
        if (encoding.TryDecode(stored.Key, stored.Value, out var json, out var error))
        {
            return json.Equals(stored.Value) ? stored : stored with { Value = json };
        }

        CorruptObject?.Invoke(stored.Key, error ?? "undecodable");
        throw new StorageException(StorageErrorCode.CorruptObject, stored.Key, $"object not decodable revision={stored.ModRevision}: {error}");
    }
}
