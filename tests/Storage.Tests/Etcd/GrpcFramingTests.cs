using Google.Protobuf;
using Storage.Etcd;
using Storage.Etcd.Handwritten;
using Storage.Etcd.Protos;
using GrpcStatusCode = Grpc.Core.StatusCode;

namespace Storage.Tests.Etcd;

/// <summary>The hand-written transport's framing (compared with Grpc.Net.Client, then removed or kept).</summary>
public sealed class GrpcFramingTests
{
    [Theory]
    [InlineData(10_000L, "10000000u")]
    [InlineData(0L, "1000u")] // below a millisecond rounds up to one
    [InlineData(99_999L, "99999000u")]
    [InlineData(100_000L, "100000m")]
    [InlineData(86_400_000_000L, "86400000S")]
    public void FormatTimeout_UsesAtMostEightDigits(long milliseconds, string expected)
    {
        Assert.Equal(expected, GrpcFraming.FormatTimeout(TimeSpan.FromMilliseconds(milliseconds)));
    }

    [Fact]
    public async Task Frame_ReadBack_YieldsTheMessageThenCleanEnd()
    {
        var message = new RangeRequest { Key = ByteString.CopyFromUtf8("/registry/pods/"), Limit = 500 };
        var frame = GrpcFraming.Frame(message);
        using var stream = new MemoryStream([.. frame, .. frame]);
        var reader = new GrpcFrameReader(stream, 1024);

        Assert.Equal(0, frame[0]);
        Assert.Equal(message, await reader.ReadAsync(RangeRequest.Parser, default));
        Assert.Equal(message, await reader.ReadAsync(RangeRequest.Parser, default));
        Assert.Null(await reader.ReadAsync(RangeRequest.Parser, default));
    }

    [Theory]
    [InlineData(3)] // inside the header
    [InlineData(8)] // inside the message
    public async Task Read_TruncatedFrame_ThrowsIOException(int length)
    {
        var frame = GrpcFraming.Frame(new RangeRequest { Key = ByteString.CopyFromUtf8("/registry/pods/") });
        using var stream = new MemoryStream(frame[..length]);
        var reader = new GrpcFrameReader(stream, 1024);

        await Assert.ThrowsAnyAsync<IOException>(() => reader.ReadAsync(RangeRequest.Parser, default).AsTask());
    }

    [Fact]
    public async Task Read_MessageOverLimit_Throws()
    {
        var frame = GrpcFraming.Frame(new PutRequest { Value = ByteString.CopyFrom(new byte[100]) });
        using var stream = new MemoryStream(frame);
        var reader = new GrpcFrameReader(stream, 50);

        await Assert.ThrowsAsync<InvalidDataException>(() => reader.ReadAsync(PutRequest.Parser, default).AsTask());
    }

    [Fact]
    public void Frame_MessageOverLimit_ThrowsRequestTooLargeWithoutSending()
    {
        var error = Assert.Throws<EtcdException>(() => GrpcFraming.Frame(new PutRequest { Value = ByteString.CopyFrom(new byte[100]) }, 50));

        Assert.Equal(EtcdErrorKind.RequestTooLarge, error.Kind);
        Assert.True(error.RequestNotSent);
    }

    [Fact]
    public void ReadStatus_DecodesPercentEncodedMessage()
    {
        using var response = new HttpResponseMessage();
        response.Headers.TryAddWithoutValidation("grpc-status", "11");
        response.Headers.TryAddWithoutValidation("grpc-message", "etcdserver:%20mvcc:%20required%20revision%20has%20been%20compacted");

        var status = GrpcFraming.ReadStatus(response.Headers);

        Assert.Equal((GrpcStatusCode.OutOfRange, "etcdserver: mvcc: required revision has been compacted"), status);
    }
}
