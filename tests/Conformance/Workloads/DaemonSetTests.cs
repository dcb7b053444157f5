using Conformance.Components;
using k8s;
using k8s.Models;

namespace Conformance.Workloads;

/// <summary>
/// DaemonSets end to end: the controller manager makes one pod per eligible node, the scheduler binds
/// each to the node its affinity names, the simulated nodes run them; taints keep pods off unless
/// tolerated, a new node gets its pod, and <c>kubectl set image</c> / <c>rollout status|history|undo</c>
/// roll the pods through ControllerRevisions.
/// </summary>
[Collection(WorkloadsCollection.Name)]
public sealed class DaemonSetTests(WorkloadsFixture fixture)
{
    private readonly Kubernetes _admin = fixture.Admin;

    private static string DaemonSetYaml(string name, string ns, string image, string tolerations = "") => $$$"""
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: {{{name}}}, namespace: {{{ns}}}}
        spec:
          selector: {matchLabels: {app: {{{name}}}}}
          template:
            metadata: {labels: {app: {{{name}}}}}
            spec:
              {{{tolerations}}}
              containers: [{name: agent, image: "{{{image}}}"}]
        """;

    private async Task<List<V1Pod>> LivePodsAsync(string ns, string app) =>
        [.. (await _admin.CoreV1.ListNamespacedPodAsync(ns, labelSelector: "app=" + app)).Items.Where(p => p.Metadata.DeletionTimestamp is null)];

    /// <summary>Waits until the daemon set's live pods run on exactly <paramref name="nodes"/>, one each, all Running.</summary>
    private Task<List<V1Pod>> WaitForPodsOnAsync(string ns, string app, params string[] nodes) =>
        fixture.EventuallyAsync(async () =>
        {
            var pods = await LivePodsAsync(ns, app);
            var placed = pods.Select(p => p.Spec.NodeName ?? "").Order(StringComparer.Ordinal).ToList();
            return placed.SequenceEqual(nodes.Order(StringComparer.Ordinal)) && pods.All(p => p.Status?.Phase == "Running") ? pods : null;
        }, $"{app} pods Running on exactly {string.Join(",", nodes)}");

    [Fact]
    public async Task EveryNodeGetsOnePod_TaintsAreRespected_UnlessTolerated_AndANewNodeGetsItsPod()
    {
        var ns = await fixture.Cluster.CreateNamespaceAsync("ds");
        await fixture.KubectlOkAsync("taint", "node", "node-3", "dedicated=infra:NoSchedule");
        ComponentProcess? node4 = null;
        try
        {
            await fixture.Cluster.KubectlWithInputAsync(
                DaemonSetYaml("agent", ns, "nginx") + "\n---\n" +
                DaemonSetYaml("tolerant", ns, "nginx", "tolerations: [{key: dedicated, operator: Equal, value: infra, effect: NoSchedule}]"),
                "apply", "-f", "-");

            var agents = await WaitForPodsOnAsync(ns, "agent", "node-1", "node-2");
            await WaitForPodsOnAsync(ns, "tolerant", "node-1", "node-2", "node-3");
            await fixture.KubectlOkAsync("rollout", "status", "daemonset/agent", "-n", ns, "--timeout=80s");

            // Each pod was made as kube's controller makes it: bound by the scheduler to the node its affinity names.
            foreach (var pod in agents)
            {
                var term = Assert.Single(pod.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms);
                var field = Assert.Single(term.MatchFields);
                Assert.Equal(("metadata.name", "In", pod.Spec.NodeName), (field.Key, field.OperatorProperty, Assert.Single(field.Values)));
                Assert.StartsWith("agent-", pod.Metadata.Name, StringComparison.Ordinal);
                Assert.Equal("1", pod.Metadata.Labels["pod-template-generation"]);
                Assert.False(string.IsNullOrEmpty(pod.Metadata.Labels["controller-revision-hash"]));
                var owner = Assert.Single(pod.Metadata.OwnerReferences);
                Assert.Equal(("DaemonSet", "agent", true), (owner.Kind, owner.Name, owner.Controller == true));
                foreach (var key in new[] { "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable", "node.kubernetes.io/disk-pressure", "node.kubernetes.io/memory-pressure", "node.kubernetes.io/pid-pressure", "node.kubernetes.io/unschedulable" })
                {
                    Assert.Contains(pod.Spec.Tolerations, t => t.Key == key && t.OperatorProperty == "Exists" && t.TolerationSeconds is null);
                }
            }

            var ds = await fixture.EventuallyAsync(async () =>
            {
                var d = await _admin.AppsV1.ReadNamespacedDaemonSetAsync("agent", ns);
                return d.Status.NumberAvailable == 2 && d.Status.ObservedGeneration == d.Metadata.Generation ? d : null;
            }, "agent's status to show 2 available pods");
            Assert.Equal((2, 2, 0, 2, 2, 2), (ds.Status.DesiredNumberScheduled, ds.Status.CurrentNumberScheduled, ds.Status.NumberMisscheduled, ds.Status.NumberReady, ds.Status.UpdatedNumberScheduled ?? 0, ds.Status.NumberAvailable ?? 0));
            Assert.Equal("1", ds.Metadata.Annotations["deprecated.daemonset.template.generation"]);
            var table = await fixture.KubectlOkAsync("get", "daemonset", "agent", "-n", ns, "--no-headers");
            Assert.Matches(@"^agent\s+2\s+2\s+2\s+2\s+2\s+<none>\s+", table);

            var events = await fixture.KubectlOkAsync("get", "events", "-n", ns, "--field-selector", "involvedObject.name=agent", "-o", "custom-columns=REASON:.reason,SOURCE:.source.component,MESSAGE:.message", "--no-headers");
            Assert.Matches(@"SuccessfulCreate\s+daemonset-controller\s+Created pod: agent-", events);

            // The taint goes: the node qualifies and gets its pod.
            await fixture.KubectlOkAsync("taint", "node", "node-3", "dedicated=infra:NoSchedule-");
            await WaitForPodsOnAsync(ns, "agent", "node-1", "node-2", "node-3");

            // A node joins: both daemon sets put a pod on it.
            node4 = await fixture.Components.StartNodeAsync("node-4");
            await WaitForPodsOnAsync(ns, "agent", "node-1", "node-2", "node-3", "node-4");
            await WaitForPodsOnAsync(ns, "tolerant", "node-1", "node-2", "node-3", "node-4");
            await fixture.EventuallyAsync(async () =>
            {
                var d = await _admin.AppsV1.ReadNamespacedDaemonSetAsync("agent", ns);
                return d.Status.DesiredNumberScheduled == 4 && d.Status.NumberAvailable == 4 ? d : null;
            }, "agent's status to count the new node");
        }
        finally
        {
            await fixture.Cluster.KubectlAsync("taint", "node", "node-3", "dedicated=infra:NoSchedule-");
            if (node4 is not null)
            {
                await node4.DisposeAsync();
                await fixture.Cluster.KubectlAsync("delete", "node", "node-4", "--wait=false");
            }

            await fixture.Cluster.KubectlAsync("delete", "namespace", ns, "--wait=false");
        }
    }

