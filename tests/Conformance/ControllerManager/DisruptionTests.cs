using k8s;
using k8s.Models;

namespace Conformance.ControllerManager;

/// <summary>
/// The disruption controller keeps PodDisruptionBudgets' status current, and the server's eviction
/// (here through `kubectl drain`) obeys what it computed: refused while the budget allows nothing,
/// allowed once it allows a disruption. Pods are put on a node by their template and marked Running
/// and Ready by the test (as a kubelet would).
/// </summary>
[Collection(ControllerManagerCollection.Name)]
public sealed class DisruptionTests(ControllerManagerFixture fixture)
{
    private readonly Kubernetes _admin = fixture.Admin;

    [Fact]
    public async Task KubectlDrain_BlockedWhileMinAvailableAllowsNothing_PassesOnceTheControllerAllowsDisruptions()
    {
        var cluster = fixture.Cluster;
        var ns = await cluster.CreateNamespaceAsync("pdb");
        var node = "pdb-node-" + Guid.NewGuid().ToString("N")[..6];
        await cluster.KubectlWithInputAsync($"""
            apiVersion: v1
            kind: Node
            metadata:
              name: {node}
            """, "create", "-f", "-");
        try
        {
            await ApplyAsync($$"""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web, namespace: {{ns}}}
                spec:
                  replicas: 2
                  selector: {matchLabels: {app: web} }
                  template:
                    metadata: {labels: {app: web} }
                    spec:
                      nodeName: {{node}}
                      containers: [{name: web, image: nginx}]
                """);
            await cluster.KubectlOkAsync("create", "poddisruptionbudget", "guard", "-n", ns, "--selector=app=web", "--min-available=2");

            await using (fixture.MarkPodsReady(ns))
            {
                // Two healthy pods, two required: nothing may be disrupted.
                var blocked = await BudgetAsync(ns, "guard", s => s.CurrentHealthy == 2 && s.ObservedGeneration == 1, "currentHealthy 2");
                Assert.Equal((2, 2, 0), (blocked.DesiredHealthy, blocked.ExpectedPods, blocked.DisruptionsAllowed));
                var insufficient = Assert.Single(blocked.Conditions, c => c.Type == "DisruptionAllowed");
                Assert.Equal(("False", "InsufficientPods"), (insufficient.Status, insufficient.Reason));
                Assert.Matches(@"guard\s+2\s+N/A\s+0\s", await cluster.KubectlOkAsync("get", "pdb", "guard", "-n", ns));

                var refused = await cluster.KubectlAsync("drain", node, "--force", "--grace-period=0", "--timeout=8s", "--ignore-daemonsets");
                Assert.NotEqual(0, refused.ExitCode);
                Assert.Contains("Cannot evict pod as it would violate the pod's disruption budget.", refused.StdOut + refused.StdErr);
                Assert.Equal(2, (await LivePodsAsync(ns)).Count);

                // One required now: the controller allows a disruption, drain evicts the pods one at a
                // time as their replacements become ready and the budget allows the next.
                await cluster.KubectlOkAsync("patch", "pdb", "guard", "-n", ns, "--type=merge", "-p", """{"spec":{"minAvailable":1}}""");
                var allowing = await BudgetAsync(ns, "guard", s => s.ObservedGeneration == 2 && s.DisruptionsAllowed == 1, "disruptionsAllowed 1 at generation 2");
                Assert.Equal((2, 1, 2), (allowing.CurrentHealthy, allowing.DesiredHealthy, allowing.ExpectedPods));
                var sufficient = Assert.Single(allowing.Conditions, c => c.Type == "DisruptionAllowed");
                Assert.Equal(("True", "SufficientPods", 2L), (sufficient.Status, sufficient.Reason, sufficient.ObservedGeneration));

                var original = (await LivePodsAsync(ns)).Select(p => p.Metadata.Name).ToHashSet();
                var drained = await cluster.KubectlAsync("drain", node, "--force", "--grace-period=0", "--timeout=90s", "--ignore-daemonsets");
                Assert.True(drained.ExitCode == 0, $"drain failed: {drained.StdOut}{drained.StdErr}\n{fixture.Logs()}");
                Assert.All(original, name => Assert.Contains($"pod/{name} evicted", drained.StdOut + drained.StdErr));
                Assert.DoesNotContain(await LivePodsAsync(ns), p => original.Contains(p.Metadata.Name));

                // The evictions were recorded and then seen as deletions: the status settles back.
                var settled = await BudgetAsync(ns, "guard", s => s.CurrentHealthy == 2 && s.DisruptionsAllowed == 1 && (s.DisruptedPods?.Count ?? 0) == 0, "settled again");
                Assert.Equal(2, settled.ExpectedPods);
            }
        }
        finally
        {
            await cluster.KubectlAsync("delete", "node", node);
        }
    }

