using System.Net;
using System.Net.Http;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Foundation;

/// <summary>Starting and stopping the server as a static pod's kubelet would: flags, restarts, SIGTERM.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task UnknownFlag_ExitsWithAClearError()
    {
        var result = await ProcessRunner.RunAsync("dotnet", [RepoPaths.ServerDll, "--etcd-servers=http://127.0.0.1:1", "--no-such-flag=1"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("unknown flag: --no-such-flag", result.StdErr);
    }

    [Fact]
    public async Task VersionAndHelp_AnswerLikeKubeApiServer()
    {
        var version = await ProcessRunner.RunAsync("dotnet", [RepoPaths.ServerDll, "--version"]);
        Assert.Equal((0, "Kubernetes v1.35.0\n"), (version.ExitCode, version.StdOut));
        var help = await ProcessRunner.RunAsync("dotnet", [RepoPaths.ServerDll, "--help"]);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--etcd-servers", help.StdOut);
    }

    [Fact]
    public async Task MissingRequiredFlags_ExitWithEveryProblem()
    {
        var result = await ProcessRunner.RunAsync("dotnet", [RepoPaths.ServerDll, "--secure-port=0"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--etcd-servers must be specified", result.StdErr);
        Assert.Contains("--tls-cert-file and --tls-private-key-file must be specified", result.StdErr);
    }

    [Fact]
    public async Task EtcdCompactionInterval_CompactsThroughCompactRevKey_AndOldWatchesGet410()
    {
        // Without the watch cache, whose window would still serve the old revision (as kube-apiserver's does).
        var cluster = new ClusterFixture("--etcd-compaction-interval=1s", "--watch-cache=false");
        await cluster.InitializeAsync();
        try
        {
            var ns = await cluster.CreateNamespaceAsync("compact");
            var path = $"/api/v1/namespaces/{ns}/configmaps";
            var old = (await cluster.GetJsonAsync(path))["metadata"]!["resourceVersion"]!.GetValue<string>();
            await cluster.Http.PostAsync(path, ClusterFixture.Json("""{"metadata":{"name":"after"}}"""));

            // Each round records etcd's revision in compact_rev_key (its version counts the rounds) and
            // compacts what the round before recorded. Two rounds after this point, the revision of
            // "old" has been compacted whatever the timing of the server's start.
            int RoundsSoFar() => JsonNode.Parse(cluster.Etcdctl("get", "compact_rev_key", "-w", "json"))!["kvs"]?[0]?["version"]?.GetValue<int>() ?? 0;
            var target = RoundsSoFar() + 2;
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (RoundsSoFar() < target)
            {
                Assert.True(DateTime.UtcNow < deadline, "the server did not compact: " + cluster.Etcdctl("get", "compact_rev_key", "-w", "json"));
                await Task.Delay(200);
            }

            using var watch = await cluster.Http.GetAsync($"{path}?watch=1&resourceVersion={old}&timeoutSeconds=5");
            var line = (await watch.Content.ReadAsStringAsync()).Split('\n')[0];
            var error = JsonNode.Parse(line)!;
            Assert.Equal("ERROR", error["type"]!.GetValue<string>());
            Assert.Equal(410, error["object"]!["code"]!.GetValue<int>());
            Assert.Equal("Expired", error["object"]!["reason"]!.GetValue<string>());
            Assert.StartsWith($"too old resource version: {old} (", error["object"]!["message"]!.GetValue<string>());
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task Sigterm_EndsWatchesAndExitsCleanly_AndDataSurvivesARestart()
    {
        var cluster = new ClusterFixture();
        await cluster.InitializeAsync();
        try
        {
            var ns = await cluster.CreateNamespaceAsync("lifecycle");
            var created = await cluster.Http.PostAsync($"/api/v1/namespaces/{ns}/configmaps", ClusterFixture.Json("""{"metadata":{"name":"kept"}}"""));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);

            using var watchClient = cluster.CreateHttpClient(cluster.Admin);
            using var watch = await watchClient.GetAsync($"/api/v1/namespaces/{ns}/configmaps?watch=1&resourceVersion=0", HttpCompletionOption.ResponseHeadersRead);
            using var reader = new StreamReader(await watch.Content.ReadAsStreamAsync());
            Assert.Equal("ADDED", JsonNode.Parse((await reader.ReadLineAsync())!)!["type"]!.GetValue<string>());

            Assert.Equal(0, await cluster.Server.StopAsync(TimeSpan.FromSeconds(30)));

            // The watch ends with the process instead of hanging.
            var rest = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.DoesNotContain("ERROR", rest);

            // Started again on the same etcd, the server has everything that was acknowledged.
            var restarted = new ServerProcess(Path.Combine(cluster.WorkDirectory, "server2"), cluster.Server.Flags, cluster.Server.Port);
            await restarted.StartAsync(cluster.CreateHttpClient(null), TimeSpan.FromSeconds(60));
            try
            {
                var kept = await cluster.GetJsonAsync($"/api/v1/namespaces/{ns}/configmaps/kept");
                Assert.Equal("kept", kept["metadata"]!["name"]!.GetValue<string>());
            }
            finally
            {
                await restarted.DisposeAsync();
            }
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }
}
