using k8s.Models;
using Scheduler.Framework;
using Scheduler.Plugins;
using static Scheduler.Tests.Cluster;

namespace Scheduler.Tests;

/// <summary>The default profile's plugins as kube-scheduler 1.35 lists them, and what its score weights decide.</summary>
public sealed class DefaultProfileTests
{
    private static Profile Create() => DefaultProfile.Create(() => new Snapshot(), () => null!, () => [], new Cluster());

    [Fact]
    public void Filters_run_in_kubes_order()
    {
        Assert.Equal(
            ["NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts", "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity"],
            Create().Filter.Select(p => p.Name));
    }

    [Theory]
    [InlineData("TaintToleration", 3)]
    [InlineData("NodeAffinity", 2)]
    [InlineData("PodTopologySpread", 2)]
    [InlineData("InterPodAffinity", 2)]
    [InlineData("NodeResourcesFit", 1)]
    [InlineData("NodeResourcesBalancedAllocation", 1)]
    [InlineData("ImageLocality", 1)]
    public void Score_weights_are_kubes_defaults(string plugin, int weight)
    {
        var scores = Create().Score;
        Assert.Equal(7, scores.Count);
        Assert.Equal(weight, scores.Single(s => s.Plugin.Name == plugin).Weight);
    }

    [Fact]
    public void An_untolerated_PreferNoSchedule_taint_outweighs_a_matching_preferred_affinity_term()
    {
        // a: PreferNoSchedule taint (TaintToleration 0 x 3) but the preferred zone (NodeAffinity 100 x 2);
        // b: neither (300 + 0). Resources are equal, so the weights decide: b, whatever the tie-break seed.
        var preferZ1 = Pod("p", spec: s => s.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                PreferredDuringSchedulingIgnoredDuringExecution =
                [
                    new V1PreferredSchedulingTerm { Weight = 100, Preference = new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "zone", OperatorProperty = "In", Values = ["z1"] }] } },
                ],
            },
        });
        var cluster = new Cluster().Node("a", labels: Labels("zone=z1"), taints: [Taint("spot", "true", "PreferNoSchedule")]).Node("b");
        for (var seed = 0; seed < 8; seed++)
        {
            Assert.Equal("b", cluster.Schedule(preferZ1, new Random(seed)).Result.Host);
        }

        // Without the taint the preferred zone wins.
        var untainted = new Cluster().Node("a", labels: Labels("zone=z1")).Node("b");
        for (var seed = 0; seed < 8; seed++)
        {
            Assert.Equal("a", untainted.Schedule(preferZ1, new Random(seed)).Result.Host);
        }
    }

    [Theory]
    [InlineData("unschedulable", "0/1 nodes are available: 1 node(s) were unschedulable.")]
    [InlineData("taint", "0/1 nodes are available: 1 node(s) had untolerated taint(s).")]
    [InlineData("selector", "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.")]
    [InlineData("nodeName", "0/1 nodes are available: 1 node(s) didn't match the requested node name.")]
    [InlineData("cpu", "0/1 nodes are available: 1 Insufficient cpu.")]
    [InlineData("memory", "0/1 nodes are available: 1 Insufficient memory.")]
    [InlineData("pods", "0/1 nodes are available: 1 Too many pods.")]
    public void Each_filter_says_why_in_kubes_words(string blocker, string message)
    {
        var cluster = blocker switch
        {
            "unschedulable" => new Cluster().Node("a", unschedulable: true),
            "taint" => new Cluster().Node("a", taints: [Taint("dedicated", "infra")]),
            "pods" => new Cluster().Node("a", pods: 1).Running("a", Pod("x")),
            _ => new Cluster().Node("a", cpu: "1", memory: "1Gi"),
        };
        var pod = blocker switch
        {
            "selector" => Pod("p", spec: s => s.NodeSelector = new Dictionary<string, string> { ["disk"] = "ssd" }),
            "nodeName" => Pod("p", spec: s => s.NodeName = "elsewhere"),
            "cpu" => Pod("p", cpu: "2"),
            "memory" => Pod("p", memory: "2Gi"),
            _ => Pod("p"),
        };
        Assert.Equal(message, cluster.Schedule(pod).Result.Error!.ToString());
    }
}
