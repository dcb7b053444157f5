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
/// The outermost filter: gives every response an Audit-Id and turns every failure into a
/// metav1.Status (kubectl does not read ProblemDetails). Nothing leaves as a bare 500 page.
/// </summary>
internal sealed partial class ErrorFilter(RequestDelegate next, ILogger<ErrorFilter> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        context.Response.Headers["Audit-Id"] = Guid.NewGuid().ToString();
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
        }
        catch (StatusException e)
        {
            await WriteStatusAsync(context, e).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            var status = e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? StatusException.NewRequestEntityTooLarge(e.Message)
                : StatusException.NewBadRequest(e.Message);
            await WriteStatusAsync(context, status).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogRequestFailed(logger, context.Request.Method, context.Request.Path, e);
            await WriteStatusAsync(context, StatusException.NewInternalError(e.Message)).ConfigureAwait(false);
        }
    }

    public static async Task WriteStatusAsync(HttpContext context, StatusException error)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.Clear();
        context.Response.Headers["Audit-Id"] = Guid.NewGuid().ToString();
        if (error.Status.Details?.RetryAfterSeconds is > 0 and var retryAfter)
        {
            context.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await MediaTypes.WriteAsync(context, error.Code, error.Status.ToJsonObject(), WireFormat.Json).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = LogEvents.RequestFailed, Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    private static partial void LogRequestFailed(ILogger logger, string method, string path, Exception exception);
}

/// <summary>Parses what the request is about, once (WithRequestInfo).</summary>
internal sealed class RequestInfoFilter(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var info = RequestInfo.Parse(context.Request.Method, context.Request.Path.Value ?? "/", context.Request.Query);
        context.Features.Set(new ApiRequestFeature(info));
        return next(context);
    }
}

/// <summary>
/// Runs the authenticators in order (x509 first, then tokens); the first that recognises
/// credentials decides. Without credentials a request is anonymous only on the public-info
/// endpoints; everywhere else it answers 401 with a Status.
/// </summary>
internal sealed partial class AuthenticationFilter(RequestDelegate next, IEnumerable<IAuthenticator> authenticators, ApiServerOptions options, ILogger<AuthenticationFilter> logger)
{
    private static readonly string[] PublicPrefixes = ["/healthz", "/livez", "/readyz", "/version"];

    private readonly IAuthenticator[] _authenticators = authenticators.ToArray();

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

        if (options.Authentication.AnonymousAuth && IsPublic(feature.Info.Path))
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

/// <summary>Asks the authorization modes in order; system:masters is always allowed (WithAuthorization).</summary>
internal sealed class AuthorizationFilter(RequestDelegate next, IEnumerable<IAuthorizer> authorizers)
{
    private readonly IAuthorizer[] _authorizers = authorizers.ToArray();

    public async Task InvokeAsync(HttpContext context)
    {
        var feature = ApiRequestFeature.Get(context);
        var user = feature.User!;
        if (!user.IsInGroup(UserInfo.SystemPrivilegedGroup) && user.Name != UserInfo.Anonymous)
        {
            foreach (var authorizer in _authorizers)
            {
                var (decision, reason) = await authorizer.AuthorizeAsync(user, feature.Info, context.RequestAborted).ConfigureAwait(false);
                if (decision == AuthorizationDecision.Allow)
                {
                    break;
                }

                if (decision == AuthorizationDecision.Deny)
                {
                    throw Forbidden(user, feature.Info, reason);
                }
            }
        }

        await next(context).ConfigureAwait(false);
    }

    private static StatusException Forbidden(UserInfo user, RequestInfo info, string reason)
    {
        var suffix = reason.Length > 0 ? ": " + reason : "";
        if (!info.IsResourceRequest)
        {
            return StatusException.NewForbidden("", "", "", $"User \"{user.Name}\" cannot {info.Verb} path \"{info.Path}\"{suffix}");
        }

        var scope = info.Namespace.Length > 0 ? $" in the namespace \"{info.Namespace}\"" : " at the cluster scope";
        var resource = info.Subresource.Length > 0 ? $"{info.Resource}/{info.Subresource}" : info.Resource;
        return StatusException.NewForbidden(info.ApiGroup, info.Resource, info.Name,
            $"User \"{user.Name}\" cannot {info.Verb} resource \"{resource}\" in API group \"{info.ApiGroup}\"{scope}{suffix}");
    }
}
