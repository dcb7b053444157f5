using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Storage.Etcd;
using Storage.Etcd.Protos;
using TestSupport;

namespace Storage.Tests.Etcd;

/// <summary>The client over mutual TLS, as kube-apiserver talks to etcd with --etcd-cafile/certfile/keyfile.</summary>
[Collection(EtcdTlsFixture.Collection)]
public sealed class EtcdClientTlsTests(EtcdTlsFixture fixture)
{
    private readonly string _prefix = $"/client-tls-{Guid.NewGuid():N}/";

    [Fact]
    public async Task Failover_FirstEndpointRefusesConnections_ReadsWritesAndWatchUseTheNext()
    {
        var closed = $"https://127.0.0.1:{FreePort.Next()}";
        using var client = new EtcdClient(fixture.ClientOptions([closed, fixture.Etcd.Endpoint]));
        var key = ByteString.CopyFromUtf8(_prefix + "failover");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));

        var txn = await client.TxnAsync(new TxnRequest
        {
            Compare = { new Compare { Key = key, Target = Compare.Types.CompareTarget.Create, CreateRevision = 0 } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("v") } } },
        });
        var range = await client.RangeAsync(new RangeRequest { Key = key });
        WatchResponse? withEvents = null;
        await foreach (var response in client.WatchAsync(new WatchCreateRequest { Key = key, StartRevision = txn.Header.Revision }, timeout.Token))
        {
            if (response.Events.Count > 0)
            {
                withEvents = response;
                break;
            }
        }

        Assert.True(txn.Succeeded);
        Assert.Equal(1, Assert.Single(range.Kvs).Version);
        Assert.Equal(txn.Header.Revision, Assert.Single(withEvents!.Events).Kv.ModRevision);
    }

    [Fact]
    public async Task Failover_FirstEndpointFailsTheTlsHandshake_WriteMovesOnAndIsAppliedOnce()
    {
        // Accepts TCP and hangs up at once: the handshake fails before any request could be sent.
        using var hangUp = new TcpListener(IPAddress.Loopback, 0);
        hangUp.Start();
        using var stop = new CancellationTokenSource();
        var acceptor = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var socket = await hangUp.AcceptSocketAsync(stop.Token);
                    socket.Close();
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
        var broken = $"https://127.0.0.1:{((IPEndPoint)hangUp.LocalEndpoint).Port}";
        using var client = new EtcdClient(fixture.ClientOptions([broken, fixture.Etcd.Endpoint]));
        var key = ByteString.CopyFromUtf8(_prefix + "handshake");

        var put = await client.PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("v") });
        var range = await fixture.Client.RangeAsync(new RangeRequest { Key = key });
        await stop.CancelAsync();
        await acceptor;

        Assert.Equal(put.Header.Revision, Assert.Single(range.Kvs).ModRevision);
        Assert.Equal(1, range.Kvs[0].Version);
    }

    [Fact]
    public async Task Call_RequestOverTheLimit_ThrowsRequestTooLargeWithoutSending()
    {
        var options = fixture.ClientOptions();
        using var client = new EtcdClient(new EtcdClientOptions
        {
            Endpoints = options.Endpoints,
            CaFile = options.CaFile,
            CertFile = options.CertFile,
            KeyFile = options.KeyFile,
            MaxRequestBytes = 1024,
        });
        var key = ByteString.CopyFromUtf8(_prefix + "large");

        var error = await Assert.ThrowsAsync<EtcdException>(
            () => client.PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFrom(new byte[2048]) }));

        Assert.Equal(EtcdErrorKind.RequestTooLarge, error.Kind);
        Assert.True(error.RequestNotSent);
        Assert.Empty((await fixture.Client.RangeAsync(new RangeRequest { Key = key })).Kvs);
    }
}
