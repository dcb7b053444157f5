using Conformance.Infrastructure;

namespace Conformance.Foundation;

/// <summary>
/// What an operator sees of the watch caches' start: kube's storage-readiness post-start hook in
/// /readyz (the server is ready once its caches are filled) and the process series of /metrics.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ColdStartTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Readyz_ListsTheStorageReadinessHook_AndMetricsShowTheProcess()
    {
        foreach (var endpoint in new[] { "readyz", "livez", "healthz" })
        {
            var verbose = await cluster.CurlAsync(null, $"{cluster.ServerUrl}/{endpoint}?verbose");
            Assert.Contains("[+]poststarthook/storage-readiness ok\n", verbose.StdOut);
        }

        // One check alone (kube's public-info-viewer role covers /readyz, not its subpaths: an admin asks).
        using (var single = await cluster.Http.GetAsync("/readyz/poststarthook/storage-readiness"))
        {
            Assert.Equal("ok", await single.Content.ReadAsStringAsync());
        }

        using var response = await cluster.Http.GetAsync("/metrics");
        var metrics = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, metrics);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        var values = metrics.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split(' ')).ToDictionary(p => p[0], p => double.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(values["process_resident_memory_bytes"] > 10e6, metrics);
        Assert.True(values["dotnet_gc_allocated_bytes_total"] > 1e6, metrics);
        Assert.True(values["process_cpu_seconds_total"] > 0, metrics);
    }
}
