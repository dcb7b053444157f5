using System.Globalization;
using ApiMachinery.Text;
using ApiMachinery.Validation;

namespace ApiMachinery.Errors;

/// <summary>
/// An error that leaves the server as a metav1.Status (apierrors.StatusError). The factories mirror
/// k8s.io/apimachinery/pkg/api/errors (v0.32) field for field and word for word; where a Go factory
/// takes an error, these take its message.
/// </summary>
public sealed class StatusException : Exception
{
    /// <summary>The usual reason text of an optimistic-concurrency Conflict (registry.OptimisticLockErrorMsg).</summary>
    public const string OptimisticLockErrorMsg = "the object has been modified; please apply your changes to the latest version and try again";

    /// <summary>Expired LIST at a compacted revision.</summary>
    public const string ListTooOldMessage = "The resourceVersion for the provided list is too old.";

    /// <summary>Expired WATCH at a compacted revision (etcd3 watcher).</summary>
    public const string WatchTooOldMessage = "The resourceVersion for the provided watch is too old.";

    /// <summary>Expired continue token when no fresh token can be offered.</summary>
    public const string ContinueExpiredMessage = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.";

    /// <summary>Expired continue token; the Status carries a fresh token in metadata.continue.</summary>
    public const string InconsistentContinueMessage = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

    /// <summary>The cause message of a ResourceVersionTooLarge timeout.</summary>
    public const string TooLargeResourceVersionCauseMessage = "Too large resource version";

    public StatusException(ApiStatus status)
        : base(status.Message)
    {
        Status = status;
    }

    public StatusException(ApiStatus status, Exception? innerException)
        : base(status.Message, innerException)
    {
        Status = status;
    }

    public ApiStatus Status { get; }

    public int Code => Status.Code;

    public string Reason => Status.Reason;

    /// <summary>404 NotFound: <c>pods "x" not found</c>, <c>deployments.apps "x" not found</c>.</summary>
    public static StatusException NewNotFound(string group, string resource, string name) =>
        Failure(404, StatusReasons.NotFound, $"{Qualified(group, resource)} {GoText.Quote(name)} not found",
            new StatusDetails { Group = group, Kind = resource, Name = name });

    /// <summary>409 AlreadyExists: <c>pods "x" already exists</c>.</summary>
    public static StatusException NewAlreadyExists(string group, string resource, string name) =>
        Failure(409, StatusReasons.AlreadyExists, $"{Qualified(group, resource)} {GoText.Quote(name)} already exists",
            new StatusDetails { Group = group, Kind = resource, Name = name });

    /// <summary>409 AlreadyExists after generateName collided on every retry.</summary>
    public static StatusException NewGenerateNameConflict(string group, string resource, string name, int retryAfterSeconds) =>
        Failure(409, StatusReasons.AlreadyExists,
            $"{Qualified(group, resource)} {GoText.Quote(name)} already exists, the server was not able to generate a unique name for the object",
            new StatusDetails { Group = group, Kind = resource, Name = name, RetryAfterSeconds = retryAfterSeconds });

    /// <summary>401 Unauthorized; an empty reason reads "not authorized".</summary>
    public static StatusException NewUnauthorized(string reason) =>
        Failure(401, StatusReasons.Unauthorized, reason.Length == 0 ? "not authorized" : reason, null);

    /// <summary>
    /// 403 Forbidden: <c>pods "x" is forbidden: reason</c>, <c>pods is forbidden: reason</c> without a name,
    /// <c>forbidden: reason</c> without a resource.
    /// </summary>
    public static StatusException NewForbidden(string group, string resource, string name, string reason)
    {
        string message;
        if (group.Length == 0 && resource.Length == 0)
        {
            message = $"forbidden: {reason}";
        }
        else if (name.Length == 0)
        {
            message = $"{Qualified(group, resource)} is forbidden: {reason}";
        }
        else
        {
            message = $"{Qualified(group, resource)} {GoText.Quote(name)} is forbidden: {reason}";
        }
        return Failure(403, StatusReasons.Forbidden, message, new StatusDetails { Group = group, Kind = resource, Name = name });
    }

