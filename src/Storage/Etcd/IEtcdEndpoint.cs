using Storage.Etcd.Protos;

namespace Storage.Etcd;

/// <summary>
/// One etcd member as <see cref="EtcdClient"/>'s failover sees it. Two transports implement it while
/// they are compared: <see cref="EtcdEndpoint"/> (Grpc.Net.Client) and the hand-written one it replaces.
/// </summary>
internal interface IEtcdEndpoint : IDisposable
{
    string Name { get; }

    Task<RangeResponse> RangeAsync(RangeRequest request, DateTime deadline, CancellationToken cancellationToken);

    Task<PutResponse> PutAsync(PutRequest request, DateTime deadline, CancellationToken cancellationToken);

    Task<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, DateTime deadline, CancellationToken cancellationToken);

    Task<TxnResponse> TxnAsync(TxnRequest request, DateTime deadline, CancellationToken cancellationToken);

    Task<CompactionResponse> CompactAsync(CompactionRequest request, DateTime deadline, CancellationToken cancellationToken);

    Task<LeaseGrantResponse> LeaseGrantAsync(LeaseGrantRequest request, DateTime deadline, CancellationToken cancellationToken);

    Task<LeaseRevokeResponse> LeaseRevokeAsync(LeaseRevokeRequest request, DateTime deadline, CancellationToken cancellationToken);

    Task<StatusResponse> StatusAsync(StatusRequest request, DateTime deadline, CancellationToken cancellationToken);

    Task<IEtcdWatchStream> OpenWatchAsync(WatchCreateRequest create, TimeSpan establishTimeout, CancellationToken cancellationToken);
}

/// <summary>The response side of an open Watch stream.</summary>
internal interface IEtcdWatchStream : IAsyncDisposable
{
    string EndpointName { get; }

    /// <summary>The next response; null when etcd ended the stream with OK; throws EtcdException on an error.</summary>
    ValueTask<WatchResponse?> ReadAsync(CancellationToken cancellationToken);
}

/// <summary>Which transport carries the calls (compared in one bench run, then one is removed).</summary>
internal enum EtcdTransport
{
    GrpcNetClient,
    Handwritten,
}
