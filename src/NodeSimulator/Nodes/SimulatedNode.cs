using System.Collections.Concurrent;
using System.Net;
using ClientTools.Cache;
using ClientTools.Events;
using ClientTools.Logging;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace NodeSimulator.Nodes;

/// <summary>
/// One simulated node and what its kubelet does towards the API server, under its own identity:
/// registers the Node, renews its Lease in kube-node-lease every --node-lease-renew-interval (the
/// node lifecycle controller's heartbeat), computes its status every --node-status-update-frequency and
/// posts it when it changed or --node-status-report-frequency passed, and watches the pods bound to it
/// (fieldSelector spec.nodeName=&lt;node&gt;). When its Node carries the annotation
/// <c>node-simulator/heartbeat: stopped</c> it stops all of that, as a crashed kubelet would, until the
/// annotation goes.
/// </summary>
public sealed class SimulatedNode
{
    public const string HeartbeatAnnotation = "node-simulator/heartbeat";
    public const string LeaseNamespace = "kube-node-lease";
    public const int LeaseDurationSeconds = 40;

    private readonly SimulatorOptions _options;
    private readonly ConcurrentDictionary<string, long> _images = new(StringComparer.Ordinal);
    private V1Node? _registered;
    private V1Lease? _lease;
    private V1NodeStatus? _lastStatus;
    private DateTime _lastReport;
    private volatile bool _stopped;

    public SimulatedNode(string name, int index, IKubernetes client, SimulatorOptions options)
    {
        Name = name;
        Client = client;
        _options = options;
        PodCidr = PodCidrAllocator.NodeCidr(options.PodCidr, index);
        PodIps = new PodCidrAllocator(PodCidr);
        Pods = new SharedIndexInformer<V1Pod>(ListWatches.Pods(client, fieldSelector: $"spec.nodeName={name}"), $"*v1.Pod on {name}");
        Self = new SharedIndexInformer<V1Node>(ListWatches.Nodes(client, fieldSelector: $"metadata.name={name}"), $"*v1.Node {name}");
        Events = new EventRecorder(client, "kubelet", host: name, writers: 1);
    }

    public string Name { get; }

    public IKubernetes Client { get; }

    public string PodCidr { get; }

    public PodCidrAllocator PodIps { get; }

    public string HostIp => _options.NodeIp;

    /// <summary>The node's own Node object (a kubelet may read only its own).</summary>
    public SharedIndexInformer<V1Node> Self { get; }

    /// <summary>The pods bound to this node (its own watch).</summary>
    public SharedIndexInformer<V1Pod> Pods { get; }

    public EventRecorder Events { get; }

    /// <summary>True while the node's heartbeats are stopped on request (the annotation).</summary>
    public bool Stopped => _stopped;

    /// <summary>Called when the Node object changes (from its watch); true when heartbeats resumed.</summary>
    public bool Observe(V1Node node)
    {
        var stop = node.Metadata?.Annotations?.TryGetValue(HeartbeatAnnotation, out var value) == true && value == "stopped";
        var resumed = _stopped && !stop;
        if (stop != _stopped)
        {
            Klog.Info(stop ? $"node {Name}: heartbeats stopped on request ({HeartbeatAnnotation}=stopped)" : $"node {Name}: heartbeats resumed");
        }

        _stopped = stop;
        return resumed;
    }

    public void AddImage(string image) => _images.TryAdd(global::NodeSimulator.Pods.Images.Normalize(image), global::NodeSimulator.Pods.Images.SizeBytes(image));

