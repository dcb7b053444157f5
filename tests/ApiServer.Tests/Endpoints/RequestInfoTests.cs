using ApiServer.Endpoints;
using Microsoft.AspNetCore.Http;

namespace ApiServer.Tests.Endpoints;

public sealed class RequestInfoTests
{
    [Theory]
    [InlineData("GET", "/api/v1/namespaces/default/pods", "", "list", "", "v1", "default", "pods", "", "")]
    [InlineData("GET", "/api/v1/namespaces/default/pods", "watch=true", "watch", "", "v1", "default", "pods", "", "")]
    [InlineData("GET", "/api/v1/watch/namespaces/default/pods", "", "watch", "", "v1", "default", "pods", "", "")]
    [InlineData("GET", "/api/v1/namespaces/default/pods/web", "", "get", "", "v1", "default", "pods", "web", "")]
    [InlineData("PUT", "/api/v1/namespaces/default/pods/web/status", "", "update", "", "v1", "default", "pods", "web", "status")]
    [InlineData("POST", "/apis/apps/v1/namespaces/ns1/deployments", "", "create", "apps", "v1", "ns1", "deployments", "", "")]
    [InlineData("DELETE", "/apis/apps/v1/namespaces/ns1/deployments", "", "deletecollection", "apps", "v1", "ns1", "deployments", "", "")]
    [InlineData("DELETE", "/api/v1/namespaces/ns1", "", "delete", "", "v1", "", "namespaces", "ns1", "")]
    [InlineData("PUT", "/api/v1/namespaces/ns1/finalize", "", "update", "", "v1", "", "namespaces", "ns1", "finalize")]
    [InlineData("GET", "/api/v1/namespaces", "", "list", "", "v1", "", "namespaces", "", "")]
    [InlineData("GET", "/api/v1/pods", "", "list", "", "v1", "", "pods", "", "")]
    [InlineData("PATCH", "/api/v1/nodes/n1", "", "patch", "", "v1", "", "nodes", "n1", "")]
    public void Parse_ResourcePaths(string method, string path, string query, string verb, string group, string version, string ns, string resource, string name, string subresource)
    {
        var info = RequestInfo.Parse(method, path, new QueryCollection(Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query)));
        Assert.True(info.IsResourceRequest);
        Assert.Equal((verb, group, version, ns, resource, name, subresource),
            (info.Verb, info.ApiGroup, info.ApiVersion, info.Namespace, info.Resource, info.Name, info.Subresource));
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/api")]
    [InlineData("/apis")]
    [InlineData("/apis/apps")]
    [InlineData("/api/v1")]
    [InlineData("/apis/apps/v1")]
    [InlineData("/openapi/v3")]
    public void Parse_DiscoveryAndOtherPaths_AreNotResourceRequests(string path) =>
        Assert.False(RequestInfo.Parse("GET", path, new QueryCollection()).IsResourceRequest);
}
