using System.Text.Json.Nodes;
using Conformance.Infrastructure;
using TestSupport;

namespace Conformance.Components;

/// <summary>
/// A cluster with the control plane's other programs: the real server (with its kubelet client
/// certificate), the scheduler as system:kube-scheduler and three simulated nodes, each as
/// system:node:&lt;name&gt; — every one a separate process talking to the server only. Node leases are
/// renewed every second here (10 s by default) so heartbeat tests do not wait long.
/// </summary>
public sealed class ComponentsFixture : IAsyncLifetime
{
    public static readonly string[] NodeNames = ["node-1", "node-2", "node-3"];

    private TestPki? _kubeletPki;
    private string _schedulerKubeconfig = "";
    private string _nodeCertDir = "";
    private string _nodesKubeconfig = "";

    public ClusterFixture Cluster { get; private set; } = null!;

    public ComponentProcess Scheduler { get; private set; } = null!;

    public ComponentProcess Nodes { get; private set; } = null!;

    public PemCertificate SchedulerCertificate { get; private set; } = null!;

    public Dictionary<string, PemCertificate> NodeCertificates { get; } = [];

    public async Task InitializeAsync()
    {
        var work = Path.Combine(Path.GetTempPath(), "components-" + Guid.NewGuid().ToString("N")[..8]);
        // The kubelet endpoint trusts its own CA for the server's kubelet client certificate, as a kubelet's --client-ca-file.
        _kubeletPki = TestPki.Create(Path.Combine(work, "kubelet-pki"), "kubelet-client-ca");
        var kubeletClient = _kubeletPki.IssueClientCertificate("apiserver-kubelet-client", "kube-apiserver-kubelet-client", "kubeadm:cluster-admins");
        Cluster = new ClusterFixture(
            $"--kubelet-client-certificate={kubeletClient.CertificatePath}",
            $"--kubelet-client-key={kubeletClient.KeyPath}",
            "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname");
        await Cluster.InitializeAsync();

        SchedulerCertificate = Cluster.Pki.IssueClientCertificate("kube-scheduler", "system:kube-scheduler");
        var schedulerKubeconfig = Path.Combine(Cluster.WorkDirectory, "scheduler.kubeconfig");
        await File.WriteAllTextAsync(schedulerKubeconfig, Cluster.KubeconfigFor(SchedulerCertificate));

        var nodeCertDir = Path.Combine(Cluster.WorkDirectory, "nodes");
        Directory.CreateDirectory(nodeCertDir);
        foreach (var node in NodeNames)
        {
            var issued = Cluster.Pki.IssueClientCertificate("node-cert-" + node, "system:node:" + node, "system:nodes");
            var cert = new PemCertificate(Path.Combine(nodeCertDir, node + ".crt"), Path.Combine(nodeCertDir, node + ".key"));
            File.Copy(issued.CertificatePath, cert.CertificatePath);
            File.Copy(issued.KeyPath, cert.KeyPath);
            NodeCertificates[node] = cert;
        }

        var nodesKubeconfig = Path.Combine(Cluster.WorkDirectory, "node-simulator.kubeconfig");
        await File.WriteAllTextAsync(nodesKubeconfig, Cluster.KubeconfigFor(NodeCertificates[NodeNames[0]]));

        _schedulerKubeconfig = schedulerKubeconfig;
        _nodeCertDir = nodeCertDir;
        _nodesKubeconfig = nodesKubeconfig;
        var logs = Path.Combine(Cluster.WorkDirectory, "logs");
        Scheduler = StartScheduler("Scheduler");
        Nodes = new ComponentProcess("NodeSimulator", logs,
        [
            $"--kubeconfig={nodesKubeconfig}", $"--node-cert-dir={nodeCertDir}", $"--node-names={string.Join(',', NodeNames)}",
            $"--port={FreePort.Next()}", $"--client-ca-file={_kubeletPki.CaCertificatePath}",
            "--node-lease-renew-interval=1s", "--pod-start-delay=500ms", "--init-container-duration=500ms", "--v=2",
        ]);

        await WaitForNodesReadyAsync(TimeSpan.FromSeconds(120));
    }

