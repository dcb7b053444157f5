using ControllerManager.Common;
using ControllerManager.DaemonSet;
using k8s.Models;

namespace ControllerManager.Tests;

public sealed class DaemonSetTests
{
    private static readonly DateTime Now = new(2026, 12, 4, 4, 0, 0, DateTimeKind.Utc);

    private static V1DaemonSet DaemonSet(string? maxUnavailable = "1", string? maxSurge = "0", string strategy = "RollingUpdate", Action<V1PodSpec>? spec = null)
    {
        var podSpec = new V1PodSpec { Containers = [new V1Container { Name = "agent", Image = "agent:1" }] };
        spec?.Invoke(podSpec);
        return new V1DaemonSet
        {
            Metadata = new V1ObjectMeta
            {
                Name = "agent",
                NamespaceProperty = "ns",
                Uid = "ds-uid",
                Generation = 2,
                Annotations = new Dictionary<string, string> { [DaemonSetPlan.TemplateGenerationAnnotation] = "2" },
            },
            Spec = new V1DaemonSetSpec
            {
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "agent" } },
                Template = new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "agent" } }, Spec = podSpec },
                UpdateStrategy = new V1DaemonSetUpdateStrategy
                {
                    Type = strategy,
                    RollingUpdate = strategy == "RollingUpdate"
                        ? new V1RollingUpdateDaemonSet { MaxUnavailable = maxUnavailable is null ? null : (IntOrString)maxUnavailable, MaxSurge = maxSurge is null ? null : (IntOrString)maxSurge }
                        : null,
                },
            },
        };
    }

    private static V1Node Node(string name, Dictionary<string, string>? labels = null, params V1Taint[] taints) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels ?? new Dictionary<string, string> { ["kubernetes.io/hostname"] = name } },
        Spec = new V1NodeSpec { Taints = taints.Length == 0 ? null : [.. taints] },
    };

    private static V1Pod Pod(string name, string node, string hash, bool available = true, string phase = "Running", int ageMinutes = 10, bool deleting = false) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = "ns",
            CreationTimestamp = Now.AddMinutes(-ageMinutes),
            DeletionTimestamp = deleting ? Now : null,
            Labels = new Dictionary<string, string> { ["app"] = "agent", [ControllerRevisions.ControllerRevisionHashLabel] = hash },
        },
        Spec = new V1PodSpec { NodeName = node },
        Status = new V1PodStatus
        {
            Phase = phase,
            Conditions = available ? [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = Now.AddMinutes(-ageMinutes) }] : null,
        },
    };

    [Fact]
    public void NodeShouldRun_FollowsSelectorAffinityAndTaints_WithTheDaemonTolerations()
    {
        var ds = DaemonSet();
        Assert.Equal((true, true), DaemonSetPlan.NodeShouldRun(ds, Node("n1")));

        // kube's daemon tolerations: cordoned, not-ready, unreachable and pressured nodes still run daemon pods.
        Assert.Equal((true, true), DaemonSetPlan.NodeShouldRun(ds, Node("n1", null,
            new V1Taint { Key = "node.kubernetes.io/unschedulable", Effect = "NoSchedule" },
            new V1Taint { Key = "node.kubernetes.io/not-ready", Effect = "NoExecute" },
            new V1Taint { Key = "node.kubernetes.io/unreachable", Effect = "NoExecute" },
            new V1Taint { Key = "node.kubernetes.io/disk-pressure", Effect = "NoSchedule" },
            new V1Taint { Key = "node.kubernetes.io/memory-pressure", Effect = "NoSchedule" },
            new V1Taint { Key = "node.kubernetes.io/pid-pressure", Effect = "NoSchedule" })));

        // network-unavailable is tolerated only by host-network pods.
        var network = new V1Taint { Key = "node.kubernetes.io/network-unavailable", Effect = "NoSchedule" };
        Assert.Equal((false, true), DaemonSetPlan.NodeShouldRun(ds, Node("n1", null, network)));
        Assert.Equal((true, true), DaemonSetPlan.NodeShouldRun(DaemonSet(spec: s => s.HostNetwork = true), Node("n1", null, network)));

        // An untolerated NoSchedule taint: no new pod, but a running one stays; NoExecute: it goes too.
        Assert.Equal((false, true), DaemonSetPlan.NodeShouldRun(ds, Node("n1", null, new V1Taint { Key = "dedicated", Value = "infra", Effect = "NoSchedule" })));
        Assert.Equal((false, false), DaemonSetPlan.NodeShouldRun(ds, Node("n1", null, new V1Taint { Key = "dedicated", Value = "infra", Effect = "NoExecute" })));
        var tolerant = DaemonSet(spec: s => s.Tolerations = [new V1Toleration { Key = "dedicated", OperatorProperty = "Equal", Value = "infra", Effect = "NoSchedule" }]);
        Assert.Equal((true, true), DaemonSetPlan.NodeShouldRun(tolerant, Node("n1", null, new V1Taint { Key = "dedicated", Value = "infra", Effect = "NoSchedule" })));
        Assert.Equal((true, true), DaemonSetPlan.NodeShouldRun(ds, Node("n1", null, new V1Taint { Key = "soft", Effect = "PreferNoSchedule" })));

        var selective = DaemonSet(spec: s => s.NodeSelector = new Dictionary<string, string> { ["disk"] = "ssd" });
        Assert.Equal((false, false), DaemonSetPlan.NodeShouldRun(selective, Node("n1")));
        Assert.Equal((true, true), DaemonSetPlan.NodeShouldRun(selective, Node("n1", new Dictionary<string, string> { ["disk"] = "ssd" })));

        var affine = DaemonSet(spec: s => s.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
                {
                    NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "zone", OperatorProperty = "In", Values = ["a"] }] }],
                },
            },
        });
        Assert.False(DaemonSetPlan.NodeShouldRun(affine, Node("n1")).ShouldRun);
        Assert.True(DaemonSetPlan.NodeShouldRun(affine, Node("n1", new Dictionary<string, string> { ["zone"] = "a" })).ShouldRun);
        Assert.Equal((false, false), DaemonSetPlan.NodeShouldRun(DaemonSet(spec: s => s.NodeName = "n2"), Node("n1")));
    }

    [Fact]
    public void PodTemplate_AddsTolerations_RevisionAndGenerationLabels_AndTheNodeAffinityNamesTheNode()
    {
        var ds = DaemonSet(spec: s => s.Tolerations = [new V1Toleration { Key = "node.kubernetes.io/not-ready", OperatorProperty = "Exists", Effect = "NoExecute", TolerationSeconds = 30 }]);
        var template = DaemonSetPlan.PodTemplate(ds, "abc123");
        Assert.Equal("abc123", template.Metadata.Labels[ControllerRevisions.ControllerRevisionHashLabel]);
        Assert.Equal("2", template.Metadata.Labels[DaemonSetPlan.TemplateGenerationLabel]);
        Assert.Equal("agent", template.Metadata.Labels["app"]);
        Assert.Equal(6, template.Spec.Tolerations.Count);
        // The user's matching toleration is replaced by kube's (no tolerationSeconds: never evicted).
        Assert.Null(template.Spec.Tolerations.Single(t => t.Key == "node.kubernetes.io/not-ready").TolerationSeconds);
        Assert.Null(ds.Spec.Template.Metadata.Labels.ValueOf(ControllerRevisions.ControllerRevisionHashLabel));

        var affinity = DaemonSetPlan.ReplaceNodeAffinity(new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
                {
                    NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "zone", OperatorProperty = "In", Values = ["a"] }] }],
                },
            },
        }, "node-2");
        var term = Assert.Single(affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms);
        Assert.Null(term.MatchExpressions);
        var field = Assert.Single(term.MatchFields);
        Assert.Equal(("metadata.name", "In", "node-2"), (field.Key, field.OperatorProperty, Assert.Single(field.Values)));

        var pending = new V1Pod { Metadata = new V1ObjectMeta { Name = "p" }, Spec = new V1PodSpec { Affinity = affinity } };
        Assert.Equal("node-2", DaemonSetPlan.TargetNodeName(pending));
        pending.Spec.NodeName = "node-3";
        Assert.Equal("node-3", DaemonSetPlan.TargetNodeName(pending));
        Assert.Null(DaemonSetPlan.TargetNodeName(new V1Pod { Metadata = new V1ObjectMeta { Name = "q" }, Spec = new V1PodSpec() }));
    }

    [Fact]
    public void PodsShouldBeOnNode_CreatesMissing_KeepsOldest_RemovesFromIneligibleNodes()
    {
        var ds = DaemonSet();
        Assert.True(DaemonSetPlan.PodsShouldBeOnNode(ds, Node("n1"), [], "h", Now).NeedsPod);

        var two = DaemonSetPlan.PodsShouldBeOnNode(ds, Node("n1"), [Pod("young", "n1", "h", ageMinutes: 1), Pod("old", "n1", "h", ageMinutes: 20)], "h", Now);
        Assert.False(two.NeedsPod);
        Assert.Equal(["young"], two.Delete.Select(p => p.Metadata.Name));

        var failed = DaemonSetPlan.PodsShouldBeOnNode(ds, Node("n1"), [Pod("f", "n1", "h", phase: "Failed"), Pod("s", "n1", "h", phase: "Succeeded")], "h", Now);
        Assert.Equal(["f"], failed.Failed.Select(p => p.Metadata.Name));
        Assert.Equal(["s"], failed.Succeeded.Select(p => p.Metadata.Name));

        var evicted = DaemonSetPlan.PodsShouldBeOnNode(ds, Node("n1", null, new V1Taint { Key = "gone", Effect = "NoExecute" }), [Pod("p", "n1", "h"), Pod("d", "n1", "h", deleting: true)], "h", Now);
        Assert.Equal(["p"], evicted.Delete.Select(p => p.Metadata.Name));

        // An untolerated NoSchedule taint added later leaves the running pod alone.
        var stays = DaemonSetPlan.PodsShouldBeOnNode(ds, Node("n1", null, new V1Taint { Key = "later", Effect = "NoSchedule" }), [Pod("p", "n1", "h")], "h", Now);
        Assert.Empty(stays.Delete);
        Assert.False(stays.NeedsPod);
    }

    [Fact]
    public void RollingUpdate_WithoutSurge_ReplacesAtMostMaxUnavailable_AndUnavailableOldPodsFirst()
    {
        var nodes = new[] { Node("n1"), Node("n2"), Node("n3"), Node("n4") };
        var pods = new Dictionary<string, List<V1Pod>>
        {
            ["n1"] = [Pod("a", "n1", "old")],
            ["n2"] = [Pod("b", "n2", "old", available: false)],
            ["n3"] = [Pod("c", "n3", "old")],
            ["n4"] = [Pod("d", "n4", "new")],
        };
        var (delete, create) = DaemonSetPlan.RollingUpdate(DaemonSet(maxUnavailable: "1"), nodes, pods, "new", Now);
        Assert.Equal(["b", "a"], delete);
        Assert.Empty(create);

        // A node still waiting for its new pod counts as unavailable: nothing else goes.
        pods["n4"] = [Pod("d", "n4", "new", available: false)];
        (delete, _) = DaemonSetPlan.RollingUpdate(DaemonSet(maxUnavailable: "1"), nodes, pods, "new", Now);
        Assert.Equal(["b"], delete);

        // 50% of 4 desired nodes: two at a time.
        pods["n4"] = [Pod("d", "n4", "new")];
        pods["n2"] = [Pod("b", "n2", "old")];
        (delete, _) = DaemonSetPlan.RollingUpdate(DaemonSet(maxUnavailable: "50%"), nodes, pods, "new", Now);
        Assert.Equal(["a", "b"], delete);
    }

    [Fact]
    public void RollingUpdate_WithSurge_StartsNewPodsBesideOldOnes_ThenDeletesTheOldOnceAvailable()
    {
        var nodes = new[] { Node("n1"), Node("n2"), Node("n3") };
        var ds = DaemonSet(maxUnavailable: "0", maxSurge: "1");
        var pods = new Dictionary<string, List<V1Pod>>
        {
            ["n1"] = [Pod("a", "n1", "old")],
            ["n2"] = [Pod("b", "n2", "old")],
            ["n3"] = [Pod("c", "n3", "old")],
        };
        var (delete, create) = DaemonSetPlan.RollingUpdate(ds, nodes, pods, "new", Now);
        Assert.Empty(delete);
        Assert.Equal(["n1"], create);

        pods["n1"].Add(Pod("a2", "n1", "new", available: false, ageMinutes: 0));
        (delete, create) = DaemonSetPlan.RollingUpdate(ds, nodes, pods, "new", Now);
        Assert.Empty(delete);
        Assert.Empty(create);

        pods["n1"][1] = Pod("a2", "n1", "new", ageMinutes: 1);
        (delete, create) = DaemonSetPlan.RollingUpdate(ds, nodes, pods, "new", Now);
        Assert.Equal(["a"], delete);
        Assert.Equal(["n2"], create);
        Assert.True(DaemonSetPlan.AllowsSurge(ds));
        Assert.False(DaemonSetPlan.AllowsSurge(DaemonSet()));
    }

    [Fact]
    public void Status_CountsDesiredScheduledMisscheduledReadyUpdatedAvailable()
    {
        var nodes = new[] { Node("n1"), Node("n2"), Node("n3"), Node("n4", null, new V1Taint { Key = "x", Effect = "NoSchedule" }) };
        var pods = new Dictionary<string, List<V1Pod>>
        {
            ["n1"] = [Pod("a", "n1", "new")],
            ["n2"] = [Pod("b", "n2", "old", available: false)],
            ["n4"] = [Pod("d", "n4", "new")],
        };
        var ds = DaemonSet();
        ds.Metadata.Generation = 3;
        ds.Status = new V1DaemonSetStatus { ObservedGeneration = 2, CollisionCount = 1 };
        var status = DaemonSetPlan.Status(ds, nodes, pods, "new", Now);
        Assert.Equal(3, status.DesiredNumberScheduled);
        Assert.Equal(2, status.CurrentNumberScheduled);
        Assert.Equal(1, status.NumberMisscheduled);
        Assert.Equal(1, status.NumberReady);
        Assert.Equal(1, status.UpdatedNumberScheduled);
        Assert.Equal(1, status.NumberAvailable);
        Assert.Equal(2, status.NumberUnavailable);
        Assert.Equal(1, status.CollisionCount);
    }

    [Fact]
    public void Revisions_StoreThePatchKubectlRollsBackWith_AndMatchTheTemplateTheyRestore()
    {
        var ds = DaemonSet();
        var data = ControllerRevisions.TemplatePatch(ds.Spec.Template);
        Assert.Equal("replace", data["spec"]!["template"]!["$patch"]!.GetValue<string>());
        Assert.Equal("agent:1", data["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>());

        // Read back from the server the data is a JsonElement with its own key order.
        var element = System.Text.Json.JsonDocument.Parse("""{"spec":{"template":{"$patch":"replace","spec":{"containers":[{"image":"agent:1","name":"agent"}]},"metadata":{"labels":{"app":"agent"}}}}}""").RootElement;
        var revision = new V1ControllerRevision { Metadata = new V1ObjectMeta { Name = "agent-1" }, Data = element, Revision = 1 };
        Assert.True(ControllerRevisions.Restores(revision, ds.Spec.Template));
        ds.Spec.Template.Spec.Containers[0].Image = "agent:2";
        Assert.False(ControllerRevisions.Restores(revision, ds.Spec.Template));

        Assert.NotEqual(ControllerRevisions.HashData(data, null), ControllerRevisions.HashData(data, 1));
        Assert.Matches("^[bcdfghjklmnpqrstvwxz2456789]+$", ControllerRevisions.HashData(data, null));
        Assert.Equal("web-abc", ControllerRevisions.RevisionName("web", "abc"));
    }
}
