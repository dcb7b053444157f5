namespace ApiServer.Endpoints;

/// <summary>
/// What a request is about, parsed once from its method and path (k8s.io/apiserver
/// pkg/endpoints/request/requestinfo.go). Authorization, audit and the handlers read this, never the path.
/// </summary>
internal sealed record RequestInfo
{
    /// <summary>True for /api/... and /apis/... paths that name a resource.</summary>
    public bool IsResourceRequest { get; init; }

    /// <summary>The request path, for non-resource requests and messages.</summary>
    public string Path { get; init; } = "/";

    /// <summary>get, list, watch, create, update, patch, delete, deletecollection; or the lower-cased HTTP method for non-resource requests.</summary>
    public string Verb { get; init; } = "";

    public string ApiPrefix { get; init; } = "";

    public string ApiGroup { get; init; } = "";

    public string ApiVersion { get; init; } = "";

    public string Namespace { get; init; } = "";

    public string Resource { get; init; } = "";

    public string Subresource { get; init; } = "";

    public string Name { get; init; } = "";

    /// <summary>The request's fieldSelector query parameter (list, watch, deletecollection), for authorization.</summary>
    public string FieldSelector { get; init; } = "";

    /// <summary>The path segments after the API version, for 404 decisions.</summary>
    public IReadOnlyList<string> Parts { get; init; } = [];

    private static readonly HashSet<string> NamespaceSubresources = ["status", "finalize"];

    public static RequestInfo Parse(string method, string path, Microsoft.AspNetCore.Http.IQueryCollection query)
    {
        var trimmed = path.Trim('/');
        var segments = trimmed.Length == 0 ? [] : trimmed.Split('/');
        var nonResource = new RequestInfo { Path = path, Verb = method.ToLowerInvariant() };

        if (segments.Length < 1 || (segments[0] != "api" && segments[0] != "apis"))
        {
            return nonResource;
        }

        var prefix = segments[0];
        var current = segments.AsSpan(1);
        var group = "";
        if (prefix == "apis")
        {
            if (current.Length < 1)
            {
                return nonResource;
            }

            group = current[0];
            current = current[1..];
        }

        if (current.Length < 1)
        {
            return nonResource with { ApiPrefix = prefix, ApiGroup = group };
        }

        var version = current[0];
        current = current[1..];
        if (current.Length < 1)
        {
            return nonResource with { ApiPrefix = prefix, ApiGroup = group, ApiVersion = version };
        }

        // The legacy /watch/ prefix: /api/v1/watch/namespaces/ns/pods.
        var legacyWatch = false;
        if (current[0] == "watch")
        {
            legacyWatch = true;
            current = current[1..];
        }

        var ns = "";
        if (current.Length > 0 && current[0] == "namespaces")
        {
            if (current.Length > 1)
            {
                ns = current[1];
                // /namespaces/{name} and /namespaces/{name}/{status|finalize} address the namespace itself.
                if (current.Length > 2 && !NamespaceSubresources.Contains(current[2]))
                {
                    current = current[2..];
                }
            }
        }

        var parts = current.ToArray();
        var info = new RequestInfo
        {
            IsResourceRequest = true,
            Path = path,
            ApiPrefix = prefix,
            ApiGroup = group,
            ApiVersion = version,
            Namespace = ns,
            Parts = parts,
            Resource = parts.Length > 0 ? parts[0] : "",
            Name = parts.Length > 1 ? parts[1] : "",
            Subresource = parts.Length > 2 ? parts[2] : "",
        };

        // A namespace object's own path: /api/v1/namespaces/{name}[/status] has no namespace scope.
        if (info.Resource == "namespaces")
        {
            info = info with { Namespace = "" };
        }

        return info with { Verb = ResourceVerb(method, legacyWatch, info.Name, query), FieldSelector = query["fieldSelector"].ToString() };
    }

    /// <summary>
    /// The same answer as <see cref="Parse"/> for a request that matched a resource route
    /// (<see cref="ApiEndpoints"/>): the route's metadata says which shape the path has (which API
    /// prefix, whether namespaced, whether the legacy /watch/ prefix) and routing has already cut the
    /// path into its values, so nothing is split again. The unit tests hold the two to the same answers
    /// for every path shape.
    /// </summary>
    public static RequestInfo FromRoute(string method, string path, Microsoft.AspNetCore.Http.IQueryCollection query, ResourceRoute route, Microsoft.AspNetCore.Routing.RouteValueDictionary values)
    {
        var group = route.Core ? "" : Value(values, "group");
        var version = route.Core ? "v1" : Value(values, "version");
        var resource = route.Resource ?? Value(values, "resource");
        var name = Value(values, "name");
        var subresource = route.Subresource ?? Value(values, "subresource");
        var rest = Value(values, "path").Trim('/');
        var parts = resource.Length == 0 ? []
            : name.Length == 0 ? [resource]
            : subresource.Length == 0 ? [resource, name]
            : rest.Length == 0 ? [resource, name, subresource]
            : (string[])[resource, name, subresource, .. rest.Split('/')];

        return new RequestInfo
        {
            IsResourceRequest = true,
            Path = path,
            Verb = ResourceVerb(method, route.LegacyWatch, name, query),
            ApiPrefix = route.Core ? "api" : "apis",
            ApiGroup = group,
            ApiVersion = version,
            // A namespace object's own path (/namespaces/{name}[/status]) has no namespace scope.
            Namespace = route.Namespaced && resource != "namespaces" ? Value(values, "namespace") : "",
            Resource = resource,
            Name = name,
            Subresource = subresource,
            Parts = parts,
            FieldSelector = query["fieldSelector"].ToString(),
        };
    }

    private static string Value(Microsoft.AspNetCore.Routing.RouteValueDictionary values, string key) =>
        values.TryGetValue(key, out var value) && value is string text ? text : "";

    /// <summary>
    /// A resource request's verb: the HTTP method's, refined by the path (a collection's GET is list,
    /// its DELETE deletecollection) and by ?watch (GET /pods/name?watch=true watches one object, as
    /// kube-apiserver treats it); everything under the legacy /watch/ prefix is watch.
    /// </summary>
    private static string ResourceVerb(string method, bool legacyWatch, string name, Microsoft.AspNetCore.Http.IQueryCollection query)
    {
        if (legacyWatch)
        {
            return "watch";
        }

        return method switch
        {
            "GET" or "HEAD" when IsTrue(query["watch"]) => "watch",
            "GET" or "HEAD" => name.Length == 0 ? "list" : "get",
            "DELETE" => name.Length == 0 ? "deletecollection" : "delete",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            _ => method.ToLowerInvariant(),
        };
    }

    /// <summary>Go's strconv.ParseBool true values, as kube-apiserver reads boolean query parameters.</summary>
    public static bool IsTrue(string? value) => value is "1" or "t" or "T" or "TRUE" or "true" or "True";
}
