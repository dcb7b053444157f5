using ApiMachinery.Errors;
using ApiServer.Discovery;
using ApiServer.Endpoints.Handlers;
using ApiServer.Health;
using ApiServer.OpenApi;
using Microsoft.AspNetCore.Http;

namespace ApiServer.Endpoints;

/// <summary>
/// The terminal handler: resource requests go to the REST handlers, the rest to the non-resource
/// endpoints (version, discovery, OpenAPI, health); anything else is a 404 Status.
/// </summary>
internal sealed class ApiRouter(
    ResourceHandler resources,
    DiscoveryEndpoints discovery,
    OpenApiDocuments openApi,
    HealthEndpoints health,
    VersionInfo version)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var info = ApiRequestFeature.Get(context).Info;
        if (info.IsResourceRequest)
        {
            await resources.HandleAsync(context, info, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        var path = info.Path;
        var handled = context.Request.Method is "GET" or "HEAD" && (
            await health.TryHandleAsync(context, path).ConfigureAwait(false)
            || await discovery.TryHandleAsync(context, path).ConfigureAwait(false)
            || await openApi.TryHandleAsync(context, path).ConfigureAwait(false)
            || await version.TryHandleAsync(context, path).ConfigureAwait(false));
        if (!handled)
        {
            throw StatusException.NewGenericNotFound();
        }
    }
}
