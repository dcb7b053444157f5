using System.Text.Json.Nodes;
using ClientTools.Cache;
using ClientTools.Client;
using ClientTools.Events;
using ClientTools.LeaderElection;
using Conformance.Infrastructure;
using k8s;
using k8s.Models;

namespace Conformance.Components;

/// <summary>
/// The shared client-side library (src/ClientTools) against the real server: the informer through
/// watch timeouts, a 410 relist and a server restart; leader election with the official client's
/// LeaderElector and LeaseLock; the event recorder's Events and their counts.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClientToolsTests(ClusterFixture cluster)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Informer_ResumesAfterTimeouts_RelistsAfter410_AndSurvivesAServerRestart()
    {
        // Watches of configmaps keep 3 recent events and etcd is compacted every second, so a watch
        // resumed from a resourceVersion others have moved past gets 410.
        var own = new ClusterFixture("--watch-cache-sizes=configmaps#3", "--etcd-compaction-interval=1s");
        await own.InitializeAsync();
        using var cts = new CancellationTokenSource();
        try
        {
            var ns = await own.CreateNamespaceAsync("informer");
            var other = await own.CreateNamespaceAsync("filler");
            using var client = ComponentClients.For(own, own.Admin, "informer-test");
            await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "a" } }, ns);

            // Watches end after 1 to 2 s, as a short --min-request-timeout would end them.
            var informer = new SharedIndexInformer<V1ConfigMap>(ListWatches.ConfigMaps(client, ns), "*v1.ConfigMap",
                new InformerOptions { MinWatchTimeout = TimeSpan.FromSeconds(1), InitialBackoff = TimeSpan.FromMilliseconds(200), MaxBackoff = TimeSpan.FromSeconds(1) });
            var events = new List<string>();
            informer.AddEventHandler(new ResourceEventHandler<V1ConfigMap>
            {
                OnAdd = (o, _) => Record(events, $"add {o.Metadata.Name}"),
                OnUpdate = (_, n) => Record(events, $"update {n.Metadata.Name}"),
                OnDelete = o => Record(events, $"delete {o.Metadata.Name}"),
            });
            var run = informer.RunAsync(cts.Token);
            await informer.WaitForSyncAsync(cts.Token).WaitAsync(Wait);

            await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "b" } }, ns);
            await Until(() => Snapshot(events).Contains("add b"), "add b", events);

            // Several watch timeouts later, still one list: each watch resumed where the last ended.
            var watches = informer.WatchCount;
            await Until(() => informer.WatchCount >= watches + 2, "two more watches", events);
            Assert.Equal(1, informer.ListCount);

            // Writes elsewhere push the informer's resourceVersion out of the window; the next
            // re-watch is refused with 410 and the informer lists again.
            for (var i = 0; i < 6; i++)
            {
                await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = $"filler-{i}" } }, other);
            }

            await Until(() => informer.ListCount >= 2, "a relist after 410", events);
            await client.CoreV1.DeleteNamespacedConfigMapAsync("a", ns);
            await Until(() => Snapshot(events).Contains("delete a"), "delete a", events);

            // The server restarts: the informer retries, then resumes and sees later changes.
            await own.Server.StopAsync(TimeSpan.FromSeconds(30));
            await Task.Delay(500);
            await own.Server.StartAsync(own.CreateHttpClient(null), TimeSpan.FromSeconds(60));
            await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "c" } }, ns);
            await Until(() => Snapshot(events).Contains("add c"), "add c after the restart", events);

            Assert.Equal(["add a", "add b", "delete a", "add c"], Snapshot(events).Where(e => !e.StartsWith("update", StringComparison.Ordinal)));
            Assert.Equal(["b", "c"], informer.Store.List().Select(o => o.Metadata.Name).Order());
            await cts.CancelAsync();
            await run.WaitAsync(Wait);
        }
        finally
        {
            await cts.CancelAsync();
            await own.DisposeAsync();
        }
    }

    [Fact]
    public async Task LeaderElection_OneLeaderAtATime_AndAReleasedLeaseIsTakenAtOnce()
    {
        var ns = await cluster.CreateNamespaceAsync("election");
        using var client = ComponentClients.For(cluster, cluster.Admin, "election-test");
        // A long lease: the second candidate can only lead this soon because the first gives the lease up.
        LeaderElectionRunner Candidate(string id) => new(client, ns, "component", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(300)) { Identity = id };
        var leading = new List<string>();
        Func<CancellationToken, Task> Work(string id) => async ct =>
        {
            Record(leading, $"start {id}");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            finally
            {
                Record(leading, $"stop {id}");
            }
        };

        using var firstStop = new CancellationTokenSource();
        using var secondStop = new CancellationTokenSource();
        var first = Candidate("first").RunAsync(Work("first"), firstStop.Token);
        await Until(() => Snapshot(leading).Contains("start first"), "the first candidate to lead", leading);
        var second = Candidate("second").RunAsync(Work("second"), secondStop.Token);
        await Task.Delay(1500);
        Assert.Equal(["start first"], Snapshot(leading));
        var lease = await client.CoordinationV1.ReadNamespacedLeaseAsync("component", ns);
        Assert.Equal("first", lease.Spec.HolderIdentity);
        Assert.Equal(30, lease.Spec.LeaseDurationSeconds);

        await firstStop.CancelAsync();
        Assert.False(await first.WaitAsync(Wait)); // cancelled, not lost
        await Until(() => Snapshot(leading).Contains("start second"), "the second candidate to lead", leading);
        Assert.Equal(["start first", "stop first", "start second"], Snapshot(leading));
        lease = await client.CoordinationV1.ReadNamespacedLeaseAsync("component", ns);
        Assert.Equal("second", lease.Spec.HolderIdentity);
        Assert.Equal(1, lease.Spec.LeaseTransitions);
        await secondStop.CancelAsync();
        await second.WaitAsync(Wait);
    }

    [Fact]
    public async Task EventRecorder_WritesKubeStyleEvents_AndCountsRepeats()
    {
        var ns = await cluster.CreateNamespaceAsync("events");
        using var client = ComponentClients.For(cluster, cluster.Admin, "events-test");
        var cm = await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "subject" } }, ns);
        var recorder = new EventRecorder(client, "test-component", host: "host-1", writers: 1);
        using var cts = new CancellationTokenSource();
        var run = recorder.RunAsync(cts.Token);
        recorder.Event(cm, EventTypes.Warning, "Failed", "it broke", action: "Testing");
        await recorder.FlushAsync(Wait);
        recorder.Event(cm, EventTypes.Warning, "Failed", "it broke");
        recorder.Event(cm, EventTypes.Normal, "Fixed", "it works");
        await recorder.FlushAsync(Wait);

        var list = JsonNode.Parse(await cluster.KubectlOkAsync("get", "events", "-n", ns, "-o", "json"))!["items"]!.AsArray();
        Assert.Equal(2, list.Count);
        var failed = list.Single(e => e!["reason"]!.GetValue<string>() == "Failed")!;
        Assert.Equal(2, failed["count"]!.GetValue<int>());
        Assert.Equal("Warning", failed["type"]!.GetValue<string>());
        Assert.Equal("it broke", failed["message"]!.GetValue<string>());
        Assert.Equal("test-component", failed["source"]!["component"]!.GetValue<string>());
        Assert.Equal("host-1", failed["source"]!["host"]!.GetValue<string>());
        Assert.Equal("test-component", failed["reportingComponent"]!.GetValue<string>());
        Assert.Equal("host-1", failed["reportingInstance"]!.GetValue<string>());
        Assert.Equal("Testing", failed["action"]!.GetValue<string>());
        Assert.StartsWith("subject.", failed["metadata"]!["name"]!.GetValue<string>(), StringComparison.Ordinal);
        var involved = failed["involvedObject"]!;
        Assert.Equal("ConfigMap", involved["kind"]!.GetValue<string>());
        Assert.Equal("v1", involved["apiVersion"]!.GetValue<string>());
        Assert.Equal(cm.Metadata.Uid, involved["uid"]!.GetValue<string>());
        Assert.Equal(ns, involved["namespace"]!.GetValue<string>());

        // kubectl shows the repeat as it shows kube's components' repeated events.
        var table = await cluster.KubectlOkAsync("events", "-n", ns, "--for", "configmap/subject");
        Assert.Contains("(x2 over", table, StringComparison.Ordinal);
        var described = await cluster.KubectlOkAsync("describe", "configmap", "subject", "-n", ns);
        Assert.Matches(@"Warning\s+Failed\s+\S+ \(x2 over \S+\)\s+test-component\s+it broke", described);
        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task EventRecorder_CombinesSimilarEvents_AndStopsAt25AboutOneObject()
    {
        // What a replica set controller creating 30 pods writes, as client-go's correlator lets it:
        // 9 events, then one "(combined from similar events)" event counted up to the 25th.
        var ns = await cluster.CreateNamespaceAsync("eventspam");
        using var client = ComponentClients.For(cluster, cluster.Admin, "events-test");
        var cm = await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "owner" } }, ns);
        var recorder = new EventRecorder(client, "test-component", host: "host-1", writers: 1);
        using var cts = new CancellationTokenSource();
        var run = recorder.RunAsync(cts.Token);
        for (var i = 1; i <= 30; i++)
        {
            recorder.Event(cm, EventTypes.Normal, "SuccessfulCreate", $"Created pod: owner-{i}");
            await Task.Delay(2);
        }

        await recorder.FlushAsync(Wait);
        Assert.Equal(5, recorder.Filtered);

        var list = JsonNode.Parse(await cluster.KubectlOkAsync("get", "events", "-n", ns, "-o", "json"))!["items"]!.AsArray();
        Assert.Equal(10, list.Count);
        Assert.Equal(9, list.Count(e => e!["count"]!.GetValue<int>() == 1 && e["message"]!.GetValue<string>().StartsWith("Created pod: owner-", StringComparison.Ordinal)));
        var combined = list.Single(e => e!["message"]!.GetValue<string>().StartsWith("(combined from similar events): ", StringComparison.Ordinal))!;
        Assert.Equal("(combined from similar events): Created pod: owner-25", combined["message"]!.GetValue<string>());
        Assert.Equal(16, combined["count"]!.GetValue<int>());
        Assert.Equal(cm.Metadata.Uid, combined["involvedObject"]!["uid"]!.GetValue<string>());
        await cts.CancelAsync();
        await run;
    }

    private static void Record(List<string> list, string line)
    {
        lock (list)
        {
            list.Add(line);
        }
    }

    private static List<string> Snapshot(List<string> list)
    {
        lock (list)
        {
            return [.. list];
        }
    }

    private static async Task Until(Func<bool> condition, string what, List<string> seen)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}; saw: {string.Join(", ", Snapshot(seen))}");
            await Task.Delay(50);
        }
    }
}
