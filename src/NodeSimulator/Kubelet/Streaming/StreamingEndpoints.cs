using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace NodeSimulator.Kubelet.Streaming;

/// <summary>
/// The kubelet's streaming endpoints, which the API server's pods/exec, pods/attach and pods/portforward
/// reach: <c>/exec/{namespace}/{pod}/{container}?command=...&amp;stdin=1&amp;stdout=1&amp;stderr=1&amp;tty=1</c>,
/// <c>/attach/{namespace}/{pod}/{container}</c> and <c>/portForward/{namespace}/{pod}?ports=...</c>, over a
/// WebSocket with kube's channel protocol (v5, v4 and v4 base64 for exec and attach; v4, v4 base64 or no
/// subprotocol for port forwarding), and port forwarding also over SPDY as kubectl speaks it (its
/// WebSocket tunnel is refused, so that it falls back to SPDY; <see cref="SpdyConnection"/>). Behind them
/// is no container: exec runs <see cref="SimulatedShell"/>,
/// attach shows the container's new log lines (and runs its shell on stdin when the container is one), and
/// a forwarded port answers an HTTP request with a short page naming the pod, anything else with an echo.
/// Errors before the upgrade are the kubelet's: 404 "pod does not exist", 500 'container not found ("c")'
/// for a container that is not running, 400 for bad options. Exec and attach over SPDY (kubectl before 1.30) are not spoken.
/// </summary>
public sealed class StreamingEndpoints(Func<string, V1Pod?> findPod)
{
    private static readonly string[] RemoteCommandProtocols = [ChannelWebSocket.V5, ChannelWebSocket.V4, ChannelWebSocket.V4Base64];
    private static readonly string[] PortForwardProtocols = [ChannelWebSocket.V4, ChannelWebSocket.V4Base64];
    private const string PortForwardSpdyProtocol = "portforward.k8s.io";

