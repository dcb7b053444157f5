using System.Net;
using System.Net.Http.Headers;

namespace Storage.Etcd.Handwritten;

/// <summary>Request bodies of gRPC calls.</summary>
internal static class GrpcContent
{
    public static HttpContent Unary(byte[] frame)
    {
        var content = new ByteArrayContent(frame);
        content.Headers.TryAddWithoutValidation("content-type", "application/grpc");
        return content;
    }
}

/// <summary>
/// The request side of a bidirectional stream: writes the first message, then keeps the request
/// stream open until the call ends, as gRPC clients do (etcd tolerates a half-close today, but the
/// open stream is what the protocol promises and leaves room for cancel/progress requests).
/// </summary>
internal sealed class GrpcDuplexContent : HttpContent
{
    private readonly byte[] _firstFrame;
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public GrpcDuplexContent(byte[] firstFrame)
    {
        _firstFrame = firstFrame;
        Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
    }

    /// <summary>Ends the request stream (the handler also cancels it when the response is disposed).</summary>
    public void Complete() => _completed.TrySetResult();

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(_firstFrame, cancellationToken);
        await stream.FlushAsync(cancellationToken);
        await _completed.Task.WaitAsync(cancellationToken);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        Complete();
        base.Dispose(disposing);
    }
}
