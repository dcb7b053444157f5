using Conformance.Infrastructure;

namespace Conformance.ControllerManager;

/// <summary>
/// The controller manager's secure port as kube-controller-manager serves it: /healthz (with a check
/// per running controller and leaderElection), /livez, /readyz and /metrics over HTTPS with a
/// self-signed certificate, asked with curl.
/// </summary>
[Collection(ControllerManagerCollection.Name)]
public sealed class HealthTests(ControllerManagerFixture fixture)
{
    private Task<ProcessResult> CurlAsync(string path) =>
        ProcessRunner.RunAsync("curl", ["-sS", "-k", "-w", "\n%{http_code}", $"https://127.0.0.1:{fixture.HealthPort}{path}"]);

    [Fact]
    public async Task Healthz_ListsLeaderElectionAndEveryController_OverHttps()
    {
        // Leading and synced: every endpoint says ok.
        await fixture.EventuallyAsync(async () => (await CurlAsync("/readyz")).StdOut == "ok\n200" ? "ready" : null, "the controller manager ready");
        foreach (var path in new[] { "/healthz", "/livez" })
        {
            Assert.Equal("ok\n200", (await CurlAsync(path)).StdOut);
        }

        var verbose = (await CurlAsync("/healthz?verbose")).StdOut;
        Assert.StartsWith("[+]ping ok\n", verbose, StringComparison.Ordinal);
        foreach (var check in new[] { "leaderElection", "replicaset-controller", "deployment-controller", "garbage-collector-controller", "disruption-controller", "node-lifecycle-controller" })
        {
            Assert.Contains($"[+]{check} ok\n", verbose, StringComparison.Ordinal);
        }

        Assert.EndsWith("healthz check passed\n\n200", verbose, StringComparison.Ordinal);
        Assert.Equal("ok\n200", (await CurlAsync("/healthz/leaderElection")).StdOut);
        Assert.Equal("ok\n200", (await CurlAsync("/healthz/disruption-controller")).StdOut);
        Assert.EndsWith("404", (await CurlAsync("/healthz/no-such-controller")).StdOut, StringComparison.Ordinal);
        Assert.Contains("[+]leaderElection excluded: ok", (await CurlAsync("/healthz?verbose&exclude=leaderElection")).StdOut, StringComparison.Ordinal);

        // The certificate is self-signed: without -k curl refuses it.
        var strict = await ProcessRunner.RunAsync("curl", ["-sS", $"https://127.0.0.1:{fixture.HealthPort}/healthz"]);
        Assert.NotEqual(0, strict.ExitCode);
    }

    [Fact]
    public async Task Metrics_ServeProcessWorkQueueAndLeaderSeries()
    {
        var metrics = await fixture.EventuallyAsync(async () =>
        {
            var text = (await CurlAsync("/metrics")).StdOut;
            return text.Contains("leader_election_master_status{name=\"kube-controller-manager\"} 1", StringComparison.Ordinal) ? text : null;
        }, "the controller manager leading in /metrics");
        Assert.EndsWith("\n200", metrics, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^process_resident_memory_bytes \d", metrics);
        Assert.Matches(@"(?m)^process_cpu_seconds_total [0-9.]", metrics);
        Assert.Matches(@"(?m)^workqueue_adds_total\{name=""replicaset-controller""\} \d+$", metrics);
        Assert.Matches(@"(?m)^workqueue_depth\{name=""disruption""\} \d+$", metrics);
        Assert.Contains("# TYPE workqueue_retries_total counter", metrics, StringComparison.Ordinal);
    }
}
