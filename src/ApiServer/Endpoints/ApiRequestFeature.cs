using ApiMachinery.Authentication;
using Microsoft.AspNetCore.Http;

namespace ApiServer.Endpoints;

/// <summary>
/// Per-request state set by the first filters and read by everything after them (YARP's
/// IReverseProxyFeature pattern): what the request is about and who sent it.
/// </summary>
internal sealed class ApiRequestFeature(RequestInfo info)
{
    public RequestInfo Info { get; } = info;

    public UserInfo? User { get; set; }

    public static ApiRequestFeature Get(HttpContext context) =>
        context.Features.Get<ApiRequestFeature>() ?? throw new InvalidOperationException("the RequestInfo filter did not run");
}
