using ClientTools.Cache;
using ClientTools.Client;
using ClientTools.CommandLine;
using ClientTools.Events;
using ClientTools.LeaderElection;
using ClientTools.Logging;
using ClientTools.Runtime;
using Scheduler;
using Scheduler.Plugins;

// kube-scheduler: its flags, its identity (system:kube-scheduler through --kubeconfig), leader
// election on the kube-system/kube-scheduler Lease, then the scheduling loop.
var flags = new FlagSet("kube-scheduler");
var client = new ClientOptions(flags, qps: 50, burst: 100);
var election = new LeaderElectionOptions(flags, "kube-scheduler");
var health = new HealthServer(flags, defaultPort: 10259);
var verbosity = flags.Int("v", 0, "How much to log: 0 is the default; higher numbers add more detailed lines (klog's -v levels).");
var unschedulableDuration = flags.Duration("pod-max-in-unschedulable-pods-duration", TimeSpan.FromMinutes(5), "The longest a pod waits among the unschedulable pods before it is tried again.");
var schedulerName = flags.String("scheduler-name", DefaultProfile.SchedulerName, "The scheduler name this scheduler serves (pods' spec.schedulerName); other pods are left alone.");
var percentage = flags.Int("percentage-of-nodes-to-score", 0, "Share of nodes to find feasible before scoring; 0 is kube's adaptive default.");
flags.Accept("a KubeSchedulerConfiguration is not read; the default profile is used", "config");
flags.Accept("profiling and metrics are not served", "profiling", "contention-profiling", "feature-gates", "logging-format");
flags.ParseOrExit(args);
Klog.Verbosity = verbosity.Value;
try
{
    election.Validate();
}
catch (FlagException e)
{
    Console.Error.WriteLine($"Error: {e.Message}");
    return 1;
}

using var shutdown = new Shutdown();
var token = shutdown.Token;
var kube = client.CreateClient("kube-scheduler");
// Events go through a client of their own, as kube-scheduler's eventClient: their writes do not
// spend the QPS that bindings and status updates need.
var recorder = new EventRecorder(client.CreateClient("kube-scheduler"), schedulerName.Value);
var factory = new SharedInformerFactory(kube);
var scheduler = new SchedulerService(kube, recorder, new SchedulerSettings
{
    SchedulerName = schedulerName.Value,
    PodMaxInUnschedulablePodsDuration = unschedulableDuration.Value,
    PercentageOfNodesToScore = percentage.Value,
});
health.Ready = () => factory.Options is not null;
await health.StartAsync(token);
var events = recorder.RunAsync(token);
Klog.Info($"kube-scheduler (C#) starting; scheduler name {schedulerName.Value}");

async Task RunAsync(CancellationToken ct)
{
    scheduler.Attach(factory);
    factory.Start(ct);
    await factory.WaitForCacheSyncAsync(ct);
    Klog.Info($"caches synced: {scheduler.Cache.NodeCount} node(s)");
    await scheduler.RunAsync(ct);
}

var exitCode = 0;
try
{
    if (election.Enabled)
    {
        var lost = await LeaderElectionRunner.From(kube, election).RunAsync(RunAsync, token);
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

await recorder.FlushAsync(TimeSpan.FromSeconds(2));
await health.StopAsync();
return exitCode;
