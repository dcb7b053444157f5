using System.Collections.Concurrent;
using System.Net;
using ClientTools.Events;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Scheduler.Binding;
using Scheduler.Cache;
using Scheduler.Framework;
using static Scheduler.Tests.Cluster;

namespace Scheduler.Tests;

/// <summary>
/// The scheduling cycle runs one pod at a time and assumes it onto its node; bindings run in the
/// background. These tests hold bindings in flight (a binder that waits for the test) to show that the
/// next cycles count the assumed pods, and that a failed binding gives the node's room back.
/// </summary>
public sealed class BindingCycleTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Pods_in_flight_count_on_their_node_so_two_pods_never_overcommit_it()
    {
        var binder = new GatedBinder();
        var scheduler = NewScheduler(binder, ("a", "1"), ("b", "1"));
        foreach (var name in new[] { "p1", "p2", "p3" })
        {
            scheduler.Queue.Add(new PodInfo(Pod(name, cpu: "1")));
        }

        for (var i = 0; i < 3; i++)
        {
            scheduler.ScheduleOne((await scheduler.Queue.PopAsync(default).WaitAsync(Wait))!);
        }

        // Both bindings are still in flight: p1 and p2 took one node each, p3 found no room.
        await binder.WaitForCallsAsync(2);
        Assert.Equal(2, scheduler.BindingsInFlight);
        Assert.Equal(["a", "b"], binder.Calls.Select(c => c.Node).Order());
        Assert.Equal(["p1", "p2"], binder.Calls.Select(c => c.Pod).Order());
        Assert.Equal(1, scheduler.Failed);
        Assert.Equal(2, scheduler.Cache.AssumedCount);
        Assert.Equal((0, 0, 1), scheduler.Queue.Counts); // p3 waits among the unschedulable pods

        binder.ReleaseAll();
        await WaitUntilAsync(() => scheduler.BindingsInFlight == 0);
        Assert.Equal(2, scheduler.Scheduled);
        Assert.Equal(2, scheduler.Cache.AssumedCount); // bound, not yet confirmed by the informer

        // The informer shows the bound pods: they are no longer assumed, and still count.
        foreach (var (pod, node) in binder.Calls)
        {
            var bound = Pod(pod, cpu: "1");
            bound.Spec.NodeName = node;
            scheduler.Cache.AddOrUpdatePod(bound);
        }

        Assert.Equal(0, scheduler.Cache.AssumedCount);
        var snapshot = new Snapshot();
        scheduler.Cache.UpdateSnapshot(snapshot);
        Assert.All(snapshot.Nodes, n => Assert.Equal(1000, n.Requested.MilliCpu));
    }

    [Fact]
    public async Task A_failed_binding_frees_the_node_and_requeues_the_pod_with_backoff()
    {
        var binder = new GatedBinder();
        var scheduler = NewScheduler(binder, ("a", "1"));
        scheduler.Queue.Add(new PodInfo(Pod("p1", cpu: "1")));
        scheduler.ScheduleOne((await scheduler.Queue.PopAsync(default).WaitAsync(Wait))!);
        scheduler.Queue.Add(new PodInfo(Pod("p2", cpu: "1")));
        scheduler.ScheduleOne((await scheduler.Queue.PopAsync(default).WaitAsync(Wait))!);
        await binder.WaitForCallsAsync(1);
        Assert.Equal((0, 0, 1), scheduler.Queue.Counts); // p2: no room while p1 is assumed on a

        binder.FailAll(new HttpRequestException("connection reset by peer"));
        await WaitUntilAsync(() => scheduler.BindingsInFlight == 0);

        Assert.Equal(0, scheduler.Scheduled);
        Assert.Equal(0, scheduler.Cache.AssumedCount);
        var snapshot = new Snapshot();
        scheduler.Cache.UpdateSnapshot(snapshot);
        Assert.Equal(0, snapshot.Get("a")!.Requested.MilliCpu);
        // p1 is back with back-off; p2 left the unschedulable pods, since a's room came back (after its own back-off).
        Assert.Equal((0, 2, 0), scheduler.Queue.Counts);
    }

    [Fact]
    public async Task A_binding_refused_because_the_pod_is_gone_is_not_retried()
    {
        var binder = new GatedBinder();
        var scheduler = NewScheduler(binder, ("a", "1"));
        scheduler.Queue.Add(new PodInfo(Pod("p1", cpu: "1")));
        scheduler.ScheduleOne((await scheduler.Queue.PopAsync(default).WaitAsync(Wait))!);
        await binder.WaitForCallsAsync(1);

        binder.FailAll(new HttpOperationException("not found")
        {
            Response = new HttpResponseMessageWrapper(new HttpResponseMessage(HttpStatusCode.NotFound), """{"kind":"Status","reason":"NotFound"}"""),
        });
        await WaitUntilAsync(() => scheduler.BindingsInFlight == 0);

        Assert.Equal(0, scheduler.Cache.AssumedCount);
        Assert.Equal((0, 0, 0), scheduler.Queue.Counts);
    }

    [Fact]
    public async Task Bindings_run_in_parallel_up_to_the_limit()
    {
        var binder = new GatedBinder();
        var scheduler = NewScheduler(binder, parallelism: 3, ("a", "100"));
        for (var i = 0; i < 5; i++)
        {
            scheduler.Queue.Add(new PodInfo(Pod($"p{i}", cpu: "1")));
        }

        for (var i = 0; i < 5; i++)
        {
            scheduler.ScheduleOne((await scheduler.Queue.PopAsync(default).WaitAsync(Wait))!);
        }

        // The scheduling loop did not wait for any binding; three are at the server, two wait their turn.
        await binder.WaitForCallsAsync(3);
        await Task.Delay(100);
        Assert.Equal(3, binder.Calls.Count);
        Assert.Equal(5, scheduler.BindingsInFlight);
        Assert.Equal(5, scheduler.Cache.AssumedCount);

        binder.ReleaseAll();
        await binder.WaitForCallsAsync(5);
        binder.ReleaseAll();
        await WaitUntilAsync(() => scheduler.BindingsInFlight == 0);
        Assert.Equal(5, scheduler.Scheduled);
    }

    [Fact]
    public void Assumed_pods_expire_only_with_a_ttl_after_their_binding_finished_unless_confirmed()
    {
        var time = new FakeTimeProvider();
        var cache = new SchedulerCache(TimeSpan.FromSeconds(30), time);
        cache.AddOrUpdateNode(Node("a"));
        cache.AddOrUpdateNode(Node("b"));
        var confirmed = new PodInfo(Pod("confirmed", cpu: "1"));
        var lost = new PodInfo(Pod("lost", cpu: "1"));
        var slow = new PodInfo(Pod("slow", cpu: "1"));
        cache.AssumePod(confirmed, "a");
        cache.AssumePod(lost, "a");
        cache.AssumePod(slow, "a");
        cache.FinishBinding(confirmed.Key);
        cache.FinishBinding(lost.Key);

        // The informer shows "confirmed" bound to b, not a: the cache follows the informer.
        var bound = Pod("confirmed", cpu: "1");
        bound.Spec.NodeName = "b";
        cache.AddOrUpdatePod(bound);

        time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(["default/lost"], cache.CleanupExpiredAssumedPods());
        Assert.True(cache.IsAssumed(slow.Key)); // its binding has not returned: it never expires meanwhile
        var snapshot = new Snapshot();
        cache.UpdateSnapshot(snapshot);
        Assert.Equal(1000, snapshot.Get("a")!.Requested.MilliCpu); // slow only
        Assert.Equal(1000, snapshot.Get("b")!.Requested.MilliCpu); // confirmed

        // kube-scheduler's TTL is 0: assumed pods wait for the informer however long it takes.
        var forever = new SchedulerCache(time: time);
        forever.AddOrUpdateNode(Node("a"));
        forever.AssumePod(lost, "a");
        forever.FinishBinding(lost.Key);
        time.Advance(TimeSpan.FromHours(1));
        Assert.Empty(forever.CleanupExpiredAssumedPods());
        Assert.True(forever.IsAssumed(lost.Key));
    }

    [Fact]
    public void A_snapshot_updates_changed_nodes_in_place_keeping_their_order()
    {
        var cache = new SchedulerCache();
        foreach (var name in new[] { "c", "a", "b" })
        {
            cache.AddOrUpdateNode(Node(name));
        }

        var snapshot = new Snapshot();
        cache.UpdateSnapshot(snapshot);
        var withAffinity = Pod("aff", cpu: "1", spec: s => s.Affinity = new V1Affinity
        {
            PodAntiAffinity = new V1PodAntiAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = [new V1PodAffinityTerm { TopologyKey = "kubernetes.io/hostname", LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["x"] = "y" } } }],
            },
        });
        cache.AssumePod(new PodInfo(withAffinity), "b");
        cache.UpdateSnapshot(snapshot);
        Assert.Equal(["a", "b", "c"], snapshot.Nodes.Select(n => n.Name));
        Assert.Same(snapshot.Get("b"), snapshot.Nodes[1]);
        Assert.Equal(1000, snapshot.Nodes[1].Requested.MilliCpu);
        Assert.Same(snapshot.Get("b"), Assert.Single(snapshot.HavePodsWithRequiredAntiAffinity));

        cache.ForgetPod("default/aff");
        cache.UpdateSnapshot(snapshot);
        Assert.Empty(snapshot.HavePodsWithRequiredAntiAffinity);
        Assert.Equal(0, snapshot.Nodes[1].Requested.MilliCpu);
    }

    private static V1Node Node(string name, string cpu = "4") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = name } },
        Spec = new V1NodeSpec(),
        Status = new V1NodeStatus { Allocatable = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu), ["memory"] = new("8Gi"), ["pods"] = new("110") } },
    };

    private static SchedulerService NewScheduler(IPodBinder binder, params (string Name, string Cpu)[] nodes) => NewScheduler(binder, 64, nodes);

    private static SchedulerService NewScheduler(IPodBinder binder, int parallelism, params (string Name, string Cpu)[] nodes)
    {
        // Nothing listens there: the event recorder is never run and condition updates fail quietly.
        var client = new Kubernetes(new KubernetesClientConfiguration { Host = "http://127.0.0.1:9" });
        var scheduler = new SchedulerService(client, new EventRecorder(client, "default-scheduler"), new SchedulerSettings { BindingParallelism = parallelism }, binder);
        foreach (var (name, cpu) in nodes)
        {
            scheduler.Cache.AddOrUpdateNode(Node(name, cpu));
        }

        return scheduler;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(10);
        }
    }

    /// <summary>A binder whose calls wait until the test releases or fails them.</summary>
    private sealed class GatedBinder : IPodBinder
    {
        private readonly ConcurrentQueue<TaskCompletionSource> _waiting = new();
        private readonly ConcurrentQueue<(string Pod, string Node)> _calls = new();

        public List<(string Pod, string Node)> Calls => [.. _calls];

        public async Task BindAsync(V1Pod pod, string node, CancellationToken cancellationToken)
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Enqueue(gate);
            _calls.Enqueue((pod.Metadata.Name, node));
            await gate.Task;
        }

        public async Task WaitForCallsAsync(int count)
        {
            var deadline = DateTime.UtcNow + Wait;
            while (_calls.Count < count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"{_calls.Count} binding calls, expected {count}");
                await Task.Delay(10);
            }
        }

        public void ReleaseAll()
        {
            while (_waiting.TryDequeue(out var gate))
            {
                gate.SetResult();
            }
        }

        public void FailAll(Exception e)
        {
            while (_waiting.TryDequeue(out var gate))
            {
                gate.SetException(e);
            }
        }
    }
}