    public async Task DisposeAsync()
    {
        if (Nodes is not null)
        {
            await Nodes.DisposeAsync();
        }

        if (Scheduler is not null)
        {
            await Scheduler.DisposeAsync();
        }

        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }

        _kubeletPki?.Dispose();
    }

    /// <summary>
    /// Starts a scheduler as the fixture's own is started (leader election on, kube's default timings),
    /// logging to <paramref name="logName"/>.log: a second one waits for the Lease.
    /// </summary>
    public ComponentProcess StartScheduler(string logName) =>
        new("Scheduler", Path.Combine(Cluster.WorkDirectory, "logs"),
            [$"--kubeconfig={_schedulerKubeconfig}", "--secure-port=0", "--leader-elect=true", "--v=2"], logName);

    /// <summary>
    /// Starts one more simulated node, <paramref name="name"/>, as its own node simulator process under its
    /// own system:node certificate, and waits until it is Ready; the caller stops it (and deletes the Node).
    /// </summary>
    public async Task<ComponentProcess> StartNodeAsync(string name)
    {
        var issued = Cluster.Pki.IssueClientCertificate("node-cert-" + name, "system:node:" + name, "system:nodes");
        File.Copy(issued.CertificatePath, Path.Combine(_nodeCertDir, name + ".crt"), overwrite: true);
        File.Copy(issued.KeyPath, Path.Combine(_nodeCertDir, name + ".key"), overwrite: true);
        var node = new ComponentProcess("NodeSimulator", Path.Combine(Cluster.WorkDirectory, "logs"),
        [
            $"--kubeconfig={_nodesKubeconfig}", $"--node-cert-dir={_nodeCertDir}", $"--node-names={name}",
            $"--port={FreePort.Next()}", $"--client-ca-file={_kubeletPki!.CaCertificatePath}",
            "--node-lease-renew-interval=1s", "--pod-start-delay=500ms", "--init-container-duration=500ms", "--v=2",
        ], "NodeSimulator-" + name);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            using var response = await Cluster.Http.GetAsync($"/api/v1/nodes/{name}");
            var status = response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync()) : null;
            if (status?["status"]?["conditions"]?.AsArray().Any(c => Poll.Str(c!["type"]) == "Ready" && Poll.Str(c["status"]) == "True") == true)
            {
                return node;
            }

            if (DateTime.UtcNow > deadline || node.HasExited)
            {
                await node.DisposeAsync();
                throw new TimeoutException($"node {name} not Ready:\n{ClusterFixture.Tail(node.Log)}");
            }

            await Task.Delay(250);
        }
    }

    /// <summary>Makes <paramref name="scheduler"/> the fixture's scheduler (after the first one was stopped); the fixture disposes it.</summary>
    public void AdoptScheduler(ComponentProcess scheduler) => Scheduler = scheduler;

    /// <summary>Logs of all three programs' tails, for assertion messages.</summary>
    public string Logs() =>
        $"--- scheduler\n{ClusterFixture.Tail(Scheduler.Log)}\n--- nodes\n{ClusterFixture.Tail(Nodes.Log)}\n--- server\n{ClusterFixture.Tail(Cluster.Server.Log)}";

    private async Task WaitForNodesReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var nodes = await Cluster.GetJsonAsync("/api/v1/nodes");
            var ready = nodes["items"]!.AsArray().Count(n => n!["status"]?["conditions"]?.AsArray()
                .Any(c => c!["type"]!.GetValue<string>() == "Ready" && c["status"]!.GetValue<string>() == "True") == true);
            if (ready == NodeNames.Length)
            {
                return;
            }

            if (DateTime.UtcNow > deadline || Nodes.HasExited || Scheduler.HasExited)
            {
                throw new TimeoutException($"{ready} of {NodeNames.Length} nodes Ready:\n{Logs()}");
            }

            await Task.Delay(250);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ComponentsCollection : ICollectionFixture<ComponentsFixture>
{
    public const string Name = "components";
}

/// <summary>Small helpers the components' tests share.</summary>
internal static class Poll
{
    public static async Task<T> UntilAsync<T>(Func<Task<T?>> probe, string what, Func<string> diagnostics, TimeSpan? timeout = null)
        where T : class
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}\n{diagnostics()}");
            }

            await Task.Delay(200);
        }
    }

    public static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
