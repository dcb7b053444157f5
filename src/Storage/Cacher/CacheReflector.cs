using ApiMachinery.Wait;

namespace Storage.Cacher;

/// <summary>
/// Feeds every resource's watch cache from one etcd watch over the whole keyspace (k8s.io/apiserver's
/// cacher runs a reflector per resource; one stream does the same work with one connection and gives
/// every cache the same notion of "now"). It lists each registered prefix at one revision, then
/// applies the watch's events in revision order. Because etcd's revision only moves with events, and
/// this watch sees all of them, after applying the event at revision r every cache is exactly at r:
/// that is what lets a consistent read wait for etcd's current revision without RequestProgress
/// (broken in etcd 3.4.23). A compacted resume relists, ending the caches' watchers; etcd being
/// unreachable only pauses the stream (the etcd client reconnects and resumes at the next revision).
/// Caches may come and go while the stream runs (custom resources): a cache registered late is filled
/// by its own list at the stream's revision, the events after it held back until the list is in.
/// </summary>
public sealed class CacheReflector : IAsyncDisposable
{
    /// <summary>kube's cacher lists in pages of 10,000 when it fills (storageWatchListPageSize).</summary>
    private const int ListPageSize = 10_000;

    /// <summary>
    /// How long etcd may take for one page of a fill (kube's reflector gives its list no deadline). On
    /// etcd 3.4 a page costs a walk over every key after it (<see cref="ListOptions.Timeout"/>).
    /// </summary>
    private static readonly TimeSpan FillPageTimeout = TimeSpan.FromMinutes(2);

    private readonly IStorage _etcd;
    // Replaced, never changed, under the lock: the stream's lookups read it without taking the lock.
    private volatile Dictionary<string, Cacher> _cachers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _progressed = NewSignal();
    private long _revision;
    private int _disposed;
    private bool _ready;
    private Task? _loop;
    private Task? _bookmarks;

    public CacheReflector(IStorage etcd)
    {
        _etcd = etcd;
    }

    /// <summary>Raised after the caches were filled: the number of resources and the revision (the host logs it).</summary>
    public event Action<int, long>? Listed;

    /// <summary>Raised when the stream failed and the caches will be refilled after the delay given (the host logs it).</summary>
    public event Action<Exception, TimeSpan>? Relisting;

    /// <summary>How the list-and-watch loop is doing (the host makes it the "watch-cache" health check).</summary>
    public LoopStatus Status { get; } = new("watch-cache");

    /// <summary>Guards every cache's state, the revision and the watcher sets.</summary>
    internal Lock Lock { get; } = new();

    /// <summary>Every event up to this revision has been applied to every cache (read under <see cref="Lock"/>).</summary>
    internal long Revision => _revision;

    /// <summary>
    /// The newest revision etcd has been compacted to as far as the stream saw (read under
    /// <see cref="Lock"/>): kube's compactor, ours included, records it in compact_rev_key before it
    /// compacts, and the stream watches that key with the rest. A list at an older revision goes to
    /// etcd, which answers it as expired, although the window may still hold its state (kube's cacher
    /// drops such snapshots). A compaction done another way (etcdctl) is not seen, as kube's is not.
    /// </summary>
    internal long CompactedRevision { get; private set; }

    /// <summary>The registered caches (for /metrics).</summary>
    public IEnumerable<Cacher> Caches => _cachers.Values;

    /// <summary>False until the first list is in, and again while relisting (reads then go to etcd).</summary>
    internal bool Ready => _ready;

    // Since when the caches have not been ready (start, or the failure that made them relist).
    private DateTimeOffset _unreadySince = TimeProvider.System.GetUtcNow();

    /// <summary>Whether the caches have been filled once (kube's storage-readiness post-start hook waits for it).</summary>
    public bool Filled => Volatile.Read(ref _filled);

    private bool _filled;

    /// <summary>How long the last list of every cache took, from etcd's first page to the caches' swap (for /metrics).</summary>
    public double LastFillSeconds { get; private set; }

    /// <summary>
    /// The Retry-After of a request refused while the caches fill: kube's cacher grows it with the
    /// time the cache has been unready, e^(0.06 s⁻¹ · downtime), between 1 and 30 seconds.
    /// </summary>
    internal int RetryAfterSeconds
    {
        get
        {
            var downtime = TimeProvider.System.GetUtcNow() - _unreadySince;
            return (int)Math.Min(30, Math.Max(1, Math.Exp(0.06 * downtime.TotalSeconds)));
        }
    }

    /// <summary>How many times the caches were (re)filled by a list; 1 after a clean start.</summary>
    public int Lists { get; private set; }

