using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ApiServer.Registry;
using Microsoft.AspNetCore.Http;

namespace ApiServer.OpenApi;

/// <summary>
/// The OpenAPI documents, built from the resource table and the schema facts (the built-in ones once
/// at start, custom resources' whenever their CRDs change, from the CRDs' schemas):
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

    private static readonly string[] CommonRoots =
    [
        "io.k8s.apimachinery.pkg.apis.meta.v1.Status", "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions", "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent",
    ];

    // The built-in group/versions' documents never change: made once.
    private readonly Dictionary<string, (byte[] Body, string Hash)> _builtin = new(StringComparer.Ordinal);
    private readonly ResourceTable _builtinTable;
    private readonly RegistryCatalog? _registry;
    private volatile Rendered? _rendered;

    /// <param name="table">the built-in resources.</param>
    /// <param name="registry">what is served now (custom resources included); without it, only <paramref name="table"/>.</param>
    public OpenApiDocuments(ResourceTable table, RegistryCatalog? registry = null)
    {
        _builtinTable = table;
        _registry = registry;
        var facts = ApiMachinery.Schema.SchemaFacts.Builtin;
        var kinds = BuiltinKinds(table);
        foreach (var (key, gv) in DocumentKeys(table))
        {
            var roots = gv.Resources
                .SelectMany(r => new[] { facts.ForKind(r.Group, r.Version, r.Kind)?.Name, facts.ForKind(r.Group, r.Version, r.Kind + "List")?.Name })
                .OfType<string>()
                .Concat(CommonRoots);
            var document = Document(gv, key);
            document["components"] = new JsonObject { ["schemas"] = OpenApiSchemas.V3(facts, kinds, roots) };
            _builtin[key] = Hashed(ObjectCodec.Serialize(document));
        }
    }

    /// <summary>The documents of what is served now: built-in ones as made at start, custom ones per snapshot.</summary>
    private Rendered Current
    {
        get
        {
            var table = _registry?.Table ?? _builtinTable;
            var rendered = _rendered;
            if (rendered is null || rendered.Table != table)
            {
                rendered = Render(table, rendered);
                _rendered = rendered;
            }

            return rendered;
        }
    }

    private Rendered Render(ResourceTable table, Rendered? previous)
    {
        var facts = ApiMachinery.Schema.SchemaFacts.Builtin;
        var documents = new Dictionary<string, (byte[] Body, string Hash)>(_builtin, StringComparer.Ordinal);
        var paths = new JsonObject();
        foreach (var (key, gv) in DocumentKeys(table))
        {
            if (!_builtin.ContainsKey(key) && CustomGroupVersion(gv) is { } custom)
            {
                // A CRD's document changes with its CRD only: an unchanged one is reused.
                var identity = string.Join(",", custom.Resources.Select(r => r.Custom!.Crd.Uid + "/" + r.Custom.Crd.ResourceVersion));
                documents[key] = previous?.CustomIdentities.GetValueOrDefault(key) == identity && previous.Documents.TryGetValue(key, out var same)
                    ? same
                    : Hashed(ObjectCodec.Serialize(CustomDocument(facts, custom, key)));
            }
        }

        foreach (var (key, gv) in DocumentKeys(table))
        {
            if (documents.TryGetValue(key, out var doc))
            {
                paths[key] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{key}?hash={doc.Hash}" };
            }
        }

        var identities = DocumentKeys(table)
            .Where(k => !_builtin.ContainsKey(k.Key) && CustomGroupVersion(k.GroupVersion) is not null)
            .ToDictionary(k => k.Key, k => string.Join(",", CustomGroupVersion(k.GroupVersion)!.Resources.Select(r => r.Custom!.Crd.Uid + "/" + r.Custom.Crd.ResourceVersion)), StringComparer.Ordinal);

        // The v2 document is large (every definition); built on first request.
        var v2 = new Lazy<(byte[], byte[], string)>(() =>
        {
            var published = Published(table).ToArray();
            var customDefinitions = new JsonObject();
            var customNames = new Dictionary<(string, string, string), string>();
            foreach (var r in published.Where(r => r.Custom is not null))
            {
                foreach (var (name, schema) in CustomResourceOpenApi.Definitions(r, "#/definitions/", v2: true))
                {
                    customDefinitions[name] = schema;
                }

                customNames[(r.Group, r.Version, r.Kind)] = CustomResourceOpenApi.DefinitionName(r);
                customNames[(r.Group, r.Version, r.ListKind)] = CustomResourceOpenApi.ListDefinitionName(r);
            }

            var definitions = OpenApiSchemas.V2(facts, BuiltinKinds(table));
            foreach (var (name, schema) in customDefinitions.ToList())
            {
                customDefinitions.Remove(name);
                definitions[name] = schema;
            }

            var swagger = new JsonObject
            {
                ["swagger"] = "2.0",
                ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.35.0" },
                ["paths"] = OpenApiPaths.Build(published, (g, v, k) => customNames.GetValueOrDefault((g, v, k)) ?? facts.ForKind(g, v, k)?.Name),
                ["definitions"] = definitions,
            };
            var json = ObjectCodec.Serialize(swagger);
            return (json, OpenApiV2Protobuf.Encode(swagger), Convert.ToHexString(SHA512.HashData(json)));
        });
        return new Rendered(table, documents, identities, ObjectCodec.Serialize(new JsonObject { ["paths"] = paths }), v2);
    }

    /// <summary>A group/version's resources when they are custom ones whose CRDs are established (kube publishes those).</summary>
    private static GroupVersionResources? CustomGroupVersion(GroupVersionResources gv)
    {
        var published = gv.Resources.Where(r => r.Custom is { Established: true }).ToArray();
        return published.Length > 0 && gv.Resources.All(r => r.Custom is not null) ? gv with { Resources = published } : null;
    }

    /// <summary>What OpenAPI describes: built-in resources and established custom ones.</summary>
    private static IEnumerable<ResourceDefinition> Published(ResourceTable table) => table.All.Where(r => r.Custom is not { Established: false });

    private static Dictionary<string, List<(string Group, string Version, string Kind)>> BuiltinKinds(ResourceTable table)
    {
        var served = table.All.Where(r => r.Custom is null).Select(r => (r.Group, r.Version, r.Kind))
            .Concat(table.All.Where(r => r.Custom is null && r.Supports("list")).Select(r => (r.Group, r.Version, r.Kind + "List")))
            .ToArray();
        return OpenApiSchemas.KindsByDefinition(ApiMachinery.Schema.SchemaFacts.Builtin, served);
    }

    /// <summary>A custom group/version's document: its paths, its kinds' schemas and the built-in ones they refer to.</summary>
    private static JsonObject CustomDocument(ApiMachinery.Schema.SchemaFacts facts, GroupVersionResources gv, string key)
    {
        var roots = new List<string>(CommonRoots) { CustomResourceOpenApi.ObjectMeta, CustomResourceOpenApi.ListMeta };
        if (gv.Resources.Any(r => r.FindSubresource("scale") is not null))
        {
            roots.Add("io.k8s.api.autoscaling.v1.Scale");
        }

        var schemas = OpenApiSchemas.V3(facts, OpenApiSchemas.KindsByDefinition(facts, [("autoscaling", "v1", "Scale")]), roots);
        foreach (var r in gv.Resources)
        {
            foreach (var (name, schema) in CustomResourceOpenApi.Definitions(r, "#/components/schemas/", v2: false))
            {
                schemas[name] = schema;
            }
        }

        var document = Document(gv, key);
        document["components"] = new JsonObject { ["schemas"] = schemas };
        return document;
    }

    private static (byte[] Body, string Hash) Hashed(byte[] body) => (body, Convert.ToHexString(SHA512.HashData(body)));

    private sealed record Rendered(
        ResourceTable Table,
        Dictionary<string, (byte[] Body, string Hash)> Documents,
        Dictionary<string, string> CustomIdentities,
        byte[] Index,
        Lazy<(byte[] Json, byte[] Protobuf, string Hash)> V2);

    /// <summary>The per group/version documents' keys ("api/v1", "apis/apps/v1"), core first.</summary>
    public static IEnumerable<(string Key, GroupVersionResources GroupVersion)> DocumentKeys(ResourceTable table) =>
        table.GroupVersions.Select(gv => (gv.Group.Length == 0 ? $"api/{gv.Version}" : $"apis/{gv.Group}/{gv.Version}", gv));

    public async Task<bool> TryHandleAsync(HttpContext context, string path)
    {
        var current = Current;
        if (path.TrimEnd('/') == "/openapi/v2")
        {
            var (json, protobuf, hash) = current.V2.Value;
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
            await WriteAsync(context, current.Index).ConfigureAwait(false);
            return true;
        }

        if (!path.StartsWith("/openapi/v3/", StringComparison.Ordinal) || !current.Documents.TryGetValue(path["/openapi/v3/".Length..].TrimEnd('/'), out var doc))
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
