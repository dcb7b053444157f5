using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Scheduler.Cache;
using Scheduler.Framework;
using Scheduler.Queue;
using static Scheduler.Tests.Cluster;

namespace Scheduler.Tests;

public sealed class QueueAndCacheTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task ActiveQ_pops_higher_priority_first_then_the_longest_waiting()
    {
        var time = new FakeTimeProvider();
        var queue = new SchedulingQueue(time);
        queue.Add(new PodInfo(Pod("low-1", priority: 1)));
        time.Advance(TimeSpan.FromSeconds(1));
        queue.Add(new PodInfo(Pod("high", priority: 100)));
        time.Advance(TimeSpan.FromSeconds(1));
        queue.Add(new PodInfo(Pod("low-2", priority: 1)));
        var order = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            order.Add((await queue.PopAsync(default).WaitAsync(Wait))!.PodInfo.Pod.Metadata.Name);
        }

        Assert.Equal(["high", "low-1", "low-2"], order);
    }

    [Fact]
    public async Task Unschedulable_pods_wait_for_a_cluster_change_then_their_backoff()
    {
        var time = new FakeTimeProvider();
        var queue = new SchedulingQueue(time);
        queue.Add(new PodInfo(Pod("p")));
        var popped = (await queue.PopAsync(default))!;
        var cycle = queue.SchedulingCycle;
        queue.AddUnschedulable(popped, cycle, error: false);
        Assert.Equal((0, 0, 1), queue.Counts);

        time.Advance(TimeSpan.FromMinutes(1));
        queue.Flush();
        Assert.Equal((0, 0, 1), queue.Counts); // nothing changed: it stays

        queue.MoveAllToActiveOrBackoff("NodeAdd");
        Assert.Equal((1, 0, 0), queue.Counts); // its 1 s back-off is long over
        popped = (await queue.PopAsync(default))!;
        Assert.Equal(2, popped.Attempts);

        // A second failure backs off 2 s; a change right away puts it in backoffQ.
        queue.AddUnschedulable(popped, queue.SchedulingCycle, error: false);
        queue.MoveAllToActiveOrBackoff("NodeUpdate");
        Assert.Equal((0, 1, 0), queue.Counts);
        time.Advance(TimeSpan.FromSeconds(1));
        queue.Flush();
        Assert.Equal((0, 1, 0), queue.Counts);
        time.Advance(TimeSpan.FromSeconds(1.5));
        queue.Flush();
        Assert.Equal((1, 0, 0), queue.Counts);
    }

    [Fact]
    public async Task A_change_during_the_cycle_sends_the_failed_pod_to_backoff_not_to_wait()
    {
        var time = new FakeTimeProvider();
        var queue = new SchedulingQueue(time);
        queue.Add(new PodInfo(Pod("p")));
        var popped = (await queue.PopAsync(default))!;
        var cycle = queue.SchedulingCycle;
        queue.MoveAllToActiveOrBackoff("NodeAdd"); // arrives while p is being scheduled
        queue.AddUnschedulable(popped, cycle, error: false);
        Assert.Equal((0, 1, 0), queue.Counts);
    }

    [Fact]
    public async Task Pods_unschedulable_for_too_long_are_retried_anyway()
    {
        var time = new FakeTimeProvider();
        var queue = new SchedulingQueue(time);
        queue.Add(new PodInfo(Pod("p")));
        var popped = (await queue.PopAsync(default))!;
        queue.AddUnschedulable(popped, queue.SchedulingCycle, error: false);
        time.Advance(TimeSpan.FromMinutes(5.1));
        queue.Flush();
        Assert.Equal((1, 0, 0), queue.Counts);
    }

    [Fact]
    public async Task A_spec_change_retries_an_unschedulable_pod_but_a_status_change_does_not()
    {
        var time = new FakeTimeProvider();
        var queue = new SchedulingQueue(time);
        var pod = Pod("p");
        queue.Add(new PodInfo(pod));
        var popped = (await queue.PopAsync(default))!;
        queue.AddUnschedulable(popped, queue.SchedulingCycle, error: false);
        time.Advance(TimeSpan.FromSeconds(30));

        var statusOnly = Pod("p");
        statusOnly.Status.Conditions = [new V1PodCondition { Type = "PodScheduled", Status = "False" }];
        queue.Update(new PodInfo(pod), new PodInfo(statusOnly));
        Assert.Equal((0, 0, 1), queue.Counts);

        var tolerating = Pod("p", spec: s => s.Tolerations = [new V1Toleration { OperatorProperty = "Exists" }]);
        queue.Update(new PodInfo(statusOnly), new PodInfo(tolerating));
        Assert.Equal((1, 0, 0), queue.Counts);
    }

    [Fact]
    public void The_cache_counts_assumed_pods_and_snapshots_copy_only_what_changed()
    {
        var cache = new SchedulerCache();
        foreach (var name in new[] { "a", "b" })
        {
            cache.AddOrUpdateNode(new V1Node
            {
                Metadata = new V1ObjectMeta { Name = name },
                Status = new V1NodeStatus { Allocatable = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("4"), ["pods"] = new("110") } },
            });
        }

        var snapshot = new Snapshot();
        cache.UpdateSnapshot(snapshot);
        var b = snapshot.Get("b");
        Assert.Equal(["a", "b"], snapshot.Nodes.Select(n => n.Name));

        var pod = new PodInfo(Pod("p", cpu: "1"));
        cache.AssumePod(pod, "a");
        Assert.True(cache.IsAssumed(pod.Key));
        cache.UpdateSnapshot(snapshot);
        Assert.Equal(1000, snapshot.Get("a")!.Requested.MilliCpu);
        Assert.Same(b, snapshot.Get("b")); // b did not change: not copied again

        cache.ForgetPod(pod.Key);
        cache.UpdateSnapshot(snapshot);
        Assert.Equal(0, snapshot.Get("a")!.Requested.MilliCpu);

        var bound = Pod("q", cpu: "2");
        bound.Spec.NodeName = "b";
        cache.AssumePod(new PodInfo(bound), "b");
        cache.AddOrUpdatePod(bound); // the informer confirms the binding
        Assert.False(cache.IsAssumed("default/q"));
        cache.UpdateSnapshot(snapshot);
        Assert.Equal(2000, snapshot.Get("b")!.Requested.MilliCpu);

        cache.RemoveNode("a");
        cache.UpdateSnapshot(snapshot);
        Assert.Equal(["b"], snapshot.Nodes.Select(n => n.Name));
    }
}
