using System.Globalization;
using System.Text.Json.Nodes;
using ApiServer.Registry;

namespace ApiServer.OpenApi;

/// <summary>
/// The swagger 2.0 "paths" of served resources, shaped as kube-apiserver's: one path per collection,
/// item and subresource (namespaced and, for lists and watches, across namespaces), operations named
/// as client generators know them (listAppsV1NamespacedDeployment), with x-kubernetes-action and
/// x-kubernetes-group-version-kind, the query parameters each verb takes and responses referring to
/// the kinds' definitions. The v3 documents are derived from these (<see cref="OpenApiV3"/>).
/// </summary>
internal static class OpenApiPaths
{
    private static readonly string[] Produces = ["application/json", "application/yaml"];
    private static readonly string[] WatchProduces = ["application/json", "application/yaml", "application/json;stream=watch"];
    private static readonly string[] PatchConsumes =
        ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"];

    private const string Status = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
    private const string DeleteOptions = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
    private const string Patch = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
    private const string WatchEvent = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent";

    /// <param name="definitionOf">the definition name of a kind (and of its list), or null when the schema facts lack it.</param>
    public static JsonObject Build(IEnumerable<ResourceDefinition> resources, Func<string, string, string, string?> definitionOf)
    {
        var paths = new JsonObject();
        foreach (var r in resources)
        {
            var root = r.Group.Length == 0 ? $"/api/{r.Version}" : $"/apis/{r.Group}/{r.Version}";
            var tag = Tag(r.Group, r.Version);
            var prefix = GroupCamel(r.Group) + Camel(r.Version);
            var scope = r.Namespaced ? "Namespaced" : "";
            var collection = r.Namespaced ? $"{root}/namespaces/{{namespace}}/{r.Plural}" : $"{root}/{r.Plural}";
            var kind = definitionOf(r.Group, r.Version, r.Kind);
            var list = definitionOf(r.Group, r.Version, r.Kind + "List");
            var gvk = Gvk(r.Group, r.Version, r.Kind);
            var scopeParameters = r.Namespaced ? new[] { NamespaceParameter() } : [];

            var collectionItem = PathItem(scopeParameters);
            if (r.Supports("list"))
            {
                collectionItem["get"] = Operation($"list{prefix}{scope}{r.Kind}", $"Lists or watches {r.Kind} objects.", "list", tag, gvk,
                    ListParameters(), Ok(list), WatchProduces);
            }

            if (r.Supports("create"))
            {
                collectionItem["post"] = Operation($"create{prefix}{scope}{r.Kind}", $"Creates a {r.Kind}.", "post", tag, gvk,
                    [BodyParameter(kind), .. WriteParameters()], Responses(("200", "OK", kind), ("201", "Created", kind), ("202", "Accepted", kind)), Produces);
            }

            if (r.Supports("deletecollection"))
            {
                collectionItem["delete"] = Operation($"delete{prefix}Collection{scope}{r.Kind}", $"Deletes the selected {r.Kind} objects.", "deletecollection", tag, gvk,
                    [BodyParameter(DeleteOptions), DryRun(), .. DeleteParameters(), .. ListParameters().Where(p => p["name"]?.ToString() is not ("watch" or "allowWatchBookmarks"))],
                    Ok(Status), Produces);
            }

            AddIfAny(paths, collection, collectionItem);

            var itemPath = $"{collection}/{{name}}";
            var item = PathItem([NameParameter(r.Kind), .. scopeParameters]);
            AddItemOperations(item, r, prefix, scope, r.Kind, "", tag, gvk, kind);
            AddIfAny(paths, itemPath, item);

            foreach (var sub in r.Subresources)
            {
                var subKind = sub.ResponseKind;
                var subDefinition = definitionOf(subKind.Group, subKind.Version, subKind.Kind);
                var subItem = PathItem([NameParameter(subKind.Kind), .. scopeParameters]);
                var subGvk = Gvk(subKind.Group, subKind.Version, subKind.Kind);
                var suffix = Camel(sub.Name);
                foreach (var verb in sub.Verbs)
                {
                    switch (verb)
                    {
                        case "get":
                            subItem["get"] = Operation($"read{prefix}{scope}{r.Kind}{suffix}", $"Reads the {sub.Name} of a {r.Kind}.", "get", tag, subGvk, [], Ok(subDefinition), Produces);
                            break;
                        case "update":
                            subItem["put"] = Operation($"replace{prefix}{scope}{r.Kind}{suffix}", $"Replaces the {sub.Name} of a {r.Kind}.", "put", tag, subGvk,
                                [BodyParameter(subDefinition), .. WriteParameters()], Responses(("200", "OK", subDefinition), ("201", "Created", subDefinition)), Produces);
                            break;
                        case "patch":
                            subItem["patch"] = PatchOperation($"patch{prefix}{scope}{r.Kind}{suffix}", $"Patches the {sub.Name} of a {r.Kind}.", tag, subGvk, subDefinition);
                            break;
                        case "create":
                            subItem["post"] = Operation($"create{prefix}{scope}{r.Kind}{suffix}", $"Creates the {sub.Name} of a {r.Kind}.", "post", tag, subGvk,
                                [BodyParameter(subDefinition), .. WriteParameters()], Responses(("200", "OK", subDefinition), ("201", "Created", subDefinition), ("202", "Accepted", subDefinition)), Produces);
                            break;
                    }
                }

                AddIfAny(paths, $"{itemPath}/{sub.Name}", subItem);
            }

            if (r.Namespaced && r.Supports("list"))
            {
                var everywhere = PathItem([]);
                everywhere["get"] = Operation($"list{prefix}{r.Kind}ForAllNamespaces", $"Lists or watches {r.Kind} objects.", "list", tag, gvk,
                    ListParameters(), Ok(list), WatchProduces);
                AddIfAny(paths, $"{root}/{r.Plural}", everywhere);
            }

            if (r.Supports("watch"))
            {
                var watchCollection = r.Namespaced ? $"{root}/watch/namespaces/{{namespace}}/{r.Plural}" : $"{root}/watch/{r.Plural}";
                var watchList = PathItem(scopeParameters);
                watchList["get"] = Operation($"watch{prefix}{scope}{r.Kind}List",
                    $"Streams changes to {r.Kind} objects (the older /watch/ path; prefer list with watch=true).",
                    "watchlist", tag, gvk, ListParameters(), Ok(WatchEvent), WatchProduces);
                AddIfAny(paths, watchCollection, watchList);
                var watchOne = PathItem([NameParameter(r.Kind), .. scopeParameters]);
                watchOne["get"] = Operation($"watch{prefix}{scope}{r.Kind}",
                    $"Streams changes to one {r.Kind} (the older /watch/ path; prefer list with watch=true and a metadata.name field selector).",
                    "watch", tag, gvk, ListParameters(), Ok(WatchEvent), WatchProduces);
                AddIfAny(paths, $"{watchCollection}/{{name}}", watchOne);
            }
        }

        return paths;
    }

