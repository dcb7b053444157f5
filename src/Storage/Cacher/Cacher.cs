using System.Collections.Immutable;
using System.Runtime.CompilerServices;

namespace Storage.Cacher;

/// <summary>
/// The watch cache of one resource (k8s.io/apiserver pkg/storage/cacher), decorating the etcd store:
/// it holds the current objects, an index of their <see cref="ICachedView.IndexKeys"/>, and a window
/// of recent events, all fed by the <see cref="CacheReflector"/>. It serves watches, reads with
/// resourceVersion "0" or "not older than N", and consistent lists once it has caught up with etcd's
/// current revision, and lists at a past revision (continue tokens, resourceVersionMatch=Exact) the
/// event window still covers. Writes, consistent gets, exact-revision gets and lists older than the
/// window go to etcd. The objects are immutable and swapped as a whole, so a reader never sees half an
/// event, and the window keeps the contents after each event at no more cost than the nodes it replaced.
/// </summary>
public sealed class Cacher : IStorage
{
    private static readonly ImmutableSortedDictionary<string, StoredObject> NoObjects =
        ImmutableSortedDictionary.Create<string, StoredObject>(StringComparer.Ordinal);

    private static readonly ImmutableSortedSet<string> NoKeys = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    private readonly CacheReflector _reflector;
    private readonly IStorage _etcd;
    private readonly CacherOptions _options;
    private readonly EventWindow _window;
    private readonly HashSet<CacheWatcher> _watchers = [];

    // Guarded by the reflector's lock; readers take the references under it and use them outside.
    private ImmutableSortedDictionary<string, StoredObject> _objects = NoObjects;
    private ImmutableDictionary<string, ImmutableSortedSet<string>> _index = ImmutableDictionary.Create<string, ImmutableSortedSet<string>>(StringComparer.Ordinal);

    // Keys by their directory under the prefix (the namespace, for namespaced resources), so a
    // namespace's list does not walk every object of the resource.
    private ImmutableDictionary<string, ImmutableSortedSet<string>> _directories = ImmutableDictionary.Create<string, ImmutableSortedSet<string>>(StringComparer.Ordinal);

    internal Cacher(CacheReflector reflector, IStorage etcd, string keyPrefix, CacherOptions options)
    {
        _reflector = reflector;
        _etcd = etcd;
        _options = options;
        _window = new EventWindow(options);
        KeyPrefix = keyPrefix;
    }

    public string KeyPrefix { get; }

    /// <summary>See <see cref="CacherOptions.GroupResource"/>.</summary>
    public (string Group, string Resource) GroupResource => _options.GroupResource;

    // A cache registered while the reflector runs is filled by its own list; until then (under the
    // reflector's lock) the stream's events for it wait here and its reads go to etcd.
    private List<StorageWatchEvent>? _heldBack;
    private volatile bool _filling;

    /// <summary>Registered while the stream runs and not filled yet (set under the reflector's lock).</summary>
    internal bool Filling => _filling;

    /// <summary>Unregistered: its resource is no longer served.</summary>
    internal bool Removed { get; set; }

    /// <summary>Whether reads and watches can be served from memory.</summary>
    private bool Ready => _reflector.Ready && !_filling;

    /// <summary>Watchers currently served from this cache.</summary>
    public int WatcherCount
    {
        get
        {
            lock (_reflector.Lock)
            {
                return _watchers.Count;
            }
        }
    }

    /// <summary>Watchers ended so far because they fell behind.</summary>
    public long OverflowedWatchers { get; private set; }

    // ---------------------------------------------------------------- writes: straight to etcd

    // The newest revision etcd had answered when one of this resource's writes returned: an
    // OwnWrites read of this resource waits for the cache to get there (and only then).
    private long _lastOwnWrite;

