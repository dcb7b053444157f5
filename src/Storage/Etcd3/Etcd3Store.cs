using System.Runtime.CompilerServices;
using System.Text;
using Google.Protobuf;
using Storage.Etcd;
using Storage.Etcd.Protos;
using GrpcStatusCode = Grpc.Core.StatusCode;

namespace Storage.Etcd3;

/// <summary>
/// <see cref="IStorage"/> on etcd v3, after k8s.io/apiserver pkg/storage/etcd3/store.go. Every write
/// is one Txn guarded by a revision compare; on a lost race the Txn's failure branch reads the key,
/// so a retry needs no extra round trip. Keys are full etcd keys; values are stored as given.
/// </summary>
internal sealed class Etcd3Store(EtcdClient client) : IStorage, IWriteRevision
{
    private long _lastWriteRevision;

    /// <summary>The newest revision in any Txn answer (every write is a Txn): at least our latest acknowledged write.</summary>
    public long LastWriteRevision => Interlocked.Read(ref _lastWriteRevision);

    // count_only on any key answers just the header, which carries the current revision.
    private static readonly ByteString RevisionProbeKey = ByteString.CopyFromUtf8("/");

    public async Task<StoredObject> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        var keyBytes = EncodeKey(key);
        var data = ByteString.CopyFrom(value.Span);
        var txn = new TxnRequest
        {
            Compare = { CreateRevisionIs(keyBytes, 0) },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = keyBytes, Value = data } } },
        };
        var response = await TxnAsync(key, txn, cancellationToken);
        if (!response.Succeeded)
        {
            throw new StorageException(StorageErrorCode.KeyExists, key, $"key {key} already exists");
        }

        var revision = response.Header.Revision;
        return new StoredObject(key, data.Memory, revision, revision);
    }

    public async Task<StoredObject?> GetAsync(string key, ReadOptions options = default, CancellationToken cancellationToken = default)
    {
        var request = new RangeRequest { Key = EncodeKey(key), Revision = ExactRevision(options.Revision, options.Mode) };
        var response = await RangeAsync(key, request, cancellationToken);
        CheckNotOlderThan(key, options.Revision, options.Mode, response.Header.Revision);
        return response.Kvs.Count == 0 ? null : ToStored(key, response.Kvs[0]);
    }

    public async Task<ListResult> GetListAsync(string keyPrefix, ListOptions options, CancellationToken cancellationToken = default)
    {
        if (!keyPrefix.EndsWith('/'))
        {
            throw new ArgumentException($"list prefix '{keyPrefix}' must end with '/'", nameof(keyPrefix));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(options.Limit);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Revision);
        var prefix = Encoding.UTF8.GetBytes(keyPrefix);
        ByteString start;
        if (options.StartAfterKey is { } after)
        {
            if (!after.StartsWith(keyPrefix, StringComparison.Ordinal))
            {
                throw new ArgumentException($"continue key '{after}' is not under '{keyPrefix}'", nameof(options));
            }

            // The smallest key strictly greater than the last one returned.
            start = EncodeKey(after + "\0");
        }
        else
        {
            start = UnsafeByteOperations.UnsafeWrap(prefix);
        }

        var request = new RangeRequest
        {
            Key = start,
            RangeEnd = EtcdKeys.PrefixEnd(prefix),
            Limit = options.Limit > 0 ? options.Limit : UnlimitedListPageSize,
            Revision = ExactRevision(options.Revision, options.Mode),
        };
        var response = await RangeAsync(keyPrefix, request, cancellationToken, options.Timeout);
        CheckNotOlderThan(keyPrefix, options.Revision, options.Mode, response.Header.Revision);

        // The header carries etcd's current revision, not the one read at.
        var revision = request.Revision != 0 ? request.Revision : response.Header.Revision;
        if (options.Limit == 0)
        {
            // Everything, in pages at one revision: one range of a whole big resource is one gRPC
            // message of its size, and the client's receive buffer for it stays in the shared pool
            // (issue 19: a 64 MiB array after 55 MB of ConfigMaps were read whole).
            var all = new List<StoredObject>(response.Kvs.Count + (int)Math.Min(response.More ? response.Count - response.Kvs.Count : 0, int.MaxValue / 2));
            while (true)
            {
                foreach (var kv in response.Kvs)
                {
                    all.Add(ToStored(kv.Key.ToStringUtf8(), kv));
                }

                if (!response.More || response.Kvs.Count == 0)
                {
                    return new ListResult(all, revision, false, 0);
                }

                request.Key = EncodeKey(all[^1].Key + "\0");
                request.Revision = revision;
                response = await RangeAsync(keyPrefix, request, cancellationToken, options.Timeout);
            }
        }

        var items = new StoredObject[response.Kvs.Count];
        for (var i = 0; i < items.Length; i++)
        {
            var kv = response.Kvs[i];
            items[i] = ToStored(kv.Key.ToStringUtf8(), kv);
        }

        // count is the number of keys in [start, end) at that revision, returned or not.
        var remaining = response.More ? response.Count - items.Length : 0;
        return new ListResult(items, revision, response.More, remaining);
    }

    /// <summary>A list without a limit is read in ranges of this many keys (kube's watch cache fills in pages of 10,000 too).</summary>
    internal int UnlimitedListPageSize { get; init; } = 10_000;

    public async Task<StoredObject> GuaranteedUpdateAsync(
        string key,
        Func<StoredObject?, CancellationToken, ValueTask<ReadOnlyMemory<byte>>> tryUpdate,
        CancellationToken cancellationToken = default,
        StoredObject? cachedExisting = null)
    {
        ArgumentNullException.ThrowIfNull(tryUpdate);
        var keyBytes = EncodeKey(key);

        // The cache's copy saves the read when it is current (kube's cachedExistingObject); whatever
        // is decided on it that the Txn cannot check (an error, a no-op) is decided again on etcd's.
        var isCurrent = cachedExisting is null;
        var current = cachedExisting ?? await GetAsync(key, default, cancellationToken);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ReadOnlyMemory<byte> updated;
            try
            {
                updated = await tryUpdate(current, cancellationToken);
            }
            catch (Exception) when (!isCurrent)
            {
                current = await GetAsync(key, default, cancellationToken);
                isCurrent = true;
                continue;
            }

            if (current is not null && updated.Span.SequenceEqual(current.Value.Span))
            {
                if (!isCurrent)
                {
                    current = await GetAsync(key, default, cancellationToken);
                    isCurrent = true;
                    continue;
                }

                return current;
            }

            var data = ByteString.CopyFrom(updated.Span);
            var txn = new TxnRequest
            {
                Compare = { current is null ? CreateRevisionIs(keyBytes, 0) : ModRevisionIs(keyBytes, current.ModRevision) },
                Success = { new RequestOp { RequestPut = new PutRequest { Key = keyBytes, Value = data } } },
                Failure = { new RequestOp { RequestRange = new RangeRequest { Key = keyBytes } } },
            };
            var response = await TxnAsync(key, txn, cancellationToken);
            if (response.Succeeded)
            {
                var revision = response.Header.Revision;
                return new StoredObject(key, data.Memory, revision, current?.CreateRevision ?? revision);
            }

            current = FromFailureRange(key, response);
            isCurrent = true;
        }
    }

    public async Task<StoredObject> DeleteAsync(
        string key,
        Func<StoredObject, CancellationToken, ValueTask>? validateDeletion = null,
        CancellationToken cancellationToken = default)
    {
        var keyBytes = EncodeKey(key);
        var current = await GetAsync(key, default, cancellationToken) ?? throw NotFound(key);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (validateDeletion is not null)
            {
                await validateDeletion(current, cancellationToken);
            }

            var txn = new TxnRequest
            {
                Compare = { ModRevisionIs(keyBytes, current.ModRevision) },
                Success = { new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = keyBytes, PrevKv = true } } },
                Failure = { new RequestOp { RequestRange = new RangeRequest { Key = keyBytes } } },
            };
            var response = await TxnAsync(key, txn, cancellationToken);
            if (response.Succeeded)
            {
                var deleted = response.Responses[0].ResponseDeleteRange;
                var value = deleted.PrevKvs.Count > 0 ? deleted.PrevKvs[0].Value.Memory : current.Value;
                return new StoredObject(key, value, response.Header.Revision, current.CreateRevision);
            }

            current = FromFailureRange(key, response) ?? throw NotFound(key);
        }
    }

    public async IAsyncEnumerable<StorageWatchEvent> WatchAsync(
        string keyPrefix,
        long afterRevision,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterRevision);
        // An empty prefix is the whole keyspace: key "\0" with range_end "\0" in etcd's terms.
        var keyBytes = keyPrefix.Length == 0 ? ByteString.CopyFrom(0) : EncodeKey(keyPrefix);
        var request = new WatchCreateRequest
        {
            Key = keyBytes,
            // 0 asks etcd for "from now", like k8s's etcd3 watcher with resourceVersion 0.
            StartRevision = afterRevision == 0 ? 0 : afterRevision + 1,
            PrevKv = true,
        };
        if (keyPrefix.Length == 0)
        {
            request.RangeEnd = ByteString.CopyFrom(0);
        }
        else if (keyPrefix.EndsWith('/'))
        {
            request.RangeEnd = EtcdKeys.PrefixEnd(keyBytes.Span);
        }

        await using var responses = client.WatchAsync(request, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            bool more;
            try
            {
                more = await responses.MoveNextAsync();
            }
            catch (EtcdException e)
            {
                throw Translate(e, keyPrefix);
            }

            if (!more)
            {
                yield break;
            }

            foreach (var change in responses.Current.Events)
            {
                yield return ToWatchEvent(change);
            }
        }
    }

    public async Task<long> GetCurrentRevisionAsync(CancellationToken cancellationToken = default)
    {
        var response = await RangeAsync(string.Empty, new RangeRequest { Key = RevisionProbeKey, CountOnly = true }, cancellationToken);
        return response.Header.Revision;
    }

    /// <summary>The revision to read at: only the Default mode reads at a given revision; the others read the latest.</summary>
    private static long ExactRevision(long revision, ReadMode mode)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(revision);
        return mode == ReadMode.Default ? revision : 0;
    }

    /// <summary>etcd's latest state is as new as it gets: a minimum beyond it is in the future.</summary>
    private static void CheckNotOlderThan(string key, long minimum, ReadMode mode, long current)
    {
        if (mode == ReadMode.NotOlderThan && minimum > current)
        {
            throw new StorageException(StorageErrorCode.TooLargeResourceVersion, key, $"revision {minimum} is newer than etcd's current revision {current}")
            {
                CurrentRevision = current,
            };
        }
    }

    private async Task<RangeResponse> RangeAsync(string key, RangeRequest request, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        try
        {
            return await client.RangeAsync(request, timeout, cancellationToken);
        }
        catch (EtcdException e) when (e.StatusCode == GrpcStatusCode.OutOfRange && request.Revision > 0)
        {
            throw await RevisionError(key, request.Revision, e, cancellationToken);
        }
        catch (EtcdException e)
        {
            throw Translate(e, key);
        }
    }

    private async Task<TxnResponse> TxnAsync(string key, TxnRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var response = await client.TxnAsync(request, cancellationToken);
            Revisions.RaiseTo(ref _lastWriteRevision, response.Header?.Revision ?? 0);
            return response;
        }
        catch (EtcdException e)
        {
            throw Translate(e, key);
        }
    }

    /// <summary>
    /// OutOfRange means the revision is compacted or in the future; the current revision tells which
    /// (and TooLargeResourceVersion reports it).
    /// </summary>
    private async Task<StorageException> RevisionError(string key, long revision, EtcdException error, CancellationToken cancellationToken)
    {
        var current = await GetCurrentRevisionAsync(cancellationToken);
        return revision > current
            ? new StorageException(StorageErrorCode.TooLargeResourceVersion, key, $"revision {revision} is newer than etcd's current revision {current}", error)
            {
                CurrentRevision = current,
            }
            : new StorageException(StorageErrorCode.Compacted, key, $"revision {revision} has been compacted", error)
            {
                CompactRevision = error.CompactRevision,
            };
    }

    private static StorageException Translate(EtcdException e, string key) => e.Kind switch
    {
        EtcdErrorKind.Unavailable or EtcdErrorKind.DeadlineExceeded => new StorageException(StorageErrorCode.Unavailable, key, e.Message, e),
        EtcdErrorKind.Compacted => new StorageException(StorageErrorCode.Compacted, key, e.Message, e) { CompactRevision = e.CompactRevision },
        EtcdErrorKind.FutureRevision => new StorageException(StorageErrorCode.TooLargeResourceVersion, key, e.Message, e),
        EtcdErrorKind.RequestTooLarge => new StorageException(StorageErrorCode.RequestTooLarge, key, e.Message, e),
        _ => new StorageException(StorageErrorCode.Internal, key, e.Message, e),
    };

    private static StorageWatchEvent ToWatchEvent(Event change)
    {
        var kv = change.Kv;
        var key = kv.Key.ToStringUtf8();
        var previous = change.PrevKv is { } prev ? ToStored(key, prev) : null;
        if (change.Type == Event.Types.EventType.Put)
        {
            var type = kv.CreateRevision == kv.ModRevision ? WatchEventType.Added : WatchEventType.Modified;
            return new StorageWatchEvent(type, ToStored(key, kv), previous);
        }

        // etcd drops prev_kv when that revision was compacted before the event was sent; the deleted
        // value is then unknowable and a watcher must start over (k8s's etcd3 watcher fails the same way).
        if (previous is null)
        {
            throw new StorageException(StorageErrorCode.Internal, key, $"etcd sent the deletion of {key} at revision {kv.ModRevision} without its previous value");
        }

        var deleted = previous with { ModRevision = kv.ModRevision };
        return new StorageWatchEvent(WatchEventType.Deleted, deleted, previous);
    }

    private static StoredObject? FromFailureRange(string key, TxnResponse response)
    {
        var kvs = response.Responses[0].ResponseRange.Kvs;
        return kvs.Count == 0 ? null : ToStored(key, kvs[0]);
    }

    private static StoredObject ToStored(string key, KeyValue kv) =>
        new(key, kv.Value.Memory, kv.ModRevision, kv.CreateRevision);

    private static ByteString EncodeKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return ByteString.CopyFromUtf8(key);
    }

    private static Compare CreateRevisionIs(ByteString key, long revision) => new()
    {
        Key = key,
        Target = Compare.Types.CompareTarget.Create,
        Result = Compare.Types.CompareResult.Equal,
        CreateRevision = revision,
    };

    private static Compare ModRevisionIs(ByteString key, long revision) => new()
    {
        Key = key,
        Target = Compare.Types.CompareTarget.Mod,
        Result = Compare.Types.CompareResult.Equal,
        ModRevision = revision,
    };

    private static StorageException NotFound(string key) =>
        new(StorageErrorCode.KeyNotFound, key, $"key {key} not found");
}
