using ApiMachinery.Authentication;
using ApiMachinery.Errors;
using ApiServer.Authentication;
using ApiServer.Authorization;
using ApiServer.Endpoints;
using ApiServer.Options;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ApiServer.Filters;

/// <summary>
/// Runs the authenticators in order (x509 first, then bearer tokens); the first that recognises
/// credentials decides, and credentials that do not hold answer 401 (union.NewFailOnError).
/// Without credentials the request is system:anonymous when --anonymous-auth allows it. As in
/// kube-apiserver, AlwaysAllow authorization does not combine with anonymous requests: then they
/// are let through only to the public-info endpoints (/healthz, /livez, /readyz, /version), which
/// probes rely on, and are 401 everywhere else.
/// </summary>
internal sealed partial class AuthenticationFilter(RequestDelegate next, IEnumerable<IAuthenticator> authenticators, ApiServerOptions options, ILogger<AuthenticationFilter> logger)
{
    private static readonly string[] PublicPrefixes = ["/healthz", "/livez", "/readyz", "/version"];

    private readonly IAuthenticator[] _authenticators = authenticators.ToArray();

    private readonly bool _anonymousEverywhere = options.Authentication.AnonymousAuth
        && options.Authorization.EffectiveModes.Any(m => m != "AlwaysAllow");

    public async Task InvokeAsync(HttpContext context)
    {
        var feature = ApiRequestFeature.Get(context);
        foreach (var authenticator in _authenticators)
        {
            var result = await authenticator.AuthenticateAsync(context, context.RequestAborted).ConfigureAwait(false);
            if (result.User is not null)
            {
                feature.User = result.User;
                await next(context).ConfigureAwait(false);
                return;
            }

            if (result.Error is not null)
            {
                LogAuthenticationFailed(logger, result.Error);
                throw StatusException.NewUnauthorized("Unauthorized");
            }
        }

        if (_anonymousEverywhere || (options.Authentication.AnonymousAuth && IsPublic(feature.Info.Path)))
        {
            feature.User = UserInfo.AnonymousUser;
            await next(context).ConfigureAwait(false);
            return;
        }

        throw StatusException.NewUnauthorized("Unauthorized");
    }

    private static bool IsPublic(string path) =>
        PublicPrefixes.Any(p => path == p || path.StartsWith(p + "/", StringComparison.Ordinal));

    [LoggerMessage(EventId = LogEvents.AuthenticationFailed, Level = LogLevel.Information, Message = "Unable to authenticate the request: {Error}")]
    private static partial void LogAuthenticationFailed(ILogger logger, string error);
}

/// <summary>
/// Impersonation (k8s.io/apiserver pkg/endpoints/filters/impersonation.go): with
/// <c>Impersonate-User</c> (and optionally <c>Impersonate-Group</c>, <c>Impersonate-Uid</c>,
/// <c>Impersonate-Extra-*</c>) the request runs as that user, once the caller is allowed the
/// <c>impersonate</c> verb on each of users, groups, uids and userextras.
/// </summary>
internal sealed partial class ImpersonationFilter(RequestDelegate next, AuthorizerChain authorizer, ILogger<ImpersonationFilter> logger)
{
    private const string UserHeader = "Impersonate-User";
    private const string GroupHeader = "Impersonate-Group";
    private const string UidHeader = "Impersonate-Uid";
    private const string ExtraPrefix = "Impersonate-Extra-";

    public async Task InvokeAsync(HttpContext context)
    {
        var headers = context.Request.Headers;
        var userName = headers[UserHeader].ToString();
        var groups = headers[GroupHeader].Where(g => !string.IsNullOrEmpty(g)).Select(g => g!).ToList();
        var uid = headers[UidHeader].ToString();
        var extra = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (key, values) in headers)
        {
            if (key.StartsWith(ExtraPrefix, StringComparison.OrdinalIgnoreCase))
            {
                extra[Uri.UnescapeDataString(key[ExtraPrefix.Length..]).ToLowerInvariant()] = values.Select(v => v ?? "").ToArray();
            }
        }

        if (userName.Length == 0)
        {
            if (groups.Count > 0 || uid.Length > 0 || extra.Count > 0)
            {
                throw StatusException.NewInternalError("requested impersonation of groups, uid or extra without impersonating a user");
            }

            await next(context).ConfigureAwait(false);
            return;
        }

