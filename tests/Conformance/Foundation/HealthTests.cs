using Conformance.Infrastructure;

namespace Conformance.Foundation;

/// <summary>Background loops in /readyz: one that keeps failing shows as a failed check, and recovers.</summary>
public sealed class HealthTests
{
    [Fact]
    public async Task ALoopThatKeepsFailing_ShowsInReadyz_IsLoggedWhole_AndRecovers()
    {
        // Compaction every second: with etcd gone, its rounds fail one after another.
        var cluster = new ClusterFixture("--etcd-compaction-interval=1s");
        try
        {
            await cluster.InitializeAsync();
            var healthy = await cluster.CurlAsync(null, $"{cluster.ServerUrl}/readyz?verbose");
            Assert.Contains("[+]watch-cache ok", healthy.StdOut);
            Assert.Contains("[+]informer/rbac/clusterroles ok", healthy.StdOut);

            cluster.Etcd.Kill();
            var failing = await EventuallyAsync(cluster, "[-]etcd-compaction failed: reason withheld");
            Assert.EndsWith("readyz check failed\n", failing);
            // The log has the failure whole: what failed, and the exception with its stack.
            var log = cluster.Server.Log;
            var at = log.IndexOf("etcd-compaction failed, retrying in", StringComparison.Ordinal);
            Assert.True(at >= 0, ClusterFixture.Tail(log));
            Assert.Contains("   at ", log[at..]);

            await cluster.Etcd.RestartAsync();
            var recovered = await EventuallyAsync(cluster, "readyz check passed");
            Assert.Contains("[+]etcd-compaction ok", recovered);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    private static async Task<string> EventuallyAsync(ClusterFixture cluster, string expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var result = await cluster.CurlAsync(null, "--max-time", "10", $"{cluster.ServerUrl}/readyz?verbose");
            if (result.StdOut.Contains(expected, StringComparison.Ordinal))
            {
                return result.StdOut;
            }

            Assert.True(DateTime.UtcNow < deadline, $"/readyz never showed \"{expected}\":\n{result.StdOut}\n--- server log tail\n{ClusterFixture.Tail(cluster.Server.Log)}");
            await Task.Delay(500);
        }
    }
}
