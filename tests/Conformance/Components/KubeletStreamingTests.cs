using System.Text;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;
using k8s;

namespace Conformance.Components;

/// <summary>
/// kubectl exec and attach, the C# client's exec and port-forward, and nodes/proxy, each going through the
/// API server (authorization, then the upgrade proxied with the server's kubelet client certificate) to
/// a simulated node's kubelet endpoint, which answers with canned behaviour (a small shell, an HTTP page
/// on forwarded ports).
/// </summary>
[Collection(ComponentsCollection.Name)]
public sealed class KubeletStreamingTests(ComponentsFixture components)
{
    private ClusterFixture Cluster => components.Cluster;

    [Fact]
    public async Task KubectlExec_RunsCommandsInTheSimulatedContainer_WithExitCodesAndStdin()
    {
        var ns = await Cluster.CreateNamespaceAsync("exec");
        await Cluster.KubectlWithInputAsync($$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: web, namespace: {{ns}}}
            spec:
              containers:
              - name: web
                image: nginx
                env: [{name: GREETING, value: hello}]
            """, "apply", "-f", "-");
        await RunningAsync(ns, "web");

        var hi = await Cluster.KubectlAsync("exec", "web", "-n", ns, "--", "echo", "hi", "there");
        Assert.True(hi.ExitCode == 0 && hi.StdOut == "hi there\n", hi + components.Logs());
        Assert.Equal("hello from web\n", await Cluster.KubectlOkAsync("exec", "web", "-n", ns, "--", "sh", "-c", "echo $GREETING from $(hostname)".Replace("$(hostname)", "$HOSTNAME", StringComparison.Ordinal)));

        var failed = await Cluster.KubectlAsync("exec", "web", "-n", ns, "--", "sh", "-c", "echo before; exit 3");
        Assert.True(failed.ExitCode == 3, failed.ToString());
        Assert.Equal("before\n", failed.StdOut);
        Assert.Contains("command terminated with exit code 3", failed.StdErr);

        // stdin reaches the process and its end (v5's close signal) ends cat.
        var echoed = await Cluster.KubectlWithInputAsync("line one\nline two\n", "exec", "-i", "web", "-n", ns, "--", "cat");
        Assert.True(echoed.ExitCode == 0, echoed + components.Logs());
        Assert.Equal("line one\nline two\n", echoed.StdOut);

        var missing = await Cluster.KubectlAsync("exec", "web", "-n", ns, "--", "nosuchprogram");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("executable file not found in $PATH", missing.StdErr);

        var wrongContainer = await Cluster.KubectlAsync("exec", "web", "-n", ns, "-c", "nope", "--", "echo");
        Assert.NotEqual(0, wrongContainer.ExitCode);
        Assert.Contains("container nope is not valid for pod web", wrongContainer.StdErr);
    }

    [Fact]
    public async Task Exec_BeforeScheduling_IsKubesBadRequest()
    {
        var ns = await Cluster.CreateNamespaceAsync("exec-pending");
        await Cluster.KubectlOkAsync("run", "waiting", "--image=nginx", "-n", ns, "--overrides", """{"spec":{"schedulerName":"nobody"}}""");
        var result = await Cluster.KubectlAsync("exec", "waiting", "-n", ns, "--", "echo");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("pod waiting does not have a host assigned", result.StdErr);
    }

    [Fact]
    public async Task KubectlAttach_ReachesTheContainersShell()
    {
        var ns = await Cluster.CreateNamespaceAsync("attach");
        await Cluster.KubectlWithInputAsync($$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: box, namespace: {{ns}}}
            spec:
              containers: [{name: box, image: busybox, command: [sh], stdin: true}]
            """, "apply", "-f", "-");
        await RunningAsync(ns, "box");
        var attached = await Cluster.KubectlWithInputAsync("echo attached to $HOSTNAME\nexit\n", "attach", "-i", "box", "-n", ns);
        Assert.True(attached.ExitCode == 0, attached + components.Logs());
        Assert.Contains("attached to box", attached.StdOut);
    }

    [Fact]
    public async Task CSharpClient_ExecsAndForwardsAPort_OverWebSockets()
    {
        var ns = await Cluster.CreateNamespaceAsync("ws");
        await Cluster.KubectlOkAsync("run", "web", "--image=nginx", "--port=80", "-n", ns);
        await RunningAsync(ns, "web");
        using var client = ComponentClients.For(Cluster, Cluster.Admin, "conformance-exec");

        var output = new StringBuilder();
        var code = await client.NamespacedPodExecAsync("web", ns, "web", ["sh", "-c", "echo out; printenv HOSTNAME; exit 4"], false,
            async (stdin, stdout, stderr) =>
            {
                using var reader = new StreamReader(stdout);
                output.Append(await reader.ReadToEndAsync());
            }, CancellationToken.None);
        Assert.Equal(4, code);
        Assert.Equal("out\nweb\n", output.ToString());

        using var socket = await client.WebSocketNamespacedPodPortForwardAsync("web", ns, [80], "v4.channel.k8s.io");
        using var demuxer = new StreamDemuxer(socket, StreamType.PortForward);
        demuxer.Start();
        using var stream = demuxer.GetStream((byte?)0, (byte?)0);
        var request = Encoding.ASCII.GetBytes("GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n");
        await stream.WriteAsync(request);
        var response = new StringBuilder();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!response.ToString().Contains("on port 80", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            Assert.True(read > 0, "the forwarded connection closed early: " + response);
            response.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        Assert.StartsWith("HTTP/1.1 200 OK", response.ToString(), StringComparison.Ordinal);
        Assert.Contains($"Hello from {ns}/web (simulated container web, image nginx) on port 80: GET /index.html", response.ToString());
    }

    [Theory]
    [InlineData("true")]
    [InlineData("false")]
    public async Task KubectlPortForward_ReachesTheSimulatedPort_TunneledOrOverSpdy(string websockets)
    {
        var ns = await Cluster.CreateNamespaceAsync("pf");
        await Cluster.KubectlOkAsync("run", "web", "--image=nginx", "--port=80", "-n", ns);
        await RunningAsync(ns, "web");
        // KUBECTL_PORT_FORWARD_WEBSOCKETS=false makes kubectl 1.32 speak SPDY itself instead of tunnelling it in a WebSocket.
        using var forward = new RunningProcess("env", [$"KUBECTL_PORT_FORWARD_WEBSOCKETS={websockets}", "kubectl",
            "--kubeconfig", Cluster.Kubeconfig, "port-forward", "pod/web", ":80", "-n", ns, "--address=127.0.0.1"]);
        await forward.WaitForOutputAsync("Forwarding from 127.0.0.1:", TimeSpan.FromSeconds(60));
        var port = System.Text.RegularExpressions.Regex.Match(forward.StdOut, @"Forwarding from 127\.0\.0\.1:(\d+) -> 80").Groups[1].Value;
        for (var i = 0; i < 2; i++)
        {
            var page = await ProcessRunner.RunAsync("curl", ["-sS", "--max-time", "30", $"http://127.0.0.1:{port}/hello"]);
            Assert.True(page.ExitCode == 0, page + forward.StdOut + components.Logs());
            Assert.Equal($"Hello from {ns}/web (simulated container web, image nginx) on port 80: GET /hello\n", page.StdOut);
        }
    }

    [Fact]
    public async Task WebSocketExec_NeedsCreate_AsKube135()
    {
        var ns = await Cluster.CreateNamespaceAsync("exec-authz");
        await Cluster.KubectlOkAsync("run", "web", "--image=nginx", "-n", ns);
        await RunningAsync(ns, "web");
        var reader = Cluster.Pki.IssueClientCertificate("exec-reader", "exec-reader");
        await Cluster.KubectlOkAsync("create", "role", "exec-get", "-n", ns, "--verb=get", "--resource=pods,pods/exec");
        await Cluster.KubectlOkAsync("create", "rolebinding", "exec-get", "-n", ns, "--role=exec-get", "--user=exec-reader");

        var upgrade = await Cluster.CurlAsync(reader, "--http1.1", "-w", "\n%{http_code}",
            "-H", "Connection: Upgrade", "-H", "Upgrade: websocket", "-H", "Sec-WebSocket-Version: 13",
            "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "-H", "Sec-WebSocket-Protocol: v5.channel.k8s.io",
            $"{Cluster.ServerUrl}/api/v1/namespaces/{ns}/pods/web/exec?command=echo&stdout=true");
        Assert.EndsWith("403", upgrade.StdOut.TrimEnd(), StringComparison.Ordinal);
        Assert.Contains("User \\\"exec-reader\\\" cannot create resource \\\"pods/exec\\\"", upgrade.StdOut);

        // Without an upgrade the admin gets kube's 400.
        var plain = await Cluster.CurlAsync(Cluster.Admin, "-X", "POST", "-w", "\n%{http_code}", $"{Cluster.ServerUrl}/api/v1/namespaces/{ns}/pods/web/exec?command=echo");
        Assert.EndsWith("400", plain.StdOut.TrimEnd(), StringComparison.Ordinal);
        Assert.Contains("Upgrade request required", plain.StdOut);
    }

    [Fact]
    public async Task NodesProxy_ReachesTheNodesKubelet()
    {
        var healthz = await Cluster.KubectlOkAsync("get", "--raw", $"/api/v1/nodes/{ComponentsFixture.NodeNames[0]}/proxy/healthz");
        Assert.Equal("ok", healthz);
        var pods = JsonNode.Parse(await Cluster.KubectlOkAsync("get", "--raw", $"/api/v1/nodes/{ComponentsFixture.NodeNames[0]}/proxy/pods"))!;
        Assert.Equal("PodList", Poll.Str(pods["kind"]));
        var missing = await Cluster.KubectlAsync("get", "--raw", "/api/v1/nodes/no-such-node/proxy/healthz");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("not found", missing.StdErr);
    }

    private async Task RunningAsync(string ns, string name) =>
        await Poll.UntilAsync(async () =>
        {
            var result = await Cluster.KubectlAsync("get", "pod", name, "-n", ns, "-o", "jsonpath={.status.phase}");
            return result.StdOut == "Running" ? result.StdOut : null;
        }, $"pod {ns}/{name} Running", components.Logs);
}
