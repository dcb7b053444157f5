using Conformance.Components;
using k8s;
using k8s.Models;

namespace Conformance.Workloads;

/// <summary>
/// StatefulSets end to end through kubectl: ordinal pods made in order and each started on a simulated
/// node before the next, a claim per ordinal from volumeClaimTemplates, a deleted pod coming back under
/// its name, scale down from the highest ordinal, a partitioned rolling update highest ordinal first, and
/// <c>kubectl rollout status|history|undo</c>.
/// </summary>
[Collection(WorkloadsCollection.Name)]
public sealed class StatefulSetTests(WorkloadsFixture fixture)
{
    private readonly Kubernetes _admin = fixture.Admin;

    private static string StatefulSetYaml(string ns, int replicas, string image, string policy = "OrderedReady") => $$$"""
        apiVersion: v1
        kind: Service
        metadata: {name: nginx, namespace: {{{ns}}}}
        spec:
          clusterIP: None
          selector: {app: web}
          ports: [{port: 80, name: web}]
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: web, namespace: {{{ns}}}}
        spec:
          serviceName: nginx
          replicas: {{{replicas}}}
          podManagementPolicy: {{{policy}}}
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - name: nginx
                image: "{{{image}}}"
                volumeMounts: [{name: www, mountPath: /usr/share/nginx/html}]
          volumeClaimTemplates:
          - metadata: {name: www}
            spec:
              accessModes: [ReadWriteOnce]
              resources: {requests: {storage: 1Gi}}
        """;

    private async Task<List<V1Pod>> LivePodsAsync(string ns) =>
        [.. (await _admin.CoreV1.ListNamespacedPodAsync(ns, labelSelector: "app=web")).Items.Where(p => p.Metadata.DeletionTimestamp is null)];

    private Task<List<V1Pod>> WaitForPodsAsync(string ns, Func<List<V1Pod>, bool> done, string what) =>
        fixture.EventuallyAsync(async () =>
        {
            var pods = await LivePodsAsync(ns);
            return done(pods) ? pods : null;
        }, what);

    private static bool AllRunning(List<V1Pod> pods, params string[] names) =>
        pods.Select(p => p.Metadata.Name).Order(StringComparer.Ordinal).SequenceEqual(names.Order(StringComparer.Ordinal))
        && pods.All(p => p.Status?.Phase == "Running" && p.Status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true);

