using Conformance.Components;
using Conformance.ControllerManager;
using Conformance.Infrastructure;
using k8s;

namespace Conformance.Workloads;

/// <summary>
/// The whole control plane for workload controllers: the server, the scheduler and three simulated
/// nodes (<see cref="ComponentsFixture"/>) plus the controller manager as system:kube-controller-manager
/// with per-controller service accounts, every program its own process. Pods the controllers make are
/// scheduled, started and reported Ready by the nodes as a kubelet would.
/// </summary>
public sealed class WorkloadsFixture : IAsyncLifetime
{
    public ComponentsFixture Components { get; } = new();

    public ClusterFixture Cluster => Components.Cluster;

    public ControllerManagerProcess ControllerManager { get; private set; } = null!;

    /// <summary>The official client as the cluster's admin.</summary>
    public Kubernetes Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Components.InitializeAsync();
        var certificate = Cluster.Pki.IssueClientCertificate("kube-controller-manager", "system:kube-controller-manager");
        var kubeconfig = Path.Combine(Cluster.WorkDirectory, "controller-manager.kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, Cluster.KubeconfigFor(certificate));
        Admin = ComponentClients.For(Cluster, Cluster.Admin, "conformance-tests");
        ControllerManager = new ControllerManagerProcess(Path.Combine(Cluster.WorkDirectory, "logs"),
        [
            $"--kubeconfig={kubeconfig}", "--leader-elect=false", "--use-service-account-credentials=true", "--controllers=*",
            $"--root-ca-file={Cluster.Pki.CaCertificatePath}", "--v=2",
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
        await Components.DisposeAsync();
    }

    public string Logs() =>
        $"--- controller manager\n{ClusterFixture.Tail(ControllerManager.Log, 60)}\n{Components.Logs()}";

    /// <summary>Polls <paramref name="probe"/> until it answers non-null; the failure message carries every program's log.</summary>
    public Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? timeout = null)
        where T : class =>
        Poll.UntilAsync(async () =>
        {
            try
            {
                return await probe();
            }
            catch (k8s.Autorest.HttpOperationException)
            {
                return null;
            }
        }, what, Logs, timeout ?? TimeSpan.FromSeconds(120));

    /// <summary>kubectl that must succeed; a failure carries every program's log.</summary>
    public async Task<string> KubectlOkAsync(params string[] args)
    {
        var result = await Cluster.KubectlAsync(args);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)}: {result}\n{Logs()}");
        return result.StdOut;
    }
}

[CollectionDefinition(Name)]
public sealed class WorkloadsCollection : ICollectionFixture<WorkloadsFixture>
{
    public const string Name = "workloads";
}
