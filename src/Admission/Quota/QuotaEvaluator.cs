using System.Text.Json.Nodes;
using Admission.Plugins;
using ApiMachinery.Json;

namespace Admission.Quota;

/// <summary>
/// What an object counts against a ResourceQuota (kubernetes pkg/quota/v1/evaluator/core): object
/// counts (<c>pods</c>, <c>services</c>, <c>count/&lt;resource&gt;[.&lt;group&gt;]</c>), compute
/// (<c>requests.cpu</c>, <c>limits.memory</c>, ...), storage and service ports. Shared by the
/// ResourceQuota admission plugin and the controller that recalculates <c>status.used</c>.
/// </summary>
public static class QuotaEvaluator
{
    /// <summary>Core resources whose count also has a short name (<c>pods</c> as well as <c>count/pods</c>).</summary>
    private static readonly HashSet<string> LegacyCounted = new(StringComparer.Ordinal)
    {
        "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps", "persistentvolumeclaims",
    };

    private static readonly Quantity One = new(1, QuantityFormat.DecimalSI);

    public static string CountName(string group, string resource) => group.Length == 0 ? $"count/{resource}" : $"count/{resource}.{group}";

    /// <summary>The (group, resource) pairs whose objects a quota with these hard names counts.</summary>
    public static IEnumerable<(string Group, string Resource)> CountedResources(IEnumerable<string> hardNames)
    {
        var result = new HashSet<(string, string)>();
        foreach (var name in hardNames)
        {
            if (name.StartsWith("count/", StringComparison.Ordinal))
            {
                var rest = name["count/".Length..];
                var dot = rest.IndexOf('.', StringComparison.Ordinal);
                result.Add(dot < 0 ? ("", rest) : (rest[(dot + 1)..], rest[..dot]));
            }
            else if (LegacyCounted.Contains(name))
            {
                result.Add(("", name));
            }
            else if (name.StartsWith("services.", StringComparison.Ordinal))
            {
                result.Add(("", "services"));
            }
            else if (name is "requests.storage" || name.Contains(".storageclass.storage.k8s.io/", StringComparison.Ordinal))
            {
                result.Add(("", "persistentvolumeclaims"));
            }
            else
            {
                // cpu, memory, requests.*, limits.*, hugepages and extended resources are pods'.
                result.Add(("", "pods"));
            }
        }

        return result;
    }

    /// <summary>Whether the quota's scopes select the object (only pods have scopes that can exclude).</summary>
    public static bool Matches(JsonObject quota, string group, string resource, JsonObject obj)
    {
        var isPod = group.Length == 0 && resource == "pods";
        foreach (var scope in Scopes(quota))
        {
            if (!isPod)
            {
                return false;
            }

            var spec = obj["spec"] as JsonObject ?? [];
            var terminating = spec["activeDeadlineSeconds"] is JsonValue v && v.TryGetValue<long>(out var s) && s >= 0;
            var bestEffort = IsBestEffort(spec);
            var priorityClass = spec.GetString("priorityClassName") ?? "";
            var matches = scope switch
            {
                ("Terminating", _, _) => terminating,
                ("NotTerminating", _, _) => !terminating,
                ("BestEffort", _, _) => bestEffort,
                ("NotBestEffort", _, _) => !bestEffort,
                ("PriorityClass", "In", var values) => values.Contains(priorityClass),
                ("PriorityClass", "NotIn", var values) => !values.Contains(priorityClass),
                ("PriorityClass", "Exists", _) => priorityClass.Length > 0,
                ("PriorityClass", "DoesNotExist", _) => priorityClass.Length == 0,
                _ => true,
            };
            if (!matches)
            {
                return false;
            }
        }

        return true;
    }