    [Fact]
    public async Task OrdinalsAreCreatedInOrder_KeepTheirNamesAndClaims_ScaleDownRemovesTheHighest()
    {
        var ns = await fixture.Cluster.CreateNamespaceAsync("sts");
        try
        {
            await fixture.Cluster.KubectlWithInputAsync(StatefulSetYaml(ns, 3, "nginx:1.26"), "apply", "-f", "-");
            await fixture.KubectlOkAsync("rollout", "status", "statefulset/web", "-n", ns, "--timeout=80s");
            var pods = await WaitForPodsAsync(ns, p => AllRunning(p, "web-0", "web-1", "web-2"), "web-0..2 Running and Ready");

            // OrderedReady: each ordinal was created only after the one before it was Running and Ready.
            var byName = pods.ToDictionary(p => p.Metadata.Name);
            for (var i = 1; i < 3; i++)
            {
                var previousReady = byName[$"web-{i - 1}"].Status.Conditions.Single(c => c.Type == "Ready").LastTransitionTime!.Value;
                Assert.True(byName[$"web-{i}"].Metadata.CreationTimestamp >= previousReady.AddSeconds(-1),
                    $"web-{i} created at {byName[$"web-{i}"].Metadata.CreationTimestamp:O} before web-{i - 1} was ready at {previousReady:O}");
            }

            foreach (var pod in pods)
            {
                var ordinal = pod.Metadata.Name[^1..];
                Assert.Equal(pod.Metadata.Name, pod.Metadata.Labels["statefulset.kubernetes.io/pod-name"]);
                Assert.Equal(ordinal, pod.Metadata.Labels["apps.kubernetes.io/pod-index"]);
                Assert.Equal((pod.Metadata.Name, "nginx"), (pod.Spec.Hostname, pod.Spec.Subdomain));
                Assert.Equal($"www-web-{ordinal}", pod.Spec.Volumes.Single(v => v.Name == "www").PersistentVolumeClaim.ClaimName);
            }

            var claims = await fixture.KubectlOkAsync("get", "pvc", "-n", ns, "-o", "custom-columns=NAME:.metadata.name,APP:.metadata.labels.app", "--no-headers");
            Assert.Equal(["www-web-0   web", "www-web-1   web", "www-web-2   web"], claims.Trim().Split('\n').Select(l => System.Text.RegularExpressions.Regex.Replace(l.Trim(), @"\s+", "   ")));

            var set = await _admin.AppsV1.ReadNamespacedStatefulSetAsync("web", ns);
            Assert.Equal((3, 3, 3, 3, 3), (set.Status.Replicas, set.Status.ReadyReplicas ?? 0, set.Status.AvailableReplicas ?? 0, set.Status.CurrentReplicas ?? 0, set.Status.UpdatedReplicas ?? 0));
            Assert.Equal(set.Status.CurrentRevision, set.Status.UpdateRevision);
            Assert.StartsWith("web-", set.Status.CurrentRevision, StringComparison.Ordinal);
            Assert.All(pods, p => Assert.Equal(set.Status.CurrentRevision, p.Metadata.Labels["controller-revision-hash"]));
            Assert.Equal(set.Metadata.Generation, set.Status.ObservedGeneration);
            Assert.Matches(@"^web\s+3/3\s+", await fixture.KubectlOkAsync("get", "statefulset", "web", "-n", ns, "--no-headers"));
            var events = await fixture.KubectlOkAsync("get", "events", "-n", ns, "--field-selector", "involvedObject.name=web,involvedObject.kind=StatefulSet", "-o", "custom-columns=REASON:.reason,MESSAGE:.message", "--no-headers");
            Assert.Matches(@"SuccessfulCreate\s+create Pod web-1 in StatefulSet web successful", events);
            Assert.Matches(@"SuccessfulCreate\s+create Claim www-web-1 Pod web-1 in StatefulSet web success", events);

            // A deleted pod comes back under its own name, with its own claim.
            var oldUid = byName["web-1"].Metadata.Uid;
            await fixture.KubectlOkAsync("delete", "pod", "web-1", "-n", ns, "--wait=false");
            var back = await WaitForPodsAsync(ns, p => AllRunning(p, "web-0", "web-1", "web-2") && p.Single(x => x.Metadata.Name == "web-1").Metadata.Uid != oldUid, "web-1 to come back");
            Assert.Equal("www-web-1", back.Single(p => p.Metadata.Name == "web-1").Spec.Volumes.Single(v => v.Name == "www").PersistentVolumeClaim.ClaimName);

            // Scale down: the highest ordinal goes; its claim stays (whenScaled: Retain).
            await fixture.KubectlOkAsync("scale", "statefulset", "web", "--replicas=1", "-n", ns);
            await WaitForPodsAsync(ns, p => AllRunning(p, "web-0"), "only web-0 to remain");
            var deletes = await fixture.KubectlOkAsync("get", "events", "-n", ns, "--field-selector", "involvedObject.name=web,reason=SuccessfulDelete", "-o", "custom-columns=MESSAGE:.message", "--no-headers");
            Assert.Contains("delete Pod web-2 in StatefulSet web successful", deletes);
            Assert.Contains("delete Pod web-1 in StatefulSet web successful", deletes);
            Assert.Equal(3, (await _admin.CoreV1.ListNamespacedPersistentVolumeClaimAsync(ns)).Items.Count);
            await fixture.EventuallyAsync(async () =>
            {
                var s = await _admin.AppsV1.ReadNamespacedStatefulSetAsync("web", ns);
                return s.Status.Replicas == 1 && s.Status.ReadyReplicas == 1 ? s : null;
            }, "status to show one replica");
        }
        finally
        {
            await fixture.Cluster.KubectlAsync("delete", "namespace", ns, "--wait=false");
        }
    }

