using ClientTools.Cache;
using ClientTools.Client;
using ClientTools.CommandLine;
using ClientTools.Logging;
using ClientTools.Runtime;
using k8s;
using k8s.Models;
using NodeSimulator;
using NodeSimulator.Kubelet;
using NodeSimulator.Nodes;
using NodeSimulator.Pods;

// node-simulator: simulated nodes (kwok's idea) that show the API server what kubelets show it,
// without running containers. See the README's "Simulated nodes" section.
var flags = new FlagSet("node-simulator");
var options = new SimulatorOptions(flags);
var verbosity = flags.Int("v", 0, "How much to log: 0 is the default; higher numbers add more detailed lines (klog's -v levels).");
flags.ParseOrExit(args);
Klog.Verbosity = verbosity.Value;
try
{
    options.Validate();
}
catch (Exception e) when (e is FlagException or ArgumentException)
{
    Console.Error.WriteLine($"Error: {e.Message}");
    return 1;
}

using var shutdown = new Shutdown();
var token = shutdown.Token;
var baseConfig = options.Client.LoadConfiguration();

// Each node is its own client: with --node-cert-dir it authenticates as system:node:<name>.
KubernetesClientConfiguration ConfigFor(string node)
{
    if (options.NodeCertDir.Length == 0)
    {
        return options.Client.LoadConfiguration();
    }

    return new KubernetesClientConfiguration
    {
        Host = baseConfig.Host,
        SslCaCerts = baseConfig.SslCaCerts,
        SkipTlsVerify = baseConfig.SkipTlsVerify,
        TlsServerName = baseConfig.TlsServerName,
        ClientCertificateFilePath = Path.Combine(options.NodeCertDir, node + ".crt"),
        ClientKeyFilePath = Path.Combine(options.NodeCertDir, node + ".key"),
    };
}

var names = options.NodeNames;
var nodes = new Dictionary<string, SimulatedNode>(StringComparer.Ordinal);
for (var i = 0; i < names.Count; i++)
{
    var client = ClientFactory.Create(ConfigFor(names[i]), "kubelet", options.Client.Qps, options.Client.Burst);
    nodes[names[i]] = new SimulatedNode(names[i], i, client, options);
}

var worker = new PodWorker(new LifecycleSettings(options.PodStartDelay, options.InitContainerDuration, options.DefaultRunTime), options.PodEvents);
V1Pod? FindPod(string key)
{
    foreach (var node in nodes.Values)
    {
        if (node.Pods.Store.Get(key) is { } pod)
        {
            return pod;
        }
    }

    return null;
}

var kubelet = new KubeletServer(options, FindPod, () => nodes.Values.SelectMany(n => n.Pods.Store.List()));
await kubelet.StartAsync(token);

Klog.Info($"registering {names.Count} simulated node(s): {string.Join(", ", names.Take(5))}{(names.Count > 5 ? ", ..." : "")}");
await Parallel.ForEachAsync(nodes.Values, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = token }, async (node, ct) =>
    await node.RegisterAsync(ct));

// Each node watches its own Node object (as the kubelet does), for the heartbeat switch: the
// annotation node-simulator/heartbeat=stopped.
var running = new List<Task>();
foreach (var node in nodes.Values)
{
    void Observe(V1Node observed)
    {
        if (node.Observe(observed))
        {
            worker.Resync(node);
        }
    }

    node.Self.AddEventHandler(new ResourceEventHandler<V1Node> { OnAdd = (n, _) => Observe(n), OnUpdate = (_, n) => Observe(n) });
    running.Add(node.Self.RunAsync(token));
    worker.Attach(node);
    running.Add(node.Pods.RunAsync(token));
    running.Add(node.Events.RunAsync(token));
    running.Add(node.RunHeartbeatsAsync(token));
}

running.Add(worker.RunAsync(options.Workers, token));
Klog.Info($"{names.Count} simulated node(s) running; pod CIDRs from {options.PodCidr}");
try
{
    await Task.Delay(Timeout.Infinite, token);
}
catch (OperationCanceledException)
{
}

await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
await kubelet.StopAsync();
return 0;
