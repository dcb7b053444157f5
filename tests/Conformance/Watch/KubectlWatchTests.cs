using Conformance.Infrastructure;

namespace Conformance.Watch;

/// <summary>kubectl get -w: a Table list, then one-row Table events, printed as kubectl users know them.</summary>
[Collection(ClusterCollection.Name)]
public sealed class KubectlWatchTests(ClusterFixture cluster)
{
    [Fact]
    public async Task GetPodsWatch_PrintsAddedModifiedDeleted()
    {
        var ns = await cluster.CreateNamespaceAsync("kwatch");
        await cluster.KubectlOkAsync("run", "existing", "-n", ns, "--image=busybox");

        // --request-timeout becomes the watch's timeoutSeconds, so kubectl ends by itself. kubectl
        // watches from its list's resourceVersion, so once the list is printed no later write is missed.
        using var watch = cluster.StartKubectl("get", "pods", "-n", ns, "-w", "--output-watch-events", "--request-timeout=10s");
        await watch.WaitForOutputAsync("existing", TimeSpan.FromSeconds(30));
        await cluster.KubectlOkAsync("run", "web", "-n", ns, "--image=nginx");
        await cluster.KubectlOkAsync("label", "pod", "web", "-n", ns, "tier=front");
        await cluster.KubectlOkAsync("delete", "pod", "web", "-n", ns, "--wait=false");

        var result = await watch.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, result.ToString());
        var rows = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        Assert.Equal(["EVENT", "NAME", "READY", "STATUS", "RESTARTS", "AGE"], rows[0]);
        var events = rows.Skip(1).Select(r => (r[0], r[1], r[3])).ToArray();
        Assert.Equal(
            [("ADDED", "existing", "Pending"), ("ADDED", "web", "Pending"), ("MODIFIED", "web", "Pending"), ("DELETED", "web", "Pending")],
            events);
    }
}
