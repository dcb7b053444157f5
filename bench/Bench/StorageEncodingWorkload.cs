using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApiMachinery.Protobuf;
using Google.Protobuf;
using Storage.Etcd;
using Storage.Etcd.Protos;

namespace Bench;

/// <summary>
/// 6. storage encoding: the same creates, gets and lists against two fresh clusters side by side in
/// one run, one server storing JSON (this server's default) and one storing Kubernetes protobuf
/// (--storage-media-type=application/vnd.kubernetes.protobuf, kube-apiserver's default), each next
/// to raw etcd doing the equivalent work. The gets and the lists read etcd (resourceVersion unset,
/// resourceVersionMatch=Exact at a revision the pods' one-event watch window no longer covers, else the
/// watch cache would answer it), so every object is decoded from what etcd holds.
/// </summary>
internal sealed class StorageEncodingWorkload(Settings settings, Report report)
{
    private const string Workload = "6. storage encoding";

    public async Task RunAsync()
    {
        await using var json = await Cluster.StartAsync(["--storage-media-type=application/json", "--watch-cache-sizes=pods#1"]);
        await using var protobuf = await Cluster.StartAsync(["--storage-media-type=application/vnd.kubernetes.protobuf", "--watch-cache-sizes=pods#1"]);
        var sides = new[] { ("JSON", json), ("protobuf", protobuf) };
        foreach (var (_, cluster) in sides)
        {
            foreach (var ns in new[] { "enc", "list" })
            {
                using var created = await cluster.Http.PostAsync("/api/v1/namespaces", Json($$$"""{"metadata":{"name":"{{{ns}}}"}}"""));
                created.EnsureSuccessStatusCode();
            }

            // Warm-up, unmeasured: JIT and connections.
            await Load.RunAsync(cluster, 8, settings.Duration, (worker, i) => CreateAsync(cluster, $"warm-{worker}-{i}"));
        }

        foreach (var concurrency in new[] { 1, 8 })
        {
            foreach (var (name, cluster) in sides)
            {
                var (server, etcd) = await Load.CompareAsync(cluster, concurrency, settings.Duration, settings.Slices, () => SettleAsync(cluster),
                    (worker, i) => CreateAsync(cluster, $"p-c{concurrency}-{worker}-{i}"),
                    (worker, i) => CreateRawAsync(cluster, $"p-c{concurrency}-{worker}-{i}"));
                report.Add(Workload, $"{name}: create 1 KB pods, concurrency {concurrency}", "POST pods", "Txn create_revision==0 Put", server, etcd, Target.None);
            }
        }

        foreach (var (name, cluster) in sides)
        {
            using (await cluster.Http.PostAsync("/api/v1/namespaces/enc/pods", Json(Objects.Pod("enc", "get-me", 1024))))
            {
            }

            await cluster.EtcdClient.PutAsync(new PutRequest { Key = RawKey("get-me"), Value = ByteString.CopyFromUtf8(Objects.StoredPod("enc", "get-me", 1024, "\"app\":\"bench\"", "")) });
            var (server, etcd) = await Load.CompareAsync(cluster, 8, settings.Duration, settings.Slices, () => SettleAsync(cluster),
                async (_, _) => await GetAsync(cluster, "/api/v1/namespaces/enc/pods/get-me"),
                async (_, _) => (await cluster.EtcdClient.RangeAsync(new RangeRequest { Key = RawKey("get-me") })).Kvs.Count == 1 ? Outcome.Ok : Outcome.Error);
            report.Add(Workload, $"{name}: get one pod from etcd, 8 readers", "GET pod", "linearizable Range", server, etcd, Target.None);
        }

        const int count = 1000;
        foreach (var (name, cluster) in sides)
        {
            // Written through the server, so that etcd holds them in the server's encoding.
            await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
            {
                using var response = await cluster.Http.PostAsync("/api/v1/namespaces/list/pods", Json(Objects.Pod("list", $"pod-{i:D6}", 1024)));
                response.EnsureSuccessStatusCode();
            });
            using var listed = await cluster.Http.GetAsync("/api/v1/namespaces/list/pods?limit=1");
            var rv = ResourceVersionOf(await listed.Content.ReadAsStringAsync());
            for (var i = 0; i < 2; i++)
            {
                // Two more pod events: the revision leaves the window, and only etcd can list it.
                using var pushed = await cluster.Http.PostAsync("/api/v1/namespaces/enc/pods", Json(Objects.Pod("enc", $"push-{i}", 1024)));
                pushed.EnsureSuccessStatusCode();
            }
            var prefix = Encoding.UTF8.GetBytes("/registry/pods/list/");
            var range = new RangeRequest { Key = ByteString.CopyFrom(prefix), RangeEnd = EtcdKeys.PrefixEnd(prefix) };
            var (server, etcd) = await Load.CompareAsync(cluster, 4, settings.Duration, settings.Slices, () => SettleAsync(cluster),
                async (_, _) => await GetAsync(cluster, $"/api/v1/namespaces/list/pods?resourceVersion={rv}&resourceVersionMatch=Exact"),
                async (_, _) => (await cluster.EtcdClient.RangeAsync(range)).Kvs.Count == count ? Outcome.Ok : Outcome.Error);
            report.Add(Workload, $"{name}: list {count} pods from etcd (exact resourceVersion)", "LIST resourceVersionMatch=Exact", "Range of the prefix", server, etcd, Target.None);
        }