    /// <summary>
    /// The reason text the authorization filter puts in a 403 for a resource request:
    /// <c>User "u" cannot list resource "pods" in API group "" in the namespace "default"</c>
    /// (or <c>at the cluster scope</c>), with ": reason" appended when the authorizer gave one.
    /// Pass it to <see cref="NewForbidden"/> with the request's group, resource and name.
    /// </summary>
    public static string ForbiddenResourceMessage(string user, string verb, string group, string resource, string subresource, string ns, string authorizerReason = "")
    {
        var target = subresource.Length > 0 ? resource + "/" + subresource : resource;
        var message = ns.Length > 0
            ? $"User {GoText.Quote(user)} cannot {verb} resource {GoText.Quote(target)} in API group {GoText.Quote(group)} in the namespace {GoText.Quote(ns)}"
            : $"User {GoText.Quote(user)} cannot {verb} resource {GoText.Quote(target)} in API group {GoText.Quote(group)} at the cluster scope";
        return WithAuthorizerReason(SanitizeHtml(message), authorizerReason);
    }

    /// <summary>The 403 reason text for a non-resource request: <c>User "u" cannot get path "/foo"</c>.</summary>
    public static string ForbiddenPathMessage(string user, string verb, string path, string authorizerReason = "") =>
        WithAuthorizerReason(SanitizeHtml($"User {GoText.Quote(user)} cannot {verb} path {GoText.Quote(path)}"), authorizerReason);

    /// <summary>409 Conflict: <c>Operation cannot be fulfilled on pods "x": reason</c> (usually <see cref="OptimisticLockErrorMsg"/>).</summary>
    public static StatusException NewConflict(string group, string resource, string name, string reason) =>
        Failure(409, StatusReasons.Conflict, $"Operation cannot be fulfilled on {Qualified(group, resource)} {GoText.Quote(name)}: {reason}",
            new StatusDetails { Group = group, Kind = resource, Name = name });

    /// <summary>409 Conflict from server-side apply; causes are of type FieldManagerConflict.</summary>
    public static StatusException NewApplyConflict(IReadOnlyList<StatusCause> causes, string message) =>
        Failure(409, StatusReasons.Conflict, message, new StatusDetails { Causes = causes });

    /// <summary>410 Gone (deprecated in kube in favour of <see cref="NewResourceExpired"/>).</summary>
    public static StatusException NewGone(string message) => Failure(410, StatusReasons.Gone, message, null);

    /// <summary>410 Expired, e.g. a too old resourceVersion or continue token.</summary>
    public static StatusException NewResourceExpired(string message) => Failure(410, StatusReasons.Expired, message, null);

    /// <summary>410 Expired as the watch cache words it: <c>too old resource version: 5 (10)</c>.</summary>
    public static StatusException NewTooOldResourceVersion(long requested, long oldestAvailableMinusOne) =>
        NewResourceExpired(string.Create(CultureInfo.InvariantCulture, $"too old resource version: {requested} ({oldestAvailableMinusOne})"));

    /// <summary>
    /// 422 Invalid: <c>Pod "x" is invalid: spec.containers: Required value</c> for one error,
    /// <c>Pod "x" is invalid: [a, b]</c> for several; one cause per error (duplicates kept in causes).
    /// details.kind is the Kind, not the resource.
    /// </summary>
    public static StatusException NewInvalid(string group, string kind, string name, IReadOnlyList<FieldError> errors)
    {
        var causes = errors.Select(e => new StatusCause(e.CauseType, e.ErrorBody(), e.Field)).ToList();
        var aggregate = FieldError.Aggregate(errors);
        var message = aggregate.Length == 0
            ? $"{Qualified(group, kind)} {GoText.Quote(name)} is invalid"
            : $"{Qualified(group, kind)} {GoText.Quote(name)} is invalid: {aggregate}";
        return Failure(422, StatusReasons.Invalid, message, new StatusDetails { Group = group, Kind = kind, Name = name, Causes = causes });
    }

    /// <summary>400 BadRequest with the given message and no details.</summary>
    public static StatusException NewBadRequest(string reason) => Failure(400, StatusReasons.BadRequest, reason, null);

    /// <summary>429 TooManyRequests; details always present, retryAfterSeconds only when positive.</summary>
    public static StatusException NewTooManyRequests(string message, int retryAfterSeconds) =>
        Failure(429, StatusReasons.TooManyRequests, message, new StatusDetails { RetryAfterSeconds = retryAfterSeconds });

    /// <summary>429 with <c>Too many requests: message</c> and no details (apierrors.NewTooManyRequestsError).</summary>
    public static StatusException NewTooManyRequestsError(string message) =>
        Failure(429, StatusReasons.TooManyRequests, $"Too many requests: {message}", null);

    /// <summary>503 ServiceUnavailable.</summary>
    public static StatusException NewServiceUnavailable(string reason) => Failure(503, StatusReasons.ServiceUnavailable, reason, null);

