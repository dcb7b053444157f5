using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Storage.Etcd.Protos;

namespace Storage.Etcd;

/// <summary>
/// etcd v3 over gRPC (Grpc.Net.Client, HTTP/2 as h2c or TLS), one <see cref="EtcdEndpoint"/> per
/// member. Thread-safe; one instance per cluster. Every call has a deadline
/// (<see cref="EtcdClientOptions.RequestTimeout"/>) covering its retries, which etcd also receives as
/// grpc-timeout. On a connection failure or Unavailable the client moves to the next endpoint; reads
/// (Range, Status, Watch) are retried there, writes only when the request provably never left this
/// process, because a Txn that timed out or met a leader change may still have been applied.
/// Watches resume on their own (see <see cref="WatchAsync"/>), not through a library's reconnection.
/// </summary>
/// <remarks>Errors surface as <see cref="EtcdException"/>; caller cancellation as OperationCanceledException.</remarks>
internal sealed class EtcdClient : IDisposable
{
    private static readonly TimeSpan InitialRetryDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(1);

    private readonly EtcdEndpoint[] _endpoints;
    private readonly TimeSpan _requestTimeout;
    private readonly int _maxRequestBytes;
    private readonly X509Certificate2? _clientCertificate;
    private readonly X509Certificate2Collection? _trustedCas;
    private int _preferred;

    public EtcdClient(EtcdClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _requestTimeout = options.RequestTimeout;
        _maxRequestBytes = options.MaxRequestBytes;

        if (options.CaFile is not null)
        {
            // ImportFromPem takes a bundle of certificates without keys (CreateFromPemFile would demand a key).
            _trustedCas = [];
            _trustedCas.ImportFromPem(File.ReadAllText(options.CaFile));
            if (_trustedCas.Count == 0)
            {
                throw new ArgumentException($"etcd CA file '{options.CaFile}' holds no PEM certificate");
            }
        }

        if (options.CertFile is not null)
        {
            _clientCertificate = X509Certificate2.CreateFromPemFile(options.CertFile, options.KeyFile);
        }

        _endpoints = options.Endpoints.Select(e => new EtcdEndpoint(e, options, _trustedCas, _clientCertificate)).ToArray();
    }

    /// <summary>The endpoints in configuration order, as scheme://host:port.</summary>
    public IReadOnlyList<string> Endpoints => _endpoints.Select(e => e.Name).ToArray();