    private const byte Stdin = 0;
    private const byte Stdout = 1;
    private const byte Stderr = 2;
    private const byte Error = 3;
    private const byte Resize = 4;

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapMethods("/exec/{ns}/{pod}/{container}", ["GET", "POST"], (HttpContext context, string ns, string pod, string container) => ExecAsync(context, ns, pod, container, attach: false));
        app.MapMethods("/attach/{ns}/{pod}/{container}", ["GET", "POST"], (HttpContext context, string ns, string pod, string container) => ExecAsync(context, ns, pod, container, attach: true));
        app.MapMethods("/portForward/{ns}/{pod}", ["GET", "POST"], (HttpContext context, string ns, string pod) => PortForwardAsync(context, ns, pod));
    }

    private async Task ExecAsync(HttpContext context, string ns, string name, string containerName, bool attach)
    {
        var query = context.Request.Query;
        var pod = findPod($"{ns}/{name}");
        if (pod is null)
        {
            await PlainAsync(context, 404, "pod does not exist").ConfigureAwait(false);
            return;
        }

        var container = (pod.Spec?.Containers ?? []).FirstOrDefault(c => c.Name == containerName);
        if (container is null || !PodLogs.IsRunning(pod, containerName))
        {
            await PlainAsync(context, 500, $"container not found (\"{containerName}\")").ConfigureAwait(false);
            return;
        }

        var stdin = Flag(query["input"]) || Flag(query["stdin"]);
        var stdout = Flag(query["output"]) || Flag(query["stdout"]);
        var stderr = Flag(query["error"]) || Flag(query["stderr"]);
        // Attach takes the TTY the container was started with; exec the one asked for.
        var tty = attach ? container.Tty == true : Flag(query["tty"]);
        var command = query["command"].Where(c => c is not null).Select(c => c!).ToList();
        if (!stdin && !stdout && !stderr)
        {
            await PlainAsync(context, 400, "you must specify at least 1 of stdin, stdout, stderr").ConfigureAwait(false);
            return;
        }

        if (tty && stderr)
        {
            // A terminal has one output; kube turns stderr off.
            stderr = false;
        }

        if (await AcceptAsync(context, RemoteCommandProtocols).ConfigureAwait(false) is not { } channels)
        {
            return;
        }

        using var session = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var token = session.Token;
        Task Write(byte channel, string text) => channels.SendAsync(channel, tty ? text.ReplaceLineEndings("\n").Replace("\n", "\r\n", StringComparison.Ordinal) : text, token);
        var input = stdin ? new InputReader(tty ? text => channels.SendAsync(Stdout, text, token) : null) : null;

        // The first message tells the client the streams are up: a zero-length frame on the lowest-numbered output channel, as the kubelet sends.
        await channels.SendAsync(stdout ? Stdout : stderr ? Stderr : Error, ReadOnlyMemory<byte>.Empty, token).ConfigureAwait(false);
        var receiving = channels.ReceiveAsync(
            (channel, data) =>
            {
                if (channel == Stdin)
                {
                    input?.Write(data.Span);
                }

                return Task.CompletedTask;
            },
            channel =>
            {
                if (channel == Stdin)
                {
                    input?.Complete();
                }
            },
            token);
        _ = receiving.ContinueWith(_ => { input?.Complete(); if (attach) { session.Cancel(); } }, TaskScheduler.Default);

        var io = new ProcessIo(input, text => stdout ? Write(Stdout, text) : Task.CompletedTask,
            text => stderr ? Write(Stderr, text) : stdout && tty ? Write(Stdout, text) : Task.CompletedTask, token);
        var shell = new SimulatedShell(pod, container, () => DateTime.UtcNow);
        ExecResult result;
        try
        {
            result = attach ? await AttachAsync(pod, container, shell, io).ConfigureAwait(false) : await shell.ExecAsync(command, io).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            ClientTools.Logging.Klog.Info($"exec/attach {ns}/{name}/{containerName} ended before its command: the client went away");
            return;
        }

        await channels.SendAsync(Error, Status(result, command), CancellationToken.None).ConfigureAwait(false);
        await channels.CloseAsync().ConfigureAwait(false);
        // Wait for the client's close frame (the closing handshake) before the connection goes, so nothing
        // written is lost to an abort; a client that never answers gets 5 s.
        await Task.WhenAny(receiving, Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None)).ConfigureAwait(false);
        await session.CancelAsync().ConfigureAwait(false);
        await receiving.ConfigureAwait(false);
    }

    /// <summary>
    /// Attach: the container's log lines from now on, until it stops or the client leaves; stdin goes to
    /// the container's shell when its command is one (kubectl run -it busybox -- sh), else nowhere.
    /// </summary>
    private async Task<ExecResult> AttachAsync(V1Pod pod, V1Container container, SimulatedShell shell, ProcessIo io)
    {
        var program = (container.Command ?? container.Args ?? []).FirstOrDefault();
        if (io.Stdin is not null && container.Stdin == true && (program is null || SimulatedShell.IsShell(program)))
        {
            var code = await shell.InteractiveAsync(program is null ? "sh" : Path.GetFileName(program), io).ConfigureAwait(false);
            return new ExecResult(code);
        }

        var key = $"{pod.Metadata.NamespaceProperty}/{pod.Metadata.Name}";
        var shown = DateTime.UtcNow;
        while (!io.CancellationToken.IsCancellationRequested)
        {
            await Task.Delay(1000, io.CancellationToken).ConfigureAwait(false);
            var current = findPod(key);
            if (current is null || current.Metadata.Uid != pod.Metadata.Uid || !PodLogs.IsRunning(current, container.Name))
            {
                return ExecResult.Success;
            }

            var now = DateTime.UtcNow;
            foreach (var (_, text) in PodLogs.Lines(current, container.Name, false, now).Where(l => l.Time > shown && l.Time <= now))
            {
                await io.Out(text + "\n").ConfigureAwait(false);
            }

            shown = now;
        }

        return ExecResult.Success;
    }

    /// <summary>The status the kubelet writes on the error channel when the command ends (v4 and later).</summary>
    private static string Status(ExecResult result, IReadOnlyList<string> command)
    {
        var status = new JsonObject { ["metadata"] = new JsonObject() };
        if (result.StartError is { } error)
        {
            var message = $"error executing command in container: {error}";
            status["status"] = "Failure";
            status["message"] = $"Internal error occurred: {message}";
            status["reason"] = "InternalError";
            status["details"] = new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = message }) };
            status["code"] = 500;
        }
        else if (result.ExitCode != 0)
        {
            var code = result.ExitCode.ToString(CultureInfo.InvariantCulture);
            status["status"] = "Failure";
            status["message"] = $"command terminated with non-zero exit code: error executing command [{string.Join(' ', command)}], exit code {code}";
            status["reason"] = "NonZeroExitCode";
            status["details"] = new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ExitCode", ["message"] = code }) };
        }
        else
        {
            status["status"] = "Success";
        }

        return status.ToJsonString();
    }

    private async Task PortForwardAsync(HttpContext context, string ns, string name)
    {
        var pod = findPod($"{ns}/{name}");
        if (pod is null)
        {
            await PlainAsync(context, 404, "pod does not exist").ConfigureAwait(false);
            return;
        }

        // Port forwarding over SPDY (kubectl): each forwarded connection is a pair of SPDY streams (error,
        // data) whose headers name the port. kubectl 1.31 and later first offer SPDY tunneled in a WebSocket
        // ("SPDY/3.1+portforward.k8s.io"); that is refused (400) and kubectl falls back to SPDY itself.
        if (context.Request.Headers.Upgrade.ToString().StartsWith("SPDY/3.1", StringComparison.OrdinalIgnoreCase)
            && context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
        {
            context.Response.Headers.Upgrade = "SPDY/3.1";
            context.Response.Headers["X-Stream-Protocol-Version"] = PortForwardSpdyProtocol;
            var connection = await upgrade.UpgradeAsync().ConfigureAwait(false);
            await ServeSpdyPortForwardAsync(pod, connection, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        var ports = new List<ushort>();
        foreach (var value in context.Request.Query["ports"].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (!ushort.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port == 0)
            {
                await PlainAsync(context, 400, $"unable to parse \"{value}\" as a port: invalid port").ConfigureAwait(false);
                return;
            }

            ports.Add(port);
        }

        if (ports.Count == 0)
        {
            await PlainAsync(context, 400, "query parameter \"port\" is required").ConfigureAwait(false);
            return;
        }

        if (await AcceptAsync(context, PortForwardProtocols, allowNone: true).ConfigureAwait(false) is not { } channels)
        {
            return;
        }

        var token = context.RequestAborted;
        var servers = ports.Select(p => new SimulatedPortServer(pod, p)).ToList();
        // Each port has a data channel (2i) and an error channel (2i+1); each begins with the port number.
        for (var i = 0; i < ports.Count; i++)
        {
            var portBytes = new byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(portBytes, ports[i]);
            await channels.SendAsync((byte)(2 * i), portBytes, token).ConfigureAwait(false);
            await channels.SendAsync((byte)(2 * i + 1), portBytes, token).ConfigureAwait(false);
        }

        await channels.ReceiveAsync(
            async (channel, data) =>
            {
                if (channel % 2 != 0 || channel / 2 >= servers.Count)
                {
                    return;
                }

                foreach (var answer in servers[channel / 2].Receive(data.Span))
                {
                    await channels.SendAsync(channel, answer, token).ConfigureAwait(false);
                }
            },
            _ => { },
            token).ConfigureAwait(false);
        await channels.CloseAsync().ConfigureAwait(false);
    }

    /// <summary>Port forwarding over SPDY: each data stream talks to its port's simulated server; its error stream closes with it.</summary>
    private static async Task ServeSpdyPortForwardAsync(V1Pod pod, Stream transport, CancellationToken cancellationToken)
    {
        var connection = new SpdyConnection(transport);
        var errors = new System.Collections.Concurrent.ConcurrentDictionary<string, SpdyStream>();
        await connection.RunAsync(async stream =>
        {
            try
            {
                var requestId = stream.Header("requestid");
                switch (stream.Header("streamtype"))
                {
                    case "error":
                        errors[requestId] = stream;
                        return;
                    case "data":
                        break;
                    default:
                        await stream.ResetAsync(cancellationToken).ConfigureAwait(false);
                        return;
                }

                if (!int.TryParse(stream.Header("port"), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is <= 0 or > 65535)
                {
                    if (errors.TryRemove(requestId, out var invalid))
                    {
                        await invalid.WriteAsync(Encoding.UTF8.GetBytes($"invalid port header \"{stream.Header("port")}\""), cancellationToken).ConfigureAwait(false);
                        await invalid.CloseAsync(cancellationToken).ConfigureAwait(false);
                    }

                    await stream.CloseAsync(cancellationToken).ConfigureAwait(false);
                    return;
                }

                var server = new SimulatedPortServer(pod, port);
                while (await stream.ReadAsync(cancellationToken).ConfigureAwait(false) is { } data)
                {
                    foreach (var answer in server.Receive(data))
                    {
                        await stream.WriteAsync(answer, cancellationToken).ConfigureAwait(false);
                    }
                }

                await stream.CloseAsync(cancellationToken).ConfigureAwait(false);
                if (errors.TryRemove(requestId, out var error))
                {
                    await error.CloseAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or System.Net.WebSockets.WebSocketException)
            {
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Accepts the WebSocket with the first offered protocol the endpoint speaks, or answers as the kubelet does.</summary>
    private static async Task<ChannelWebSocket?> AcceptAsync(HttpContext context, IReadOnlyList<string> supported, bool allowNone = false)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            var upgrade = context.Request.Headers.Upgrade.ToString();
            await PlainAsync(context, 400, upgrade.Length == 0
                ? "Upgrade request required"
                : $"unable to upgrade: this simulated kubelet speaks WebSocket ({string.Join(", ", supported)}), not {upgrade}").ConfigureAwait(false);
            return null;
        }

        var offered = context.WebSockets.WebSocketRequestedProtocols;
        var protocol = ChannelWebSocket.Negotiate(offered, supported);
        if (protocol is null && !(allowNone && offered.Count == 0))
        {
            await PlainAsync(context, 400, $"unable to upgrade: unable to negotiate protocol: client supports [{string.Join(' ', offered)}], server supports [{string.Join(' ', supported)}]").ConfigureAwait(false);
            return null;
        }

        var socket = await context.WebSockets.AcceptWebSocketAsync(protocol).ConfigureAwait(false);
        return new ChannelWebSocket(socket, protocol ?? ChannelWebSocket.V4);
    }

    private static bool Flag(Microsoft.Extensions.Primitives.StringValues value) => value.ToString() is "1" or "true" or "True";

    private static async Task PlainAsync(HttpContext context, int code, string text)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(text).ConfigureAwait(false);
    }
}

/// <summary>
/// What listens on a simulated pod's port: an HTTP request (anything that starts with a method and a
/// path) gets a 200 with a short text naming the pod, container and port; other bytes come back as sent.
/// </summary>
public sealed class SimulatedPortServer(V1Pod pod, int port)
{
    private static readonly string[] Methods = ["GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "PATCH ", "OPTIONS "];
    private readonly List<byte> _buffer = [];
    private bool? _http;

    /// <summary>Takes bytes the client sent to the port; returns what the "server" answers (maybe nothing yet).</summary>
    public IReadOnlyList<byte[]> Receive(ReadOnlySpan<byte> data)
    {
        if (_http == false)
        {
            return [data.ToArray()];
        }

        _buffer.AddRange(data);
        var text = Encoding.ASCII.GetString([.. _buffer]);
        _http ??= Methods.Any(m => text.StartsWith(m, StringComparison.Ordinal)) ? true
            : Methods.Any(m => m.StartsWith(text, StringComparison.Ordinal)) ? null : false;
        if (_http == false)
        {
            var all = _buffer.ToArray();
            _buffer.Clear();
            return [all];
        }

        var answers = new List<byte[]>();
        int end;
        while ((end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
        {
            var request = text[..end];
            text = text[(end + 4)..];
            var line = request.Split("\r\n")[0].Split(' ');
            var container = (pod.Spec?.Containers ?? []).FirstOrDefault(c => (c.Ports ?? []).Any(p => p.ContainerPort == port)) ?? pod.Spec?.Containers?.FirstOrDefault();
            var body = $"Hello from {pod.Metadata.NamespaceProperty}/{pod.Metadata.Name} (simulated container {container?.Name}, image {container?.Image}) on port {port}: {line[0]} {(line.Length > 1 ? line[1] : "/")}\n";
            var head = line[0] == "HEAD";
            answers.Add(Encoding.UTF8.GetBytes(
                $"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nServer: node-simulator\r\n\r\n{(head ? "" : body)}"));
        }

        _buffer.Clear();
        _buffer.AddRange(Encoding.ASCII.GetBytes(text));
        return answers;
    }
}
