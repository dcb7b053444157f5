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

        var verb = method switch
        {
            "POST" => "create",
            "GET" or "HEAD" => "get",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            _ => method.ToLowerInvariant(),
        };

        // The legacy /watch/ prefix: /api/v1/watch/namespaces/ns/pods.
        var legacyWatch = false;
        if (current[0] == "watch")
        {
            legacyWatch = true;
            current = current[1..];
            verb = "watch";
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

        if (info.Name.Length == 0 && !legacyWatch)
        {
            verb = verb switch
            {
                "get" => IsTrue(query["watch"]) ? "watch" : "list",
                "delete" => "deletecollection",
                _ => verb,
            };
        }
        else if (verb == "get" && IsTrue(query["watch"]))
        {
            // GET /pods/name?watch=true is a watch of one object, as kube-apiserver treats it.
            verb = "watch";
        }

        return info with { Verb = verb };
    }

    /// <summary>Go's strconv.ParseBool true values, as kube-apiserver reads boolean query parameters.</summary>
    public static bool IsTrue(string? value) => value is "1" or "t" or "T" or "TRUE" or "true" or "True";
}
