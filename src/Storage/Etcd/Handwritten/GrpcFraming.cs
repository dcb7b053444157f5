using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Net.Http.Headers;
using Google.Protobuf;
using GrpcStatusCode = Grpc.Core.StatusCode;

namespace Storage.Etcd.Handwritten;

/// <summary>The gRPC-over-HTTP/2 wire format: length-prefixed messages, grpc-timeout, grpc-status.</summary>
internal static class GrpcFraming
{
    public const int HeaderLength = 5;

    /// <summary>One uncompressed frame: flag 0, big-endian length, the message.</summary>
    public static byte[] Frame(IMessage message, int maxMessageBytes = int.MaxValue - HeaderLength)
    {
        var length = message.CalculateSize();
        if (length > maxMessageBytes)
        {
            throw new EtcdException(EtcdErrorKind.RequestTooLarge, $"etcd request of {length} bytes exceeds the limit of {maxMessageBytes} bytes")
            {
                RequestNotSent = true,
            };
        }

        var frame = new byte[HeaderLength + length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)length);
        message.WriteTo(frame.AsSpan(HeaderLength));
        return frame;
    }

    /// <summary>grpc-timeout allows at most 8 digits, so pick the finest unit that fits.</summary>
    public static string FormatTimeout(TimeSpan timeout)
    {
        const long MaxValue = 99_999_999;
        var ticks = Math.Max(timeout.Ticks, TimeSpan.TicksPerMillisecond);
        var micros = ticks / 10;
        if (micros <= MaxValue)
        {
            return micros.ToString(CultureInfo.InvariantCulture) + "u";
        }

        var millis = ticks / TimeSpan.TicksPerMillisecond;
        if (millis <= MaxValue)
        {
            return millis.ToString(CultureInfo.InvariantCulture) + "m";
        }

        var seconds = Math.Min(ticks / TimeSpan.TicksPerSecond, MaxValue);
        return seconds.ToString(CultureInfo.InvariantCulture) + "S";
    }

    /// <summary>
    /// Reads grpc-status from a header block (response headers for trailers-only answers, which is
    /// how etcd reports every error over h2c; trailers otherwise). Null when absent.
    /// </summary>
    public static (GrpcStatusCode Status, string Message)? ReadStatus(HttpHeaders headers)
    {
        if (!headers.NonValidated.TryGetValues("grpc-status", out var statusValues))
        {
            return null;
        }

        var text = statusValues.ToString();
        var status = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var code)
            ? (GrpcStatusCode)code
            : GrpcStatusCode.Unknown;
        var message = headers.NonValidated.TryGetValues("grpc-message", out var messageValues)
            ? Uri.UnescapeDataString(messageValues.ToString())
            : string.Empty;
        return (status, message);
    }
}

/// <summary>Reads length-prefixed gRPC messages from a response body.</summary>
internal sealed class GrpcFrameReader(Stream stream, int maxMessageBytes)
{
    private readonly byte[] _header = new byte[GrpcFraming.HeaderLength];

    /// <summary>The next message, or null at a clean end of stream (which is only at a frame boundary).</summary>
    public async ValueTask<T?> ReadAsync<T>(MessageParser<T> parser, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        var read = await stream.ReadAtLeastAsync(_header, GrpcFraming.HeaderLength, throwOnEndOfStream: false, cancellationToken);
        if (read == 0)
        {
            return null;
        }

        if (read < GrpcFraming.HeaderLength)
        {
            throw new IOException("gRPC response ended inside a frame header");
        }

        if (_header[0] != 0)
        {
            // Compression is only used when the client offers grpc-accept-encoding, which we never do.
            throw new InvalidDataException("etcd sent a compressed gRPC frame that was not negotiated");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(1));
        if (length > (uint)maxMessageBytes)
        {
            throw new InvalidDataException($"gRPC message of {length} bytes exceeds the limit of {maxMessageBytes} bytes");
        }

        if (length == 0)
        {
            return parser.ParseFrom(ReadOnlySpan<byte>.Empty);
        }

        // Parsing copies bytes fields out of the span, so the buffer can go back to the pool at once.
        var buffer = ArrayPool<byte>.Shared.Rent((int)length);
        try
        {
            await stream.ReadExactlyAsync(buffer.AsMemory(0, (int)length), cancellationToken);
            return parser.ParseFrom(buffer.AsSpan(0, (int)length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
