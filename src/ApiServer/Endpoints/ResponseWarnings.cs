using System.Text;
using Microsoft.AspNetCore.Http;

namespace ApiServer.Endpoints;

/// <summary>
/// Warnings for the client, sent as <c>Warning: 299 - "text"</c> headers (RFC 7234 warn-code 299,
/// no agent), as k8s.io/apiserver's warning recorder does; kubectl prints each as "Warning: text".
/// Duplicates are sent once. Safe to call from parallel webhook calls. The text goes out as UTF-8,
/// as Go's net/http writes it (Kestrel is told so for this header); like kube, a text with control
/// characters is not sent at all.
/// </summary>
internal static class ResponseWarnings
{
    public const string Header = "Warning";

    public static Action<string> For(HttpContext context)
    {
        var sent = new HashSet<string>(StringComparer.Ordinal);
        return text =>
        {
            lock (sent)
            {
                if (text.Length == 0 || context.Response.HasStarted || !sent.Add(text) || Format(text) is not { } header)
                {
                    return;
                }

                context.Response.Headers.Append(Header, header);
            }
        };
    }

    /// <summary>
    /// The header value: the text as an HTTP quoted-string (kube's net.NewWarningHeader), or null for
    /// text kube would not send (control characters, or text that is not valid Unicode).
    /// </summary>
    public static string? Format(string text)
    {
        var builder = new StringBuilder("299 - \"", text.Length + 10);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c) || (char.IsHighSurrogate(c) && (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])))
                || (char.IsLowSurrogate(c) && (i == 0 || !char.IsHighSurrogate(text[i - 1]))))
            {
                return null;
            }

            if (c is '"' or '\\')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        return builder.Append('"').ToString();
    }
}