    [Fact]
    public async Task ClaimRetentionPolicyDelete_ScaledDownClaimsGoWithTheirPod_TheRestWithTheSet()
    {
        var ns = await fixture.Cluster.CreateNamespaceAsync("sts-pvc");
        try
        {
            await fixture.Cluster.KubectlWithInputAsync($$$"""
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: db, namespace: {{{ns}}}}
                spec:
                  replicas: 2
                  podManagementPolicy: Parallel
                  persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete, whenScaled: Delete}
                  selector: {matchLabels: {app: db}}
                  template:
                    metadata: {labels: {app: db}}
                    spec:
                      containers: [{name: db, image: postgres, volumeMounts: [{name: data, mountPath: /var/lib/postgresql}]}]
                  volumeClaimTemplates:
                  - metadata: {name: data}
                    spec:
                      accessModes: [ReadWriteOnce]
                      resources:
                        requests: {storage: 1Gi}
                """, "apply", "-f", "-");
            await fixture.KubectlOkAsync("rollout", "status", "statefulset/db", "-n", ns, "--timeout=80s");
            var set = await _admin.AppsV1.ReadNamespacedStatefulSetAsync("db", ns);
            var claims = (await _admin.CoreV1.ListNamespacedPersistentVolumeClaimAsync(ns)).Items;
            Assert.Equal(["data-db-0", "data-db-1"], claims.Select(c => c.Metadata.Name).Order(StringComparer.Ordinal));
            Assert.All(claims, c => Assert.Equal(("StatefulSet", "db", set.Metadata.Uid), (c.Metadata.OwnerReferences.Single().Kind, c.Metadata.OwnerReferences.Single().Name, c.Metadata.OwnerReferences.Single().Uid)));

            // whenScaled: Delete — the condemned pod's claim becomes its dependent and goes with it.
            await fixture.KubectlOkAsync("scale", "statefulset", "db", "--replicas=1", "-n", ns);
            await fixture.EventuallyAsync(async () =>
            {
                var left = (await _admin.CoreV1.ListNamespacedPersistentVolumeClaimAsync(ns)).Items;
                return left.Count == 1 && left[0].Metadata.Name == "data-db-0" ? left : null;
            }, "data-db-1 to be deleted with db-1");

            // whenDeleted: Delete — the garbage collector removes the remaining claims with the set.
            await fixture.KubectlOkAsync("delete", "statefulset", "db", "-n", ns);
            await fixture.EventuallyAsync(async () =>
                (await _admin.CoreV1.ListNamespacedPersistentVolumeClaimAsync(ns)).Items.Count == 0 ? "gone" : null,
                "data-db-0 to be deleted with the set");
        }
        finally
        {
            await fixture.Cluster.KubectlAsync("delete", "namespace", ns, "--wait=false");
        }
    }

