using ApiServer.Registry;
using Microsoft.AspNetCore.Http;

namespace ApiServer.Discovery;

/// <summary>
/// Serves discovery. /api and /apis answer in the aggregated format when the Accept header asks
/// for it; client-go picks its parser from our Content-Type, so it must echo the parameters exactly.
/// </summary>
internal sealed class DiscoveryEndpoints(RegistryCatalog registry, string serverAddress)
{
    // The documents of the snapshot last asked about; a new snapshot (CRDs changed) renders new ones.
    private volatile Rendered? _rendered;

    private DiscoveryDocuments Documents
    {
        get
        {
            var table = registry.Table;
            var rendered = _rendered;
            if (rendered is null || rendered.Table != table)
            {
                rendered = new Rendered(table, new DiscoveryDocuments(table, serverAddress));
                _rendered = rendered;
            }

            return rendered.Documents;
        }
    }

    /// <returns>false when the path is not a discovery path.</returns>
    public async Task<bool> TryHandleAsync(HttpContext context, string path)
    {
        path = path.TrimEnd('/');
        var documents = Documents;
        if (path is "/api" or "/apis")
        {
            var accept = context.Request.Headers.Accept.ToString();
            var aggregated = PreferredAggregatedVersion(accept);
            if (aggregated is not null)
            {
                var core = path == "/api";
                var body = aggregated == "v2"
                    ? (core ? documents.CoreAggregated : documents.GroupsAggregated)
                    : (core ? documents.CoreAggregatedV2Beta1 : documents.GroupsAggregatedV2Beta1);
                context.Response.Headers.ETag = core ? documents.CoreETag : documents.GroupsETag;
                context.Response.Headers.Vary = "Accept";
                await WriteAsync(context, body, aggregated == "v2" ? DiscoveryDocuments.AggregatedV2 : DiscoveryDocuments.AggregatedV2Beta1).ConfigureAwait(false);
                return true;
            }
        }

        var legacy = documents.Legacy(path);
        if (legacy is null)
        {
            return false;
        }

        await WriteAsync(context, legacy, "application/json").ConfigureAwait(false);
        return true;
    }

    /// <summary>The first aggregated discovery version the client lists, or null for the legacy format.</summary>
    internal static string? PreferredAggregatedVersion(string accept)
    {
        foreach (var range in accept.Split(','))
        {
            var parameters = range.Split(';').Skip(1).Select(p => p.Trim()).ToArray();
            if (!parameters.Contains("as=APIGroupDiscoveryList") || !parameters.Contains("g=apidiscovery.k8s.io"))
            {
                continue;
            }

            if (parameters.Contains("v=v2"))
            {
                return "v2";
            }

            if (parameters.Contains("v=v2beta1"))
            {
                return "v2beta1";
            }
        }

        return null;
    }

    /// <summary>Discovery documents are negotiated answers like any other: a trailing newline, or indented for pretty output.</summary>
    private static Task WriteAsync(HttpContext context, byte[] body, string contentType) =>
        Endpoints.MediaTypes.WriteJsonAsync(context, 200, body, contentType);

    private sealed record Rendered(ResourceTable Table, DiscoveryDocuments Documents);
}
