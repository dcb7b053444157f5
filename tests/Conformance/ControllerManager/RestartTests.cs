using k8s;
using k8s.Models;

namespace Conformance.ControllerManager;

/// <summary>
/// The controller manager survives what kube's does: the API server and the controller manager both
/// restart in the middle of a rollout, the new controller manager takes over the leader Lease, and the
/// rollout completes with exactly the Deployment's number of pods (expectations and the caches rebuilt
/// from a fresh list never over-create).
/// </summary>
[Collection(ControllerManagerCollection.Name)]
public sealed class RestartTests(ControllerManagerFixture fixture)
{
    private readonly Kubernetes _admin = fixture.Admin;

    [Fact]
    public async Task ServerAndControllerManagerRestartMidRollout_RolloutCompletes_NoOverCreation_LeaseTakenOver()
    {
        var cluster = fixture.Cluster;
        var ns = await cluster.CreateNamespaceAsync("restart");
        await cluster.KubectlOkAsync("create", "deployment", "web", "--image=nginx", "--replicas=6", "-n", ns);
        await using (fixture.MarkPodsReady(ns))
        {
            await cluster.KubectlOkAsync("rollout", "status", "deployment/web", "-n", ns, "--timeout=120s");
            var before = await _admin.CoordinationV1.ReadNamespacedLeaseAsync("kube-controller-manager", "kube-system");
            Assert.False(string.IsNullOrEmpty(before.Spec.HolderIdentity));

            await cluster.KubectlOkAsync("set", "image", "deployment/web", "nginx=nginx:1.27", "-n", ns);
            await fixture.ControllerManager.StopAsync();
            Assert.Equal(0, await cluster.Server.StopAsync(TimeSpan.FromSeconds(30)));
            await cluster.Server.StartAsync(cluster.CreateHttpClient(null), TimeSpan.FromSeconds(90));
            fixture.ControllerManager.Start();

            await fixture.EventuallyAsync(async () =>
            {
                var lease = await _admin.CoordinationV1.ReadNamespacedLeaseAsync("kube-controller-manager", "kube-system");
                return lease.Spec.HolderIdentity != before.Spec.HolderIdentity ? lease : null;
            }, "the restarted controller manager to take the leader Lease", TimeSpan.FromSeconds(120));
            await cluster.KubectlOkAsync("rollout", "status", "deployment/web", "-n", ns, "--timeout=150s");

            var pods = (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items.Where(p => p.Metadata.DeletionTimestamp is null).ToList();
            Assert.Equal(6, pods.Count);
            Assert.All(pods, p => Assert.Equal("nginx:1.27", p.Spec.Containers[0].Image));
            var sets = (await _admin.AppsV1.ListNamespacedReplicaSetAsync(ns)).Items;
            Assert.Equal([0, 6], sets.Select(s => s.Spec.Replicas ?? 0).Order());
            var d = await _admin.AppsV1.ReadNamespacedDeploymentAsync("web", ns);
            Assert.Equal((6, 6, 6), (d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.AvailableReplicas));
        }
    }
}
