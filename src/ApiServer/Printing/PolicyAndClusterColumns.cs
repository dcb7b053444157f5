using System.Globalization;
using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiServer.Registry;

namespace ApiServer.Printing;

/// <summary>
/// kube-apiserver's columns for the policy, autoscaling, networking, certificates, storage, node,
/// admission and API-extension kinds that <see cref="MoreColumns"/> does not cover.
/// </summary>
internal static class PolicyAndClusterColumns
{
    private static readonly TableColumn Name =
        new("Name", "string", "name", "The name of the object, unique within its namespace.", 0, (o, _) => ObjectMeta.Name(o));

    private static readonly TableColumn Age =
        new("Age", "string", "", "How long ago the object was created.", 0, (o, now) => TableConvertor.Age(o, now));

    private static readonly TableColumn CreatedAt =
        new("Created At", "date", "", "When the object was created.", 0, (o, _) => o.GetString("metadata", "creationTimestamp") ?? "");

    /// <summary>podtemplates.</summary>
    public static IReadOnlyList<TableColumn> PodTemplates =>
    [
        Name,
        new("Containers", "string", "", "Container names of the template.", 0, (o, _) => MoreColumns.Join(o["template"]?["spec"] as JsonObject, "name")),
        new("Images", "string", "", "Container images of the template.", 0, (o, _) => MoreColumns.Join(o["template"]?["spec"] as JsonObject, "image")),
        new("Pod Labels", "string", "", "Labels of the template's pods.", 0, (o, _) => MoreColumns.MapText(o["template"]?["metadata"]?["labels"] as JsonObject)),
    ];

    /// <summary>limitranges, roles, clusterroles, customresourcedefinitions.</summary>
    public static IReadOnlyList<TableColumn> NameAndCreation => [Name, CreatedAt];

    /// <summary>resourcequotas.</summary>
    public static IReadOnlyList<TableColumn> ResourceQuotas =>
    [
        Name,
        Age,
        new("Request", "string", "", "Used and hard amounts of the non-limit resources.", 0, (o, _) => QuotaText(o, limits: false)),
        new("Limit", "string", "", "Used and hard amounts of the limits.* resources.", 0, (o, _) => QuotaText(o, limits: true)),
    ];

    /// <summary>horizontalpodautoscalers.</summary>
    public static IReadOnlyList<TableColumn> HorizontalPodAutoscalers =>
    [
        Name,
        new("Reference", "string", "", "The scaled object.", 0, (o, _) => $"{o.GetString("spec", "scaleTargetRef", "kind") ?? ""}/{o.GetString("spec", "scaleTargetRef", "name") ?? ""}"),
        new("Targets", "string", "", "Current and target metric values.", 0, (o, _) => HpaTargets(o)),
        new("MinPods", "string", "", "The lower replica limit.", 0, (o, _) => o["spec"]?["minReplicas"]?.ToString() ?? "<unset>"),
        new("MaxPods", "integer", "", "The upper replica limit.", 0, (o, _) => TableConvertor.Int(o, "spec", "maxReplicas")),
        new("Replicas", "integer", "", "Current replicas.", 0, (o, _) => TableConvertor.Int(o, "status", "currentReplicas")),
        Age,
    ];

    /// <summary>certificatesigningrequests.</summary>
    public static IReadOnlyList<TableColumn> CertificateSigningRequests =>
    [
        Name,
        Age,
        new("SignerName", "string", "", "The signer asked to sign.", 0, (o, _) => o.GetString("spec", "signerName") ?? ""),
        new("Requestor", "string", "", "Who asked.", 0, (o, _) => o.GetString("spec", "username") ?? ""),
        new("RequestedDuration", "string", "", "The validity asked for.", 0, (o, _) => o["spec"]?["expirationSeconds"] is JsonValue v && v.TryGetValue<long>(out var s) ? ShortDuration(TimeSpan.FromSeconds(s)) : "<none>"),
        new("Condition", "string", "", "Approved, Denied, Failed, Issued or Pending.", 0, (o, _) => CsrCondition(o)),
    ];

