using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.Validation;
using ApiServer.Options;
using ApiServer.Registry;
using Microsoft.AspNetCore.Http;

namespace ApiServer.Endpoints.Handlers;

/// <summary>
/// GET pods/{name}/log, proxied to the kubelet of the pod's node as kube-apiserver does
/// (pkg/registry/core/pod/rest.LogREST): the PodLogOptions are checked, the container chosen (the only
/// one, or the one named), the node's address taken by --kubelet-preferred-address-types and its port
/// from status.daemonEndpoints.kubeletEndpoint, and the kubelet's /containerLogs answer streamed back.
/// The server presents --kubelet-client-certificate; the kubelet's serving certificate is checked
/// against --kubelet-certificate-authority when one is given. A kubelet 400 becomes a BadRequest
/// Status with the kubelet's text ("container ... is waiting to start: ContainerCreating").
/// </summary>
internal sealed class PodLogHandler(RegistryCatalog registry, ApiServerOptions options) : IDisposable
{
    private const int DefaultKubeletPort = 10250;
    private const int MaxErrorBody = 32 * 1024;

    private readonly Lazy<HttpClient> _client = new(() => CreateClient(options.Kubelet));

    public async Task HandleAsync(HttpContext context, RequestInfo info, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var logOptions = Validate(info.Name, query);
        var pods = registry.Find("", "v1", "pods") ?? throw StatusException.NewGenericNotFound();
        var pod = await pods.GetAsync(info.Namespace, info.Name, cancellationToken).ConfigureAwait(false);
        var container = ChooseContainer(pod, query["container"].ToString());
        var nodeName = ObjectMeta.GetString(pod["spec"] as JsonObject, "nodeName");
        context.Response.ContentType = "text/plain";
        if (nodeName.Length == 0)
        {
            // Not scheduled yet: kube answers with no location, an empty log.
            context.Response.StatusCode = 200;
            return;
        }

        var nodes = registry.Find("", "v1", "nodes") ?? throw StatusException.NewGenericNotFound();
        var node = await nodes.GetAsync("", nodeName, cancellationToken).ConfigureAwait(false);
        var location = Location(node, info.Namespace, info.Name, container, logOptions);

        using var request = new HttpRequestMessage(HttpMethod.Get, location);
        HttpResponseMessage response;
        try
        {
            response = await _client.Value.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw StatusException.NewInternalError($"Get \"{location}\": {e.GetBaseException().Message}");
        }

        using (response)
        {
            var code = (int)response.StatusCode;
            if (code is < 200 or > 206)
            {
                var body = await ReadLimitedAsync(response, cancellationToken).ConfigureAwait(false);
                throw code switch
                {
                    400 => StatusException.NewBadRequest(body),
                    500 => StatusException.NewInternalError(body),
                    _ => StatusException.NewGenericServerResponse(code, "", "", "pods/log", info.Name, body, 0, false),
                };
            }

            context.Response.StatusCode = 200;
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var buffer = new byte[16 * 1024];
            int read;
            try
            {
                while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    await context.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The client went away (kubectl logs -f ended).
            }
        }
    }

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
        }
    }

    /// <summary>The kubelet query for PodLogOptions; 422 for what ValidatePodLogOptions refuses.</summary>
    private static string Validate(string name, IQueryCollection query)
    {
        var errors = new List<FieldError>();
        var parameters = new List<string>();
        foreach (var flag in new[] { "follow", "previous", "timestamps", "insecureSkipTLSVerifyBackend" })
        {
            if (query.TryGetValue(flag, out var value) && RequestInfo.IsTrue(value.ToString()) && flag != "insecureSkipTLSVerifyBackend")
            {
                parameters.Add($"{flag}=true");
            }
        }

        long? Number(string field, long minimum, string detail)
        {
            if (!query.TryGetValue(field, out var value))
            {
                return null;
            }

            if (!long.TryParse(value.ToString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
            {
                throw StatusException.NewBadRequest($"strconv.ParseInt: parsing \"{value}\": invalid syntax");
            }

            if (number < minimum)
            {
                errors.Add(FieldError.Invalid(FieldPath.New(field), number, detail));
            }

            parameters.Add($"{field}={number.ToString(CultureInfo.InvariantCulture)}");
            return number;
        }

        var since = Number("sinceSeconds", 1, "must be greater than 0");
        Number("tailLines", 0, "must be greater than or equal to 0");
        Number("limitBytes", 1, "must be greater than 0");
        if (query.TryGetValue("sinceTime", out var sinceTime))
        {
            if (since is not null)
            {
                errors.Add(new FieldError(FieldErrorType.Forbidden, "", "", "at most one of `sinceTime` or `sinceSeconds` may be specified"));
            }

            parameters.Add($"sinceTime={Uri.EscapeDataString(sinceTime.ToString())}");
        }

        if (errors.Count > 0)
        {
            throw StatusException.NewInvalid("", "PodLogOptions", name, errors);
        }

        return string.Join('&', parameters);
    }

    /// <summary>The container to read: the one named, or the pod's only one (validateContainer).</summary>
    private static string ChooseContainer(JsonObject pod, string container)
    {
        var spec = pod["spec"] as JsonObject;
        var name = ObjectMeta.Name(pod);
        static IEnumerable<string> Names(JsonObject? spec, string list) =>
            (spec?[list] as JsonArray)?.OfType<JsonObject>().Select(c => ObjectMeta.GetString(c, "name")) ?? [];
        var containers = Names(spec, "containers").ToList();
        var all = Names(spec, "initContainers").Concat(containers).Concat(Names(spec, "ephemeralContainers")).ToList();
        if (container.Length == 0)
        {
            return containers.Count switch
            {
                1 => containers[0],
                0 => throw StatusException.NewBadRequest($"pod {name} does not have a container"),
                _ => throw StatusException.NewBadRequest($"a container name must be specified for pod {name}, choose one of: [{string.Join(' ', all)}]"),
            };
        }

        return all.Contains(container) ? container : throw StatusException.NewBadRequest($"container {container} is not valid for pod {name}");
    }

    /// <summary>https://address:port/containerLogs/ns/pod/container?options for the node.</summary>
    private Uri Location(JsonObject node, string ns, string pod, string container, string query)
    {
        var status = node["status"] as JsonObject;
        var addresses = (status?["addresses"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        string? host = null;
        foreach (var type in options.Kubelet.PreferredAddressTypes)
        {
            host = addresses.FirstOrDefault(a => ObjectMeta.GetString(a, "type") == type) is { } address ? ObjectMeta.GetString(address, "address") : null;
            if (!string.IsNullOrEmpty(host))
            {
                break;
            }
        }

        if (string.IsNullOrEmpty(host))
        {
            throw StatusException.NewInternalError($"no preferred addresses found; known addresses: [{string.Join(' ', addresses.Select(a => $"{{{ObjectMeta.GetString(a, "type")} {ObjectMeta.GetString(a, "address")}}}"))}]");
        }

        var port = status?["daemonEndpoints"]?["kubeletEndpoint"]?["Port"] is JsonValue p && p.TryGetValue<int>(out var value) && value > 0 ? value : DefaultKubeletPort;
        var hostPart = IPAddress.TryParse(host, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{host}]" : host;
        var path = $"/containerLogs/{Uri.EscapeDataString(ns)}/{Uri.EscapeDataString(pod)}/{Uri.EscapeDataString(container)}";
        return new Uri($"https://{hostPart}:{port.ToString(CultureInfo.InvariantCulture)}{path}{(query.Length > 0 ? "?" + query : "")}");
    }

    private static async Task<string> ReadLimitedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return body.Length > MaxErrorBody ? body[..MaxErrorBody] : body;
    }

    private static HttpClient CreateClient(KubeletClientOptions kubelet)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = kubelet.Timeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
            SslOptions = new SslClientAuthenticationOptions(),
        };
        if (kubelet.ClientCertificate is { } cert && kubelet.ClientKey is { } key)
        {
            using var pem = X509Certificate2.CreateFromPemFile(cert, key);
            handler.SslOptions.ClientCertificates = [X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null)];
        }

        if (kubelet.CertificateAuthority is { } caFile)
        {
            var trusted = new X509Certificate2Collection();
            trusted.ImportFromPemFile(caFile);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                if (certificate is null)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            };
        }
        else
        {
            // kube-apiserver without --kubelet-certificate-authority does not verify kubelets' certificates.
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }

        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }
}
