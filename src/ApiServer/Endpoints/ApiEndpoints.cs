using ApiMachinery.Errors;
using ApiServer.Discovery;
using ApiServer.Endpoints.Handlers;
using ApiServer.Health;
using ApiServer.OpenApi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ApiServer.Endpoints;

/// <summary>
/// Endpoint metadata of a resource route: which of kube-apiserver's path shapes matched. The
/// RequestInfo filter reads it (with the route values) instead of splitting the path again.
/// </summary>
/// <param name="Core">/api/v1 (the core group) rather than /apis/{group}/{version}.</param>
/// <param name="Namespaced">The path names a namespace: namespaces/{namespace}/{resource}/...</param>
/// <param name="LegacyWatch">Under the legacy /watch/ prefix: every verb is watch.</param>
/// <param name="Resource">A resource the pattern spells out (namespaces/{name}/status), else the {resource} value.</param>
/// <param name="Subresource">A subresource the pattern spells out, else the {subresource} value.</param>
internal sealed record ResourceRoute(bool Core, bool Namespaced, bool LegacyWatch, string? Resource = null, string? Subresource = null);

/// <summary>
/// The REST surface as ASP.NET Core Minimal API endpoints, in kube-apiserver's path shapes: route groups
/// <c>/api/v1</c> and <c>/apis/{group}/{version}</c> with cluster- and namespace-scoped collections,
/// objects and subresources and the legacy <c>/watch/</c> paths, all handed to
/// <see cref="ResourceHandler"/>; and the non-resource endpoints (version, discovery, OpenAPI, health).
/// Resource routes are patterns, never one route per resource: the handler resolves group, version and
/// resource against the registry at request time, so custom resources served later take the same routes.
/// A path no route matches gets the fallback's 404 Status, after authorization, as kube-apiserver's mux
/// answers it after its filters.
/// </summary>
internal static class ApiEndpoints
{
    public static void MapKubernetesApi(this IEndpointRouteBuilder app)
    {
        var resources = app.ServiceProvider.GetRequiredService<ResourceHandler>();
        var discovery = app.ServiceProvider.GetRequiredService<DiscoveryEndpoints>();
        var openApi = app.ServiceProvider.GetRequiredService<OpenApiDocuments>();
        var health = app.ServiceProvider.GetRequiredService<HealthEndpoints>();
        var version = app.ServiceProvider.GetRequiredService<VersionInfo>();

        MapResources(app, context => resources.HandleAsync(context, ApiRequestFeature.Get(context).Info, context.RequestAborted));

        // Discovery: /api, /api/v1, /apis, /apis/{group}, /apis/{group}/{version}.
        var discover = Get((context, path) => discovery.TryHandleAsync(context, path));
        foreach (var pattern in new[] { "/api", "/api/v1", "/apis", "/apis/{group}", "/apis/{group}/{version}" })
        {
            app.Map(pattern, discover);
        }

        var documents = Get(openApi.TryHandleAsync);
        foreach (var pattern in new[] { "/openapi/v2", "/openapi/v3", "/openapi/v3/{**document}" })
        {
            app.Map(pattern, documents);
        }

        var checks = Get(health.TryHandleAsync);
        foreach (var endpoint in new[] { "/healthz", "/livez", "/readyz" })
        {
            app.Map(endpoint, checks);
            app.Map(endpoint + "/{**check}", checks);
        }

        app.Map("/metrics", Get(health.TryHandleAsync));
        app.Map("/version", Get(version.TryHandleAsync));
        app.MapFallback("{**path}", NotFound);
    }

    /// <summary>
    /// The resource routes under both API prefixes, each handing the request to <paramref name="handler"/>
    /// (separate from <see cref="MapKubernetesApi"/> so tests can route without the handlers). Every HTTP
    /// method maps to the same endpoint: the verb comes from the method and the shape, as kube-apiserver's
    /// RequestInfo has it, and a method a resource does not serve is the handler's 405 Status.
    /// </summary>
    public static void MapResources(IEndpointRouteBuilder app, RequestDelegate handler)
    {
        MapShapes(app.MapGroup("/api/v1"), core: true, handler);
        MapShapes(app.MapGroup("/apis/{group}/{version}"), core: false, handler);
    }

    private static void MapShapes(RouteGroupBuilder api, bool core, RequestDelegate handler)
    {
        void Route(RouteGroupBuilder group, string pattern, ResourceRoute route) =>
            group.Map(pattern, handler).WithMetadata(route);

        // /watch/... is the legacy form of ?watch=true; the paths under it are the same shapes.
        Route(api, "watch", new ResourceRoute(core, Namespaced: false, LegacyWatch: true, Resource: ""));
        foreach (var (prefix, watch) in new[] { (api, false), (api.MapGroup("watch"), true) })
        {
            // Cluster-scoped collections and objects (and namespaced resources across all namespaces).
            var cluster = new ResourceRoute(core, Namespaced: false, watch);
            Route(prefix, "{resource}", cluster);
            Route(prefix, "{resource}/{name}", cluster);
            Route(prefix, "{resource}/{name}/{subresource}", cluster);
            Route(prefix, "{resource}/{name}/{subresource}/{**path}", cluster);

            // Namespaced collections and objects.
            var namespaced = new ResourceRoute(core, Namespaced: true, watch);
            Route(prefix, "namespaces/{namespace}/{resource}", namespaced);
            Route(prefix, "namespaces/{namespace}/{resource}/{name}", namespaced);
            Route(prefix, "namespaces/{namespace}/{resource}/{name}/{subresource}", namespaced);
            Route(prefix, "namespaces/{namespace}/{resource}/{name}/{subresource}/{**path}", namespaced);

            // A namespace's own subresources, which the namespaced shape would otherwise read as a
            // resource named "status" in that namespace.
            foreach (var subresource in new[] { "status", "finalize" })
            {
                var own = new ResourceRoute(core, Namespaced: false, watch, Resource: "namespaces", Subresource: subresource);
                Route(prefix, $"namespaces/{{name}}/{subresource}", own);
                Route(prefix, $"namespaces/{{name}}/{subresource}/{{**path}}", own);
            }
        }
    }

    /// <summary>A GET (or HEAD) endpoint over one of the TryHandle methods; anything else, or a path it does not know, is 404.</summary>
    private static RequestDelegate Get(Func<HttpContext, string, Task<bool>> tryHandle) => async context =>
    {
        var handled = context.Request.Method is "GET" or "HEAD"
            && await tryHandle(context, ApiRequestFeature.Get(context).Info.Path).ConfigureAwait(false);
        if (!handled)
        {
            throw StatusException.NewGenericNotFound();
        }
    };

    private static Task NotFound(HttpContext context) => throw StatusException.NewGenericNotFound();
}
