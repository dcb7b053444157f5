using k8s;
using k8s.Models;

namespace Conformance.ControllerManager;

/// <summary>
/// The seeds' flow through kubectl: a Deployment makes a ReplicaSet that makes pods; scale, set image,
/// rollout status/history/undo. Pods are marked Running and Ready by the test (as a kubelet would).
/// </summary>
[Collection(ControllerManagerCollection.Name)]
public sealed class DeploymentTests(ControllerManagerFixture fixture)
{
    private readonly Kubernetes _admin = fixture.Admin;

    [Fact]
    public async Task CreateDeployment_MakesReplicaSetAndOwnedPods_ThenScaleSetImageAndUndoRollOut()
    {
        var cluster = fixture.Cluster;
        var ns = await cluster.CreateNamespaceAsync("deploy");
        await cluster.KubectlOkAsync("create", "deployment", "web", "--image=nginx", "--replicas=3", "-n", ns);

        var rs = await fixture.EventuallyAsync(async () =>
            (await _admin.AppsV1.ListNamespacedReplicaSetAsync(ns)).Items.SingleOrDefault(r => r.Status?.Replicas == 3), "a ReplicaSet with 3 replicas");
        var owner = Assert.Single(rs.Metadata.OwnerReferences);
        Assert.Equal(("Deployment", "web", true), (owner.Kind, owner.Name, owner.Controller == true));
        var hash = rs.Metadata.Labels["pod-template-hash"];
        Assert.Equal("web-" + hash, rs.Metadata.Name);
        Assert.Equal(hash, rs.Spec.Selector.MatchLabels["pod-template-hash"]);
        Assert.Equal("1", rs.Metadata.Annotations["deployment.kubernetes.io/revision"]);

        var pods = (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items;
        Assert.Equal(3, pods.Count);
        Assert.All(pods, p =>
        {
            Assert.StartsWith($"web-{hash}-", p.Metadata.Name, StringComparison.Ordinal);
            Assert.Equal(rs.Metadata.Uid, p.Metadata.OwnerReferences.Single(r => r.Controller == true).Uid);
            Assert.Equal(hash, p.Metadata.Labels["pod-template-hash"]);
        });
        var events = await cluster.KubectlOkAsync("get", "events", "-n", ns, "--field-selector", $"involvedObject.name={rs.Metadata.Name}", "-o", "jsonpath={.items[*].reason}");
        Assert.Contains("SuccessfulCreate", events, StringComparison.Ordinal);

        await using (fixture.MarkPodsReady(ns))
        {
            await RolloutStatusAsync(ns);
            var d = await _admin.AppsV1.ReadNamespacedDeploymentAsync("web", ns);
            Assert.Equal((3, 3, 3), (d.Status.ReadyReplicas, d.Status.AvailableReplicas, d.Status.UpdatedReplicas));
            Assert.Equal("1", d.Metadata.Annotations["deployment.kubernetes.io/revision"]);
            Assert.Contains(d.Status.Conditions, c => c.Type == "Available" && c.Status == "True" && c.Reason == "MinimumReplicasAvailable");
            Assert.Contains(d.Status.Conditions, c => c.Type == "Progressing" && c.Status == "True" && c.Reason == "NewReplicaSetAvailable");

            await cluster.KubectlOkAsync("scale", "deployment", "web", "--replicas=5", "-n", ns);
            await RolloutStatusAsync(ns);
            Assert.Equal(5, (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items.Count(p => p.Metadata.DeletionTimestamp is null));

            await cluster.KubectlOkAsync("set", "image", "deployment/web", "nginx=nginx:1.27", "-n", ns);
            await RolloutStatusAsync(ns);
            var sets = (await _admin.AppsV1.ListNamespacedReplicaSetAsync(ns)).Items;
            Assert.Equal(2, sets.Count);
            var updated = sets.Single(s => s.Spec.Template.Spec.Containers[0].Image == "nginx:1.27");
            Assert.Equal((5, "2"), (updated.Spec.Replicas, updated.Metadata.Annotations["deployment.kubernetes.io/revision"]));
            Assert.Equal(0, sets.Single(s => s.Metadata.Uid == rs.Metadata.Uid).Spec.Replicas);
            Assert.Equal(5, await LivePodsWithImageAsync(ns, "nginx:1.27"));

            var history = await cluster.KubectlOkAsync("rollout", "history", "deployment/web", "-n", ns);
            Assert.Matches(@"(?m)^1\s", history);
            Assert.Matches(@"(?m)^2\s", history);

            await cluster.KubectlOkAsync("rollout", "undo", "deployment/web", "-n", ns);
            await RolloutStatusAsync(ns);
            var back = await _admin.AppsV1.ReadNamespacedReplicaSetAsync(rs.Metadata.Name, ns);
            Assert.Equal((5, "3", "1"), (back.Spec.Replicas, back.Metadata.Annotations["deployment.kubernetes.io/revision"], back.Metadata.Annotations["deployment.kubernetes.io/revision-history"]));
            Assert.Equal(5, await LivePodsWithImageAsync(ns, "nginx"));
        }
    }

    [Fact]
    public async Task ReplicaSetAndReplicationController_AdoptOrphans_ReleaseUnmatched_AndReportStatus()
    {
        var cluster = fixture.Cluster;
        var ns = await cluster.CreateNamespaceAsync("rs");
        // An orphan pod the ReplicaSet selects is adopted rather than a new one created.
        await cluster.KubectlWithInputAsync("""
            apiVersion: v1
            kind: Pod
            metadata: {name: orphan, labels: {app: frontend}}
            spec: {containers: [{name: c, image: nginx}]}
            """, "apply", "-n", ns, "-f", "-");
        await cluster.KubectlWithInputAsync("""
            apiVersion: apps/v1
            kind: ReplicaSet
            metadata: {name: frontend}
            spec:
              replicas: 2
              selector: {matchLabels: {app: frontend}}
              template:
                metadata: {labels: {app: frontend, tier: web}}
                spec: {containers: [{name: c, image: nginx}]}
            """, "apply", "-n", ns, "-f", "-");
        var rs = await fixture.EventuallyAsync(async () =>
        {
            var r = await _admin.AppsV1.ReadNamespacedReplicaSetAsync("frontend", ns);
            return r.Status?.Replicas == 2 && r.Status.ObservedGeneration == r.Metadata.Generation ? r : null;
        }, "the ReplicaSet at 2 replicas");
        var orphan = await _admin.CoreV1.ReadNamespacedPodAsync("orphan", ns);
        Assert.Equal(rs.Metadata.Uid, orphan.Metadata.OwnerReferences.Single().Uid);
        Assert.Equal(2, (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items.Count);
        Assert.Equal(1, rs.Status.FullyLabeledReplicas);

        // A pod relabelled out of the selector is released and replaced.
        await cluster.KubectlOkAsync("label", "pod", "orphan", "app=other", "--overwrite", "-n", ns);
        await fixture.EventuallyAsync(async () =>
        {
            var pods = (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items;
            var released = pods.Single(p => p.Metadata.Name == "orphan");
            return (released.Metadata.OwnerReferences is null || released.Metadata.OwnerReferences.Count == 0) && pods.Count == 3 ? pods : null;
        }, "the relabelled pod released and replaced");

        // A ReplicationController does the same with its map selector.
        await cluster.KubectlWithInputAsync("""
            apiVersion: v1
            kind: ReplicationController
            metadata: {name: legacy}
            spec:
              replicas: 2
              selector: {app: legacy}
              template:
                metadata: {labels: {app: legacy}}
                spec: {containers: [{name: c, image: nginx}]}
            """, "apply", "-n", ns, "-f", "-");
        await using (fixture.MarkPodsReady(ns))
        {
            var rc = await fixture.EventuallyAsync(async () =>
            {
                var r = await _admin.CoreV1.ReadNamespacedReplicationControllerAsync("legacy", ns);
                return r.Status?.ReadyReplicas == 2 && r.Status.AvailableReplicas == 2 ? r : null;
            }, "the ReplicationController with 2 ready replicas");
            Assert.Equal(2, rc.Status.FullyLabeledReplicas);
        }

        await cluster.KubectlOkAsync("scale", "rc", "legacy", "--replicas=0", "-n", ns);
        await fixture.EventuallyAsync(async () =>
            (await _admin.CoreV1.ListNamespacedPodAsync(ns, labelSelector: "app=legacy")).Items.All(p => p.Metadata.DeletionTimestamp is not null) ? "" : null,
            "the ReplicationController's pods deleted");
    }

    private async Task RolloutStatusAsync(string ns)
    {
        var result = await fixture.Cluster.KubectlAsync("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s");
        Assert.True(result.ExitCode == 0, $"rollout status: {result.StdErr}{result.StdOut}\n{fixture.Logs()}");
    }

    private async Task<int> LivePodsWithImageAsync(string ns, string image)
    {
        var pods = await fixture.EventuallyAsync(async () =>
        {
            var items = (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items.Where(p => p.Metadata.DeletionTimestamp is null).ToList();
            return items.All(p => p.Spec.Containers[0].Image == image) ? items : null;
        }, $"only pods with image {image}");
        return pods.Count;
    }
}
