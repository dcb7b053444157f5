using k8s;
using k8s.Models;

namespace Conformance.ControllerManager;

/// <summary>
/// A node stops heartbeating (the test plays its kubelet: Lease renewals and Ready status): after the
/// grace period (6 s here, kube's 50 s by default) its conditions go Unknown, it is tainted unreachable
/// (NoSchedule and NoExecute), its pods' Ready turns False, pods are evicted by their tolerations and
/// a ReplicaSet replaces its evicted pod; heartbeats coming back clear the taints.
/// </summary>
[Collection(ControllerManagerCollection.Name)]
public sealed class NodeLifecycleTests(ControllerManagerFixture fixture)
{
    private readonly Kubernetes _admin = fixture.Admin;

    [Fact]
    public async Task NodeStopsHeartbeating_UnknownTaintedPodsEvicted_ThenRecovers()
    {
        var node = "kcm-node-" + Guid.NewGuid().ToString("N")[..6];
        var ns = await fixture.Cluster.CreateNamespaceAsync("nodes");
        await _admin.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = node } });
        using var heartbeats = new CancellationTokenSource();
        var kubelet = HeartbeatAsync(node, heartbeats.Token);
        await fixture.EventuallyAsync(async () => ReadyStatus(await _admin.CoreV1.ReadNodeAsync(node)) == "True" ? "" : null, "the node Ready");

        V1Toleration Unreachable(long? seconds) => new() { Key = "node.kubernetes.io/unreachable", OperatorProperty = "Exists", Effect = "NoExecute", TolerationSeconds = seconds };
        await CreatePodAsync(ns, "short", node, [Unreachable(2)]);
        await CreatePodAsync(ns, "forever", node, [Unreachable(null)]);
        await fixture.Cluster.KubectlWithInputAsync("""
            apiVersion: apps/v1
            kind: ReplicaSet
            metadata: {name: web}
            spec:
              replicas: 1
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers: [{name: c, image: nginx}]
                  tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 1}]
            """, "apply", "-n", ns, "-f", "-");
        var first = await fixture.EventuallyAsync(async () => (await _admin.CoreV1.ListNamespacedPodAsync(ns, labelSelector: "app=web")).Items.SingleOrDefault(), "the ReplicaSet's pod");
        await _admin.CoreV1.CreateNamespacedPodBindingAsync(new V1Binding { Metadata = new V1ObjectMeta { Name = first.Metadata.Name }, Target = new V1ObjectReference { Kind = "Node", Name = node } }, first.Metadata.Name, ns);
        await MarkReadyAsync(ns, "forever");

        await heartbeats.CancelAsync();
        await kubelet;

        var tainted = await fixture.EventuallyAsync(async () =>
        {
            var n = await _admin.CoreV1.ReadNodeAsync(node);
            return ReadyStatus(n) == "Unknown" && n.Spec?.Taints?.Count(t => t.Key == "node.kubernetes.io/unreachable") == 2 ? n : null;
        }, "the node Unknown and tainted unreachable");
        var ready = tainted.Status.Conditions.Single(c => c.Type == "Ready");
        Assert.Equal(("NodeStatusUnknown", "Kubelet stopped posting node status."), (ready.Reason, ready.Message));
        Assert.Contains(tainted.Spec.Taints, t => t.Effect == "NoExecute" && t.TimeAdded is not null);
        Assert.Contains(tainted.Spec.Taints, t => t.Effect == "NoSchedule");

        await fixture.EventuallyAsync(async () =>
        {
            var pods = (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items;
            var live = pods.Where(p => p.Metadata.DeletionTimestamp is null).ToList();
            return live.All(p => p.Metadata.Name != "short" && p.Metadata.Name != first.Metadata.Name)
                && live.Any(p => p.Metadata.Name == "forever")
                && live.Any(p => p.Metadata.Labels is { } l && l.TryGetValue("app", out var app) && app == "web") ? live : null;
        }, "the short-tolerating pods evicted, the forever one kept, the ReplicaSet's pod replaced");
        var kept = await _admin.CoreV1.ReadNamespacedPodAsync("forever", ns);
        Assert.Equal("False", kept.Status.Conditions.Single(c => c.Type == "Ready").Status);

        // Heartbeats again: the taints go.
        using var again = new CancellationTokenSource();
        var back = HeartbeatAsync(node, again.Token);
        await fixture.EventuallyAsync(async () =>
        {
            var n = await _admin.CoreV1.ReadNodeAsync(node);
            return ReadyStatus(n) == "True" && (n.Spec?.Taints is null || n.Spec.Taints.Count == 0) ? n : null;
        }, "the node Ready and untainted again");
        await again.CancelAsync();
        await back;
        await _admin.CoreV1.DeleteNodeAsync(node);
    }

    private static string? ReadyStatus(V1Node node) => node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status;

    private async Task CreatePodAsync(string ns, string name, string node, List<V1Toleration> tolerations) =>
        await _admin.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "c", Image = "nginx" }], Tolerations = tolerations },
        }, ns);

    private async Task MarkReadyAsync(string ns, string name)
    {
        var pod = await _admin.CoreV1.ReadNamespacedPodAsync(name, ns);
        pod.Status.Phase = "Running";
        pod.Status.Conditions = [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = DateTime.UtcNow }];
        await _admin.CoreV1.ReplaceNamespacedPodStatusAsync(pod, name, ns);
    }

    /// <summary>What a kubelet shows: its Lease renewed and its Ready condition with a fresh heartbeat, every second.</summary>
    private async Task HeartbeatAsync(string node, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var now = DateTime.UtcNow;
                var lease = await ReadLeaseAsync(node);
                if (lease is null)
                {
                    await _admin.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
                    {
                        Metadata = new V1ObjectMeta { Name = node, NamespaceProperty = "kube-node-lease" },
                        Spec = new V1LeaseSpec { HolderIdentity = node, LeaseDurationSeconds = 40, RenewTime = now },
                    }, "kube-node-lease", cancellationToken: cancellationToken);
                }
                else
                {
                    lease.Spec.RenewTime = now;
                    await _admin.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, node, "kube-node-lease", cancellationToken: cancellationToken);
                }

                var n = await _admin.CoreV1.ReadNodeAsync(node, cancellationToken: cancellationToken);
                var ready = n.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");
                if (ready?.Status != "True")
                {
                    n.Status ??= new V1NodeStatus();
                    n.Status.Conditions = [new V1NodeCondition { Type = "Ready", Status = "True", Reason = "KubeletReady", Message = "kubelet is posting ready status", LastHeartbeatTime = now, LastTransitionTime = now }];
                    await _admin.CoreV1.ReplaceNodeStatusAsync(n, node, cancellationToken: cancellationToken);
                }

                await Task.Delay(1000, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (k8s.Autorest.HttpOperationException)
            {
            }
        }
    }

    private async Task<V1Lease?> ReadLeaseAsync(string node)
    {
        try
        {
            return await _admin.CoordinationV1.ReadNamespacedLeaseAsync(node, "kube-node-lease");
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}
