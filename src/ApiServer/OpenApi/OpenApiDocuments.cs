using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ApiServer.Registry;
using Microsoft.AspNetCore.Http;

namespace ApiServer.OpenApi;

/// <summary>
/// A minimal OpenAPI v3: the /openapi/v3 index and one document per group/version listing each
/// resource's operations with x-kubernetes-group-version-kind. Its purpose today is kubectl's
/// validation probe: kubectl create/apply/replace look for a fieldValidation parameter on the
/// kind's PATCH operation and, finding it, leave validation to the server. Schemas come with the
/// OpenAPI issue; /openapi/v2 answers 404, which client-go handles.
/// </summary>
internal sealed class OpenApiDocuments
{
    private static readonly string[] WriteParameters = ["dryRun", "fieldManager", "fieldValidation"];

    private readonly Dictionary<string, (byte[] Body, string Hash)> _documents = new(StringComparer.Ordinal);
    private readonly byte[] _index;

    public OpenApiDocuments(ResourceTable table)
    {
        var paths = new JsonObject();
        foreach (var (key, gv) in DocumentKeys(table))
        {
            var body = ObjectCodec.Serialize(Document(gv, key));
            var hash = Convert.ToHexString(SHA512.HashData(body));
            _documents[key] = (body, hash);
            paths[key] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{key}?hash={hash}" };
        }

        _index = ObjectCodec.Serialize(new JsonObject { ["paths"] = paths });
    }

    /// <summary>The per group/version documents' keys ("api/v1", "apis/apps/v1"), core first.</summary>
    public static IEnumerable<(string Key, GroupVersionResources GroupVersion)> DocumentKeys(ResourceTable table) =>
        table.GroupVersions.Select(gv => (gv.Group.Length == 0 ? $"api/{gv.Version}" : $"apis/{gv.Group}/{gv.Version}", gv));

    public async Task<bool> TryHandleAsync(HttpContext context, string path)
    {
        if (path.TrimEnd('/') == "/openapi/v3")
        {
            context.Response.Headers.CacheControl = "no-cache, private";
            await WriteAsync(context, _index).ConfigureAwait(false);
            return true;
        }

        if (!path.StartsWith("/openapi/v3/", StringComparison.Ordinal) || !_documents.TryGetValue(path["/openapi/v3/".Length..].TrimEnd('/'), out var doc))
        {
            return false;
        }

        context.Response.Headers.ETag = $"\"{doc.Hash}\"";
        // A request naming the current hash may be cached for good; the index changes the hash.
        context.Response.Headers.CacheControl = context.Request.Query["hash"] == doc.Hash
            ? "public, immutable, max-age=31536000"
            : "no-cache, private";
        await WriteAsync(context, doc.Body).ConfigureAwait(false);
        return true;
    }

    private static JsonObject Document(GroupVersionResources gv, string key)
    {
        var paths = new JsonObject();
        foreach (var r in gv.Resources)
        {
            var gvk = new JsonObject { ["group"] = r.Group, ["kind"] = r.Kind, ["version"] = r.Version };
            var collection = r.Namespaced ? $"/{key}/namespaces/{{namespace}}/{r.Plural}" : $"/{key}/{r.Plural}";
            var item = new JsonObject();
            foreach (var (verb, method) in new[] { ("get", "get"), ("update", "put"), ("patch", "patch"), ("delete", "delete") })
            {
                if (r.Supports(verb))
                {
                    item[method] = Operation(verb + r.Kind, method, gvk, verb is "update" or "patch" ? WriteParameters : []);
                }
            }

            paths[collection + "/{name}"] = item;
            var list = new JsonObject();
            if (r.Supports("list"))
            {
                list["get"] = Operation("list" + r.Kind, "list", gvk, []);
            }

            if (r.Supports("create"))
            {
                list["post"] = Operation("create" + r.Kind, "post", gvk, WriteParameters);
            }

            paths[collection] = list;
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "unversioned" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = new JsonObject() },
        };
    }

    private static JsonObject Operation(string id, string action, JsonObject gvk, IEnumerable<string> queryParameters) => new()
    {
        ["operationId"] = id,
        ["parameters"] = new JsonArray(queryParameters.Select(p => (JsonNode)new JsonObject
        {
            ["name"] = p,
            ["in"] = "query",
            ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true },
        }).ToArray()),
        ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
        ["x-kubernetes-action"] = action,
        ["x-kubernetes-group-version-kind"] = gvk.DeepClone(),
    };

    private static async Task WriteAsync(HttpContext context, byte[] body)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }
}
