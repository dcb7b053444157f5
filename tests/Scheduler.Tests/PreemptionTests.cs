using k8s.Models;
using Scheduler.Plugins.DefaultPreemption;
using static Scheduler.Tests.Cluster;

namespace Scheduler.Tests;

/// <summary>DefaultPreemption: which node, which victims, and the messages when preemption cannot help.</summary>
public sealed class PreemptionTests
{
    [Fact]
    public void The_node_whose_victims_have_the_lowest_priority_is_chosen_and_as_few_pods_as_possible_are_removed()
    {
        var cluster = new Cluster().Node("a").Node("b")
            .Running("a", Pod("a1", cpu: "2", priority: 10))
            .Running("a", Pod("a2", cpu: "2", priority: 10))
            .Running("b", Pod("b1", cpu: "3", priority: 100))
            .Running("b", Pod("b2", cpu: "1", priority: 1));
        var (host, message, nominated) = cluster.ScheduleWithPreemption(Pod("vip", cpu: "2", priority: 1000));
        Assert.Null(host);
        Assert.Equal("a", nominated);
        Assert.Single(cluster.Preempted);
        Assert.Matches("^a[12]@a$", cluster.Preempted[0]);
        Assert.Equal("0/2 nodes are available: 2 Insufficient cpu.", message);
    }

    [Fact]
    public void Pods_of_equal_or_higher_priority_are_never_victims()
    {
        var cluster = new Cluster().Node("a").Running("a", Pod("peer", cpu: "4", priority: 5));
        var (_, message, nominated) = cluster.ScheduleWithPreemption(Pod("p", cpu: "1", priority: 5));
        Assert.Null(nominated);
        Assert.Empty(cluster.Preempted);
        Assert.Equal("0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.", message);
    }

    [Fact]
    public void Removing_every_lower_priority_pod_must_be_enough()
    {
        var cluster = new Cluster().Node("a").Running("a", Pod("low", cpu: "1", priority: 1)).Running("a", Pod("high", cpu: "3", priority: 100));
        var (_, message, nominated) = cluster.ScheduleWithPreemption(Pod("p", cpu: "2", priority: 50));
        Assert.Null(nominated);
        Assert.Equal("0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Insufficient cpu.", message);
    }

    [Fact]
    public void PreemptionPolicy_Never_makes_the_pod_ineligible()
    {
        var cluster = new Cluster().Node("a").Running("a", Pod("low", cpu: "4", priority: 1));
        var (_, message, nominated) = cluster.ScheduleWithPreemption(Pod("p", cpu: "1", priority: 100, spec: s => s.PreemptionPolicy = "Never"));
        Assert.Null(nominated);
        Assert.Equal("0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.", message);
    }

    [Fact]
    public void Victims_protected_by_a_budget_are_spared_when_another_node_needs_no_violation()
    {
        var cluster = new Cluster().Node("a").Node("b")
            .Running("a", Pod("guarded", cpu: "4", priority: 1, labels: Labels("app=guarded")))
            .Running("b", Pod("free", cpu: "4", priority: 1, labels: Labels("app=free")));
        cluster.Budgets.Add(new DisruptionBudget("default", new V1LabelSelector { MatchLabels = Labels("app=guarded") }, 0));
        var (_, _, nominated) = cluster.ScheduleWithPreemption(Pod("p", cpu: "1", priority: 100));
        Assert.Equal("b", nominated);
        Assert.Equal(["free@b"], cluster.Preempted);
    }

    [Fact]
    public void Pods_nominated_to_a_node_hold_their_room_for_others()
    {
        var cluster = new Cluster().Node("a", cpu: "2").Nominated("a", Pod("waiting", cpu: "2", priority: 100));
        Assert.False(cluster.Schedule(Pod("p", cpu: "1", priority: 10)).Result.Scheduled);
        Assert.True(cluster.Schedule(Pod("q", cpu: "1", priority: 1000)).Result.Scheduled);
    }
}
