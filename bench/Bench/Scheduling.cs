using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;

namespace Bench;

/// <summary>What one scheduling run measured (issue 17's row).</summary>
internal sealed record SchedulingResult(
    int Nodes, int Pods, string SchedulerQps, double BaselineCreatesPerSecond, double FlowCreateSeconds,
    double AllBoundSeconds, double AllRunningSeconds, double BindsPerSecond, double BindWindowPerSecond,
    double ServerCpu, double SchedulerCpu, double NodesCpu, double EtcdCpu, double NodesReadySeconds, string Build = "")
{
    public double Ratio => BindsPerSecond / BaselineCreatesPerSecond;
}

/// <summary>
/// Issue 17's scheduling row: a fresh cluster (etcd, the server with --authorization-mode=Node,RBAC
/// as run.sh starts it), N simulated nodes (one process, each node under its own system:node
/// certificate) and the scheduler (system:kube-scheduler) as separate processes; then P pods are
/// created at once (32 clients) and a watch times when each is bound and when each is Running. The
/// yardstick is the server's own pod create rate in the same cluster just before (the same pods with
/// a schedulerName nobody serves, so they stay unbound): binds per second (P / time until all are
/// bound, from the first create) should be at least half of it.
/// </summary>
internal static class Scheduling
{
    private const int Concurrency = 32;

    /// <param name="build">"" for the scheduler built beside the bench, or label=path/Scheduler.dll for another build (before/after rows).</param>
    public static async Task<SchedulingResult> RunAsync(int nodes, int pods, string schedulerQps, string build = "")
    {
        var (label, schedulerDll) = build.Split('=', 2) is [var l, var d] ? (l, Path.GetFullPath(d)) : ("", null);
        var nodesReadyClock = Stopwatch.StartNew();
        await using var cluster = await Cluster.StartAsync(["--authorization-mode=Node,RBAC"]);
        var work = cluster.WorkDirectory;
        var ca = cluster.Pki.CaCertificatePath;
        var server = cluster.Http.BaseAddress!.ToString().TrimEnd('/');

        var scheduler = cluster.Pki.IssueClientCertificate("kube-scheduler", "system:kube-scheduler");
        var certDir = Path.Combine(work, "nodes");
        Directory.CreateDirectory(certDir);
        var names = Enumerable.Range(1, nodes).Select(i => $"node-{i}").ToList();
        foreach (var name in names)
        {
            var issued = cluster.Pki.IssueClientCertificate("node-" + name, "system:node:" + name, "system:nodes");
            File.Copy(issued.CertificatePath, Path.Combine(certDir, name + ".crt"));
            File.Copy(issued.KeyPath, Path.Combine(certDir, name + ".key"));
        }

        var qps = schedulerQps.Split('/');
        await using var simulator = Component.Start("NodeSimulator", work,
        [
            $"--kubeconfig={Kubeconfig(work, "nodes", server, ca, Path.Combine(certDir, names[0] + ".crt"), Path.Combine(certDir, names[0] + ".key"))}",
            $"--node-cert-dir={certDir}", $"--nodes={nodes}", $"--port={TestSupport.FreePort.Next()}",
            "--pod-cidr=10.0.0.0/8", "--max-pods=110",
        ]);
        await WaitForNodesReadyAsync(cluster, nodes, simulator);
        var nodesReady = nodesReadyClock.Elapsed.TotalSeconds;
        await using var schedulerProcess = Component.Start("Scheduler", work,
        [
            $"--kubeconfig={Kubeconfig(work, "scheduler", server, ca, scheduler.CertificatePath, scheduler.KeyPath)}",
            "--secure-port=0", "--leader-elect=false", $"--kube-api-qps={qps[0]}", $"--kube-api-burst={qps[1]}",
        ], schedulerDll);

        foreach (var ns in new[] { "baseline", "flow" })
        {
            using var made = await cluster.Http.PostAsync("/api/v1/namespaces", Json($"{{\"metadata\":{{\"name\":\"{ns}\"}}}}"));
            made.EnsureSuccessStatusCode();
        }

        // Warm the server's pod create path (JIT, admission caches) with unscheduled pods, then
        // measure its create rate with as many again.
        await CreatePodsAsync(cluster, "baseline", "warm", Math.Min(pods, 300), "nobody");
        var baselineClock = Stopwatch.StartNew();
        await CreatePodsAsync(cluster, "baseline", "p", pods, "nobody");
        var baseline = pods / baselineClock.Elapsed.TotalSeconds;

        var times = new PodTimes();
        var (bound, running) = (times.Bound, times.Running);
        using var stopWatching = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var watching = times.WatchAsync(cluster, "flow", clock, stopWatching.Token);
        await Task.Delay(500);

        var cpuBefore = Cpu(cluster, schedulerProcess, simulator);
        var start = clock.Elapsed.TotalSeconds;
        await CreatePodsAsync(cluster, "flow", "p", pods, "default-scheduler");
        var created = clock.Elapsed.TotalSeconds - start;
        var deadline = DateTime.UtcNow.AddMinutes(15);
        while (running.Count < pods && DateTime.UtcNow < deadline && !watching.IsCompleted && !simulator.HasExited && !schedulerProcess.HasExited)
        {
            await Task.Delay(100);
        }

        var cpuAfter = Cpu(cluster, schedulerProcess, simulator);
        await stopWatching.CancelAsync();
        await watching.ContinueWith(_ => { }, TaskScheduler.Default);
        if (running.Count < pods)
        {
            throw new InvalidOperationException($"{bound.Count}/{pods} bound, {running.Count}/{pods} Running before the deadline; logs in {work}");
        }

        var binds = bound.Values.Order().ToArray();
        var allBound = binds[^1] - start;
        return new SchedulingResult(
            nodes, pods, schedulerQps, baseline, created, allBound, running.Values.Max() - start,
            pods / allBound, (pods - 1) / Math.Max(1e-3, binds[^1] - binds[0]),
            cpuAfter.Server - cpuBefore.Server, cpuAfter.Scheduler - cpuBefore.Scheduler, cpuAfter.Nodes - cpuBefore.Nodes,
            cpuAfter.Etcd - cpuBefore.Etcd, nodesReady, label);
    }