    public async Task<StoredObject> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default) =>
        NoteOwnWrite(await _etcd.CreateAsync(key, value, cancellationToken).ConfigureAwait(false));

    /// <summary>Starts from the cached copy when there is one (etcd checks it in the Txn), else from a read.</summary>
    public async Task<StoredObject> GuaranteedUpdateAsync(
        string key, Func<StoredObject?, CancellationToken, ValueTask<ReadOnlyMemory<byte>>> tryUpdate, CancellationToken cancellationToken = default,
        StoredObject? cachedExisting = null)
    {
        if (cachedExisting is null && Ready)
        {
            lock (_reflector.Lock)
            {
                cachedExisting = _objects.GetValueOrDefault(key);
            }
        }

        return NoteOwnWrite(await _etcd.GuaranteedUpdateAsync(key, tryUpdate, cancellationToken, cachedExisting).ConfigureAwait(false));
    }

    public async Task<StoredObject> DeleteAsync(
        string key, Func<StoredObject, CancellationToken, ValueTask>? validateDeletion = null, CancellationToken cancellationToken = default) =>
        NoteOwnWrite(await _etcd.DeleteAsync(key, validateDeletion, cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// Remembers how far the cache must get to include this write: etcd's newest answered revision,
    /// which is at least the write's own (a delete's revision is not on the object it returns).
    /// </summary>
    private StoredObject NoteOwnWrite(StoredObject stored)
    {
        Revisions.RaiseTo(ref _lastOwnWrite, Math.Max(stored.ModRevision, _etcd is IWriteRevision writes ? writes.LastWriteRevision : 0));
        return stored;
    }

    public Task<long> GetCurrentRevisionAsync(CancellationToken cancellationToken = default) => _etcd.GetCurrentRevisionAsync(cancellationToken);

    // ---------------------------------------------------------------- reads

    public async Task<StoredObject?> GetAsync(string key, ReadOptions options = default, CancellationToken cancellationToken = default)
    {
        // A consistent get is one etcd range either way; kube-apiserver sends it to etcd too.
        if (options.Mode == ReadMode.Default || !Ready || (_options.OwnWritesReadsOnly && options.Mode != ReadMode.OwnWrites))
        {
            return await _etcd.GetAsync(key, options, cancellationToken).ConfigureAwait(false);
        }

        if (options.Mode == ReadMode.NotOlderThan)
        {
            await WaitForAsync(key, options.Revision, cancellationToken).ConfigureAwait(false);
        }
        else if (options.Mode == ReadMode.OwnWrites)
        {
            await WaitForOwnWritesAsync(key, cancellationToken).ConfigureAwait(false);
        }

        lock (_reflector.Lock)
        {
            return _objects.GetValueOrDefault(key);
        }
    }

    public async Task<ListResult> GetListAsync(string keyPrefix, ListOptions options, CancellationToken cancellationToken = default)
    {
        if (!keyPrefix.StartsWith(KeyPrefix, StringComparison.Ordinal) || !keyPrefix.EndsWith('/'))
        {
            throw new ArgumentException($"list prefix '{keyPrefix}' is not under '{KeyPrefix}'", nameof(keyPrefix));
        }

        if (_options.OwnWritesReadsOnly && options.Mode != ReadMode.OwnWrites)
        {
            return await _etcd.GetListAsync(keyPrefix, options, cancellationToken).ConfigureAwait(false);
        }

        if (options.StartAfterKey is not null || (options.Mode == ReadMode.Default && options.Revision != 0))
        {
            // A continue token or an exact revision names a past state: the window's, or else etcd's.
            return await ListAtRevisionAsync(keyPrefix, options, cancellationToken).ConfigureAwait(false)
                ?? await _etcd.GetListAsync(keyPrefix, options, cancellationToken).ConfigureAwait(false);
        }

        if (!Ready)
        {
            // kube's cacher while it fills (ResilientWatchCacheInitialization): a client's list with a
            // limit and no selectors costs etcd no more than it returns, so etcd serves it; any other
            // is refused with 429 rather than left hanging or sent to etcd whole. The server's own
            // reads go to etcd, and so do all reads of a cache registered late (a new custom resource,
            // whose first list takes milliseconds) while it fills.
            if (!_reflector.Ready && options.ClientList is { } client && (options.Limit == 0 || client.HasSelectors))
            {
                throw NotReady(keyPrefix);
            }

            return await _etcd.GetListAsync(keyPrefix, options, cancellationToken).ConfigureAwait(false);
        }

        switch (options.Mode)
        {
            case ReadMode.Default:
                // Consistent: whatever etcd has committed by now, the cache must have seen first.
                var current = await _etcd.GetCurrentRevisionAsync(cancellationToken).ConfigureAwait(false);
                if (!await _reflector.WaitForRevisionAsync(current, _options.FreshnessTimeout, cancellationToken).ConfigureAwait(false))
                {
                    return await _etcd.GetListAsync(keyPrefix, options, cancellationToken).ConfigureAwait(false);
                }

                break;
            case ReadMode.NotOlderThan:
                await WaitForAsync(keyPrefix, options.Revision, cancellationToken).ConfigureAwait(false);
                break;
            case ReadMode.OwnWrites:
                await WaitForOwnWritesAsync(keyPrefix, cancellationToken).ConfigureAwait(false);
                break;
        }

        CacheState now;
        long revision;
        lock (_reflector.Lock)
        {
            now = new CacheState(_objects, _index, _directories);
            revision = _reflector.Revision;
        }

        return ListFrom(now, revision, keyPrefix, options);
    }

    /// <summary>
    /// A list at a past revision (a continue token's, or resourceVersionMatch=Exact) from the state the
    /// window kept for it, as kube-apiserver serves them since ListFromCacheSnapshot (beta in 1.34):
    /// on etcd 3.4 a continued page costs etcd a walk over every key after its start (etcd issue
    /// 11057), some 100-300 ms per page at 100,000 to 1,000,000 objects, where memory takes under a
    /// millisecond. Null when only etcd can answer: the cache is not serving, the revision is older
    /// than the window (or than the last compaction, which etcd then reports as kube's cacher would),
    /// or etcd has not reached it yet.
    /// </summary>
    private async Task<ListResult?> ListAtRevisionAsync(string keyPrefix, ListOptions options, CancellationToken cancellationToken)
    {
        var revision = options.Revision;
        if (revision <= 0 || !Ready)
        {
            return null;
        }

        bool reached;
        lock (_reflector.Lock)
        {
            reached = _reflector.Revision >= revision;
        }

        if (!reached)
        {
            // A first page etcd served while the cache lagged: wait for the cache, unless etcd itself
            // has not got there (then etcd's answer is the "too large" error).
            var current = await _etcd.GetCurrentRevisionAsync(cancellationToken).ConfigureAwait(false);
            if (revision > current || !await _reflector.WaitForRevisionAsync(revision, _options.FreshnessTimeout, cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
        }

        CacheState? state;
        lock (_reflector.Lock)
        {
            // Every event of this resource up to the cache's revision is applied and its state kept,
            // so the newest state at or below the revision asked for is the contents at that revision.
            state = Ready && _reflector.Revision >= revision && revision >= _reflector.CompactedRevision ? _window.StateAt(revision) : null;
        }

        return state is null ? null : ListFrom(state, revision, keyPrefix, options);
    }

    /// <summary>
    /// The list of <paramref name="keyPrefix"/> in <paramref name="state"/> (the cache's contents at
    /// <paramref name="revision"/>), after <see cref="ListOptions.StartAfterKey"/> when given: first
    /// and continued pages take the same paths through the index and the directories.
    /// </summary>
    private ListResult ListFrom(CacheState state, long revision, string keyPrefix, ListOptions options)
    {
        var objects = state.Objects;
        var after = options.StartAfterKey;
        var whole = keyPrefix.Length == KeyPrefix.Length;
        CountList(options.IndexKey);
        ImmutableSortedSet<string>? keys = null;
        if (options.IndexKey is { } indexKey)
        {
            keys = state.Index.GetValueOrDefault(indexKey) ?? NoKeys;
        }
        else if (!whole)
        {
            keys = DirectoryOf(keyPrefix + "x") is { } directory && keyPrefix.Length == KeyPrefix.Length + directory.Length + 1
                ? state.Directories.GetValueOrDefault(directory) ?? NoKeys
                : null;
        }

        if (keys is null)
        {
            if (after is not null)
            {
                // The objects' tree cannot seek: the keys up to the start are walked (in memory).
                return whole
                    ? PageAfter(objects, after, options.Limit, revision)
                    : Page(objects.Values.Where(o => o.Key.StartsWith(keyPrefix, StringComparison.Ordinal) && string.CompareOrdinal(o.Key, after) > 0), null, options.Limit, revision);
            }

            if (whole && (options.Limit == 0 || options.Limit >= objects.Count))
            {
                // The whole resource: the snapshot itself, no copy of it per request.
                return new ListResult(new SnapshotList(objects), revision, false, 0);
            }

            // The whole resource (its size is known), or a prefix no index covers (walked).
            return whole
                ? Page(objects.Values, objects.Count, options.Limit, revision)
                : Page(objects.Values.Where(o => o.Key.StartsWith(keyPrefix, StringComparison.Ordinal)), null, options.Limit, revision);
        }

        // A key set seeks to the start in log time.
        var start = 0;
        if (after is not null)
        {
            start = keys.IndexOf(after);
            start = start >= 0 ? start + 1 : ~start;
        }

        var selected = KeysFrom(keys, start).Select(k => objects[k]);
        return options.IndexKey is null || whole
            ? Page(selected, keys.Count - start, options.Limit, revision)
            : Page(selected.Where(o => o.Key.StartsWith(keyPrefix, StringComparison.Ordinal)), null, options.Limit, revision);
    }

    private static IEnumerable<string> KeysFrom(ImmutableSortedSet<string> keys, int start)
    {
        if (start == 0)
        {
            return keys;
        }

        return Range();

        IEnumerable<string> Range()
        {
            for (var i = start; i < keys.Count; i++)
            {
                yield return keys[i];
            }
        }
    }

    /// <summary>A page of the whole resource after <paramref name="after"/>, in one walk that stops at the limit.</summary>
    private static ListResult PageAfter(ImmutableSortedDictionary<string, StoredObject> objects, string after, long limit, long revision)
    {
        var page = new List<StoredObject>((int)Math.Min(limit > 0 ? limit : objects.Count, objects.Count));
        var skipped = 0;
        foreach (var (key, stored) in objects)
        {
            if (string.CompareOrdinal(key, after) <= 0)
            {
                skipped++;
            }
            else if (limit > 0 && page.Count == limit)
            {
                break;
            }
            else
            {
                page.Add(stored);
            }
        }

        var remaining = objects.Count - skipped - page.Count;
        return new ListResult(page, revision, remaining > 0, remaining);
    }

    // ---------------------------------------------------------------- apiserver_cache_list_total

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, StrongBox<long>> _lists = new(StringComparer.Ordinal);

    /// <summary>Lists served from memory so far, by the index they used ("" for none; kube's apiserver_cache_list_total).</summary>
    public IEnumerable<(string Index, long Count)> ListsServed => _lists.Select(p => (p.Key, Interlocked.Read(ref p.Value.Value)));

    private void CountList(string? indexKey)
    {
        // "field:spec.nodeName=node-1" is index f:spec.nodeName, "label:app=web" is l:app (kube's index names).
        var index = indexKey is null ? ""
            : (indexKey.StartsWith("field:", StringComparison.Ordinal) ? "f:" : indexKey.StartsWith("label:", StringComparison.Ordinal) ? "l:" : "")
              + indexKey[(indexKey.IndexOf(':') + 1)..(indexKey.IndexOf('=') is var eq && eq > 0 ? eq : indexKey.Length)];
        Interlocked.Increment(ref _lists.GetOrAdd(index, _ => new StrongBox<long>()).Value);
    }

    /// <summary>
    /// A whole resource's list as the cache's immutable snapshot, without copying it (issue 19: a list of
    /// 100,000 objects allocated a 100,000-reference array per request, held as long as a slow reader
    /// took). Read in order, as list writers read, each item comes from one walk of the snapshot; reading
    /// from the start again starts a new walk; any other order copies the items once.
    /// </summary>
    internal sealed class SnapshotList(ImmutableSortedDictionary<string, StoredObject> objects) : IReadOnlyList<StoredObject>
    {
        private ImmutableSortedDictionary<string, StoredObject>.Enumerator _walk;
        private int _at = -1;
        private StoredObject[]? _copy;

        public int Count => objects.Count;

        public StoredObject this[int index]
        {
            get
            {
                ArgumentOutOfRangeException.ThrowIfNegative(index);
                ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, objects.Count);
                if (_copy is not null)
                {
                    return _copy[index];
                }

                if (index == 0 && _at != 0)
                {
                    _walk = objects.GetEnumerator();
                    _walk.MoveNext();
                    _at = 0;
                }
                else if (index == _at + 1 && _at >= 0)
                {
                    _walk.MoveNext();
                    _at = index;
                }
                else if (index != _at)
                {
                    _copy = [.. objects.Values];
                    return _copy[index];
                }

                return _walk.Current.Value;
            }
        }

        public IEnumerator<StoredObject> GetEnumerator() => objects.Values.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <param name="count">how many <paramref name="items"/> there are, when known without walking them.</param>
    private static ListResult Page(IEnumerable<StoredObject> items, int? count, long limit, long revision)
    {
        // Sized up front when the count is known: a list of the whole resource is one array, not the
        // doublings up to it (each a large-object allocation per request at 100,000 objects).
        var page = new List<StoredObject>(count is { } n ? (int)Math.Min(limit > 0 ? limit : n, n) : 0);
        long remaining = 0;
        foreach (var item in items)
        {
            if (limit > 0 && page.Count == limit)
            {
                if (count is { } known)
                {
                    remaining = known - page.Count;
                    break;
                }

                remaining++;
            }
            else
            {
                page.Add(item);
            }
        }

        return new ListResult(page, revision, remaining > 0, remaining);
    }

    /// <summary>"ns" for "{prefix}ns/name"; null for "{prefix}name" (cluster-scoped keys have no directory).</summary>
    private string? DirectoryOf(string key)
    {
        var slash = key.LastIndexOf('/');
        return slash > KeyPrefix.Length ? key[KeyPrefix.Length..slash] : null;
    }

    /// <summary>
    /// False while the caches are (re)filled from a list: clients' watches are then refused
    /// (<see cref="NotReady"/>), as kube's cacher refuses them. A cache registered late (a new custom
    /// resource) keeps its watches waiting for its own short fill instead.
    /// </summary>
    public bool Serving => _options.OwnWritesReadsOnly || _reflector.Ready;

    /// <summary>The refusal of a request the filling cache cannot serve (kube: 429 "storage is (re)initializing" with a Retry-After).</summary>
    public StorageException NotReady(string key) =>
        new(StorageErrorCode.Initializing, key, "storage is (re)initializing") { RetryAfterSeconds = _reflector.RetryAfterSeconds };

    // ---------------------------------------------------------------- watch

    public IAsyncEnumerable<StorageWatchEvent> WatchAsync(string keyPrefix, long afterRevision, CancellationToken cancellationToken = default) =>
        WatchAsync(keyPrefix, afterRevision, null, cancellationToken);

    /// <summary>
    /// <see cref="IStorage.WatchAsync"/>, and with <paramref name="bookmarks"/> periodic
    /// <see cref="WatchEventType.Bookmark"/> events in order with the others (kube's cacher sends
    /// them to every watcher that allows them). A watch etcd serves (older than the window) gets them
    /// too, at the last revision it has passed on; with the cache answering admission only (kube: no
    /// watch cache), watches are etcd's and get none, as kube's etcd watches send none.
    /// </summary>
    public async IAsyncEnumerable<StorageWatchEvent> WatchAsync(
        string keyPrefix, long afterRevision, WatchBookmarks? bookmarks, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterRevision);
        if (!keyPrefix.StartsWith(KeyPrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"watch prefix '{keyPrefix}' is not under '{KeyPrefix}'", nameof(keyPrefix));
        }

        if (_options.OwnWritesReadsOnly)
        {
            await foreach (var change in _etcd.WatchAsync(keyPrefix, afterRevision, cancellationToken).ConfigureAwait(false))
            {
                yield return change;
            }

            yield break;
        }

        await _reflector.WaitUntilReadyAsync(this, cancellationToken).ConfigureAwait(false);
        if (afterRevision > 0)
        {
            await WaitForAsync(keyPrefix, afterRevision, cancellationToken).ConfigureAwait(false);
        }

        CacheWatcher? watcher = null;
        List<StorageWatchEvent> backlog = [];
        var removed = false;
        lock (_reflector.Lock)
        {
            if (afterRevision == 0)
            {
                afterRevision = _reflector.Revision;
            }

            if (Removed)
            {
                // Unregistered while this watch waited: its resource is no longer served.
                removed = true;
            }
            else if (afterRevision >= _window.StartRevision)
            {
                backlog = _window.EventsAfter(afterRevision, keyPrefix);
                BookmarkTimes? times = null;
                if (bookmarks is not null)
                {
                    times = new BookmarkTimes(_options.BookmarkInterval, bookmarks.Deadline);
                    times.ScheduleAfter(_options.Time.GetUtcNow());
                }

                watcher = new CacheWatcher(keyPrefix, _options.WatcherBufferSize, times);
                _watchers.Add(watcher);
            }
        }

        if (removed)
        {
            yield break;
        }

        if (watcher is null)
        {
            // Older than the window: only etcd may still have it (or answer Compacted).
            var fromEtcd = bookmarks is null
                ? _etcd.WatchAsync(keyPrefix, afterRevision, cancellationToken)
                : WithBookmarksAsync(_etcd.WatchAsync(keyPrefix, afterRevision, cancellationToken), afterRevision, bookmarks, cancellationToken);
            await foreach (var change in fromEtcd.ConfigureAwait(false))
            {
                yield return change;
            }

            yield break;
        }

        try
        {
            foreach (var change in backlog)
            {
                yield return change;
            }

            backlog = [];
            while (await WaitToReadAsync(watcher, cancellationToken).ConfigureAwait(false))
            {
                while (watcher.Reader.TryRead(out var change))
                {
                    yield return change;
                }
            }
        }
        finally
        {
            lock (_reflector.Lock)
            {
                _watchers.Remove(watcher);
            }

            watcher.End();
        }
    }

    /// <summary>
    /// A watch etcd serves, with bookmarks at the last revision passed on (the start revision until
    /// the first event): every change of the watched keys up to it has been sent.
    /// </summary>
    private async IAsyncEnumerable<StorageWatchEvent> WithBookmarksAsync(
        IAsyncEnumerable<StorageWatchEvent> source, long afterRevision, WatchBookmarks bookmarks, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var time = _options.Time;
        var times = new BookmarkTimes(_options.BookmarkInterval, bookmarks.Deadline);
        times.ScheduleAfter(time.GetUtcNow());
        var passed = afterRevision;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var events = source.GetAsyncEnumerator(stop.Token);
        var next = events.MoveNextAsync().AsTask();
        try
        {
            while (true)
            {
                if (!next.IsCompleted && times.Next is { } due)
                {
                    var wait = due - time.GetUtcNow();
                    if (wait > TimeSpan.Zero)
                    {
                        using var timer = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                        var delay = Task.Delay(wait, time, timer.Token);
                        await Task.WhenAny(next, delay).ConfigureAwait(false);
                        await timer.CancelAsync().ConfigureAwait(false);
                        cancellationToken.ThrowIfCancellationRequested();
                    }

                    if (!next.IsCompleted)
                    {
                        times.ScheduleAfter(time.GetUtcNow());
                        yield return Bookmark(passed);
                        continue;
                    }
                }

                if (!await next.ConfigureAwait(false))
                {
                    yield break;
                }

                var change = events.Current;
                passed = change.Object.ModRevision;
                next = events.MoveNextAsync().AsTask();
                yield return change;
            }
        }
        finally
        {
            // An enumerator cannot be disposed while a move is pending: end that move first.
            if (!next.IsCompleted)
            {
                await stop.CancelAsync().ConfigureAwait(false);
            }

            try
            {
                await next.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Cancelled here, or a failure the loop has already passed on.
            }

            await events.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A bookmark: no object, only the revision everything before which has been sent.</summary>
    internal static StorageWatchEvent Bookmark(long revision) =>
        new(WatchEventType.Bookmark, new StoredObject("", ReadOnlyMemory<byte>.Empty, revision, 0), null);

    /// <summary>Under the lock: offers a bookmark at <paramref name="revision"/> to every watcher whose bookmark is due.</summary>
    internal void DispatchBookmarks(long revision)
    {
        if (_watchers.Count == 0)
        {
            return;
        }

        var now = _options.Time.GetUtcNow();
        StorageWatchEvent? bookmark = null;
        foreach (var watcher in _watchers)
        {
            if (watcher.Bookmarks is { } times && times.IsDue(now))
            {
                bookmark ??= Bookmark(revision);
                // A full buffer keeps it due: tried again on the next round.
                if (watcher.TryOfferBookmark(bookmark))
                {
                    times.ScheduleAfter(now);
                }
            }
        }
    }

    /// <summary>False when the watcher was ended or the caller stopped watching (the enumeration then just ends).</summary>
    private static async ValueTask<bool> WaitToReadAsync(CacheWatcher watcher, CancellationToken cancellationToken)
    {
        try
        {
            return await watcher.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    // ---------------------------------------------------------------- fed by the reflector

    internal StoredObject Decorate(StoredObject stored) =>
        _options.Decorate is { } decorate ? stored with { View = decorate(stored) } : stored;

    /// <summary>Outside the lock: the event with its objects decorated.</summary>
    internal StorageWatchEvent Prepare(StorageWatchEvent change) => change with { Object = Decorate(change.Object) };

    /// <summary>Under the lock: from now on the stream's events wait until <see cref="Filled"/> (those up to now are in the list to come).</summary>
    internal void StartFilling()
    {
        _heldBack = [];
        _filling = true;
    }

    /// <summary>Under the lock: the cache's own list, taken at <paramref name="revision"/>, and then the events held back since.</summary>
    internal void Filled(List<StoredObject> items, long revision)
    {
        var heldBack = _heldBack ?? [];
        Replace(items, revision);
        foreach (var change in heldBack)
        {
            if (change.Object.ModRevision > revision)
            {
                Apply(change);
            }
        }
    }

    /// <summary>Under the lock: a fresh list replaces everything; watchers end (they cannot be given a diff).</summary>
    internal void Replace(List<StoredObject> items, long revision)
    {
        _filling = false;
        _heldBack = null;
        var objects = NoObjects.ToBuilder();
        var index = new Dictionary<string, ImmutableSortedSet<string>.Builder>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            objects[item.Key] = item;
            foreach (var indexKey in IndexKeys(item))
            {
                if (!index.TryGetValue(indexKey, out var keys))
                {
                    keys = NoKeys.ToBuilder();
                    index[indexKey] = keys;
                }

                keys.Add(item.Key);
            }
        }

        _objects = objects.ToImmutable();
        _index = index.ToImmutableDictionary(p => p.Key, p => p.Value.ToImmutable(), StringComparer.Ordinal);
        _directories = _objects.Keys
            .GroupBy(DirectoryOf)
            .Where(g => g.Key is not null)
            .ToImmutableDictionary(g => g.Key!, g => g.ToImmutableSortedSet(StringComparer.Ordinal), StringComparer.Ordinal);
        _window.Reset(revision, KeepsStates ? new CacheState(_objects, _index, _directories) : null);
        EndWatchers();
    }

    /// <summary>Under the lock: applies one event and hands it to the watchers it concerns.</summary>
    internal void Apply(StorageWatchEvent change)
    {
        if (_filling)
        {
            _heldBack?.Add(change);
            return;
        }

        var key = change.Object.Key;
        var previous = _objects.GetValueOrDefault(key) ?? change.Previous;
        StorageWatchEvent cached;
        if (DirectoryOf(key) is { } directory)
        {
            var inDirectory = _directories.GetValueOrDefault(directory) ?? NoKeys;
            inDirectory = change.Type == WatchEventType.Deleted ? inDirectory.Remove(key) : inDirectory.Add(key);
            _directories = inDirectory.IsEmpty ? _directories.Remove(directory) : _directories.SetItem(directory, inDirectory);
        }

        if (change.Type == WatchEventType.Deleted)
        {
            _objects = _objects.Remove(key);
            UpdateIndex(key, previous, null);
            cached = new StorageWatchEvent(WatchEventType.Deleted, change.Object, previous);
        }
        else
        {
            _objects = _objects.SetItem(key, change.Object);
            UpdateIndex(key, previous, change.Object);
            cached = new StorageWatchEvent(previous is null ? WatchEventType.Added : WatchEventType.Modified, change.Object, previous);
        }

        _window.Add(cached, KeepsStates ? new CacheState(_objects, _index, _directories) : null);
        List<CacheWatcher>? overflowed = null;
        foreach (var watcher in _watchers)
        {
            if (KeyFilter.Matches(watcher.KeyPrefix, key) && !watcher.TryDeliver(cached))
            {
                (overflowed ??= []).Add(watcher);
            }
        }

        if (overflowed is not null)
        {
            foreach (var watcher in overflowed)
            {
                _watchers.Remove(watcher);
                OverflowedWatchers++;
            }
        }
    }

    /// <summary>A cache that answers admission alone serves no list at a past revision, so it keeps no states.</summary>
    private bool KeepsStates => !_options.OwnWritesReadsOnly;

    /// <summary>Under the lock.</summary>
    internal void EndWatchers()
    {
        foreach (var watcher in _watchers)
        {
            watcher.End();
        }

        _watchers.Clear();
    }

    private void UpdateIndex(string key, StoredObject? before, StoredObject? after)
    {
        var old = IndexKeys(before);
        var now = IndexKeys(after);
        foreach (var indexKey in old)
        {
            if (!now.Contains(indexKey) && _index.TryGetValue(indexKey, out var keys))
            {
                keys = keys.Remove(key);
                _index = keys.IsEmpty ? _index.Remove(indexKey) : _index.SetItem(indexKey, keys);
            }
        }

        foreach (var indexKey in now)
        {
            if (!old.Contains(indexKey))
            {
                _index = _index.SetItem(indexKey, (_index.GetValueOrDefault(indexKey) ?? NoKeys).Add(key));
            }
        }
    }

    private static IReadOnlyList<string> IndexKeys(StoredObject? stored) => stored?.View?.IndexKeys ?? [];

    /// <summary>Waits until the cache has reached <paramref name="revision"/>; a revision etcd has not reached is too large.</summary>
    /// <summary>
    /// Waits until the cache has applied every write this server made to this resource. Reads of
    /// rarely written resources (what admission reads) almost never wait; no etcd round trip either way.
    /// </summary>
    private Task WaitForOwnWritesAsync(string key, CancellationToken cancellationToken) =>
        Interlocked.Read(ref _lastOwnWrite) is var revision && revision > 0
            ? WaitForAsync(key, revision, cancellationToken)
            : Task.CompletedTask;

    private async Task WaitForAsync(string key, long revision, CancellationToken cancellationToken)
    {
        if (await _reflector.WaitForRevisionAsync(revision, _options.FreshnessTimeout, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        long current;
        lock (_reflector.Lock)
        {
            current = _reflector.Revision;
        }

        throw new StorageException(StorageErrorCode.TooLargeResourceVersion, key, $"Too large resource version: {revision}, current: {current}")
        {
            CurrentRevision = current,
        };
    }
}
