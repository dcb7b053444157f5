using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Storage.Etcd.Protos;
using GrpcStatusCode = Grpc.Core.StatusCode;

namespace Storage.Etcd.Handwritten;

/// <summary>
/// The hand-written transport Grpc.Net.Client replaces, kept while the two are compared: one etcd
/// member on its own SocketsHttpHandler with gRPC framed by hand. Failover lives in <see cref="EtcdClient"/>.
/// </summary>
internal sealed class HandwrittenEndpoint : IEtcdEndpoint
{
    private readonly HttpMessageInvoker _invoker;
    private readonly Uri _baseUri;
    private readonly int _maxResponseBytes;

    public HandwrittenEndpoint(string endpoint, EtcdClientOptions options, X509Certificate2Collection? trustedCas, X509Certificate2? clientCertificate)
    {
        _baseUri = new Uri(endpoint.TrimEnd('/') + "/", UriKind.Absolute);
        Name = _baseUri.GetLeftPart(UriPartial.Authority);
        _maxResponseBytes = options.MaxResponseBytes;

        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.DialTimeout,
            // etcd refuses pings on idle connections and more often than every 5 s.
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            KeepAlivePingDelay = options.KeepAlivePingDelay,
            KeepAlivePingTimeout = options.KeepAlivePingTimeout,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            // Large LIST responses are twice as fast with a 1 MiB window than with the 64 KiB default.
            InitialHttp2StreamWindowSize = 1024 * 1024,
            // etcd allows unbounded concurrent streams; more connections measured slower.
            EnableMultipleHttp2Connections = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
        };

