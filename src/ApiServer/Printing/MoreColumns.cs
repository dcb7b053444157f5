using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiServer.Registry;

namespace ApiServer.Printing;

/// <summary>
/// kube-apiserver's columns (pkg/printers/internalversion) for workload, node, event, storage and
/// RBAC kinds. Cells are computed from the stored object; absent values print as kubectl users know them.
/// </summary>
internal static class MoreColumns
{
    private static readonly TableColumn Name =
        new("Name", "string", "name", "The name of the object, unique within its namespace.", 0, (o, _) => ObjectMeta.Name(o));

    private static readonly TableColumn Age =
        new("Age", "string", "", "How long ago the object was created.", 0, (o, now) => TableConvertor.Age(o, now));

    private static TableColumn Containers(params string[] specPath) =>
        new("Containers", "string", "", "Container names of the pod template.", 1, (o, _) => Join(PodSpec(o, specPath), "name"));

    private static TableColumn Images(params string[] specPath) =>
        new("Images", "string", "", "Container images of the pod template.", 1, (o, _) => Join(PodSpec(o, specPath), "image"));

    private static readonly TableColumn Selector =
        new("Selector", "string", "", "The label selector.", 1, (o, _) => LabelSelectorText(o["spec"]?["selector"] as JsonObject));

    /// <summary>deployments.</summary>
    public static IReadOnlyList<TableColumn> Deployments =>
    [
        Name,
        new("Ready", "string", "", "Ready replicas out of desired.", 0, (o, _) => $"{TableConvertor.Int(o, "status", "readyReplicas")}/{Replicas(o)}"),
        new("Up-to-date", "integer", "", "Replicas running the latest template.", 0, (o, _) => TableConvertor.Int(o, "status", "updatedReplicas")),
        new("Available", "integer", "", "Replicas available to serve.", 0, (o, _) => TableConvertor.Int(o, "status", "availableReplicas")),
        Age,
        Containers("spec", "template", "spec"),
        Images("spec", "template", "spec"),
        Selector,
    ];

    /// <summary>replicasets, replicationcontrollers.</summary>
    public static IReadOnlyList<TableColumn> ReplicaSets =>
    [
        Name,
        new("Desired", "integer", "", "Replicas wanted.", 0, (o, _) => Replicas(o)),
        new("Current", "integer", "", "Replicas that exist.", 0, (o, _) => TableConvertor.Int(o, "status", "replicas")),
        new("Ready", "integer", "", "Replicas that are ready.", 0, (o, _) => TableConvertor.Int(o, "status", "readyReplicas")),
        Age,
        Containers("spec", "template", "spec"),
        Images("spec", "template", "spec"),
        Selector,
    ];

    /// <summary>statefulsets.</summary>
    public static IReadOnlyList<TableColumn> StatefulSets =>
    [
        Name,
        new("Ready", "string", "", "Ready replicas out of desired.", 0, (o, _) => $"{TableConvertor.Int(o, "status", "readyReplicas")}/{Replicas(o)}"),
        Age,
        Containers("spec", "template", "spec"),
        Images("spec", "template", "spec"),
    ];

    /// <summary>daemonsets.</summary>
    public static IReadOnlyList<TableColumn> DaemonSets =>
    [
        Name,
        new("Desired", "integer", "", "Nodes that should run the daemon pod.", 0, (o, _) => TableConvertor.Int(o, "status", "desiredNumberScheduled")),
        new("Current", "integer", "", "Nodes running the daemon pod.", 0, (o, _) => TableConvertor.Int(o, "status", "currentNumberScheduled")),
        new("Ready", "integer", "", "Nodes whose daemon pod is ready.", 0, (o, _) => TableConvertor.Int(o, "status", "numberReady")),
        new("Up-to-date", "integer", "", "Nodes running the latest template.", 0, (o, _) => TableConvertor.Int(o, "status", "updatedNumberScheduled")),
        new("Available", "integer", "", "Nodes whose daemon pod is available.", 0, (o, _) => TableConvertor.Int(o, "status", "numberAvailable")),
        new("Node Selector", "string", "", "The node selector of the pod template.", 0, (o, _) => MapText(o["spec"]?["template"]?["spec"]?["nodeSelector"] as JsonObject)),
        Age,
        Containers("spec", "template", "spec"),
        Images("spec", "template", "spec"),
        Selector,
    ];

