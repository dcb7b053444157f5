using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Google.Protobuf;
using Storage.Etcd;
using Storage.Etcd.Protos;
using TestSupport;

namespace Bench;

/// <summary>
/// Issue 19's cold start at scale: N small ConfigMaps (about 500 bytes, across 1,000 namespaces)
/// written straight into etcd, then the server started on them. Measures, in one run: how fast etcd
/// itself returns the range (pages of 10,000, our client), how long until /readyz and until the watch
/// cache serves, the server's RSS against the serialized size, a selector list, a paged list, full
/// lists (one, then 5 concurrent slow readers, with the peak RSS and what the server allocated and
/// collected meanwhile), and the server's bytes allocated
/// per byte sent (from its /metrics), the RSS the readers leave, pod creates at concurrency 1 and 32
/// against etcd's own, etcd's RSS and database size. Its own report (default /tmp/scale-bench.md);
/// never part of the test suite. <c>bench --only scale --objects 100000 [--gc 0,1] [--creates 1,32]
/// [--watchers 1000] [--out file]</c>.
/// </summary>
internal sealed class ScaleWorkload(int objects, string output)
{
    private const int Namespaces = 1000;
    private const int PageSize = 10_000;

    // Seeding: etcd 3.4 refuses a Txn of more than --max-txn-ops (128 by default, which scripts/run.sh and
    // the bench's etcd keep) operations; 128 puts of about 650 bytes are 83 KB, far under
    // --max-request-bytes (1.5 MiB). Several Txns in flight let etcd put many proposals in one WAL
    // fsync: 100 puts per Txn with 4 in flight took 65 s for 100,000 objects at load 80.
    private const int PutsPerTxn = 128;
    private const int TxnsInFlight = 8;

    // etcd's default backend quota is 2 GB; 1,000,000 objects and the rows' own writes come close to
    // it (the report gives the database size), so the bench's etcd has 8 GiB, etcd's suggested maximum.
    private static readonly string[] EtcdFlags = ["--quota-backend-bytes=8589934592"];
    private static readonly string Filler = new('x', 300);

    private readonly StringBuilder _md = new();

