using System.Globalization;
using System.Text;

namespace Storage.Tests;

/// <summary>
/// The behaviour every <see cref="IStorage"/> owes its callers, after k8s.io/apiserver
/// pkg/storage/testing/store_tests.go. Runs against the etcd3 store and, later, the watch cache.
/// Each test works under its own key prefix; the tests of one implementation run sequentially
/// (compaction would otherwise break a neighbour's old-revision reads).
/// </summary>
public abstract class StoreContractTests
{
    private static readonly TimeSpan WatchTimeout = TimeSpan.FromSeconds(15);

    protected string Prefix { get; } = $"/registry/contract-{Guid.NewGuid():N}/";

    protected abstract IStorage Store { get; }

    /// <summary>Compacts the backing etcd at <paramref name="revision"/>.</summary>
    protected abstract Task CompactAsync(long revision);

    /// <summary>
    /// A watch cache still has the events of a compacted revision in its window and serves them, as
    /// kube-apiserver's does; etcd itself refuses.
    /// </summary>
    protected virtual bool ServesCompactedWatchFromWindow => false;

    [Fact]
    public async Task Create_NewKey_ReturnsObjectAtWriteRevision()
    {
        var before = await Store.GetCurrentRevisionAsync();

        var created = await Store.CreateAsync(Key("a"), Bytes("one"));

        Assert.Equal(Key("a"), created.Key);
        Assert.Equal("one", Text(created.Value));
        Assert.True(created.ModRevision > before);
        Assert.Equal(created.ModRevision, created.CreateRevision);
        var read = await Store.GetAsync(Key("a"));
        Assert.NotNull(read);
        Assert.Equal("one", Text(read.Value));
        Assert.Equal(created.ModRevision, read.ModRevision);
        Assert.Equal(created.CreateRevision, read.CreateRevision);
    }

    [Fact]
    public async Task Create_ExistingKey_ThrowsKeyExists()
    {
        var created = await Store.CreateAsync(Key("a"), Bytes("one"));

        var error = await Assert.ThrowsAsync<StorageException>(() => Store.CreateAsync(Key("a"), Bytes("two")));

        Assert.Equal(StorageErrorCode.KeyExists, error.Code);
        Assert.Equal(Key("a"), error.Key);
        var read = await Store.GetAsync(Key("a"));
        Assert.Equal("one", Text(read!.Value));
        Assert.Equal(created.ModRevision, read.ModRevision);
    }

    [Theory]
    [InlineData(1_600_000)] // over etcd's --max-request-bytes (1.5 MiB): etcd answers "request is too large"
    [InlineData(3_000_000)] // over gRPC's 2 MiB message limit: refused before sending
    public async Task Create_ValueOverEtcdLimit_ThrowsRequestTooLarge(int size)
    {
        var value = new byte[size];

        var error = await Assert.ThrowsAsync<StorageException>(() => Store.CreateAsync(Key("big"), value));

        Assert.Equal(StorageErrorCode.RequestTooLarge, error.Code);
        Assert.Null(await Store.GetAsync(Key("big")));
    }

    [Fact]
    public async Task Get_MissingKey_ReturnsNull()
    {
        Assert.Null(await Store.GetAsync(Key("missing")));
    }

    [Fact]
    public async Task Get_AtOlderRevision_ReturnsValueOfThatRevision()
    {
        var created = await Store.CreateAsync(Key("a"), Bytes("one"));
        var updated = await Store.GuaranteedUpdateAsync(Key("a"), (_, _) => ValueTask.FromResult(Bytes("two")));

        var old = await Store.GetAsync(Key("a"), new ReadOptions(created.ModRevision));
        var latest = await Store.GetAsync(Key("a"));

        Assert.Equal("one", Text(old!.Value));
        Assert.Equal(created.ModRevision, old.ModRevision);
        Assert.Equal("two", Text(latest!.Value));
        Assert.Equal(updated.ModRevision, latest.ModRevision);
    }

