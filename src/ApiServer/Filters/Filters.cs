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

        // Warnings (from admission webhooks) reach the client with the error too, as kube's do.
        var warnings = context.Response.Headers.Warning;
        context.Response.Clear();
        context.Response.Headers["Audit-Id"] = Guid.NewGuid().ToString();
        if (warnings.Count > 0)
        {
            context.Response.Headers.Warning = warnings;
        }

        if (error.Status.Details?.RetryAfterSeconds is > 0 and var retryAfter)
        {
            context.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        // Errors are negotiated like any answer (a YAML Status for Accept: application/yaml) but
        // without transformations, JSON when nothing fits.
        var format = MediaTypes.ErrorFormat(context.Request);

        await MediaTypes.WriteAsync(context, error.Code, error.Status.ToJsonObject(), format).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = LogEvents.RequestFailed, Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    private static partial void LogRequestFailed(ILogger logger, string method, string path, Exception exception);
}

/// <summary>
/// What the request is about, once (WithRequestInfo). Routing has run: a resource route's metadata and
/// values give it directly; any other path (non-resource, or no route at all) is parsed as kube parses it.
/// </summary>
internal sealed class RequestInfoFilter(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        var info = context.GetEndpoint()?.Metadata.GetMetadata<ResourceRoute>() is { } route
            ? RequestInfo.FromRoute(request.Method, path, request.Query, route, request.RouteValues)
            : RequestInfo.Parse(request.Method, path, request.Query);
        context.Features.Set(new ApiRequestFeature(info, context));
        return next(context);
    }
}

/// <summary>
/// Routes on the request target as the client sent it, as kube-apiserver does (Go's URL.Path: every
/// %XX decoded, %2F included, and dot segments left alone). Kestrel removes dot segments before anything
/// sees the path, so <c>configmaps/%2e%2e/secrets/s</c> would have reached the secret; here it stays a
/// configmap named "..", which no route or key resolves to anything else.
/// </summary>
internal sealed class RawPathFilter(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var target = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget;
        if (target is { Length: > 0 } && target[0] == '/')
        {
            var query = target.IndexOf('?');
            var raw = query < 0 ? target.AsSpan() : target.AsSpan(0, query);
            // Nothing escaped and no dot segment: Kestrel's path is the raw one already.
            if (raw.IndexOf('%') >= 0 || raw.IndexOf("/.", StringComparison.Ordinal) >= 0)
            {
                context.Request.Path = new PathString(GoPath.Unescape(raw));
            }
        }

        return next(context);
    }
}