    /// <summary>Creates the Node, or takes over the existing one (its labels and podCIDR as registered before).</summary>
    public async Task RegisterAsync(CancellationToken cancellationToken)
    {
        var node = NodeStatusBuilder.Registration(Name, PodCidr, _options, [.. _images], DateTime.UtcNow);
        while (true)
        {
            try
            {
                _registered = await Client.CoreV1.CreateNodeAsync(node, cancellationToken: cancellationToken).ConfigureAwait(false);
                Klog.Info(2, $"node {Name}: registered (podCIDR {PodCidr})");
                _lastStatus = _registered.Status;
                _lastReport = DateTime.UtcNow;
                break;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                // Registered before (a restarted simulator): keep it, refresh its status.
                _registered = await Client.CoreV1.ReadNodeAsync(Name, cancellationToken: cancellationToken).ConfigureAwait(false);
                _lastStatus = _registered.Status;
                _lastReport = DateTime.MinValue;
                Observe(_registered);
                break;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Klog.Warning($"node {Name}: unable to register: {Describe(e)}; retrying");
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The Lease and status loops, until cancelled.</summary>
    public Task RunHeartbeatsAsync(CancellationToken cancellationToken) => Task.WhenAll(
        Loop(_options.LeaseRenewInterval, RenewLeaseAsync, cancellationToken),
        Loop(_options.StatusUpdateFrequency, UpdateStatusAsync, cancellationToken));

    private async Task Loop(TimeSpan period, Func<CancellationToken, Task> action, CancellationToken cancellationToken)
    {
        // Spread many nodes' heartbeats over the period instead of sending them all at once.
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * Math.Min(period.TotalMilliseconds, 2000)), cancellationToken).ConfigureAwait(false);
            while (!cancellationToken.IsCancellationRequested)
            {
                if (!_stopped)
                {
                    try
                    {
                        await action(cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        Klog.Warning($"node {Name}: {Describe(e)}");
                    }
                }

                await Task.Delay(period, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The kubelet's node lease controller: create the Lease once, then update its renewTime.</summary>
    public async Task RenewLeaseAsync(CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        if (_lease is null)
        {
            try
            {
                _lease = await Client.CoordinationV1.ReadNamespacedLeaseAsync(Name, LeaseNamespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                var lease = new V1Lease
                {
                    ApiVersion = "coordination.k8s.io/v1",
                    Kind = "Lease",
                    Metadata = new V1ObjectMeta
                    {
                        Name = Name,
                        NamespaceProperty = LeaseNamespace,
                        OwnerReferences = _registered is { Metadata.Uid: { } uid }
                            ? [new V1OwnerReference { ApiVersion = "v1", Kind = "Node", Name = Name, Uid = uid }]
                            : null,
                    },
                    Spec = new V1LeaseSpec { HolderIdentity = Name, LeaseDurationSeconds = LeaseDurationSeconds, RenewTime = now },
                };
                _lease = await Client.CoordinationV1.CreateNamespacedLeaseAsync(lease, LeaseNamespace, cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        _lease.Spec ??= new V1LeaseSpec();
        _lease.Spec.HolderIdentity = Name;
        _lease.Spec.LeaseDurationSeconds = LeaseDurationSeconds;
        _lease.Spec.RenewTime = now;
        try
        {
            _lease = await Client.CoordinationV1.ReplaceNamespacedLeaseAsync(_lease, Name, LeaseNamespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            _lease = null; // read it again next time
            throw;
        }
    }

    /// <summary>Posts the node's status when it changed, or when --node-status-report-frequency has passed.</summary>
    public async Task UpdateStatusAsync(CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        var status = NodeStatusBuilder.Status(Name, _options, [.. _images], _lastStatus, now);
        var changed = _lastStatus is null || Essence(status) != Essence(_lastStatus);
        if (!changed && now - _lastReport < _options.StatusReportFrequency)
        {
            return;
        }

        var patch = new V1Patch(KubernetesJson.Serialize(new V1Node { Status = status }), V1Patch.PatchType.MergePatch);
        var node = await Client.CoreV1.PatchNodeStatusAsync(patch, Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        _lastStatus = node.Status;
        _lastReport = now;
    }

    /// <summary>The status without heartbeat times: what "changed" means for reporting.</summary>
    private static string Essence(V1NodeStatus status)
    {
        var copy = KubernetesJson.Deserialize<V1NodeStatus>(KubernetesJson.Serialize(status));
        foreach (var condition in copy.Conditions ?? [])
        {
            condition.LastHeartbeatTime = null;
        }

        return KubernetesJson.Serialize(copy);
    }

    internal static string Describe(Exception e) => e switch
    {
        HttpOperationException http => $"{(int)http.Response.StatusCode} {http.Response.Content}",
        _ => e.GetBaseException().Message,
    };
}
