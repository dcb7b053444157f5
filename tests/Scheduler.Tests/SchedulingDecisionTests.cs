using k8s.Models;
using Scheduler.Framework;
using static Scheduler.Tests.Cluster;

namespace Scheduler.Tests;

/// <summary>Scheduling decisions of the default profile against tables of nodes and pods: where a pod goes, or kube's message why it cannot.</summary>
public sealed class SchedulingDecisionTests
{
    [Fact]
    public void LeastAllocated_and_balance_send_the_pod_to_the_emptiest_node()
    {
        var cluster = new Cluster().Node("a").Node("b").Node("c")
            .Running("a", Pod("x", cpu: "2"))
            .Running("b", Pod("y", cpu: "1"));
        Assert.Equal("c", cluster.Schedule(Pod("new", cpu: "1")).Result.Host);
    }

    [Fact]
    public void A_pod_bigger_than_every_node_gets_kubes_message()
    {
        var cluster = new Cluster().Node("a").Node("b").Node("c");
        var (host, message, _) = cluster.ScheduleWithPreemption(Pod("big", cpu: "5"));
        Assert.Null(host);
        Assert.Equal("0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.", message);
    }

    [Fact]
    public void Reasons_are_counted_per_node_and_sorted_as_strings()
    {
        var cluster = new Cluster()
            .Node("a", taints: [Taint("node-role.kubernetes.io/control-plane", "")])
            .Node("b", cpu: "1").Node("c", cpu: "1");
        var (_, message, _) = cluster.ScheduleWithPreemption(Pod("p", cpu: "2"));
        Assert.Equal(
            "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu. " +
            "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.",
            message);
    }

    [Fact]
    public void Memory_pods_and_several_resources_are_all_reported()
    {
        var cluster = new Cluster().Node("a", cpu: "1", memory: "1Gi", pods: 1).Running("a", Pod("x"));
        var (result, _) = cluster.Schedule(Pod("p", cpu: "2", memory: "2Gi"));
        Assert.Equal("0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 Too many pods.", result.Error!.ToString());
    }

