using System.Globalization;
using System.Net;
using ClientTools.Client;
using ClientTools.CommandLine;
using k8s.Models;

namespace NodeSimulator;

/// <summary>
/// The simulator's flags. Where the kubelet has a flag for the same thing, its name is used
/// (<c>--node-ip</c>, <c>--node-labels</c>, <c>--register-with-taints</c>, <c>--max-pods</c>,
/// <c>--node-status-update-frequency</c>, <c>--node-status-report-frequency</c>, <c>--tls-cert-file</c>,
/// <c>--tls-private-key-file</c>, <c>--client-ca-file</c>, <c>--port</c>); the rest are the simulator's own.
/// </summary>
public sealed class SimulatorOptions
{
    private readonly Flag<int> _nodes;
    private readonly Flag<string> _namePrefix;
    private readonly Flag<IReadOnlyList<string>> _names;
    private readonly Flag<string> _nodeCertDir;
    private readonly Flag<string> _cpu;
    private readonly Flag<string> _memory;
    private readonly Flag<int> _maxPods;
    private readonly Flag<string> _ephemeralStorage;
    private readonly Flag<IReadOnlyList<string>> _labels;
    private readonly Flag<IReadOnlyList<string>> _taints;
    private readonly Flag<string> _nodeIp;
    private readonly Flag<string> _podCidr;
    private readonly Flag<int> _port;
    private readonly Flag<string> _tlsCert;
    private readonly Flag<string> _tlsKey;
    private readonly Flag<string> _clientCa;
    private readonly Flag<TimeSpan> _leaseRenew;
    private readonly Flag<TimeSpan> _statusUpdate;
    private readonly Flag<TimeSpan> _statusReport;
    private readonly Flag<TimeSpan> _startDelay;
    private readonly Flag<TimeSpan> _initDuration;
    private readonly Flag<TimeSpan> _runTime;
    private readonly Flag<bool> _events;
    private readonly Flag<int> _workers;

    public SimulatorOptions(FlagSet flags)
    {
        Client = new ClientOptions(flags, qps: 50, burst: 100);
        _nodes = flags.Int("nodes", 3, "How many nodes to simulate.");
        _namePrefix = flags.String("node-name-prefix", "node-", "Nodes are named <prefix>1 ... <prefix>N.");
        _names = flags.StringList("node-names", [], "Explicit node names (overrides --nodes and --node-name-prefix).");
        _nodeCertDir = flags.String("node-cert-dir", "", "A directory with <node>.crt and <node>.key for each node (CN=system:node:<node>, O=system:nodes); each node then authenticates as itself, with --kubeconfig's server and CA. Without it every node uses --kubeconfig's credentials.");
        _cpu = flags.String("cpu", "4", "Each node's cpu capacity.");
        _memory = flags.String("memory", "16Gi", "Each node's memory capacity (allocatable is 100Mi less, the kubelet's default hard eviction threshold).");
        _maxPods = flags.Int("max-pods", 110, "Pod capacity each node reports (status.capacity.pods); the scheduler places no more than this on it.");
        _ephemeralStorage = flags.String("ephemeral-storage", "100Gi", "Each node's ephemeral-storage capacity (allocatable is 90%: the kubelet's nodefs.available<10% threshold).");
        _labels = flags.StringList("node-labels", [], "Labels to add to every node (key=value,...).");
        _taints = flags.StringList("register-with-taints", [], "Taints every node registers with (key=value:Effect,...).");
        _nodeIp = flags.String("node-ip", "127.0.0.1", "The InternalIP every node reports; the API server reaches the simulated kubelets there.");
        _podCidr = flags.String("pod-cidr", "10.244.0.0/16", "Node i gets the i-th /24 of this range as spec.podCIDR; pod IPs come from it.");
        _port = flags.Int("port", 10250, "The HTTPS port of the kubelet endpoint (containerLogs, healthz) every node reports in status.daemonEndpoints.");
        _tlsCert = flags.String("tls-cert-file", "", "Serving certificate of the kubelet endpoint (default: a self-signed one, as the kubelet makes).");
        _tlsKey = flags.String("tls-private-key-file", "", "Key of --tls-cert-file.");
        _clientCa = flags.String("client-ca-file", "", "Requests to the kubelet endpoint must present a client certificate signed by this CA (as the kubelet's x509 authentication).");
        _leaseRenew = flags.Duration("node-lease-renew-interval", TimeSpan.FromSeconds(10), "How often each node renews its Lease in kube-node-lease (the kubelet: a quarter of the 40 s lease).");
        _statusUpdate = flags.Duration("node-status-update-frequency", TimeSpan.FromSeconds(10), "How often each node computes its status (the kubelet's flag).");
        _statusReport = flags.Duration("node-status-report-frequency", TimeSpan.FromMinutes(5), "How often each node posts its status when nothing changed (the kubelet's default).");
        _startDelay = flags.Duration("pod-start-delay", TimeSpan.FromSeconds(1), "How long a pod stays in ContainerCreating before its containers run.");
        _initDuration = flags.Duration("init-container-duration", TimeSpan.FromSeconds(1), "How long each init container runs before it completes.");
        _runTime = flags.Duration("default-run-time", TimeSpan.FromSeconds(5), "How long a container that is meant to finish runs when nothing else says (see the README's run-time rule).");
        _events = flags.Bool("pod-events", true, "Record the kubelet's Pulled, Created, Started and Killing events for pods.");
        _workers = flags.Int("workers", 16, "Concurrent pod status writes across all nodes.");
        flags.Accept("the simulator has no container runtime", "container-runtime-endpoint", "cgroup-driver", "pod-infra-container-image", "config", "bootstrap-kubeconfig", "rotate-certificates", "hostname-override");
    }

