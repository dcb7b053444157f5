using Google.Protobuf;
using Storage.Compaction;
using Storage.Etcd;
using Storage.Etcd.Protos;
using TestSupport;

namespace Storage.Tests.Compaction;

/// <summary>Compaction coordinated through compact_rev_key, against an etcd of its own (compaction is etcd-wide).</summary>
public sealed class CompactorTests : IAsyncLifetime
{
    private EtcdProcess _etcd = null!;
    private EtcdClient _client = null!;

    public async Task InitializeAsync()
    {
        _etcd = await EtcdProcess.StartAsync(new EtcdProcessOptions { Tls = false });
        _client = new EtcdClient(new EtcdClientOptions { Endpoints = [_etcd.Endpoint] });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _etcd.DisposeAsync();
    }

    [Fact]
    public async Task TwoServersSharingEtcd_CompactOncePerRound_OneIntervalBehind()
    {
        var first = new Compactor(_client);
        var second = new Compactor(_client);

        // Round 1 records where round 2 will compact to; only one server wins it.
        var beforeRound1 = await PutAsync("/registry/a", "1");
        Assert.Equal(0, await first.CompactOnceAsync(default));
        Assert.Equal(0, await second.CompactOnceAsync(default));
        var recorded = await RevisionAsync();

        // Writes between rounds stay readable until the round after next.
        await PutAsync("/registry/a", "2");

        // Round 2: one of the two compacts, to the revision of round 1; the other loses the Txn.
        var compacted = new[] { await first.CompactOnceAsync(default), await second.CompactOnceAsync(default) };
        Assert.Single(compacted, c => c != 0);
        var revision = compacted.Single(c => c != 0);
        Assert.InRange(revision, beforeRound1, recorded);

        var key = await _client.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(Compactor.CompactRevisionKey) });
        Assert.Equal(2, key.Kvs[0].Version);

        // Reading below the compacted revision is now refused by etcd.
        var error = await Assert.ThrowsAsync<EtcdException>(() => _client.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("/registry/a"), Revision = revision - 1 }));
        Assert.Equal(EtcdErrorKind.Compacted, error.Kind);
    }

    private async Task<long> PutAsync(string key, string value) =>
        (await _client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) })).Header.Revision;

    private async Task<long> RevisionAsync() =>
        (await _client.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("/"), CountOnly = true })).Header.Revision;
}
