using System.Globalization;
using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiMachinery.Validation;
using ApiServer.Kubelet;
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
internal sealed class PodLogHandler(RegistryCatalog registry, KubeletConnection kubelet)
{
    private const int MaxErrorBody = 32 * 1024;

    public async Task HandleAsync(HttpContext context, RequestInfo info, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var logOptions = Validate(info.Name, query);
        var pods = registry.Find("", "v1", "pods") ?? throw StatusException.NewGenericNotFound();
        var pod = await pods.GetAsync(info.Namespace, info.Name, cancellationToken).ConfigureAwait(false);
        var container = ChooseContainer(pod, query["container"].ToString());
        var nodeName = pod.GetString("spec", "nodeName") ?? "";
        context.Response.ContentType = "text/plain";
        if (nodeName.Length == 0)
        {
            // Not scheduled yet: kube answers with no location, an empty log.
            context.Response.StatusCode = 200;
            return;
        }

        var node = await kubelet.NodeLocationAsync(nodeName, cancellationToken).ConfigureAwait(false);
        var path = $"/containerLogs/{Uri.EscapeDataString(info.Namespace)}/{Uri.EscapeDataString(info.Name)}/{Uri.EscapeDataString(container)}";
        var location = new Uri(node, path + (logOptions.Length > 0 ? "?" + logOptions : ""));

        using var request = new HttpRequestMessage(HttpMethod.Get, location);
        HttpResponseMessage response;
        try
        {
            response = await kubelet.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
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
    internal static string ChooseContainer(JsonObject pod, string container)
    {
        var spec = pod["spec"] as JsonObject;
        var name = ObjectMeta.Name(pod);
        static IEnumerable<string> Names(JsonObject? spec, string list) =>
            (spec?[list] as JsonArray)?.OfType<JsonObject>().Select(c => c.GetString("name") ?? "") ?? [];
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

    private static async Task<string> ReadLimitedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return body.Length > MaxErrorBody ? body[..MaxErrorBody] : body;
    }
}