    /// <summary>
    /// A cache for the keys under <paramref name="keyPrefix"/>, decorating <see cref="IStorage"/> reads
    /// and watches. Registered while the stream runs, it is filled in the background; until then its
    /// reads go to etcd and its watches wait.
    /// </summary>
    public Cacher Register(string keyPrefix, CacherOptions? options = null)
    {
        if (!keyPrefix.EndsWith('/'))
        {
            throw new ArgumentException($"cache prefix '{keyPrefix}' must end with '/'", nameof(keyPrefix));
        }

        Cacher cacher;
        lock (Lock)
        {
            if (_cachers.ContainsKey(keyPrefix))
            {
                throw new ArgumentException($"a cache for '{keyPrefix}' is already registered", nameof(keyPrefix));
            }

            cacher = new Cacher(this, _etcd, keyPrefix, options ?? new CacherOptions());
            _cachers = new Dictionary<string, Cacher>(_cachers, StringComparer.Ordinal) { [keyPrefix] = cacher };
            if (_loop is null)
            {
                // The first list fills it.
                return cacher;
            }

            cacher.StartFilling();
        }

        _ = Task.Run(() => FillAsync(cacher, _stop.Token));
        return cacher;
    }

    /// <summary>Stops feeding <paramref name="cacher"/> and ends its watchers (its resource is no longer served).</summary>
    public void Unregister(Cacher cacher)
    {
        lock (Lock)
        {
            if (_cachers.TryGetValue(cacher.KeyPrefix, out var registered) && registered == cacher)
            {
                var remaining = new Dictionary<string, Cacher>(_cachers, StringComparer.Ordinal);
                remaining.Remove(cacher.KeyPrefix);
                _cachers = remaining;
            }

            cacher.Removed = true;
            cacher.EndWatchers();
            Signal();
        }
    }

