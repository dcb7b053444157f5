using Conformance.Infrastructure;

namespace Conformance.ControllerManager;

/// <summary>
/// The controller manager's secure port as kube-controller-manager serves it: /healthz (with a check
/// per running controller and leaderElection), /livez, /readyz and /metrics over HTTPS with a
/// self-signed certificate, asked with curl; requests other than /healthz, /livez and /readyz are
/// authenticated (client certificate or a TokenReview'd bearer token) and authorized by a
/// SubjectAccessReview against the server, as k8s.io/apiserver's delegated options do.
/// </summary>
[Collection(ControllerManagerCollection.Name)]
public sealed class HealthTests(ControllerManagerFixture fixture)
{
    private Task<ProcessResult> CurlAsync(string path, params string[] extra) =>
        ProcessRunner.RunAsync("curl", ["-sS", "-k", "-w", "\n%{http_code}", .. extra, $"https://127.0.0.1:{fixture.HealthPort}{path}"]);

    /// <summary>curl as the cluster's admin (a client certificate in system:masters).</summary>
    private Task<ProcessResult> AdminCurlAsync(string path) =>
        CurlAsync(path, "--cert", fixture.Cluster.Admin.CertificatePath, "--key", fixture.Cluster.Admin.KeyPath);

    [Fact]
    public async Task Healthz_ListsLeaderElectionAndEveryController_OverHttps()
    {
        // Leading and synced: every endpoint says ok. A standby is ready too (it waits for the lease an earlier
        // instance may still hold), so wait for the controllers' own checks, which exist once it leads.
        var checks = new[] { "leaderElection", "replicaset-controller", "deployment-controller", "garbage-collector-controller", "disruption-controller", "node-lifecycle-controller" };
        await fixture.EventuallyAsync(async () =>
        {
            if ((await CurlAsync("/readyz")).StdOut != "ok\n200")
            {
                return null;
            }

            var page = (await CurlAsync("/healthz?verbose")).StdOut;
            return checks.All(c => page.Contains($"[+]{c} ok\n", StringComparison.Ordinal)) ? "leading" : null;
        }, "the controller manager leading and ready, every controller's check ok");
        foreach (var path in new[] { "/healthz", "/livez" })
        {
            Assert.Equal("ok\n200", (await CurlAsync(path)).StdOut);
        }

        var verbose = (await CurlAsync("/healthz?verbose")).StdOut;
        Assert.StartsWith("[+]ping ok\n", verbose, StringComparison.Ordinal);
        foreach (var check in checks)
        {
            Assert.Contains($"[+]{check} ok\n", verbose, StringComparison.Ordinal);
        }

        Assert.EndsWith("healthz check passed\n\n200", verbose, StringComparison.Ordinal);
        // Only the exact always-allowed paths skip authorization: one check's path needs an identity.
        Assert.Equal("ok\n200", (await AdminCurlAsync("/healthz/leaderElection")).StdOut);
        Assert.Equal("ok\n200", (await AdminCurlAsync("/healthz/disruption-controller")).StdOut);
        Assert.EndsWith("404", (await AdminCurlAsync("/healthz/no-such-controller")).StdOut, StringComparison.Ordinal);
        Assert.EndsWith("403", (await CurlAsync("/healthz/leaderElection")).StdOut, StringComparison.Ordinal);
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
            var text = (await AdminCurlAsync("/metrics")).StdOut;
            return text.Contains("leader_election_master_status{name=\"kube-controller-manager\"} 1", StringComparison.Ordinal) ? text : null;
        }, "the controller manager leading in /metrics");
        Assert.EndsWith("\n200", metrics, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^process_resident_memory_bytes \d", metrics);
        Assert.Matches(@"(?m)^process_cpu_seconds_total [0-9.]", metrics);
        Assert.Matches(@"(?m)^workqueue_adds_total\{name=""replicaset-controller""\} \d+$", metrics);
        Assert.Matches(@"(?m)^workqueue_depth\{name=""disruption""\} \d+$", metrics);
        Assert.Contains("# TYPE workqueue_retries_total counter", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_AnswerOnlyAuthenticatedAndAuthorizedCallers()
    {
        // Anonymous: authenticated as system:anonymous, denied by the SubjectAccessReview.
        var anonymous = (await CurlAsync("/metrics")).StdOut;
        Assert.EndsWith("\n403", anonymous, StringComparison.Ordinal);
        Assert.Contains("\"message\":\"forbidden: User \\\"system:anonymous\\\" cannot get path \\\"/metrics\\\"\"", anonymous, StringComparison.Ordinal);
        Assert.Contains("\"reason\":\"Forbidden\"", anonymous, StringComparison.Ordinal);

        // A token the server does not know, and a certificate of another CA: 401.
        var badToken = (await CurlAsync("/metrics", "-H", "Authorization: Bearer not-a-real-token")).StdOut;
        Assert.EndsWith("\n401", badToken, StringComparison.Ordinal);
        Assert.Contains("\"reason\":\"Unauthorized\"", badToken, StringComparison.Ordinal);
        using var strangerPki = TestSupport.TestPki.Create(Path.Combine(fixture.Cluster.WorkDirectory, "other-pki-" + Guid.NewGuid().ToString("N")[..6]), "other-ca");
        var foreign = strangerPki.IssueClientCertificate("foreign", "kubernetes-admin", "system:masters");
        Assert.EndsWith("\n401", (await CurlAsync("/metrics", "--cert", foreign.CertificatePath, "--key", foreign.KeyPath)).StdOut, StringComparison.Ordinal);

        // Service accounts: a token review names them; RBAC decides. system:monitoring grants get on /metrics.
        var cluster = fixture.Cluster;
        var ns = await cluster.CreateNamespaceAsync("kcm-metrics");
        await cluster.KubectlOkAsync("create", "serviceaccount", "watcher", "-n", ns);
        await cluster.KubectlOkAsync("create", "serviceaccount", "stranger", "-n", ns);
        await cluster.KubectlOkAsync("create", "clusterrolebinding", ns + "-watcher", "--clusterrole=system:monitoring", $"--serviceaccount={ns}:watcher");
        var strangerToken = (await cluster.KubectlOkAsync("create", "token", "stranger", "-n", ns)).Trim();
        var denied = (await CurlAsync("/metrics", "-H", "Authorization: Bearer " + strangerToken)).StdOut;
        Assert.EndsWith("\n403", denied, StringComparison.Ordinal);
        Assert.Contains($"forbidden: User \\\"system:serviceaccount:{ns}:stranger\\\" cannot get path \\\"/metrics\\\"", denied, StringComparison.Ordinal);
        var watcherToken = (await cluster.KubectlOkAsync("create", "token", "watcher", "-n", ns)).Trim();
        var allowed = (await CurlAsync("/metrics", "-H", "Authorization: Bearer " + watcherToken)).StdOut;
        Assert.EndsWith("\n200", allowed, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^process_cpu_seconds_total [0-9.]", allowed);

        // The always-allowed paths need nothing, even with a token that would be refused elsewhere.
        Assert.Equal("ok\n200", (await CurlAsync("/livez", "-H", "Authorization: Bearer " + strangerToken)).StdOut);
    }
}
