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
