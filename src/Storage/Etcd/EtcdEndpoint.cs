using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Storage.Etcd.Protos;

namespace Storage.Etcd;

/// <summary>
/// One etcd member: a Grpc.Net.Client channel on its own SocketsHttpHandler (so one HTTP/2
/// connection multiplexes every call to that member), the stubs Grpc.Tools generates from
/// Protos/etcd.proto, and the translation of gRPC failures into <see cref="EtcdException"/>.
/// Failover across members lives in <see cref="EtcdClient"/>.
/// </summary>
/// <remarks>
/// Not dotnet-etcd's client: its channel round-robins over every endpoint with a retry policy
/// that resends any call etcd answered Unavailable (a Txn etcd may have applied included), keeps
/// the 4 MB default receive limit (a 10,000-pod LIST fails), its handler pings idle connections
/// (etcd answers GOAWAY ENHANCE_YOUR_CALM) with the 64 KiB default stream window, and its watch API
/// delivers to callbacks through its own reconnection. What it would leave us, the stubs, is what
/// Grpc.Tools generates from our proto.
/// </remarks>
internal sealed class EtcdEndpoint : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly KV.KVClient _kv;
    private readonly Watch.WatchClient _watch;
    private readonly Lease.LeaseClient _lease;
    private readonly Maintenance.MaintenanceClient _maintenance;

    public EtcdEndpoint(string endpoint, EtcdClientOptions options, X509Certificate2Collection? trustedCas, X509Certificate2? clientCertificate)
    {
        var address = new Uri(endpoint.TrimEnd('/'), UriKind.Absolute);
        Name = address.GetLeftPart(UriPartial.Authority);

        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.DialTimeout,
            // etcd counts a ping on a connection without an active call, or sooner than 5 s after
            // the last, as abuse and answers GOAWAY ENHANCE_YOUR_CALM, which ends every watch on it.
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            KeepAlivePingDelay = options.KeepAlivePingDelay,
            KeepAlivePingTimeout = options.KeepAlivePingTimeout,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            // Large LIST responses are twice as fast with a 1 MiB window than with the 64 KiB default.
            InitialHttp2StreamWindowSize = 1024 * 1024,
            // etcd allows unbounded concurrent streams, so watches never starve unary calls of
            // streams on the one connection; more connections measured slower.
            EnableMultipleHttp2Connections = false,
            // Our own connect (what the handler does by default) keeps Grpc.Net.Client out of its
            // load-balancing mode, which it uses only on a handler without a ConnectCallback: its
            // subchannel picks cost calls at concurrency 1 up to 10% of their rate in the A/B against
            // the hand-written transport, and failover across members is EtcdClient's anyway.
            ConnectCallback = ConnectAsync,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
        };

        if (address.Scheme == Uri.UriSchemeHttps)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = clientCertificate is null ? null : new X509CertificateCollection { clientCertificate },
                CertificateChainPolicy = trustedCas is null ? null : CreateChainPolicy(trustedCas),
            };
        }

        // http:// is h2c with prior knowledge (HTTP/1.1 would land on etcd's JSON gateway), https://
        // negotiates h2 by ALPN: both are Grpc.Net.Client's defaults for such an address.
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            // No ServiceConfig, so the channel never retries: failover and retries are EtcdClient's,
            // which resends a write only when it provably never left this process.
            MaxReceiveMessageSize = options.MaxResponseBytes,
            // EtcdClient checks the size before sending, so a refusal names the limit and says nothing was sent.
            MaxSendMessageSize = null,
            // Not ThrowOperationCanceledOnCancellation: it turns an expired deadline into a cancellation
            // too; Cancelled is turned into OperationCanceledException below only when the caller canceled.
        });
        _kv = new KV.KVClient(_channel);
        _watch = new Watch.WatchClient(_channel);
        _lease = new Lease.LeaseClient(_channel);
        _maintenance = new Maintenance.MaintenanceClient(_channel);
    }

    /// <summary>scheme://host:port, for messages.</summary>
    public string Name { get; }

    public Task<RangeResponse> RangeAsync(RangeRequest request, DateTime deadline, CancellationToken cancellationToken) =>
        UnaryAsync(_kv.RangeAsync(request, new CallOptions(deadline: deadline, cancellationToken: cancellationToken)), cancellationToken);

    public Task<PutResponse> PutAsync(PutRequest request, DateTime deadline, CancellationToken cancellationToken) =>
        UnaryAsync(_kv.PutAsync(request, new CallOptions(deadline: deadline, cancellationToken: cancellationToken)), cancellationToken);

    public Task<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, DateTime deadline, CancellationToken cancellationToken) =>
        UnaryAsync(_kv.DeleteRangeAsync(request, new CallOptions(deadline: deadline, cancellationToken: cancellationToken)), cancellationToken);

    public Task<TxnResponse> TxnAsync(TxnRequest request, DateTime deadline, CancellationToken cancellationToken) =>
        UnaryAsync(_kv.TxnAsync(request, new CallOptions(deadline: deadline, cancellationToken: cancellationToken)), cancellationToken);

    public Task<CompactionResponse> CompactAsync(CompactionRequest request, DateTime deadline, CancellationToken cancellationToken) =>
        UnaryAsync(_kv.CompactAsync(request, new CallOptions(deadline: deadline, cancellationToken: cancellationToken)), cancellationToken);

    public Task<LeaseGrantResponse> LeaseGrantAsync(LeaseGrantRequest request, DateTime deadline, CancellationToken cancellationToken) =>
        UnaryAsync(_lease.LeaseGrantAsync(request, new CallOptions(deadline: deadline, cancellationToken: cancellationToken)), cancellationToken);

    public Task<LeaseRevokeResponse> LeaseRevokeAsync(LeaseRevokeRequest request, DateTime deadline, CancellationToken cancellationToken) =>
        UnaryAsync(_lease.LeaseRevokeAsync(request, new CallOptions(deadline: deadline, cancellationToken: cancellationToken)), cancellationToken);

    public Task<StatusResponse> StatusAsync(StatusRequest request, DateTime deadline, CancellationToken cancellationToken) =>
        UnaryAsync(_maintenance.StatusAsync(request, new CallOptions(deadline: deadline, cancellationToken: cancellationToken)), cancellationToken);

    /// <summary>
    /// Opens a Watch stream and sends <paramref name="create"/>. Returns once etcd answered with
    /// headers, which it sends together with its first message (the created response); that must
    /// happen within <paramref name="establishTimeout"/>.
    /// </summary>
    public async Task<EtcdWatchStream> OpenWatchAsync(WatchCreateRequest create, TimeSpan establishTimeout, CancellationToken cancellationToken)
    {
        // No deadline: a watch lives until the caller cancels (which resets the HTTP/2 stream). The
        // request stream stays open, as gRPC clients keep it, for cancel or progress requests.
        var call = _watch.Watch(new CallOptions(cancellationToken: cancellationToken));
        try
        {
            try
            {
                await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = create }, cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or RpcException && !cancellationToken.IsCancellationRequested)
            {
                // The call failed before the request could be written; its status (awaited next) says why.
            }

            await call.ResponseHeadersAsync.WaitAsync(establishTimeout, cancellationToken);
            return new EtcdWatchStream(this, call);
        }
        catch (TimeoutException)
        {
            call.Dispose();
            throw new EtcdException(EtcdErrorKind.DeadlineExceeded, $"etcd {Name}: watch not established within {establishTimeout.TotalSeconds:0.###} s");
        }
        catch (RpcException e)
        {
            call.Dispose();
            throw Translate(e, cancellationToken);
        }
        catch
        {
            call.Dispose();
            throw;
        }
    }

    public void Dispose() => _channel.Dispose();

    /// <summary>
    /// A gRPC failure in the terms EtcdClient acts on: the caller's cancellation as itself, else an
    /// <see cref="EtcdException"/>. A status the channel raised itself carries the
    /// exception behind it (a refused connection, a reset stream, a GOAWAY): those mean this member
    /// is unreachable, whatever status code the HTTP/2 error maps to. A status etcd sent maps by
    /// <see cref="EtcdException.FromStatus"/>.
    /// </summary>
    internal Exception Translate(RpcException e, CancellationToken cancellationToken)
    {
        if (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            return new OperationCanceledException(e.Message, e, cancellationToken);
        }

        if (e.StatusCode == StatusCode.DeadlineExceeded)
        {
            return new EtcdException(EtcdErrorKind.DeadlineExceeded, $"etcd {Name}: deadline exceeded {e.Status.Detail}".TrimEnd(), e) { StatusCode = e.StatusCode };
        }

        if (e.Status.DebugException is { } cause)
        {
            return new EtcdException(EtcdErrorKind.Unavailable, $"etcd {Name}: {e.Status.Detail}", e) { RequestNotSent = NeverSent(cause) };
        }

        if (e.StatusCode == StatusCode.ResourceExhausted && e.Status.Detail.StartsWith("Received message exceeds", StringComparison.Ordinal))
        {
            // The channel's own limit on what it accepts, not etcd refusing a request.
            return new EtcdException(EtcdErrorKind.Other, $"etcd {Name}: {e.Status.Detail}", e) { StatusCode = e.StatusCode };
        }

        return EtcdException.FromStatus(e.StatusCode, e.Status.Detail, Name, e);
    }

    /// <summary>
    /// Only a failure to open the connection proves the request never reached etcd: the handler's
    /// DNS, TCP and TLS steps (or a bare SocketException from a connect). A socket error on an
    /// open connection arrives wrapped in an IOException instead.
    /// </summary>
    private static bool NeverSent(Exception cause) => cause switch
    {
        SocketException => true,
        HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError } => true,
        // SocketsHttpHandler's ConnectTimeout.
        OperationCanceledException { InnerException: TimeoutException } => true,
        _ => false,
    };

    private async Task<TResponse> UnaryAsync<TResponse>(AsyncUnaryCall<TResponse> call, CancellationToken cancellationToken)
    {
        using (call)
        {
            try
            {
                return await call.ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException e)
            {
                throw Translate(e, cancellationToken);
            }
        }
    }

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static X509ChainPolicy CreateChainPolicy(X509Certificate2Collection trustedCas)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            // A private test or cluster CA publishes no CRL or OCSP endpoint.
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.AddRange(trustedCas);
        return policy;
    }
}

/// <summary>The response side of an open Watch stream on one member.</summary>
internal sealed class EtcdWatchStream(EtcdEndpoint endpoint, AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call) : IAsyncDisposable
{
    public string EndpointName => endpoint.Name;

    /// <summary>The next response; null when etcd ended the stream with OK; throws EtcdException on an error.</summary>
    public async ValueTask<WatchResponse?> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await call.ResponseStream.MoveNext(cancellationToken) ? call.ResponseStream.Current : null;
        }
        catch (RpcException e)
        {
            throw endpoint.Translate(e, cancellationToken);
        }
    }

    public ValueTask DisposeAsync()
    {
        // Disposing an unfinished call resets its HTTP/2 stream, which is how a watch is canceled.
        call.Dispose();
        return ValueTask.CompletedTask;
    }
}