    private static IEnumerable<(string Scope, string Operator, string[] Values)> Scopes(JsonObject quota)
    {
        foreach (var scope in quota["spec"]?["scopes"] as JsonArray ?? [])
        {
            yield return (scope?.ToString() ?? "", "Exists", []);
        }

        foreach (var expression in quota["spec"]?["scopeSelector"]?["matchExpressions"] as JsonArray ?? [])
        {
            var values = (expression?["values"] as JsonArray ?? []).Select(v => v?.ToString() ?? "").ToArray();
            yield return (expression.GetString("scopeName") ?? "", expression.GetString("operator") ?? "", values);
        }
    }

    private static bool IsBestEffort(JsonObject spec) =>
        PodJson.Containers(spec).All(c =>
            c["resources"]?["requests"] is not JsonObject { Count: > 0 } && c["resources"]?["limits"] is not JsonObject { Count: > 0 });

    /// <summary>What the object uses, by quota resource name. Terminal pods use nothing.</summary>
    public static Dictionary<string, Quantity> Usage(string group, string resource, JsonObject obj)
    {
        var usage = new Dictionary<string, Quantity>(StringComparer.Ordinal);
        if (group.Length == 0 && resource == "pods" && (obj["status"].GetString("phase") ?? "") is "Succeeded" or "Failed")
        {
            return usage;
        }

        usage[CountName(group, resource)] = One;
        if (group.Length == 0 && LegacyCounted.Contains(resource))
        {
            usage[resource] = One;
        }

        if (group.Length == 0 && resource == "pods")
        {
            var spec = obj["spec"] as JsonObject ?? [];
            var (requests, limits) = LimitRanger.PodTotals(spec);
            AddOverhead(spec, requests, limits);
            foreach (var (name, q) in requests)
            {
                usage["requests." + name] = q;
                if (name is "cpu" or "memory" or "ephemeral-storage")
                {
                    usage[name] = q;
                }
            }

            foreach (var (name, q) in limits)
            {
                usage["limits." + name] = q;
            }
        }
        else if (group.Length == 0 && resource == "services")
        {
            var type = obj["spec"].GetString("type") ?? "";
            if (type == "LoadBalancer")
            {
                usage["services.loadbalancers"] = One;
            }

            if (type is "NodePort" or "LoadBalancer")
            {
                var ports = (obj["spec"]?["ports"] as JsonArray)?.Count ?? 0;
                usage["services.nodeports"] = new Quantity(ports, QuantityFormat.DecimalSI);
            }
        }
        else if (group.Length == 0 && resource == "persistentvolumeclaims")
        {
            var storage = LimitRanger.Resources(obj["spec"]?["resources"]?["requests"]).GetValueOrDefault("storage", Quantity.Zero);
            usage["requests.storage"] = storage;
            var storageClass = obj["spec"].GetString("storageClassName") ?? "";
            if (storageClass.Length > 0)
            {
                usage[$"{storageClass}.storageclass.storage.k8s.io/requests.storage"] = storage;
                usage[$"{storageClass}.storageclass.storage.k8s.io/persistentvolumeclaims"] = One;
            }
        }

        return usage;
    }

    private static void AddOverhead(JsonObject spec, Dictionary<string, Quantity> requests, Dictionary<string, Quantity> limits)
    {
        foreach (var (name, q) in LimitRanger.Resources(spec["overhead"]))
        {
            if (requests.TryGetValue(name, out var r))
            {
                requests[name] = r + q;
            }

            if (limits.TryGetValue(name, out var l))
            {
                limits[name] = l + q;
            }
        }
    }

    /// <summary>Resources by name from a JSON map of quantities.</summary>
    public static Dictionary<string, Quantity> ResourceList(JsonNode? node) => LimitRanger.Resources(node);

    public static JsonObject ToJson(IEnumerable<KeyValuePair<string, Quantity>> list)
    {
        var result = new JsonObject();
        foreach (var (k, v) in list.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            result[k] = v.ToString();
        }

        return result;
    }

    /// <summary>Go's prettyPrint of a ResourceList: sorted <c>name=quantity</c> joined by commas.</summary>
    public static string PrettyPrint(IEnumerable<KeyValuePair<string, Quantity>> list) =>
        string.Join(",", list.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
}
