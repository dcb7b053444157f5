using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Conformance.Infrastructure;

/// <summary>
/// tests/Conformance/webhook/webhook_server.py on a free port, with a serving certificate from the
/// cluster's CA: admission webhooks (/validate, /mutate, /slow) and a CRD conversion webhook (/convert).
/// </summary>
internal sealed class WebhookServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _portFile;

    private WebhookServer(Process process, string portFile, int port)
    {
        _process = process;
        _portFile = portFile;
        Port = port;
    }

    public int Port { get; }

    public string Url(string path) => $"https://127.0.0.1:{Port}{path}";

    /// <summary>
    /// Starts the server with a certificate for localhost and 127.0.0.1, or, when <paramref name="dnsNames"/>
    /// are given, for those names alone (a service's name.namespace.svc, which TLS must then check).
    /// </summary>
    public static async Task<WebhookServer> StartAsync(ClusterFixture cluster, params string[] dnsNames)
    {
        var id = Guid.NewGuid().ToString("N")[..6];
        var certificate = dnsNames.Length > 0
            ? cluster.Pki.IssueServerCertificate("webhook-" + id, dnsNames, loopback: false)
            : cluster.Pki.IssueServerCertificate("webhook-" + id);
        var portFile = Path.Combine(cluster.WorkDirectory, $"webhook-{id}.port");
        var script = Path.Combine(RepoPaths.Root, "tests", "Conformance", "webhook", "webhook_server.py");
        var process = Process.Start(new ProcessStartInfo("python3", [script, certificate.CertificatePath, certificate.KeyPath, portFile])
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!File.Exists(portFile))
        {
            if (process.HasExited)
            {
                Assert.Fail("the webhook server exited: " + await process.StandardError.ReadToEndAsync());
            }

            Assert.True(DateTime.UtcNow < deadline, "the webhook server did not start");
            await Task.Delay(50);
        }

        return new WebhookServer(process, portFile, int.Parse(await File.ReadAllTextAsync(portFile), System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Every AdmissionReview request received so far, with the path it came to.</summary>
    public IReadOnlyList<JsonNode> Reviews() =>
        File.Exists(_portFile + ".log")
            ? File.ReadAllLines(_portFile + ".log").Select(l => JsonNode.Parse(l)!).ToArray()
            : [];

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
