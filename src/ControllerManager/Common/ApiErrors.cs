using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace ControllerManager.Common;

/// <summary>Reading the API server's answers to failed calls (apierrors.IsNotFound and friends, the Status message).</summary>
internal static class ApiErrors
{
    public static HttpStatusCode? Code(Exception e) => (e as HttpOperationException)?.Response?.StatusCode;

    public static bool IsNotFound(Exception e) => Code(e) == HttpStatusCode.NotFound;

    public static bool IsConflict(Exception e) => Code(e) == HttpStatusCode.Conflict;

    public static bool IsAlreadyExists(Exception e) => Code(e) == HttpStatusCode.Conflict && Status(e)?.Reason == "AlreadyExists";

    /// <summary>The Status the server answered with, if it answered with one.</summary>
    public static V1Status? Status(Exception e)
    {
        if (e is not HttpOperationException { Response.Content: { Length: > 0 } content })
        {
            return null;
        }

        try
        {
            return KubernetesJson.Deserialize<V1Status>(content);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>The server's message (what kube's controllers put in events and conditions), else the exception's.</summary>
    public static string Message(Exception e) => Status(e)?.Message ?? e.GetBaseException().Message;

    /// <summary>An error the namespace being deleted explains: creating there is pointless, not a failure to retry.</summary>
    public static bool IsNamespaceTerminating(Exception e) =>
        Status(e)?.Details?.Causes?.Any(c => c.Reason == "NamespaceTerminating") == true
        || (Code(e) == HttpStatusCode.Forbidden && Message(e).Contains("because it is being terminated", StringComparison.Ordinal));
}
