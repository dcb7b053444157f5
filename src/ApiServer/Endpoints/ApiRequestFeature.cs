using ApiMachinery.Authentication;
using ApiServer.Authentication;
using Microsoft.AspNetCore.Http;

namespace ApiServer.Endpoints;

/// <summary>
/// Per-request state set by the first filters and read by everything after them (YARP's
/// IReverseProxyFeature pattern): what the request is about, and who sent it.
/// </summary>
internal sealed class ApiRequestFeature(RequestInfo info, HttpContext context)
{
    public RequestInfo Info { get; } = info;

    /// <summary>
    /// The user of the <see cref="UserIdentity"/> on HttpContext.User (put there by authentication,
    /// replaced by impersonation); null before authentication.
    /// </summary>
    public UserInfo? User => context.KubernetesUser();

    public static ApiRequestFeature Get(HttpContext context) =>
        context.Features.Get<ApiRequestFeature>() ?? throw new InvalidOperationException("the RequestInfo filter did not run");
}
