using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ClientTools.Logging;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;
using NodeSimulator.Kubelet.Streaming;

namespace NodeSimulator.Kubelet;

/// <summary>
/// The kubelet's HTTPS endpoint for every simulated node (they share one port and address, as kwok's
/// do): <c>/healthz</c>, <c>/pods</c> and <c>/containerLogs/{namespace}/{pod}/{container}</c> with the
/// kubelet's query parameters (follow, tailLines, sinceSeconds, sinceTime, timestamps, limitBytes,
/// previous), and the streaming endpoints <c>/exec</c>, <c>/attach</c> and <c>/portForward</c>
/// (<see cref="StreamingEndpoints"/>). The API server proxies <c>pods/log</c>, <c>pods/exec</c>,
/// <c>pods/attach</c>, <c>pods/portforward</c> and <c>nodes/{name}/proxy/...</c> here. With <c>--client-ca-file</c>, callers must
/// present a client certificate from that CA (the kubelet's x509 authentication); the kubelet's
/// authorization of callers through SubjectAccessReview is not done.
/// </summary>
public sealed class KubeletServer(SimulatorOptions options, Func<string, V1Pod?> findPod, Func<IEnumerable<V1Pod>> allPods)
{
    private WebApplication? _app;

    public int Port { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var certificate = LoadOrCreateCertificate();
        X509Certificate2Collection? trusted = null;
        if (options.ClientCaFile.Length > 0)
        {
            trusted = [];
            trusted.ImportFromPemFile(options.ClientCaFile);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var address = IPAddress.Parse(options.NodeIp);
            kestrel.Listen(address, options.Port, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = certificate,
                ClientCertificateMode = trusted is null ? ClientCertificateMode.NoCertificate : ClientCertificateMode.RequireCertificate,
                ClientCertificateValidation = (cert, _, _) =>
                {
                    if (trusted is null)
                    {
                        return true;
                    }

                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(cert);
                },
            }));
        });
        var app = builder.Build();
        app.UseWebSockets();
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/pods", () => Results.Text(KubernetesJson.Serialize(new V1PodList { ApiVersion = "v1", Kind = "PodList", Metadata = new V1ListMeta(), Items = [.. allPods()] }), "application/json"));
        app.MapGet("/containerLogs/{ns}/{pod}/{container}", (HttpContext context, string ns, string pod, string container) => ServeLogsAsync(context, ns, pod, container));
        new StreamingEndpoints(findPod).Map(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;
        Port = options.Port;
        Klog.Info($"kubelet endpoint for the simulated nodes on https://{options.NodeIp}:{options.Port}");
    }

    public async Task StopAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task ServeLogsAsync(HttpContext context, string ns, string name, string container)
    {
        var query = context.Request.Query;
        var pod = findPod($"{ns}/{name}");
        if (pod is null)
        {
            await Plain(context, 404, $"pod \"{name}\" in namespace \"{ns}\" not found").ConfigureAwait(false);
            return;
        }

        if (!(pod.Spec?.Containers ?? []).Concat(pod.Spec?.InitContainers ?? []).Any(c => c.Name == container))
        {
            await Plain(context, 404, $"container \"{container}\" not found in pod \"{name}\"").ConfigureAwait(false);
            return;
        }

        var previous = Bool(query["previous"]);
        var follow = Bool(query["follow"]);
        var timestamps = Bool(query["timestamps"]);
        if (PodLogs.Unavailable(pod, container, previous) is { } reason)
        {
            await Plain(context, 400, reason).ConfigureAwait(false);
            return;
        }

        DateTime? since = null;
        if (long.TryParse(query["sinceSeconds"], NumberStyles.None, CultureInfo.InvariantCulture, out var sinceSeconds))
        {
            since = DateTime.UtcNow.AddSeconds(-sinceSeconds);
        }
        else if (DateTime.TryParse(query["sinceTime"], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var sinceTime))
        {
            since = sinceTime;
        }

        long? limit = long.TryParse(query["limitBytes"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : null;
        int? tail = int.TryParse(query["tailLines"], NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : null;

        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain";
        var lines = PodLogs.Lines(pod, container, previous, DateTime.UtcNow);
        var selected = lines.Where(x => since is null || x.Time >= since).ToList();
        if (tail is { } n)
        {
            selected = selected.Skip(Math.Max(0, selected.Count - n)).ToList();
        }

        long written = 0;
        async Task<bool> Write((DateTime Time, string Text) line)
        {
            var text = (timestamps ? line.Time.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture) + " " : "") + line.Text + "\n";
            var bytes = Encoding.UTF8.GetBytes(text);
            if (limit is { } max && written + bytes.Length > max)
            {
                await context.Response.Body.WriteAsync(bytes.AsMemory(0, (int)(max - written)), context.RequestAborted).ConfigureAwait(false);
                return false;
            }

            written += bytes.Length;
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
            return true;
        }

        foreach (var line in selected)
        {
            if (!await Write(line).ConfigureAwait(false))
            {
                return;
            }
        }

        if (!follow || previous)
        {
            return;
        }

        // Follow: keep the stream open while the container runs, writing lines as their times come.
        await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        var last = lines.Count > 0 ? lines[^1].Time : DateTime.MinValue;
        try
        {
            while (!context.RequestAborted.IsCancellationRequested)
            {
                await Task.Delay(1000, context.RequestAborted).ConfigureAwait(false);
                var current = findPod($"{ns}/{name}");
                if (current is null || current.Metadata.Uid != pod.Metadata.Uid)
                {
                    return;
                }

                foreach (var line in PodLogs.Lines(current, container, false, DateTime.UtcNow).Where(x => x.Time > last))
                {
                    if (!await Write(line).ConfigureAwait(false))
                    {
                        return;
                    }

                    last = line.Time;
                }

                await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
                if (!PodLogs.IsRunning(current, container))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static bool Bool(string? value) => value is "true" or "1" or "True";

    private static async Task Plain(HttpContext context, int code, string text)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync(text).ConfigureAwait(false);
    }

    /// <summary>--tls-cert-file/--tls-private-key-file, or a self-signed certificate as the kubelet makes without them.</summary>
    private X509Certificate2 LoadOrCreateCertificate()
    {
        if (options.TlsCertFile.Length > 0)
        {
            var pem = X509Certificate2.CreateFromPemFile(options.TlsCertFile, options.TlsKeyFile.Length > 0 ? options.TlsKeyFile : null);
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={Environment.MachineName}@{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Parse(options.NodeIp));
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var self = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1));
        return X509CertificateLoader.LoadPkcs12(self.Export(X509ContentType.Pkcs12), null);
    }
}