    /// <summary>405 for a verb a resource does not offer: <c>create is not supported on resources of kind "pods"</c>.</summary>
    public static StatusException NewMethodNotSupported(string group, string resource, string action) =>
        Failure(405, StatusReasons.MethodNotAllowed, $"{action} is not supported on resources of kind {GoText.Quote(Qualified(group, resource))}",
            new StatusDetails { Group = group, Kind = resource });

    /// <summary>
    /// 405 for an HTTP method no route accepts (what go-restful's handler answers):
    /// <c>the server does not allow this method on the requested resource</c>, with empty details.
    /// </summary>
    public static StatusException NewMethodNotAllowed() => NewGenericServerResponse(405, "", "", "", "", "", 0, false);

    /// <summary>
    /// 404 for a path no route serves under /api or /apis: <c>the server could not find the requested resource</c>,
    /// reason NotFound, <c>"details":{}</c>.
    /// </summary>
    public static StatusException NewGenericNotFound() => NewGenericServerResponse(404, "", "", "", "", "", 0, false);

    /// <summary>500 ServerTimeout: <c>The get operation against pods could not be completed at this time, please try again.</c></summary>
    public static StatusException NewServerTimeout(string group, string resource, string operation, int retryAfterSeconds) =>
        Failure(500, StatusReasons.ServerTimeout,
            $"The {operation} operation against {Qualified(group, resource)} could not be completed at this time, please try again.",
            new StatusDetails { Group = group, Kind = resource, Name = operation, RetryAfterSeconds = retryAfterSeconds });

    /// <summary>
    /// 500 without a reason and the message as it is: what kube's ErrorToAPIStatus makes of an error that
    /// is no API status (a failed conversion webhook: kubectl prints "Error from server: ...").
    /// </summary>
    public static StatusException NewUnknown(string message) => Failure(500, "", message, null);

    /// <summary>500 InternalError: <c>Internal error occurred: message</c>, with the message as the only cause.</summary>
    public static StatusException NewInternalError(string message) =>
        Failure(500, StatusReasons.InternalError, $"Internal error occurred: {message}",
            new StatusDetails { Causes = [new StatusCause(Message: message)] });

    /// <summary>
    /// 504 Timeout: <c>Timeout: message</c>; details always present (retryAfterSeconds only when positive),
    /// with an optional cause.
    /// </summary>
    public static StatusException NewTimeout(string message, int retryAfterSeconds, StatusCause? cause = null) =>
        Failure(504, StatusReasons.Timeout, $"Timeout: {message}",
            new StatusDetails { RetryAfterSeconds = retryAfterSeconds, Causes = cause is null ? [] : [cause] });

    /// <summary>
    /// 504 for a read at a resourceVersion the server has not reached yet:
    /// <c>Timeout: Too large resource version: 20, current: 10</c> with cause ResourceVersionTooLarge.
    /// </summary>
    public static StatusException NewTooLargeResourceVersion(long minimumResourceVersion, long currentResourceVersion, int retryAfterSeconds) =>
        NewTimeout(
            string.Create(CultureInfo.InvariantCulture, $"Too large resource version: {minimumResourceVersion}, current: {currentResourceVersion}"),
            retryAfterSeconds,
            new StatusCause(CauseTypes.ResourceVersionTooLarge, TooLargeResourceVersionCauseMessage));

    /// <summary>413: <c>Request entity too large: message</c> (the body limit words it <c>limit is 3145728</c>).</summary>
    public static StatusException NewRequestEntityTooLarge(string message) =>
        Failure(413, StatusReasons.RequestEntityTooLarge, $"Request entity too large: {message}", null);

    /// <summary>406: <c>only the following media types are accepted: a, b</c>.</summary>
    public static StatusException NewNotAcceptable(IEnumerable<string> acceptedMediaTypes) =>
        Failure(406, StatusReasons.NotAcceptable, $"only the following media types are accepted: {string.Join(", ", acceptedMediaTypes)}", null);

    /// <summary>406 with its own message: a transformation that does not fit the answer (kube's errNotAcceptable).</summary>
    public static StatusException NewNotAcceptableMessage(string message) =>
        Failure(406, StatusReasons.NotAcceptable, message, null);

    /// <summary>406 when converting to a target such as a Table: <c>only the following media types are accepted when converting to Table: ...</c>.</summary>
    public static StatusException NewNotAcceptableConversion(string target, IEnumerable<string> acceptedMediaTypes) =>
        Failure(406, StatusReasons.NotAcceptable,
            $"only the following media types are accepted when converting to {target}: {string.Join(", ", acceptedMediaTypes)}", null);

