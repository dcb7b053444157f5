using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ClientTools.CommandLine;
using ClientTools.Logging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ClientTools.Runtime;

/// <summary>
/// The HTTPS endpoint kube's components serve for probes: <c>/healthz</c>, <c>/livez</c>, <c>/readyz</c>
/// on <c>--bind-address</c>:<c>--secure-port</c> (0 turns it off), with <c>--tls-cert-file</c>/
/// <c>--tls-private-key-file</c> or a self-signed certificate, as kube-scheduler makes one when none
/// is given. Unauthenticated, as kube's components allow these paths by default (--authorization-always-allow-paths).
/// Metrics are not served.
/// </summary>
public sealed class HealthServer
{
    private readonly Flag<string> _bindAddress;
    private readonly Flag<int> _securePort;
    private readonly Flag<string> _certFile;
    private readonly Flag<string> _keyFile;
    private WebApplication? _app;

    public HealthServer(FlagSet flags, int defaultPort)
    {
        _bindAddress = flags.String("bind-address", "0.0.0.0", "The IP address on which to listen for the --secure-port port.");
        _securePort = flags.Int("secure-port", defaultPort, "The port on which to serve HTTPS (healthz, livez, readyz); 0 turns it off.");
        _certFile = flags.String("tls-cert-file", "", "File containing the default x509 certificate for HTTPS (default: a self-signed one).");
        _keyFile = flags.String("tls-private-key-file", "", "File containing the default x509 private key matching --tls-cert-file.");
        flags.Accept("delegated authentication and authorization of the health endpoint are not done", "authentication-kubeconfig", "authorization-kubeconfig", "authorization-always-allow-paths", "requestheader-client-ca-file", "client-ca-file", "cert-dir");
    }

    /// <summary>Readiness beyond being up (e.g. informers synced); true by default.</summary>
    public Func<bool> Ready { get; set; } = () => true;

    public int Port { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_securePort.Value == 0)
        {
            return;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var certificate = Certificate();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(_bindAddress.Value), _securePort.Value, l => l.UseHttps(certificate)));
        var app = builder.Build();
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/livez", () => Results.Text("ok"));
        app.MapGet("/readyz", () => Ready() ? Results.Text("ok") : Results.Text("[-]informer-sync failed: not synced\nreadyz check failed", statusCode: 500));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;
        Port = _securePort.Value;
        Klog.Info($"serving securely on {_bindAddress.Value}:{_securePort.Value}");
    }

    public async Task StopAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private X509Certificate2 Certificate()
    {
        if (_certFile.Value.Length > 0)
        {
            using var pem = X509Certificate2.CreateFromPemFile(_certFile.Value, _keyFile.Value.Length > 0 ? _keyFile.Value : null);
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=localhost@{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var self = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1));
        return X509CertificateLoader.LoadPkcs12(self.Export(X509ContentType.Pkcs12), null);
    }
}
