using System.Text;
using Microsoft.AspNetCore.Http;

namespace ApiServer.Endpoints;

/// <summary>
/// Warnings for the client, sent as <c>Warning: 299 - "text"</c> headers (RFC 7234 warn-code 299,
/// no agent), as k8s.io/apiserver's warning recorder does; kubectl prints each as "Warning: text".
/// Duplicates are sent once. Safe to call from parallel webhook calls.
/// </summary>
internal static class ResponseWarnings
{
    public static Action<string> For(HttpContext context)
    {
        var sent = new HashSet<string>(StringComparer.Ordinal);
        return text =>
        {
            lock (sent)
            {
                if (text.Length == 0 || context.Response.HasStarted || !sent.Add(text))
                {
                    return;
                }

                context.Response.Headers.Append("Warning", Format(text));
            }
        };
    }

    /// <summary>The header value: the text as an HTTP quoted-string, control characters dropped.</summary>
    public static string Format(string text)
    {
        var builder = new StringBuilder("299 - \"", text.Length + 10);
        foreach (var c in text)
        {
            if (c is '"' or '\\')
            {
                builder.Append('\\').Append(c);
            }
            else if (!char.IsControl(c) || c == '\t')
            {
                builder.Append(c);
            }
        }

        return builder.Append('"').ToString();
    }
}