    /// <summary>endpointslices.</summary>
    public static IReadOnlyList<TableColumn> EndpointSlices =>
    [
        Name,
        new("AddressType", "string", "", "IPv4, IPv6 or FQDN.", 0, (o, _) => o.GetString("addressType") ?? ""),
        new("Ports", "string", "", "The slice's ports.", 0, (o, _) => ListText((o["ports"] as JsonArray)?.OfType<JsonObject>().Select(p => p["port"]?.ToString() ?? ""), "<unset>")),
        new("Endpoints", "string", "", "The first addresses.", 0, (o, _) => ListText((o["endpoints"] as JsonArray)?.OfType<JsonObject>().SelectMany(e => (e["addresses"] as JsonArray ?? []).Select(a => a?.ToString() ?? "")), "<unset>", limit: 3)),
        Age,
    ];

    /// <summary>networkpolicies.</summary>
    public static IReadOnlyList<TableColumn> NetworkPolicies =>
    [
        Name,
        new("Pod-Selector", "string", "", "The pods the policy applies to.", 0, (o, _) => PodSelector(o["spec"]?["podSelector"] as JsonObject)),
        Age,
    ];

    /// <summary>ingressclasses.</summary>
    public static IReadOnlyList<TableColumn> IngressClasses =>
    [
        Name,
        new("Controller", "string", "", "The controller that implements the class.", 0, (o, _) => o.GetString("spec", "controller") ?? ""),
        new("Parameters", "string", "", "The class's parameters object.", 0, (o, _) => o["spec"]?["parameters"] is JsonObject p ? $"{p["kind"]}/{p["name"]}" : "<none>"),
        Age,
    ];

    /// <summary>servicecidrs.</summary>
    public static IReadOnlyList<TableColumn> ServiceCidrs =>
    [
        Name,
        new("CIDRs", "string", "", "The ranges.", 0, (o, _) => ListText((o["spec"]?["cidrs"] as JsonArray)?.Select(c => c?.ToString() ?? ""), "<none>")),
        Age,
    ];

    /// <summary>ipaddresses.</summary>
    public static IReadOnlyList<TableColumn> IpAddresses =>
    [
        Name,
        new("ParentRef", "string", "", "The object holding the address.", 0, (o, _) => o["spec"]?["parentRef"] is JsonObject p ? $"{p["resource"]}/{p["namespace"]}/{p["name"]}".Replace("//", "/", StringComparison.Ordinal) : ""),
    ];

    /// <summary>poddisruptionbudgets.</summary>
    public static IReadOnlyList<TableColumn> PodDisruptionBudgets =>
    [
        Name,
        new("Min Available", "string", "", "Pods that must stay available.", 0, (o, _) => o["spec"]?["minAvailable"]?.ToString() ?? "N/A"),
        new("Max Unavailable", "string", "", "Pods that may be unavailable.", 0, (o, _) => o["spec"]?["maxUnavailable"]?.ToString() ?? "N/A"),
        new("Allowed Disruptions", "integer", "", "Disruptions allowed now.", 0, (o, _) => TableConvertor.Int(o, "status", "disruptionsAllowed")),
        Age,
    ];

    /// <summary>mutatingwebhookconfigurations, validatingwebhookconfigurations.</summary>
    public static IReadOnlyList<TableColumn> WebhookConfigurations =>
    [
        Name,
        new("Webhooks", "integer", "", "How many webhooks the configuration has.", 0, (o, _) => (o["webhooks"] as JsonArray)?.Count ?? 0),
        Age,
    ];

