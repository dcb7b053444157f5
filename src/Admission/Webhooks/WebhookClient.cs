using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApiMachinery.Errors;

namespace Admission.Webhooks;

/// <summary>
/// A webhook could not be called or answered nonsense (kube's ErrCallingWebhook): subject to the
/// webhook's failurePolicy. <see cref="Exception.Message"/> reads as kube's
/// <c>failed calling webhook "name": reason</c>.
/// </summary>
public sealed class WebhookCallException(string webhook, string reason, Exception? inner = null)
    : Exception($"failed calling webhook \"{webhook}\": {reason}", inner);

/// <summary>A webhook's AdmissionResponse, checked (kube's VerifyAdmissionResponse).</summary>
public sealed record WebhookResponse(bool Allowed, JsonObject? Status, JsonArray? Patch, IReadOnlyList<string> Warnings);

/// <summary>
/// Posts AdmissionReview v1 to webhooks over HTTPS, trusting each webhook's caBundle (or the system
/// roots without one). Service references (https://name.namespace.svc:port) connect to the address
/// the resolver gives while TLS still checks the certificate against the service's DNS name.
/// One HTTP client per CA bundle, reused.
/// </summary>
public sealed class WebhookClient(IWebhookServiceResolver resolver) : IDisposable
{
    private readonly ConcurrentDictionary<string, HttpClient> _clients = new(StringComparer.Ordinal);

    public async Task<WebhookResponse> CallAsync(WebhookDefinition hook, JsonObject review, string uid, bool mutating, CancellationToken cancellationToken)
    {
        // kube's REST client tells the webhook its deadline as ?timeout=Ns.
        var endpoint = hook.ClientConfig.Endpoint;
        var url = new UriBuilder(endpoint) { Query = $"timeout={hook.TimeoutSeconds}s" }.Uri;
        var urlText = url.ToString();
        var client = _clients.GetOrAdd(hook.ClientConfig.CaBundle, CreateClient);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(hook.TimeoutSeconds));
        string body;
        int status;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new StringContent(review.ToJsonString(), Encoding.UTF8, "application/json"),
            };
            request.Headers.Accept.ParseAdd("application/json");
            using var response = await client.SendAsync(request, timeout.Token).ConfigureAwait(false);
            status = (int)response.StatusCode;
            body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new WebhookCallException(hook.Name, $"failed to call webhook: Post \"{urlText}\": context deadline exceeded", e);
        }
        catch (HttpRequestException e)
        {
            throw new WebhookCallException(hook.Name, $"failed to call webhook: Post \"{urlText}\": {Describe(e, endpoint)}", e);
        }

        if (status is < 200 or > 299)
        {
            var detail = TryStatusMessage(body) ?? $"an error on the server (\"{Truncate(body)}\") has prevented the request from succeeding";
            throw new WebhookCallException(hook.Name, $"failed to call webhook: {detail}");
        }

        return Verify(hook, body, uid, mutating);
    }

    /// <summary>
    /// Posts any review (a CRD's ConversionReview) to a webhook the same way, and returns the JSON it
    /// answered. Failures throw <see cref="InvalidOperationException"/> worded as Go's client reports
    /// them (<c>Post "https://...": dial tcp ...: connection refused</c>).
    /// </summary>
    public async Task<JsonObject> PostAsync(WebhookClientConfig config, JsonObject review, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var endpoint = config.Endpoint;
        var url = new UriBuilder(endpoint) { Query = $"timeout={(int)timeout.TotalSeconds}s" }.Uri;
        var client = _clients.GetOrAdd(config.CaBundle, CreateClient);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        string body;
        int status;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new StringContent(review.ToJsonString(), Encoding.UTF8, "application/json"),
            };
            request.Headers.Accept.ParseAdd("application/json");
            using var response = await client.SendAsync(request, deadline.Token).ConfigureAwait(false);
            status = (int)response.StatusCode;
            body = await response.Content.ReadAsStringAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"Post \"{url}\": context deadline exceeded", e);
        }
        catch (HttpRequestException e)
        {
            throw new InvalidOperationException($"Post \"{url}\": {Describe(e, endpoint)}", e);
        }

        if (status is < 200 or > 299)
        {
            throw new InvalidOperationException(TryStatusMessage(body) ?? $"an error on the server (\"{Truncate(body)}\") has prevented the request from succeeding");
        }

        try
        {
            return JsonNode.Parse(body) as JsonObject ?? throw new InvalidOperationException("the webhook's answer is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException(e.Message, e);
        }
    }

    private static WebhookResponse Verify(WebhookDefinition hook, string body, string uid, bool mutating)
    {
        JsonObject? review;
        try
        {
            review = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException e)
        {
            throw new WebhookCallException(hook.Name, $"failed to call webhook: {e.Message}", e);
        }

        string Invalid(string reason) => $"received invalid webhook response: {reason}";
        var apiVersion = review?["apiVersion"]?.ToString() ?? "";
        var kind = review?["kind"]?.ToString() ?? "";
        if (apiVersion != "admission.k8s.io/v1" || kind != "AdmissionReview")
        {
            throw new WebhookCallException(hook.Name, Invalid($"expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got {apiVersion}, Kind={kind}"));
        }

        if (review!["response"] is not JsonObject response)
        {
            throw new WebhookCallException(hook.Name, Invalid("webhook response was absent"));
        }

        var responseUid = response["uid"]?.ToString() ?? "";
        if (responseUid != uid)
        {
            throw new WebhookCallException(hook.Name, Invalid($"expected response.uid=\"{uid}\", got \"{responseUid}\""));
        }

        var allowed = response["allowed"] is JsonValue a && a.TryGetValue<bool>(out var b) && b;
        var warnings = (response["warnings"] as JsonArray ?? []).Select(w => w?.ToString() ?? "").Where(w => w.Length > 0).ToArray();
        JsonArray? patch = null;
        if (response["patch"]?.ToString() is { Length: > 0 } encoded)
        {
            if (!mutating)
            {
                throw new WebhookCallException(hook.Name, Invalid("validating webhook may not return response.patch"));
            }

            var patchType = response["patchType"]?.ToString() ?? "";
            if (patchType.Length == 0)
            {
                throw new WebhookCallException(hook.Name, Invalid("webhook returned response.patch but not response.patchType"));
            }

            if (patchType != "JSONPatch")
            {
                throw new WebhookCallException(hook.Name, Invalid($"webhook returned invalid response.patchType of \"{patchType}\""));
            }

            try
            {
                patch = JsonNode.Parse(Convert.FromBase64String(encoded)) as JsonArray
                    ?? throw new JsonException("a JSON patch must be an array");
            }
            catch (Exception e) when (e is FormatException or JsonException)
            {
                throw new WebhookCallException(hook.Name, $"received undecodable patch in webhook response: {e.Message}", e);
            }
        }

        return new WebhookResponse(allowed, response["status"] as JsonObject, patch, warnings);
    }

    private HttpClient CreateClient(string caBundle)
    {
        X509Certificate2Collection? roots = null;
        if (caBundle.Length > 0)
        {
            roots = [];
            roots.ImportFromPem(caBundle);
        }

        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectCallback = ConnectAsync,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => Trusted(roots, certificate, errors),
            },
        };
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    private static bool Trusted(X509Certificate2Collection? roots, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        if (roots is null)
        {
            return errors == SslPolicyErrors.None;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var port = context.DnsEndPoint.Port;
        var labels = host.Split('.');
        if (labels.Length == 3 && labels[2] == "svc")
        {
            var resolved = await resolver.ResolveAsync(labels[1], labels[0], port, cancellationToken).ConfigureAwait(false)
                ?? throw new HttpRequestException($"service \"{labels[0]}\" in namespace \"{labels[1]}\" has no ready endpoints for port {port}");
            (host, port) = resolved;
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Go's words for the common failures, so messages read like kube-apiserver's.</summary>
    private static string Describe(HttpRequestException e, Uri endpoint)
    {
        var target = $"{endpoint.Host}:{endpoint.Port.ToString(CultureInfo.InvariantCulture)}";
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => $"dial tcp {target}: connect: connection refused",
                    SocketError.HostNotFound => $"dial tcp: lookup {endpoint.Host}: no such host",
                    _ => $"dial tcp {target}: {socket.Message}",
                };
            }

            if (inner is System.Security.Authentication.AuthenticationException)
            {
                return "tls: failed to verify certificate: x509: certificate signed by unknown authority";
            }
        }

        return e.Message;
    }

    private static string? TryStatusMessage(string body)
    {
        try
        {
            return JsonNode.Parse(body) is JsonObject { } o && o["kind"]?.ToString() == "Status" ? o["message"]?.ToString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Truncate(string body) => body.Length > 200 ? body[..200] : body.TrimEnd('\n');

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }
}