    public Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken = default) =>
        RangeAsync(request, null, cancellationToken);

    /// <param name="timeout">the call's deadline instead of <see cref="EtcdClientOptions.RequestTimeout"/> (null: that).</param>
    public Task<RangeResponse> RangeAsync(RangeRequest request, TimeSpan? timeout, CancellationToken cancellationToken = default) =>
        CallAsync("Range", request, static (e, r, d, c) => e.RangeAsync(r, d, c), idempotent: true, cancellationToken, timeout);

    public Task<PutResponse> PutAsync(PutRequest request, CancellationToken cancellationToken = default) =>
        CallAsync("Put", request, static (e, r, d, c) => e.PutAsync(r, d, c), idempotent: false, cancellationToken);

    public Task<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken cancellationToken = default) =>
        CallAsync("DeleteRange", request, static (e, r, d, c) => e.DeleteRangeAsync(r, d, c), idempotent: false, cancellationToken);

    public Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken = default) =>
        CallAsync("Txn", request, static (e, r, d, c) => e.TxnAsync(r, d, c), idempotent: false, cancellationToken);

    /// <summary>Discards history before <paramref name="revision"/>; OutOfRange (Compacted) when already compacted that far.</summary>
    public Task<CompactionResponse> CompactAsync(long revision, bool physical = false, CancellationToken cancellationToken = default) =>
        CallAsync("Compact", new CompactionRequest { Revision = revision, Physical = physical }, static (e, r, d, c) => e.CompactAsync(r, d, c), idempotent: false, cancellationToken);

    public Task<LeaseGrantResponse> LeaseGrantAsync(long ttlSeconds, CancellationToken cancellationToken = default) =>
        CallAsync("LeaseGrant", new LeaseGrantRequest { TTL = ttlSeconds }, static (e, r, d, c) => e.LeaseGrantAsync(r, d, c), idempotent: false, cancellationToken);

    public Task<LeaseRevokeResponse> LeaseRevokeAsync(long leaseId, CancellationToken cancellationToken = default) =>
        CallAsync("LeaseRevoke", new LeaseRevokeRequest { ID = leaseId }, static (e, r, d, c) => e.LeaseRevokeAsync(r, d, c), idempotent: false, cancellationToken);

    public Task<StatusResponse> StatusAsync(CancellationToken cancellationToken = default) =>
        CallAsync("Status", new StatusRequest(), static (e, r, d, c) => e.StatusAsync(r, d, c), idempotent: true, cancellationToken);

    /// <summary>
    /// For /readyz: Maintenance Status on the endpoints in turn, each with <paramref name="timeout"/>,
    /// until one answers. Healthy when it answers with a leader and no alarm. Never throws for etcd errors.
    /// </summary>
    public async Task<EtcdHealth> CheckHealthAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var first = Volatile.Read(ref _preferred);
        string? error = null;
        var name = _endpoints[first].Name;
        for (var i = 0; i < _endpoints.Length; i++)
        {
            var endpoint = _endpoints[(first + i) % _endpoints.Length];
            name = endpoint.Name;
            try
            {
                var status = await endpoint.StatusAsync(new StatusRequest(), DateTime.UtcNow + timeout, cancellationToken);
                if (status.Errors.Count > 0)
                {
                    return new EtcdHealth(false, name, status.Version, status.DbSize, "etcd reports: " + string.Join("; ", status.Errors));
                }

                return status.Leader == 0
                    ? new EtcdHealth(false, name, status.Version, status.DbSize, "etcd has no leader")
                    : new EtcdHealth(true, name, status.Version, status.DbSize, null);
            }
            catch (EtcdException e) when (e.Kind == EtcdErrorKind.DeadlineExceeded)
            {
                error = $"etcd {name}: no answer within {timeout.TotalSeconds:0.###} s";
            }
            catch (EtcdException e)
            {
                error = e.Message;
            }
        }

        return new EtcdHealth(false, name, null, 0, error);
    }

    /// <summary>
    /// Watches one key or range. Yields every response (including the created=true one, again after a
    /// reconnect); ends quietly when <paramref name="cancellationToken"/> fires. A broken stream is
    /// re-established on the next endpoint from the revision after the last event seen, so no event
    /// is lost or repeated. Throws EtcdException Compacted (with CompactRevision) when the start
    /// revision is compacted, WatchCanceled when etcd cancels the watch otherwise, and Unavailable
    /// when no endpoint accepted the watch for a whole request timeout.
    /// </summary>
    public async IAsyncEnumerable<WatchResponse> WatchAsync(WatchCreateRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var create = request.Clone();
        var index = Volatile.Read(ref _preferred);
        var delay = InitialRetryDelay;
        long failingSince = 0;
        EtcdException? lastError = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            EtcdWatchStream? stream = null;
            try
            {
                stream = await _endpoints[index].OpenWatchAsync(create, _requestTimeout, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (EtcdException e) when (e.Kind is EtcdErrorKind.Unavailable or EtcdErrorKind.DeadlineExceeded)
            {
                lastError = e;
            }

            if (stream is not null)
            {
                await using (stream)
                {
                    while (true)
                    {
                        WatchResponse? response = null;
                        try
                        {
                            response = await stream.ReadAsync(cancellationToken);
                        }
                        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                        {
                        }
                        catch (EtcdException e) when (e.Kind == EtcdErrorKind.Unavailable)
                        {
                            lastError = e;
                        }

                        if (response is null)
                        {
                            break;
                        }

                        failingSince = 0;
                        delay = InitialRetryDelay;
                        if (response.Canceled)
                        {
                            throw WatchCanceled(response, stream.EndpointName);
                        }

                        if (response.Events.Count > 0)
                        {
                            create.StartRevision = response.Events[^1].Kv.ModRevision + 1;
                        }
                        else if (response.Created && create.StartRevision == 0)
                        {
                            // "From now" has to become a fixed revision, or a reconnect would skip events.
                            create.StartRevision = response.Header.Revision + 1;
                        }

                        yield return response;
                    }
                }
            }

            if (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            AvoidEndpoint(index);
            index = (index + 1) % _endpoints.Length;
            if (failingSince == 0)
            {
                failingSince = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(failingSince) > _requestTimeout)
            {
                throw new EtcdException(EtcdErrorKind.Unavailable, $"etcd watch could not be re-established within {_requestTimeout.TotalSeconds:0.###} s: {lastError?.Message}", lastError);
            }

            try
            {
                await Task.Delay(delay, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            delay = Min(delay * 2, MaxRetryDelay);
        }
    }

    public void Dispose()
    {
        foreach (var endpoint in _endpoints)
        {
            endpoint.Dispose();
        }

        _clientCertificate?.Dispose();
        if (_trustedCas is not null)
        {
            foreach (var ca in _trustedCas)
            {
                ca.Dispose();
            }
        }
    }

    private async Task<TResponse> CallAsync<TRequest, TResponse>(
        string method,
        TRequest request,
        Func<EtcdEndpoint, TRequest, DateTime, CancellationToken, Task<TResponse>> send,
        bool idempotent,
        CancellationToken cancellationToken,
        TimeSpan? timeout = null)
        where TRequest : IMessage
    {
        var limit = timeout ?? _requestTimeout;
        // etcd's gRPC server refuses an oversized message without reading it and resets the stream,
        // racing its own error status; refusing here says what happened and that nothing was sent.
        var size = request.CalculateSize();
        if (size > _maxRequestBytes)
        {
            throw new EtcdException(EtcdErrorKind.RequestTooLarge, $"etcd request of {size} bytes exceeds the limit of {_maxRequestBytes} bytes")
            {
                RequestNotSent = true,
            };
        }

        // One deadline for every attempt; each sends etcd what is left of it as grpc-timeout.
        var deadline = DateTime.UtcNow + limit;
        var index = Volatile.Read(ref _preferred);
        var delay = InitialRetryDelay;
        EtcdException? lastError = null;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await send(_endpoints[index], request, deadline, cancellationToken);
            }
            catch (EtcdException e) when (e.Kind == EtcdErrorKind.DeadlineExceeded)
            {
                throw DeadlineExceeded(method, limit, lastError, e);
            }
            catch (EtcdException e) when (e.Kind == EtcdErrorKind.Unavailable)
            {
                AvoidEndpoint(index);
                if (!idempotent && !e.RequestNotSent)
                {
                    throw;
                }

                lastError = e;
            }

            index = (index + 1) % _endpoints.Length;
            if (attempt % _endpoints.Length == 0)
            {
                // Every endpoint failed once: pause before the next round so a restarting member is not hammered.
                var remaining = deadline - DateTime.UtcNow;
                if (remaining <= TimeSpan.Zero)
                {
                    throw DeadlineExceeded(method, limit, lastError, null);
                }

                await Task.Delay(Min(delay, remaining), cancellationToken);
                delay = Min(delay * 2, MaxRetryDelay);
            }
        }
    }

    /// <summary>Later calls start at the next endpoint; a no-op when another call already moved on.</summary>
    private void AvoidEndpoint(int index) =>
        Interlocked.CompareExchange(ref _preferred, (index + 1) % _endpoints.Length, index);

    /// <summary>The call's deadline passed: Unavailable when endpoints failed meanwhile (that is the news), else DeadlineExceeded.</summary>
    private static EtcdException DeadlineExceeded(string method, TimeSpan limit, EtcdException? lastError, EtcdException? expired) =>
        lastError is null
            ? new EtcdException(EtcdErrorKind.DeadlineExceeded, $"etcd {method}: deadline of {limit.TotalSeconds:0.###} s exceeded", expired)
            {
                StatusCode = expired?.StatusCode,
            }
            : new EtcdException(EtcdErrorKind.Unavailable, $"etcd {method}: no endpoint answered within {limit.TotalSeconds:0.###} s; last error: {lastError.Message}", lastError);

    private static EtcdException WatchCanceled(WatchResponse response, string endpoint) =>
        response.CompactRevision > 0
            ? new EtcdException(EtcdErrorKind.Compacted, $"etcd {endpoint}: watch start revision is compacted (compact revision {response.CompactRevision})")
            {
                CompactRevision = response.CompactRevision,
            }
            : new EtcdException(EtcdErrorKind.WatchCanceled, $"etcd {endpoint}: watch canceled: {response.CancelReason}");

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