    /// <summary>validatingadmissionpolicies.</summary>
    public static IReadOnlyList<TableColumn> ValidatingAdmissionPolicies =>
    [
        Name,
        new("Validations", "integer", "", "How many validations the policy has.", 0, (o, _) => (o["spec"]?["validations"] as JsonArray)?.Count ?? 0),
        new("ParamKind", "string", "", "The kind of the policy's parameters.", 0, (o, _) => o["spec"]?["paramKind"] is JsonObject p ? $"{p["apiVersion"]}/{p["kind"]}" : "<unset>"),
        Age,
    ];

    /// <summary>validatingadmissionpolicybindings.</summary>
    public static IReadOnlyList<TableColumn> ValidatingAdmissionPolicyBindings =>
    [
        Name,
        new("PolicyName", "string", "", "The policy bound.", 0, (o, _) => o.GetString("spec", "policyName") ?? ""),
        new("ParamRef", "string", "", "The parameters used.", 0, (o, _) => o["spec"]?["paramRef"] is JsonObject p ? $"{p["namespace"]}/{p["name"]}".TrimStart('/') : "<unset>"),
        Age,
    ];

    /// <summary>csidrivers.</summary>
    public static IReadOnlyList<TableColumn> CsiDrivers =>
    [
        Name,
        new("AttachRequired", "boolean", "", "Whether volumes need attaching.", 0, (o, _) => Bool(o, true, "spec", "attachRequired")),
        new("PodInfoOnMount", "boolean", "", "Whether pod information is passed on mount.", 0, (o, _) => Bool(o, false, "spec", "podInfoOnMount")),
        new("StorageCapacity", "boolean", "", "Whether capacity is tracked.", 0, (o, _) => Bool(o, false, "spec", "storageCapacity")),
        new("TokenRequests", "string", "", "Audiences of the tokens passed.", 0, (o, _) => ListText((o["spec"]?["tokenRequests"] as JsonArray)?.OfType<JsonObject>().Select(t => t["audience"]?.ToString() ?? ""), "<unset>")),
        new("RequiresRepublish", "boolean", "", "Whether NodePublishVolume is called again.", 0, (o, _) => Bool(o, false, "spec", "requiresRepublish")),
        new("Modes", "string", "", "Volume lifecycle modes.", 0, (o, _) => ListText((o["spec"]?["volumeLifecycleModes"] as JsonArray)?.Select(m => m?.ToString() ?? ""), "<none>")),
        Age,
    ];

    /// <summary>csinodes.</summary>
    public static IReadOnlyList<TableColumn> CsiNodes =>
    [
        Name,
        new("Drivers", "integer", "", "How many drivers the node has.", 0, (o, _) => (o["spec"]?["drivers"] as JsonArray)?.Count ?? 0),
        Age,
    ];

    /// <summary>csistoragecapacities.</summary>
    public static IReadOnlyList<TableColumn> CsiStorageCapacities =>
    [
        Name,
        new("StorageClassName", "string", "", "The storage class.", 0, (o, _) => o.GetString("storageClassName") ?? ""),
        new("Capacity", "string", "", "The capacity reported.", 0, (o, _) => o["capacity"]?.ToString() ?? ""),
    ];

    /// <summary>volumeattachments.</summary>
    public static IReadOnlyList<TableColumn> VolumeAttachments =>
    [
        Name,
        new("Attacher", "string", "", "The attaching driver.", 0, (o, _) => o.GetString("spec", "attacher") ?? ""),
        new("PV", "string", "", "The persistent volume.", 0, (o, _) => o.GetString("spec", "source", "persistentVolumeName") ?? ""),
        new("Node", "string", "", "The node attached to.", 0, (o, _) => o.GetString("spec", "nodeName") ?? ""),
        new("Attached", "boolean", "", "Whether the volume is attached.", 0, (o, _) => Bool(o, false, "status", "attached")),
        Age,
    ];

    /// <summary>runtimeclasses.</summary>
    public static IReadOnlyList<TableColumn> RuntimeClasses =>
    [
        Name,
        new("Handler", "string", "", "The runtime handler.", 0, (o, _) => o.GetString("handler") ?? ""),
        Age,
    ];

