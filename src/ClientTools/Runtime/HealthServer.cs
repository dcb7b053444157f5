using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ClientTools.CommandLine;
using ClientTools.Logging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace ClientTools.Runtime;

/// <summary>
/// The HTTPS endpoint kube's components serve for probes: <c>/healthz</c>, <c>/livez</c>, <c>/readyz</c>
/// on <c>--bind-address</c>:<c>--secure-port</c> (0 turns it off), with <c>--tls-cert-file</c>/
/// <c>--tls-private-key-file</c> or a self-signed certificate, as kube-scheduler makes one when none
/// is given. With delegated authentication (<see cref="DelegatedAuth"/>) requests are authenticated and
/// authorized as kube's components do, these paths being allowed by default (--authorization-always-allow-paths);
/// without it, every request is served.
/// Named checks answer as k8s.io/apiserver's healthz: <c>ok</c>, <c>?verbose</c> lists <c>[+]name ok</c>,
/// a failure is 500 with <c>[-]name failed: reason withheld</c>, <c>/healthz/&lt;name&gt;</c> asks one check,
/// <c>?exclude=name</c> skips one. <c>/metrics</c> is served when <see cref="Metrics"/> is set.
/// </summary>
public sealed class HealthServer
{
    private readonly Flag<string> _bindAddress;
    private readonly Flag<int> _securePort;
    private readonly Flag<string> _certFile;
    private readonly Flag<string> _keyFile;
    private WebApplication? _app;

    private readonly DelegatedAuth? _auth;

    /// <param name="delegatedAuth">
    /// Authenticate and authorize requests as kube's components do (<see cref="DelegatedAuth"/>); without
    /// it the flags are accepted and every request is served.
    /// </param>
    public HealthServer(FlagSet flags, int defaultPort, bool delegatedAuth = false)
    {
        _bindAddress = flags.String("bind-address", "0.0.0.0", "Address the HTTPS health and metrics endpoint listens on (0.0.0.0: every interface).");
        _securePort = flags.Int("secure-port", defaultPort, "The port on which to serve HTTPS (healthz, livez, readyz); 0 turns it off.");
        _certFile = flags.String("tls-cert-file", "", "PEM certificate the health endpoint serves (without it, one is generated and kept in memory).");
        _keyFile = flags.String("tls-private-key-file", "", "PEM private key for --tls-cert-file.");
        if (delegatedAuth)
        {
            _auth = new DelegatedAuth(flags);
            flags.Accept("the serving certificate is kept in memory", "cert-dir");
        }
        else
        {
            flags.Accept("delegated authentication and authorization of the health endpoint are not done", "authentication-kubeconfig", "authorization-kubeconfig", "authorization-always-allow-paths", "requestheader-client-ca-file", "client-ca-file", "cert-dir");
        }
    }

    private readonly Lock _checksLock = new();

    /// <summary>
    /// The checks, replaced whole on every change: a request reads one snapshot, so a batch added
    /// together (a controller manager's controllers once it leads) appears all at once or not at all.
    /// </summary>
    private volatile IReadOnlyDictionary<string, Func<string?>> _checks = new Dictionary<string, Func<string?>>(StringComparer.Ordinal);

    /// <summary>Readiness beyond being up (e.g. informers synced); true by default.</summary>
    public Func<bool> Ready { get; set; } = () => true;

    /// <summary>The Prometheus text /metrics answers; null: /metrics is not served.</summary>
    public Func<string>? Metrics { get; set; }

    /// <summary>
    /// Adds a check to /healthz, /livez and /readyz (and its own /healthz/&lt;name&gt;), at any time:
    /// <paramref name="check"/> answers null when healthy, else why not.
    /// </summary>
    public void AddCheck(string name, Func<string?> check) => AddChecks([(name, check)]);