    [Fact]
    public async Task SetImage_RollsOutNodeByNode_RolloutStatusHistoryAndUndo()
    {
        var ns = await fixture.Cluster.CreateNamespaceAsync("ds-roll");
        try
        {
            await fixture.Cluster.KubectlWithInputAsync(DaemonSetYaml("agent", ns, "nginx:1.26"), "apply", "-f", "-");
            await fixture.KubectlOkAsync("rollout", "status", "daemonset/agent", "-n", ns, "--timeout=80s");
            var before = await WaitForPodsOnAsync(ns, "agent", ComponentsFixture.NodeNames);
            var firstHash = before[0].Metadata.Labels["controller-revision-hash"];

            await fixture.KubectlOkAsync("set", "image", "daemonset/agent", "agent=nginx:1.27", "-n", ns);
            var status = await fixture.KubectlOkAsync("rollout", "status", "daemonset/agent", "-n", ns, "--timeout=80s");
            Assert.Contains("daemon set \"agent\" successfully rolled out", status);
            var after = await WaitForPodsOnAsync(ns, "agent", ComponentsFixture.NodeNames);
            Assert.All(after, p => Assert.Equal("nginx:1.27", p.Spec.Containers[0].Image));
            Assert.All(after, p => Assert.Equal("2", p.Metadata.Labels["pod-template-generation"]));
            Assert.All(after, p => Assert.NotEqual(firstHash, p.Metadata.Labels["controller-revision-hash"]));
            Assert.Empty(after.Select(p => p.Metadata.Name).Intersect(before.Select(p => p.Metadata.Name)));

            var revisions = (await _admin.AppsV1.ListNamespacedControllerRevisionAsync(ns)).Items.OrderBy(r => r.Revision).ToList();
            Assert.Equal([1L, 2L], revisions.Select(r => r.Revision ?? 0));
            Assert.Equal(firstHash, revisions[0].Metadata.Labels["controller-revision-hash"]);
            Assert.All(revisions, r => Assert.Equal("agent", Assert.Single(r.Metadata.OwnerReferences).Name));

            var history = await fixture.KubectlOkAsync("rollout", "history", "daemonset/agent", "-n", ns);
            Assert.Matches(@"(?m)^1\s+<none>\s*$", history);
            Assert.Matches(@"(?m)^2\s+<none>\s*$", history);
            var second = await fixture.KubectlOkAsync("rollout", "history", "daemonset/agent", "-n", ns, "--revision=2");
            Assert.Contains("nginx:1.27", second);

            var undo = await fixture.KubectlOkAsync("rollout", "undo", "daemonset/agent", "-n", ns);
            Assert.Contains("daemonset.apps/agent rolled back", undo);
            await fixture.KubectlOkAsync("rollout", "status", "daemonset/agent", "-n", ns, "--timeout=80s");
            var undone = await fixture.EventuallyAsync(async () =>
            {
                var pods = await WaitForPodsOnAsync(ns, "agent", ComponentsFixture.NodeNames);
                return pods.All(p => p.Spec.Containers[0].Image == "nginx:1.26") ? pods : null;
            }, "the pods to be back on nginx:1.26");
            Assert.All(undone, p => Assert.Equal(firstHash, p.Metadata.Labels["controller-revision-hash"]));
            Assert.All(undone, p => Assert.Equal("3", p.Metadata.Labels["pod-template-generation"]));

            // The rolled-back template's revision is renumbered to 3, as kube does.
            history = await fixture.KubectlOkAsync("rollout", "history", "daemonset/agent", "-n", ns);
            Assert.Matches(@"(?m)^2\s+<none>\s*$", history);
            Assert.Matches(@"(?m)^3\s+<none>\s*$", history);
            Assert.DoesNotMatch(@"(?m)^1\s", history);
        }
        finally
        {
            await fixture.Cluster.KubectlAsync("delete", "namespace", ns, "--wait=false");
        }
    }
}
