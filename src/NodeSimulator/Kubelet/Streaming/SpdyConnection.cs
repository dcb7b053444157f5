using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using System.Threading.Channels;

namespace NodeSimulator.Kubelet.Streaming;

/// <summary>
/// The server side of a SPDY/3.1 connection, as much of it as kubectl's port-forward uses (the framing
/// of moby/spdystream, which client-go speaks): the client opens streams with SYN_STREAM (headers
/// zlib-compressed with SPDY's dictionary) and the server answers each with SYN_REPLY; DATA frames carry
/// bytes both ways, FIN half-closes, RST_STREAM resets; PING is answered; SETTINGS, WINDOW_UPDATE and
/// HEADERS are read and ignored (spdystream does no flow control either). Runs over the upgraded HTTP
/// connection.
/// </summary>
public sealed class SpdyConnection(Stream transport)
{
    private const ushort Version = 3;
    private const ushort SynStream = 1;
    private const ushort SynReply = 2;
    private const ushort RstStream = 3;
    private const ushort Ping = 6;
    private const ushort GoAway = 7;
    private const ushort Headers = 8;
    private const byte FlagFin = 1;
    private const int MaxFrame = 1 << 24;

    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly ConcurrentDictionary<uint, SpdyStream> _streams = new();
    private readonly HeaderDecompressor _inflate = new();
    private readonly HeaderCompressor _deflate = new();