    public static async Task RunAsync(string[] args, string output)
    {
        var at = Array.IndexOf(args, "--objects");
        var objects = at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : 100_000;
        var pause = Array.IndexOf(args, "--pause-after-fill");
        var only = Array.IndexOf(args, "--gc");
        var creates = Array.IndexOf(args, "--creates");
        var watchers = Array.IndexOf(args, "--watchers");
        var before = Array.IndexOf(args, "--before");
        var kind = Array.IndexOf(args, "--kind");
        await new ScaleWorkload(objects, output)
        {
            // Time to take a heap dump of the filled server (dotnet-gcdump collect -p PID), for exploring.
            PauseAfterFill = pause >= 0 && pause + 1 < args.Length ? TimeSpan.FromSeconds(int.Parse(args[pause + 1], CultureInfo.InvariantCulture)) : TimeSpan.Zero,
            OnlySettings = only >= 0 && only + 1 < args.Length ? [.. args[only + 1].Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture))] : null,
            CreateConcurrency = creates >= 0 && creates + 1 < args.Length
                ? [.. args[creates + 1].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(n => int.Parse(n, CultureInfo.InvariantCulture))]
                : [1, 32],
            BeforeDll = before >= 0 && before + 1 < args.Length ? args[before + 1] : null,
            Watchers = watchers >= 0 && watchers + 1 < args.Length ? int.Parse(args[watchers + 1], CultureInfo.InvariantCulture) : 1000,
            Pods = kind >= 0 && kind + 1 < args.Length && args[kind + 1] == "pods",
        }.RunAsync();
    }

    private TimeSpan PauseAfterFill { get; init; }

    /// <summary>
    /// --before path/to/ApiServer.dll: first a row of that build (the default GC), then this build's
    /// rows, so a change's before and after are measured in one run on the same etcd.
    /// </summary>
    private string? BeforeDll { get; init; }

    /// <summary>--watchers N: the watch fan-out row's watchers (1,000 unless given; 0 leaves the row out).</summary>
    private int Watchers { get; init; }

    // The create and watch rows reuse the main bench's operations (pods in "bench", configmaps in "watch").
    private static readonly Settings RowSettings = Settings.For(quick: false);

    /// <summary>--gc 0,1: only those of <see cref="GcSettings"/> (0 is Server GC + DATAS), in that order.</summary>
    private int[]? OnlySettings { get; init; }

    /// <summary>--creates 1,32: the pod create rows' concurrencies per GC setting (the main bench's row 1); "" for none.</summary>
    private int[] CreateConcurrency { get; init; } = [];

    /// <summary>
    /// --kind pods: running pods of about 2.3 KB (the issue's own example: a Deployment's pod as kube
    /// stores it, managedFields included, bound to one of 1,000 nodes) instead of 550-byte ConfigMaps.
    /// Pods are the kind whose watch cache reads field values besides metadata (spec.nodeName, status.phase).
    /// </summary>
    private bool Pods { get; init; }

    private string Resource => Pods ? "pods" : "configmaps";

    private string Noun => Pods ? "Pods" : "ConfigMaps";

    private string Key(int i) => Pods
        ? $"/registry/pods/ns-{i % Namespaces:D4}/web-{i:D7}"
        : $"/registry/configmaps/ns-{i % Namespaces:D4}/cm-{i:D7}";

    private string Value(int i) => Pods ? PodValue(i) :
        $$$"""{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm-{{{i:D7}}}","namespace":"ns-{{{i % Namespaces:D4}}}","uid":"{{{new Guid(i, 0, 0, new byte[8])}}}","creationTimestamp":"2026-12-01T00:00:00Z","labels":{"app":"a{{{i % 100}}}","tier":"t{{{i % 7}}}"}},"data":{"index":"{{{i}}}","fill":"{{{Filler}}}"}}""";

    private static string PodValue(int i)
    {
        var ns = $"ns-{i % Namespaces:D4}";
        var uid = new Guid(i, 1, 0, new byte[8]);
        var owner = new Guid(i % Namespaces, 2, 0, new byte[8]);
        var ip = $"10.{i / 65536 % 256}.{i / 256 % 256}.{i % 256}";
        return $$$$$"""{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-{{{{{i:D7}}}}}","generateName":"web-7d4b9c8f6d-","namespace":"{{{{{ns}}}}}","uid":"{{{{{uid}}}}}","creationTimestamp":"2026-12-01T00:00:00Z","labels":{"app":"a{{{{{i % 100}}}}}","tier":"t{{{{{i % 7}}}}}","pod-template-hash":"7d4b9c8f6d"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7d4b9c8f6d","uid":"{{{{{owner}}}}}","controller":true,"blockOwnerDeletion":true}],"managedFields":[{"manager":"kube-controller-manager","operation":"Update","apiVersion":"v1","time":"2026-12-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:generateName":{},"f:labels":{".":{},"f:app":{},"f:pod-template-hash":{},"f:tier":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\"{{{{{owner}}}}}\"}":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:ports":{".":{},"k:{\"containerPort\":8080,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{},"f:protocol":{}}},"f:resources":{".":{},"f:requests":{".":{},"f:cpu":{},"f:memory":{}}},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}},"f:dnsPolicy":{},"f:enableServiceLinks":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},"f:terminationGracePeriodSeconds":{}}}},{"manager":"kubelet","operation":"Update","apiVersion":"v1","time":"2026-12-01T00:00:05Z","fieldsType":"FieldsV1","fieldsV1":{"f:status":{"f:conditions":{"k:{\"type\":\"Ready\"}":{".":{},"f:lastProbeTime":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}}},"f:containerStatuses":{},"f:hostIP":{},"f:phase":{},"f:podIP":{},"f:podIPs":{".":{},"k:{\"ip\":\"{{{{{ip}}}}}\"}":{".":{},"f:ip":{}}},"f:startTime":{}}},"subresource":"status"}]},"spec":{"volumes":[{"name":"kube-api-access-{{{{{i % 100000:D5}}}}}","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}}],"defaultMode":420}}],"containers":[{"name":"web","image":"registry.example/web:1.4.2","ports":[{"containerPort":8080,"protocol":"TCP"}],"resources":{"requests":{"cpu":"100m","memory":"128Mi"}},"volumeMounts":[{"name":"kube-api-access-{{{{{i % 100000:D5}}}}}","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"default","serviceAccount":"default","nodeName":"node-{{{{{i % 1000:D4}}}}}","securityContext":{},"schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-12-01T00:00:05Z"}],"hostIP":"192.168.{{{{{i % 1000 / 256}}}}}.{{{{{i % 256}}}}}","podIP":"{{{{{ip}}}}}","podIPs":[{"ip":"{{{{{ip}}}}}"}],"startTime":"2026-12-01T00:00:01Z","containerStatuses":[{"name":"web","state":{"running":{"startedAt":"2026-12-01T00:00:04Z"}},"lastState":{},"ready":true,"restartCount":0,"image":"registry.example/web:1.4.2","imageID":"registry.example/web@sha256:{{{{{new string('a', 64)}}}}}","containerID":"containerd://{{{{{i:x64}}}}}","started":true}],"qosClass":"Burstable"}}""";
    }

    /// <summary>GC settings compared in one run (issue 19: a server that holds a big cache).</summary>
    /// <remarks>Each row names its settings in full, so it measures the same thing whatever the project's default is.</remarks>
    private static readonly (string Name, Dictionary<string, string> Environment)[] GcSettings =
    [
        ("Server GC + DATAS", new() { ["DOTNET_gcServer"] = "1", ["DOTNET_GCDynamicAdaptationMode"] = "1" }),
        ("Workstation GC (concurrent)", new() { ["DOTNET_gcServer"] = "0" }),
        ("Server GC + DATAS, GCConserveMemory=7", new() { ["DOTNET_gcServer"] = "1", ["DOTNET_GCDynamicAdaptationMode"] = "1", ["DOTNET_GCConserveMemory"] = "7" }),
        ("Server GC without DATAS", new() { ["DOTNET_gcServer"] = "1", ["DOTNET_GCDynamicAdaptationMode"] = "0" }),
        ("Workstation GC, GCConserveMemory=7", new() { ["DOTNET_gcServer"] = "0", ["DOTNET_GCConserveMemory"] = "7" }),
    ];

    public async Task RunAsync()
    {
        var flags = new[] { "--feature-gates=WatchCacheInitializationPostStartHook=true", "--storage-initialization-timeout=30m" };
        _md.AppendLine(CultureInfo.InvariantCulture, $"## scale: {objects:N0} {Noun}, cold start (commit `{Environment.GetEnvironmentVariable("BENCH_COMMIT") ?? "?"}`)");
        _md.AppendLine();
        _md.AppendLine(CultureInfo.InvariantCulture, $"Load average before: `{ProcStats.LoadAverage()}`.");
        _md.AppendLine();
        long serialized = 0;
        await using var cluster = await Cluster.StartAsync(
            flags,
            async etcd =>
            {
                using var client = new EtcdClient(new EtcdClientOptions
                {
                    Endpoints = [etcd.Endpoint], CaFile = etcd.CaFile, CertFile = etcd.ClientCertFile, KeyFile = etcd.ClientKeyFile,
                    // A Txn of 128 puts waits behind the others in flight and etcd's fsyncs on a loaded machine.
                    RequestTimeout = TimeSpan.FromMinutes(2),
                });
                var seeding = Stopwatch.StartNew();
                serialized = await SeedAsync(client);
                var seeded = string.Create(CultureInfo.InvariantCulture,
                    $"Seeded {objects:N0} {Noun} ({serialized / 1e6:0.0} MB serialized) straight into etcd in {seeding.Elapsed.TotalSeconds:0.0} s ({objects / seeding.Elapsed.TotalSeconds:0} puts/s; Txns of {PutsPerTxn} puts, {TxnsInFlight} in flight); etcd's database file {EtcdDatabaseBytes(etcd) / 1e6:0} MB, etcd RSS {ProcStats.ResidentBytes(etcd.ProcessId ?? 0) / 1e6:0} MB.");
                Console.WriteLine(seeded);
                _md.AppendLine(seeded);
                _md.AppendLine();
            },
            TimeSpan.FromMinutes(30),
            EtcdFlags);
        // etcd 3.4 visits every key from a page's start to the range's end before it applies the limit
        // (fixed in 3.5), so at 1,000,000 keys the first page of 10,000 alone can take over 10 s under
        // load: this client waits as long as it takes, where the cluster's gives up after 10 s.
        using var rangeClient = new EtcdClient(new EtcdClientOptions
        {
            Endpoints = [cluster.Etcd.Endpoint], CaFile = cluster.Etcd.CaFile, CertFile = cluster.Etcd.ClientCertFile, KeyFile = cluster.Etcd.ClientKeyFile,
            RequestTimeout = TimeSpan.FromMinutes(5),
        });
        _md.AppendLine(string.Concat(
            "| GC | etcd range s | server start to ready s | fill s | fill / etcd range rate | RSS MB | RSS / serialized | GC heap MB | selector list ms | page of 500 ms | full list s | alloc / byte sent | 5 slow readers: RSS peak over one body | readers allocated MB (GCs) | RSS after the readers MB |",
            string.Concat(CreateConcurrency.Select(c => $" creates/s at {c} (x etcd) |")),
            " RSS after creates MB | etcd RSS MB |"));
        _md.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---:|", 16 + CreateConcurrency.Length)));
        // A row that fails at scale is a finding: the rows before it and the failure go into the report.
        try
        {
            if (BeforeDll is { } beforeDll)
            {
                cluster.ServerDll = beforeDll;
                var etcdRange = await EtcdRangeAsync(rangeClient);
                var clock = Stopwatch.StartNew();
                await cluster.RestartServerAsync(flags, GcSettings[0].Environment, TimeSpan.FromMinutes(30));
                await MeasureAsync(cluster, "before: " + GcSettings[0].Name, serialized, etcdRange, clock.Elapsed.TotalSeconds);
                cluster.ServerDll = null;
            }

            foreach (var i in OnlySettings ?? [.. Enumerable.Range(0, GcSettings.Length)])
            {
                var (name, environment) = GcSettings[i];
                var etcdRange = await EtcdRangeAsync(rangeClient);
                var clock = Stopwatch.StartNew();
                await cluster.RestartServerAsync(flags, environment, TimeSpan.FromMinutes(30));
                var ready = clock.Elapsed.TotalSeconds;
                await MeasureAsync(cluster, name, serialized, etcdRange, ready);
                if (Watchers > 0 && !_watched)
                {
                    _watched = true;
                    await WatchersAsync(cluster, name);
                }
            }
        }
        catch (Exception e)
        {
            Console.WriteLine(e);
            _md.AppendLine();
            _md.AppendLine(CultureInfo.InvariantCulture, $"The run stopped here: {e.GetType().Name}: {e.Message}");
        }

        if (_watchRow is not null)
        {
            _md.AppendLine();
            _md.AppendLine(_watchRow);
        }

        _md.AppendLine();
        _md.AppendLine(CultureInfo.InvariantCulture, $"etcd's database file at the end: {EtcdDatabaseBytes(cluster.Etcd) / 1e6:0} MB.");
        _md.AppendLine();
        _md.AppendLine(CultureInfo.InvariantCulture, $"Load average after: `{ProcStats.LoadAverage()}`.");
        var previous = File.Exists(output) ? await File.ReadAllTextAsync(output) : "";
        await File.WriteAllTextAsync(output, previous + _md + "\n");
        Console.WriteLine($"wrote {output}");
    }

    private async Task MeasureAsync(Cluster cluster, string name, long serialized, double etcdRange, double ready)
    {
        var pid = cluster.ServerPid;
        await Task.Delay(TimeSpan.FromSeconds(3));
        if (PauseAfterFill > TimeSpan.Zero)
        {
            Console.WriteLine($"server pid {pid} filled ({name}); pausing {PauseAfterFill.TotalSeconds:0} s");
            await Task.Delay(PauseAfterFill);
        }

        var rss = ProcStats.ResidentBytes(pid);
        var afterFill = await MetricsAsync(cluster.Http);
        var fill = afterFill.FillSeconds;

        var selector = await TimeAsync(cluster.Http, $"/api/v1/{Resource}?labelSelector=app%3Da7,tier%3Dt3");
        var paged = Stopwatch.StartNew();
        var pages = 0;
        string? token = null;
        do
        {
            using var response = await cluster.Http.GetAsync($"/api/v1/{Resource}?limit=500" + (token is null ? "" : "&continue=" + Uri.EscapeDataString(token)));
            token = ContinueOf(await response.Content.ReadAsStringAsync());
            pages++;
        }
        while (token is not null && pages < 10);
        var perPage = paged.Elapsed.TotalMilliseconds / pages;

        var before = await MetricsAsync(cluster.Http);
        var full = await TimeAsync(cluster.Http, $"/api/v1/{Resource}?resourceVersion=0");
        var after = await MetricsAsync(cluster.Http);
        var allocated = (after.Allocated - before.Allocated) / (double)full.Bytes;

        // 5 readers that take their time (about 20 s each): the peak RSS over the one before them. What
        // they allocate and whether a GC ran meanwhile tell garbage not yet collected (a gen0 budget
        // being filled) from memory the readers hold.
        var beforeReaders = await MetricsAsync(cluster.Http);
        var baseline = ProcStats.ResidentBytes(pid);
        var peak = baseline;
        using var stopSampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stopSampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, ProcStats.ResidentBytes(pid));
                await Task.Delay(50);
            }
        });
        await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => SlowReadAsync(cluster, $"/api/v1/{Resource}?resourceVersion=0", full.Bytes / 20)));
        await stopSampling.CancelAsync();
        await sampler;
        var afterReaders = await MetricsAsync(cluster.Http);
        // What the readers leave behind once they are done (memory the GC keeps committed), after a
        // moment for a background collection.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var rssAfterReaders = ProcStats.ResidentBytes(pid);

        // Throughput with this GC setting and the cache full: pod creates against etcd's own create
        // Txns, interleaved (the main bench's row 1 operations), after an unmeasured warm-up of both
        // sides as the main bench has (the server's JIT otherwise lands in the first slices).
        var workloads = new Workloads(cluster, RowSettings, new Report());
        var creates = new List<string>();
        if (CreateConcurrency.Length > 0)
        {
            var warmUp = TimeSpan.FromSeconds(2);
            await Load.RunAsync(cluster, 8, warmUp, (worker, n) => workloads.CreatePodAsync($"warm-{pid}-{worker}-{n}", 1024));
            await Load.RunAsync(cluster, 8, warmUp, (worker, n) => workloads.CreateRawPodAsync($"warm-{pid}-{worker}-{n}", 1024));
        }

        foreach (var concurrency in CreateConcurrency)
        {
            var (server, etcd) = await Load.CompareAsync(cluster, concurrency, RowSettings.Duration, RowSettings.Slices, workloads.SettleAsync,
                (worker, n) => workloads.CreatePodAsync($"gc-{pid}-c{concurrency}-{worker}-{n}", 1024),
                (worker, n) => workloads.CreateRawPodAsync($"gc-{pid}-c{concurrency}-{worker}-{n}", 1024));
            creates.Add(string.Create(CultureInfo.InvariantCulture, $" {server.OpsPerSecond:0} ({server.OpsPerSecond / etcd.OpsPerSecond:0.00}x){(server.Errors > 0 ? $", {server.Errors} errors" : "")} |"));
        }

        var rssAfterCreates = ProcStats.ResidentBytes(pid);

        var row = string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {etcdRange:0.00} | {ready:0.0} | {fill:0.00} | {etcdRange / fill:0.00}x | {rss / 1e6:0} | {rss / (double)serialized:0.0}x | {afterFill.Heap / 1e6:0} | {selector.Seconds * 1000:0} ({selector.Items} items) | {perPage:0} | {full.Seconds:0.00} ({full.Bytes / 1e6:0.0} MB) | {allocated:0.000} | +{(peak - baseline) / 1e6:0} MB = {(peak - baseline) / (double)full.Bytes * 100:0}% | {(afterReaders.Allocated - beforeReaders.Allocated) / 1e6:0} ({afterReaders.Gen0Collections - beforeReaders.Gen0Collections}) | {rssAfterReaders / 1e6:0} |{string.Concat(creates)} {rssAfterCreates / 1e6:0} | {ProcStats.ResidentBytes(cluster.EtcdPid) / 1e6:0} |");
        Console.WriteLine(row);
        _md.AppendLine(row);
    }

    private bool _watched;
    private string? _watchRow;

    /// <summary>
    /// Issue 19's watch row at scale: <see cref="Watchers"/> watchers of one namespace's ConfigMaps
    /// while 100 ConfigMaps a second are created there, every event's latency from the write's answer
    /// to each watcher, next to as many etcd watch streams of a raw prefix at the same rate.
    /// </summary>
    private async Task WatchersAsync(Cluster cluster, string gc)
    {
        var workloads = new Workloads(cluster, RowSettings, new Report());
        var server = await workloads.ServerFanOutAsync(Watchers, 100);
        var etcd = await workloads.EtcdFanOutAsync(Watchers, 100);
        _watchRow = string.Create(CultureInfo.InvariantCulture,
            $"Watch fan-out with the cache full ({objects:N0} objects, {gc}): {Watchers:N0} watchers, 100 writes/s for {RowSettings.Duration.TotalSeconds:0} s: server p50 {server.P50Ms:0.0} ms, p99 {server.P99Ms:0.0} ms, {server.Errors} errors, server CPU {server.ServerCpu:0.0} s; etcd watch streams p50 {etcd.P50Ms:0.0} ms, p99 {etcd.P99Ms:0.0} ms.");
        Console.WriteLine(_watchRow);
    }

    private static long EtcdDatabaseBytes(EtcdProcess etcd) =>
        new FileInfo(Path.Combine(etcd.DataDirectory, "member", "snap", "db")) is { Exists: true } db ? db.Length : 0;

    private async Task<long> SeedAsync(EtcdClient client)
    {
        long bytes = 0;
        var next = -PutsPerTxn;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, TxnsInFlight).Select(async _ =>
        {
            while (true)
            {
                var from = Interlocked.Add(ref next, PutsPerTxn);
                if (from >= objects)
                {
                    return;
                }

                if (from % 100_000 < PutsPerTxn && from > 0)
                {
                    Console.WriteLine($"seeding: {from:N0} of {objects:N0} after {clock.Elapsed.TotalSeconds:0} s");
                }

                var txn = new TxnRequest();
                for (var i = from; i < Math.Min(objects, from + PutsPerTxn); i++)
                {
                    var value = ByteString.CopyFromUtf8(Value(i));
                    Interlocked.Add(ref bytes, value.Length);
                    txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8(Key(i)), Value = value } });
                }

                await client.TxnAsync(txn);
            }
        }));

        // The namespaces too, as a cluster would have them (and the create and watch rows' own two).
        var names = Enumerable.Range(0, Namespaces).Select(i => $"ns-{i:D4}").Concat(["bench", "watch"]).ToArray();
        for (var n = 0; n < names.Length; n += 100)
        {
            var txn = new TxnRequest();
            for (var i = n; i < Math.Min(names.Length, n + 100); i++)
            {
                var name = names[i];
                txn.Success.Add(new RequestOp
                {
                    RequestPut = new PutRequest
                    {
                        Key = ByteString.CopyFromUtf8($"/registry/namespaces/{name}"),
                        Value = ByteString.CopyFromUtf8($$$"""{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"{{{name}}}","uid":"{{{Guid.NewGuid()}}}","creationTimestamp":"2026-12-01T00:00:00Z","labels":{"kubernetes.io/metadata.name":"{{{name}}}"}},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}"""),
                    },
                });
            }

            await client.TxnAsync(txn);
        }

        return bytes;
    }

    private async Task<double> EtcdRangeAsync(EtcdClient client)
    {
        var prefix = Encoding.UTF8.GetBytes($"/registry/{Resource}/");
        var end = EtcdKeys.PrefixEnd(prefix);
        var clock = Stopwatch.StartNew();
        var key = ByteString.CopyFrom(prefix);
        long revision = 0;
        var seen = 0;
        while (true)
        {
            var page = await client.RangeAsync(new RangeRequest { Key = key, RangeEnd = end, Limit = PageSize, Revision = revision });
            revision = page.Header.Revision;
            seen += page.Kvs.Count;
            if (!page.More || page.Kvs.Count == 0)
            {
                break;
            }

            key = ByteString.CopyFrom([.. page.Kvs[^1].Key.Span, 0]);
        }

        // At least the seeded objects: the watch row adds its own ConfigMaps under the same prefix.
        if (seen < objects)
        {
            throw new InvalidOperationException($"etcd returned {seen} of {objects}");
        }

        return clock.Elapsed.TotalSeconds;
    }

    private static async Task<(double Seconds, long Bytes, int Items)> TimeAsync(HttpClient http, string path)
    {
        var clock = Stopwatch.StartNew();
        using var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        // Counted as it streams: the bench must not hold a 500 MB body either.
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64 * 1024];
        long bytes = 0;
        var items = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            bytes += read;
            items += CountOf(buffer.AsSpan(0, read), "\"uid\":"u8);
        }

        return (clock.Elapsed.TotalSeconds, bytes, items);
    }

    private static int CountOf(ReadOnlySpan<byte> text, ReadOnlySpan<byte> what)
    {
        var count = 0;
        int at;
        while ((at = text.IndexOf(what)) >= 0)
        {
            count++;
            text = text[(at + what.Length)..];
        }

        return count;
    }

    /// <summary>Reads <paramref name="path"/> at about <paramref name="bytesPerSecond"/>.</summary>
    private static async Task SlowReadAsync(Cluster cluster, string path, long bytesPerSecond)
    {
        using var response = await cluster.Http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[16 * 1024];
        var clock = Stopwatch.StartNew();
        long bytes = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            bytes += read;
            var due = TimeSpan.FromSeconds(bytes / (double)bytesPerSecond) - clock.Elapsed;
            if (due > TimeSpan.FromMilliseconds(20))
            {
                await Task.Delay(due);
            }
        }
    }

    private static string? ContinueOf(string list)
    {
        const string marker = "\"continue\":\"";
        var at = list.IndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? null : list[(at + marker.Length)..list.IndexOf('"', at + marker.Length)];
    }

    /// <summary>What the server's /metrics says of its allocations, GC heap, gen0 collections and watch cache fill.</summary>
    private static async Task<(long Allocated, long Heap, double FillSeconds, long Gen0Collections)> MetricsAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/metrics");
        response.EnsureSuccessStatusCode();
        long allocated = 0, heap = 0, gen0 = 0;
        double fill = 0;
        foreach (var line in (await response.Content.ReadAsStringAsync()).Split('\n'))
        {
            var parts = line.Split(' ');
            if (parts.Length != 2 || line.StartsWith('#'))
            {
                continue;
            }

            var value = double.Parse(parts[1], CultureInfo.InvariantCulture);
            switch (parts[0])
            {
                case "dotnet_gc_allocated_bytes_total":
                    allocated = (long)value;
                    break;
                case "dotnet_gc_heap_size_bytes":
                    heap = (long)value;
                    break;
                case "watch_cache_initial_fill_seconds":
                    fill = value;
                    break;
                case "dotnet_gc_collections_total{generation=\"0\"}":
                    gen0 = (long)value;
                    break;
            }
        }

        return (allocated, heap, fill, gen0);
    }
}
