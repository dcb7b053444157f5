using System.Net;
using System.Net.Http;
using System.Text;
using Google.Protobuf;
using Storage.Etcd;
using Storage.Etcd.Protos;

namespace Bench;

/// <summary>
/// Custom resources (issue 16): creates and lists of a CRD's objects with a schema of about 30 fields,
/// next to pods and raw etcd in the same run. The target: a custom resource create costs no more
/// than a pod create, that is its ratio to etcd is at least the pod row's.
/// </summary>
internal sealed class CustomResourceWorkloads(Cluster cluster, Settings settings, Report report)
{
    private const string Group = "bench.example.com";
    private const string Section = "6. custom resources";

    private HttpClient Http => cluster.Http;

    private EtcdClient Etcd => cluster.EtcdClient;

    public async Task RunAsync()
    {
        await InstallCrdAsync();
        await CreatesAsync();
        await ListsAsync();
    }

    /// <summary>A CRD whose spec has 30 typed fields (strings with patterns and enums, bounded integers, a list map, a nested object).</summary>
    private async Task InstallCrdAsync()
    {
        var fields = new StringBuilder();
        for (var i = 0; i < 10; i++)
        {
            fields.Append($$"""
                "name{{i}}":{"type":"string","maxLength":63,"pattern":"^[a-z0-9-]+$"},
                "count{{i}}":{"type":"integer","minimum":0,"maximum":100000},
                "mode{{i}}":{"type":"string","enum":["fast","safe","off"]},
                """);
        }

        var crd = """
            {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"gadgets.GROUP"},
             "spec":{"group":"GROUP","scope":"Namespaced","names":{"plural":"gadgets","singular":"gadget","kind":"Gadget"},
              "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
               "schema":{"openAPIV3Schema":{"type":"object","properties":{
                "spec":{"type":"object","required":["name0"],"properties":{
                  FIELDS
                  "ports":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
                           "items":{"type":"object","required":["name"],"properties":{"name":{"type":"string"},"port":{"type":"integer"}}}},
                  "owner":{"type":"object","properties":{"team":{"type":"string"},"email":{"type":"string","format":"email"}}}}},
                "status":{"type":"object","properties":{"phase":{"type":"string"}}}}}}}]}}
            """.Replace("GROUP", Group, StringComparison.Ordinal).Replace("FIELDS", fields.ToString(), StringComparison.Ordinal);
        using var response = await Http.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", new StringContent(crd, Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var probe = await Http.GetAsync($"/apis/{Group}/v1/namespaces/bench/gadgets?limit=1");
            if (probe.StatusCode == HttpStatusCode.OK)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException("the bench CRD was not served within 30 s");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>A Gadget of about 1 KB: 30 spec fields, a two-entry list map and a nested object.</summary>
    internal static string Gadget(string ns, string name)
    {
        var spec = new StringBuilder();
        for (var i = 0; i < 10; i++)
        {
            spec.Append($"\"name{i}\":\"part-{i}-{name}\",\"count{i}\":{i * 7},\"mode{i}\":\"{(i % 2 == 0 ? "fast" : "safe")}\",");
        }

        return $"{{\"apiVersion\":\"{Group}/v1\",\"kind\":\"Gadget\",\"metadata\":{{\"name\":\"{name}\",\"namespace\":\"{ns}\",\"labels\":{{\"app\":\"bench\"}}}},"
            + $"\"spec\":{{{spec}\"ports\":[{{\"name\":\"http\",\"port\":80}},{{\"name\":\"https\",\"port\":443}}],\"owner\":{{\"team\":\"bench\",\"email\":\"bench@example.com\"}}}}}}";
    }

    private static string StoredGadget(string ns, string name) =>
        Gadget(ns, name).Replace("\"metadata\":{", $"\"metadata\":{{\"uid\":\"{Guid.NewGuid()}\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\",\"generation\":1,", StringComparison.Ordinal);

    private async Task<Outcome> CreateGadgetAsync(string name)
    {
        using var response = await Http.PostAsync($"/apis/{Group}/v1/namespaces/bench/gadgets", new StringContent(Gadget("bench", name), Encoding.UTF8, "application/json"));
        return response.StatusCode == HttpStatusCode.Created ? Outcome.Ok : Outcome.Error;
    }

    private async Task<Outcome> CreatePodAsync(string name)
    {
        using var response = await Http.PostAsync("/api/v1/namespaces/bench/pods", new StringContent(Objects.Pod("bench", name, 1024), Encoding.UTF8, "application/json"));
        return response.StatusCode == HttpStatusCode.Created ? Outcome.Ok : Outcome.Error;
    }

    /// <summary>The etcd side of a create: one Txn with create_revision == 0, then Put, of a value of the stored size.</summary>
    private async Task<Outcome> CreateRawAsync(string key, string value)
    {
        var k = ByteString.CopyFromUtf8(key);
        var txn = new TxnRequest
        {
            Compare = { new Compare { Key = k, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = k, Value = ByteString.CopyFromUtf8(value) } } },
        };
        return (await Etcd.TxnAsync(txn)).Succeeded ? Outcome.Ok : Outcome.Error;
    }