    private static void AddItemOperations(JsonObject item, ResourceDefinition r, string prefix, string scope, string kindName, string suffix, string tag, JsonObject gvk, string? kind)
    {
        if (r.Supports("get"))
        {
            item["get"] = Operation($"read{prefix}{scope}{kindName}{suffix}", $"Reads a {kindName}.", "get", tag, gvk, [], Ok(kind), Produces);
        }

        if (r.Supports("update"))
        {
            item["put"] = Operation($"replace{prefix}{scope}{kindName}{suffix}", $"Replaces a {kindName}.", "put", tag, gvk,
                [BodyParameter(kind), .. WriteParameters()], Responses(("200", "OK", kind), ("201", "Created", kind)), Produces);
        }

        if (r.Supports("patch"))
        {
            item["patch"] = PatchOperation($"patch{prefix}{scope}{kindName}{suffix}", $"Patches a {kindName}.", tag, gvk, kind);
        }

        if (r.Supports("delete"))
        {
            item["delete"] = Operation($"delete{prefix}{scope}{kindName}{suffix}", $"Deletes a {kindName}.", "delete", tag, gvk,
                [BodyParameter(DeleteOptions), DryRun(), .. DeleteParameters()], Responses(("200", "OK", Status), ("202", "Accepted", Status)), Produces);
        }
    }

    private static JsonObject PatchOperation(string id, string description, string tag, JsonObject gvk, string? kind)
    {
        var operation = Operation(id, description, "patch", tag, gvk,
            [BodyParameter(Patch), .. WriteParameters(), Query("force", "boolean", "Take over fields other managers own (server-side apply only).")],
            Responses(("200", "OK", kind), ("201", "Created", kind)), Produces);
        operation["consumes"] = Strings(PatchConsumes);
        return operation;
    }

    private static JsonObject Operation(string id, string description, string action, string tag, JsonObject gvk, IEnumerable<JsonObject> parameters, JsonObject responses, string[] produces)
    {
        var operation = new JsonObject
        {
            ["consumes"] = Strings(["*/*"]),
            ["description"] = description,
            ["operationId"] = id,
        };
        var list = parameters.ToList();
        if (list.Count > 0)
        {
            operation["parameters"] = new JsonArray(list.Select(p => (JsonNode)p).ToArray());
        }

        operation["produces"] = Strings(produces);
        operation["responses"] = responses;
        operation["schemes"] = Strings(["https"]);
        operation["tags"] = Strings([tag]);
        operation["x-kubernetes-action"] = action;
        operation["x-kubernetes-group-version-kind"] = gvk.DeepClone();
        return operation;
    }

