namespace Storage.Etcd;

/// <summary>
/// How to reach etcd. The kube-apiserver flags map onto it: --etcd-servers (Endpoints),
/// --etcd-cafile, --etcd-certfile, --etcd-keyfile.
/// </summary>
internal sealed class EtcdClientOptions
{
    /// <summary>http:// endpoints speak h2c (prior knowledge), https:// endpoints TLS with ALPN h2.</summary>
    public IReadOnlyList<string> Endpoints { get; init; } = ["http://127.0.0.1:2379"];

    /// <summary>PEM bundle of the CA(s) that sign etcd's server certificate; null = the system trust store.</summary>
    public string? CaFile { get; init; }

    /// <summary>PEM client certificate for mutual TLS; requires <see cref="KeyFile"/>.</summary>
    public string? CertFile { get; init; }

    /// <summary>PEM private key of <see cref="CertFile"/>.</summary>
    public string? KeyFile { get; init; }

    /// <summary>TCP connect + TLS handshake budget for one endpoint, after which the next endpoint is tried.</summary>
    public TimeSpan DialTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Deadline of one call including failover retries, sent to etcd as grpc-timeout.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// HTTP/2 PING interval while calls are active. etcd closes connections that ping more often than
    /// every 5 s (GOAWAY ENHANCE_YOUR_CALM, which also kills every watch on the connection).
    /// </summary>
    public TimeSpan KeepAlivePingDelay { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan KeepAlivePingTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Largest request message sent; larger ones fail with RequestTooLarge without being sent. etcd's
    /// gRPC server refuses messages over --max-request-bytes + 512 KiB (2 MiB by default) without
    /// reading them and then resets the stream, which races with its error status; clientv3 has the
    /// same 2 MiB default (MaxCallSendMsgSize).
    /// </summary>
    public int MaxRequestBytes { get; init; } = 2 * 1024 * 1024;

    /// <summary>Largest response message accepted; a full LIST of a big resource is one message.</summary>
    public int MaxResponseBytes { get; init; } = 1024 * 1024 * 1024;

    internal void Validate()
    {
        if (Endpoints.Count == 0)
        {
            throw new ArgumentException("at least one etcd endpoint is required", nameof(Endpoints));
        }

        foreach (var endpoint in Endpoints)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new ArgumentException($"etcd endpoint '{endpoint}' is not an http:// or https:// URL", nameof(Endpoints));
            }
        }

        if ((CertFile is null) != (KeyFile is null))
        {
            throw new ArgumentException("an etcd client certificate needs both a certificate file and a key file");
        }

        if (KeepAlivePingDelay < TimeSpan.FromSeconds(5))
        {
            throw new ArgumentException("etcd rejects keep-alive pings more frequent than every 5 s", nameof(KeepAlivePingDelay));
        }

        if (MaxRequestBytes <= 0 || MaxResponseBytes <= 0)
        {
            throw new ArgumentException("etcd message size limits must be positive");
        }

        if (DialTimeout <= TimeSpan.Zero || RequestTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("etcd dial and request timeouts must be positive");
        }
    }
}