    public static void Print(SchedulingResult r) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"scheduling: {r.Pods} pods onto {r.Nodes} nodes (scheduler {r.Build} qps/burst {r.SchedulerQps}): server creates {r.BaselineCreatesPerSecond:0}/s; "
        + $"flow created in {r.FlowCreateSeconds:0.0} s, all bound {r.AllBoundSeconds:0.0} s, all Running {r.AllRunningSeconds:0.0} s; "
        + $"binds {r.BindsPerSecond:0}/s ({r.Ratio:0.00}x creates; first->last bind {r.BindWindowPerSecond:0}/s); "
        + $"CPU s server {r.ServerCpu:0.0} scheduler {r.SchedulerCpu:0.0} nodes {r.NodesCpu:0.0} etcd {r.EtcdCpu:0.0}; nodes Ready after {r.NodesReadySeconds:0} s"));

    public static string Markdown(IEnumerable<SchedulingResult> results)
    {
        var md = new StringBuilder();
        md.AppendLine("| nodes | pods | scheduler qps/burst | server creates/s | all bound s | all Running s | binds/s | binds / creates | target | CPU s server / scheduler / nodes / etcd |");
        md.AppendLine("|---:|---:|---|---:|---:|---:|---:|---:|---|---|");
        foreach (var r in results)
        {
            md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Nodes:N0} | {r.Pods:N0} | {(r.Build.Length > 0 ? r.Build + " " : "")}{r.SchedulerQps} | {r.BaselineCreatesPerSecond:0} | {r.AllBoundSeconds:0.0} | {r.AllRunningSeconds:0.0} | {r.BindsPerSecond:0} | {r.Ratio:0.00}x | >= 0.5x {(r.Ratio >= 0.5 ? "met" : "MISSED")} | {r.ServerCpu:0.0} / {r.SchedulerCpu:0.0} / {r.NodesCpu:0.0} / {r.EtcdCpu:0.0} |"));
        }

        return md.ToString();
    }

    internal static async Task CreatePodsAsync(Cluster cluster, string ns, string prefix, int count, string schedulerName)
    {
        var next = -1;
        var failures = 0;
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                using var response = await cluster.Http.PostAsync($"/api/v1/namespaces/{ns}/pods", Json(Pod(ns, $"{prefix}-{i}", schedulerName)));
                if (response.StatusCode != HttpStatusCode.Created && Interlocked.Increment(ref failures) == 1)
                {
                    Console.Error.WriteLine($"create {ns}/{prefix}-{i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }
        }));
        if (failures > 0)
        {
            throw new InvalidOperationException($"{failures} of {count} pod creates failed");
        }
    }

    /// <summary>A small pod as `kubectl run` makes, with requests so the resource plugins have work.</summary>
    private static string Pod(string ns, string name, string schedulerName) =>
        $"{{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{{\"name\":\"{name}\",\"namespace\":\"{ns}\",\"labels\":{{\"run\":\"{name}\",\"app\":\"bench\"}}}},"
        + $"\"spec\":{{\"schedulerName\":\"{schedulerName}\",\"containers\":[{{\"name\":\"app\",\"image\":\"registry.k8s.io/pause:3.10\","
        + "\"resources\":{\"requests\":{\"cpu\":\"100m\",\"memory\":\"64Mi\"}}}]}}";

    internal static async Task WaitForNodesReadyAsync(Cluster cluster, int nodes, Component simulator)
    {
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while (true)
        {
            using var response = await cluster.Http.GetAsync("/api/v1/nodes");
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var ready = doc.RootElement.GetProperty("items").EnumerateArray().Count(n =>
                n.TryGetProperty("status", out var s) && s.TryGetProperty("conditions", out var c)
                && c.EnumerateArray().Any(x => x.GetProperty("type").GetString() == "Ready" && x.GetProperty("status").GetString() == "True"));
            if (ready == nodes)
            {
                return;
            }

            if (DateTime.UtcNow > deadline || simulator.HasExited)
            {
                throw new InvalidOperationException($"{ready}/{nodes} nodes Ready; see {simulator.LogPath}");
            }

            await Task.Delay(500);
        }
    }

    private static (double Server, double Scheduler, double Nodes, double Etcd) Cpu(Cluster cluster, Component scheduler, Component simulator) =>
        (ProcStats.CpuSeconds(cluster.ServerPid), scheduler.CpuSeconds, simulator.CpuSeconds, ProcStats.CpuSeconds(cluster.EtcdPid));

    internal static string Kubeconfig(string work, string name, string server, string ca, string cert, string key)
    {
        var path = Path.Combine(work, name + ".kubeconfig");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: bench
              cluster: {"{"}server: "{server}", certificate-authority: "{ca}"{"}"}
            users:
            - name: {name}
              user: {"{"}client-certificate: "{cert}", client-key: "{key}"{"}"}
            contexts:
            - name: bench
              context: {"{"}cluster: bench, user: {name}{"}"}
            current-context: bench
            """);
        return path;
    }

    internal static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <summary>A component program (built in Release beside the server) as a child process, its output in a log file.</summary>
    internal sealed class Component : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StreamWriter _log;

        private Component(Process process, StreamWriter log, string logPath)
        {
            _process = process;
            _log = log;
            LogPath = logPath;
        }

        public string LogPath { get; }

        public bool HasExited => _process.HasExited;

        public double CpuSeconds => ProcStats.CpuSeconds(_process.Id);

        public static Component Start(string project, string work, IEnumerable<string> args, string? dll = null)
        {
            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(dll ?? Path.Combine(Cluster.RepoRoot(), "src", project, "bin", "Release", "net10.0", project + ".dll"));
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            var logPath = Path.Combine(work, project + ".log");
            var log = new StreamWriter(logPath) { AutoFlush = true };
            var process = Process.Start(start) ?? throw new InvalidOperationException($"{project} did not start");
            process.OutputDataReceived += (_, e) => { lock (log) { log.WriteLine(e.Data); } };
            process.ErrorDataReceived += (_, e) => { lock (log) { log.WriteLine(e.Data); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return new Component(process, log, logPath);
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
            lock (_log)
            {
                _log.Dispose();
            }
        }
    }
}
