using Storage.Etcd;
using TestSupport;

namespace Storage.Tests;

/// <summary>One real etcd per collection; its tests run one after another, so compaction is safe.</summary>
public abstract class EtcdFixture : IAsyncLifetime
{
    private EtcdProcess? _etcd;
    private EtcdClient? _client;

    public EtcdProcess Etcd => _etcd ?? throw new InvalidOperationException("etcd not started");

    internal EtcdClient Client => _client ?? throw new InvalidOperationException("etcd not started");

    protected abstract bool Tls { get; }

    /// <summary>Client options for this etcd (with certificates over TLS), <paramref name="endpoints"/> defaulting to it.</summary>
    internal EtcdClientOptions ClientOptions(IReadOnlyList<string>? endpoints = null, TimeSpan? requestTimeout = null) => new()
    {
        Endpoints = endpoints ?? [Etcd.Endpoint],
        CaFile = Etcd.CaFile,
        CertFile = Etcd.ClientCertFile,
        KeyFile = Etcd.ClientKeyFile,
        RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(10),
    };

    public async Task InitializeAsync()
    {
        _etcd = await EtcdProcess.StartAsync(new EtcdProcessOptions { Tls = Tls });
        _client = new EtcdClient(ClientOptions());
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
        }
    }
}

/// <summary>etcd with TLS and --client-cert-auth: the client talks mutual TLS.</summary>
public sealed class EtcdTlsFixture : EtcdFixture
{
    public const string Collection = "etcd over mutual TLS";

    protected override bool Tls => true;
}

/// <summary>etcd on plain http: the client talks h2c.</summary>
public sealed class EtcdH2cFixture : EtcdFixture
{
    public const string Collection = "etcd over h2c";

    protected override bool Tls => false;
}

[CollectionDefinition(EtcdTlsFixture.Collection)]
public sealed class EtcdTlsCollection : ICollectionFixture<EtcdTlsFixture>;

[CollectionDefinition(EtcdH2cFixture.Collection)]
public sealed class EtcdH2cCollection : ICollectionFixture<EtcdH2cFixture>;