    /// <summary>controllerrevisions.</summary>
    public static IReadOnlyList<TableColumn> ControllerRevisions =>
    [
        Name,
        new("Controller", "string", "", "The controller owning the revision.", 0, (o, _) => ControllerOf(o)),
        new("Revision", "integer", "", "The revision number.", 0, (o, _) => TableConvertor.Int(o, "revision")),
        Age,
    ];

    /// <summary>apiservices.</summary>
    public static IReadOnlyList<TableColumn> ApiServices =>
    [
        Name,
        new("Service", "string", "", "The service behind the API, or Local.", 0, (o, _) => o["spec"]?["service"] is JsonObject s ? $"{s["namespace"]}/{s["name"]}" : "Local"),
        new("Available", "string", "", "The Available condition.", 0, (o, _) => Available(o)),
        Age,
    ];

    /// <summary>flowschemas.</summary>
    public static IReadOnlyList<TableColumn> FlowSchemas =>
    [
        Name,
        new("PriorityLevel", "string", "", "The priority level the flows go to.", 0, (o, _) => o.GetString("spec", "priorityLevelConfiguration", "name") ?? ""),
        new("MatchingPrecedence", "integer", "", "Lower matches first.", 0, (o, _) => TableConvertor.Int(o, "spec", "matchingPrecedence")),
        new("DistinguisherMethod", "string", "", "How flows are told apart.", 0, (o, _) => o["spec"]?["distinguisherMethod"]?["type"]?.ToString() ?? "<none>"),
        Age,
    ];

    /// <summary>prioritylevelconfigurations.</summary>
    public static IReadOnlyList<TableColumn> PriorityLevelConfigurations =>
    [
        Name,
        new("Type", "string", "", "Limited or Exempt.", 0, (o, _) => o.GetString("spec", "type") ?? ""),
        new("NominalConcurrencyShares", "string", "", "The level's share of concurrency.", 0, (o, _) => o["spec"]?["limited"]?["nominalConcurrencyShares"]?.ToString() ?? "<none>"),
        Age,
    ];

    /// <summary>deviceclasses, resourceclaimtemplates.</summary>
    public static IReadOnlyList<TableColumn> NameAndAge => [Name, Age];

    /// <summary>resourceclaims.</summary>
    public static IReadOnlyList<TableColumn> ResourceClaims =>
    [
        Name,
        new("State", "string", "", "allocated, reserved or pending, and deleted.", 0, (o, _) => ClaimState(o)),
        Age,
    ];

    /// <summary>resourceslices.</summary>
    public static IReadOnlyList<TableColumn> ResourceSlices =>
    [
        Name,
        new("Node", "string", "", "The node the devices are on.", 0, (o, _) => o.GetString("spec", "nodeName") is { Length: > 0 } n ? n : "<none>"),
        new("Driver", "string", "", "The driver publishing the slice.", 0, (o, _) => o.GetString("spec", "driver") ?? ""),
        new("Pool", "string", "", "The pool the slice belongs to.", 0, (o, _) => o.GetString("spec", "pool", "name") ?? ""),
        Age,
    ];

    /// <summary>volumeattributesclasses.</summary>
    public static IReadOnlyList<TableColumn> VolumeAttributesClasses =>
    [
        Name,
        new("DriverName", "string", "", "The CSI driver.", 0, (o, _) => o.GetString("driverName") ?? ""),
        Age,
    ];

    /// <summary>A resource claim's state: allocated and/or reserved (or pending), then deleted when it is going away.</summary>
    private static string ClaimState(JsonObject claim)
    {
        var states = new List<string>();
        if (claim["status"]?["allocation"] is JsonObject)
        {
            states.Add(claim["status"]?["reservedFor"] is JsonArray { Count: > 0 } ? "allocated,reserved" : "allocated");
        }
        else
        {
            states.Add("pending");
        }

        if (ObjectMeta.DeletionTimestamp(claim).Length > 0)
        {
            states.Add("deleted");
        }

        return string.Join(",", states);
    }

