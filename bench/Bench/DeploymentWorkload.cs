using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using System.Text;
using System.Text.Json.Nodes;

namespace Bench;

/// <summary>What one deployment run measured (issue 18's row).</summary>
internal sealed record DeploymentResult(
    int Nodes, int Replicas, string ControllerManagerQps, string Build, double BaselineCreatesPerSecond,
    double AloneSeconds, double AllExistSeconds, double AllRunningSeconds, double RolloutSeconds, double RolloutAllRunningSeconds,
    double ServerCpu, double ControllerManagerCpu, double SchedulerCpu, double NodesCpu, double EtcdCpu)
{
    /// <summary>Pods made by the controller manager per second, from the Deployment's create until all exist.</summary>
    public double CreatesPerSecond => Replicas / AllExistSeconds;

    public double Ratio => CreatesPerSecond / BaselineCreatesPerSecond;

    /// <summary>Pods per second of the same Deployment for no scheduler (the server doing per pod what it did for the baseline).</summary>
    public double AloneCreatesPerSecond => Replicas / AloneSeconds;

    public double AloneRatio => AloneCreatesPerSecond / BaselineCreatesPerSecond;
}

/// <summary>
/// Issue 18's row (bench --only deployment [--nodes 100] [--replicas 1000] [--kcm-qps 20/30,1000/1000]):
/// in a fresh cluster with N simulated nodes, the scheduler (qps 5000, out of the way) and the controller
/// manager as separate processes, one Deployment of R replicas is created; a watch times when each pod
/// exists and when each is Running; then its template changes and the default rolling update (25%/25%)
/// is timed until the Deployment reports R updated, available replicas and no old ones. The yardstick is
/// the server's own create rate of the same pods in the same cluster just before (32 clients): the
/// controller manager's pods per second (R / time until all exist) should be at least half of it. It is
/// taken twice: "alone", a first Deployment of the same pods for no scheduler, so that the server does per
/// pod what it did for the yardstick and the ratio is the controller manager's own; and "flow", the
/// Deployment that is scheduled and run, while the server also serves the bindings and the nodes. A
/// Deployment of 100 such pods warms the controller manager up first, as 300 creates warm the server. One
/// run per controller manager --kube-api-qps/--kube-api-burst (kube's default is 20/30). Writes its own
/// report (/tmp/deployment-bench.md unless --out). With <c>--kcm-dll before=/tmp/old/ControllerManager.dll,after=...</c>
/// each row is run once per controller manager build, alternating, for before/after rows from one run;
/// <c>--kcm-arg --v=4</c> (repeatable) passes a flag on to the controller manager.
/// </summary>
internal static class DeploymentWorkload
{
    public static async Task RunAsync(string[] args, string output)
    {
        string Arg(string name, string fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        var nodes = int.Parse(Arg("--nodes", "100"), CultureInfo.InvariantCulture);
        var replicas = int.Parse(Arg("--replicas", "1000"), CultureInfo.InvariantCulture);
        var load = ProcStats.LoadAverage();
        var extra = args.Select((a, i) => (a, i)).Where(p => p.a == "--kcm-arg" && p.i + 1 < args.Length).Select(p => args[p.i + 1]).ToList();
        var results = new List<DeploymentResult>();
        foreach (var qps in Arg("--kcm-qps", "20/30,1000/1000").Split(','))
        {
            foreach (var build in Arg("--kcm-dll", "").Split(','))
            {
                var result = await RunOnceAsync(nodes, replicas, qps, build, extra);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"deployment: {replicas} replicas on {nodes} nodes (kcm {(result.Build.Length > 0 ? result.Build + " " : "")}qps/burst {qps}): server creates {result.BaselineCreatesPerSecond:0}/s; "
                    + $"alone {result.AloneSeconds:0.0} s ({result.AloneCreatesPerSecond:0}/s, {result.AloneRatio:0.00}x); in the flow all exist {result.AllExistSeconds:0.0} s "
                    + $"({result.CreatesPerSecond:0}/s, {result.Ratio:0.00}x), all Running {result.AllRunningSeconds:0.0} s, rolling update {result.RolloutSeconds:0.0} s "
                    + $"(new pods all Running {result.RolloutAllRunningSeconds:0.0} s); CPU s server {result.ServerCpu:0.0} kcm {result.ControllerManagerCpu:0.0} scheduler {result.SchedulerCpu:0.0} nodes {result.NodesCpu:0.0} etcd {result.EtcdCpu:0.0}"));
                results.Add(result);
            }
        }