    private async Task SettleAsync()
    {
        using var response = await Http.GetAsync("/api/v1/namespaces/bench/configmaps?limit=1");
        response.EnsureSuccessStatusCode();
    }

    private async Task CreatesAsync()
    {
        // Warm-up (JIT, the schema's first use), unmeasured.
        await Load.RunAsync(cluster, 8, settings.Duration, (worker, i) => CreateGadgetAsync($"warm-{worker}-{i}"));
        await Load.RunAsync(cluster, 8, settings.Duration, (worker, i) => CreatePodAsync($"crwarm-{worker}-{i}"));
        foreach (var concurrency in new[] { 1, 32 })
        {
            var (gadgets, rawGadgets) = await Load.CompareAsync(cluster, concurrency, settings.Duration, settings.Slices, SettleAsync,
                (worker, i) => CreateGadgetAsync($"g-c{concurrency}-{worker}-{i}"),
                (worker, i) => CreateRawAsync($"/bench-raw/gadgets/bench/g-c{concurrency}-{worker}-{i}", StoredGadget("bench", $"g-c{concurrency}-{worker}-{i}")));
            var (pods, rawPods) = await Load.CompareAsync(cluster, concurrency, settings.Duration, settings.Slices, SettleAsync,
                (worker, i) => CreatePodAsync($"crp-c{concurrency}-{worker}-{i}"),
                (worker, i) => CreateRawAsync($"/bench-raw/pods/bench/crp-c{concurrency}-{worker}-{i}", Objects.StoredPod("bench", $"crp-c{concurrency}-{worker}-{i}", 1024, "\"app\":\"bench\"", "")));
            var podRatio = pods.OpsPerSecond / rawPods.OpsPerSecond;
            report.Add(Section, $"create, 30-field schema, concurrency {concurrency}", "POST gadgets", "Txn create_revision==0 Put", gadgets, rawGadgets,
                new Target($">= pod row ({podRatio:0.00}x)", (s, e) => s.OpsPerSecond / e.OpsPerSecond >= podRatio));
            report.Add(Section, $"create 1 KB pods alongside, concurrency {concurrency}", "POST pods", "Txn create_revision==0 Put", pods, rawPods, Target.None);
        }
    }

    private async Task ListsAsync()
    {
        var count = settings.ListPods;
        using (var ns = await Http.PostAsync("/api/v1/namespaces", new StringContent("{\"metadata\":{\"name\":\"gadgets\"}}", Encoding.UTF8, "application/json")))
        {
            ns.EnsureSuccessStatusCode();
        }

        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
            await Etcd.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8($"/registry/{Group}/gadgets/gadgets/g-{i:D6}"), Value = ByteString.CopyFromUtf8(StoredGadget("gadgets", $"g-{i:D6}")) }, ct));
        await SettleAsync();

        const int concurrency = 4;
        var prefix = Encoding.UTF8.GetBytes($"/registry/{Group}/gadgets/gadgets/");
        var rangeEnd = EtcdKeys.PrefixEnd(prefix);
        var wholeRange = await Load.RunAsync(cluster, concurrency, settings.Duration, async (_, _) =>
            (await Etcd.RangeAsync(new RangeRequest { Key = ByteString.CopyFrom(prefix), RangeEnd = rangeEnd })).Kvs.Count == count ? Outcome.Ok : Outcome.Error);
        var whole = await Load.RunAsync(cluster, concurrency, settings.Duration, async (_, _) =>
        {
            using var response = await Http.GetAsync("/apis/bench.example.com/v1/namespaces/gadgets/gadgets");
            var body = await response.Content.ReadAsByteArrayAsync();
            return response.IsSuccessStatusCode && Count(body, "\"kind\":\"Gadget\""u8) == count ? Outcome.Ok : Outcome.Error;
        });
        report.Add(Section, $"list all {count} gadgets", "LIST (consistent, from cache)", "Range of the prefix", whole, wholeRange, Target.None);
    }

    private static int Count(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle)
    {
        var count = 0;
        for (var at = haystack.IndexOf(needle); at >= 0; at = haystack.IndexOf(needle))
        {
            count++;
            haystack = haystack[(at + needle.Length)..];
        }

        return count;
    }
}