/// <summary>Turns a webhook's denial into the error the client sees (kube's webhookerrors.ToStatusErr).</summary>
public static class WebhookDenial
{
    public static StatusException ToStatusException(string webhook, JsonObject? status)
    {
        var deniedBy = $"admission webhook \"{webhook}\" denied the request";
        var code = status?["code"] is JsonValue c && c.TryGetValue<int>(out var n) ? n : 0;
        if (code < 400)
        {
            code = 400;
        }

        var message = status?["message"]?.ToString() ?? "";
        var reason = status?["reason"]?.ToString() ?? "";
        var text = message.Length > 0 ? $"{deniedBy}: {message}"
            : reason.Length > 0 ? $"{deniedBy}: {reason}"
            : $"{deniedBy} without explanation";
        return new StatusException(new ApiStatus
        {
            Status = ApiStatus.StatusFailure,
            Message = text,
            Reason = reason,
            Code = code,
            Details = status?["details"] is JsonObject details ? Details(details) : null,
        });
    }

    private static StatusDetails Details(JsonObject details) => new()
    {
        Name = details["name"]?.ToString() ?? "",
        Group = details["group"]?.ToString() ?? "",
        Kind = details["kind"]?.ToString() ?? "",
        Uid = details["uid"]?.ToString() ?? "",
        Causes = (details["causes"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select(c => new StatusCause(c["reason"]?.ToString() ?? "", c["message"]?.ToString() ?? "", c["field"]?.ToString() ?? ""))
            .ToArray(),
    };
}
