using System.Text;
using Storage.Cacher;
using Storage.Etcd3;

namespace Storage.Tests.Cacher;

/// <summary>What the watch cache adds to the contract: cached reads, indexes, the event window, slow watchers, etcd restarts.</summary>
[Collection(EtcdH2cFixture.Collection)]
public sealed class CacherTests(EtcdH2cFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly string _prefix = $"/registry/cacher-{Guid.NewGuid():N}/";
    private CountingStorage? _etcd;
    private CacheReflector? _reflector;
    private Storage.Cacher.Cacher? _cache;

    private CountingStorage Etcd => _etcd!;

    private Storage.Cacher.Cacher Cache => _cache!;

    public Task InitializeAsync() => StartAsync(new CacherOptions());

    public async Task DisposeAsync()
    {
        if (_reflector is not null)
        {
            await _reflector.DisposeAsync();
        }
    }

    [Fact]
    public async Task ConsistentList_RightAfterAWrite_IncludesItWithoutAnEtcdRange()
    {
        var created = await Cache.CreateAsync(Key("a"), Bytes("one"));

        var list = await Cache.GetListAsync(_prefix, new ListOptions());

        Assert.Equal([Key("a")], list.Items.Select(i => i.Key));
        Assert.True(list.Revision >= created.ModRevision);
        Assert.Equal(0, Etcd.Lists);
    }

    [Fact]
    public async Task WhileTheCacheFills_AClientsPagedUnselectiveListGoesToEtcd_OtherClientListsAreRefused_TheServersOwnReadsGoToEtcd()
    {
        await Cache.CreateAsync(Key("a"), Bytes("color=red"));
        var etcd = new CountingStorage(new Etcd3Store(fixture.Client));
        await using var unstarted = new CacheReflector(etcd);
        var filling = unstarted.Register(_prefix, new CacherOptions { Decorate = stored => new TextView(Encoding.UTF8.GetString(stored.Value.Span)) });
        Assert.False(filling.Serving);
        Assert.False(unstarted.Filled);

        var paged = await filling.GetListAsync(_prefix, new ListOptions(Limit: 10, ClientList: new ClientList(HasSelectors: false)));
        Assert.Equal([Key("a")], paged.Items.Select(i => i.Key));
        Assert.Equal(1, etcd.Lists);

        foreach (var refused in new[] { new ListOptions(ClientList: new ClientList(false)), new ListOptions(Limit: 10, IndexKey: "label:color=red", ClientList: new ClientList(true)) })
        {
            var e = await Assert.ThrowsAsync<StorageException>(() => filling.GetListAsync(_prefix, refused));
            Assert.Equal(StorageErrorCode.Initializing, e.Code);
            Assert.Equal("storage is (re)initializing", e.Message);
            Assert.InRange(e.RetryAfterSeconds, 1, 30);
        }

        var own = await filling.GetListAsync(_prefix, new ListOptions());
        Assert.Single(own.Items);
        Assert.Equal(2, etcd.Lists);

        unstarted.Start();
        await unstarted.WaitUntilReadyAsync(CancellationToken.None);
        Assert.True(filling.Serving);
        Assert.True(unstarted.Filled);
        etcd.Reset();
        var cached = await filling.GetListAsync(_prefix, new ListOptions(Mode: ReadMode.Any, IndexKey: "label:color=red", ClientList: new ClientList(true)));
        Assert.Equal([Key("a")], cached.Items.Select(i => i.Key));
        Assert.Equal(0, etcd.Lists);
    }

    [Fact]
    public async Task OwnWritesReads_RightAfterWrites_SeeThemWithoutAnEtcdRead()
    {
        for (var i = 0; i < 20; i++)
        {
            var created = await Cache.CreateAsync(Key($"w{i}"), Bytes("v"));

            var item = await Cache.GetAsync(Key($"w{i}"), new ReadOptions(Mode: ReadMode.OwnWrites));
            var list = await Cache.GetListAsync(_prefix, new ListOptions(Mode: ReadMode.OwnWrites));

            Assert.NotNull(item);
            Assert.Equal(created.ModRevision, item.ModRevision);
            Assert.Equal(i + 1, list.Items.Count);
        }

        Assert.Equal(0, Etcd.Gets);
        Assert.Equal(0, Etcd.Lists);
    }

    [Fact]
    public async Task AnyRead_ServesTheCachedObject_WithItsView()
    {
        var created = await Cache.CreateAsync(Key("a"), Bytes("color=red"));
        await Cache.GetListAsync(_prefix, new ListOptions()); // now the cache has it

        var item = await Cache.GetAsync(Key("a"), new ReadOptions(Mode: ReadMode.Any));

        Assert.NotNull(item);
        Assert.Equal(created.ModRevision, item.ModRevision);
        Assert.Equal(["label:color=red"], item.View!.IndexKeys);
        Assert.Equal(0, Etcd.Gets);
    }

    [Fact]
    public async Task OwnWritesReadsOnly_AnswersAdmissionFromMemory_AndEverythingElseFromEtcd()
    {
        await DisposeAsync();
        await StartAsync(new CacherOptions { OwnWritesReadsOnly = true });
        var start = await Cache.GetCurrentRevisionAsync();
        var created = await Cache.CreateAsync(Key("a"), Bytes("color=red"));

        // Admission's reads: from memory, and they already see the write.
        var own = await Cache.GetAsync(Key("a"), new ReadOptions(Mode: ReadMode.OwnWrites));
        var ownList = await Cache.GetListAsync(_prefix, new ListOptions(Mode: ReadMode.OwnWrites));
        Assert.Equal(created.ModRevision, own!.ModRevision);
        Assert.NotNull(own.View);
        Assert.Equal([Key("a")], ownList.Items.Select(i => i.Key));
        Assert.Equal((0, 0), (Etcd.Gets, Etcd.Lists));

        // Clients' reads and watches: from etcd, as with no cache at all.
        var any = await Cache.GetAsync(Key("a"), new ReadOptions(Mode: ReadMode.Any));
        var list = await Cache.GetListAsync(_prefix, new ListOptions(Mode: ReadMode.Any));
        var consistent = await Cache.GetListAsync(_prefix, new ListOptions());
        var watched = await TakeAsync(Cache.WatchAsync(_prefix, start), 1);
        Assert.Equal(created.ModRevision, any!.ModRevision);
        Assert.Null(any.View);
        Assert.Equal([Key("a")], list.Items.Select(i => i.Key).Concat(consistent.Items.Select(i => i.Key)).Distinct());
        Assert.Equal((1, 2), (Etcd.Gets, Etcd.Lists));
        Assert.Null(Assert.Single(watched).Object.View);
    }

    [Fact]
    public async Task NotOlderThan_ARevisionEtcdNeverReaches_IsTooLarge()
    {
        await DisposeAsync();
        await StartAsync(new CacherOptions { FreshnessTimeout = TimeSpan.FromMilliseconds(200) });
        var current = await Cache.GetCurrentRevisionAsync();

        var error = await Assert.ThrowsAsync<StorageException>(
            () => Cache.GetListAsync(_prefix, new ListOptions(current + 1000, Mode: ReadMode.NotOlderThan)));

        Assert.Equal(StorageErrorCode.TooLargeResourceVersion, error.Code);
        Assert.True(error.CurrentRevision >= current);
    }

    [Fact]
    public async Task IndexedList_ReturnsOnlyObjectsWithThatKey_AndFollowsChanges()
    {
        await Cache.CreateAsync(Key("a"), Bytes("color=red"));
        await Cache.CreateAsync(Key("b"), Bytes("color=blue"));
        await Cache.CreateAsync(Key("c"), Bytes("color=red"));
        await Cache.GuaranteedUpdateAsync(Key("c"), (_, _) => ValueTask.FromResult(Bytes("color=blue")));
        await Cache.DeleteAsync(Key("a"));
        await Cache.CreateAsync(Key("d"), Bytes("color=red"));

        var red = await Cache.GetListAsync(_prefix, new ListOptions(IndexKey: "label:color=red"));
        var blue = await Cache.GetListAsync(_prefix, new ListOptions(IndexKey: "label:color=blue"));
        var green = await Cache.GetListAsync(_prefix, new ListOptions(IndexKey: "label:color=green"));

        Assert.Equal([Key("d")], red.Items.Select(i => i.Key));
        Assert.Equal([Key("b"), Key("c")], blue.Items.Select(i => i.Key));
        Assert.Empty(green.Items);
    }

    [Fact]
    public async Task ContinuedPages_AreReadFromTheWindow_AsTheResourceWasAtTheFirstPagesRevision()
    {
        for (var i = 0; i < 5; i++)
        {
            await Cache.CreateAsync(Key($"k{i}"), Bytes($"v{i}"));
        }

        var page1 = await Cache.GetListAsync(_prefix, new ListOptions(Limit: 2));
        await Cache.DeleteAsync(Key("k3"));
        await Cache.GuaranteedUpdateAsync(Key("k2"), (_, _) => ValueTask.FromResult(Bytes("changed")));
        await Cache.CreateAsync(Key("k5"), Bytes("late"));
        var page2 = await Cache.GetListAsync(_prefix, new ListOptions(page1.Revision, 2, page1.Items[^1].Key));
        var page3 = await Cache.GetListAsync(_prefix, new ListOptions(page1.Revision, 2, page2.Items[^1].Key));

        Assert.Equal(0, Etcd.Lists);
        Assert.Equal(3, page1.RemainingItemCount);
        Assert.Equal([Key("k2"), Key("k3")], page2.Items.Select(i => i.Key));
        Assert.Equal("v2", Encoding.UTF8.GetString(page2.Items[0].Value.Span));
        Assert.Equal((true, 1L), (page2.More, page2.RemainingItemCount));
        Assert.Equal([Key("k4")], page3.Items.Select(i => i.Key));
        Assert.Equal((false, 0L), (page3.More, page3.RemainingItemCount));
        Assert.All([page2, page3], p => Assert.Equal(page1.Revision, p.Revision));
    }

    [Fact]
    public async Task ExactRevisionLists_AndIndexedContinuations_AreReadFromTheWindow()
    {
        await Cache.CreateAsync(Key("a"), Bytes("color=red"));
        await Cache.CreateAsync(Key("b"), Bytes("color=red"));
        var then = await Cache.CreateAsync(Key("c"), Bytes("color=red"));
        await Cache.GuaranteedUpdateAsync(Key("b"), (_, _) => ValueTask.FromResult(Bytes("color=blue")));
        await Cache.CreateAsync(Key("d"), Bytes("color=red"));

        var exact = await Cache.GetListAsync(_prefix, new ListOptions(then.ModRevision));
        var redPage = await Cache.GetListAsync(_prefix, new ListOptions(then.ModRevision, 10, Key("a"), IndexKey: "label:color=red"));
        var redNow = await Cache.GetListAsync(_prefix, new ListOptions(IndexKey: "label:color=red"));

        Assert.Equal(0, Etcd.Lists);
        Assert.Equal([Key("a"), Key("b"), Key("c")], exact.Items.Select(i => i.Key));
        Assert.Equal(then.ModRevision, exact.Revision);
        Assert.Equal([Key("b"), Key("c")], redPage.Items.Select(i => i.Key));
        Assert.Equal([Key("a"), Key("c"), Key("d")], redNow.Items.Select(i => i.Key));
    }

    [Fact]
    public async Task AContinuationOlderThanTheWindow_GoesToEtcd_AtItsRevision()
    {
        await DisposeAsync();
        await StartAsync(new CacherOptions { MinimumEvents = 2, EventRetention = TimeSpan.Zero });
        for (var i = 0; i < 4; i++)
        {
            await Cache.CreateAsync(Key($"k{i}"), Bytes($"v{i}"));
        }

        var page1 = await Cache.GetListAsync(_prefix, new ListOptions(Limit: 2));
        // More events than the window keeps (it holds one more than its minimum).
        for (var i = 0; i < 5; i++)
        {
            await Cache.GuaranteedUpdateAsync(Key("k3"), (_, _) => ValueTask.FromResult(Bytes($"later{i}")));
        }

        var page2 = await Cache.GetListAsync(_prefix, new ListOptions(page1.Revision, 2, page1.Items[^1].Key));

        Assert.Equal(1, Etcd.Lists);
        Assert.Equal([Key("k2"), Key("k3")], page2.Items.Select(i => i.Key));
        Assert.Equal("v3", Encoding.UTF8.GetString(page2.Items[1].Value.Span));
    }

    [Fact]
    public async Task AContinuationAtACompactedRevision_GoesToEtcd_WhichSaysCompacted_ThoughTheWindowStillHasIt()
    {
        for (var i = 0; i < 4; i++)
        {
            await Cache.CreateAsync(Key($"k{i}"), Bytes($"v{i}"));
        }

        var page1 = await Cache.GetListAsync(_prefix, new ListOptions(Limit: 2));
        await Cache.GuaranteedUpdateAsync(Key("k3"), (_, _) => ValueTask.FromResult(Bytes("later")));
        var current = await Cache.GetCurrentRevisionAsync();
        // As kube's compactor (ours included) does: record the revision in compact_rev_key, then compact.
        await fixture.Client.TxnAsync(new Storage.Etcd.Protos.TxnRequest
        {
            Success =
            {
                new Storage.Etcd.Protos.RequestOp
                {
                    RequestPut = new Storage.Etcd.Protos.PutRequest
                    {
                        Key = Google.Protobuf.ByteString.CopyFromUtf8(Storage.Compaction.Compactor.CompactRevisionKey),
                        Value = Google.Protobuf.ByteString.CopyFromUtf8(current.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    },
                },
            },
        });
        await fixture.Client.CompactAsync(current, physical: true);
        // The consistent read waits until the cache has seen the compact_rev_key write.
        await Cache.GetListAsync(_prefix, new ListOptions());
        Etcd.Reset();

        var error = await Assert.ThrowsAsync<StorageException>(
            () => Cache.GetListAsync(_prefix, new ListOptions(page1.Revision, 2, page1.Items[^1].Key)));

        Assert.Equal(StorageErrorCode.Compacted, error.Code);
        Assert.Equal(1, Etcd.Lists);
    }

    [Fact]
    public async Task Watch_OlderThanTheWindow_IsServedByEtcd_UntilCompacted()
    {
        await DisposeAsync();
        await StartAsync(new CacherOptions { MinimumEvents = 2, EventRetention = TimeSpan.Zero });
        var start = await Cache.GetCurrentRevisionAsync();
        for (var i = 0; i < 5; i++)
        {
            await Cache.CreateAsync(Key($"k{i}"), Bytes($"v{i}"));
        }

        await Cache.GetListAsync(_prefix, new ListOptions()); // the cache has seen all five
        var fromEtcd = await TakeAsync(Cache.WatchAsync(_prefix, start), 5);
        var last = await Cache.GetCurrentRevisionAsync();
        await fixture.Client.CompactAsync(last);
        var error = await Assert.ThrowsAsync<StorageException>(() => TakeAsync(Cache.WatchAsync(_prefix, start), 1));
        var fromWindow = await TakeAsync(Cache.WatchAsync(_prefix, last - 2), 2);

        Assert.Equal(Enumerable.Range(0, 5).Select(i => Key($"k{i}")), fromEtcd.Select(e => e.Object.Key));
        Assert.All(fromEtcd, e => Assert.Null(e.Object.View)); // not from the cache
        Assert.Equal(StorageErrorCode.Compacted, error.Code);
        Assert.Equal([Key("k3"), Key("k4")], fromWindow.Select(e => e.Object.Key));
        Assert.All(fromWindow, e => Assert.NotNull(e.Object.View));
    }

    [Fact]
    public async Task SlowWatcher_IsEndedWhenItsBufferOverflows_WithoutDelayingTheOthers()
    {
        await DisposeAsync();
        await StartAsync(new CacherOptions { WatcherBufferSize = 2 });
        var start = await Cache.GetCurrentRevisionAsync();
        using var cancel = new CancellationTokenSource(Timeout);
        await using var slow = Cache.WatchAsync(_prefix, start, cancel.Token).GetAsyncEnumerator(cancel.Token);
        await using var fast = Cache.WatchAsync(_prefix, start, cancel.Token).GetAsyncEnumerator(cancel.Token);
        var first = slow.MoveNextAsync();
        Assert.False(first.IsCompleted); // registered, nothing yet

        // The fast watcher reads each event before the next write (so it never lags, however busy the
        // machine); the slow one reads nothing until the end.
        for (var i = 0; i < 6; i++)
        {
            await Cache.CreateAsync(Key($"k{i}"), Bytes($"v{i}"));
            Assert.True(await fast.MoveNextAsync());
            Assert.Equal(Key($"k{i}"), fast.Current.Object.Key);
        }

        var slowKeys = new List<string>();
        var more = await first;
        if (more)
        {
            slowKeys.Add(slow.Current.Object.Key);
        }

        while (more && await slow.MoveNextAsync())
        {
            slowKeys.Add(slow.Current.Object.Key);
        }

        // The slow one got what fit in its buffer (plus the one it was waiting for), in order, then its end.
        Assert.InRange(slowKeys.Count, 1, 3);
        Assert.Equal(Enumerable.Range(0, slowKeys.Count).Select(i => $"k{i}"), slowKeys.Select(k => k[_prefix.Length..]));
        Assert.Equal(1, Cache.OverflowedWatchers);
        Assert.Equal(1, Cache.WatcherCount); // the fast one, still watching
    }

    [Fact]
    public async Task ManyWatchers_EachSeeEveryEventOnce_InRevisionOrder()
    {
        var start = await Cache.GetCurrentRevisionAsync();
        var watchers = Enumerable.Range(0, 200).Select(_ => TakeAsync(Cache.WatchAsync(_prefix, start), 30)).ToList();
        var revisions = new List<long>();
        for (var i = 0; i < 10; i++)
        {
            revisions.Add((await Cache.CreateAsync(Key($"k{i}"), Bytes("a"))).ModRevision);
            revisions.Add((await Cache.GuaranteedUpdateAsync(Key($"k{i}"), (_, _) => ValueTask.FromResult(Bytes("b")))).ModRevision);
            revisions.Add((await Cache.DeleteAsync(Key($"k{i}"))).ModRevision);
        }

        foreach (var watcher in watchers)
        {
            Assert.Equal(revisions, (await watcher).Select(e => e.Object.ModRevision));
        }
    }

    [Fact]
    public async Task EtcdRestart_WatchersContinue_WithoutGapsOrRepeats()
    {
        var start = await Cache.GetCurrentRevisionAsync();
        var watch = TakeAsync(Cache.WatchAsync(_prefix, start), 4, TimeSpan.FromSeconds(60));
        await Cache.CreateAsync(Key("before-1"), Bytes("x"));
        await Cache.CreateAsync(Key("before-2"), Bytes("x"));

        await fixture.Etcd.RestartAsync();
        await Cache.CreateAsync(Key("after-1"), Bytes("x"));
        await Cache.CreateAsync(Key("after-2"), Bytes("x"));

        var events = await watch;
        Assert.Equal([Key("before-1"), Key("before-2"), Key("after-1"), Key("after-2")], events.Select(e => e.Object.Key));
        var list = await Cache.GetListAsync(_prefix, new ListOptions());
        Assert.Equal(4, list.Items.Count);
    }

    [Fact]
    public async Task WatchWithBookmarks_GetsThemInOrder_AtTheCachesRevision()
    {
        await DisposeAsync();
        await StartAsync(new CacherOptions { BookmarkInterval = TimeSpan.FromMilliseconds(300) });
        var start = await Cache.GetCurrentRevisionAsync();
        using var cancel = new CancellationTokenSource(Timeout);
        await using var events = Cache.WatchAsync(_prefix, start, new WatchBookmarks(DateTimeOffset.UtcNow.AddMinutes(1)), cancel.Token).GetAsyncEnumerator(cancel.Token);

        // A change elsewhere moves the revision: a later bookmark carries it (every cache is there).
        var created = await Cache.CreateAsync(Key("a"), Bytes("x"));
        var elsewhere = await new Etcd3Store(fixture.Client).CreateAsync($"/registry/elsewhere-{Guid.NewGuid():N}", Bytes("x"));
        var seen = new List<StorageWatchEvent>();
        while (await events.MoveNextAsync())
        {
            seen.Add(events.Current);
            if (events.Current.Type == WatchEventType.Bookmark && events.Current.Object.ModRevision >= elsewhere.ModRevision)
            {
                break;
            }
        }

        var added = seen.FindIndex(e => e.Type == WatchEventType.Added);
        Assert.Equal(Key("a"), seen[added].Object.Key);
        // Bookmarks never claim a revision whose events have not been sent.
        Assert.All(seen.Take(added), e => Assert.True(e.Type == WatchEventType.Bookmark && e.Object.ModRevision < created.ModRevision));
        Assert.All(seen.Skip(added + 1), e => Assert.Equal(WatchEventType.Bookmark, e.Type));
    }

    [Fact]
    public async Task WatchWithoutBookmarks_GetsNone()
    {
        await DisposeAsync();
        await StartAsync(new CacherOptions { BookmarkInterval = TimeSpan.FromMilliseconds(100) });
        var start = await Cache.GetCurrentRevisionAsync();
        var watch = TakeAsync(Cache.WatchAsync(_prefix, start), 1);
        await Task.Delay(1500);
        var created = await Cache.CreateAsync(Key("a"), Bytes("x"));
        Assert.Equal([(WatchEventType.Added, created.ModRevision)], (await watch).Select(e => (e.Type, e.Object.ModRevision)));
    }

    [Fact]
    public async Task WatchServedByEtcd_GetsBookmarksAtTheLastRevisionItSent()
    {
        await DisposeAsync();
        await StartAsync(new CacherOptions { MinimumEvents = 2, EventRetention = TimeSpan.Zero, BookmarkInterval = TimeSpan.FromMilliseconds(300) });
        var start = await Cache.GetCurrentRevisionAsync();
        var last = 0L;
        for (var i = 0; i < 5; i++)
        {
            last = (await Cache.CreateAsync(Key($"k{i}"), Bytes("x"))).ModRevision;
        }

        await Cache.GetListAsync(_prefix, new ListOptions()); // the window has moved past start
        var events = await TakeAsync(Cache.WatchAsync(_prefix, start, new WatchBookmarks(DateTimeOffset.UtcNow.AddMinutes(1))), 7);
        Assert.Equal(Enumerable.Repeat(WatchEventType.Added, 5), events.Take(5).Select(e => e.Type));
        Assert.All(events.Skip(5), e => Assert.Equal((WatchEventType.Bookmark, last), (e.Type, e.Object.ModRevision)));
    }

    [Fact]
    public async Task ACacheRegisteredWhileTheStreamRuns_IsFilledByItsOwnList_AndThenFollowsChanges()
    {
        // Custom resources come and go while the server runs: their caches register late.
        var late = $"/registry/late-{Guid.NewGuid():N}/";
        await Etcd.CreateAsync(late + "before", Bytes("color=red"));
        var cache = _reflector!.Register(late, new CacherOptions { Decorate = stored => new TextView(Encoding.UTF8.GetString(stored.Value.Span)) });
        var after = await cache.CreateAsync(late + "after", Bytes("color=blue"));

        var watched = TakeAsync(cache.WatchAsync(late, after.ModRevision), 1);
        // Until its own list has filled it, the cache sends reads to etcd (objects without views).
        var list = await cache.GetListAsync(late, new ListOptions(after.ModRevision, Mode: ReadMode.NotOlderThan));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (list.Items.Any(i => i.View is null))
        {
            Assert.True(DateTime.UtcNow < deadline, "the late cache was never filled");
            await Task.Delay(50);
            list = await cache.GetListAsync(late, new ListOptions(after.ModRevision, Mode: ReadMode.NotOlderThan));
        }

        var modified = await cache.GuaranteedUpdateAsync(late + "before", (_, _) => ValueTask.FromResult(Bytes("color=green")));

        Assert.Equal([late + "after", late + "before"], list.Items.Select(i => i.Key));
        Assert.All(list.Items, i => Assert.NotNull(i.View));
        var change = Assert.Single(await watched);
        Assert.Equal(modified.ModRevision, change.Object.ModRevision);
        var cached = await cache.GetAsync(late + "before", new ReadOptions(Mode: ReadMode.Any));
        Assert.Equal(["label:color=green"], cached!.View!.IndexKeys);
    }

    [Fact]
    public async Task UnregisteringACache_EndsItsWatchers()
    {
        var late = $"/registry/gone-{Guid.NewGuid():N}/";
        var cache = _reflector!.Register(late);
        var start = (await cache.CreateAsync(late + "a", Bytes("v"))).ModRevision;
        var watch = TakeAsync(cache.WatchAsync(late, start), 1, TimeSpan.FromSeconds(30));
        await Task.Delay(200);

        _reflector.Unregister(cache);

        var ended = await Assert.ThrowsAsync<TimeoutException>(() => watch);
        Assert.Contains("ended after 0", ended.Message);
    }

    private async Task StartAsync(CacherOptions options)
    {
        _etcd = new CountingStorage(new Etcd3Store(fixture.Client));
        _reflector = new CacheReflector(_etcd);
        _cache = _reflector.Register(_prefix, new CacherOptions
        {
            Decorate = stored => new TextView(Encoding.UTF8.GetString(stored.Value.Span)),
            MinimumEvents = options.MinimumEvents,
            EventRetention = options.EventRetention,
            WatcherBufferSize = options.WatcherBufferSize,
            FreshnessTimeout = options.FreshnessTimeout,
            OwnWritesReadsOnly = options.OwnWritesReadsOnly,
            BookmarkInterval = options.BookmarkInterval,
        });
        _reflector.Start();
        await _reflector.WaitUntilReadyAsync(CancellationToken.None);
        Etcd.Reset(); // the reflector's own list does not count
    }

    private string Key(string name) => _prefix + name;

    private static ReadOnlyMemory<byte> Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static async Task<List<StorageWatchEvent>> TakeAsync(IAsyncEnumerable<StorageWatchEvent> source, int count, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? Timeout);
        var events = new List<StorageWatchEvent>();
        await foreach (var e in source.WithCancellation(cancel.Token))
        {
            events.Add(e);
            if (events.Count == count)
            {
                return events;
            }
        }

        throw new TimeoutException($"watch ended after {events.Count} of {count} events");
    }

    /// <summary>Values like "color=red" are indexed as label:color=red.</summary>
    private sealed record TextView(string Text) : ICachedView
    {
        public IReadOnlyList<string> IndexKeys => Text.Contains('=') ? [$"label:{Text}"] : [];
    }

    /// <summary>The real etcd store, counting the reads that reach it.</summary>
    private sealed class CountingStorage(IStorage inner) : IStorage, IWriteRevision
    {
        public long LastWriteRevision => ((IWriteRevision)inner).LastWriteRevision;

        private int _gets;
        private int _lists;

        public int Gets => _gets;

        public int Lists => _lists;

        public void Reset()
        {
            _gets = 0;
            _lists = 0;
        }

        public Task<StoredObject> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default) =>
            inner.CreateAsync(key, value, cancellationToken);

        public Task<StoredObject?> GetAsync(string key, ReadOptions options = default, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _gets);
            return inner.GetAsync(key, options, cancellationToken);
        }

        public Task<ListResult> GetListAsync(string keyPrefix, ListOptions options, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _lists);
            return inner.GetListAsync(keyPrefix, options, cancellationToken);
        }

        public Task<StoredObject> GuaranteedUpdateAsync(
            string key, Func<StoredObject?, CancellationToken, ValueTask<ReadOnlyMemory<byte>>> tryUpdate, CancellationToken cancellationToken = default,
            StoredObject? cachedExisting = null) =>
            inner.GuaranteedUpdateAsync(key, tryUpdate, cancellationToken, cachedExisting);

        public Task<StoredObject> DeleteAsync(
            string key, Func<StoredObject, CancellationToken, ValueTask>? validateDeletion = null, CancellationToken cancellationToken = default) =>
            inner.DeleteAsync(key, validateDeletion, cancellationToken);

        public IAsyncEnumerable<StorageWatchEvent> WatchAsync(string keyPrefix, long afterRevision, CancellationToken cancellationToken = default) =>
            inner.WatchAsync(keyPrefix, afterRevision, cancellationToken);

        public Task<long> GetCurrentRevisionAsync(CancellationToken cancellationToken = default) => inner.GetCurrentRevisionAsync(cancellationToken);
    }
}
