using System.Buffers;
using System.Net.WebSockets;
using System.Text;

namespace NodeSimulator.Kubelet.Streaming;

/// <summary>
/// Kubernetes' channel protocol over one WebSocket, the server side (what kube's wsstream does): every
/// message starts with its channel number, in binary (<c>v4.channel.k8s.io</c>, <c>v5.channel.k8s.io</c>)
/// or as an ASCII digit before base64 data (<c>v4.base64.channel.k8s.io</c>). Protocol v5 adds the close
/// signal, a message <c>[255, channel]</c> that ends one channel (the client's stdin) without closing the
/// socket.
/// </summary>
public sealed class ChannelWebSocket(WebSocket socket, string protocol)
{
    public const string V5 = "v5.channel.k8s.io";
    public const string V4 = "v4.channel.k8s.io";
    public const string V4Base64 = "v4.base64.channel.k8s.io";
    public const byte CloseSignal = 255;

    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly bool _base64 = protocol.Contains("base64", StringComparison.Ordinal);

    public string Protocol { get; } = protocol;

    public bool SupportsClose => Protocol == V5;

    /// <summary>Picks the first protocol the client offers that the server speaks (as wsstream's handshake), or null.</summary>
    public static string? Negotiate(IEnumerable<string> offered, IReadOnlyList<string> supported) =>
        offered.SelectMany(p => p.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).FirstOrDefault(supported.Contains);

    public async Task SendAsync(byte channel, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _send.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
            {
                ClientTools.Logging.Klog.Info($"channel {channel}: {data.Length} bytes not sent, the WebSocket is {socket.State}");
                return;
            }

            if (_base64)
            {
                var text = (char)('0' + channel) + Convert.ToBase64String(data.Span);
                await socket.SendAsync(Encoding.ASCII.GetBytes(text), WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
                return;
            }

            var message = ArrayPool<byte>.Shared.Rent(data.Length + 1);
            try
            {
                message[0] = channel;
                data.Span.CopyTo(message.AsSpan(1));
                await socket.SendAsync(message.AsMemory(0, data.Length + 1), WebSocketMessageType.Binary, true, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(message);
            }
        }
        finally
        {
            _send.Release();
        }
    }

    public Task SendAsync(byte channel, string text, CancellationToken cancellationToken) =>
        SendAsync(channel, Encoding.UTF8.GetBytes(text), cancellationToken);

    /// <summary>Reads messages until the client closes: data to <paramref name="onData"/>, v5 close signals to <paramref name="onClose"/>.</summary>
    public async Task ReceiveAsync(Func<byte, ReadOnlyMemory<byte>, Task> onData, Action<byte> onClose, CancellationToken cancellationToken)
    {
        var buffer = new byte[32 * 1024];
        using var message = new MemoryStream();
        while (socket.State == WebSocketState.Open)
        {
            WebSocketReceiveResult result;
            try
            {
                result = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
            {
                return;
            }

            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            message.Write(buffer, 0, result.Count);
            if (!result.EndOfMessage)
            {
                continue;
            }

            var bytes = message.ToArray();
            message.SetLength(0);
            if (bytes.Length == 0)
            {
                continue;
            }

            if (_base64)
            {
                var text = Encoding.ASCII.GetString(bytes);
                if (text.Length == 0 || text[0] is < '0' or > '9')
                {
                    continue;
                }

                await onData((byte)(text[0] - '0'), Convert.FromBase64String(text[1..])).ConfigureAwait(false);
                continue;
            }

            if (SupportsClose && bytes[0] == CloseSignal)
            {
                if (bytes.Length == 2)
                {
                    onClose(bytes[1]);
                }

                continue;
            }

            await onData(bytes[0], bytes.AsMemory(1)).ConfigureAwait(false);
        }
    }

    /// <summary>A normal closure once everything is written (the kubelet closes after the status).</summary>
    public async Task CloseAsync()
    {
        await _send.WaitAsync().ConfigureAwait(false);
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
        }
        finally
        {
            _send.Release();
        }
    }
}