    [Fact]
    public async Task GetList_Prefix_ReturnsItemsInKeyOrderAndNothingOutsideThePrefix()
    {
        var outside = Prefix.TrimEnd('/');
        await Store.CreateAsync(outside, Bytes("outside")); // the prefix without its slash
        await Store.CreateAsync(outside + "0", Bytes("outside")); // '0' follows '/': the exclusive range end
        await Store.CreateAsync(outside + "-sibling/x", Bytes("outside"));
        await Store.CreateAsync(Key("b"), Bytes("b"));
        await Store.CreateAsync(Key("a"), Bytes("a"));
        var last = await Store.CreateAsync(Key("c/nested"), Bytes("c"));

        var list = await Store.GetListAsync(Prefix, new ListOptions());

        Assert.Equal([Key("a"), Key("b"), Key("c/nested")], list.Items.Select(i => i.Key));
        Assert.Equal(["a", "b", "c"], list.Items.Select(i => Text(i.Value)));
        Assert.Equal(last.ModRevision, list.Items[2].ModRevision);
        Assert.Equal(await Store.GetCurrentRevisionAsync(), list.Revision);
        Assert.False(list.More);
        Assert.Equal(0, list.RemainingItemCount);
    }

    [Fact]
    public async Task GetList_EmptyPrefix_ReturnsNoItemsAtCurrentRevision()
    {
        var list = await Store.GetListAsync(Prefix, new ListOptions());

        Assert.Empty(list.Items);
        Assert.False(list.More);
        Assert.Equal(await Store.GetCurrentRevisionAsync(), list.Revision);
    }

    [Fact]
    public async Task GetList_AtRevision_ReturnsSnapshotOfThatRevision()
    {
        await Store.CreateAsync(Key("a"), Bytes("a1"));
        var snapshot = await Store.CreateAsync(Key("b"), Bytes("b1"));
        await Store.CreateAsync(Key("c"), Bytes("c1"));
        await Store.GuaranteedUpdateAsync(Key("a"), (_, _) => ValueTask.FromResult(Bytes("a2")));
        await Store.DeleteAsync(Key("b"));

        var list = await Store.GetListAsync(Prefix, new ListOptions(Revision: snapshot.ModRevision));

        Assert.Equal(snapshot.ModRevision, list.Revision);
        Assert.Equal([Key("a"), Key("b")], list.Items.Select(i => i.Key));
        Assert.Equal(["a1", "b1"], list.Items.Select(i => Text(i.Value)));
    }

    [Fact]
    public async Task GetList_WithLimit_PagesAtTheFirstPagesRevisionWithRemainingCount()
    {
        for (var i = 0; i < 5; i++)
        {
            await Store.CreateAsync(Key($"k{i}"), Bytes($"v{i}"));
        }

        var page1 = await Store.GetListAsync(Prefix, new ListOptions(Limit: 2));
        // Writes between pages must not show up: later pages are read at page 1's revision.
        await Store.CreateAsync(Key("k5"), Bytes("v5"));
        await Store.GuaranteedUpdateAsync(Key("k2"), (_, _) => ValueTask.FromResult(Bytes("changed")));
        await Store.DeleteAsync(Key("k4"));
        var page2 = await Store.GetListAsync(Prefix, new ListOptions(page1.Revision, 2, page1.Items[^1].Key));
        var page3 = await Store.GetListAsync(Prefix, new ListOptions(page2.Revision, 2, page2.Items[^1].Key));

        Assert.Equal([Key("k0"), Key("k1")], page1.Items.Select(i => i.Key));
        Assert.True(page1.More);
        Assert.Equal(3, page1.RemainingItemCount);
        Assert.Equal([Key("k2"), Key("k3")], page2.Items.Select(i => i.Key));
        Assert.Equal(["v2", "v3"], page2.Items.Select(i => Text(i.Value)));
        Assert.True(page2.More);
        Assert.Equal(1, page2.RemainingItemCount);
        Assert.Equal(page1.Revision, page2.Revision);
        Assert.Equal([Key("k4")], page3.Items.Select(i => i.Key));
        Assert.False(page3.More);
        Assert.Equal(0, page3.RemainingItemCount);
        Assert.Equal(page1.Revision, page3.Revision);
    }

