using System.Text;
using Storage.Codec;
using Storage.Etcd3;

namespace Storage.Tests.Codec;

/// <summary>
/// An encoding for tests: values are written as "enc:" + the value; "enc:" and "old:" values are read
/// (as JSON and protobuf both are); anything else is corrupt.
/// </summary>
internal sealed class PrefixEncoding : IStorageEncoding
{
    private static ReadOnlySpan<byte> Marker => "enc:"u8;

    private static ReadOnlySpan<byte> OldMarker => "old:"u8;

    public ReadOnlyMemory<byte> Encode(string key, ReadOnlyMemory<byte> json) => (byte[])[.. Marker, .. json.Span];

    public bool TryDecode(string key, ReadOnlyMemory<byte> stored, out ReadOnlyMemory<byte> json, out string? error)
    {
        if (stored.Span.StartsWith(Marker) || stored.Span.StartsWith(OldMarker))
        {
            json = stored[Marker.Length..];
            error = null;
            return true;
        }

        json = default;
        error = "no marker";
        return false;
    }
}

/// <summary>The encoding store keeps the storage contract: callers never see the stored form.</summary>
[Collection(EtcdH2cFixture.Collection)]
public sealed class EncodingStoreContractTests(EtcdH2cFixture fixture) : StoreContractTests
{
    private readonly EncodingStore _store = new(new Etcd3Store(fixture.Client), new PrefixEncoding());

    protected override IStorage Store => _store;

    protected override Task CompactAsync(long revision) => fixture.Client.CompactAsync(revision);
}

/// <summary>Values that do not decode (corrupt objects) are left out of lists and watches, and fail their own reads.</summary>
[Collection(EtcdH2cFixture.Collection)]
public sealed class EncodingStoreTests(EtcdH2cFixture fixture)
{
    private readonly string _prefix = $"/registry/encoding-{Guid.NewGuid():N}/";
    private readonly Etcd3Store _etcd = new(fixture.Client);
    private readonly List<string> _corrupt = [];

    private EncodingStore NewStore()
    {
        var store = new EncodingStore(_etcd, new PrefixEncoding());
        store.CorruptObject += (key, _) => { lock (_corrupt) { _corrupt.Add(key); } };
        return store;
    }

    [Fact]
    public async Task WritesAreEncoded_ReadsAndListsDecoded_CorruptValuesLeftOutOfPagesAndFailTheirGet()
    {
        var store = NewStore();
        await store.CreateAsync(_prefix + "a", Bytes("one"));
        // b..e are corrupt, written behind the store's back; f is fine.
        foreach (var name in new[] { "b", "c", "d", "e" })
        {
            await _etcd.CreateAsync(_prefix + name, Bytes("garbage"));
        }

        await store.CreateAsync(_prefix + "f", Bytes("six"));
        Assert.Equal("enc:one", Text((await _etcd.GetAsync(_prefix + "a"))!.Value));
        Assert.Equal("one", Text((await store.GetAsync(_prefix + "a"))!.Value));

        var all = await store.GetListAsync(_prefix, new ListOptions());
        Assert.Equal(["one", "six"], all.Items.Select(i => Text(i.Value)));

        // Pages of two: the second page read is all corrupt, so the store reads on to "f".
        var first = await store.GetListAsync(_prefix, new ListOptions(Limit: 2));
        Assert.Equal([_prefix + "a"], first.Items.Select(i => i.Key));
        Assert.True(first.More);
        var next = await store.GetListAsync(_prefix, new ListOptions(first.Revision, 2, _prefix + "b"));
        Assert.Equal([_prefix + "f"], next.Items.Select(i => i.Key));

        var error = await Assert.ThrowsAsync<StorageException>(() => store.GetAsync(_prefix + "c"));
        Assert.Equal(StorageErrorCode.CorruptObject, error.Code);
        Assert.Contains(_prefix + "c", _corrupt);
    }

    [Fact]
    public async Task Updates_DecodeAndEncode_AndAnUnchangedObjectIsNotWritten()
    {
        var store = NewStore();
        var created = await store.CreateAsync(_prefix + "a", Bytes("one"));
        var same = await store.GuaranteedUpdateAsync(_prefix + "a", (current, _) => ValueTask.FromResult(current!.Value));
        Assert.Equal(created.ModRevision, same.ModRevision);
        Assert.Equal("one", Text(same.Value));

        var updated = await store.GuaranteedUpdateAsync(_prefix + "a", (current, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(Bytes(Text(current!.Value) + "+")));
        Assert.Equal("one+", Text(updated.Value));
        Assert.Equal("enc:one+", Text((await _etcd.GetAsync(_prefix + "a"))!.Value));
        var deleted = await store.DeleteAsync(_prefix + "a");
        Assert.Equal("one+", Text(deleted.Value));
    }

    [Fact]
    public async Task AnUnchangedUpdate_OfAValueInTheOtherEncoding_RewritesItInThisOne()
    {
        // kube's GuaranteedUpdate compares the encoded bytes with etcd's: a no-op update moves an
        // object to the configured encoding (what storage migration relies on), once.
        var store = NewStore();
        var old = await _etcd.CreateAsync(_prefix + "a", Bytes("old:one"));
        var rewritten = await store.GuaranteedUpdateAsync(_prefix + "a", (current, _) => ValueTask.FromResult(current!.Value));
        Assert.True(rewritten.ModRevision > old.ModRevision);
        Assert.Equal("one", Text(rewritten.Value));
        Assert.Equal("enc:one", Text((await _etcd.GetAsync(_prefix + "a"))!.Value));

        var again = await store.GuaranteedUpdateAsync(_prefix + "a", (current, _) => ValueTask.FromResult(current!.Value));
        Assert.Equal(rewritten.ModRevision, again.ModRevision);

        // On the watch cache's (decoded) copy, an unchanged object is checked again on etcd's.
        var cached = rewritten with { Value = Bytes("one") };
        var fromCache = await store.GuaranteedUpdateAsync(_prefix + "a", (current, _) => ValueTask.FromResult(current!.Value), cachedExisting: cached);
        Assert.Equal(rewritten.ModRevision, fromCache.ModRevision);
        Assert.Equal("one", Text(fromCache.Value));
    }

    [Fact]
    public async Task Watch_LeavesOutCorruptValues_AndAnObjectThatTurnsCorruptIsDeleted()
    {
        var store = NewStore();
        var start = await store.GetCurrentRevisionAsync();
        await store.CreateAsync(_prefix + "a", Bytes("one"));
        await _etcd.CreateAsync(_prefix + "bad", Bytes("garbage"));
        var broken = await _etcd.GuaranteedUpdateAsync(_prefix + "a", (_, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(Bytes("garbage")));
        await _etcd.DeleteAsync(_prefix + "bad");
        await store.CreateAsync(_prefix + "z", Bytes("last"));

        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var events = new List<StorageWatchEvent>();
        await foreach (var change in store.WatchAsync(_prefix, start, cancel.Token))
        {
            events.Add(change);
            if (change.Object.Key == _prefix + "z")
            {
                break;
            }
        }

        Assert.Equal(
            [$"Added {_prefix}a one", $"Deleted {_prefix}a one", $"Added {_prefix}z last"],
            events.Select(e => $"{e.Type} {e.Object.Key} {Text(e.Object.Value)}"));
        Assert.Equal(broken.ModRevision, events[1].Object.ModRevision);
    }

    private static ReadOnlyMemory<byte> Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);
}