    public ClientOptions Client { get; }

    public IReadOnlyList<string> NodeNames => _names.Value.Count > 0
        ? _names.Value
        : [.. Enumerable.Range(1, _nodes.Value).Select(i => _namePrefix.Value + i.ToString(CultureInfo.InvariantCulture))];

    public string NodeCertDir => _nodeCertDir.Value;

    public ResourceQuantity Cpu => new(_cpu.Value);

    public ResourceQuantity Memory => new(_memory.Value);

    public int MaxPods => _maxPods.Value;

    public ResourceQuantity EphemeralStorage => new(_ephemeralStorage.Value);

    public IReadOnlyDictionary<string, string> Labels => _labels.Value
        .Select(l => l.Split('=', 2))
        .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "", StringComparer.Ordinal);

    public IReadOnlyList<V1Taint> Taints => [.. _taints.Value.Select(ParseTaint)];

    public string NodeIp => _nodeIp.Value;

    public string PodCidr => _podCidr.Value;

    public int Port => _port.Value;

    public string TlsCertFile => _tlsCert.Value;

    public string TlsKeyFile => _tlsKey.Value;

    public string ClientCaFile => _clientCa.Value;

    public TimeSpan LeaseRenewInterval => _leaseRenew.Value;

    public TimeSpan StatusUpdateFrequency => _statusUpdate.Value;

    public TimeSpan StatusReportFrequency => _statusReport.Value;

    public TimeSpan PodStartDelay => _startDelay.Value;

    public TimeSpan InitContainerDuration => _initDuration.Value;

    public TimeSpan DefaultRunTime => _runTime.Value;

    public bool PodEvents => _events.Value;

    public int Workers => Math.Max(1, _workers.Value);

    public void Validate()
    {
        if (!IPAddress.TryParse(NodeIp, out _))
        {
            throw new FlagException($"--node-ip={NodeIp} is not an IP address");
        }

        _ = Nodes.PodCidrAllocator.Parse(PodCidr);
        _ = Taints;
        if (NodeNames.Count == 0)
        {
            throw new FlagException("no nodes to simulate (--nodes=0)");
        }
    }

    /// <summary>The kubelet's --register-with-taints syntax: key[=value]:Effect.</summary>
    public static V1Taint ParseTaint(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0)
        {
            throw new FlagException($"invalid taint spec: {text}");
        }

        var effect = text[(colon + 1)..];
        if (effect is not ("NoSchedule" or "PreferNoSchedule" or "NoExecute"))
        {
            throw new FlagException($"invalid taint effect: {effect}, unsupported taint effect");
        }

        var keyValue = text[..colon].Split('=', 2);
        return new V1Taint { Key = keyValue[0], Value = keyValue.Length > 1 ? keyValue[1] : null, Effect = effect };
    }
}
