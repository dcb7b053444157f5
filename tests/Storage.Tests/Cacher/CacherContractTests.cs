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

    protected override Task CompactAsync(long revision) => fixture.Client.CompactAsync(revision);

    public async Task InitializeAsync()
    {
        _cacher = _reflector.Register(Prefix);
        _reflector.Start();
        await _reflector.WaitUntilReadyAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _reflector.DisposeAsync();
}
