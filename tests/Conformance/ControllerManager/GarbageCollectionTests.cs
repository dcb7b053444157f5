using k8s;

namespace Conformance.ControllerManager;

/// <summary>Cascading deletion through kubectl --cascade: background, foreground and orphan, carried out by the garbage collector.</summary>
[Collection(ControllerManagerCollection.Name)]
public sealed class GarbageCollectionTests(ControllerManagerFixture fixture)
{
    private readonly Kubernetes _admin = fixture.Admin;

    [Fact]
    public async Task KubectlDeleteCascade_Orphan_Background_Foreground()
    {
        var cluster = fixture.Cluster;
        var ns = await cluster.CreateNamespaceAsync("gc");
        await cluster.KubectlOkAsync("create", "deployment", "keep", "--image=nginx", "--replicas=2", "-n", ns);
        await PodsAsync(ns, "app=keep", 2);

        // Orphan: the deployment goes, its ReplicaSet stays (without the reference) and keeps its pods.
        await cluster.KubectlOkAsync("delete", "deployment", "keep", "--cascade=orphan", "-n", ns);
        var rs = await fixture.EventuallyAsync(async () =>
        {
            var sets = (await _admin.AppsV1.ListNamespacedReplicaSetAsync(ns)).Items;
            return sets.Count == 1 && (sets[0].Metadata.OwnerReferences is null || sets[0].Metadata.OwnerReferences.Count == 0) ? sets[0] : null;
        }, "the orphaned ReplicaSet without owner references");
        Assert.Empty((await _admin.AppsV1.ListNamespacedDeploymentAsync(ns)).Items);
        Assert.Equal(2, (await PodsAsync(ns, "app=keep", 2)).Count);

        // Background: the ReplicaSet goes at once, its pods after it.
        await cluster.KubectlOkAsync("delete", "replicaset", rs.Metadata.Name, "--cascade=background", "-n", ns);
        await PodsAsync(ns, "app=keep", 0);

        // Foreground: the deployment stays (with the foregroundDeletion finalizer) until its dependents are gone.
        await cluster.KubectlOkAsync("create", "deployment", "fg", "--image=nginx", "--replicas=2", "-n", ns);
        await PodsAsync(ns, "app=fg", 2);
        var result = await cluster.KubectlAsync("delete", "deployment", "fg", "--cascade=foreground", "-n", ns, "--timeout=90s");
        Assert.True(result.ExitCode == 0, $"{result}\n{fixture.Logs()}");
        Assert.Empty((await _admin.AppsV1.ListNamespacedDeploymentAsync(ns)).Items);
        Assert.Empty((await _admin.AppsV1.ListNamespacedReplicaSetAsync(ns)).Items);
        Assert.DoesNotContain((await _admin.CoreV1.ListNamespacedPodAsync(ns, labelSelector: "app=fg")).Items, p => p.Metadata.DeletionTimestamp is null);
    }

    [Fact]
    public async Task OwnerGone_DependentOfAnyKindIsCollected_AndAnotherOwnerKeepsIt()
    {
        var cluster = fixture.Cluster;
        var ns = await cluster.CreateNamespaceAsync("gc-owners");
        await cluster.KubectlOkAsync("create", "configmap", "owner-a", "-n", ns);
        await cluster.KubectlOkAsync("create", "configmap", "owner-b", "-n", ns);
        var a = await _admin.CoreV1.ReadNamespacedConfigMapAsync("owner-a", ns);
        var b = await _admin.CoreV1.ReadNamespacedConfigMapAsync("owner-b", ns);
        string Ref(k8s.Models.V1ConfigMap o) => $"{{apiVersion: v1, kind: ConfigMap, name: {o.Metadata.Name}, uid: {o.Metadata.Uid}}}";
        await cluster.KubectlWithInputAsync($$"""
            apiVersion: v1
            kind: Secret
            metadata: {name: only-a, ownerReferences: [{{Ref(a)}}]}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: both, ownerReferences: [{{Ref(a)}}, {{Ref(b)}}]}
            """, "apply", "-n", ns, "-f", "-");

        await cluster.KubectlOkAsync("delete", "configmap", "owner-a", "-n", ns);
        var both = await fixture.EventuallyAsync(async () =>
        {
            var secrets = (await _admin.CoreV1.ListNamespacedSecretAsync(ns)).Items;
            var remaining = secrets.SingleOrDefault(s => s.Metadata.Name == "both");
            return secrets.All(s => s.Metadata.Name != "only-a") && remaining?.Metadata.OwnerReferences?.Count == 1 ? remaining : null;
        }, "only-a collected and both's reference to owner-a removed");
        Assert.Equal(b.Metadata.Uid, both.Metadata.OwnerReferences.Single().Uid);
    }

    private Task<List<k8s.Models.V1Pod>> PodsAsync(string ns, string selector, int count) =>
        fixture.EventuallyAsync(async () =>
        {
            var pods = (await _admin.CoreV1.ListNamespacedPodAsync(ns, labelSelector: selector)).Items.Where(p => p.Metadata.DeletionTimestamp is null).ToList();
            return pods.Count == count ? pods : null;
        }, $"{count} pod(s) with {selector}");
}
