using Storage.Etcd3;

namespace Storage.Tests.Etcd3;

[Collection(EtcdTlsFixture.Collection)]
public sealed class Etcd3StoreOverMutualTlsTests(EtcdTlsFixture fixture) : StoreContractTests
{
    private readonly Etcd3Store _store = new(fixture.Client);

    protected override IStorage Store => _store;

    protected override Task CompactAsync(long revision) => fixture.Client.CompactAsync(revision);
}

[Collection(EtcdH2cFixture.Collection)]
public sealed class Etcd3StoreOverH2cTests(EtcdH2cFixture fixture) : StoreContractTests
{
    private readonly Etcd3Store _store = new(fixture.Client);

    protected override IStorage Store => _store;

    protected override Task CompactAsync(long revision) => fixture.Client.CompactAsync(revision);
}

/// <summary>
/// The contract again with lists without a limit read in ranges of 3 keys (10,000 in the server): the
/// pages are read at the first one's revision and make one list, as one range would.
/// </summary>
[Collection(EtcdH2cFixture.Collection)]
public sealed class Etcd3StoreInSmallPagesTests(EtcdH2cFixture fixture) : StoreContractTests
{
    private readonly Etcd3Store _store = new(fixture.Client) { UnlimitedListPageSize = 3 };

    protected override IStorage Store => _store;

    protected override Task CompactAsync(long revision) => fixture.Client.CompactAsync(revision);

    [Fact]
    public async Task GetList_NoLimit_ReadsEveryPageAtTheFirstOnesRevision()
    {
        for (var i = 0; i < 10; i++)
        {
            await Store.CreateAsync($"{Prefix}k{i:D2}", new byte[] { (byte)i });
        }

        var before = await Store.GetListAsync(Prefix, new ListOptions());
        await Store.DeleteAsync($"{Prefix}k04");
        await Store.CreateAsync($"{Prefix}k10", new byte[] { 10 });

        var now = await Store.GetListAsync(Prefix, new ListOptions());
        var then = await Store.GetListAsync(Prefix, new ListOptions(Revision: before.Revision));

        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"{Prefix}k{i:D2}"), before.Items.Select(o => o.Key));
        Assert.False(before.More);
        Assert.Equal(0, before.RemainingItemCount);
        Assert.Equal(Enumerable.Range(0, 11).Where(i => i != 4).Select(i => $"{Prefix}k{i:D2}"), now.Items.Select(o => o.Key));
        Assert.True(now.Revision > before.Revision);
        Assert.Equal(before.Items.Select(o => o.Key), then.Items.Select(o => o.Key));
        Assert.Equal(before.Revision, then.Revision);
    }
}
