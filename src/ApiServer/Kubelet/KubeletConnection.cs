using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.Json;
using ApiServer.Options;
using ApiServer.Registry;

namespace ApiServer.Kubelet;

/// <summary>
/// How the server reaches a node's kubelet (kube's pkg/kubelet/client ConnectionInfoGetter and its
/// transport): the node's address by --kubelet-preferred-address-types, the port from
/// status.daemonEndpoints.kubeletEndpoint, HTTPS with --kubelet-client-certificate/-key, the kubelet's
/// serving certificate checked against --kubelet-certificate-authority when one is given (not otherwise,
/// as kube-apiserver), --kubelet-timeout bounding the connect. One HTTP client for plain requests (logs,
/// nodes/proxy) and raw TLS connections for upgrades (exec, attach, port-forward).
/// </summary>
internal sealed class KubeletConnection(RegistryCatalog registry, ApiServerOptions options) : IDisposable
{
    private const int DefaultKubeletPort = 10250;

    private readonly Lazy<HttpClient> _client = new(() => new HttpClient(CreateHandler(options.Kubelet)) { Timeout = Timeout.InfiniteTimeSpan });
    private readonly Lazy<X509Certificate2Collection> _clientCertificates = new(() => ClientCertificates(options.Kubelet));

    public HttpClient Http => _client.Value;

    /// <summary>https://address:port of the node's kubelet; the node must exist (404 otherwise).</summary>
    public async Task<Uri> NodeLocationAsync(string nodeName, CancellationToken cancellationToken)
    {
        var nodes = registry.Find("", "v1", "nodes") ?? throw StatusException.NewGenericNotFound();
        var node = await nodes.GetAsync("", nodeName, cancellationToken).ConfigureAwait(false);
        var status = node["status"] as JsonObject;
        var addresses = (status?["addresses"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        string? host = null;
        foreach (var type in options.Kubelet.PreferredAddressTypes)
        {
            host = addresses.FirstOrDefault(a => (a.GetString("type") ?? "") == type) is { } address ? address.GetString("address") ?? "" : null;
            if (!string.IsNullOrEmpty(host))
            {
                break;
            }
        }

        if (string.IsNullOrEmpty(host))
        {
            throw StatusException.NewInternalError($"no preferred addresses found; known addresses: [{string.Join(' ', addresses.Select(a => $"{{{a.GetString("type") ?? ""} {a.GetString("address") ?? ""}}}"))}]");
        }

        var port = status?["daemonEndpoints"]?["kubeletEndpoint"]?["Port"] is JsonValue p && p.TryGetValue<int>(out var value) && value > 0 ? value : DefaultKubeletPort;
        var hostPart = IPAddress.TryParse(host, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{host}]" : host;
        return new Uri($"https://{hostPart}:{port.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>A TLS connection to the kubelet at <paramref name="location"/>, speaking HTTP/1.1 (upgrades need it).</summary>
    public async Task<Stream> ConnectAsync(Uri location, CancellationToken cancellationToken)
    {
        using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        connectTimeout.CancelAfter(options.Kubelet.Timeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(location.IdnHost, location.Port, connectTimeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw StatusException.NewInternalError($"error dialing backend: dial tcp {location.Authority}: {(e is SocketException s ? s.Message : "i/o timeout")}");
        }

        var tls = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false, (_, certificate, _, _) => VerifyKubelet(options.Kubelet, certificate));
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = location.IdnHost,
                ClientCertificates = _clientCertificates.Value,
                ApplicationProtocols = [SslApplicationProtocol.Http11],
                EnabledSslProtocols = SslProtocols.None,
            }, connectTimeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw StatusException.NewInternalError($"error dialing backend: tls: {e.GetBaseException().Message}");
        }

        return tls;
    }

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
        }
    }

    private static SocketsHttpHandler CreateHandler(KubeletClientOptions kubelet) => new()
    {
        ConnectTimeout = kubelet.Timeout,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
        SslOptions = new SslClientAuthenticationOptions
        {
            ClientCertificates = ClientCertificates(kubelet),
            RemoteCertificateValidationCallback = (_, certificate, _, _) => VerifyKubelet(kubelet, certificate),
        },
    };

    private static X509Certificate2Collection ClientCertificates(KubeletClientOptions kubelet)
    {
        if (kubelet.ClientCertificate is not { } cert || kubelet.ClientKey is not { } key)
        {
            return [];
        }

        using var pem = X509Certificate2.CreateFromPemFile(cert, key);
        return [X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null)];
    }

    /// <summary>Against --kubelet-certificate-authority when given; kube-apiserver without it does not verify kubelets.</summary>
    private static bool VerifyKubelet(KubeletClientOptions kubelet, X509Certificate? certificate)
    {
        if (kubelet.CertificateAuthority is not { } caFile)
        {
            return true;
        }

        if (certificate is null)
        {
            return false;
        }

        var trusted = new X509Certificate2Collection();
        trusted.ImportFromPemFile(caFile);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }
}