    [Fact]
    public void Init_containers_count_at_their_largest_step_and_overhead_adds()
    {
        var pod = Pod("p", cpu: "1", spec: s =>
        {
            s.InitContainers = [new V1Container { Name = "init", Image = "busybox", Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("3") } } }];
            s.Overhead = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("500m") };
        });
        var info = new PodInfo(pod);
        Assert.Equal(3500, info.Requests.MilliCpu);
        Assert.False(new Cluster().Node("a", cpu: "3").Schedule(pod).Result.Scheduled);
        Assert.True(new Cluster().Node("a", cpu: "3500m").Schedule(pod).Result.Scheduled);
    }

    [Fact]
    public void A_toleration_lets_the_pod_onto_a_tainted_node()
    {
        var cluster = new Cluster().Node("tainted", taints: [Taint("dedicated", "infra")]);
        Assert.False(cluster.Schedule(Pod("p")).Result.Scheduled);
        var tolerating = Pod("q", spec: s => s.Tolerations = [new V1Toleration { Key = "dedicated", OperatorProperty = "Equal", Value = "infra", Effect = "NoSchedule" }]);
        Assert.Equal("tainted", cluster.Schedule(tolerating).Result.Host);
        var exists = Pod("r", spec: s => s.Tolerations = [new V1Toleration { OperatorProperty = "Exists" }]);
        Assert.Equal("tainted", cluster.Schedule(exists).Result.Host);
    }

    [Fact]
    public void PreferNoSchedule_taints_only_lower_the_score()
    {
        var cluster = new Cluster().Node("a", taints: [Taint("spot", "true", "PreferNoSchedule")]).Node("b");
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("b", cluster.Schedule(Pod($"p{i}"), new Random(i)).Result.Host);
        }

        Assert.Equal("a", new Cluster().Node("a", taints: [Taint("spot", "true", "PreferNoSchedule")]).Schedule(Pod("only")).Result.Host);
    }

    [Fact]
    public void NodeSelector_and_required_affinity_pick_matching_nodes()
    {
        var cluster = new Cluster().Node("a").Node("b", labels: Labels("disk=ssd", "zone=z2"));
        Assert.Equal("b", cluster.Schedule(Pod("sel", spec: s => s.NodeSelector = new Dictionary<string, string> { ["disk"] = "ssd" })).Result.Host);

        var affinity = Pod("aff", spec: s => s.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
                {
                    NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "zone", OperatorProperty = "In", Values = ["z2", "z3"] }] }],
                },
            },
        });
        Assert.Equal("b", cluster.Schedule(affinity).Result.Host);

        var nowhere = Pod("none", spec: s => s.NodeSelector = new Dictionary<string, string> { ["gpu"] = "true" });
        Assert.Equal(
            "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
            cluster.ScheduleWithPreemption(nowhere).Message);
    }

    [Fact]
    public void Preferred_node_affinity_wins_when_everything_else_is_equal()
    {
        var cluster = new Cluster().Node("a").Node("b", labels: Labels("zone=z1")).Node("c");
        var pod = Pod("p", spec: s => s.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                PreferredDuringSchedulingIgnoredDuringExecution =
                [
                    new V1PreferredSchedulingTerm { Weight = 50, Preference = new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "zone", OperatorProperty = "In", Values = ["z1"] }] } },
                ],
            },
        });
        Assert.Equal("b", cluster.Schedule(pod).Result.Host);
    }

    [Fact]
    public void A_cordoned_node_takes_no_new_pods()
    {
        var cluster = new Cluster().Node("a", unschedulable: true);
        Assert.Equal("0/1 nodes are available: 1 node(s) were unschedulable.", cluster.Schedule(Pod("p")).Result.Error!.ToString());
        Assert.Equal("b", cluster.Node("b").Schedule(Pod("q")).Result.Host);
        var tolerating = Pod("r", spec: s => s.Tolerations = [new V1Toleration { Key = "node.kubernetes.io/unschedulable", OperatorProperty = "Exists", Effect = "NoSchedule" }]);
        Assert.True(new Cluster().Node("a", unschedulable: true).Schedule(tolerating).Result.Scheduled);
    }

    [Fact]
    public void Host_ports_must_be_free()
    {
        static V1Pod WithPort(string name, int port, string? ip = null) => Pod(name, spec: s => s.Containers[0].Ports = [new V1ContainerPort { ContainerPort = 80, HostPort = port, Protocol = "TCP", HostIP = ip }]);
        var cluster = new Cluster().Node("a").Running("a", WithPort("x", 8080));
        Assert.Equal(
            "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.",
            cluster.ScheduleWithPreemption(WithPort("p", 8080)).Message);
        Assert.True(cluster.Schedule(WithPort("q", 8081)).Result.Scheduled);
        Assert.True(cluster.Schedule(Pod("udp", spec: s => s.Containers[0].Ports = [new V1ContainerPort { ContainerPort = 80, HostPort = 8080, Protocol = "UDP" }])).Result.Scheduled);
        Assert.Equal("b", cluster.Node("b").Schedule(WithPort("r", 8080, "10.0.0.1")).Result.Host);
    }

    [Fact]
    public void Topology_spread_keeps_the_skew_within_maxSkew()
    {
        static V1TopologySpreadConstraint Spread(int? minDomains = null) => new()
        {
            MaxSkew = 1,
            TopologyKey = "topology.kubernetes.io/zone",
            WhenUnsatisfiable = "DoNotSchedule",
            MinDomains = minDomains,
            LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
        };
        var cluster = new Cluster()
            .Node("a", labels: Labels("topology.kubernetes.io/zone=z1"))
            .Node("b", labels: Labels("topology.kubernetes.io/zone=z1"))
            .Node("c", labels: Labels("topology.kubernetes.io/zone=z2"))
            .Running("a", Pod("w1", labels: Labels("app=web")))
            .Running("b", Pod("w2", labels: Labels("app=web")));
        Assert.Equal("c", cluster.Schedule(Pod("w3", labels: Labels("app=web"), spec: s => s.TopologySpreadConstraints = [Spread()])).Result.Host);

        var unlabeled = new Cluster().Node("x").Node("y", labels: Labels("topology.kubernetes.io/zone=z1")).Running("y", Pod("w1", labels: Labels("app=web"))).Running("y", Pod("w2", labels: Labels("app=web")));
        var (_, message, _) = unlabeled.ScheduleWithPreemption(Pod("w3", labels: Labels("app=web"), spec: s => s.TopologySpreadConstraints = [Spread(minDomains: 2)]));
        Assert.Equal(
            "0/2 nodes are available: 1 node(s) didn't match pod topology spread constraints, 1 node(s) didn't match pod topology spread constraints (missing required label). " +
            "preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.",
            message);
    }

    [Fact]
    public void Pod_anti_affinity_keeps_pods_apart_and_affinity_brings_them_together()
    {
        static V1PodAffinityTerm Term(string label) => new() { TopologyKey = "kubernetes.io/hostname", LabelSelector = new V1LabelSelector { MatchLabels = Labels(label) } };
        var cluster = new Cluster().Node("a").Node("b").Running("a", Pod("db-1", labels: Labels("app=db")));
        var apart = Pod("db-2", labels: Labels("app=db"), spec: s => s.Affinity = new V1Affinity { PodAntiAffinity = new V1PodAntiAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [Term("app=db")] } });
        Assert.Equal("b", cluster.Schedule(apart).Result.Host);

        cluster.Running("b", Pod("db-3", labels: Labels("app=db")));
        Assert.Equal(
            "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.",
            cluster.ScheduleWithPreemption(apart).Message);

        var together = Pod("web", spec: s => s.Affinity = new V1Affinity { PodAffinity = new V1PodAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [Term("app=cache")] } });
        var withCache = new Cluster().Node("a").Node("b").Running("b", Pod("cache", labels: Labels("app=cache")));
        Assert.Equal("b", withCache.Schedule(together).Result.Host);
        Assert.Equal("0/2 nodes are available: 2 node(s) didn't match pod affinity rules.", new Cluster().Node("a").Node("b").Schedule(together).Result.Error!.ToString());

        var first = Pod("first", labels: Labels("app=cache"), spec: s => s.Affinity = new V1Affinity { PodAffinity = new V1PodAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [Term("app=cache")] } });
        Assert.True(new Cluster().Node("a").Schedule(first).Result.Scheduled);
    }

    [Fact]
    public void An_existing_pods_anti_affinity_is_respected()
    {
        var guard = Pod("guard", spec: s => s.Affinity = new V1Affinity
        {
            PodAntiAffinity = new V1PodAntiAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = [new V1PodAffinityTerm { TopologyKey = "kubernetes.io/hostname", LabelSelector = new V1LabelSelector { MatchLabels = Labels("app=web") } }],
            },
        });
        var cluster = new Cluster().Node("a").Running("a", guard);
        Assert.Equal("0/1 nodes are available: 1 node(s) didn't satisfy existing pods anti-affinity rules.", cluster.Schedule(Pod("web", labels: Labels("app=web"))).Result.Error!.ToString());
        Assert.True(cluster.Schedule(Pod("other", labels: Labels("app=api"))).Result.Scheduled);
    }

    [Fact]
    public void Image_locality_prefers_a_node_that_has_the_image()
    {
        var cluster = new Cluster().Node("a").Node("b", images: new() { ["docker.io/library/nginx:latest"] = 600_000_000, ["nginx:latest"] = 600_000_000 }).Node("c");
        Assert.Equal("b", cluster.Schedule(Pod("p")).Result.Host);
    }

    [Fact]
    public void Scores_follow_kubes_formulas()
    {
        var cluster = new Cluster().Node("a", cpu: "4", memory: "4Gi").Running("a", Pod("x", cpu: "1", memory: "1Gi"));
        var (result, state) = cluster.Schedule(Pod("p", cpu: "1", memory: "512Mi"));
        Assert.Equal("a", result.Host);
        var pod = new PodInfo(Pod("p", cpu: "1", memory: "512Mi"));
        var info = new NodeInfo("a");
        info.SetNode(new V1Node
        {
            Metadata = new V1ObjectMeta { Name = "a" },
            Status = new V1NodeStatus { Allocatable = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("4"), ["memory"] = new("4Gi"), ["pods"] = new("110") } },
        });
        info.AddPod(new PodInfo(Pod("x", cpu: "1", memory: "1Gi")));
        // LeastAllocated: cpu (4-2)/4 = 50, memory (4096-1536)/4096 = 62 → (50 + 62) / 2 = 56.
        Assert.Equal(56, new Plugins.NodeResourcesFit.NodeResourcesFit().Score(state, pod, info));
        // Balanced: fractions 0.5 and 0.375, std 0.0625 → 93.
        Assert.Equal(93, new Plugins.NodeResourcesBalancedAllocation.NodeResourcesBalancedAllocation().Score(state, pod, info));
    }

    [Theory]
    [InlineData(3, 3)]
    [InlineData(100, 100)]
    [InlineData(1000, 420)]
    [InlineData(5000, 500)]
    [InlineData(20000, 1000)]
    public void Enough_feasible_nodes_follows_the_adaptive_percentage(int nodes, int expected) =>
        Assert.Equal(expected, new ScheduleAlgorithm(new SchedulingFramework(new Profile { SchedulerName = "x" })).NumFeasibleNodesToFind(nodes));

    [Fact]
    public void No_nodes_at_all()
    {
        var (result, _) = new Cluster().Schedule(Pod("p"));
        Assert.Equal("0/0 nodes are available: no nodes available to schedule pods.", result.Error!.ToString());
    }
}
