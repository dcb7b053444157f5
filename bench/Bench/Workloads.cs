using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Text;
using Google.Protobuf;
using Storage.Etcd;
using Storage.Etcd.Protos;

namespace Bench;

/// <summary>The issue's workloads, each run against the server and against raw etcd doing the equivalent work.</summary>
internal sealed class Workloads(Cluster cluster, Settings settings, Report report)
{
    private HttpClient Http => cluster.Http;

    private EtcdClient Etcd => cluster.EtcdClient;

    public async Task PrepareAsync()
    {
        foreach (var ns in new[] { "bench", "update", "list", "watch", "memory" })
        {
            using var response = await Http.PostAsync("/api/v1/namespaces", Json($"{{\"metadata\":{{\"name\":\"{ns}\"}}}}"));
            response.EnsureSuccessStatusCode();
        }
    }

    /// <summary>
    /// Waits until the server's watch cache has caught up with etcd before a server measurement.
    /// The server watches etcd's whole keyspace (that is how its cache knows etcd's revision), so
    /// the raw etcd rows' writes reach it too; without this, the server row after an etcd row paid
    /// for draining that backlog. A consistent list returns once the cache has seen etcd's revision.
    /// </summary>
    internal async Task SettleAsync()
    {
        using var response = await Http.GetAsync("/api/v1/namespaces/bench/configmaps?limit=1");
        response.EnsureSuccessStatusCode();
    }

    // ------------------------------------------------------------------ 1. creates

    internal async Task<Outcome> CreatePodAsync(string name, int size)
    {
        using var response = await Http.PostAsync("/api/v1/namespaces/bench/pods", Json(Objects.Pod("bench", name, size)));
        return response.StatusCode == HttpStatusCode.Created ? Outcome.Ok : Outcome.Error;
    }