    /// <summary>415: <c>the body of the request was in an unknown format - accepted media types include: a, b</c>.</summary>
    public static StatusException NewUnsupportedMediaType(IEnumerable<string> acceptedMediaTypes) =>
        Failure(415, StatusReasons.UnsupportedMediaType,
            $"the body of the request was in an unknown format - accepted media types include: {string.Join(", ", acceptedMediaTypes)}", null);

    /// <summary>
    /// apierrors.NewGenericServerResponse: a Status for a bare HTTP code, with kube's stock message per code;
    /// details are always present (possibly empty).
    /// </summary>
    public static StatusException NewGenericServerResponse(int code, string verb, string group, string resource, string name,
        string serverMessage, int retryAfterSeconds, bool isUnexpectedResponse)
    {
        var reason = StatusReasons.Unknown;
        var message = string.Create(CultureInfo.InvariantCulture, $"the server responded with the status code {code} but did not return more information");
        switch (code)
        {
            case 409:
                reason = verb == "POST" ? StatusReasons.AlreadyExists : StatusReasons.Conflict;
                message = "the server reported a conflict";
                break;
            case 404:
                reason = StatusReasons.NotFound;
                message = "the server could not find the requested resource";
                break;
            case 400:
                reason = StatusReasons.BadRequest;
                message = "the server rejected our request for an unknown reason";
                break;
            case 401:
                reason = StatusReasons.Unauthorized;
                message = "the server has asked for the client to provide credentials";
                break;
            case 403:
                reason = StatusReasons.Forbidden;
                message = serverMessage;
                break;
            case 406:
                reason = StatusReasons.NotAcceptable;
                message = serverMessage.Length == 0 || serverMessage == "unknown"
                    ? "the server was unable to respond with a content type that the client supports"
                    : serverMessage;
                break;
            case 415:
                reason = StatusReasons.UnsupportedMediaType;
                message = serverMessage;
                break;
            case 405:
                reason = StatusReasons.MethodNotAllowed;
                message = "the server does not allow this method on the requested resource";
                break;
            case 422:
                reason = StatusReasons.Invalid;
                message = "the server rejected our request due to an error in our request";
                break;
            case 503:
                reason = StatusReasons.ServiceUnavailable;
                message = "the server is currently unable to handle the request";
                break;
            case 504:
                reason = StatusReasons.Timeout;
                message = "the server was unable to return a response in the time allotted, but may still be processing the request";
                break;
            case 429:
                reason = StatusReasons.TooManyRequests;
                message = "the server has received too many requests and has asked us to try again later";
                break;
            default:
                if (code >= 500)
                {
                    reason = StatusReasons.InternalError;
                    message = $"an error on the server ({GoText.Quote(serverMessage)}) has prevented the request from succeeding";
                }
                break;
        }
        var hasResource = group.Length > 0 || resource.Length > 0;
        if (hasResource && name.Length > 0)
        {
            message = $"{message} ({verb.ToLowerInvariant()} {Qualified(group, resource)} {name})";
        }
        else if (hasResource)
        {
            message = $"{message} ({verb.ToLowerInvariant()} {Qualified(group, resource)})";
        }
        IReadOnlyList<StatusCause> causes = isUnexpectedResponse
            ? [new StatusCause(CauseTypes.UnexpectedServerResponse, serverMessage)]
            : [];
        return Failure(code, reason, message, new StatusDetails
        {
            Group = group,
            Kind = resource,
            Name = name,
            Causes = causes,
            RetryAfterSeconds = retryAfterSeconds,
        });
    }

    /// <summary>schema.GroupResource.String() / GroupKind.String(): <c>resource</c> or <c>resource.group</c>.</summary>
    public static string Qualified(string group, string resourceOrKind) =>
        group.Length == 0 ? resourceOrKind : resourceOrKind + "." + group;

    private static StatusException Failure(int code, string reason, string message, StatusDetails? details) =>
        new(new ApiStatus
        {
            Status = ApiStatus.StatusFailure,
            Code = code,
            Reason = reason,
            Message = message,
            Details = details,
        });

    // responsewriters' sanitizer: keeps 403 messages from looking like HTML.
    private static string SanitizeHtml(string message) =>
        message.Replace("&", "&amp;", StringComparison.Ordinal)
            .Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal);

    private static string WithAuthorizerReason(string message, string reason) =>
        reason.Length == 0 ? message : $"{message}: {reason}";
}
