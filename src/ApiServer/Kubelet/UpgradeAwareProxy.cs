using System.Globalization;
using System.Text;
using ApiMachinery.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace ApiServer.Kubelet;

/// <summary>
/// Proxies an upgrade request (WebSocket or SPDY) to a kubelet and then the upgraded connection's bytes
/// both ways, as kube-apiserver's UpgradeAwareHandler does for pods/exec, attach and portforward: the
/// request goes to the kubelet over its own TLS connection with the client's upgrade headers (never
/// its credentials), and the kubelet's answer comes back as it is: a 101 with its protocol headers and
/// then the stream, or its error response (404 "pod does not exist", 500 "container not found", ...).
/// The protocol inside (kube's channel protocol, SPDY) is the client's and the kubelet's business.
/// </summary>
internal static class UpgradeAwareProxy
{
    private const int MaxResponseHead = 64 * 1024;

    /// <summary>Request headers that stay here: hop-by-hop ones we set ourselves, and the caller's credentials.</summary>
    private static readonly HashSet<string> DroppedRequestHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Authorization", "Proxy-Authorization", "Cookie", "Content-Length", "Transfer-Encoding", "Keep-Alive", "TE", "Trailer",
    };

    /// <summary>Response headers of a 101 that Kestrel writes itself.</summary>
    private static readonly HashSet<string> DroppedResponseHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Content-Length", "Transfer-Encoding", "Date", "Server",
    };

    public static bool IsUpgradeRequest(HttpContext context) =>
        context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true }
        && context.Request.Headers.Connection.Any(c => c is not null && c.Contains("upgrade", StringComparison.OrdinalIgnoreCase));

    public static async Task ProxyAsync(HttpContext context, KubeletConnection kubelet, Uri location, CancellationToken cancellationToken)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is not { IsUpgradableRequest: true })
        {
            throw StatusException.NewBadRequest("Upgrade request required");
        }

        var backend = await kubelet.ConnectAsync(location, cancellationToken).ConfigureAwait(false);
        await using (backend.ConfigureAwait(false))
        {
            await backend.WriteAsync(RequestHead(context, location), cancellationToken).ConfigureAwait(false);
            await backend.FlushAsync(cancellationToken).ConfigureAwait(false);
            var (status, headers, rest) = await ReadResponseHeadAsync(backend, cancellationToken).ConfigureAwait(false);
            if (status != StatusCodes.Status101SwitchingProtocols)
            {
                await CopyErrorResponseAsync(context, backend, status, headers, rest, cancellationToken).ConfigureAwait(false);
                return;
            }

            foreach (var (name, value) in headers)
            {
                if (!DroppedResponseHeaders.Contains(name))
                {
                    context.Response.Headers.Append(name, value);
                }
            }

            var client = await upgrade.UpgradeAsync().ConfigureAwait(false);
            if (rest.Length > 0)
            {
                await client.WriteAsync(rest, cancellationToken).ConfigureAwait(false);
                await client.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            // Until either side closes: then the other is closed too (kube's proxy does the same).
            using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var up = PumpAsync(client, backend, done.Token);
            var down = PumpAsync(backend, client, done.Token);
            await Task.WhenAny(up, down).ConfigureAwait(false);
            await done.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(up, down).ConfigureAwait(false);
        }
    }

    private static byte[] RequestHead(HttpContext context, Uri location)
    {
        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"{context.Request.Method} {location.PathAndQuery} HTTP/1.1\r\n");
        head.Append(CultureInfo.InvariantCulture, $"Host: {location.Authority}\r\n");
        foreach (var (name, values) in context.Request.Headers)
        {
            if (DroppedRequestHeaders.Contains(name) || name.StartsWith("Impersonate-", StringComparison.OrdinalIgnoreCase) || name.StartsWith(':'))
            {
                continue;
            }

            foreach (var value in values)
            {
                head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
            }
        }

        var forwardedFor = context.Connection.RemoteIpAddress?.ToString();
        if (forwardedFor is not null)
        {
            var previous = context.Request.Headers["X-Forwarded-For"].ToString();
            head.Append(CultureInfo.InvariantCulture, $"X-Forwarded-For: {(previous.Length > 0 ? previous + ", " : "")}{forwardedFor}\r\n");
        }

        head.Append("\r\n");
        return Encoding.ASCII.GetBytes(head.ToString());
    }

    /// <summary>Reads the kubelet's status line and headers; returns them with whatever was read past them.</summary>
    private static async Task<(int Status, List<(string Name, string Value)> Headers, byte[] Remainder)> ReadResponseHeadAsync(Stream backend, CancellationToken cancellationToken)
    {
        var buffer = new byte[8 * 1024];
        using var head = new MemoryStream();
        while (true)
        {
            var read = await backend.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw StatusException.NewInternalError("error proxying to the kubelet: the connection closed before a response");
            }

            head.Write(buffer, 0, read);
            var bytes = head.GetBuffer().AsSpan(0, (int)head.Length);
            var end = bytes.IndexOf("\r\n\r\n"u8);
            if (end < 0)
            {
                if (head.Length > MaxResponseHead)
                {
                    throw StatusException.NewInternalError("error proxying to the kubelet: response headers too long");
                }

                continue;
            }

            var lines = Encoding.ASCII.GetString(bytes[..end]).Split("\r\n");
            var statusLine = lines[0].Split(' ', 3);
            if (statusLine.Length < 2 || !int.TryParse(statusLine[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
            {
                throw StatusException.NewInternalError($"error proxying to the kubelet: malformed response {lines[0]}");
            }

            var headers = lines.Skip(1)
                .Select(l => l.Split(':', 2))
                .Where(p => p.Length == 2)
                .Select(p => (p[0].Trim(), p[1].Trim()))
                .ToList();
            return (status, headers, bytes[(end + 4)..].ToArray());
        }
    }

    /// <summary>The kubelet refused the upgrade: its status, content type and body go to the client as they are.</summary>
    private static async Task CopyErrorResponseAsync(HttpContext context, Stream backend, int status, List<(string Name, string Value)> headers,
        byte[] rest, CancellationToken cancellationToken)
    {
        string? Header(string name) => headers.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Value;
        context.Response.StatusCode = status;
        if (Header(HeaderNames.ContentType) is { } contentType)
        {
            context.Response.ContentType = contentType;
        }

        var body = new MemoryStream();
        body.Write(rest);
        var buffer = new byte[8 * 1024];
        if (string.Equals(Header(HeaderNames.TransferEncoding), "chunked", StringComparison.OrdinalIgnoreCase))
        {
            // Read until the last chunk (0\r\n\r\n), then decode.
            while (!EndsWithLastChunk(body))
            {
                var read = await backend.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                body.Write(buffer, 0, read);
            }

            await context.Response.Body.WriteAsync(Dechunk(body.ToArray()), cancellationToken).ConfigureAwait(false);
            return;
        }

        var length = long.TryParse(Header(HeaderNames.ContentLength), NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : long.MaxValue;
        while (body.Length < length && body.Length < MaxResponseHead)
        {
            var read = await backend.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            body.Write(buffer, 0, read);
        }

        await context.Response.Body.WriteAsync(body.ToArray().AsMemory(0, (int)Math.Min(body.Length, length)), cancellationToken).ConfigureAwait(false);
    }

    private static bool EndsWithLastChunk(MemoryStream body) =>
        body.Length >= 5 && body.GetBuffer().AsSpan(0, (int)body.Length).EndsWith("0\r\n\r\n"u8);

    private static byte[] Dechunk(byte[] chunked)
    {
        var result = new MemoryStream();
        var at = 0;
        while (at < chunked.Length)
        {
            var lineEnd = chunked.AsSpan(at).IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                break;
            }

            var sizeText = Encoding.ASCII.GetString(chunked, at, lineEnd).Split(';')[0];
            if (!int.TryParse(sizeText, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var size) || size == 0)
            {
                break;
            }

            at += lineEnd + 2;
            result.Write(chunked, at, Math.Min(size, chunked.Length - at));
            at += size + 2;
        }

        return result.ToArray();
    }

    private static async Task PumpAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        var buffer = new byte[32 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                await to.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }
}
