using Google.Protobuf;
using Storage.Etcd.Protos;

namespace Storage.Etcd.Handwritten;

/// <summary>The response side of an open bidirectional gRPC stream.</summary>
internal sealed class GrpcStream(HandwrittenEndpoint endpoint, HttpRequestMessage request, HttpResponseMessage response, GrpcDuplexContent content, int maxResponseBytes)
    : IEtcdWatchStream
{
    private Stream? _body;
    private GrpcFrameReader? _reader;

    public string EndpointName => endpoint.Name;

    public ValueTask<WatchResponse?> ReadAsync(CancellationToken cancellationToken) => ReadAsync(WatchResponse.Parser, cancellationToken);

    /// <summary>The next message; null when the stream ended with status OK; throws on an error status.</summary>
    public async ValueTask<T?> ReadAsync<T>(MessageParser<T> parser, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        try
        {
            if (_reader is null)
            {
                _body = await response.Content.ReadAsStreamAsync(cancellationToken);
                _reader = new GrpcFrameReader(_body, maxResponseBytes);
            }

            var message = await _reader.ReadAsync(parser, cancellationToken);
            if (message is null)
            {
                endpoint.ThrowIfError(response.TrailingHeaders, requireStatus: true);
            }

            return message;
        }
        catch (Exception e) when (HandwrittenEndpoint.IsTransportFailure(e, cancellationToken))
        {
            throw endpoint.TransportError(e);
        }
        catch (InvalidDataException e)
        {
            throw endpoint.ProtocolError(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        content.Complete();
        if (_body is not null)
        {
            await _body.DisposeAsync();
        }

        // Disposing an unfinished response resets the HTTP/2 stream, which is how a watch is canceled.
        response.Dispose();
        request.Dispose();
    }
}
