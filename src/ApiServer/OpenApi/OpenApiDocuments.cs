using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ApiServer.Registry;
using Microsoft.AspNetCore.Http;

namespace ApiServer.OpenApi;

/// <summary>
/// The OpenAPI documents, built once at start from the resource table and the schema facts:
/// /openapi/v3 (an index with hashes, and one document per group/version with each resource's
/// operations and the schemas its kinds need, served with an ETag and, when asked by hash, cached for
/// good) and /openapi/v2 (swagger 2.0: every path and definition; JSON, or gnostic's protobuf when the
/// client asks for <c>application/com.github.proto-openapi.spec.v2@v1.0+protobuf</c>, as client-go
/// does). kubectl reads them to explain kinds and to find the fieldValidation parameter that makes
/// it leave validation to the server.
/// </summary>
internal sealed class OpenApiDocuments
{
    private static readonly string[] WriteParameters = ["dryRun", "fieldManager", "fieldValidation"];

    public const string ProtobufV2 = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

    /// <summary>What the protobuf answer is labelled (Go's mime parser refuses the "@" form clients ask with).</summary>
    public const string ProtobufV2ContentType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

    private readonly Dictionary<string, (byte[] Body, string Hash)> _documents = new(StringComparer.Ordinal);
    private readonly byte[] _index;
    private readonly Lazy<(byte[] Json, byte[] Protobuf, string Hash)> _v2;

    public OpenApiDocuments(ResourceTable table)
    {
        var facts = ApiMachinery.Schema.SchemaFacts.Builtin;
        var served = table.All.Select(r => (r.Group, r.Version, r.Kind))
            .Concat(table.All.Where(r => r.Supports("list")).Select(r => (r.Group, r.Version, r.Kind + "List")))
            .ToArray();
        var kinds = OpenApiSchemas.KindsByDefinition(facts, served);
        var paths = new JsonObject();
        foreach (var (key, gv) in DocumentKeys(table))
        {
            var roots = gv.Resources
                .SelectMany(r => new[] { facts.ForKind(r.Group, r.Version, r.Kind)?.Name, facts.ForKind(r.Group, r.Version, r.Kind + "List")?.Name })
                .OfType<string>()
                .Concat(["io.k8s.apimachinery.pkg.apis.meta.v1.Status", "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions", "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent"]);
            var document = Document(gv, key);
            document["components"] = new JsonObject { ["schemas"] = OpenApiSchemas.V3(facts, kinds, roots) };
            var body = ObjectCodec.Serialize(document);
            var hash = Convert.ToHexString(SHA512.HashData(body));
            _documents[key] = (body, hash);
            paths[key] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{key}?hash={hash}" };
        }

        _index = ObjectCodec.Serialize(new JsonObject { ["paths"] = paths });

        // The v2 document is large (every definition); built on first request.
        _v2 = new Lazy<(byte[], byte[], string)>(() =>
        {
            var swagger = new JsonObject
            {
                ["swagger"] = "2.0",
                ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.35.0" },
                ["paths"] = OpenApiPaths.Build(table.All, (g, v, k) => facts.ForKind(g, v, k)?.Name),
                ["definitions"] = OpenApiSchemas.V2(facts, kinds),
            };
            var json = ObjectCodec.Serialize(swagger);
            return (json, OpenApiV2Protobuf.Encode(swagger), Convert.ToHexString(SHA512.HashData(json)));
        });
    }

    /// <summary>The per group/version documents' keys ("api/v1", "apis/apps/v1"), core first.</summary>
    public static IEnumerable<(string Key, GroupVersionResources GroupVersion)> DocumentKeys(ResourceTable table) =>
        table.GroupVersions.Select(gv => (gv.Group.Length == 0 ? $"api/{gv.Version}" : $"apis/{gv.Group}/{gv.Version}", gv));

    public async Task<bool> TryHandleAsync(HttpContext context, string path)
    {
        if (path.TrimEnd('/') == "/openapi/v2")
        {
            var (json, protobuf, hash) = _v2.Value;
            context.Response.Headers.ETag = $"\"{hash}\"";
            context.Response.Headers.Vary = "Accept";
            if (context.Request.Headers.IfNoneMatch.ToString().Trim('"') == hash)
            {
                context.Response.StatusCode = 304;
                return true;
            }

            var accept = context.Request.Headers.Accept.ToString();
            var wantsProtobuf = accept.Contains(ProtobufV2, StringComparison.Ordinal) || accept.Contains(ProtobufV2ContentType, StringComparison.Ordinal);
            await WriteAsync(context, wantsProtobuf ? protobuf : json, wantsProtobuf ? ProtobufV2ContentType : "application/json").ConfigureAwait(false);
            return true;
        }

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

    private static async Task WriteAsync(HttpContext context, byte[] body, string contentType = "application/json")
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = contentType;
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }
}