    /// <summary>The etcd side of a create: the Txn the server's store makes (create_revision == 0, then Put).</summary>
    internal async Task<Outcome> CreateRawPodAsync(string name, int size)
    {
        var key = ByteString.CopyFromUtf8($"/bench-raw/pods/bench/{name}");
        var txn = new TxnRequest
        {
            Compare = { new Compare { Key = key, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = key, Value = ByteString.CopyFromUtf8(Objects.StoredPod("bench", name, size, "\"app\":\"bench\"", "")) } } },
        };
        return (await Etcd.TxnAsync(txn)).Succeeded ? Outcome.Ok : Outcome.Error;
    }

    public async Task CreatesAsync()
    {
        // Unmeasured warm-up of both sides, sequential and concurrent: without it the first rows
        // carried the server's JIT compilation (tier-0 code until tiered compilation catches up).
        foreach (var concurrency in new[] { 1, 8 })
        {
            await Load.RunAsync(cluster, concurrency, settings.Duration, (worker, i) => CreatePodAsync($"warm-{concurrency}-{worker}-{i}", 1024));
            await Load.RunAsync(cluster, concurrency, settings.Duration, (worker, i) => CreateRawPodAsync($"warm-{concurrency}-{worker}-{i}", 1024));
        }

        foreach (var size in new[] { 1024, 4096 })
        {
            foreach (var concurrency in settings.CreateConcurrency)
            {
                var tag = $"{size / 1024}k-c{concurrency}";
                var (server, etcd) = await Load.CompareAsync(cluster, concurrency, settings.Duration, settings.Slices, SettleAsync,
                    (worker, i) => CreatePodAsync($"p-{tag}-{worker}-{i}", size),
                    (worker, i) => CreateRawPodAsync($"p-{tag}-{worker}-{i}", size));
                var target = (concurrency, size) switch
                {
                    (1, 1024) => Target.AtLeast(0.7),
                    (32, 1024) => Target.AtLeast(0.5),
                    _ => Target.None,
                };
                report.Add("1. create pods", $"{size / 1024} KB, concurrency {concurrency}", "POST pods", "Txn create_revision==0 Put", server, etcd, target);
            }
        }
    }

    // ------------------------------------------------------------------ 2. updates and patches

    public async Task UpdatesAsync()
    {
        const int objects = 64;
        var versions = new long[objects];
        var rawRevisions = new long[objects];
        for (var i = 0; i < objects; i++)
        {
            using var created = await Http.PostAsync("/api/v1/namespaces/update/configmaps", Json(Objects.ConfigMap("update", $"cm-{i}", "0")));
            versions[i] = ResourceVersion(await created.Content.ReadAsStringAsync());
            var put = await Etcd.PutAsync(new PutRequest { Key = RawKey(i), Value = ByteString.CopyFromUtf8(Objects.ConfigMap("update", $"cm-{i}", "0")) });
            rawRevisions[i] = put.Header.Revision;
        }

        const int concurrency = 8;
        var (server, etcd) = await Load.CompareAsync(cluster, concurrency, settings.Duration, settings.Slices, SettleAsync, async (worker, i) =>
        {
            var index = (int)((worker + (i * concurrency)) % objects);
            var body = Objects.ConfigMap("update", $"cm-{index}", i.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Replace("\"namespace\":\"update\"", $"\"namespace\":\"update\",\"resourceVersion\":\"{Volatile.Read(ref versions[index])}\"", StringComparison.Ordinal);
            using var response = await Http.PutAsync($"/api/v1/namespaces/update/configmaps/cm-{index}", Json(body));
            if (response.StatusCode == HttpStatusCode.Conflict)
            {
                return Outcome.Conflict;
            }

            Volatile.Write(ref versions[index], ResourceVersion(await response.Content.ReadAsStringAsync()));
            return response.IsSuccessStatusCode ? Outcome.Ok : Outcome.Error;
        },
        async (worker, i) => await RawUpdateAsync((int)((worker + (i * concurrency)) % objects), rawRevisions, i));
        report.Add("2. update", "PUT with resourceVersion, 8 writers, 64 objects", "PUT configmap", "Txn mod_revision== Put", server, etcd, Target.None);

        var (patch, rawPatch) = await Load.CompareAsync(cluster, concurrency, settings.Duration, settings.Slices, SettleAsync, async (worker, i) =>
        {
            var index = (int)((worker + (i * concurrency)) % objects);
            using var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/namespaces/update/configmaps/cm-{index}")
            {
                Content = new StringContent($"{{\"data\":{{\"v\":\"p{i}\"}}}}", Encoding.UTF8, "application/merge-patch+json"),
            };
            using var response = await Http.SendAsync(request);
            return response.IsSuccessStatusCode ? Outcome.Ok : Outcome.Error;
        },
        async (worker, i) => await RawUpdateAsync((int)((worker + (i * concurrency)) % objects), rawRevisions, i));
        report.Add("2. update", "merge patch, 8 writers, 64 objects", "PATCH configmap", "Txn mod_revision== Put", patch, rawPatch, Target.None);

        // Contention: every writer on one object with the version it last saw; losers get 409.
        var (contended, rawContended) = await Load.CompareAsync(cluster, concurrency, settings.Duration, settings.Slices, SettleAsync, async (worker, i) =>
        {
            var body = Objects.ConfigMap("update", "cm-0", $"{worker}-{i}")
                .Replace("\"namespace\":\"update\"", $"\"namespace\":\"update\",\"resourceVersion\":\"{Volatile.Read(ref versions[0])}\"", StringComparison.Ordinal);
            using var response = await Http.PutAsync("/api/v1/namespaces/update/configmaps/cm-0", Json(body));
            if (response.StatusCode == HttpStatusCode.Conflict)
            {
                using var current = await Http.GetAsync("/api/v1/namespaces/update/configmaps/cm-0");
                Volatile.Write(ref versions[0], ResourceVersion(await current.Content.ReadAsStringAsync()));
                return Outcome.Conflict;
            }

            Volatile.Write(ref versions[0], ResourceVersion(await response.Content.ReadAsStringAsync()));
            return response.IsSuccessStatusCode ? Outcome.Ok : Outcome.Error;
        },
        async (_, i) => await RawUpdateAsync(0, rawRevisions, i));
        report.Add("2. update", "PUT, 8 writers on one object (409s counted)", "PUT configmap", "Txn mod_revision== Put", contended, rawContended, Target.None);
    }

    private static ByteString RawKey(int index) => ByteString.CopyFromUtf8($"/bench-raw/configmaps/update/cm-{index}");

    private async Task<Outcome> RawUpdateAsync(int index, long[] revisions, long i)
    {
        var key = RawKey(index);
        var txn = new TxnRequest
        {
            Compare = { new Compare { Key = key, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = Volatile.Read(ref revisions[index]) } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = key, Value = ByteString.CopyFromUtf8(Objects.ConfigMap("update", $"cm-{index}", i.ToString(System.Globalization.CultureInfo.InvariantCulture))) } } },
            Failure = { new RequestOp { RequestRange = new RangeRequest { Key = key } } },
        };
        var response = await Etcd.TxnAsync(txn);
        if (response.Succeeded)
        {
            Volatile.Write(ref revisions[index], response.Header.Revision);
            return Outcome.Ok;
        }

        Volatile.Write(ref revisions[index], response.Responses[0].ResponseRange.Kvs[0].ModRevision);
        return Outcome.Conflict;
    }

    // ------------------------------------------------------------------ 3. get

    public async Task GetsAsync()
    {
        using (await Http.PostAsync("/api/v1/namespaces/bench/pods", Json(Objects.Pod("bench", "get-me", 1024))))
        {
        }

        await Etcd.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("/bench-raw/pods/bench/get-me"), Value = ByteString.CopyFromUtf8(Objects.StoredPod("bench", "get-me", 1024, "\"app\":\"bench\"", "")) });
        const int concurrency = 8;
        var rawKey = ByteString.CopyFromUtf8("/bench-raw/pods/bench/get-me");
        var (latest, linearizable) = await Load.CompareAsync(cluster, concurrency, settings.Duration, settings.Slices, SettleAsync,
            async (_, _) => await GetAsync("/api/v1/namespaces/bench/pods/get-me"),
            async (_, _) => (await Etcd.RangeAsync(new RangeRequest { Key = rawKey })).Kvs.Count == 1 ? Outcome.Ok : Outcome.Error);
        var (cached, serializable) = await Load.CompareAsync(cluster, concurrency, settings.Duration, settings.Slices, SettleAsync,
            async (_, _) => await GetAsync("/api/v1/namespaces/bench/pods/get-me?resourceVersion=0"),
            async (_, _) => (await Etcd.RangeAsync(new RangeRequest { Key = rawKey, Serializable = true })).Kvs.Count == 1 ? Outcome.Ok : Outcome.Error);
        // One reader shows a request's floor: the client's TLS and HTTP/2 hop to the server plus the
        // least work a request does, with no etcd call. A create at concurrency 1 pays this floor on
        // top of its Txn, which bounds how close it can come to a bare Txn.
        var (cachedAlone, serializableAlone) = await Load.CompareAsync(cluster, 1, settings.Duration, settings.Slices, SettleAsync,
            async (_, _) => await GetAsync("/api/v1/namespaces/bench/pods/get-me?resourceVersion=0"),
            async (_, _) => (await Etcd.RangeAsync(new RangeRequest { Key = rawKey, Serializable = true })).Kvs.Count == 1 ? Outcome.Ok : Outcome.Error);
        report.Add("3. get", "one pod, resourceVersion unset, 8 readers", "GET pod", "linearizable Range", latest, linearizable, Target.None);
        report.Add("3. get", "one pod, resourceVersion=0, 8 readers", "GET pod (cache)", "serializable Range", cached, serializable, Target.AtLeast(2));
        report.Add("3. get", "one pod, resourceVersion=0, 1 reader", "GET pod (cache)", "serializable Range", cachedAlone, serializableAlone, Target.None);
    }

    private async Task<Outcome> GetAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        await response.Content.ReadAsByteArrayAsync();
        return response.IsSuccessStatusCode ? Outcome.Ok : Outcome.Error;
    }

    // ------------------------------------------------------------------ 4. list

    public async Task ListsAsync()
    {
        var count = settings.ListPods;
        // Exactly 30 pods carry the selected label, and 30 others the selected node.
        var every = count / 30;
        await LoadPodsAsync("list", count, i => i % every == 0 && i / every < 30 ? "\"app\":\"bench\",\"grp\":\"sel\"" : "\"app\":\"bench\",\"grp\":\"other\"",
            i => i % every == 1 && i / every < 30 ? "node-sel" : $"node-{i % 100}");
        await WaitForCacheAsync("list", count);

        const int concurrency = 4;
        var prefix = Encoding.UTF8.GetBytes("/registry/pods/list/");
        var rangeEnd = EtcdKeys.PrefixEnd(prefix);
        var wholeRange = await Load.RunAsync(cluster, concurrency, settings.Duration, async (_, _) =>
            (await Etcd.RangeAsync(new RangeRequest { Key = ByteString.CopyFrom(prefix), RangeEnd = rangeEnd })).Kvs.Count == count ? Outcome.Ok : Outcome.Error);
        var pageRange = await Load.RunAsync(cluster, concurrency, settings.Duration, async (_, _) =>
            (await Etcd.RangeAsync(new RangeRequest { Key = ByteString.CopyFrom(prefix), RangeEnd = rangeEnd, Limit = 500 })).Kvs.Count == 500 ? Outcome.Ok : Outcome.Error);

        var whole = await Load.RunAsync(cluster, concurrency, settings.Duration, async (_, _) => await ListAsync("/api/v1/namespaces/list/pods", count));
        var page = await Load.RunAsync(cluster, concurrency, settings.Duration, async (_, _) => await ListAsync("/api/v1/namespaces/list/pods?limit=500", 500));
        var byLabel = await Load.RunAsync(cluster, concurrency, settings.Duration, async (_, _) => await ListAsync("/api/v1/namespaces/list/pods?labelSelector=grp%3Dsel", 30));
        var byNode = await Load.RunAsync(cluster, concurrency, settings.Duration, async (_, _) => await ListAsync("/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-sel", 30));
        report.Add("4. list", $"all {count} pods", "LIST (consistent, from cache)", "Range of the prefix", whole, wholeRange, Target.None);
        report.Add("4. list", "first page of 500", "LIST limit=500", "Range limit 500", page, pageRange, Target.None);
        report.Add("4. list", $"30 of {count} by label", "LIST labelSelector", "Range of the prefix", byLabel, wholeRange, Target.AtLeast(20));
        report.Add("4. list", $"30 of {count} by spec.nodeName (all namespaces)", "LIST fieldSelector", "Range of the prefix", byNode, wholeRange, Target.AtLeast(20));
    }

    private async Task<Outcome> ListAsync(string path, int expected)
    {
        using var response = await Http.GetAsync(path);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode)
        {
            return Outcome.Error;
        }

        // Count items cheaply: each pod has exactly one "kind":"Pod".
        var items = CountOccurrences(body, "\"kind\":\"Pod\""u8);
        return items == expected ? Outcome.Ok : Outcome.Error;
    }

    private static int CountOccurrences(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle)
    {
        var count = 0;
        for (var at = haystack.IndexOf(needle); at >= 0; at = haystack.IndexOf(needle))
        {
            count++;
            haystack = haystack[(at + needle.Length)..];
        }

        return count;
    }

    /// <summary>Writes pods straight into etcd, as the server stores them; returns their serialized bytes.</summary>
    private async Task<long> LoadPodsAsync(string ns, int count, Func<int, string> labels, Func<int, string> node, int first = 0)
    {
        long bytes = 0;
        await Parallel.ForEachAsync(Enumerable.Range(first, count), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
        {
            var value = Objects.StoredPod(ns, $"pod-{i:D6}", 1024, labels(i), node(i));
            Interlocked.Add(ref bytes, value.Length);
            await Etcd.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8($"/registry/pods/{ns}/pod-{i:D6}"), Value = ByteString.CopyFromUtf8(value) }, ct);
        });
        return bytes;
    }

    /// <summary>
    /// A consistent list waits until the cache has seen everything etcd acknowledged, so one
    /// limit=1 request (its remainingItemCount) tells whether all the pods are there.
    /// </summary>
    private async Task WaitForCacheAsync(string ns, int count)
    {
        using var response = await Http.GetAsync($"/api/v1/namespaces/{ns}/pods?limit=1");
        var body = await response.Content.ReadAsStringAsync();
        const string marker = "\"remainingItemCount\":";
        var at = body.IndexOf(marker, StringComparison.Ordinal);
        var remaining = at < 0 ? 0 : long.Parse(body.AsSpan(at + marker.Length, body.IndexOfAny([',', '}'], at + marker.Length) - at - marker.Length), System.Globalization.CultureInfo.InvariantCulture);
        var items = CountOccurrences(Encoding.UTF8.GetBytes(body), "\"kind\":\"Pod\""u8);
        if (items + remaining != count)
        {
            throw new InvalidOperationException($"expected {count} pods in {ns}, the server lists {items + remaining}");
        }
    }

    // ------------------------------------------------------------------ 5. watch fan-out

    public async Task WatchesAsync()
    {
        foreach (var (watchers, rate, target) in new[] { (1, 500, Target.None), (100, 500, Target.P99AtMost(25)), (1000, 50, Target.P99AtMost(100)) })
        {
            var server = await ServerFanOutAsync(watchers, rate);
            var etcd = await EtcdFanOutAsync(watchers, rate);
            report.Add("5. watch fan-out", $"{watchers} watchers, {rate} writes/s", "watch configmaps", "etcd Watch streams", server, etcd, target);
        }
    }

    internal async Task<Measurement> ServerFanOutAsync(int watchers, int rate)
    {
        // Every write creates a new configmap (no contention on one key); every watcher watches the namespace.
        var name = $"fan-{watchers}-{rate}";
        using var list = await Http.GetAsync("/api/v1/namespaces/watch/configmaps?limit=1");
        var start = ResourceVersion(await list.Content.ReadAsStringAsync());
        var acks = new ConcurrentDictionary<long, long>();
        var arrivals = new ConcurrentBag<(long Revision, long At)>[watchers];
        using var stop = new CancellationTokenSource();
        var connected = 0;
        var readers = Enumerable.Range(0, watchers).Select(w => Task.Run(async () =>
        {
            var mine = arrivals[w] = [];
            try
            {
                using var response = await Http.GetAsync($"/api/v1/namespaces/watch/configmaps?watch=1&resourceVersion={start}", HttpCompletionOption.ResponseHeadersRead, stop.Token);
                Interlocked.Increment(ref connected);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token));
                while (await reader.ReadLineAsync(stop.Token) is { } line)
                {
                    mine.Add((ResourceVersion(line), Stopwatch.GetTimestamp()));
                }
            }
            catch (OperationCanceledException)
            {
            }
        })).ToArray();
        await WaitUntilAsync(() => Volatile.Read(ref connected) == watchers);

        var serverCpu = ProcStats.CpuSeconds(cluster.ServerPid);
        var etcdCpu = ProcStats.CpuSeconds(cluster.EtcdPid);
        var clock = Stopwatch.StartNew();
        var writes = await PacedAsync(rate, async i =>
        {
            using var response = await Http.PostAsync("/api/v1/namespaces/watch/configmaps", Json(Objects.ConfigMap("watch", $"{name}-{i}", "v")));
            acks[ResourceVersion(await response.Content.ReadAsStringAsync())] = Stopwatch.GetTimestamp();
        });
        await Task.Delay(TimeSpan.FromSeconds(1)); // the last events' delivery
        var seconds = clock.Elapsed.TotalSeconds - 1;
        var cpu = (ProcStats.CpuSeconds(cluster.ServerPid) - serverCpu, ProcStats.CpuSeconds(cluster.EtcdPid) - etcdCpu);
        await stop.CancelAsync();
        await Task.WhenAll(readers);
        return Latencies(writes, watchers, acks, arrivals, seconds, cpu);
    }

    internal async Task<Measurement> EtcdFanOutAsync(int watchers, int rate)
    {
        var prefix = Encoding.UTF8.GetBytes($"/bench-raw/watch/fan-{watchers}-{rate}/");
        var acks = new ConcurrentDictionary<long, long>();
        var arrivals = new ConcurrentBag<(long Revision, long At)>[watchers];
        using var stop = new CancellationTokenSource();
        var connected = 0;
        var readers = Enumerable.Range(0, watchers).Select(w => Task.Run(async () =>
        {
            var mine = arrivals[w] = [];
            try
            {
                var first = true;
                await foreach (var response in Etcd.WatchAsync(new WatchCreateRequest { Key = ByteString.CopyFrom(prefix), RangeEnd = EtcdKeys.PrefixEnd(prefix) }, stop.Token))
                {
                    if (first)
                    {
                        first = false;
                        Interlocked.Increment(ref connected);
                    }

                    var at = Stopwatch.GetTimestamp();
                    foreach (var e in response.Events)
                    {
                        mine.Add((e.Kv.ModRevision, at));
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        })).ToArray();
        await WaitUntilAsync(() => Volatile.Read(ref connected) == watchers);

        var serverCpu = ProcStats.CpuSeconds(cluster.ServerPid);
        var etcdCpu = ProcStats.CpuSeconds(cluster.EtcdPid);
        var clock = Stopwatch.StartNew();
        var writes = await PacedAsync(rate, async i =>
        {
            var key = ByteString.CopyFrom([.. prefix, .. Encoding.UTF8.GetBytes($"cm-{i}")]);
            var put = await Etcd.PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8(Objects.ConfigMap("watch", $"cm-{i}", "v")) });
            acks[put.Header.Revision] = Stopwatch.GetTimestamp();
        });
        await Task.Delay(TimeSpan.FromSeconds(1));
        var seconds = clock.Elapsed.TotalSeconds - 1;
        var cpu = (ProcStats.CpuSeconds(cluster.ServerPid) - serverCpu, ProcStats.CpuSeconds(cluster.EtcdPid) - etcdCpu);
        await stop.CancelAsync();
        await Task.WhenAll(readers);
        return Latencies(writes, watchers, acks, arrivals, seconds, cpu);
    }

    /// <summary>Issues writes at <paramref name="rate"/> per second (several in flight when the target is fast) for the workload's duration.</summary>
    private async Task<long> PacedAsync(int rate, Func<long, Task> write)
    {
        var total = (long)(rate * settings.Duration.TotalSeconds);
        var clock = Stopwatch.StartNew();
        var inFlight = new List<Task>();
        for (long i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / rate);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed);
            }

            inFlight.Add(write(i));
            inFlight.RemoveAll(t => t.IsCompleted);
        }

        await Task.WhenAll(inFlight);
        return total;
    }

    /// <summary>Latency of each delivered event: its arrival minus its write's acknowledgement (0 when it arrived first).</summary>
    private static Measurement Latencies(long writes, int watchers, ConcurrentDictionary<long, long> acks, ConcurrentBag<(long Revision, long At)>[] arrivals, double seconds, (double Server, double Etcd) cpu)
    {
        var samples = new List<double>();
        long missing = 0;
        foreach (var watcher in arrivals)
        {
            var seen = 0;
            foreach (var (revision, at) in watcher)
            {
                if (acks.TryGetValue(revision, out var ack))
                {
                    samples.Add(Math.Max(0, Stopwatch.GetElapsedTime(ack, at).TotalMilliseconds));
                    seen++;
                }
            }

            missing += Math.Max(0, acks.Count - seen);
        }

        var all = samples.ToArray();
        return new Measurement(all.Length, missing, 0, seconds, Load.Percentile(all, 0.5), Load.Percentile(all, 0.99), cpu.Server, cpu.Etcd);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("watchers did not connect");
            }

            await Task.Delay(20);
        }
    }

    // ------------------------------------------------------------------ 6. memory

    public async Task MemoryAsync()
    {
        // Sizes grow cumulatively (10,000 then 100,000 pods in one namespace); the baseline is the
        // server's RSS before any of them.
        GC.Collect();
        var baseline = ProcStats.ResidentBytes(cluster.ServerPid);
        long bytes = 0;
        var loaded = 0;
        foreach (var count in settings.MemoryPods)
        {
            var from = loaded;
            bytes += await LoadPodsAsync("memory", count - from, i => "\"app\":\"mem\"", i => $"node-{(i + from) % 100}", from);
            loaded = count;
            await WaitForCacheAsync("memory", count);
            await Task.Delay(TimeSpan.FromSeconds(2));
            report.AddMemory(count, bytes, baseline, ProcStats.ResidentBytes(cluster.ServerPid));
        }
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>The first metadata.resourceVersion in a JSON text (an object or a watch event line).</summary>
    private static long ResourceVersion(string json)
    {
        const string marker = "\"resourceVersion\":\"";
        var at = json.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return 0;
        }

        var start = at + marker.Length;
        var end = json.IndexOf('"', start);
        return long.TryParse(json.AsSpan(start, end - start), out var rv) ? rv : 0;
    }
}