        var md = new StringBuilder();
        md.AppendLine("## Deployment (issue 18)");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- {Environment.ProcessorCount} cores; load average before `{load}`, after `{ProcStats.LoadAverage()}`.");
        md.AppendLine();
        md.AppendLine("| nodes | replicas | kcm qps/burst | server creates/s | alone: all exist s | alone: kcm / server | flow: all exist s | flow: kcm creates/s | flow: kcm / server | target 0.5x alone / flow | all Running s | rolling update s | CPU s server / kcm / scheduler / nodes / etcd (flow) |");
        md.AppendLine("|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---|");
        foreach (var r in results)
        {
            md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Nodes:N0} | {r.Replicas:N0} | {(r.Build.Length > 0 ? r.Build + " " : "")}{r.ControllerManagerQps} | {r.BaselineCreatesPerSecond:0} | {r.AloneSeconds:0.0} | {r.AloneRatio:0.00}x | {r.AllExistSeconds:0.0} | {r.CreatesPerSecond:0} | {r.Ratio:0.00}x | {(r.AloneRatio >= 0.5 ? "met" : "MISSED")} / {(r.Ratio >= 0.5 ? "met" : "MISSED")} | {r.AllRunningSeconds:0.0} | {r.RolloutSeconds:0.0} | {r.ServerCpu:0.0} / {r.ControllerManagerCpu:0.0} / {r.SchedulerCpu:0.0} / {r.NodesCpu:0.0} / {r.EtcdCpu:0.0} |"));
        }

        await File.WriteAllTextAsync(output, md.ToString());
        Console.WriteLine($"wrote {output}");
    }

    private static async Task<DeploymentResult> RunOnceAsync(int nodes, int replicas, string kcmQps, string build, IReadOnlyList<string> extraArgs)
    {
        var (label, kcmDll) = build.Split('=', 2) is [var l, var d] ? (l, Path.GetFullPath(d)) : ("", null);
        // Service account tokens (TokenRequest) for the controllers' own credentials, as run.sh's server has them.
        var keys = Path.Combine(Path.GetTempPath(), $"bench-sa-{Guid.NewGuid():N}");
        Directory.CreateDirectory(keys);
        using (var rsa = System.Security.Cryptography.RSA.Create(2048))
        {
            await File.WriteAllTextAsync(Path.Combine(keys, "sa.key"), rsa.ExportPkcs8PrivateKeyPem());
            await File.WriteAllTextAsync(Path.Combine(keys, "sa.pub"), rsa.ExportSubjectPublicKeyInfoPem());
        }

        await using var cluster = await Cluster.StartAsync(["--authorization-mode=Node,RBAC", "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            $"--service-account-key-file={Path.Combine(keys, "sa.pub")}", $"--service-account-signing-key-file={Path.Combine(keys, "sa.key")}"]);
        var work = cluster.WorkDirectory;
        var ca = cluster.Pki.CaCertificatePath;
        var server = cluster.Http.BaseAddress!.ToString().TrimEnd('/');
        var certDir = Path.Combine(work, "nodes");
        Directory.CreateDirectory(certDir);
        var names = Enumerable.Range(1, nodes).Select(i => $"node-{i}").ToList();
        foreach (var name in names)
        {
            var issued = cluster.Pki.IssueClientCertificate("node-" + name, "system:node:" + name, "system:nodes");
            File.Copy(issued.CertificatePath, Path.Combine(certDir, name + ".crt"));
            File.Copy(issued.KeyPath, Path.Combine(certDir, name + ".key"));
        }

        await using var simulator = Scheduling.Component.Start("NodeSimulator", work,
        [
            $"--kubeconfig={Scheduling.Kubeconfig(work, "nodes", server, ca, Path.Combine(certDir, names[0] + ".crt"), Path.Combine(certDir, names[0] + ".key"))}",
            $"--node-cert-dir={certDir}", $"--nodes={nodes}", $"--port={TestSupport.FreePort.Next()}",
            "--pod-cidr=10.0.0.0/8", "--max-pods=110",
        ]);
        await Scheduling.WaitForNodesReadyAsync(cluster, nodes, simulator);
        var schedulerCert = cluster.Pki.IssueClientCertificate("kube-scheduler", "system:kube-scheduler");
        await using var scheduler = Scheduling.Component.Start("Scheduler", work,
        [
            $"--kubeconfig={Scheduling.Kubeconfig(work, "scheduler", server, ca, schedulerCert.CertificatePath, schedulerCert.KeyPath)}",
            "--secure-port=0", "--leader-elect=false", "--kube-api-qps=5000", "--kube-api-burst=5000",
        ]);
        var kcmCert = cluster.Pki.IssueClientCertificate("kube-controller-manager", "system:kube-controller-manager");
        var qps = kcmQps.Split('/');
        await using var controllerManager = Scheduling.Component.Start("ControllerManager", work,
        [
            $"--kubeconfig={Scheduling.Kubeconfig(work, "controller-manager", server, ca, kcmCert.CertificatePath, kcmCert.KeyPath)}",
            // As run.sh and kubeadm run it: each controller under its own service account (system:kube-controller-manager
            // alone may not write most objects).
            "--secure-port=0", "--leader-elect=false", "--controllers=*", "--use-service-account-credentials=true",
            $"--root-ca-file={ca}", $"--kube-api-qps={qps[0]}", $"--kube-api-burst={qps[1]}", .. extraArgs,
        ], kcmDll);

        foreach (var ns in new[] { "baseline", "warm", "solo", "flow" })
        {
            using var made = await cluster.Http.PostAsync("/api/v1/namespaces", Scheduling.Json($"{{\"metadata\":{{\"name\":\"{ns}\"}}}}"));
            made.EnsureSuccessStatusCode();
        }

        // The server's own rate for the same pods (never scheduled), after a warm-up.
        await Scheduling.CreatePodsAsync(cluster, "baseline", "warm", Math.Min(replicas, 300), "nobody");
        var baselineClock = Stopwatch.StartNew();
        await Scheduling.CreatePodsAsync(cluster, "baseline", "p", replicas, "nobody");
        var baseline = replicas / baselineClock.Elapsed.TotalSeconds;

        using var stopWatching = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();

        // The controller manager alone against that yardstick: a Deployment of the same pods for no scheduler
        // (schedulerName "nobody", as the baseline's), so the server does per pod what it did for the baseline
        // (one create, its watch events) and nothing for the scheduler or the nodes. Its pods stay.
        // Warmed up as the server was: a first small Deployment takes the controllers' first requests (their
        // service account tokens, the JIT) out of the measured rows; how long its first pod took is printed.
        var warm = new PodTimes();
        var warmWatching = warm.WatchAsync(cluster, "warm", clock, stopWatching.Token);
        await Task.Delay(500);
        var warmStart = clock.Elapsed.TotalSeconds;
        using (var created = await cluster.Http.PostAsync("/apis/apps/v1/namespaces/warm/deployments", Scheduling.Json(Deployment("warm", 100, "v1", "nobody"))))
        {
            created.EnsureSuccessStatusCode();
        }

        await WaitAsync(() => warm.Seen.Count >= 100, "the warm-up Deployment's pods", warmWatching, controllerManager, scheduler, simulator, work);
        Console.WriteLine($"deployment: warm-up (100 pods, a controller manager that has done nothing yet), pods exist: {Timeline([.. warm.Seen.Values.Order()], warmStart)}");

        var solo = new PodTimes();
        var soloExists = solo.Seen;
        var soloWatching = solo.WatchAsync(cluster, "solo", clock, stopWatching.Token);
        await Task.Delay(500);
        var soloStart = clock.Elapsed.TotalSeconds;
        using (var created = await cluster.Http.PostAsync("/apis/apps/v1/namespaces/solo/deployments", Scheduling.Json(Deployment("solo", replicas, "v1", "nobody"))))
        {
            created.EnsureSuccessStatusCode();
        }

        await WaitAsync(() => soloExists.Count >= replicas, "the solo Deployment's pods", soloWatching, controllerManager, scheduler, simulator, work);
        var soloTimes = soloExists.Values.Order().ToArray();
        var soloSeconds = soloTimes[^1] - soloStart;
        Console.WriteLine($"deployment: alone, pods exist (s after the Deployment's create): {Timeline(soloTimes, soloStart)}");

        var times = new PodTimes();
        var (exists, running) = (times.Seen, times.Running);
        var watching = times.WatchAsync(cluster, "flow", clock, stopWatching.Token);
        await Task.Delay(500);
        var cpuBefore = Cpu(cluster, controllerManager, scheduler, simulator);

        var start = clock.Elapsed.TotalSeconds;
        using (var created = await cluster.Http.PostAsync("/apis/apps/v1/namespaces/flow/deployments", Scheduling.Json(Deployment("flow", replicas, "v1", null))))
        {
            created.EnsureSuccessStatusCode();
        }

        await WaitAsync(() => running.Count >= replicas, "all pods Running", watching, controllerManager, scheduler, simulator, work);
        var firstPods = exists.Values.Order().Take(replicas).ToArray();
        var allExist = firstPods[^1] - start;
        Console.WriteLine($"deployment: pods exist (s after the Deployment's create): {Timeline(firstPods, start)}");
        var allRunning = running.Values.Order().Take(replicas).Last() - start;

        // The rolling update: a new template (default RollingUpdate 25% surge, 25% unavailable).
        var rolloutStart = clock.Elapsed.TotalSeconds;
        var before = running.Count;
        using (var patch = new HttpRequestMessage(HttpMethod.Patch, "/apis/apps/v1/namespaces/flow/deployments/web")
        {
            Content = new StringContent("""{"spec":{"template":{"metadata":{"annotations":{"bench/version":"v2"}}}}}""", Encoding.UTF8, "application/strategic-merge-patch+json"),
        })
        {
            using var patched = await cluster.Http.SendAsync(patch);
            patched.EnsureSuccessStatusCode();
        }

        await WaitAsync(() => running.Count >= before + replicas, "the new pods Running", watching, controllerManager, scheduler, simulator, work);
        var rolloutRunning = running.Values.Order().Last() - rolloutStart;
        await WaitAsync(() => RolledOut(cluster, replicas), "the Deployment rolled out", watching, controllerManager, scheduler, simulator, work);
        var rollout = clock.Elapsed.TotalSeconds - rolloutStart;
        var cpuAfter = Cpu(cluster, controllerManager, scheduler, simulator);
        await stopWatching.CancelAsync();
        await watching.ContinueWith(_ => { }, TaskScheduler.Default);
        // The cluster's directory goes with it; the controller manager's log stays for reading (--kcm-arg --v=4 for sync times).
        var kept = Path.Combine(Path.GetTempPath(), $"deployment-bench-kcm{(label.Length > 0 ? "-" + label : "")}-{kcmQps.Replace('/', '-')}.log");
        File.Copy(controllerManager.LogPath, kept, overwrite: true);
        Console.WriteLine($"deployment: the controller manager's log is in {kept}");
        return new DeploymentResult(nodes, replicas, kcmQps, label, baseline, soloSeconds, allExist, allRunning, rollout, rolloutRunning,
            cpuAfter.Server - cpuBefore.Server, cpuAfter.Kcm - cpuBefore.Kcm, cpuAfter.Scheduler - cpuBefore.Scheduler,
            cpuAfter.Nodes - cpuBefore.Nodes, cpuAfter.Etcd - cpuBefore.Etcd);
    }

    /// <summary>When the 1st, 10%, 25%, ... and last pod appeared, and the longest pause between two (where the creates stalled).</summary>
    private static string Timeline(double[] times, double start)
    {
        var marks = new[] { 0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0 }
            .Select(q => (int)Math.Min(times.Length - 1, Math.Max(0, Math.Ceiling(q * times.Length) - 1)))
            .Distinct()
            .Select(i => string.Create(CultureInfo.InvariantCulture, $"#{i + 1} {times[i] - start:0.00}"));
        var gap = Enumerable.Range(1, Math.Max(0, times.Length - 1)).Select(i => (Gap: times[i] - times[i - 1], At: i)).DefaultIfEmpty().MaxBy(g => g.Gap);
        return string.Join(", ", marks) + string.Create(CultureInfo.InvariantCulture, $"; longest pause {gap.Gap:0.00} s before #{gap.At + 1}");
    }

    private static bool RolledOut(Cluster cluster, int replicas)
    {
        using var response = cluster.Http.GetAsync("/apis/apps/v1/namespaces/flow/deployments/web").GetAwaiter().GetResult();
        var d = JsonNode.Parse(response.Content.ReadAsStringAsync().GetAwaiter().GetResult())!;
        int Field(string name) => d["status"]?[name]?.GetValue<int>() ?? 0;
        return (d["status"]?["observedGeneration"]?.GetValue<long>() ?? 0) >= (d["metadata"]?["generation"]?.GetValue<long>() ?? 1)
            && Field("updatedReplicas") == replicas && Field("availableReplicas") == replicas && Field("replicas") == replicas;
    }

    private static async Task WaitAsync(Func<bool> done, string what, Task watching, Scheduling.Component kcm, Scheduling.Component scheduler, Scheduling.Component simulator, string work)
    {
        var deadline = DateTime.UtcNow.AddMinutes(20);
        while (!done())
        {
            if (DateTime.UtcNow > deadline || watching.IsCompleted || kcm.HasExited || scheduler.HasExited || simulator.HasExited)
            {
                throw new InvalidOperationException($"gave up waiting for {what}; logs in {work}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The pod `kubectl create deployment` makes, with the requests the scheduling row's pods have.</summary>
    private static string Deployment(string ns, int replicas, string version, string? schedulerName) =>
        $"{{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{{\"name\":\"web\",\"namespace\":\"{ns}\"}},"
        + $"\"spec\":{{\"replicas\":{replicas},\"selector\":{{\"matchLabels\":{{\"app\":\"web\"}}}},"
        + $"\"template\":{{\"metadata\":{{\"labels\":{{\"app\":\"web\"}},\"annotations\":{{\"bench/version\":\"{version}\"}}}},"
        + $"\"spec\":{{{(schedulerName is null ? "" : $"\"schedulerName\":\"{schedulerName}\",")}\"containers\":[{{\"name\":\"app\",\"image\":\"registry.k8s.io/pause:3.10\",\"resources\":{{\"requests\":{{\"cpu\":\"10m\",\"memory\":\"16Mi\"}}}}}}]}}}}}}}}";

    private static (double Server, double Kcm, double Scheduler, double Nodes, double Etcd) Cpu(Cluster cluster, Scheduling.Component kcm, Scheduling.Component scheduler, Scheduling.Component simulator) =>
        (ProcStats.CpuSeconds(cluster.ServerPid), kcm.CpuSeconds, scheduler.CpuSeconds, simulator.CpuSeconds, ProcStats.CpuSeconds(cluster.EtcdPid));
}
