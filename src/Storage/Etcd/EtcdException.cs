using GrpcStatusCode = Grpc.Core.StatusCode;

namespace Storage.Etcd;

/// <summary>What went wrong, in the terms a caller acts on (retry elsewhere, 410, 504, 413, ...).</summary>
internal enum EtcdErrorKind
{
    /// <summary>No connection, a broken stream, or etcd answered Unavailable (no leader, stopping, overloaded).</summary>
    Unavailable,
    /// <summary>The call's deadline passed, on the client or in etcd.</summary>
    DeadlineExceeded,
    /// <summary>The requested revision has been compacted (OutOfRange, or a watch canceled with compact_revision).</summary>
    Compacted,
    /// <summary>The requested revision is newer than etcd's current revision (OutOfRange).</summary>
    FutureRevision,
    /// <summary>etcd refused the request as too large (InvalidArgument "request is too large" or ResourceExhausted).</summary>
    RequestTooLarge,
    /// <summary>Any other InvalidArgument: empty key, duplicate key in a txn, ...</summary>
    InvalidArgument,
    /// <summary>etcd canceled a watch for a reason other than compaction.</summary>
    WatchCanceled,
    /// <summary>Anything else: an unexpected gRPC status, an HTTP error, a malformed response.</summary>
    Other,
}

internal sealed class EtcdException(EtcdErrorKind kind, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public EtcdErrorKind Kind { get; } = kind;

    /// <summary>The gRPC status of the call (etcd's, or DeadlineExceeded for the client's deadline); null for transport failures.</summary>
    public GrpcStatusCode? StatusCode { get; init; }

    /// <summary>For <see cref="EtcdErrorKind.Compacted"/> from a watch: etcd's compact revision.</summary>
    public long CompactRevision { get; init; }

    /// <summary>
    /// True when the failure happened before the request left this process (DNS, TCP connect, TLS
    /// handshake), so even a write can be sent to another endpoint without risking a double apply.
    /// </summary>
    internal bool RequestNotSent { get; init; }

    /// <summary>Maps a non-OK grpc-status to the error a caller acts on.</summary>
    internal static EtcdException FromStatus(GrpcStatusCode status, string message, string endpoint, Exception? inner = null)
    {
        var kind = status switch
        {
            GrpcStatusCode.DeadlineExceeded => EtcdErrorKind.DeadlineExceeded,
            // etcd's server-side context expiry surfaces as Unknown "context deadline exceeded".
            GrpcStatusCode.Unknown when message.Contains("deadline exceeded", StringComparison.Ordinal) => EtcdErrorKind.DeadlineExceeded,
            GrpcStatusCode.Unavailable => EtcdErrorKind.Unavailable,
            GrpcStatusCode.OutOfRange when message.Contains("compacted", StringComparison.Ordinal) => EtcdErrorKind.Compacted,
            GrpcStatusCode.OutOfRange when message.Contains("future", StringComparison.Ordinal) => EtcdErrorKind.FutureRevision,
            GrpcStatusCode.InvalidArgument when message.Contains("too large", StringComparison.Ordinal) => EtcdErrorKind.RequestTooLarge,
            GrpcStatusCode.InvalidArgument => EtcdErrorKind.InvalidArgument,
            // "etcdserver: too many requests" is load shedding, not a size problem.
            GrpcStatusCode.ResourceExhausted when message.Contains("too many requests", StringComparison.Ordinal) => EtcdErrorKind.Unavailable,
            GrpcStatusCode.ResourceExhausted => EtcdErrorKind.RequestTooLarge,
            _ => EtcdErrorKind.Other,
        };
        return new EtcdException(kind, $"etcd {endpoint}: {status}: {message}", inner) { StatusCode = status };
    }
}