        await MeasureCodecAsync(json, protobuf);
    }

    /// <summary>
    /// In-process, on the values the two servers stored for the listed pods: what the storage
    /// encoding costs per object next to the JSON parse every read does anyway (printed; the
    /// analysis quotes it): the JSON validity check (one Utf8JsonReader pass, as StorageEncoding
    /// does for JSON values), protobuf to JSON, and JSON to protobuf.
    /// </summary>
    private async Task MeasureCodecAsync(Cluster json, Cluster protobuf)
    {
        var prefix = Encoding.UTF8.GetBytes("/registry/pods/list/");
        var range = new RangeRequest { Key = ByteString.CopyFrom(prefix), RangeEnd = EtcdKeys.PrefixEnd(prefix) };
        var jsonValues = (await json.EtcdClient.RangeAsync(range)).Kvs.Select(kv => kv.Value.ToByteArray()).ToArray();
        var protobufValues = (await protobuf.EtcdClient.RangeAsync(range)).Kvs.Select(kv => kv.Value.ToByteArray()).ToArray();
        var rounds = settings.Quick ? 5 : 20;
        Console.WriteLine($"{Workload}: stored pod sizes, JSON {jsonValues.Average(v => v.Length):0} B, protobuf {protobufValues.Average(v => v.Length):0} B");
        Time("JSON validity check (reader pass)", jsonValues, rounds, value =>
        {
            var reader = new Utf8JsonReader(value);
            reader.Read();
            reader.Skip();
        });
        Time("JSON parse (JsonNode.Parse)", jsonValues, rounds, value => JsonNode.Parse(value));
        Time("protobuf -> JSON (decode + write)", protobufValues, rounds, value => JsonSerializer.SerializeToUtf8Bytes(KubeProtobuf.Decode(value)));
        Time("JSON -> protobuf (parse + encode)", jsonValues, rounds, value => KubeProtobuf.Encode(JsonNode.Parse(value)!.AsObject()));
    }

    private static void Time(string what, byte[][] values, int rounds, Action<byte[]> work)
    {
        foreach (var value in values)
        {
            work(value); // warm-up
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var value in values)
            {
                work(value);
            }
        }

        Console.WriteLine($"{Workload}: {what}: {clock.Elapsed.TotalMicroseconds / (rounds * values.Length):0.0} us per pod");
    }

    /// <summary>Before a server slice: the server's cache has caught up with the raw etcd writes (see Workloads.SettleAsync).</summary>
    private static async Task SettleAsync(Cluster cluster)
    {
        using var response = await cluster.Http.GetAsync("/api/v1/namespaces/enc/configmaps?limit=1");
        response.EnsureSuccessStatusCode();
    }

    private static async Task<Outcome> CreateAsync(Cluster cluster, string name)
    {
        using var response = await cluster.Http.PostAsync("/api/v1/namespaces/enc/pods", Json(Objects.Pod("enc", name, 1024)));
        return response.StatusCode == HttpStatusCode.Created ? Outcome.Ok : Outcome.Error;
    }

    private static async Task<Outcome> CreateRawAsync(Cluster cluster, string name)
    {
        var key = RawKey(name);
        var txn = new TxnRequest
        {
            Compare = { new Compare { Key = key, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = key, Value = ByteString.CopyFromUtf8(Objects.StoredPod("enc", name, 1024, "\"app\":\"bench\"", "")) } } },
        };
        return (await cluster.EtcdClient.TxnAsync(txn)).Succeeded ? Outcome.Ok : Outcome.Error;
    }

    private static async Task<Outcome> GetAsync(Cluster cluster, string path)
    {
        using var response = await cluster.Http.GetAsync(path);
        await response.Content.ReadAsByteArrayAsync();
        return response.IsSuccessStatusCode ? Outcome.Ok : Outcome.Error;
    }

    private static ByteString RawKey(string name) => ByteString.CopyFromUtf8($"/bench-raw/pods/enc/{name}");

    private static long ResourceVersionOf(string list)
    {
        const string marker = "\"resourceVersion\":\"";
        var at = list.IndexOf(marker, StringComparison.Ordinal) + marker.Length;
        return long.Parse(list.AsSpan(at, list.IndexOf('"', at) - at), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
