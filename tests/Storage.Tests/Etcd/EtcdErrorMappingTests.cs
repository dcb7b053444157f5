using System.Net.Http;
using System.Net.Sockets;
using Grpc.Core;
using Storage.Etcd;
using GrpcStatusCode = Grpc.Core.StatusCode;

namespace Storage.Tests.Etcd;

/// <summary>How gRPC outcomes become <see cref="EtcdException"/> kinds, which decide failover, retries and kube's status codes.</summary>
public sealed class EtcdErrorMappingTests : IDisposable
{
    // Translation needs an endpoint only for its name: no connection is made.
    private readonly EtcdEndpoint _endpoint = new("http://127.0.0.1:2379", new EtcdClientOptions(), null, null);

    public void Dispose() => _endpoint.Dispose();

    [Fact]
    public void Translate_CancelledByTheCaller_IsOperationCanceled()
    {
        using var canceled = new CancellationTokenSource();
        canceled.Cancel();

        var error = _endpoint.Translate(new RpcException(new Status(GrpcStatusCode.Cancelled, "Call canceled by the client.")), canceled.Token);

        Assert.IsType<OperationCanceledException>(error);
    }

    [Theory]
    [InlineData((int)GrpcStatusCode.DeadlineExceeded, "context deadline exceeded", (int)EtcdErrorKind.DeadlineExceeded)]
    [InlineData((int)GrpcStatusCode.Unknown, "context deadline exceeded", (int)EtcdErrorKind.DeadlineExceeded)]
    [InlineData((int)GrpcStatusCode.Unknown, "something else", (int)EtcdErrorKind.Other)]
    [InlineData((int)GrpcStatusCode.Unavailable, "etcdserver: leader changed", (int)EtcdErrorKind.Unavailable)]
    [InlineData((int)GrpcStatusCode.OutOfRange, "etcdserver: mvcc: required revision has been compacted", (int)EtcdErrorKind.Compacted)]
    [InlineData((int)GrpcStatusCode.OutOfRange, "etcdserver: mvcc: required revision is a future revision", (int)EtcdErrorKind.FutureRevision)]
    [InlineData((int)GrpcStatusCode.InvalidArgument, "etcdserver: request is too large", (int)EtcdErrorKind.RequestTooLarge)]
    [InlineData((int)GrpcStatusCode.InvalidArgument, "etcdserver: key is not provided", (int)EtcdErrorKind.InvalidArgument)]
    [InlineData((int)GrpcStatusCode.ResourceExhausted, "grpc: received message larger than max", (int)EtcdErrorKind.RequestTooLarge)]
    [InlineData((int)GrpcStatusCode.ResourceExhausted, "etcdserver: too many requests", (int)EtcdErrorKind.Unavailable)]
    [InlineData((int)GrpcStatusCode.PermissionDenied, "etcdserver: permission denied", (int)EtcdErrorKind.Other)]
    public void FromStatus_MapsToKind(int status, string message, int expected)
    {
        // int parameters: the enums are internal and xunit theories must be public.
        var error = EtcdException.FromStatus((GrpcStatusCode)status, message, "http://127.0.0.1:2379");

        Assert.Equal((EtcdErrorKind)expected, error.Kind);
        Assert.Equal((GrpcStatusCode)status, error.StatusCode);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Translate_StatusEtcdSent_MapsLikeFromStatus()
    {
        var error = Translate(new RpcException(new Status(GrpcStatusCode.OutOfRange, "etcdserver: mvcc: required revision has been compacted")));

        Assert.Equal(EtcdErrorKind.Compacted, error.Kind);
        Assert.Equal(GrpcStatusCode.OutOfRange, error.StatusCode);
        Assert.False(error.RequestNotSent);
    }

    [Fact]
    public void Translate_ClientDeadline_IsDeadlineExceeded()
    {
        // Grpc.Net.Client's own timer raises DeadlineExceeded with an empty detail.
        var error = Translate(new RpcException(new Status(GrpcStatusCode.DeadlineExceeded, string.Empty)));

        Assert.Equal(EtcdErrorKind.DeadlineExceeded, error.Kind);
    }

    [Fact]
    public void Translate_Goaway_EnhanceYourCalm_IsUnavailableNotRequestTooLarge()
    {
        // The channel maps an HTTP/2 ENHANCE_YOUR_CALM to ResourceExhausted, which from etcd would mean a too-large request.
        var cause = new HttpProtocolException(0xb, "The HTTP/2 server sent GOAWAY (ENHANCE_YOUR_CALM)", null);
        var error = Translate(new RpcException(new Status(GrpcStatusCode.ResourceExhausted, "Error reading next message.", cause)));

        Assert.Equal(EtcdErrorKind.Unavailable, error.Kind);
        Assert.False(error.RequestNotSent);
    }

    [Fact]
    public void Translate_ReceiveLimit_IsOtherNotRequestTooLarge()
    {
        var error = Translate(new RpcException(new Status(GrpcStatusCode.ResourceExhausted, "Received message exceeds the maximum configured message size.")));

        Assert.Equal(EtcdErrorKind.Other, error.Kind);
    }

    [Fact]
    public void Translate_ConnectFailures_AreUnavailableAndNeverSent()
    {
        var refused = Translate(new RpcException(new Status(GrpcStatusCode.Unavailable, "Error connecting to subchannel.", new SocketException((int)SocketError.ConnectionRefused))));
        var tls = Translate(new RpcException(new Status(GrpcStatusCode.Unavailable, "Error starting gRPC call.",
            new HttpRequestException(HttpRequestError.SecureConnectionError, "The SSL connection could not be established"))));

        Assert.Equal(EtcdErrorKind.Unavailable, refused.Kind);
        Assert.True(refused.RequestNotSent);
        Assert.Equal(EtcdErrorKind.Unavailable, tls.Kind);
        Assert.True(tls.RequestNotSent);
    }

    [Fact]
    public void Translate_BrokenConnection_IsUnavailableAndMaybeSent()
    {
        // A reset of an open connection: the request may have reached etcd, so a write must not be resent.
        var cause = new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely.", new IOException("reset", new SocketException((int)SocketError.ConnectionReset)));
        var error = Translate(new RpcException(new Status(GrpcStatusCode.Unavailable, "Error starting gRPC call.", cause)));

        Assert.Equal(EtcdErrorKind.Unavailable, error.Kind);
        Assert.False(error.RequestNotSent);
    }

    private EtcdException Translate(RpcException e) => Assert.IsType<EtcdException>(_endpoint.Translate(e, CancellationToken.None));
}