    private static JsonObject PathItem(IEnumerable<JsonObject> parameters) =>
        new() { ["parameters"] = new JsonArray([.. parameters.Select(p => p.DeepClone()), Query("pretty", "string", "Pretty-print the output.")]) };

    private static void AddIfAny(JsonObject paths, string path, JsonObject item)
    {
        if (item.Count > 1)
        {
            paths[path] = item;
        }
    }

    private static IEnumerable<JsonObject> ListParameters() =>
    [
        Query("allowWatchBookmarks", "boolean", "Ask for BOOKMARK events in the watch stream."),
        Query("continue", "string", "The token from the previous page's metadata.continue."),
        Query("fieldSelector", "string", "Select objects by field values."),
        Query("labelSelector", "string", "Select objects by labels."),
        Query("limit", "integer", "Page size: at most this many items."),
        Query("resourceVersion", "string", "Which version of the data may answer: unset (latest), 0 (any) or a specific version."),
        Query("resourceVersionMatch", "string", "How resourceVersion applies to a list: NotOlderThan or Exact."),
        Query("sendInitialEvents", "boolean", "With watch=true: start with the current objects as ADDED events, then a bookmark."),
        Query("timeoutSeconds", "integer", "End the call after this many seconds."),
        Query("watch", "boolean", "Stream changes instead of answering once."),
    ];

    private static IEnumerable<JsonObject> WriteParameters() =>
    [
        DryRun(),
        Query("fieldManager", "string", "The name of the writer, as recorded in managedFields."),
        Query("fieldValidation", "string", "Unknown fields in the body: Ignore, Warn (a Warning header each) or Strict (refused)."),
    ];

    private static IEnumerable<JsonObject> DeleteParameters() =>
    [
        Query("gracePeriodSeconds", "integer", "Grace period in seconds before deletion."),
        Query("ignoreStoreReadErrorWithClusterBreakingPotential", "boolean", "Delete an object that cannot be decoded (unsafe)."),
        Query("orphanDependents", "boolean", "Superseded by propagationPolicy."),
        Query("propagationPolicy", "string", "What happens to dependents: Orphan, Background or Foreground."),
    ];

    private static JsonObject DryRun() =>
        Query("dryRun", "string", "All: run every step of the write but store nothing.");

    private static JsonObject Query(string name, string type, string description) => new()
    {
        ["description"] = description,
        ["in"] = "query",
        ["name"] = name,
        ["type"] = type,
        ["uniqueItems"] = true,
    };

    private static JsonObject NamespaceParameter() => new()
    {
        ["description"] = "The namespace.",
        ["in"] = "path",
        ["name"] = "namespace",
        ["required"] = true,
        ["type"] = "string",
        ["uniqueItems"] = true,
    };

    private static JsonObject NameParameter(string kind) => new()
    {
        ["description"] = $"The {kind}'s name.",
        ["in"] = "path",
        ["name"] = "name",
        ["required"] = true,
        ["type"] = "string",
        ["uniqueItems"] = true,
    };

    private static JsonObject BodyParameter(string? definition) => new()
    {
        ["in"] = "body",
        ["name"] = "body",
        ["required"] = true,
        ["schema"] = SchemaRef(definition),
    };

    private static JsonObject Ok(string? definition) => Responses(("200", "OK", definition));

    private static JsonObject Responses(params (string Code, string Description, string? Definition)[] responses)
    {
        var result = new JsonObject();
        foreach (var (code, description, definition) in responses)
        {
            result[code] = new JsonObject { ["description"] = description, ["schema"] = SchemaRef(definition) };
        }

        result["401"] = new JsonObject { ["description"] = "Unauthorized" };
        return result;
    }

    private static JsonObject SchemaRef(string? definition) =>
        definition is null ? new JsonObject { ["type"] = "object" } : new JsonObject { ["$ref"] = "#/definitions/" + definition };

    private static JsonObject Gvk(string group, string version, string kind) =>
        new() { ["group"] = group, ["kind"] = kind, ["version"] = version };

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray());

    /// <summary>The tag kube-apiserver gives a group/version's operations: core_v1, apps_v1, rbacAuthorization_v1.</summary>
    public static string Tag(string group, string version)
    {
        var camel = GroupCamel(group);
        return char.ToLowerInvariant(camel[0]) + camel[1..] + "_" + version;
    }

    /// <summary>"" -> Core, "rbac.authorization.k8s.io" -> RbacAuthorization, "apps" -> Apps.</summary>
    public static string GroupCamel(string group)
    {
        if (group.Length == 0)
        {
            return "Core";
        }

        var trimmed = group.EndsWith(".k8s.io", StringComparison.Ordinal) ? group[..^".k8s.io".Length] : group;
        return string.Concat(trimmed.Split('.', '-').Where(s => s.Length > 0).Select(Camel));
    }

    private static string Camel(string word) =>
        word.Length == 0 ? word : char.ToUpper(word[0], CultureInfo.InvariantCulture) + word[1..];
}
