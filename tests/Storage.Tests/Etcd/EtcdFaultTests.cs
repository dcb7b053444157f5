using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Storage.Etcd;
using Storage.Etcd3;
using TestSupport;

namespace Storage.Tests.Etcd;

/// <summary>
/// etcd failing under load, with the storage layer on top: a member killed and restarted, a
/// 3-member cluster losing its leader. Whatever fails in between, no acknowledged write may be
/// lost, and a watch started before the fault sees every acknowledged write once, in order.
/// Each test runs its own etcd, since it kills it.
/// </summary>
public sealed class EtcdFaultTests
{
    private const string Prefix = "/fault/";

    [Fact]
    public async Task EtcdKilledAndRestartedUnderLoad_NoAcknowledgedWriteLost_WatchSeesEachOnceInOrder()
    {
        await using var etcd = await EtcdProcess.StartAsync(new EtcdProcessOptions { Tls = true });
        using var client = new EtcdClient(new EtcdClientOptions
        {
            Endpoints = [etcd.Endpoint],
            CaFile = etcd.CaFile,
            CertFile = etcd.ClientCertFile,
            KeyFile = etcd.ClientKeyFile,
            RequestTimeout = TimeSpan.FromSeconds(5),
        });
        var store = new Etcd3Store(client);

        await RunFaultUnderLoadAsync(store, async () =>
        {
            etcd.Kill();
            await Task.Delay(500);
            await etcd.RestartAsync();
        });
    }

    [Fact]
    public async Task ThreeMembers_LeaderKilledUnderLoad_WritesGoOnElsewhere_NoAcknowledgedWriteLost()
    {
        await using var cluster = await EtcdCluster.StartAsync(3, new EtcdProcessOptions { Tls = true });
        var leader = await FindLeaderAsync(cluster);
        // The leader first, so the client is talking to it when it dies.
        var endpoints = cluster.Members.OrderBy(m => m == leader ? 0 : 1).Select(m => m.Endpoint).ToArray();
        using var client = new EtcdClient(new EtcdClientOptions
        {
            Endpoints = endpoints,
            CaFile = leader.CaFile,
            CertFile = leader.ClientCertFile,
            KeyFile = leader.ClientKeyFile,
            RequestTimeout = TimeSpan.FromSeconds(5),
        });
        var store = new Etcd3Store(client);

        await RunFaultUnderLoadAsync(store, () =>
        {
            leader.Kill();
            return Task.CompletedTask;
        });

        var newLeader = await FindLeaderAsync(cluster);
        Assert.NotSame(leader, newLeader);
    }

    /// <summary>
    /// Writers create keys back to back while <paramref name="fault"/> happens; a watch from before
    /// the first write follows. Failed creates must be Unavailable (a write that may or may not
    /// have been applied), never anything else; writes must succeed again after the fault.
    /// </summary>
    private static async Task RunFaultUnderLoadAsync(Etcd3Store store, Func<Task> fault)
    {
        var start = await store.GetCurrentRevisionAsync();
        using var stop = new CancellationTokenSource();
        using var watchTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var acknowledged = new ConcurrentDictionary<string, long>();
        var acknowledgedAfterFault = 0;
        var faultDone = false;
        var failures = new ConcurrentBag<StorageException>();

        var events = new List<StorageWatchEvent>();
        var lastAcknowledged = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var watch = Task.Run(async () =>
        {
            long wanted = long.MaxValue;
            var wantedKnown = lastAcknowledged.Task;
            await foreach (var e in store.WatchAsync(Prefix, start, watchTimeout.Token))
            {
                events.Add(e);
                if (wantedKnown.IsCompleted)
                {
                    wanted = wantedKnown.Result;
                }

                if (e.Object.ModRevision >= wanted)
                {
                    return;
                }
            }
        });

        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var key = $"{Prefix}w{w}-{i:D5}";
                try
                {
                    var created = await store.CreateAsync(key, Encoding.UTF8.GetBytes(key));
                    acknowledged[key] = created.ModRevision;
                    if (Volatile.Read(ref faultDone))
                    {
                        Interlocked.Increment(ref acknowledgedAfterFault);
                    }
                }
                catch (StorageException e) when (e.Code == StorageErrorCode.Unavailable)
                {
                    failures.Add(e);
                    await Task.Delay(20);
                }
            }
        })).ToArray();

        await WaitUntilAsync(() => acknowledged.Count >= 50, "writes before the fault");
        await fault();
        Volatile.Write(ref faultDone, true);
        await WaitUntilAsync(() => Volatile.Read(ref acknowledgedAfterFault) >= 50, "writes after the fault");
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        var last = acknowledged.Values.Max();
        lastAcknowledged.SetResult(last);
        // A write after the last one wakes the watch if it already passed the last acknowledged event.
        await store.CreateAsync($"{Prefix}zz-end", "end"u8.ToArray());
        await watch;

        // Every acknowledged write is in etcd with the revision it was acknowledged at.
        var list = await store.GetListAsync(Prefix, new ListOptions());
        var stored = list.Items.ToDictionary(o => o.Key, o => o.ModRevision);
        foreach (var (key, revision) in acknowledged)
        {
            Assert.True(stored.TryGetValue(key, out var storedRevision), $"acknowledged {key} is missing");
            Assert.Equal(revision, storedRevision);
        }

        // The watch saw each write once, in revision order, and every acknowledged one among them.
        var revisions = events.Select(e => e.Object.ModRevision).ToArray();
        Assert.Equal(revisions.Order().Distinct(), revisions);
        var seen = events.Select(e => e.Object.Key).ToHashSet();
        Assert.All(acknowledged.Keys, key => Assert.Contains(key, seen));
    }

    private static async Task<EtcdProcess> FindLeaderAsync(EtcdCluster cluster)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            foreach (var member in cluster.Members.Where(m => m.IsRunning))
            {
                using var client = new EtcdClient(new EtcdClientOptions
                {
                    Endpoints = [member.Endpoint],
                    CaFile = member.CaFile,
                    CertFile = member.ClientCertFile,
                    KeyFile = member.ClientKeyFile,
                    RequestTimeout = TimeSpan.FromSeconds(2),
                });
                try
                {
                    var status = await client.StatusAsync();
                    if (status.Leader != 0 && status.Leader == status.Header.MemberId)
                    {
                        return member;
                    }
                }
                catch (EtcdException) when (clock.Elapsed < TimeSpan.FromSeconds(30))
                {
                }
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "no member reports itself the leader");
            await Task.Delay(100);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"no {what} within 60 s");
            }

            await Task.Delay(20);
        }
    }
}