    /// <summary>
    /// Fills a cache registered while the stream runs: lists its prefix at the revision the stream had
    /// reached when it was registered (the stream holds back its later events meanwhile), then applies
    /// those. A relist in between fills it anyway, so the list is thrown away and taken again.
    /// </summary>
    private async Task FillAsync(Cacher cacher, CancellationToken stop)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (!stop.IsCancellationRequested)
        {
            long revision;
            int lists;
            lock (Lock)
            {
                if (!cacher.Filling || cacher.Removed)
                {
                    return;
                }

                if (!_ready)
                {
                    // Relisting: that list fills it.
                    revision = -1;
                    lists = Lists;
                }
                else
                {
                    revision = _revision;
                    lists = Lists;
                    cacher.StartFilling();
                }
            }

            try
            {
                if (revision < 0)
                {
                    await Task.Delay(delay, stop).ConfigureAwait(false);
                    continue;
                }

                var items = await ListPrefixAsync(cacher, revision, stop).ConfigureAwait(false);
                lock (Lock)
                {
                    if (!cacher.Filling || cacher.Removed)
                    {
                        return;
                    }

                    if (Lists == lists && _ready)
                    {
                        cacher.Filled(items, revision);
                        Signal();
                        return;
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (StorageException)
            {
                // Compacted past the revision, or etcd away: try again from wherever the stream is.
                await Task.Delay(delay, stop).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    /// <summary>
    /// Lists one prefix at <paramref name="revision"/> in pages of kube's initial-list size, reading the
    /// next page from etcd while this one is parsed into the cache's stored form: each object is parsed
    /// once, and a page (its response and its values' buffers) is dropped as soon as it is decorated, so
    /// no buffer grows with the resource.
    /// </summary>
    private async Task<List<StoredObject>> ListPrefixAsync(Cacher cacher, long revision, CancellationToken stop)
    {
        var items = new List<StoredObject>();
        var next = _etcd.GetListAsync(cacher.KeyPrefix, new ListOptions(revision, ListPageSize, Timeout: FillPageTimeout), stop);
        while (true)
        {
            var page = await next.ConfigureAwait(false);
            var more = page.More && page.Items.Count > 0;
            if (more)
            {
                next = _etcd.GetListAsync(cacher.KeyPrefix, new ListOptions(revision, ListPageSize, page.Items[^1].Key, Timeout: FillPageTimeout), stop);
            }

            items.EnsureCapacity(items.Count + page.Items.Count + (int)Math.Min(page.RemainingItemCount, int.MaxValue / 2));
            foreach (var item in page.Items)
            {
                items.Add(cacher.Decorate(item));
            }

            if (!more)
            {
                return items;
            }
        }
    }

    public void Start()
    {
        lock (Lock)
        {
            _loop ??= Task.Run(() => RunAsync(_stop.Token));
            _bookmarks ??= Task.Run(() => DispatchBookmarksAsync(_stop.Token));
        }
    }

    /// <summary>Waits until the caches are filled (or <paramref name="cancellationToken"/> fires).</summary>
    public Task WaitUntilReadyAsync(CancellationToken cancellationToken) => WaitUntilReadyAsync(null, cancellationToken);

    /// <summary>Waits until the caches, and <paramref name="cacher"/> when it was registered late, are filled.</summary>
    internal async Task WaitUntilReadyAsync(Cacher? cacher, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (Lock)
            {
                if (_ready && (cacher is null || !cacher.Filling || cacher.Removed))
                {
                    return;
                }

                signal = _progressed.Task;
            }

            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until every cache has applied <paramref name="revision"/>; false on timeout or when not ready.</summary>
    internal async Task<bool> WaitForRevisionAsync(long revision, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            while (true)
            {
                Task signal;
                lock (Lock)
                {
                    if (_ready && _revision >= revision)
                    {
                        return true;
                    }

                    signal = _progressed.Task;
                }

                await signal.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The host stops it, then the container disposes it: the second call has nothing to do.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var task in new[] { _loop, _bookmarks })
        {
            if (task is not null)
            {
                try
                {
                    await task.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        lock (Lock)
        {
            foreach (var cacher in _cachers.Values)
            {
                cacher.EndWatchers();
            }
        }

        _stop.Dispose();
    }

    /// <summary>
    /// List, then watch, until the watch fails (compacted past our revision, an event etcd could not
    /// complete, etcd away longer than the client retries); then start over from a fresh list after
    /// the shared backoff. Watchers end at the relist and resume on their own.
    /// </summary>
    private Task RunAsync(CancellationToken stop) => BackgroundLoop.RunAsync(
        Status,
        async ct =>
        {
            var revision = await ListAllAsync(ct).ConfigureAwait(false);
            Status.Succeeded();
            await WatchAsync(revision, ct).ConfigureAwait(false);
        },
        (failure, delay) =>
        {
            Relisting?.Invoke(failure, delay);
            lock (Lock)
            {
                if (_ready)
                {
                    _unreadySince = TimeProvider.System.GetUtcNow();
                }

                _ready = false;
                Signal();
            }
        },
        stop,
        RelistBackoff);

    /// <summary>Relists come back quickly: until the caches are filled again, reads go to etcd and watches wait.</summary>
    private static readonly Backoff RelistBackoff = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5));

    /// <summary>
    /// About once a second (jittered, as kube's cacher dispatches bookmarks), offers every watcher
    /// whose bookmark is due one at the current revision: every cache is exactly there, and every
    /// event up to it is already in the watchers' buffers, ahead of the bookmark.
    /// </summary>
    private async Task DispatchBookmarksAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(750 + Random.Shared.Next(500)), stop).ConfigureAwait(false);
            lock (Lock)
            {
                if (!_ready)
                {
                    continue;
                }

                foreach (var cacher in _cachers.Values)
                {
                    cacher.DispatchBookmarks(_revision);
                }
            }
        }
    }

    /// <summary>Lists every registered prefix at one revision and replaces the caches' contents.</summary>
    private async Task<long> ListAllAsync(CancellationToken stop)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var revision = await _etcd.GetCurrentRevisionAsync(stop).ConfigureAwait(false);
        var contents = new List<(Cacher Cacher, List<StoredObject> Items)>();
        foreach (var cacher in _cachers.Values)
        {
            contents.Add((cacher, await ListPrefixAsync(cacher, revision, stop).ConfigureAwait(false)));
        }

        lock (Lock)
        {
            foreach (var (cacher, items) in contents)
            {
                cacher.Replace(items, revision);
            }

            _revision = revision;
            _ready = true;
            Volatile.Write(ref _filled, true);
            LastFillSeconds = clock.Elapsed.TotalSeconds;
            Lists++;
            Signal();
        }

        Listed?.Invoke(contents.Count, revision);
        return revision;
    }

    private async Task WatchAsync(long revision, CancellationToken stop)
    {
        await foreach (var change in _etcd.WatchAsync(string.Empty, revision, stop).ConfigureAwait(false))
        {
            var cacher = Find(change.Object.Key);
            // The view is derived outside the lock: readers only wait for the swap.
            var prepared = cacher?.Prepare(change);
            var compacted = cacher is null ? CompactionRecorded(change) : 0;
            lock (Lock)
            {
                if (cacher is not null)
                {
                    cacher.Apply(prepared!);
                }

                CompactedRevision = Math.Max(CompactedRevision, compacted);

                _revision = change.Object.ModRevision;
                Signal();
            }
        }

        // The client's watch only ends on cancellation; anything else is worth a relist.
        stop.ThrowIfCancellationRequested();
        throw new InvalidOperationException("the etcd watch ended");
    }

    /// <summary>The revision a compactor recorded in compact_rev_key (0 for any other key, or none).</summary>
    private static long CompactionRecorded(StorageWatchEvent change) =>
        change.Type != WatchEventType.Deleted
        && change.Object.Key == Compaction.Compactor.CompactRevisionKey
        && long.TryParse(change.Object.Value.Span, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var revision)
            ? revision
            : 0;

    /// <summary>The cache of the longest registered prefix of <paramref name="key"/>.</summary>
    private Cacher? Find(string key)
    {
        Cacher? found = null;
        var cachers = _cachers;
        for (var slash = key.IndexOf('/', 1); slash >= 0; slash = key.IndexOf('/', slash + 1))
        {
            if (cachers.TryGetValue(key[..(slash + 1)], out var cacher))
            {
                found = cacher;
            }
        }

        return found;
    }

    private void Signal()
    {
        var previous = _progressed;
        _progressed = NewSignal();
        previous.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