    [Fact]
    public async Task Percentages_ResolveThroughTheControllersScale_AndFailuresAreSafe()
    {
        var cluster = fixture.Cluster;
        var ns = await cluster.CreateNamespaceAsync("pdbpct");
        await cluster.KubectlOkAsync("create", "deployment", "web", "--image=nginx", "--replicas=4", "-n", ns);
        foreach (var (name, bound) in new[] { ("half", "maxUnavailable: 50%"), ("most", "minAvailable: 70%") })
        {
            await ApplyAsync($$"""
                apiVersion: policy/v1
                kind: PodDisruptionBudget
                metadata: {name: {{name}}, namespace: {{ns}}}
                spec:
                  {{bound}}
                  selector: {matchLabels: {app: web} }
                """);
        }

        await using (fixture.MarkPodsReady(ns))
        {
            // 4 expected (the Deployment's replicas): 50% unavailable rounds up to 2, so 2 must stay
            // healthy; 70% available of 4 rounds up to 3.
            var half = await BudgetAsync(ns, "half", s => s.CurrentHealthy == 4, "4 healthy pods");
            Assert.Equal((4, 2, 2), (half.ExpectedPods, half.DesiredHealthy, half.DisruptionsAllowed));
            var most = await BudgetAsync(ns, "most", s => s.CurrentHealthy == 4, "4 healthy pods");
            Assert.Equal((4, 3, 1), (most.ExpectedPods, most.DesiredHealthy, most.DisruptionsAllowed));

            // Scaling the Deployment moves the expectation with it.
            await cluster.KubectlOkAsync("scale", "deployment", "web", "--replicas=6", "-n", ns);
            half = await BudgetAsync(ns, "half", s => s.ExpectedPods == 6 && s.CurrentHealthy == 6, "6 expected and healthy");
            Assert.Equal((3, 3), (half.DesiredHealthy, half.DisruptionsAllowed));
        }

        // A pod whose controller is of a kind the server does not serve: the percentage cannot be
        // resolved, so the budget fails safe — no disruptions, SyncFailed with kube's message.
        await ApplyAsync($$"""
            apiVersion: v1
            kind: Pod
            metadata:
              name: odd
              namespace: {{ns}}
              labels: {app: odd}
              ownerReferences:
              - {apiVersion: example.com/v1, kind: Widget, name: w, uid: 6f1b3c3e-0000-4000-8000-000000000001, controller: true}
            spec:
              containers: [{name: c, image: nginx}]
            """);
        await cluster.KubectlOkAsync("create", "poddisruptionbudget", "odd", "-n", ns, "--selector=app=odd", "--max-unavailable=1");
        var failed = await BudgetAsync(ns, "odd", s => s.Conditions?.Any(c => c.Reason == "SyncFailed") == true, "SyncFailed");
        Assert.Equal(0, failed.DisruptionsAllowed);
        var condition = Assert.Single(failed.Conditions, c => c.Type == "DisruptionAllowed");
        Assert.Equal("False", condition.Status);
        Assert.Contains("Widget", condition.Message, StringComparison.Ordinal);
        var events = await cluster.KubectlOkAsync("get", "events", "-n", ns, "--field-selector", "involvedObject.name=odd,involvedObject.kind=PodDisruptionBudget", "-o", "jsonpath={.items[*].reason}");
        Assert.Contains("CalculateExpectedPodCountFailed", events, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IntegerMinAvailable_CountsBarePods_AndAnEvictionIsSpentUntilThePodGoes()
    {
        var cluster = fixture.Cluster;
        var ns = await cluster.CreateNamespaceAsync("pdbbare");
        foreach (var name in new[] { "a", "b", "c" })
        {
            await cluster.KubectlOkAsync("run", name, "--image=nginx", "--labels=app=bare", "-n", ns);
        }

        await cluster.KubectlOkAsync("create", "poddisruptionbudget", "bare", "-n", ns, "--selector=app=bare", "--min-available=1");
        var pending = await BudgetAsync(ns, "bare", s => s.ExpectedPods == 3, "3 expected pods");
        Assert.Equal((0, 1, 0), (pending.CurrentHealthy, pending.DesiredHealthy, pending.DisruptionsAllowed));

        await using (fixture.MarkPodsReady(ns))
        {
            await BudgetAsync(ns, "bare", s => s.CurrentHealthy == 3 && s.DisruptionsAllowed == 2, "3 healthy, 2 allowed");
        }

        // A finalizer keeps the evicted pod (terminating) in the list: it no longer counts as healthy.
        await cluster.KubectlOkAsync("patch", "pod", "a", "-n", ns, "--type=merge", "-p", """{"metadata":{"finalizers":["example.com/hold"]}}""");
        await _admin.CoreV1.CreateNamespacedPodEvictionAsync(new V1Eviction { Metadata = new V1ObjectMeta { Name = "a", NamespaceProperty = ns } }, "a", ns);
        var after = await BudgetAsync(ns, "bare", s => s.CurrentHealthy == 2 && (s.DisruptedPods?.Count ?? 0) == 0, "2 healthy after the eviction");
        Assert.Equal(1, after.DisruptionsAllowed);
        await cluster.KubectlOkAsync("patch", "pod", "a", "-n", ns, "--type=json", "-p", """[{"op":"remove","path":"/metadata/finalizers"}]""");
    }

    private async Task ApplyAsync(string yaml)
    {
        var applied = await fixture.Cluster.KubectlWithInputAsync(yaml, "apply", "-f", "-");
        Assert.True(applied.ExitCode == 0, applied.StdErr);
    }

    private async Task<List<V1Pod>> LivePodsAsync(string ns) =>
        [.. (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items.Where(p => p.Metadata.DeletionTimestamp is null)];

    private Task<V1PodDisruptionBudgetStatus> BudgetAsync(string ns, string name, Func<V1PodDisruptionBudgetStatus, bool> done, string what) =>
        fixture.EventuallyAsync(async () =>
        {
            var budget = await _admin.PolicyV1.ReadNamespacedPodDisruptionBudgetAsync(name, ns);
            return budget.Status is { } status && done(status) ? status : null;
        }, $"PodDisruptionBudget {ns}/{name}: {what}");
}
