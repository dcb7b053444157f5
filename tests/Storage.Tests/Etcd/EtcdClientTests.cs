using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Storage.Etcd;
using Storage.Etcd.Protos;
using GrpcStatusCode = Grpc.Core.StatusCode;
using Storage.Etcd3;
using TestSupport;

namespace Storage.Tests.Etcd;

[Collection(EtcdH2cFixture.Collection)]
public sealed class EtcdClientTests(EtcdH2cFixture fixture)
{
    private readonly string _prefix = $"/client-{Guid.NewGuid():N}/";

    [Fact]
    public async Task Put_ThenRange_ReturnsValueAndRevisions()
    {
        var key = ByteString.CopyFromUtf8(_prefix + "a");

        var put = await fixture.Client.PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("one") });
        var range = await fixture.Client.RangeAsync(new RangeRequest { Key = key });

        var kv = Assert.Single(range.Kvs);
        Assert.Equal("one", kv.Value.ToStringUtf8());
        Assert.Equal(put.Header.Revision, kv.ModRevision);
        Assert.Equal(put.Header.Revision, kv.CreateRevision);
        Assert.Equal(1, kv.Version);
    }

    [Fact]
    public async Task Txn_CompareFails_RunsFailureBranch()
    {
        var key = ByteString.CopyFromUtf8(_prefix + "a");
        var put = await fixture.Client.PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("one") });

        var txn = await fixture.Client.TxnAsync(new TxnRequest
        {
            Compare = { new Compare { Key = key, Target = Compare.Types.CompareTarget.Mod, ModRevision = put.Header.Revision - 1 } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("two") } } },
            Failure = { new RequestOp { RequestRange = new RangeRequest { Key = key } } },
        });

        Assert.False(txn.Succeeded);
        Assert.Equal("one", Assert.Single(txn.Responses[0].ResponseRange.Kvs).Value.ToStringUtf8());
    }

    [Fact]
    public async Task DeleteRange_Prefix_DeletesEveryKeyUnderIt()
    {
        var prefix = ByteString.CopyFromUtf8(_prefix);
        await fixture.Client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(_prefix + "a"), Value = ByteString.Empty });
        await fixture.Client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(_prefix + "b"), Value = ByteString.Empty });

        var deleted = await fixture.Client.DeleteRangeAsync(new DeleteRangeRequest { Key = prefix, RangeEnd = EtcdKeys.PrefixEnd(prefix.Span) });

        Assert.Equal(2, deleted.Deleted);
        Assert.Equal(0, (await fixture.Client.RangeAsync(new RangeRequest { Key = prefix, RangeEnd = EtcdKeys.PrefixEnd(prefix.Span), CountOnly = true })).Count);
    }

    [Fact]
    public async Task Lease_GrantAttachAndRevoke_DeletesAttachedKey()
    {
        var key = ByteString.CopyFromUtf8(_prefix + "leased");
        var lease = await fixture.Client.LeaseGrantAsync(60);
        await fixture.Client.PutAsync(new PutRequest { Key = key, Value = ByteString.Empty, Lease = lease.ID });

        await fixture.Client.LeaseRevokeAsync(lease.ID);

        Assert.True(lease.ID != 0);
        Assert.Equal(60, lease.TTL);
        Assert.Empty((await fixture.Client.RangeAsync(new RangeRequest { Key = key })).Kvs);
    }

    [Fact]
    public async Task Status_ReportsEtcdVersion()
    {
        var status = await fixture.Client.StatusAsync();

        Assert.StartsWith("3.4.", status.Version);
        Assert.True(status.Leader != 0);
        Assert.True(status.DbSize > 0);
    }

    [Fact]
    public async Task Range_EmptyKey_ThrowsInvalidArgument()
    {
        var error = await Assert.ThrowsAsync<EtcdException>(() => fixture.Client.RangeAsync(new RangeRequest()));

        Assert.Equal(EtcdErrorKind.InvalidArgument, error.Kind);
        Assert.Equal(GrpcStatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task Range_FutureRevision_ThrowsFutureRevision()
    {
        var current = (await fixture.Client.StatusAsync()).Header.Revision;

        var error = await Assert.ThrowsAsync<EtcdException>(
            () => fixture.Client.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(_prefix), Revision = current + 1000 }));

        Assert.Equal(EtcdErrorKind.FutureRevision, error.Kind);
        Assert.Equal(GrpcStatusCode.OutOfRange, error.StatusCode);
    }

    [Fact]
    public async Task Failover_FirstEndpointRefusesConnections_ReadsAndWritesUseTheNext()
    {
        var closed = $"http://127.0.0.1:{FreePort.Next()}";
        using var client = new EtcdClient(fixture.ClientOptions([closed, fixture.Etcd.Endpoint]));
        var key = ByteString.CopyFromUtf8(_prefix + "failover");

        // A refused connection proves the request was never sent, so even a write may move on.
        var txn = await client.TxnAsync(new TxnRequest
        {
            Success = { new RequestOp { RequestPut = new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("v") } } },
        });
        var range = await client.RangeAsync(new RangeRequest { Key = key });
        var health = await client.CheckHealthAsync(TimeSpan.FromSeconds(2));

        Assert.True(txn.Succeeded);
        Assert.Equal("v", Assert.Single(range.Kvs).Value.ToStringUtf8());
        Assert.True(health.Healthy, health.Error);
        Assert.Equal(fixture.Etcd.Endpoint, health.Endpoint);
    }

    [Fact]
    public async Task Failover_FirstEndpointRefusesConnections_WatchUsesTheNext()
    {
        var closed = $"http://127.0.0.1:{FreePort.Next()}";
        using var client = new EtcdClient(fixture.ClientOptions([closed, fixture.Etcd.Endpoint]));
        var key = ByteString.CopyFromUtf8(_prefix + "watched");
        var put = await fixture.Client.PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("v") });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));

        WatchResponse? withEvents = null;
        await foreach (var response in client.WatchAsync(new WatchCreateRequest { Key = key, StartRevision = put.Header.Revision }, timeout.Token))
        {
            if (response.Events.Count > 0)
            {
                withEvents = response;
                break;
            }
        }

        Assert.Equal(put.Header.Revision, Assert.Single(withEvents!.Events).Kv.ModRevision);
    }

    [Fact]
    public async Task Call_NoEndpointReachable_ThrowsUnavailableAfterTheDeadline()
    {
        var endpoints = new[] { $"http://127.0.0.1:{FreePort.Next()}", $"http://127.0.0.1:{FreePort.Next()}" };
        using var client = new EtcdClient(new EtcdClientOptions { Endpoints = endpoints, RequestTimeout = TimeSpan.FromMilliseconds(500) });

        var error = await Assert.ThrowsAsync<EtcdException>(() => client.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("/x") }));
        var health = await client.CheckHealthAsync(TimeSpan.FromMilliseconds(500));

        Assert.Equal(EtcdErrorKind.Unavailable, error.Kind);
        Assert.False(health.Healthy);
        Assert.NotNull(health.Error);
    }

    [Fact]
    public async Task Call_EndpointNeverAnswers_ThrowsDeadlineExceeded()
    {
        // Accepts TCP connections (the kernel completes them from the backlog) but never speaks HTTP/2.
        using var blackhole = new TcpListener(IPAddress.Loopback, 0);
        blackhole.Start();
        var endpoint = $"http://127.0.0.1:{((IPEndPoint)blackhole.LocalEndpoint).Port}";
        using var client = new EtcdClient(new EtcdClientOptions { Endpoints = [endpoint], RequestTimeout = TimeSpan.FromMilliseconds(500) });

        var error = await Assert.ThrowsAsync<EtcdException>(() => client.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("/x") }));
        var storeError = await Assert.ThrowsAsync<StorageException>(() => new Etcd3Store(client).GetAsync("/x"));

        Assert.Equal(EtcdErrorKind.DeadlineExceeded, error.Kind);
        Assert.Equal(StorageErrorCode.Unavailable, storeError.Code);
    }

    /// <summary>
    /// A list given its own timeout (the watch cache's fill: etcd 3.4 takes long for a page of a big
    /// resource) waits for an answer past the client's request timeout, where a plain read fails.
    /// </summary>
    [Fact]
    public async Task GetList_WithItsOwnTimeout_WaitsPastTheRequestTimeout()
    {
        await using var etcd = await EtcdProcess.StartAsync();
        using var client = new EtcdClient(new EtcdClientOptions { Endpoints = [etcd.Endpoint], RequestTimeout = TimeSpan.FromMilliseconds(800) });
        var store = new Etcd3Store(client);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("/slow/a"), Value = ByteString.CopyFromUtf8("{}") });
                break;
            }
            catch (EtcdException e) when (e.Kind == EtcdErrorKind.DeadlineExceeded && attempt < 10)
            {
            }
        }

        etcd.Pause();
        Task<ListResult> patient;
        try
        {
            patient = store.GetListAsync("/slow/", new ListOptions(Limit: 10, Timeout: TimeSpan.FromMinutes(2)));
            var plain = await Assert.ThrowsAsync<StorageException>(() => store.GetListAsync("/slow/", new ListOptions(Limit: 10)));
            Assert.Equal(StorageErrorCode.Unavailable, plain.Code);
            Assert.False(patient.IsCompleted);
        }
        finally
        {
            etcd.Resume();
        }

        Assert.Equal("/slow/a", Assert.Single((await patient).Items).Key);
    }

    [Fact]
    public async Task Call_EtcdStopsAnswering_ReadAndWriteThrowDeadlineExceededAtTheDeadline()
    {
        // A hung member: the connection holds, the requests are sent, no answer comes.
        await using var etcd = await EtcdProcess.StartAsync();
        var timeout = TimeSpan.FromMilliseconds(800);
        using var client = new EtcdClient(new EtcdClientOptions { Endpoints = [etcd.Endpoint], RequestTimeout = timeout });
        var key = ByteString.CopyFromUtf8("/paused");
        // The connection is up before the pause (a first call may take longer than 800 ms on a busy machine).
        await RangeOnceEtcdAnswersAsync(client, key);

        etcd.Pause();
        try
        {
            var read = await Assert.ThrowsAsync<EtcdException>(() => client.RangeAsync(new RangeRequest { Key = key }));
            var write = await Assert.ThrowsAsync<EtcdException>(() => client.PutAsync(new PutRequest { Key = key, Value = ByteString.Empty }));
            var storeError = await Assert.ThrowsAsync<StorageException>(() => new Etcd3Store(client).GetAsync("/paused"));

            Assert.Equal(EtcdErrorKind.DeadlineExceeded, read.Kind);
            Assert.Equal(GrpcStatusCode.DeadlineExceeded, read.StatusCode);
            Assert.Equal(EtcdErrorKind.DeadlineExceeded, write.Kind);
            Assert.Equal(StorageErrorCode.Unavailable, storeError.Code);
        }
        finally
        {
            etcd.Resume();
        }

        // The client serves again once etcd runs (the unanswered Put may or may not be applied then,
        // which is why a write that met its deadline is never resent). A continued etcd on a loaded
        // machine may take longer than one 800 ms deadline to answer again, so calls are repeated.
        Assert.True((await RangeOnceEtcdAnswersAsync(client, key)).Header.Revision > 0);
    }

    /// <summary>
    /// Ranges <paramref name="key"/> until a call meets its deadline: each call keeps the client's short
    /// timeout, and only the number of tries is bounded (generously, for a loaded 2-core machine).
    /// </summary>
    private static async Task<RangeResponse> RangeOnceEtcdAnswersAsync(EtcdClient client, ByteString key)
    {
        var giveUp = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (true)
        {
            try
            {
                return await client.RangeAsync(new RangeRequest { Key = key });
            }
            catch (EtcdException e) when (e.Kind is EtcdErrorKind.DeadlineExceeded or EtcdErrorKind.Unavailable && DateTime.UtcNow < giveUp)
            {
                await Task.Delay(100);
            }
        }
    }

    [Fact]
    public async Task Call_CallerCancels_ThrowsOperationCanceled()
    {
        using var blackhole = new TcpListener(IPAddress.Loopback, 0);
        blackhole.Start();
        var endpoint = $"http://127.0.0.1:{((IPEndPoint)blackhole.LocalEndpoint).Port}";
        using var client = new EtcdClient(new EtcdClientOptions { Endpoints = [endpoint] });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => client.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("/x") }, cancel.Token));
    }

    [Fact]
    public async Task Watch_EtcdRestarts_ResumesWithoutLosingOrRepeatingEvents()
    {
        await using var etcd = await EtcdProcess.StartAsync();
        using var client = new EtcdClient(new EtcdClientOptions { Endpoints = [etcd.Endpoint], RequestTimeout = TimeSpan.FromSeconds(30) });
        var store = new Etcd3Store(client);
        var start = await store.GetCurrentRevisionAsync();
        var first = await store.CreateAsync("/restart/a", "1"u8.ToArray());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var events = store.WatchAsync("/restart/", start, timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await events.MoveNextAsync());
        Assert.Equal(first.ModRevision, events.Current.Object.ModRevision);

        await etcd.RestartAsync();
        var second = await store.CreateAsync("/restart/b", "2"u8.ToArray());

        Assert.True(await events.MoveNextAsync());
        Assert.Equal("/restart/b", events.Current.Object.Key);
        Assert.Equal(second.ModRevision, events.Current.Object.ModRevision);
    }

    [Fact]
    public async Task Call_EtcdRestarted_SucceedsOnTheNewConnection()
    {
        await using var etcd = await EtcdProcess.StartAsync(new EtcdProcessOptions { Tls = true });
        using var client = new EtcdClient(new EtcdClientOptions
        {
            Endpoints = [etcd.Endpoint],
            CaFile = etcd.CaFile,
            CertFile = etcd.ClientCertFile,
            KeyFile = etcd.ClientKeyFile,
        });
        var store = new Etcd3Store(client);
        var before = await store.CreateAsync("/restart/a", "1"u8.ToArray());

        await etcd.RestartAsync();
        var read = await store.GetAsync("/restart/a");

        Assert.Equal(before.ModRevision, read!.ModRevision);
    }

    [Fact]
    public async Task Call_ServerCertificateFromAnotherCa_ThrowsUnavailable()
    {
        using var otherCa = TestPki.Create(Path.Combine(Path.GetTempPath(), $"other-ca-{Guid.NewGuid():N}"));
        try
        {
            await using var etcd = await EtcdProcess.StartAsync(new EtcdProcessOptions { Tls = true });
            using var client = new EtcdClient(new EtcdClientOptions
            {
                Endpoints = [etcd.Endpoint],
                CaFile = otherCa.CaCertificatePath,
                CertFile = etcd.ClientCertFile,
                KeyFile = etcd.ClientKeyFile,
                RequestTimeout = TimeSpan.FromSeconds(1),
            });

            var error = await Assert.ThrowsAsync<EtcdException>(() => client.StatusAsync());

            Assert.Equal(EtcdErrorKind.Unavailable, error.Kind);
        }
        finally
        {
            Directory.Delete(otherCa.Directory, recursive: true);
        }
    }
}