    [Fact]
    public async Task PartitionedRollingUpdate_HighestOrdinalFirst_ThenRolloutStatusHistoryAndUndo()
    {
        var ns = await fixture.Cluster.CreateNamespaceAsync("sts-roll");
        try
        {
            await fixture.Cluster.KubectlWithInputAsync(StatefulSetYaml(ns, 3, "nginx:1.26", "Parallel"), "apply", "-f", "-");
            await fixture.KubectlOkAsync("rollout", "status", "statefulset/web", "-n", ns, "--timeout=80s");
            await WaitForPodsAsync(ns, p => AllRunning(p, "web-0", "web-1", "web-2"), "web-0..2 Running");
            var first = (await _admin.AppsV1.ReadNamespacedStatefulSetAsync("web", ns)).Status.CurrentRevision;

            // Partition 2: only web-2 moves to the new template.
            await fixture.KubectlOkAsync("patch", "statefulset", "web", "-n", ns, "-p", """{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}}}}""");
            await fixture.KubectlOkAsync("set", "image", "statefulset/web", "nginx=nginx:1.27", "-n", ns);
            var partitioned = await fixture.KubectlOkAsync("rollout", "status", "statefulset/web", "-n", ns, "--timeout=80s");
            Assert.Contains("partitioned roll out complete: 1 new pods have been updated...", partitioned);
            var pods = await WaitForPodsAsync(ns, p => AllRunning(p, "web-0", "web-1", "web-2") && p.Single(x => x.Metadata.Name == "web-2").Spec.Containers[0].Image == "nginx:1.27", "web-2 updated");
            var set = await _admin.AppsV1.ReadNamespacedStatefulSetAsync("web", ns);
            Assert.NotEqual(set.Status.CurrentRevision, set.Status.UpdateRevision);
            Assert.Equal(first, set.Status.CurrentRevision);
            Assert.Equal((2, 1), (set.Status.CurrentReplicas ?? 0, set.Status.UpdatedReplicas ?? 0));
            Assert.Equal(["nginx:1.26", "nginx:1.26", "nginx:1.27"], pods.OrderBy(p => p.Metadata.Name, StringComparer.Ordinal).Select(p => p.Spec.Containers[0].Image));

            // Partition 0: the rest follow, web-1 before web-0.
            await fixture.KubectlOkAsync("patch", "statefulset", "web", "-n", ns, "-p", """{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}""");
            await fixture.KubectlOkAsync("rollout", "status", "statefulset/web", "-n", ns, "--timeout=80s");
            pods = await WaitForPodsAsync(ns, p => AllRunning(p, "web-0", "web-1", "web-2") && p.All(x => x.Spec.Containers[0].Image == "nginx:1.27"), "every pod updated");
            var byName = pods.ToDictionary(p => p.Metadata.Name);
            Assert.True(byName["web-1"].Metadata.CreationTimestamp <= byName["web-0"].Metadata.CreationTimestamp, "web-1 was replaced before web-0");
            set = await fixture.EventuallyAsync(async () =>
            {
                var s = await _admin.AppsV1.ReadNamespacedStatefulSetAsync("web", ns);
                return s.Status.CurrentRevision == s.Status.UpdateRevision && s.Status.CurrentReplicas == 3 ? s : null;
            }, "the rolling update to complete");
            Assert.All(pods, p => Assert.Equal(set.Status.UpdateRevision, p.Metadata.Labels["controller-revision-hash"]));

            var history = await fixture.KubectlOkAsync("rollout", "history", "statefulset/web", "-n", ns);
            Assert.Matches(@"(?m)^1\s+<none>\s*$", history);
            Assert.Matches(@"(?m)^2\s+<none>\s*$", history);
            Assert.Contains("nginx:1.26", await fixture.KubectlOkAsync("rollout", "history", "statefulset/web", "-n", ns, "--revision=1"));

            Assert.Contains("statefulset.apps/web rolled back", await fixture.KubectlOkAsync("rollout", "undo", "statefulset/web", "-n", ns));
            await fixture.KubectlOkAsync("rollout", "status", "statefulset/web", "-n", ns, "--timeout=80s");
            await WaitForPodsAsync(ns, p => AllRunning(p, "web-0", "web-1", "web-2") && p.All(x => x.Spec.Containers[0].Image == "nginx:1.26"), "every pod back on nginx:1.26");
            set = await fixture.EventuallyAsync(async () =>
            {
                var s = await _admin.AppsV1.ReadNamespacedStatefulSetAsync("web", ns);
                return s.Status.CurrentRevision == first && s.Status.UpdateRevision == first && s.Status.CurrentReplicas == 3 ? s : null;
            }, "the first revision to be current again");
            var revisions = (await _admin.AppsV1.ListNamespacedControllerRevisionAsync(ns)).Items;
            Assert.Equal(3L, revisions.Single(r => r.Metadata.Name == first).Revision ?? 0);
            Assert.Equal(2, revisions.Count);
        }
        finally
        {
            await fixture.Cluster.KubectlAsync("delete", "namespace", ns, "--wait=false");
        }
    }
}