    [Fact]
    public async Task GetList_LimitCoveringEverything_ReportsNoMore()
    {
        await Store.CreateAsync(Key("a"), Bytes("a"));
        await Store.CreateAsync(Key("b"), Bytes("b"));

        var list = await Store.GetListAsync(Prefix, new ListOptions(Limit: 2));

        Assert.Equal(2, list.Items.Count);
        Assert.False(list.More);
        Assert.Equal(0, list.RemainingItemCount);
    }

    [Fact]
    public async Task GetList_CompactedRevision_ThrowsCompacted()
    {
        var created = await Store.CreateAsync(Key("a"), Bytes("one"));
        var updated = await Store.GuaranteedUpdateAsync(Key("a"), (_, _) => ValueTask.FromResult(Bytes("two")));
        await CompactAsync(updated.ModRevision);

        var error = await Assert.ThrowsAsync<StorageException>(
            () => Store.GetListAsync(Prefix, new ListOptions(Revision: created.ModRevision)));

        Assert.Equal(StorageErrorCode.Compacted, error.Code);
        // The compact revision itself stays readable.
        var list = await Store.GetListAsync(Prefix, new ListOptions(Revision: updated.ModRevision));
        Assert.Equal(["two"], list.Items.Select(i => Text(i.Value)));
    }

    [Fact]
    public async Task GetList_FutureRevision_ThrowsTooLargeResourceVersion()
    {
        await Store.CreateAsync(Key("a"), Bytes("one"));
        var current = await Store.GetCurrentRevisionAsync();

        var error = await Assert.ThrowsAsync<StorageException>(
            () => Store.GetListAsync(Prefix, new ListOptions(Revision: current + 1000)));

        Assert.Equal(StorageErrorCode.TooLargeResourceVersion, error.Code);
        Assert.True(error.CurrentRevision >= current, $"CurrentRevision {error.CurrentRevision} < {current}");
    }

    [Fact]
    public async Task GuaranteedUpdate_ExistingKey_WritesResultAtNewRevision()
    {
        var created = await Store.CreateAsync(Key("a"), Bytes("one"));
        StoredObject? seen = null;

        var updated = await Store.GuaranteedUpdateAsync(Key("a"), (current, _) =>
        {
            seen = current;
            return ValueTask.FromResult(Bytes("two"));
        });

        Assert.Equal("one", Text(seen!.Value));
        Assert.Equal(created.ModRevision, seen.ModRevision);
        Assert.Equal("two", Text(updated.Value));
        Assert.True(updated.ModRevision > created.ModRevision);
        Assert.Equal(created.CreateRevision, updated.CreateRevision);
        var read = await Store.GetAsync(Key("a"));
        Assert.Equal("two", Text(read!.Value));
        Assert.Equal(updated.ModRevision, read.ModRevision);
    }

