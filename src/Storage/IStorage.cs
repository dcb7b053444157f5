namespace Storage;

/// <summary>
/// The storage interface of k8s.io/apiserver (pkg/storage/interfaces.go), reduced to what a
/// byte-oriented store needs. Values are opaque bytes (the object's JSON as stored, without a
/// resourceVersion); the registry above decodes them and stamps metadata.resourceVersion from
/// <see cref="StoredObject.ModRevision"/>. Implemented by the etcd3 store and, later, decorated by
/// the watch cache.
/// </summary>
public interface IStorage
{
    /// <summary>Creates <paramref name="key"/> with one Txn(create_revision == 0 -> Put).</summary>
    /// <exception cref="StorageException">KeyExists when the key is already present.</exception>
    Task<StoredObject> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default);

    /// <summary>Reads one key. Returns null when absent. See <see cref="ReadMode"/> for what may be served.</summary>
    Task<StoredObject?> GetAsync(string key, ReadOptions options = default, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lists every key under <paramref name="keyPrefix"/> (which must end with '/') at one revision.
    /// With a limit, returns at most that many items and <see cref="ListResult.More"/>; the next page
    /// is read at the same revision starting after <see cref="ListResult.Items"/>' last key.
    /// </summary>
    /// <exception cref="StorageException">Compacted when the requested revision is compacted;
    /// TooLargeResourceVersion when it is in the future.</exception>
    Task<ListResult> GetListAsync(string keyPrefix, ListOptions options, CancellationToken cancellationToken = default);

    /// <summary>
    /// Read-modify-write with optimistic concurrency: reads the current value, calls
    /// <paramref name="tryUpdate"/>, and writes the result with Txn(mod_revision == read revision).
    /// On a lost race it re-reads and calls <paramref name="tryUpdate"/> again with the fresh value.
    /// <paramref name="tryUpdate"/> receives null when the key does not exist (it may create it, or
    /// throw); it may throw to abort (the exception propagates unchanged). When it returns bytes equal
    /// to the current value nothing is written and the current object is returned.
    /// The callback is asynchronous because admission runs inside it (webhooks, namespace lookups),
    /// exactly as kube-apiserver runs admission inside GuaranteedUpdate.
    /// <paramref name="cachedExisting"/> (the watch cache's copy) may stand in for the first read: if it
    /// is stale the Txn fails and returns the fresh value; if the callback throws or changes nothing on
    /// it, the value is read from etcd and the callback runs again, so the outcome is the same as
    /// starting from a read, one round trip cheaper when the cache is current.
    /// </summary>
    Task<StoredObject> GuaranteedUpdateAsync(
        string key,
        Func<StoredObject?, CancellationToken, ValueTask<ReadOnlyMemory<byte>>> tryUpdate,
        CancellationToken cancellationToken = default,
        StoredObject? cachedExisting = null);

    /// <summary>
    /// Deletes <paramref name="key"/> with Txn(mod_revision == read revision -> DeleteRange).
    /// <paramref name="validateDeletion"/> sees the current object before each attempt (preconditions;
    /// it throws to refuse; asynchronous because validating admission runs there). Returns the deleted
    /// object whose ModRevision is the deletion revision.
    /// </summary>
    /// <exception cref="StorageException">KeyNotFound when absent.</exception>
    Task<StoredObject> DeleteAsync(
        string key,
        Func<StoredObject, CancellationToken, ValueTask>? validateDeletion = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Streams changes under <paramref name="keyPrefix"/> (or of exactly that key when it does not end
    /// in '/') strictly after <paramref name="afterRevision"/>, in revision order; 0 means from the
    /// current revision on (k8s's resourceVersion "0" for the etcd3 watcher). The enumeration ends
    /// when <paramref name="cancellationToken"/> fires, or earlier when the store ends a watcher it
    /// cannot serve any more (the watch cache ends one that falls too far behind, or all of them when
    /// it has to relist): the caller resumes from the last revision it saw. A start revision that can
    /// no longer be served throws StorageException(Compacted) from the enumerator. An empty
    /// <paramref name="keyPrefix"/> watches the whole keyspace (the watch cache's one etcd stream).
    /// </summary>
    IAsyncEnumerable<StorageWatchEvent> WatchAsync(string keyPrefix, long afterRevision, CancellationToken cancellationToken = default);

    /// <summary>etcd's current revision (a linearizable read of the header).</summary>
    Task<long> GetCurrentRevisionAsync(CancellationToken cancellationToken = default);
}

/// <summary>One key as stored. For a deleted object, ModRevision is the revision of the deletion.</summary>
public sealed record StoredObject(string Key, ReadOnlyMemory<byte> Value, long ModRevision, long CreateRevision)
{
    /// <summary>
    /// What the watch cache derived from this exact version once (the registry's decoded view: wire
    /// bytes, labels, field values), shared by every reader; null when the object came from etcd.
    /// </summary>
    public ICachedView? View { get; init; }
}

/// <summary>The registry's per-version view of a cached object; the cache only needs its index keys.</summary>
public interface ICachedView
{
    /// <summary>Equality facts this object can be found by, e.g. "label:app=web" or "field:spec.nodeName=node-1".</summary>
    IReadOnlyList<string> IndexKeys { get; }
}

/// <summary>
/// How fresh a read must be; resourceVersion semantics of kube's GET and LIST
/// (https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions).
/// </summary>
public enum ReadMode
{
    /// <summary>Revision 0: the latest state (a consistent read). Revision N: exactly at N (resourceVersionMatch=Exact, continue).</summary>
    Default,

    /// <summary>resourceVersion="0": any state the server has, the watch cache's if it has one.</summary>
    Any,

    /// <summary>resourceVersion=N: a state at least as new as Revision (TooLargeResourceVersion when it never gets there).</summary>
    NotOlderThan,

    /// <summary>
    /// A state that includes every write this server has made to the resource, from the watch cache
    /// without an etcd round trip (consistent from etcd when there is no cache). What admission
    /// plugins read: kube's read informers, which can be stale; this is never older than our own writes.
    /// </summary>
    OwnWrites,
}

/// <summary>A store that knows the newest revision its own writes produced.</summary>
public interface IWriteRevision
{
    long LastWriteRevision { get; }
}

/// <param name="Revision">see <see cref="ReadMode"/>.</param>
public readonly record struct ReadOptions(long Revision = 0, ReadMode Mode = ReadMode.Default);

/// <param name="Revision">see <see cref="ReadMode"/>.</param>
/// <param name="Limit">0 = no limit.</param>
/// <param name="StartAfterKey">full key; items start strictly after it (continue tokens).</param>
/// <param name="Mode">how fresh the list must be.</param>
/// <param name="IndexKey">
/// a hint: every object the caller wants has this <see cref="ICachedView.IndexKeys"/> entry, so a
/// store with an index may return only those (the caller still filters). Stores without one ignore it.
/// </param>
/// <param name="Timeout">
/// how long etcd may take for each range the list reads; null for the client's request timeout. The
/// watch cache's fill gives its pages longer: etcd 3.4 walks every key from a page's start to the end
/// of the range before applying the limit (etcd issue 11057, fixed in 3.5), so at 1,000,000 objects a
/// first page took 12-22 s and the default deadline failed the fill over and over.
/// </param>
/// <param name="ClientList">
/// a client's list request with or without selectors (kube's cacher rules apply while the watch cache
/// fills: a list with a limit and no selectors goes to etcd, any other is refused with
/// <see cref="StorageErrorCode.Initializing"/>); null for the server's own reads, which go to etcd.
/// </param>
public readonly record struct ListOptions(
    long Revision = 0,
    long Limit = 0,
    string? StartAfterKey = null,
    ReadMode Mode = ReadMode.Default,
    string? IndexKey = null,
    ClientList? ClientList = null,
    TimeSpan? Timeout = null);

/// <summary>What the watch cache needs to know of a client's list: whether it selects (labels or fields).</summary>
public readonly record struct ClientList(bool HasSelectors);

/// <param name="Revision">the revision the list was read at.</param>
/// <param name="RemainingItemCount">items under the prefix after the returned ones (0 when !More).</param>
public sealed record ListResult(IReadOnlyList<StoredObject> Items, long Revision, bool More, long RemainingItemCount);

public enum WatchEventType
{
    Added,
    Modified,
    Deleted,

    /// <summary>
    /// No change: every event up to the object's ModRevision has been sent (its key and value are
    /// empty). Only watches that ask for bookmarks get these (<see cref="Cacher.WatchBookmarks"/>).
    /// </summary>
    Bookmark,
}

/// <summary>
/// One change. For Deleted, <see cref="Object"/> carries the last stored value (etcd's prev_kv) with
/// ModRevision set to the deletion revision. <see cref="Previous"/> is the value before the change when known.
/// </summary>
public sealed record StorageWatchEvent(WatchEventType Type, StoredObject Object, StoredObject? Previous);

public enum StorageErrorCode
{
    KeyNotFound,
    KeyExists,
    /// <summary>A precondition (resourceVersion or uid) did not hold.</summary>
    Conflict,
    /// <summary>The requested revision has been compacted away (HTTP 410).</summary>
    Compacted,
    /// <summary>The requested revision is newer than etcd's current one (HTTP 504).</summary>
    TooLargeResourceVersion,
    /// <summary>etcd refused the value as too large.</summary>
    RequestTooLarge,
    /// <summary>No etcd endpoint answered within the deadline.</summary>
    Unavailable,
    /// <summary>Anything else etcd answered with an error.</summary>
    Internal,

    /// <summary>The stored value cannot be decoded (kube's corrupt object): it was left as it is.</summary>
    CorruptObject,

    /// <summary>The watch cache is (re)filling and this read cannot go to etcd instead (HTTP 429, retry after <see cref="StorageException.RetryAfterSeconds"/>).</summary>
    Initializing,
}

public sealed class StorageException(StorageErrorCode code, string key, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public StorageErrorCode Code { get; } = code;

    public string Key { get; } = key;

    /// <summary>For Compacted: etcd's compact revision when known.</summary>
    public long CompactRevision { get; init; }

    /// <summary>For TooLargeResourceVersion: etcd's current revision when known.</summary>
    public long CurrentRevision { get; init; }

    /// <summary>For Initializing: when to try again.</summary>
    public int RetryAfterSeconds { get; init; }
}