    private static bool Bool(JsonObject o, bool fallback, params string[] path)
    {
        JsonNode? node = o;
        foreach (var part in path)
        {
            node = node?[part];
        }

        return node is JsonValue v && v.TryGetValue<bool>(out var b) ? b : fallback;
    }

    private static string ListText(IEnumerable<string>? values, string empty, int limit = int.MaxValue)
    {
        var list = values?.Where(v => v.Length > 0).ToList() ?? [];
        if (list.Count == 0)
        {
            return empty;
        }

        return list.Count > limit ? string.Join(",", list.Take(limit)) + $" + {list.Count - limit} more..." : string.Join(",", list);
    }

    /// <summary>"pods: 1/5, secrets: 0/10" for the non-limit (or the limits.*) resources, in name order.</summary>
    private static string QuotaText(JsonObject quota, bool limits)
    {
        var hard = quota["status"]?["hard"] as JsonObject ?? quota["spec"]?["hard"] as JsonObject ?? [];
        var used = quota["status"]?["used"] as JsonObject;
        var parts = hard.Where(p => p.Key.StartsWith("limits.", StringComparison.Ordinal) == limits)
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => $"{p.Key}: {used?[p.Key]?.ToString() ?? "0"}/{p.Value}");
        return string.Join(", ", parts);
    }

    private static string HpaTargets(JsonObject hpa)
    {
        var metrics = hpa["spec"]?["metrics"] as JsonArray;
        if (metrics is null || metrics.Count == 0)
        {
            var target = hpa["spec"]?["targetCPUUtilizationPercentage"];
            return target is null ? "<none>" : $"<unknown>/{target}%";
        }

        return string.Join(", ", metrics.OfType<JsonObject>().Select(m =>
        {
            var target = m["resource"]?["target"] as JsonObject;
            return target?["averageUtilization"] is { } utilization
                ? $"cpu: <unknown>/{utilization}%"
                : $"<unknown>/{target?["averageValue"] ?? target?["value"]}";
        }));
    }

    private static string CsrCondition(JsonObject csr)
    {
        var types = (csr["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().Select(c => c["type"]?.ToString() ?? "").ToList();
        if (types.Count == 0)
        {
            return "Pending";
        }

        if (csr["status"]?["certificate"] is JsonValue)
        {
            types.Add("Issued");
        }

        return string.Join(",", types);
    }

    private static string PodSelector(JsonObject? selector)
    {
        var text = MoreColumns.LabelSelectorText(selector);
        return text is "<none>" or "" ? "<none>" : text;
    }

    private static string ControllerOf(JsonObject o)
    {
        var owner = (o["metadata"]?["ownerReferences"] as JsonArray ?? []).OfType<JsonObject>()
            .FirstOrDefault(r => r["controller"] is JsonValue v && v.TryGetValue<bool>(out var c) && c);
        if (owner is null)
        {
            return "<none>";
        }

        var apiVersion = owner["apiVersion"]?.ToString() ?? "";
        var group = apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[..apiVersion.IndexOf('/', StringComparison.Ordinal)] : "";
        var kind = (owner["kind"]?.ToString() ?? "").ToLowerInvariant();
        return $"{kind}{(group.Length > 0 ? "." + group : "")}/{owner["name"]}";
    }

    private static string Available(JsonObject o)
    {
        var condition = (o["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => c["type"]?.ToString() == "Available");
        if (condition is null)
        {
            return "Unknown";
        }

        var status = condition["status"]?.ToString() ?? "Unknown";
        return status == "True" ? "True" : $"{status} ({condition["reason"]})";
    }

    private static string ShortDuration(TimeSpan d) => d.TotalHours >= 1
        ? $"{(int)d.TotalHours}h{(d.Minutes > 0 ? d.Minutes.ToString(CultureInfo.InvariantCulture) + "m" : "")}"
        : $"{(int)d.TotalMinutes}m";
}
