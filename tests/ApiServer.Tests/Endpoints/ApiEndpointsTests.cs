using ApiMachinery.Errors;
using ApiServer.Endpoints;
using ApiServer.Filters;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace ApiServer.Tests.Endpoints;

/// <summary>
/// The resource routes (ApiEndpoints) through ASP.NET Core routing, with the real RawPath and
/// RequestInfo filters: every path shape reaches a resource route, and the RequestInfo built from the
/// route's metadata and values is the one kube's parser (RequestInfo.Parse) makes of the path.
/// </summary>
public sealed class ApiEndpointsTests
{
    private readonly RequestDelegate _pipeline;
    private readonly IServiceProvider _services;
    private RequestInfo? _routed;
    private bool _fellBack;

    public ApiEndpointsTests()
    {
        var services = new ServiceCollection().AddRouting().AddLogging();
        services.AddSingleton(new System.Diagnostics.DiagnosticListener("ApiEndpointsTests"));
        _services = services.BuildServiceProvider();
        var app = new ApplicationBuilder(_services);
        app.UseMiddleware<RawPathFilter>();
        app.UseRouting();
        app.UseMiddleware<RequestInfoFilter>();
        app.UseEndpoints(endpoints =>
        {
            ApiEndpoints.MapResources(endpoints, context =>
            {
                _routed = ApiRequestFeature.Get(context).Info;
                return Task.CompletedTask;
            });
            endpoints.MapFallback("{**path}", context =>
            {
                _fellBack = true;
                return Task.CompletedTask;
            });
        });
        _pipeline = app.Build();
    }

    private async Task<(RequestInfo? Routed, RequestInfo Parsed)> RouteAsync(string method, string path, string query = "", string? rawTarget = null)
    {
        _routed = null;
        _fellBack = false;
        var context = new DefaultHttpContext { RequestServices = _services };
        context.Request.Method = method;
        context.Request.Path = path;
        context.Request.QueryString = query.Length > 0 ? new QueryString("?" + query) : QueryString.Empty;
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = rawTarget ?? path + context.Request.QueryString;
        await _pipeline(context);
        Assert.True(_routed is not null || _fellBack, $"{method} {path}: neither a resource route nor the fallback ran");
        return (_routed, RequestInfo.Parse(method, context.Request.Path.Value!, context.Request.Query));
    }

    private static void AssertSame(RequestInfo expected, RequestInfo actual, string request)
    {
        Assert.True(
            (expected.IsResourceRequest, expected.Verb, expected.ApiPrefix, expected.ApiGroup, expected.ApiVersion, expected.Namespace, expected.Resource, expected.Name, expected.Subresource, expected.Path)
            == (actual.IsResourceRequest, actual.Verb, actual.ApiPrefix, actual.ApiGroup, actual.ApiVersion, actual.Namespace, actual.Resource, actual.Name, actual.Subresource, actual.Path),
            $"{request}: routed {actual} but kube's parser says {expected}");
        Assert.Equal(expected.Parts, actual.Parts);
    }

    private static readonly string[] Vocabulary = ["namespaces", "ns1", "pods", "status", "finalize", "watch", "scale", "x"];

    private static IEnumerable<string> Tails(int maxDepth)
    {
        IEnumerable<List<string>> Grow(List<string> prefix)
        {
            yield return prefix;
            if (prefix.Count == maxDepth)
            {
                yield break;
            }

            foreach (var word in Vocabulary)
            {
                foreach (var longer in Grow([.. prefix, word]))
                {
                    yield return longer;
                }
            }
        }

        return Grow([]).Select(parts => string.Concat(parts.Select(p => "/" + p)));
    }

    [Fact]
    public async Task EveryResourcePathShape_RoutesToAResourceRoute_WithKubesRequestInfo()
    {
        var checkedPaths = 0;
        foreach (var prefix in new[] { "/api/v1", "/apis/apps/v1" })
        {
            foreach (var tail in Tails(5))
            {
                var path = prefix + tail;
                var (routed, parsed) = await RouteAsync("GET", path);
                if (!parsed.IsResourceRequest)
                {
                    Assert.Null(routed);
                    continue;
                }

                Assert.True(routed is not null, $"GET {path} is a resource request but reached no resource route");
                AssertSame(parsed, routed, "GET " + path);
                checkedPaths++;
            }
        }

        Assert.True(checkedPaths > 50_000, $"only {checkedPaths} paths checked");
    }

