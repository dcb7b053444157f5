using Storage.Cacher;
using Storage.Etcd3;

namespace Storage.Tests.Cacher;

/// <summary>The storage contract, run against the watch cache in front of a real etcd.</summary>
[Collection(EtcdTlsFixture.Collection)]
public sealed class CacherOverMutualTlsTests(EtcdTlsFixture fixture) : StoreContractTests, IAsyncLifetime
{
    private readonly CacheReflector _reflector = new(new Etcd3Store(fixture.Client));
    private Storage.Cacher.Cacher? _cacher;

    protected override IStorage Store => _cacher ?? throw new InvalidOperationException("not initialized");

    protected override bool ServesCompactedWatchFromWindow => true;

    /// <summary>
    /// As kube's compactor compacts: the revision recorded in compact_rev_key first, which the cache
    /// watches (a compaction it never hears of leaves lists at older revisions to its window, as in kube).
    /// </summary>
    protected override async Task CompactAsync(long revision)
    {
        await fixture.Client.TxnAsync(new Storage.Etcd.Protos.TxnRequest
        {
            Success =
            {
                new Storage.Etcd.Protos.RequestOp
                {
                    RequestPut = new Storage.Etcd.Protos.PutRequest
                    {
                        Key = Google.Protobuf.ByteString.CopyFromUtf8(Storage.Compaction.Compactor.CompactRevisionKey),
                        Value = Google.Protobuf.ByteString.CopyFromUtf8(revision.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    },
                },
            },
        });
        await fixture.Client.CompactAsync(revision);
        // A consistent list returns once the cache has seen the record.
        await Store.GetListAsync(Prefix, new ListOptions());
    }

    public async Task InitializeAsync()
    {
        _cacher = _reflector.Register(Prefix);
        _reflector.Start();
        await _reflector.WaitUntilReadyAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _reflector.DisposeAsync();
}
