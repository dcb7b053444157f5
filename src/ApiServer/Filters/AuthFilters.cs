using ApiMachinery.Authentication;
using ApiMachinery.Errors;
using ApiServer.Authentication;
using ApiServer.Authorization;
using ApiServer.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ApiServer.Filters;

/// <summary>
/// kube-apiserver's WithAuthentication: UseAuthentication has run the default scheme (kube's union of
/// client certificates, bearer tokens and anonymous, Authentication/KubernetesAuthentication) and put
/// its principal on HttpContext.User; a request it did not authenticate (credentials that do not hold,
/// or none where anonymous is not allowed) is 401 with a Status.
/// </summary>
internal sealed class AuthenticationFilter(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context) =>
        context.User.Identity is UserIdentity ? next(context) : throw StatusException.NewUnauthorized("Unauthorized");
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
    private const string ImpersonationAuthenticationType = "Impersonation";

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
                // kube lists what was asked for, as Go prints []ObjectReference (%v), and answers 400.
                var requested = groups.Select(g => $"{{Group  {g}    }}")
                    .Concat(extra.SelectMany(e => e.Value.Select(v => $"{{UserExtra  {v}  authentication.k8s.io/v1  {e.Key}}}")))
                    .Concat(uid.Length > 0 ? [$"{{UID  {uid}  authentication.k8s.io/v1  }}"] : []);
                throw StatusException.NewBadRequest($"requested [{string.Join(' ', requested)}] without impersonating a user");
            }

            await next(context).ConfigureAwait(false);
            return;
        }

        var caller = context.KubernetesUser()!;
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

        // The impersonated user replaces the caller on HttpContext.User for everything after this filter.
        context.User = UserIdentity.Principal(new UserInfo(userName, impersonatedGroups, uid, extra.Count > 0 ? extra : null),
            userName == UserInfo.Anonymous ? null : ImpersonationAuthenticationType);
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
        var user = context.KubernetesUser()!;
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
