using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.Json;
using ApiServer.Authentication;
using ApiServer.Authorization;
using ApiServer.Endpoints;
using ApiServer.Endpoints.Handlers;
using ApiServer.Filters;
using ApiServer.Registry;
using Microsoft.AspNetCore.Http;

namespace ApiServer.Kubelet;

/// <summary>
/// pods/exec, pods/attach and pods/portforward (kube's ExecREST, AttachREST, PortForwardREST): the options
/// from the query (stdout and stderr default to true, as kube's defaulting of PodExecOptions and
/// PodAttachOptions), the container chosen as for logs, 400 "pod p does not have a host assigned" before
/// scheduling, then the upgrade proxied to /exec, /attach or /portForward on the node's kubelet. As
/// kube-apiserver 1.35 (AuthorizePodWebsocketUpgradeCreatePermission), a WebSocket upgrade arriving as GET
/// must also be allowed <c>create</c> on the subresource, the verb SPDY's POST is authorized for.
/// </summary>
internal sealed class PodConnectHandler(RegistryCatalog registry, KubeletConnection kubelet, AuthorizerChain authorizer)
{
    public static bool Handles(string group, string plural, string subresource) =>
        (group, plural) is ("", "pods") && subresource is "exec" or "attach" or "portforward";

    public async Task HandleAsync(HttpContext context, RequestInfo info, CancellationToken cancellationToken)
    {
        if (info.Verb == "get")
        {
            var user = context.KubernetesUser()!;
            var create = info with { Verb = "create" };
            var result = await authorizer.AuthorizeAsync(AuthorizationAttributes.FromRequest(user, create), cancellationToken).ConfigureAwait(false);
            if (result.Decision != AuthorizationDecision.Allow)
            {
                throw AuthorizationFilter.Forbidden(user, create, result.Reason);
            }
        }

        var query = context.Request.Query;
        var pods = registry.Find("", "v1", "pods") ?? throw StatusException.NewGenericNotFound();
        var pod = await pods.GetAsync(info.Namespace, info.Name, cancellationToken).ConfigureAwait(false);
        var parameters = new List<string>();
        string path;
        if (info.Subresource == "portforward")
        {
            path = $"/portForward/{Uri.EscapeDataString(info.Namespace)}/{Uri.EscapeDataString(info.Name)}";
            var ports = query["ports"].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            if (ports.Count > 0)
            {
                parameters.Add("ports=" + Uri.EscapeDataString(string.Join(',', ports)));
            }
        }
        else
        {
            var container = PodLogHandler.ChooseContainer(pod, query["container"].ToString());
            path = $"/{info.Subresource}/{Uri.EscapeDataString(info.Namespace)}/{Uri.EscapeDataString(info.Name)}/{Uri.EscapeDataString(container)}";
            foreach (var (name, defaultValue) in new[] { ("stdin", false), ("stdout", true), ("stderr", true), ("tty", false) })
            {
                if (Flag(query, name, defaultValue))
                {
                    parameters.Add(name + "=1");
                }
            }

            if (info.Subresource == "exec")
            {
                parameters.AddRange(query["command"].Select(c => "command=" + Uri.EscapeDataString(c ?? "")));
            }
        }

        var nodeName = pod.GetString("spec", "nodeName") ?? "";
        if (nodeName.Length == 0)
        {
            throw StatusException.NewBadRequest($"pod {info.Name} does not have a host assigned");
        }

        var node = await kubelet.NodeLocationAsync(nodeName, cancellationToken).ConfigureAwait(false);
        var location = new Uri(node, path + (parameters.Count > 0 ? "?" + string.Join('&', parameters) : ""));
        await UpgradeAwareProxy.ProxyAsync(context, kubelet, location, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A boolean query parameter as kube decodes it (Go's ParseBool), or its default when absent.</summary>
    private static bool Flag(IQueryCollection query, string name, bool defaultValue)
    {
        if (!query.TryGetValue(name, out var values) || values.Count == 0)
        {
            return defaultValue;
        }

        return values[0] switch
        {
            "1" or "t" or "T" or "true" or "TRUE" or "True" => true,
            "0" or "f" or "F" or "false" or "FALSE" or "False" or "" => false,
            var other => throw StatusException.NewBadRequest($"strconv.ParseBool: parsing \"{other}\": invalid syntax"),
        };
    }
}

/// <summary>
/// nodes/{name}/proxy/{path} (kube's node ProxyREST): any method to the node's kubelet at /{path} with the
/// query, over the server's kubelet client credentials; the kubelet's answer (status, headers, body) is
/// streamed back, and upgrade requests are proxied as for exec. The caller needs nodes/proxy, the
/// permission kube's system:kubelet-api-admin role grants.
/// </summary>
internal sealed class NodeProxyHandler(KubeletConnection kubelet)
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade", "TE", "Trailer", "Host", "Authorization", "Proxy-Authorization", "Content-Length",
    };

    public static bool Handles(string group, string plural, string subresource) =>
        (group, plural, subresource) is ("", "nodes", "proxy");

    public async Task HandleAsync(HttpContext context, RequestInfo info, CancellationToken cancellationToken)
    {
        var rest = string.Join('/', info.Parts.Skip(3).Select(Uri.EscapeDataString));
        var trailingSlash = rest.Length > 0 && context.Request.Path.Value?.EndsWith('/') == true;
        var node = await kubelet.NodeLocationAsync(info.Name, cancellationToken).ConfigureAwait(false);
        var location = new Uri(node, "/" + rest + (trailingSlash ? "/" : "") + context.Request.QueryString.Value);
        if (UpgradeAwareProxy.IsUpgradeRequest(context))
        {
            await UpgradeAwareProxy.ProxyAsync(context, kubelet, location, cancellationToken).ConfigureAwait(false);
            return;
        }

        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), location);
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            request.Content = new StreamContent(context.Request.Body);
        }

        foreach (var (name, values) in context.Request.Headers)
        {
            if (HopByHop.Contains(name) || name.StartsWith("Impersonate-", StringComparison.OrdinalIgnoreCase) || name.StartsWith(':'))
            {
                continue;
            }

            if (!request.Headers.TryAddWithoutValidation(name, values.ToArray()))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }

        HttpResponseMessage response;
        try
        {
            response = await kubelet.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw StatusException.NewServiceUnavailable($"error trying to reach service: {e.GetBaseException().Message}");
        }

        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (!HopByHop.Contains(name))
                {
                    context.Response.Headers[name] = values.ToArray();
                }
            }

            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await body.CopyToAsync(context.Response.Body, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
        }
    }
}