        if (_baseUri.Scheme == Uri.UriSchemeHttps)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = clientCertificate is null ? null : new X509CertificateCollection { clientCertificate },
                CertificateChainPolicy = trustedCas is null ? null : CreateChainPolicy(trustedCas),
            };
        }

        _invoker = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    /// <summary>scheme://host:port, for messages.</summary>
    public string Name { get; }

    public Task<RangeResponse> RangeAsync(RangeRequest request, DateTime deadline, CancellationToken cancellationToken) =>
        UnaryAsync(EtcdMethods.Range, request, RangeResponse.Parser, deadline, cancellationToken);

    public Task<PutResponse> PutAsync(PutRequest request, DateTime deadline, CancellationToken cancellationToken) =>
        UnaryAsync(EtcdMethods.Put, request, PutResponse.Parser, deadline, cancellationToken);

    public Task<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, DateTime deadline, CancellationToken cancellationToken) =>
        UnaryAsync(EtcdMethods.DeleteRange, request, DeleteRangeResponse.Parser, deadline, cancellationToken);

    public Task<TxnResponse> TxnAsync(TxnRequest request, DateTime deadline, CancellationToken cancellationToken) =>
        UnaryAsync(EtcdMethods.Txn, request, TxnResponse.Parser, deadline, cancellationToken);

    public Task<CompactionResponse> CompactAsync(CompactionRequest request, DateTime deadline, CancellationToken cancellationToken) =>
        UnaryAsync(EtcdMethods.Compact, request, CompactionResponse.Parser, deadline, cancellationToken);

    public Task<LeaseGrantResponse> LeaseGrantAsync(LeaseGrantRequest request, DateTime deadline, CancellationToken cancellationToken) =>
        UnaryAsync(EtcdMethods.LeaseGrant, request, LeaseGrantResponse.Parser, deadline, cancellationToken);

    public Task<LeaseRevokeResponse> LeaseRevokeAsync(LeaseRevokeRequest request, DateTime deadline, CancellationToken cancellationToken) =>
        UnaryAsync(EtcdMethods.LeaseRevoke, request, LeaseRevokeResponse.Parser, deadline, cancellationToken);

    public Task<StatusResponse> StatusAsync(StatusRequest request, DateTime deadline, CancellationToken cancellationToken) =>
        UnaryAsync(EtcdMethods.Status, request, StatusResponse.Parser, deadline, cancellationToken);

    public async Task<IEtcdWatchStream> OpenWatchAsync(WatchCreateRequest create, TimeSpan establishTimeout, CancellationToken cancellationToken)
    {
        var frame = GrpcFraming.Frame(new WatchRequest { CreateRequest = create });
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(establishTimeout);
        try
        {
            return await OpenStreamAsync(EtcdMethods.Watch, frame, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EtcdException(EtcdErrorKind.DeadlineExceeded, $"etcd {Name}: watch not established within {establishTimeout.TotalSeconds:0.###} s");
        }
    }

    private async Task<TResponse> UnaryAsync<TResponse>(string method, IMessage request, MessageParser<TResponse> parser, DateTime deadline, CancellationToken cancellationToken)
        where TResponse : class, IMessage<TResponse>
    {
        var timeout = deadline - DateTime.UtcNow;
        using var expiry = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        expiry.CancelAfter(timeout > TimeSpan.Zero ? timeout : TimeSpan.Zero);
        try
        {
            return await UnaryAsync(method, GrpcFraming.Frame(request), parser, timeout, expiry.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EtcdException(EtcdErrorKind.DeadlineExceeded, $"etcd {Name}: {method}: deadline exceeded") { StatusCode = GrpcStatusCode.DeadlineExceeded };
        }
    }

    /// <summary>One request, one response message. Errors come back as <see cref="EtcdException"/>.</summary>
    private async Task<TResponse> UnaryAsync<TResponse>(string method, byte[] frame, MessageParser<TResponse> parser, TimeSpan timeout, CancellationToken cancellationToken)
        where TResponse : class, IMessage<TResponse>
    {
        using var request = CreateRequest(method, GrpcContent.Unary(frame), timeout);
        using var response = await SendAsync(request, cancellationToken);
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var reader = new GrpcFrameReader(body, _maxResponseBytes);
            var message = await reader.ReadAsync(parser, cancellationToken);
            if (message is not null && await reader.ReadAsync(parser, cancellationToken) is not null)
            {
                throw new EtcdException(EtcdErrorKind.Other, $"etcd {Name}: {method} answered more than one message");
            }

            // Trailers exist only once the body has been read to its end.
            ThrowIfError(response.TrailingHeaders, requireStatus: true);
            return message ?? throw new EtcdException(EtcdErrorKind.Other, $"etcd {Name}: {method} answered OK without a message");
        }
        catch (Exception e) when (IsTransportFailure(e, cancellationToken))
        {
            throw TransportError(e);
        }
        catch (InvalidDataException e)
        {
            throw ProtocolError(e);
        }
    }

    /// <summary>
    /// Starts a bidirectional stream with its first request message. Returns once etcd answered with
    /// headers (which etcd sends together with the first response message).
    /// </summary>
    private async Task<GrpcStream> OpenStreamAsync(string method, byte[] firstFrame, CancellationToken cancellationToken)
    {
        var content = new GrpcDuplexContent(firstFrame);
        var request = CreateRequest(method, content, timeout: null);
        try
        {
            var response = await SendAsync(request, cancellationToken);
            return new GrpcStream(this, request, response, content, _maxResponseBytes);
        }
        catch
        {
            request.Dispose();
            throw;
        }
    }

    public void Dispose() => _invoker.Dispose();

    internal EtcdException TransportError(Exception e)
    {
        // Only failures while opening the connection prove the request never reached etcd.
        var notSent = e is HttpRequestException
        {
            HttpRequestError: HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError,
        } || e is OperationCanceledException { InnerException: TimeoutException }; // the handler's ConnectTimeout
        return new EtcdException(EtcdErrorKind.Unavailable, $"etcd {Name}: {e.Message}", e) { RequestNotSent = notSent };
    }

    /// <summary>A frame this client cannot accept (compressed, over the size limit).</summary>
    internal EtcdException ProtocolError(InvalidDataException e) =>
        new(EtcdErrorKind.Other, $"etcd {Name}: {e.Message}", e);

    /// <summary>
    /// Network and protocol failures of this endpoint. An OperationCanceledException that the
    /// caller's token did not cause comes from the handler (its ConnectTimeout wraps a TimeoutException).
    /// </summary>
    internal static bool IsTransportFailure(Exception e, CancellationToken cancellationToken) => e switch
    {
        HttpRequestException or IOException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };

    /// <summary>Throws when a header block carries a non-OK grpc-status.</summary>
    internal void ThrowIfError(HttpHeaders headers, bool requireStatus)
    {
        var status = GrpcFraming.ReadStatus(headers);
        if (status is null)
        {
            if (requireStatus)
            {
                throw new EtcdException(EtcdErrorKind.Unavailable, $"etcd {Name}: response ended without grpc-status");
            }

            return;
        }

        if (status.Value.Status != GrpcStatusCode.OK)
        {
            throw EtcdException.FromStatus(status.Value.Status, status.Value.Message, Name);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _invoker.SendAsync(request, cancellationToken);
        }
        catch (Exception e) when (IsTransportFailure(e, cancellationToken))
        {
            throw TransportError(e);
        }

        try
        {
            // A trailers-only answer (every error etcd returns before sending a message) carries the
            // status in the response headers.
            ThrowIfError(response.Headers, requireStatus: false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                var kind = response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout
                    ? EtcdErrorKind.Unavailable
                    : EtcdErrorKind.Other;
                throw new EtcdException(kind, $"etcd {Name}: HTTP {(int)response.StatusCode} {response.ReasonPhrase} (is this a gRPC endpoint?)");
            }

            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private HttpRequestMessage CreateRequest(string method, HttpContent content, TimeSpan? timeout)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_baseUri, method))
        {
            // Anything below HTTP/2 lands on etcd's JSON gateway instead of gRPC.
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (timeout is { } value)
        {
            request.Headers.TryAddWithoutValidation("grpc-timeout", GrpcFraming.FormatTimeout(value));
        }

        return request;
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