        var feature = ApiRequestFeature.Get(context);
        var caller = feature.User!;
        var serviceAccount = ServiceAccountNames.Split(userName);
        if (serviceAccount is { } sa)
        {
            await CheckAsync(caller, "serviceaccounts", "", sa.Namespace, sa.Name, context).ConfigureAwait(false);
        }
        else
        {
            await CheckAsync(caller, "users", "", "", userName, context).ConfigureAwait(false);
        }

        foreach (var group in groups)
        {
            await CheckAsync(caller, "groups", "", "", group, context).ConfigureAwait(false);
        }

        if (uid.Length > 0)
        {
            await CheckAsync(caller, "uids", "", "", uid, context).ConfigureAwait(false);
        }

        foreach (var (key, values) in extra)
        {
            foreach (var value in values)
            {
                await CheckAsync(caller, "userextras", key, "", value, context).ConfigureAwait(false);
            }
        }

        // kube adds system:authenticated (and the service-account groups) to whoever is impersonated.
        var impersonatedGroups = new List<string>(groups);
        if (serviceAccount is { } account)
        {
            impersonatedGroups.AddRange(ServiceAccountNames.Groups(account.Namespace));
        }

        if (userName != UserInfo.Anonymous && !impersonatedGroups.Contains(UserInfo.AllAuthenticated))
        {
            impersonatedGroups.Add(UserInfo.AllAuthenticated);
        }
        else if (userName == UserInfo.Anonymous && !impersonatedGroups.Contains(UserInfo.AllUnauthenticated))
        {
            impersonatedGroups.Add(UserInfo.AllUnauthenticated);
        }

        feature.User = new UserInfo(userName, impersonatedGroups, uid, extra.Count > 0 ? extra : null);
        foreach (var key in headers.Keys.Where(k => k.StartsWith("Impersonate-", StringComparison.OrdinalIgnoreCase)).ToArray())
        {
            headers.Remove(key);
        }

        await next(context).ConfigureAwait(false);
    }

    private async Task CheckAsync(UserInfo caller, string resource, string subresource, string ns, string name, HttpContext context)
    {
        var attributes = new AuthorizationAttributes
        {
            User = caller,
            Verb = "impersonate",
            IsResourceRequest = true,
            ApiGroup = resource is "serviceaccounts" ? "" : "authentication.k8s.io",
            Resource = resource,
            Subresource = subresource,
            Namespace = ns,
            Name = name,
        };
        var result = await authorizer.AuthorizeAsync(attributes, context.RequestAborted).ConfigureAwait(false);
        if (result.Decision != AuthorizationDecision.Allow)
        {
            LogDenied(logger, caller.Name, resource, name);
            throw StatusException.NewForbidden(attributes.ApiGroup, resource, name,
                StatusException.ForbiddenResourceMessage(caller.Name, "impersonate", attributes.ApiGroup, resource, subresource, ns, result.Reason));
        }
    }

    [LoggerMessage(EventId = LogEvents.ImpersonationDenied, Level = LogLevel.Information, Message = "{User} may not impersonate {Resource} {Name}")]
    private static partial void LogDenied(ILogger logger, string user, string resource, string name);
}

/// <summary>
/// Asks the authorizer chain (system:masters first, then the --authorization-mode modes); a
/// request nobody allows is 403 with kube-apiserver's message (WithAuthorization).
/// </summary>
internal sealed class AuthorizationFilter(RequestDelegate next, AuthorizerChain authorizer)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var feature = ApiRequestFeature.Get(context);
        var user = feature.User!;
        var result = await authorizer.AuthorizeAsync(AuthorizationAttributes.FromRequest(user, feature.Info), context.RequestAborted).ConfigureAwait(false);
        if (result.Decision != AuthorizationDecision.Allow)
        {
            throw Forbidden(user, feature.Info, result.Reason);
        }

        await next(context).ConfigureAwait(false);
    }

    public static StatusException Forbidden(UserInfo user, RequestInfo info, string reason) => info.IsResourceRequest
        ? StatusException.NewForbidden(info.ApiGroup, info.Resource, info.Name,
            StatusException.ForbiddenResourceMessage(user.Name, info.Verb, info.ApiGroup, info.Resource, info.Subresource, info.Namespace, reason))
        : StatusException.NewForbidden("", "", "", StatusException.ForbiddenPathMessage(user.Name, info.Verb, info.Path, reason));
}
