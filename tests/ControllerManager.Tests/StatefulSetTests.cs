using ControllerManager.Common;
using ControllerManager.StatefulSet;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;

namespace ControllerManager.Tests;

public sealed class StatefulSetTests
{
    private static readonly DateTime Now = new(2026, 12, 4, 4, 0, 0, DateTimeKind.Utc);

    private static V1StatefulSet Set(int replicas = 3, string policy = "OrderedReady", int? partition = 0, string strategy = "RollingUpdate", string image = "nginx:1") => new()
    {
        Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "ns", Uid = "set-uid", Generation = 4 },
        Spec = new V1StatefulSetSpec
        {
            Replicas = replicas,
            ServiceName = "nginx",
            PodManagementPolicy = policy,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "web" } },
                Spec = new V1PodSpec
                {
                    Containers = [new V1Container { Name = "nginx", Image = image, VolumeMounts = [new V1VolumeMount { Name = "www", MountPath = "/usr/share/nginx/html" }] }],
                    Volumes = [new V1Volume { Name = "www", EmptyDir = new V1EmptyDirVolumeSource() }, new V1Volume { Name = "config", EmptyDir = new V1EmptyDirVolumeSource() }],
                },
            },
            VolumeClaimTemplates = [new V1PersistentVolumeClaim { Metadata = new V1ObjectMeta { Name = "www", Labels = new Dictionary<string, string> { ["tier"] = "data" } }, Spec = new V1PersistentVolumeClaimSpec { AccessModes = ["ReadWriteOnce"] } }],
            UpdateStrategy = new V1StatefulSetUpdateStrategy { Type = strategy, RollingUpdate = partition is null ? null : new V1RollingUpdateStatefulSetStrategy { Partition = partition } },
        },
    };

    private static V1ControllerRevision Revision(V1StatefulSet set, string name, long revision) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "ns" },
        Data = ControllerRevisions.TemplatePatch(set.Spec.Template),
        Revision = revision,
    };

    private static V1Pod Pod(V1StatefulSet set, int ordinal, string revision, string phase = "Running", bool ready = true, bool terminating = false)
    {
        var pod = StatefulSetPods.NewPod(set, ordinal);
        pod.Metadata.Uid = "uid-" + ordinal;
        pod.Metadata.Labels[ControllerRevisions.ControllerRevisionHashLabel] = revision;
        pod.Metadata.DeletionTimestamp = terminating ? Now : null;
        pod.Status = new V1PodStatus
        {
            Phase = phase,
            Conditions = ready ? [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = Now.AddMinutes(-5) }] : null,
        };
        return pod;
    }

    private sealed class RecordingControl : IStatefulPodControl
    {
        public List<string> Actions { get; } = [];

        public Task CreateAsync(V1StatefulSet set, V1Pod pod, CancellationToken cancellationToken)
        {
            Actions.Add($"create {pod.Metadata.Name} {StatefulSetPods.Revision(pod)}");
            return Task.CompletedTask;
        }

        public Task CreateMissingClaimsAsync(V1StatefulSet set, V1Pod pod, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task DeleteAsync(V1StatefulSet set, V1Pod pod, CancellationToken cancellationToken)
        {
            Actions.Add("delete " + pod.Metadata.Name);
            return Task.CompletedTask;
        }

        public Task UpdateIdentityAsync(V1StatefulSet set, V1Pod pod, CancellationToken cancellationToken)
        {
            Actions.Add("relabel " + pod.Metadata.Name);
            return Task.CompletedTask;
        }

        public Task ApplyRetentionPolicyAsync(V1StatefulSet set, V1Pod pod, bool condemned, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static async Task<(List<string> Actions, V1StatefulSetStatus Status)> RunAsync(V1StatefulSet set, V1ControllerRevision current, V1ControllerRevision update, params V1Pod[] pods)
    {
        var control = new RecordingControl();
        var updater = new StatefulSetUpdater(control, new FakeTimeProvider(Now));
        var (status, error) = await updater.UpdateAsync(set, current, update, 0, pods, CancellationToken.None);
        Assert.Null(error);
        return (control.Actions, status);
    }

    [Fact]
    public void NewPod_HasTheOrdinalIdentity_AndOneClaimVolumePerTemplate()
    {
        var set = Set();
        var pod = StatefulSetPods.NewPod(set, 2);
        Assert.Equal("web-2", pod.Metadata.Name);
        Assert.Equal("web-", pod.Metadata.GenerateName);
        Assert.Equal(("web-2", "2", "web"), (pod.Metadata.Labels[StatefulSetPods.PodNameLabel], pod.Metadata.Labels[StatefulSetPods.PodIndexLabel], pod.Metadata.Labels["app"]));
        Assert.Equal(("web-2", "nginx"), (pod.Spec.Hostname, pod.Spec.Subdomain));
        Assert.Equal(["www", "config"], pod.Spec.Volumes.Select(v => v.Name));
        Assert.Equal("www-web-2", pod.Spec.Volumes[0].PersistentVolumeClaim.ClaimName);
        Assert.Null(pod.Spec.Volumes[0].EmptyDir);
        var owner = Assert.Single(pod.Metadata.OwnerReferences);
        Assert.Equal(("StatefulSet", "web", true), (owner.Kind, owner.Name, owner.Controller == true));
        Assert.True(StatefulSetPods.IdentityMatches(set, pod));

        var (volume, claim) = Assert.Single(StatefulSetPods.Claims(set, 2));
        Assert.Equal(("www", "www-web-2", "ns"), (volume, claim.Metadata.Name, claim.Metadata.NamespaceProperty));
        Assert.Equal("data", claim.Metadata.Labels["tier"]);
        Assert.Equal("web", claim.Metadata.Labels["app"]);

        Assert.Equal(("web", 12), StatefulSetPods.ParentAndOrdinal(new V1Pod { Metadata = new V1ObjectMeta { Name = "web-12" } }));
        Assert.Equal(("my-db", 0), StatefulSetPods.ParentAndOrdinal(new V1Pod { Metadata = new V1ObjectMeta { Name = "my-db-0" } }));
        Assert.Equal(-1, StatefulSetPods.Ordinal(new V1Pod { Metadata = new V1ObjectMeta { Name = "web-x" } }));
        Assert.False(StatefulSetPods.IsMemberOf(set, new V1Pod { Metadata = new V1ObjectMeta { Name = "webby-0" } }));
    }

    [Fact]
    public async Task OrderedReady_CreatesOneOrdinalAtATime_WaitingForRunningAndReady()
    {
        var set = Set();
        var rev = Revision(set, "web-r1", 1);
        var (actions, status) = await RunAsync(set, rev, rev);
        Assert.Equal(["create web-0 web-r1"], actions);
        Assert.Equal(0, status.Replicas);
        Assert.Equal(("web-r1", "web-r1", 4L), (status.CurrentRevision, status.UpdateRevision, status.ObservedGeneration));

        (actions, _) = await RunAsync(set, rev, rev, Pod(set, 0, "web-r1", phase: "Pending", ready: false));
        Assert.Empty(actions);

        (actions, status) = await RunAsync(set, rev, rev, Pod(set, 0, "web-r1"));
        Assert.Equal(["create web-1 web-r1"], actions);
        Assert.Equal((1, 1, 1, 1), (status.Replicas, status.ReadyReplicas ?? 0, status.AvailableReplicas ?? 0, status.CurrentReplicas ?? 0));

        // A missing middle ordinal comes back under its own name.
        (actions, _) = await RunAsync(set, rev, rev, Pod(set, 0, "web-r1"), Pod(set, 2, "web-r1"));
        Assert.Equal(["create web-1 web-r1"], actions);

        // A failed pod is deleted, to be made again once it is gone.
        (actions, _) = await RunAsync(set, rev, rev, Pod(set, 0, "web-r1"), Pod(set, 1, "web-r1", phase: "Failed", ready: false));
        Assert.Equal(["delete web-1"], actions);
    }

    [Fact]
    public async Task Parallel_CreatesAllMissingOrdinalsAtOnce()
    {
        var set = Set(replicas: 4, policy: "Parallel");
        var rev = Revision(set, "web-r1", 1);
        var (actions, _) = await RunAsync(set, rev, rev, Pod(set, 1, "web-r1", phase: "Pending", ready: false));
        Assert.Equal(["create web-0 web-r1", "create web-2 web-r1", "create web-3 web-r1"], actions.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ScaleDown_RemovesTheHighestOrdinalFirst_OneAtATime()
    {
        var set = Set(replicas: 1);
        var rev = Revision(set, "web-r1", 1);
        var (actions, _) = await RunAsync(set, rev, rev, Pod(set, 0, "web-r1"), Pod(set, 1, "web-r1"), Pod(set, 2, "web-r1"));
        Assert.Equal(["delete web-2"], actions);

        (actions, _) = await RunAsync(set, rev, rev, Pod(set, 0, "web-r1"), Pod(set, 1, "web-r1"), Pod(set, 2, "web-r1", terminating: true));
        Assert.Empty(actions);

        var parallel = Set(replicas: 1, policy: "Parallel");
        (actions, _) = await RunAsync(parallel, rev, rev, Pod(parallel, 0, "web-r1"), Pod(parallel, 1, "web-r1"), Pod(parallel, 2, "web-r1"));
        Assert.Equal(["delete web-1", "delete web-2"], actions.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task RollingUpdate_ReplacesHighestOrdinalFirst_DownToThePartition_WaitingForEachToBeReady()
    {
        var old = Set();
        var set = Set(partition: 1, image: "nginx:2");
        var r1 = Revision(old, "web-r1", 1);
        var r2 = Revision(set, "web-r2", 2);
        var (actions, status) = await RunAsync(set, r1, r2, Pod(old, 0, "web-r1"), Pod(old, 1, "web-r1"), Pod(old, 2, "web-r1"));
        Assert.Equal(["delete web-2"], actions);
        Assert.Equal((3, 2, 0), (status.Replicas, status.CurrentReplicas ?? 0, status.UpdatedReplicas ?? 0));

        // web-2 recreated at the update revision (at or above the partition) and not yet ready: wait.
        var replaced = StatefulSetPods.NewVersionedPod(StatefulSetPods.ApplyRevision(set, r1), set, "web-r1", "web-r2", 2);
        Assert.Equal("web-r2", StatefulSetPods.Revision(replaced));
        Assert.Equal("nginx:2", replaced.Spec.Containers[0].Image);
        (actions, _) = await RunAsync(set, r1, r2, Pod(old, 0, "web-r1"), Pod(old, 1, "web-r1"), Pod(set, 2, "web-r2", phase: "Pending", ready: false));
        Assert.Empty(actions);

        // Ready: the next one down is web-1; web-0 is below the partition and stays.
        (actions, _) = await RunAsync(set, r1, r2, Pod(old, 0, "web-r1"), Pod(old, 1, "web-r1"), Pod(set, 2, "web-r2"));
        Assert.Equal(["delete web-1"], actions);
        (actions, status) = await RunAsync(set, r1, r2, Pod(old, 0, "web-r1"), Pod(set, 1, "web-r2"), Pod(set, 2, "web-r2"));
        Assert.Empty(actions);
        Assert.Equal((1, 2), (status.CurrentReplicas ?? 0, status.UpdatedReplicas ?? 0));

        // Below the partition a missing pod comes back at the current revision.
        var below = StatefulSetPods.NewVersionedPod(StatefulSetPods.ApplyRevision(set, r1), set, "web-r1", "web-r2", 0);
        Assert.Equal(("web-r1", "nginx:1"), (StatefulSetPods.Revision(below), below.Spec.Containers[0].Image));

        // OnDelete replaces nothing by itself.
        var onDelete = Set(strategy: "OnDelete", partition: null, image: "nginx:2");
        (actions, _) = await RunAsync(onDelete, r1, r2, Pod(old, 0, "web-r1"), Pod(old, 1, "web-r1"), Pod(old, 2, "web-r1"));
        Assert.Empty(actions);
    }

    [Fact]
    public async Task APodMissingItsIdentityLabels_IsRelabelled()
    {
        var set = Set(replicas: 1);
        var rev = Revision(set, "web-r1", 1);
        var pod = Pod(set, 0, "web-r1");
        pod.Metadata.Labels.Remove(StatefulSetPods.PodIndexLabel);
        var (actions, _) = await RunAsync(set, rev, rev, pod);
        Assert.Equal(["relabel web-0"], actions);
    }
}