    /// <summary>jobs.</summary>
    public static IReadOnlyList<TableColumn> Jobs =>
    [
        Name,
        new("Status", "string", "", "The state of the job.", 0, (o, _) => JobStatus(o)),
        new("Completions", "string", "", "Succeeded pods out of the completions wanted.", 0, (o, _) => JobCompletions(o)),
        new("Duration", "string", "", "How long the job ran.", 0, (o, now) => JobDuration(o, now)),
        Age,
        Containers("spec", "template", "spec"),
        Images("spec", "template", "spec"),
        Selector,
    ];

    /// <summary>cronjobs.</summary>
    public static IReadOnlyList<TableColumn> CronJobs =>
    [
        Name,
        new("Schedule", "string", "", "The cron schedule.", 0, (o, _) => o.GetString("spec", "schedule") ?? ""),
        new("Timezone", "string", "", "The time zone of the schedule.", 0, (o, _) => o.GetString("spec", "timeZone") is { Length: > 0 } tz ? tz : "<none>"),
        new("Suspend", "boolean", "", "Whether new runs are suspended.", 0, (o, _) => o["spec"]?["suspend"] is JsonValue v && v.TryGetValue<bool>(out var b) && b ? "True" : "False"),
        new("Active", "integer", "", "Jobs running now.", 0, (o, _) => (o["status"]?["active"] as JsonArray)?.Count ?? 0),
        new("Last Schedule", "string", "", "When a job was last scheduled.", 0, (o, now) => Since(o.GetString("status", "lastScheduleTime") ?? "", now)),
        Age,
        Containers("spec", "jobTemplate", "spec", "template", "spec"),
        Images("spec", "jobTemplate", "spec", "template", "spec"),
        new("Selector", "string", "", "The label selector of the job template.", 1, (o, _) => LabelSelectorText(o["spec"]?["jobTemplate"]?["spec"]?["selector"] as JsonObject)),
    ];

    /// <summary>nodes.</summary>
    public static IReadOnlyList<TableColumn> Nodes =>
    [
        Name,
        new("Status", "string", "", "The node's readiness.", 0, (o, _) => NodeStatus(o)),
        new("Roles", "string", "", "The node's roles, from its node-role labels.", 0, (o, _) => NodeRoles(o)),
        Age,
        new("Version", "string", "", "The kubelet's version.", 0, (o, _) => o.GetString("status", "nodeInfo", "kubeletVersion") ?? ""),
        new("Internal-IP", "string", "", "The node's internal address.", 1, (o, _) => NodeAddress(o, "InternalIP")),
        new("External-IP", "string", "", "The node's external address.", 1, (o, _) => NodeAddress(o, "ExternalIP")),
        new("OS-Image", "string", "", "The node's operating system image.", 1, (o, _) => Or(o.GetString("status", "nodeInfo", "osImage") ?? "", "<unknown>")),
        new("Kernel-Version", "string", "", "The node's kernel version.", 1, (o, _) => Or(o.GetString("status", "nodeInfo", "kernelVersion") ?? "", "<unknown>")),
        new("Container-Runtime", "string", "", "The node's container runtime.", 1, (o, _) => Or(o.GetString("status", "nodeInfo", "containerRuntimeVersion") ?? "", "<unknown>")),
    ];

