using ClientTools.Cache;
using ClientTools.Client;
using ClientTools.CommandLine;
using ClientTools.LeaderElection;
using ClientTools.Logging;
using ClientTools.Runtime;
using ControllerManager.Infrastructure;

// kube-controller-manager: its flags, its identity (system:kube-controller-manager through
// --kubeconfig), leader election on the kube-system/kube-controller-manager Lease, then the
// controllers named by --controllers on one set of shared informers.
var flags = new FlagSet("kube-controller-manager");
var clientOptions = new ClientOptions(flags, qps: 20, burst: 30);
var election = new LeaderElectionOptions(flags, "kube-controller-manager");
var health = new HealthServer(flags, defaultPort: 10257, delegatedAuth: true);
var verbosity = flags.Int("v", 0, "How much to log: 0 is the default; higher numbers add more detailed lines (klog's -v levels).");
var controllers = flags.StringList("controllers", ["*"],
    "Which controllers run, comma-separated: '*' is every controller that is on by default, a name adds that controller, '-name' removes it. A kube controller this program lacks is skipped with a warning; a name kube does not know is an error.");
var useServiceAccountCredentials = flags.Bool("use-service-account-credentials", false, "Give each controller its own identity: the service account kube-system/<controller>, with tokens from TokenRequest, so RBAC limits it to its system:controller:* role. Off: all controllers use --kubeconfig's credentials.");
var readSettings = ControllerManagerSettings.Register(flags);
flags.Accept("the pod eviction timeout was replaced by taint-based eviction (pods' tolerationSeconds), as in kube", "pod-eviction-timeout");
flags.Accept("no cloud provider, no node IPAM, no signing controllers",
    "cloud-provider", "allocate-node-cidrs", "cluster-cidr", "service-cluster-ip-range", "node-cidr-mask-size", "cluster-name",
    "cluster-signing-cert-file", "cluster-signing-key-file", "configure-cloud-routes");
flags.Accept("profiling is not served", "profiling", "contention-profiling");
flags.Accept("service account token signing happens in the API server (TokenRequest)", "service-account-private-key-file");
flags.Accept("feature gates and logging formats are fixed", "feature-gates", "logging-format");
flags.ParseOrExit(args);
Klog.Verbosity = verbosity.Value;
var settings = readSettings();
try
{
    election.Validate();
    var unknown = ControllerNames.Unknown(controllers.Value, ControllerRegistry.Known).ToList();
    foreach (var name in unknown.Where(n => !KubeControllerNames.IsKubes(n)))
    {
        throw new FlagException($"--controllers: \"{name}\" is not in the list of known controllers");
    }

    foreach (var name in unknown)
    {
        Klog.Warning($"--controllers: kube's controller \"{name}\" is not implemented here; ignoring it");
    }
}
catch (FlagException e)
{
    Console.Error.WriteLine($"Error: {e.Message}");
    return 1;
}

using var shutdown = new Shutdown();
var token = shutdown.Token;
var config = clientOptions.LoadConfiguration();
settings = settings with
{
    RootCaPem = settings.RootCaFile != "" ? File.ReadAllText(settings.RootCaFile)
        : string.Concat((config.SslCaCerts ?? []).Select(c => c.ExportCertificatePem() + "\n")),
};
var kube = ClientFactory.Create(config, "kube-controller-manager", clientOptions.Qps, clientOptions.Burst);
var serviceAccounts = useServiceAccountCredentials.Value
    ? new ServiceAccountCredentials(kube, clientOptions.LoadConfiguration(), clientOptions.Qps, clientOptions.Burst, TimeProvider.System)
    : null;
Klog.Info($"kube-controller-manager (C#) starting; controllers {string.Join(',', controllers.Value)}");
var runner = election.Enabled ? LeaderElectionRunner.From(kube, election) : null;
var metrics = new ComponentMetrics();
var synced = false;
health.Ready = () => synced || (runner is not null && !runner.IsLeading);
health.Metrics = metrics.Render;
if (runner is not null)
{
    // kube's /healthz/leaderElection and leader_election_master_status.
    health.AddCheck("leaderElection", runner.Check);
    metrics.Gauge("leader_election_master_status", "1 while this process holds the leader election Lease, 0 while it waits.",
        "{name=\"kube-controller-manager\"}", () => runner.IsLeading ? 1 : 0);
}

await health.StartAsync(token);

async Task RunAsync(CancellationToken ct)
{
    // Informers list and watch as system:kube-controller-manager (kube's shared informers use the root
    // client too); each controller writes with its own client.
    var factory = new SharedInformerFactory(kube);
    var context = new ControllerContext(factory, name => serviceAccounts?.ClientFor(name) ?? kube, settings, TimeProvider.System);
    var running = new List<IController>();
    foreach (var descriptor in ControllerRegistry.Enabled(controllers.Value))
    {
        if (descriptor.Name == ControllerNames.GarbageCollector && !settings.EnableGarbageCollector)
        {
            Klog.Warning("--enable-garbage-collector=false: the garbage collector does not run");
            continue;
        }

        running.Add(descriptor.Create(context));
        Klog.Info($"Started \"{descriptor.Name}\"");
    }

    var tasks = new System.Collections.Concurrent.ConcurrentDictionary<string, Task>(StringComparer.Ordinal);
    // kube's per-controller /healthz/<name>: here it fails once the controller's loop has ended. All are
    // added in one step, so /healthz never lists some of the controllers without the rest.
    health.AddChecks(running.Select(controller => (controller.Name, (Func<string?>)(() =>
        tasks.TryGetValue(controller.Name, out var task) && task.IsCompleted && !ct.IsCancellationRequested
            ? $"controller {controller.Name} stopped" : null))));

    var recorders = context.Recorders.Select(r => r.RunAsync(ct)).ToList();
    factory.Start(ct);
    await factory.WaitForCacheSyncAsync(ct);
    synced = true;
    Klog.Info("caches synced; controllers running");
    try
    {
        foreach (var controller in running)
        {
            tasks[controller.Name] = controller.RunAsync(ct);
        }

        await Task.WhenAll(tasks.Values);
    }
    finally
    {
        await Task.WhenAll(context.Recorders.Select(r => r.FlushAsync(TimeSpan.FromSeconds(2))));
    }
}

var exitCode = 0;
try
{
    if (election.Enabled)
    {
        var lost = await runner!.RunAsync(RunAsync, token);
        exitCode = lost ? 1 : 0;
    }
    else
    {
        await RunAsync(token);
    }
}
catch (OperationCanceledException) when (token.IsCancellationRequested)
{
}

await health.StopAsync();
return exitCode;