    /// <summary>Reads frames until the client goes away; each new stream is handed to <paramref name="onStream"/> after its SYN_REPLY.</summary>
    public async Task RunAsync(Func<SpdyStream, Task> onStream, CancellationToken cancellationToken)
    {
        var header = new byte[8];
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await transport.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
                var flags = header[4];
                var length = (int)(BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4)) & 0xffffff);
                if (length > MaxFrame)
                {
                    return;
                }

                var payload = new byte[length];
                await transport.ReadExactlyAsync(payload, cancellationToken).ConfigureAwait(false);
                if ((header[0] & 0x80) == 0)
                {
                    var id = BinaryPrimitives.ReadUInt32BigEndian(header) & 0x7fffffff;
                    if (_streams.TryGetValue(id, out var stream))
                    {
                        stream.Received(payload, fin: (flags & FlagFin) != 0);
                    }

                    continue;
                }

                var type = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(2));
                switch (type)
                {
                    case SynStream:
                    {
                        var id = BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7fffffff;
                        var headers = _inflate.Decode(payload.AsSpan(10));
                        var stream = new SpdyStream(this, id, headers);
                        _streams[id] = stream;
                        await SendControlAsync(SynReply, 0, BuildSynReply(id), cancellationToken).ConfigureAwait(false);
                        if ((flags & FlagFin) != 0)
                        {
                            stream.Received([], fin: true);
                        }

                        _ = onStream(stream);
                        break;
                    }

                    case Headers:
                        _inflate.Decode(payload.AsSpan(4));
                        break;
                    case RstStream:
                    {
                        var id = BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7fffffff;
                        if (_streams.TryRemove(id, out var stream))
                        {
                            stream.Reset();
                        }

                        break;
                    }

                    case Ping:
                        await SendControlAsync(Ping, 0, payload, cancellationToken).ConfigureAwait(false);
                        break;
                    case GoAway:
                        return;
                }
            }
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or OperationCanceledException or ObjectDisposedException or InvalidDataException)
        {
        }
        finally
        {
            foreach (var stream in _streams.Values)
            {
                stream.Reset();
            }
        }
    }

    internal async Task SendDataAsync(uint id, ReadOnlyMemory<byte> data, bool fin, CancellationToken cancellationToken)
    {
        var frame = new byte[8 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, id & 0x7fffffff);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)data.Length);
        frame[4] = fin ? FlagFin : (byte)0;
        data.Span.CopyTo(frame.AsSpan(8));
        await WriteAsync(frame, cancellationToken).ConfigureAwait(false);
    }

    internal Task SendResetAsync(uint id, CancellationToken cancellationToken)
    {
        var payload = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(payload, id);
        BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(4), 5); // CANCEL
        _streams.TryRemove(id, out _);
        return SendControlAsync(RstStream, 0, payload, cancellationToken);
    }

    private byte[] BuildSynReply(uint id)
    {
        var block = _deflate.Encode(new Dictionary<string, string>());
        var payload = new byte[4 + block.Length];
        BinaryPrimitives.WriteUInt32BigEndian(payload, id);
        block.CopyTo(payload.AsSpan(4));
        return payload;
    }

    private async Task SendControlAsync(ushort type, byte flags, byte[] payload, CancellationToken cancellationToken)
    {
        var frame = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, 0x8000 | Version);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), type);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)payload.Length);
        frame[4] = flags;
        payload.CopyTo(frame.AsSpan(8));
        await WriteAsync(frame, cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteAsync(byte[] frame, CancellationToken cancellationToken)
    {
        await _write.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await transport.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            await transport.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _write.Release();
        }
    }

    /// <summary>
    /// SPDY's header blocks: one zlib stream per direction for the whole connection, primed with SPDY/3's
    /// dictionary. .NET's zlib has no preset dictionary, so the dictionary goes in first as a stored deflate
    /// block of its own (what "preset" means to an inflater: earlier output to refer back to) and its bytes
    /// are skipped from the output.
    /// </summary>
    private sealed class HeaderDecompressor
    {
        private readonly FeedStream _feed = new();
        private readonly DeflateStream _inflater;
        private bool _started;

        public HeaderDecompressor()
        {
            _inflater = new DeflateStream(_feed, CompressionMode.Decompress);
            var dictionary = SpdyDictionary.Bytes;
            var stored = new byte[5 + dictionary.Length];
            stored[0] = 0; // not final, stored
            BinaryPrimitives.WriteUInt16LittleEndian(stored.AsSpan(1), (ushort)dictionary.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(stored.AsSpan(3), (ushort)~dictionary.Length);
            dictionary.CopyTo(stored.AsSpan(5));
            _feed.Add(stored);
        }

        public Dictionary<string, List<string>> Decode(ReadOnlySpan<byte> block)
        {
            if (!_started)
            {
                // The zlib header (2 bytes), and with FDICT the dictionary's Adler-32 (4 more).
                if (block.Length < 2)
                {
                    throw new InvalidDataException("short header block");
                }

                var skip = (block[1] & 0x20) != 0 ? 6 : 2;
                _feed.Add(block[skip..].ToArray());
                _inflater.ReadExactly(new byte[SpdyDictionary.Bytes.Length]);
                _started = true;
            }
            else
            {
                _feed.Add(block.ToArray());
            }

            var headers = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var count = ReadInt();
            for (var i = 0; i < count; i++)
            {
                var name = ReadString();
                var value = ReadString();
                headers[name] = [.. value.Split('\0')];
            }

            return headers;
        }

        private int ReadInt()
        {
            Span<byte> bytes = stackalloc byte[4];
            _inflater.ReadExactly(bytes);
            var value = BinaryPrimitives.ReadInt32BigEndian(bytes);
            return value is < 0 or > MaxFrame ? throw new InvalidDataException("bad header length") : value;
        }

        private string ReadString()
        {
            var bytes = new byte[ReadInt()];
            _inflater.ReadExactly(bytes);
            return Encoding.UTF8.GetString(bytes);
        }
    }

    /// <summary>Our header blocks: one zlib stream without a dictionary (a reader with one accepts that), sync-flushed per block.</summary>
    private sealed class HeaderCompressor
    {
        private readonly MemoryStream _output = new();
        private readonly ZLibStream _deflater;

        public HeaderCompressor() => _deflater = new ZLibStream(_output, CompressionLevel.Fastest, leaveOpen: true);

        public byte[] Encode(IReadOnlyDictionary<string, string> headers)
        {
            var block = new MemoryStream();
            Span<byte> number = stackalloc byte[4];
            BinaryPrimitives.WriteInt32BigEndian(number, headers.Count);
            block.Write(number);
            foreach (var (name, value) in headers)
            {
                foreach (var text in new[] { name.ToLowerInvariant(), value })
                {
                    var bytes = Encoding.UTF8.GetBytes(text);
                    BinaryPrimitives.WriteInt32BigEndian(number, bytes.Length);
                    block.Write(number);
                    block.Write(bytes);
                }
            }

            _deflater.Write(block.ToArray());
            _deflater.Flush();
            var compressed = _output.ToArray();
            _output.SetLength(0);
            return compressed;
        }
    }

    /// <summary>Input for the inflater: header blocks as they arrive; empty means no more for now (never blocks).</summary>
    private sealed class FeedStream : Stream
    {
        private readonly Queue<byte[]> _chunks = new();
        private int _offset;

        public void Add(byte[] chunk)
        {
            if (chunk.Length > 0)
            {
                _chunks.Enqueue(chunk);
            }
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_chunks.Count == 0)
            {
                return 0;
            }

            var chunk = _chunks.Peek();
            var n = Math.Min(count, chunk.Length - _offset);
            Array.Copy(chunk, _offset, buffer, offset, n);
            _offset += n;
            if (_offset == chunk.Length)
            {
                _chunks.Dequeue();
                _offset = 0;
            }

            return n;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>One SPDY stream: its SYN_STREAM headers, the bytes the client sends, and writes back.</summary>
public sealed class SpdyStream
{
    private readonly SpdyConnection _connection;
    private readonly Channel<byte[]> _input = Channel.CreateUnbounded<byte[]>();

    internal SpdyStream(SpdyConnection connection, uint id, Dictionary<string, List<string>> headers)
    {
        _connection = connection;
        Id = id;
        Headers = headers;
    }

    public uint Id { get; }

    public Dictionary<string, List<string>> Headers { get; }

    public string Header(string name) => Headers.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : "";

    /// <summary>The next bytes from the client, or null once it half-closed or reset the stream.</summary>
    public async Task<byte[]?> ReadAsync(CancellationToken cancellationToken) =>
        await _input.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false) && _input.Reader.TryRead(out var data) ? data : null;

    public Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => _connection.SendDataAsync(Id, data, false, cancellationToken);

    /// <summary>Half-closes our side (DATA with FIN).</summary>
    public Task CloseAsync(CancellationToken cancellationToken) => _connection.SendDataAsync(Id, ReadOnlyMemory<byte>.Empty, true, cancellationToken);

    public Task ResetAsync(CancellationToken cancellationToken) => _connection.SendResetAsync(Id, cancellationToken);

    internal void Received(byte[] data, bool fin)
    {
        if (data.Length > 0)
        {
            _input.Writer.TryWrite(data);
        }

        if (fin)
        {
            _input.Writer.TryComplete();
        }
    }

    internal void Reset() => _input.Writer.TryComplete();
}

/// <summary>SPDY/3's header compression dictionary (draft-mbelshe-httpbis-spdy-00 §2.6.10.1): length-prefixed names and values, then a run of common text.</summary>
public static class SpdyDictionary
{
    private static readonly string[] Words =
    [
        "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding", "accept-language",
        "accept-ranges", "age", "allow", "authorization", "cache-control", "connection", "content-base", "content-encoding",
        "content-language", "content-length", "content-location", "content-md5", "content-range", "content-type", "date", "etag",
        "expect", "expires", "from", "host", "if-match", "if-modified-since", "if-none-match", "if-range", "if-unmodified-since",
        "last-modified", "location", "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer",
        "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via", "warning",
        "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url", "public", "set-cookie", "keep-alive",
        "origin",
    ];

    private const string Tail =
        "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505" +
        "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized" +
        "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable" +
        "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT" +
        "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript," +
        "publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.";

    public static readonly byte[] Bytes = Build();

    private static byte[] Build()
    {
        var bytes = new MemoryStream();
        Span<byte> length = stackalloc byte[4];
        foreach (var word in Words)
        {
            BinaryPrimitives.WriteInt32BigEndian(length, word.Length);
            bytes.Write(length);
            bytes.Write(Encoding.ASCII.GetBytes(word));
        }

        bytes.Write(Encoding.ASCII.GetBytes(Tail));
        return bytes.ToArray();
    }
}