    /// <summary>events.</summary>
    public static IReadOnlyList<TableColumn> Events =>
    [
        new("Last Seen", "string", "", "When the event was last seen.", 0, (o, now) => Since(Or(o.GetString("lastTimestamp") ?? "", o.GetString("eventTime") ?? ""), now)),
        new("Type", "string", "", "Normal or Warning.", 0, (o, _) => o.GetString("type") ?? ""),
        new("Reason", "string", "", "Why the event happened.", 0, (o, _) => o.GetString("reason") ?? ""),
        new("Object", "string", "", "The object the event is about.", 0, (o, _) =>
            $"{(o.GetString("involvedObject", "kind") ?? "").ToLowerInvariant()}/{o.GetString("involvedObject", "name") ?? ""}"),
        new("Message", "string", "", "What happened.", 0, (o, _) => (o.GetString("message") ?? "").Trim()),
        new("Subobject", "string", "", "The part of the object the event is about.", 1, (o, _) => o.GetString("involvedObject", "fieldPath") ?? ""),
        new("Source", "string", "", "The component that reported the event.", 1, (o, _) => o.GetString("source", "component") ?? ""),
        new("First Seen", "string", "", "When the event was first seen.", 1, (o, now) => Since(o.GetString("firstTimestamp") ?? "", now)),
        new("Count", "string", "", "How often the event happened.", 1, (o, _) => Math.Max(1, TableConvertor.Int(o, "count")).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("Name", "string", "", "The event's name.", 1, (o, _) => ObjectMeta.Name(o)),
    ];

    /// <summary>componentstatuses.</summary>
    public static IReadOnlyList<TableColumn> ComponentStatuses =>
    [
        Name,
        new("Status", "string", "", "Whether the component is healthy (kube's printComponentStatus).", 0, (o, _) => ComponentHealth(o, "status") == "True" ? "Healthy" : "Unhealthy"),
        new("Message", "string", "", "The component's health answer.", 0, (o, _) => ComponentHealth(o, "message")),
        new("Error", "string", "", "Why the component could not be asked.", 0, (o, _) => ComponentHealth(o, "error")),
    ];

    /// <summary>endpoints.</summary>
    public static IReadOnlyList<TableColumn> Endpoints =>
    [
        Name,
        new("Endpoints", "string", "", "Addresses and ports.", 0, (o, _) => EndpointsText(o)),
        Age,
    ];

    /// <summary>leases.</summary>
    public static IReadOnlyList<TableColumn> Leases =>
    [
        Name,
        new("Holder", "string", "", "Who holds the lease.", 0, (o, _) => o.GetString("spec", "holderIdentity") ?? ""),
        Age,
    ];

    /// <summary>persistentvolumeclaims.</summary>
    public static IReadOnlyList<TableColumn> PersistentVolumeClaims =>
    [
        Name,
        new("Status", "string", "", "The claim's phase.", 0, (o, _) => o.GetString("status", "phase") ?? ""),
        new("Volume", "string", "", "The bound volume.", 0, (o, _) => o.GetString("spec", "volumeName") ?? ""),
        new("Capacity", "string", "", "The bound capacity.", 0, (o, _) => o.GetString("status", "capacity", "storage") ?? ""),
        new("Access Modes", "string", "", "How the volume can be mounted.", 0, (o, _) => AccessModes(o["status"]?["accessModes"] as JsonArray)),
        new("StorageClass", "string", "", "The storage class.", 0, (o, _) => o.GetString("spec", "storageClassName") ?? ""),
        new("VolumeAttributesClass", "string", "", "The volume attributes class.", 0, (o, _) => Or(o.GetString("spec", "volumeAttributesClassName") ?? "", "<unset>")),
        Age,
        new("VolumeMode", "string", "", "Filesystem or Block.", 1, (o, _) => Or(o.GetString("spec", "volumeMode") ?? "", "<unset>")),
    ];

    /// <summary>persistentvolumes.</summary>
    public static IReadOnlyList<TableColumn> PersistentVolumes =>
    [
        Name,
        new("Capacity", "string", "", "The volume's size.", 0, (o, _) => o.GetString("spec", "capacity", "storage") ?? ""),
        new("Access Modes", "string", "", "How the volume can be mounted.", 0, (o, _) => AccessModes(o["spec"]?["accessModes"] as JsonArray)),
        new("Reclaim Policy", "string", "", "What happens when the claim goes.", 0, (o, _) => o.GetString("spec", "persistentVolumeReclaimPolicy") ?? ""),
        new("Status", "string", "", "The volume's phase.", 0, (o, _) => o.GetString("status", "phase") ?? ""),
        new("Claim", "string", "", "The bound claim.", 0, (o, _) => o.GetString("spec", "claimRef", "name") is { Length: > 0 } c
            ? $"{o.GetString("spec", "claimRef", "namespace") ?? ""}/{c}" : ""),
        new("StorageClass", "string", "", "The storage class.", 0, (o, _) => o.GetString("spec", "storageClassName") ?? ""),
        new("VolumeAttributesClass", "string", "", "The volume attributes class.", 0, (o, _) => Or(o.GetString("spec", "volumeAttributesClassName") ?? "", "<unset>")),
        new("Reason", "string", "", "Why the volume is in its phase.", 0, (o, _) => o.GetString("status", "reason") ?? ""),
        Age,
        new("VolumeMode", "string", "", "Filesystem or Block.", 1, (o, _) => Or(o.GetString("spec", "volumeMode") ?? "", "Filesystem")),
    ];

    /// <summary>rolebindings, clusterrolebindings.</summary>
    public static IReadOnlyList<TableColumn> RoleBindings =>
    [
        Name,
        new("Role", "string", "", "The bound role.", 0, (o, _) => $"{o.GetString("roleRef", "kind") ?? ""}/{o.GetString("roleRef", "name") ?? ""}"),
        Age,
        new("Users", "string", "", "Users bound.", 1, (o, _) => Subjects(o, "User")),
        new("Groups", "string", "", "Groups bound.", 1, (o, _) => Subjects(o, "Group")),
        new("ServiceAccounts", "string", "", "Service accounts bound.", 1, (o, _) => Subjects(o, "ServiceAccount")),
    ];

    /// <summary>priorityclasses.</summary>
    public static IReadOnlyList<TableColumn> PriorityClasses =>
    [
        Name,
        new("Value", "integer", "", "The priority.", 0, (o, _) => TableConvertor.Int(o, "value")),
        new("Global-Default", "boolean", "", "Whether pods without a class get this one.", 0, (o, _) => o["globalDefault"] is JsonValue v && v.TryGetValue<bool>(out var b) && b ? "true" : "false"),
        Age,
        new("Preemption Policy", "string", "", "Whether pods of this class preempt others.", 0, (o, _) => Or(o.GetString("preemptionPolicy") ?? "", "PreemptLowerPriority")),
    ];

    /// <summary>storageclasses.</summary>
    public static IReadOnlyList<TableColumn> StorageClasses =>
    [
        Name,
        new("Provisioner", "string", "", "Who provisions volumes.", 0, (o, _) => o.GetString("provisioner") ?? ""),
        new("ReclaimPolicy", "string", "", "What happens to released volumes.", 0, (o, _) => Or(o.GetString("reclaimPolicy") ?? "", "Delete")),
        new("VolumeBindingMode", "string", "", "When volumes are bound.", 0, (o, _) => Or(o.GetString("volumeBindingMode") ?? "", "Immediate")),
        new("AllowVolumeExpansion", "string", "", "Whether volumes can grow.", 0, (o, _) => o["allowVolumeExpansion"] is JsonValue v && v.TryGetValue<bool>(out var b) && b ? "true" : "false"),
        Age,
    ];

    /// <summary>ingresses.</summary>
    public static IReadOnlyList<TableColumn> Ingresses =>
    [
        Name,
        new("Class", "string", "", "The ingress class.", 0, (o, _) => Or(o.GetString("spec", "ingressClassName") ?? "", "<none>")),
        new("Hosts", "string", "", "The hosts routed.", 0, (o, _) => Hosts(o)),
        new("Address", "string", "", "Where the ingress is reachable.", 0, (o, _) => string.Join(",", (o["status"]?["loadBalancer"]?["ingress"] as JsonArray ?? [])
            .OfType<JsonObject>().Select(i => Or(i.GetString("ip") ?? "", i.GetString("hostname") ?? "")))),
        new("Ports", "string", "", "The ports served.", 0, (o, _) => (o["spec"]?["tls"] as JsonArray)?.Count > 0 ? "80, 443" : "80"),
        Age,
    ];

    private static long Replicas(JsonObject o) => o["spec"]?["replicas"] is JsonValue v && v.TryGetValue<long>(out var n) ? n : 1;

    private static JsonObject? PodSpec(JsonObject o, string[] path)
    {
        JsonNode? node = o;
        foreach (var part in path)
        {
            node = (node as JsonObject)?[part];
        }

        return node as JsonObject;
    }

    internal static string Join(JsonObject? podSpec, string field) =>
        string.Join(",", (podSpec?["containers"] as JsonArray ?? []).OfType<JsonObject>().Select(c => c.GetString(field) ?? ""));

    private static string Or(string value, string fallback) => value.Length > 0 ? value : fallback;

    internal static string MapText(JsonObject? map) =>
        map is null || map.Count == 0 ? "<none>" : string.Join(",", map.Select(p => $"{p.Key}={p.Value}"));

    internal static string LabelSelectorText(JsonObject? selector)
    {
        if (selector is null)
        {
            return "<none>";
        }

        var parts = new List<string>();
        foreach (var (key, value) in selector["matchLabels"] as JsonObject ?? [])
        {
            parts.Add($"{key}={value}");
        }

        foreach (var expression in (selector["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var key = expression.GetString("key") ?? "";
            var values = string.Join(",", (expression["values"] as JsonArray ?? []).Select(v => v?.ToString()));
            parts.Add((expression.GetString("operator") ?? "") switch
            {
                "In" => $"{key} in ({values})",
                "NotIn" => $"{key} notin ({values})",
                "Exists" => key,
                "DoesNotExist" => $"!{key}",
                var op => $"{key} {op} ({values})",
            });
        }

        return parts.Count == 0 ? "<none>" : string.Join(",", parts);
    }

    private static string Since(string timestamp, DateTimeOffset now) =>
        DateTimeOffset.TryParse(timestamp, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t)
            ? TableConvertor.HumanDuration(now - t)
            : "<none>";

    private static IEnumerable<JsonObject> Conditions(JsonObject o) => (o["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>();

    private static bool HasCondition(JsonObject o, string type) =>
        Conditions(o).Any(c => (c.GetString("type") ?? "") == type && c.GetString("status") == "True");

    private static string JobStatus(JsonObject job) =>
        HasCondition(job, "Complete") ? "Complete"
        : HasCondition(job, "Failed") ? "Failed"
        : HasCondition(job, "FailureTarget") ? "FailureTarget"
        : HasCondition(job, "SuccessCriteriaMet") ? "SuccessCriteriaMet"
        : HasCondition(job, "Suspended") ? "Suspended"
        : ObjectMeta.DeletionTimestamp(job).Length > 0 ? "Terminating"
        : "Running";

    private static string JobCompletions(JsonObject job)
    {
        var succeeded = TableConvertor.Int(job, "status", "succeeded");
        if (job["spec"]?["completions"] is JsonValue v && v.TryGetValue<long>(out var completions))
        {
            return $"{succeeded}/{completions}";
        }

        var parallelism = job["spec"]?["parallelism"] is JsonValue p && p.TryGetValue<long>(out var n) ? n : 1;
        return parallelism > 1 ? $"{succeeded}/1 of {parallelism}" : $"{succeeded}/1";
    }

    private static string JobDuration(JsonObject job, DateTimeOffset now)
    {
        if (!DateTimeOffset.TryParse(job.GetString("status", "startTime") ?? "", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var start))
        {
            return "";
        }

        var end = DateTimeOffset.TryParse(job.GetString("status", "completionTime") ?? "", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var done) ? done : now;
        return TableConvertor.HumanDuration(end - start);
    }

    private static string NodeStatus(JsonObject node)
    {
        var ready = Conditions(node).FirstOrDefault(c => c.GetString("type") == "Ready");
        var status = ready is null ? "Unknown" : (ready.GetString("status") ?? "") switch
        {
            "True" => "Ready",
            "False" => "NotReady",
            _ => "Unknown",
        };
        if (node["spec"]?["unschedulable"] is JsonValue v && v.TryGetValue<bool>(out var b) && b)
        {
            status += ",SchedulingDisabled";
        }

        return status;
    }

    private static string NodeRoles(JsonObject node)
    {
        const string Prefix = "node-role.kubernetes.io/";
        var roles = ObjectMeta.Labels(node)
            .Select(l => l.Key.StartsWith(Prefix, StringComparison.Ordinal) ? l.Key[Prefix.Length..] : l.Key == "kubernetes.io/role" ? l.Value : null)
            .Where(r => !string.IsNullOrEmpty(r))
            .Order(StringComparer.Ordinal)
            .ToArray();
        return roles.Length == 0 ? "<none>" : string.Join(",", roles);
    }

    private static string NodeAddress(JsonObject node, string type) =>
        (node["status"]?["addresses"] as JsonArray ?? []).OfType<JsonObject>()
            .FirstOrDefault(a => (a.GetString("type") ?? "") == type) is { } address ? address.GetString("address") ?? "" : "<none>";

    /// <summary>A field of the Healthy condition ("" without one).</summary>
    private static string ComponentHealth(JsonObject status, string field) =>
        (status["conditions"] as JsonArray ?? []).OfType<JsonObject>().Where(c => c.GetString("type") == "Healthy")
            .Select(c => c.GetString(field) ?? "").FirstOrDefault() ?? "";

    private static string EndpointsText(JsonObject endpoints)
    {
        var list = new List<string>();
        foreach (var subset in (endpoints["subsets"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var ports = (subset["ports"] as JsonArray ?? []).OfType<JsonObject>().Select(p => TableConvertor.Int(p, "port")).DefaultIfEmpty().ToArray();
            foreach (var address in (subset["addresses"] as JsonArray ?? []).OfType<JsonObject>())
            {
                list.AddRange(ports.Select(p => p == 0 ? address.GetString("ip") ?? "" : $"{address.GetString("ip") ?? ""}:{p}"));
            }
        }

        return list.Count == 0 ? "<none>" : list.Count > 3 ? $"{string.Join(",", list.Take(3))} + {list.Count - 3} more..." : string.Join(",", list);
    }

    private static string AccessModes(JsonArray? modes)
    {
        var names = (modes ?? []).Select(m => m?.ToString() switch
        {
            "ReadWriteOnce" => "RWO",
            "ReadOnlyMany" => "ROX",
            "ReadWriteMany" => "RWX",
            "ReadWriteOncePod" => "RWOP",
            var other => other,
        });
        return string.Join(",", names);
    }

    private static string Subjects(JsonObject binding, string kind)
    {
        var names = (binding["subjects"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(s => (s.GetString("kind") ?? "") == kind)
            .Select(s => kind == "ServiceAccount" ? $"{s.GetString("namespace") ?? ""}/{s.GetString("name") ?? ""}" : s.GetString("name") ?? "");
        return string.Join(", ", names);
    }

    private static string Hosts(JsonObject ingress)
    {
        var hosts = (ingress["spec"]?["rules"] as JsonArray ?? []).OfType<JsonObject>().Select(r => Or(r.GetString("host") ?? "", "*")).ToArray();
        return hosts.Length == 0 ? "*" : hosts.Length > 4 ? $"{string.Join(",", hosts.Take(4))} + {hosts.Length - 4} more..." : string.Join(",", hosts);
    }
}