    /// <summary>Adds several checks at once: no request sees some of them without the others (as kube adds the controllers' checks in one call).</summary>
    public void AddChecks(IEnumerable<(string Name, Func<string?> Check)> checks)
    {
        lock (_checksLock)
        {
            var next = new Dictionary<string, Func<string?>>(_checks, StringComparer.Ordinal);
            foreach (var (name, check) in checks)
            {
                next[name] = check;
            }

            _checks = next;
        }
    }

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
        _auth?.Start();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(_bindAddress.Value), _securePort.Value, l => l.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = certificate,
            // Client certificates are asked for, not required, and verified by DelegatedAuth (a bad one is 401 there, as in kube).
            ClientCertificateMode = _auth?.WantsClientCertificates == true ? ClientCertificateMode.AllowCertificate : ClientCertificateMode.NoCertificate,
            ClientCertificateValidation = (_, _, _) => true,
        })));
        var app = builder.Build();
        if (_auth is { } auth)
        {
            app.Use(auth.InvokeAsync);
        }

        foreach (var path in new[] { "healthz", "livez", "readyz" })
        {
            var readiness = path == "readyz";
            app.MapGet("/" + path, (HttpRequest request) => Aggregate(path, readiness, request));
            app.MapGet($"/{path}/{{name}}", (string name) => Single(name, readiness));
        }

        app.MapGet("/metrics", () => Metrics is { } metrics
            ? Results.Text(metrics(), "text/plain; version=0.0.4; charset=utf-8")
            : Results.NotFound());
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;
        Port = _securePort.Value;
        Klog.Info($"serving securely on {_bindAddress.Value}:{_securePort.Value}");
    }

    /// <summary>The checks of one endpoint in kube's order: ping first, then as added; readiness adds informer-sync.</summary>
    private List<(string Name, Func<string?> Check)> ChecksFor(bool readiness)
    {
        var checks = new List<(string, Func<string?>)> { ("ping", () => null) };
        checks.AddRange(_checks.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => (c.Key, c.Value)));
        if (readiness)
        {
            checks.Add(("informer-sync", () => Ready() ? null : "not synced"));
        }

        return checks;
    }

    private IResult Aggregate(string path, bool readiness, HttpRequest request)
    {
        var verbose = request.Query.ContainsKey("verbose");
        var excluded = request.Query["exclude"].Where(e => e is not null).SelectMany(e => e!.Split(',')).ToHashSet(StringComparer.Ordinal);
        var output = new System.Text.StringBuilder();
        var failed = new List<string>();
        foreach (var (name, check) in ChecksFor(readiness))
        {
            if (excluded.Remove(name))
            {
                output.Append("[+]").Append(name).Append(" excluded: ok\n");
                continue;
            }

            string? reason;
            try
            {
                reason = check();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                reason = e.Message;
            }

            if (reason is null)
            {
                output.Append("[+]").Append(name).Append(" ok\n");
            }
            else
            {
                failed.Add(name);
                output.Append("[-]").Append(name).Append(" failed: reason withheld\n");
                Klog.Info(2, $"{path} check {name} failed: {reason}");
            }
        }

        foreach (var name in excluded)
        {
            output.Append("warn: some health checks cannot be excluded: no matches for \"").Append(name).Append("\"\n");
        }

        if (failed.Count > 0)
        {
            return Results.Text($"{output}{path} check failed\n", "text/plain; charset=utf-8", statusCode: 500);
        }

        return Results.Text(verbose ? $"{output}{path} check passed\n" : "ok", "text/plain; charset=utf-8");
    }

    private IResult Single(string name, bool readiness)
    {
        var match = ChecksFor(readiness).FirstOrDefault(c => c.Name == name);
        if (match.Check is null)
        {
            return Results.NotFound();
        }

        var reason = match.Check();
        return reason is null ? Results.Text("ok", "text/plain; charset=utf-8") : Results.Text($"internal server error: {reason}\n", "text/plain; charset=utf-8", statusCode: 500);
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