    [Fact]
    public async Task EveryMethodAndWatchQuery_GivesKubesVerb()
    {
        foreach (var method in new[] { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" })
        {
            foreach (var query in new[] { "", "watch=true", "watch=1", "watch=false" })
            {
                foreach (var tail in Tails(3))
                {
                    var path = "/api/v1" + tail;
                    var (routed, parsed) = await RouteAsync(method, path, query);
                    if (parsed.IsResourceRequest)
                    {
                        Assert.True(routed is not null, $"{method} {path}?{query} reached no resource route");
                        AssertSame(parsed, routed, $"{method} {path}?{query}");
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData("GET", "/api/v1/namespaces/default/pods", "", "list", "default", "pods", "", "")]
    [InlineData("GET", "/api/v1/namespaces/default/pods", "watch=true", "watch", "default", "pods", "", "")]
    [InlineData("GET", "/api/v1/watch/namespaces/default/pods", "", "watch", "default", "pods", "", "")]
    [InlineData("GET", "/api/v1/watch/pods", "", "watch", "", "pods", "", "")]
    [InlineData("GET", "/api/v1/watch/namespaces/default/pods/web", "", "watch", "default", "pods", "web", "")]
    [InlineData("GET", "/api/v1/namespaces/default/pods/web", "watch=1", "watch", "default", "pods", "web", "")]
    [InlineData("PUT", "/api/v1/namespaces/default/pods/web/status", "", "update", "default", "pods", "web", "status")]
    [InlineData("POST", "/apis/apps/v1/namespaces/ns1/deployments", "", "create", "ns1", "deployments", "", "")]
    [InlineData("DELETE", "/apis/apps/v1/namespaces/ns1/deployments", "", "deletecollection", "ns1", "deployments", "", "")]
    [InlineData("DELETE", "/api/v1/namespaces/ns1", "", "delete", "", "namespaces", "ns1", "")]
    [InlineData("PUT", "/api/v1/namespaces/ns1/finalize", "", "update", "", "namespaces", "ns1", "finalize")]
    [InlineData("PUT", "/api/v1/namespaces/ns1/status", "", "update", "", "namespaces", "ns1", "status")]
    [InlineData("GET", "/api/v1/namespaces", "", "list", "", "namespaces", "", "")]
    [InlineData("PATCH", "/api/v1/nodes/n1", "", "patch", "", "nodes", "n1", "")]
    [InlineData("POST", "/api/v1/namespaces/ns1/pods/web/binding", "", "create", "ns1", "pods", "web", "binding")]
    [InlineData("GET", "/apis/example.com/v1/namespaces/ns1/widgets/w1/scale", "", "get", "ns1", "widgets", "w1", "scale")]
    public async Task ResourcePaths_RouteWithTheirVerbScopeAndNames(string method, string path, string query, string verb, string ns, string resource, string name, string subresource)
    {
        var (routed, parsed) = await RouteAsync(method, path, query);
        Assert.NotNull(routed);
        Assert.Equal((verb, ns, resource, name, subresource), (routed.Verb, routed.Namespace, routed.Resource, routed.Name, routed.Subresource));
        AssertSame(parsed, routed, $"{method} {path}");
    }

    [Theory]
    [InlineData("/api")]
    [InlineData("/apis")]
    [InlineData("/apis/apps")]
    [InlineData("/api/v1")]
    [InlineData("/apis/apps/v1")]
    [InlineData("/version")]
    [InlineData("/healthz/etcd")]
    [InlineData("/openapi/v3/apis/apps/v1")]
    [InlineData("/api/v2/pods")]
    [InlineData("/api/v1/namespaces//pods")]
    public async Task OtherPaths_ReachNoResourceRoute(string path)
    {
        var (routed, _) = await RouteAsync("GET", path);
        Assert.Null(routed);
    }

    [Theory]
    [InlineData("/api/v1/pods/", "pods", "")]
    [InlineData("/api/v1/namespaces/ns1/pods/web/", "pods", "web")]
    public async Task TrailingSlash_IsTheSamePath(string path, string resource, string name)
    {
        var (routed, parsed) = await RouteAsync("GET", path);
        Assert.NotNull(routed);
        Assert.Equal((resource, name), (routed.Resource, routed.Name));
        AssertSame(parsed, routed, path);
    }

    [Fact]
    public async Task EncodedDotSegments_StayInThePath()
    {
        // What Kestrel would hand over (dot segments removed) and what the client sent.
        var (routed, _) = await RouteAsync("GET", "/api/v1/namespaces/x/secrets/s", rawTarget: "/api/v1/namespaces/x/configmaps/%2e%2e/secrets/s?pretty=1");
        Assert.NotNull(routed);
        Assert.Equal(("x", "configmaps", "..", "secrets", 4), (routed.Namespace, routed.Resource, routed.Name, routed.Subresource, routed.Parts.Count));
        Assert.Equal("/api/v1/namespaces/x/configmaps/../secrets/s", routed.Path);
    }

    [Fact]
    public async Task LiteralDotSegments_StayInThePath()
    {
        var (routed, _) = await RouteAsync("GET", "/api/v1/namespaces/x/secrets/s", rawTarget: "/api/v1/namespaces/x/configmaps/../secrets/s");
        Assert.NotNull(routed);
        Assert.Equal(("configmaps", ".."), (routed.Resource, routed.Name));
    }

    [Fact]
    public async Task EncodedSlash_SeparatesSegments_AsGoDecodesIt()
    {
        var (routed, _) = await RouteAsync("GET", "/api/v1/namespaces/x/configmaps/a%2Fb", rawTarget: "/api/v1/namespaces/x/configmaps/a%2Fb");
        Assert.NotNull(routed);
        Assert.Equal(("configmaps", "a", "b"), (routed.Resource, routed.Name, routed.Subresource));
    }

    [Theory]
    [InlineData("/a/%2e%2e/b", "/a/../b")]
    [InlineData("/a/%2E/b", "/a/./b")]
    [InlineData("/a%2Fb", "/a/b")]
    [InlineData("/caf%C3%A9", "/café")]
    [InlineData("/bad%FF", "/bad\uFFFD")]
    [InlineData("/plain+space", "/plain+space")]
    [InlineData("/no-escapes", "/no-escapes")]
    public void GoPath_DecodesEveryEscape(string raw, string expected) =>
        Assert.Equal(expected, GoPath.Unescape(raw));

    [Theory]
    [InlineData("/a%zz")]
    [InlineData("/a%2")]
    [InlineData("/a%")]
    public void GoPath_RefusesMalformedEscapes(string raw)
    {
        var error = Assert.Throws<StatusException>(() => GoPath.Unescape(raw));
        Assert.Equal(400, error.Code);
        Assert.StartsWith("invalid URL escape \"%", error.Status.Message);
    }
}
