using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiMachinery.Text;
using ApiServer.Registry;

namespace ApiServer.Authorization.Rbac;

/// <summary>rbac.authorization.k8s.io/v1 PolicyRule, read once from the stored JSON.</summary>
internal sealed record PolicyRule(
    IReadOnlyList<string> Verbs,
    IReadOnlyList<string> ApiGroups,
    IReadOnlyList<string> Resources,
    IReadOnlyList<string> ResourceNames,
    IReadOnlyList<string> NonResourceUrls)
{
    public const string All = "*";

    public static PolicyRule Parse(JsonNode? node)
    {
        var o = node as JsonObject;
        return new PolicyRule(
            ObjectMeta.ReadStringList(o?["verbs"] as JsonArray),
            ObjectMeta.ReadStringList(o?["apiGroups"] as JsonArray),
            ObjectMeta.ReadStringList(o?["resources"] as JsonArray),
            ObjectMeta.ReadStringList(o?["resourceNames"] as JsonArray),
            ObjectMeta.ReadStringList(o?["nonResourceURLs"] as JsonArray));
    }

    public static IReadOnlyList<PolicyRule> ParseList(JsonNode? rules) =>
        rules is JsonArray a ? a.Select(Parse).ToArray() : [];

    public JsonObject ToJson()
    {
        var o = new JsonObject { ["verbs"] = Array(Verbs) };
        if (ApiGroups.Count > 0)
        {
            o["apiGroups"] = Array(ApiGroups);
        }

        if (Resources.Count > 0)
        {
            o["resources"] = Array(Resources);
        }

        if (ResourceNames.Count > 0)
        {
            o["resourceNames"] = Array(ResourceNames);
        }

        if (NonResourceUrls.Count > 0)
        {
            o["nonResourceURLs"] = Array(NonResourceUrls);
        }

        return o;

        static JsonArray Array(IReadOnlyList<string> values) => new(values.Select(v => (JsonNode)v).ToArray());
    }

    public bool AllowsResource(string verb, string group, string resource, string subresource, string name)
    {
        if (!VerbMatches(verb) || !(ApiGroups.Contains(All) || ApiGroups.Contains(group)))
        {
            return false;
        }

        var combined = subresource.Length > 0 ? resource + "/" + subresource : resource;
        if (!Resources.Any(r => r == All || r == combined || (subresource.Length > 0 && r == "*/" + subresource)))
        {
            return false;
        }

        return ResourceNames.Count == 0 || (name.Length > 0 && ResourceNames.Contains(name));
    }

    public bool AllowsPath(string verb, string path)
    {
        if (!VerbMatches(verb))
        {
            return false;
        }

        foreach (var url in NonResourceUrls)
        {
            if (url == All || url == path || (url.EndsWith('*') && path.StartsWith(url[..^1], StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }

    private bool VerbMatches(string verb) => Verbs.Contains(All) || Verbs.Contains(verb);

    /// <summary>rbacv1helpers.CompactString: <c>{APIGroups:["*"], Resources:["*"], Verbs:["*"]}</c>.</summary>
    public string CompactString()
    {
        var parts = new List<string>();
        void Add(string name, IReadOnlyList<string> values)
        {
            if (values.Count > 0)
            {
                parts.Add($"{name}:[{string.Join(" ", values.Select(GoText.Quote))}]");
            }
        }

        Add("APIGroups", ApiGroups);
        Add("Resources", Resources);
        Add("NonResourceURLs", NonResourceUrls);
        Add("ResourceNames", ResourceNames);
        Add("Verbs", Verbs);
        return "{" + string.Join(", ", parts) + "}";
    }
}

internal sealed record Subject(string Kind, string ApiGroup, string Name, string Namespace)
{
    public static Subject Parse(JsonNode? node)
    {
        var o = node as JsonObject;
        return new Subject(o.GetString("kind") ?? "", o.GetString("apiGroup") ?? "", o.GetString("name") ?? "", o.GetString("namespace") ?? "");
    }

    /// <summary>rbac's appliesToUser; <paramref name="bindingNamespace"/> defaults a service account's namespace.</summary>
    public bool AppliesTo(ApiMachinery.Authentication.UserInfo user, string bindingNamespace) => Kind switch
    {
        "User" => user.Name == Name,
        "Group" => user.IsInGroup(Name),
        "ServiceAccount" => user.Name == $"system:serviceaccount:{(Namespace.Length > 0 ? Namespace : bindingNamespace)}:{Name}",
        _ => false,
    };

    /// <summary>describeSubject: <c>User "alice"</c>, <c>ServiceAccount "name/ns"</c>.</summary>
    public string Describe(string bindingNamespace) => Kind == "ServiceAccount"
        ? $"{Kind} {GoText.Quote(Name + "/" + (Namespace.Length > 0 ? Namespace : bindingNamespace))}"
        : $"{Kind} {GoText.Quote(Name)}";
}

internal sealed record RoleRef(string ApiGroup, string Kind, string Name)
{
    public static RoleRef Parse(JsonNode? node)
    {
        var o = node as JsonObject;
        return new RoleRef(o.GetString("apiGroup") ?? "", o.GetString("kind") ?? "", o.GetString("name") ?? "");
    }
}

/// <summary>A Role or ClusterRole: its rules (for ClusterRoles with an aggregationRule, the aggregated ones).</summary>
internal sealed record RoleObject(string Namespace, string Name, IReadOnlyList<PolicyRule> Rules, IReadOnlyDictionary<string, string> Labels, JsonArray? AggregationSelectors)
{
    public static RoleObject Parse(JsonObject obj) => new(
        ObjectMeta.Namespace(obj),
        ObjectMeta.Name(obj),
        PolicyRule.ParseList(obj["rules"]),
        ObjectMeta.Labels(obj),
        obj["aggregationRule"]?["clusterRoleSelectors"] as JsonArray);
}

/// <summary>A RoleBinding or ClusterRoleBinding.</summary>
internal sealed record BindingObject(string Namespace, string Name, RoleRef RoleRef, IReadOnlyList<Subject> Subjects)
{
    public static BindingObject Parse(JsonObject obj) => new(
        ObjectMeta.Namespace(obj),
        ObjectMeta.Name(obj),
        RoleRef.Parse(obj["roleRef"]),
        obj["subjects"] is JsonArray s ? s.Select(Subject.Parse).ToArray() : []);
}