    [Fact]
    public async Task GuaranteedUpdate_FromAStaleCachedCopy_EndsAsIfItHadRead()
    {
        var stale = await Store.CreateAsync(Key("a"), Bytes("one"));
        await Store.GuaranteedUpdateAsync(Key("a"), (_, _) => ValueTask.FromResult(Bytes("two")));

        // The stale copy is tried, the Txn fails, the callback runs again on etcd's value.
        var seen = new List<string>();
        var updated = await Store.GuaranteedUpdateAsync(Key("a"), (current, _) =>
        {
            seen.Add(Text(current!.Value));
            return ValueTask.FromResult(Bytes(Text(current.Value) + "+"));
        }, cachedExisting: stale);
        Assert.Equal(["one", "two"], seen);
        Assert.Equal("two+", Text(updated.Value));

        // A callback that refuses the stale copy is asked again with the current one.
        var refusedOnce = await Store.GuaranteedUpdateAsync(Key("a"), (current, _) =>
            Text(current!.Value) == "one" ? throw new InvalidOperationException("stale") : ValueTask.FromResult(Bytes("three")),
            cachedExisting: stale);
        Assert.Equal("three", Text(refusedOnce.Value));

        // A no-op on the stale copy is not trusted: it is decided on the current value.
        var noop = await Store.GuaranteedUpdateAsync(Key("a"), (current, _) => ValueTask.FromResult(Bytes("one")), cachedExisting: stale);
        Assert.Equal("one", Text(noop.Value));
        Assert.Equal("one", Text((await Store.GetAsync(Key("a")))!.Value));

        // The callback's own error on the current value still propagates.
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.GuaranteedUpdateAsync(Key("a"),
            (_, _) => throw new InvalidOperationException("always"), cachedExisting: stale));
    }

    [Fact]
    public async Task GuaranteedUpdate_MissingKey_PassesNullAndCreates()
    {
        var calls = 0;

        var created = await Store.GuaranteedUpdateAsync(Key("a"), (current, _) =>
        {
            calls++;
            Assert.Null(current);
            return ValueTask.FromResult(Bytes("new"));
        });

        Assert.Equal(1, calls);
        Assert.Equal("new", Text(created.Value));
        Assert.Equal(created.ModRevision, created.CreateRevision);
        Assert.Equal("new", Text((await Store.GetAsync(Key("a")))!.Value));
    }

    [Fact]
    public async Task GuaranteedUpdate_SameBytes_WritesNothing()
    {
        var created = await Store.CreateAsync(Key("a"), Bytes("same"));
        var before = await Store.GetCurrentRevisionAsync();

        var result = await Store.GuaranteedUpdateAsync(Key("a"), (current, _) => ValueTask.FromResult(Bytes(Text(current!.Value))));

        Assert.Equal(created.ModRevision, result.ModRevision);
        Assert.Equal("same", Text(result.Value));
        Assert.Equal(before, await Store.GetCurrentRevisionAsync());
    }

    [Fact]
    public async Task GuaranteedUpdate_TryUpdateThrows_PropagatesAndWritesNothing()
    {
        var created = await Store.CreateAsync(Key("a"), Bytes("one"));
        var before = await Store.GetCurrentRevisionAsync();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Store.GuaranteedUpdateAsync(
            Key("a"),
            (_, _) => throw new InvalidOperationException("admission denied")));

        Assert.Equal("admission denied", error.Message);
        Assert.Equal(before, await Store.GetCurrentRevisionAsync());
        Assert.Equal(created.ModRevision, (await Store.GetAsync(Key("a")))!.ModRevision);
    }

    [Fact]
    public async Task GuaranteedUpdate_LostRace_RetriesWithTheValueThatWon()
    {
        await Store.CreateAsync(Key("a"), Bytes("one"));
        var seen = new List<string>();
        StoredObject? winner = null;

        var result = await Store.GuaranteedUpdateAsync(Key("a"), async (current, ct) =>
        {
            seen.Add(Text(current!.Value));
            if (seen.Count == 1)
            {
                // Another writer gets in between this read and this write.
                winner = await Store.GuaranteedUpdateAsync(Key("a"), (_, _) => ValueTask.FromResult(Bytes("other")), ct);
            }

            return Bytes(Text(current.Value) + "+mine");
        });

        Assert.Equal(["one", "other"], seen);
        Assert.Equal("other+mine", Text(result.Value));
        Assert.True(result.ModRevision > winner!.ModRevision);
        Assert.Equal("other+mine", Text((await Store.GetAsync(Key("a")))!.Value));
    }

    [Fact]
    public async Task GuaranteedUpdate_ConcurrentUpdaters_EndWithExactCount()
    {
        const int Updaters = 16;
        const int Increments = 10;
        await Store.CreateAsync(Key("counter"), Bytes("0"));

        var tasks = Enumerable.Range(0, Updaters).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < Increments; i++)
            {
                await Store.GuaranteedUpdateAsync(Key("counter"), (current, _) =>
                {
                    var value = int.Parse(Text(current!.Value), CultureInfo.InvariantCulture);
                    return ValueTask.FromResult(Bytes((value + 1).ToString(CultureInfo.InvariantCulture)));
                });
            }
        }));
        await Task.WhenAll(tasks);

        var final = await Store.GetAsync(Key("counter"));
        Assert.Equal((Updaters * Increments).ToString(CultureInfo.InvariantCulture), Text(final!.Value));
    }

    [Fact]
    public async Task Delete_ExistingKey_ReturnsLastValueAtDeletionRevision()
    {
        var created = await Store.CreateAsync(Key("a"), Bytes("one"));
        StoredObject? validated = null;

        var deleted = await Store.DeleteAsync(Key("a"), (current, _) =>
        {
            validated = current;
            return ValueTask.CompletedTask;
        });

        Assert.Equal(created.ModRevision, validated!.ModRevision);
        Assert.Equal(Key("a"), deleted.Key);
        Assert.Equal("one", Text(deleted.Value));
        Assert.Equal(created.CreateRevision, deleted.CreateRevision);
        Assert.True(deleted.ModRevision > created.ModRevision);
        Assert.Equal(await Store.GetCurrentRevisionAsync(), deleted.ModRevision);
        Assert.Null(await Store.GetAsync(Key("a")));
    }

    [Fact]
    public async Task Delete_MissingKey_ThrowsKeyNotFound()
    {
        var error = await Assert.ThrowsAsync<StorageException>(() => Store.DeleteAsync(Key("missing")));

        Assert.Equal(StorageErrorCode.KeyNotFound, error.Code);
        Assert.Equal(Key("missing"), error.Key);
    }

    [Fact]
    public async Task Delete_ValidationRefuses_PropagatesAndKeepsKey()
    {
        var created = await Store.CreateAsync(Key("a"), Bytes("one"));

        var error = await Assert.ThrowsAsync<StorageException>(() => Store.DeleteAsync(
            Key("a"),
            (_, _) => throw new StorageException(StorageErrorCode.Conflict, Key("a"), "uid precondition failed")));

        Assert.Equal(StorageErrorCode.Conflict, error.Code);
        var read = await Store.GetAsync(Key("a"));
        Assert.Equal(created.ModRevision, read!.ModRevision);
    }

    [Fact]
    public async Task Delete_ConcurrentUpdate_RevalidatesWithFreshValue()
    {
        await Store.CreateAsync(Key("a"), Bytes("one"));
        var validated = new List<string>();

        var deleted = await Store.DeleteAsync(Key("a"), async (current, ct) =>
        {
            validated.Add(Text(current.Value));
            if (validated.Count == 1)
            {
                await Store.GuaranteedUpdateAsync(Key("a"), (_, _) => ValueTask.FromResult(Bytes("two")), ct);
            }
        });

        Assert.Equal(["one", "two"], validated);
        Assert.Equal("two", Text(deleted.Value));
        Assert.Null(await Store.GetAsync(Key("a")));
    }

    [Fact]
    public async Task Watch_FromRevision_DeliversAddedModifiedDeletedInOrder()
    {
        var start = await Store.GetCurrentRevisionAsync();
        var created = await Store.CreateAsync(Key("a"), Bytes("one"));
        var updated = await Store.GuaranteedUpdateAsync(Key("a"), (_, _) => ValueTask.FromResult(Bytes("two")));
        var deleted = await Store.DeleteAsync(Key("a"));

        var events = await TakeAsync(Store.WatchAsync(Prefix, start), 3);

        Assert.Equal([WatchEventType.Added, WatchEventType.Modified, WatchEventType.Deleted], events.Select(e => e.Type));
        Assert.All(events, e => Assert.Equal(Key("a"), e.Object.Key));

        Assert.Equal("one", Text(events[0].Object.Value));
        Assert.Equal(created.ModRevision, events[0].Object.ModRevision);
        Assert.Null(events[0].Previous);

        Assert.Equal("two", Text(events[1].Object.Value));
        Assert.Equal(updated.ModRevision, events[1].Object.ModRevision);
        Assert.Equal(created.CreateRevision, events[1].Object.CreateRevision);
        Assert.Equal("one", Text(events[1].Previous!.Value));

        Assert.Equal("two", Text(events[2].Object.Value));
        Assert.Equal(deleted.ModRevision, events[2].Object.ModRevision);
        Assert.Equal("two", Text(events[2].Previous!.Value));
        Assert.Equal(updated.ModRevision, events[2].Previous!.ModRevision);
    }

    [Fact]
    public async Task Watch_StartedBeforeWrites_DeliversLiveEvents()
    {
        var start = await Store.GetCurrentRevisionAsync();
        using var timeout = new CancellationTokenSource(WatchTimeout);
        await using var events = Store.WatchAsync(Prefix, start, timeout.Token).GetAsyncEnumerator(timeout.Token);
        var next = events.MoveNextAsync();

        var created = await Store.CreateAsync(Key("live"), Bytes("one"));

        Assert.True(await next);
        Assert.Equal(WatchEventType.Added, events.Current.Type);
        Assert.Equal(created.ModRevision, events.Current.Object.ModRevision);
    }

    [Fact]
    public async Task Watch_AfterRevision_SkipsThatRevisionAndEarlier()
    {
        var first = await Store.CreateAsync(Key("a"), Bytes("a"));
        var second = await Store.CreateAsync(Key("b"), Bytes("b"));

        var events = await TakeAsync(Store.WatchAsync(Prefix, first.ModRevision), 1);

        Assert.Equal(Key("b"), events[0].Object.Key);
        Assert.Equal(second.ModRevision, events[0].Object.ModRevision);
    }

    [Fact]
    public async Task Watch_ExactKey_IgnoresKeysSharingItsPrefix()
    {
        var start = await Store.GetCurrentRevisionAsync();
        await Store.CreateAsync(Key("ab"), Bytes("sibling"));
        var created = await Store.CreateAsync(Key("a"), Bytes("target"));

        var events = await TakeAsync(Store.WatchAsync(Key("a"), start), 1);

        Assert.Equal(Key("a"), events[0].Object.Key);
        Assert.Equal(created.ModRevision, events[0].Object.ModRevision);
    }

    [Fact]
    public async Task Watch_CompactedRevision_ThrowsCompacted()
    {
        var created = await Store.CreateAsync(Key("a"), Bytes("one"));
        var updated = await Store.GuaranteedUpdateAsync(Key("a"), (_, _) => ValueTask.FromResult(Bytes("two")));
        if (ServesCompactedWatchFromWindow)
        {
            // The cache's own etcd watch must be running before the compaction: one that etcd only sets up
            // after it is refused (compacted) and the cache relists from after these events. A watch served
            // from the cache waits until the cache has applied the revision it starts from.
            await TakeAsync(Store.WatchAsync(Prefix, created.ModRevision), 1);
        }

        await CompactAsync(updated.ModRevision);

        if (ServesCompactedWatchFromWindow)
        {
            var served = await TakeAsync(Store.WatchAsync(Prefix, created.ModRevision - 1), 2);
            Assert.Equal([created.ModRevision, updated.ModRevision], served.Select(e => e.Object.ModRevision));
            return;
        }

        var error = await Assert.ThrowsAsync<StorageException>(
            () => TakeAsync(Store.WatchAsync(Prefix, created.ModRevision - 1), 1));

        Assert.Equal(StorageErrorCode.Compacted, error.Code);
        Assert.True(error.CompactRevision >= updated.ModRevision, $"CompactRevision {error.CompactRevision}");
    }

    [Fact]
    public async Task Watch_Canceled_EndsEnumeration()
    {
        var start = await Store.GetCurrentRevisionAsync();
        await Store.CreateAsync(Key("a"), Bytes("one"));
        using var cancel = new CancellationTokenSource(WatchTimeout);
        await using var events = Store.WatchAsync(Prefix, start, cancel.Token).GetAsyncEnumerator(cancel.Token);
        Assert.True(await events.MoveNextAsync());

        var next = events.MoveNextAsync();
        await cancel.CancelAsync();

        Assert.False(await next);
    }

    [Fact]
    public async Task GetCurrentRevision_AfterWrite_IsTheWriteRevision()
    {
        var created = await Store.CreateAsync(Key("a"), Bytes("one"));

        Assert.Equal(created.ModRevision, await Store.GetCurrentRevisionAsync());
    }

    protected string Key(string name) => Prefix + name;

    protected static ReadOnlyMemory<byte> Bytes(string text) => Encoding.UTF8.GetBytes(text);

    protected static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

    protected static async Task<List<StorageWatchEvent>> TakeAsync(IAsyncEnumerable<StorageWatchEvent> source, int count)
    {
        using var timeout = new CancellationTokenSource(WatchTimeout);
        var events = new List<StorageWatchEvent>();
        await foreach (var e in source.WithCancellation(timeout.Token))
        {
            events.Add(e);
            if (events.Count == count)
            {
                return events;
            }
        }

        throw new TimeoutException($"watch ended after {events.Count} of {count} events");
    }
}
