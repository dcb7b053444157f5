using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Components;

/// <summary>
/// Two kube-scheduler processes against one cluster, as in a highly available control plane: the
/// Lease kube-system/kube-scheduler lets one bind while the other waits, and the waiting one takes
/// over when the leader stops (it gives the Lease up on SIGTERM, so the successor need not wait the
/// lease out).
/// </summary>
[Collection(ComponentsCollection.Name)]
public sealed class SchedulerLeaderElectionTests(ComponentsFixture components)
{
    private const string LeasePath = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler";

    /// <summary>A bound on a scheduler process starting (or electing) on a loaded 2-core machine; never asserted on.</summary>
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(180);

    private ClusterFixture Cluster => components.Cluster;

    [Fact]
    public async Task TwoSchedulers_OnlyTheLeaderBinds_AndTheOtherTakesOverWhenItStops()
    {
        var ns = await Cluster.CreateNamespaceAsync("leader");
        var leader = components.Scheduler;
        // The fixture waits for the nodes, not for the scheduler's election: on a loaded machine the Lease
        // may not exist yet when this test starts, so wait until the scheduler says it leads.
        await Poll.UntilAsync(() => Task.FromResult(leader.Log.Contains("successfully acquired lease kube-system/kube-scheduler", StringComparison.Ordinal) ? "led" : null),
            "the scheduler to take the lease", components.Logs, StartupTimeout);
        var holder = Poll.Str((await Cluster.GetJsonAsync(LeasePath))["spec"]!["holderIdentity"])!;
        Assert.False(string.IsNullOrEmpty(holder), "the Lease names no holder");

        var standby = components.StartScheduler("Scheduler-standby");
        var adopted = false;
        try
        {
            // The second one sees who leads and waits.
            await Poll.UntilAsync(() => Task.FromResult(standby.Log.Contains($"new leader elected: {holder}", StringComparison.Ordinal) ? "seen" : null),
                "the standby scheduler to see the leader", () => standby.Log, StartupTimeout);

            for (var i = 0; i < 3; i++)
            {
                await Cluster.KubectlOkAsync("run", $"first-{i}", "--image=nginx", "-n", ns);
            }

            for (var i = 0; i < 3; i++)
            {
                await WaitForBoundAsync(ns, $"first-{i}");
                Assert.Single(await ScheduledEventsAsync(ns, $"first-{i}"));
                Assert.Contains($"successfully bound pod {ns}/first-{i} to node", leader.Log);
            }

            Assert.DoesNotContain("successfully bound pod", standby.Log);
            Assert.DoesNotContain("successfully acquired lease", standby.Log);

            // The leader stops as on a node shutdown: it releases the Lease, the standby takes it and binds.
            await leader.StopAsync(TimeSpan.FromSeconds(30));
            components.AdoptScheduler(standby);
            adopted = true;
            Assert.Contains("released lease kube-system/kube-scheduler", leader.Log);
            await Poll.UntilAsync(() => Task.FromResult(standby.Log.Contains("successfully acquired lease kube-system/kube-scheduler", StringComparison.Ordinal) ? "led" : null),
                "the standby scheduler to take the lease", components.Logs, StartupTimeout);
            var lease = await Cluster.GetJsonAsync(LeasePath);
            Assert.NotEqual(holder, Poll.Str(lease["spec"]!["holderIdentity"]));
            Assert.True(lease["spec"]!["leaseTransitions"]!.GetValue<int>() >= 1, lease.ToJsonString());

            await Cluster.KubectlOkAsync("run", "second", "--image=nginx", "-n", ns);
            await WaitForBoundAsync(ns, "second");
            Assert.Single(await ScheduledEventsAsync(ns, "second"));
            Assert.Contains($"successfully bound pod {ns}/second to node", standby.Log);
        }
        finally
        {
            if (!adopted)
            {
                await standby.DisposeAsync();
            }
            else
            {
                await leader.DisposeAsync();
            }
        }
    }

    private Task<JsonObject> WaitForBoundAsync(string ns, string name) =>
        Poll.UntilAsync(async () =>
        {
            var pod = await Cluster.GetJsonAsync($"/api/v1/namespaces/{ns}/pods/{name}");
            return Poll.Str(pod["spec"]?["nodeName"]) is { Length: > 0 } ? pod : null;
        }, $"pod {ns}/{name} to be bound", components.Logs);

    /// <summary>The Scheduled events about the pod, once there is at least one.</summary>
    private Task<List<JsonNode>> ScheduledEventsAsync(string ns, string name) =>
        Poll.UntilAsync(async () =>
        {
            var events = await Cluster.GetJsonAsync($"/api/v1/namespaces/{ns}/events?fieldSelector=involvedObject.name={name},reason=Scheduled");
            var items = events["items"]!.AsArray().Select(e => e!).ToList();
            return items.Count > 0 ? items : null;
        }, $"the Scheduled event of {ns}/{name}", components.Logs);
}
