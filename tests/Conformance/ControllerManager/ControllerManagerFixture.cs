using Conformance.Components;
using Conformance.Infrastructure;
using k8s;
using k8s.Models;
using TestSupport;

namespace Conformance.ControllerManager;

/// <summary>
/// A cluster with the controller manager running beside the server as system:kube-controller-manager,
/// each controller under its own service account (--use-service-account-credentials), with the node
/// timeline shortened (monitor every second, 6 s grace) so node-failure tests do not wait long.
/// </summary>
public class ControllerManagerFixture : IAsyncLifetime
{
    private readonly string _controllers;

    public ControllerManagerFixture()
        : this(new ClusterFixture(), "*")
    {
    }

    /// <summary>A cluster of <paramref name="cluster"/>'s making, with the controller manager running <paramref name="controllers"/>.</summary>
    protected ControllerManagerFixture(ClusterFixture cluster, string controllers)
    {
        Cluster = cluster;
        _controllers = controllers;
    }

    public ClusterFixture Cluster { get; }

    public ControllerManagerProcess ControllerManager { get; private set; } = null!;

    /// <summary>
    /// The controller manager's --secure-port (/healthz, /livez, /readyz, /metrics over HTTPS, self-signed), with
    /// kubeadm's delegated authentication and authorization flags (its own kubeconfig, the cluster CA for client certificates).
    /// </summary>
    public int HealthPort { get; private set; }

    /// <summary>The official client as the cluster's admin.</summary>
    public Kubernetes Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Cluster.InitializeAsync();
        var certificate = Cluster.Pki.IssueClientCertificate("kube-controller-manager", "system:kube-controller-manager");
        var kubeconfig = Path.Combine(Cluster.WorkDirectory, "controller-manager.kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, Cluster.KubeconfigFor(certificate));
        Admin = ComponentClients.For(Cluster, Cluster.Admin, "conformance-tests");
        HealthPort = FreePort.Next();
        ControllerManager = new ControllerManagerProcess(Path.Combine(Cluster.WorkDirectory, "logs"),
        [
            $"--kubeconfig={kubeconfig}", $"--authentication-kubeconfig={kubeconfig}", $"--authorization-kubeconfig={kubeconfig}",
            $"--client-ca-file={Cluster.Pki.CaCertificatePath}", "--leader-elect=true", "--bind-address=127.0.0.1", $"--secure-port={HealthPort}",
            "--use-service-account-credentials=true", $"--controllers={_controllers}",
            $"--root-ca-file={Cluster.Pki.CaCertificatePath}", "--node-monitor-period=1s", "--node-monitor-grace-period=6s", "--v=2",
        ]);
        ControllerManager.Start();
    }

    public async Task DisposeAsync()
    {
        if (ControllerManager is not null)
        {
            await ControllerManager.DisposeAsync();
        }

        Admin?.Dispose();
        await Cluster.DisposeAsync();
    }

    private int _nextPodIp;

    public string Logs() => $"--- controller manager\n{ClusterFixture.Tail(ControllerManager.Log, 60)}\n--- server\n{ClusterFixture.Tail(Cluster.Server.Log, 20)}";

    /// <summary>Polls <paramref name="probe"/> until it answers non-null; the failure message carries both programs' logs.</summary>
    public async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? timeout = null)
        where T : class
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await probe() is { } value)
                {
                    return value;
                }
            }
            catch (k8s.Autorest.HttpOperationException e)
            {
                last = e;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what} {last?.Message}\n{Logs()}");
            }

            await Task.Delay(250);
        }
    }

    /// <summary>What a kubelet reports when the pod's container exits: the terminal phase.</summary>
    public async Task FinishPodAsync(V1Pod pod, string phase)
    {
        for (var attempt = 0; ; attempt++)
        {
            var current = await Admin.CoreV1.ReadNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty);
            var now = DateTime.UtcNow;
            current.Status ??= new V1PodStatus();
            current.Status.Phase = phase;
            current.Status.PodIP = null;
            current.Status.StartTime ??= now;
            current.Status.Conditions = [new V1PodCondition { Type = "Ready", Status = "False", Reason = "PodCompleted", LastTransitionTime = now }];
            current.Status.ContainerStatuses = current.Spec.Containers.Select(c => new V1ContainerStatus
            {
                Name = c.Name,
                Image = c.Image,
                ImageID = "",
                Ready = false,
                RestartCount = 0,
                State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = phase == "Succeeded" ? 0 : 1, Reason = phase == "Succeeded" ? "Completed" : "Error", FinishedAt = now } },
            }).ToList();
            try
            {
                await Admin.CoreV1.ReplaceNamespacedPodStatusAsync(current, current.Metadata.Name, current.Metadata.NamespaceProperty);
                return;
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict && attempt < 5)
            {
            }
        }
    }

    /// <summary>
    /// Plays the kubelet for pods in <paramref name="ns"/> until disposed: every pod that is not
    /// yet Running and Ready becomes so (through pods/status), so rollouts can progress without nodes.
    /// </summary>
    public IAsyncDisposable MarkPodsReady(string ns)
    {
        var cts = new CancellationTokenSource();
        var loop = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                try
                {
                    var pods = await Admin.CoreV1.ListNamespacedPodAsync(ns, cancellationToken: cts.Token);
                    foreach (var pod in pods.Items.Where(p => p.Metadata.DeletionTimestamp is null && p.Status?.Phase is not ("Succeeded" or "Failed")
                        && p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") != true))
                    {
                        var now = DateTime.UtcNow;
                        pod.Status ??= new V1PodStatus();
                        pod.Status.Phase = "Running";
                        var n = Interlocked.Increment(ref _nextPodIp);
                        pod.Status.PodIP = $"10.244.{n / 250}.{(n % 250) + 2}";
                        pod.Status.StartTime = now;
                        pod.Status.Conditions =
                        [
                            new V1PodCondition { Type = "PodScheduled", Status = "True", LastTransitionTime = now },
                            new V1PodCondition { Type = "Initialized", Status = "True", LastTransitionTime = now },
                            new V1PodCondition { Type = "ContainersReady", Status = "True", LastTransitionTime = now },
                            new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = now },
                        ];
                        try
                        {
                            await Admin.CoreV1.ReplaceNamespacedPodStatusAsync(pod, pod.Metadata.Name, ns, cancellationToken: cts.Token);
                        }
                        catch (k8s.Autorest.HttpOperationException)
                        {
                            // Changed or gone meanwhile: the next round sees it again.
                        }
                    }

                    await Task.Delay(300, cts.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (Exception) when (!cts.IsCancellationRequested)
                {
                    // A conflict, or the server restarting under a test: try again next round.
                }
            }
        });
        return new Stopper(cts, loop);
    }

    private sealed class Stopper(CancellationTokenSource cts, Task loop) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await cts.CancelAsync();
            await loop;
            cts.Dispose();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ControllerManagerCollection : ICollectionFixture<ControllerManagerFixture>
{
    public const string Name = "controller-manager";
}
