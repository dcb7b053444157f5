using System.Globalization;
using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiServer.Registry;

namespace ApiServer.Printing;

/// <summary>One column of a meta.k8s.io/v1 Table.</summary>
internal sealed record TableColumn(string Name, string Type, string Format, string Description, int Priority, Func<JsonObject, DateTimeOffset, JsonNode?> Cell);

/// <summary>
/// Server-side printing (kube-apiserver's TableConvertor): kubectl asks for a Table and prints its
/// columns. Kinds with a printer here get kube-apiserver's columns; every other kind gets the
/// default Name and Created At.
/// </summary>
internal static class TableConvertor
{
    public static JsonObject ToTable(ResourceDefinition resource, IEnumerable<JsonObject> objects, JsonObject listMetadata, string includeObject, DateTimeOffset now) =>
        ToTable(ColumnsFor(resource), objects, listMetadata, includeObject, now);

    /// <summary>A Table of <paramref name="objects"/> in the given columns (a Scale's are the default ones).</summary>
    public static JsonObject ToTable(IReadOnlyList<TableColumn> columns, IEnumerable<JsonObject> objects, JsonObject listMetadata, string includeObject, DateTimeOffset now)
    {
        var rows = new JsonArray();
        foreach (var obj in objects)
        {
            rows.Add(Row(columns, obj, includeObject, now, owned: false));
        }

        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = listMetadata,
            ["columnDefinitions"] = ColumnDefinitions(columns),
            ["rows"] = rows,
        };
    }

    public static JsonArray ColumnDefinitions(IReadOnlyList<TableColumn> columns)
    {
        var definitions = new JsonArray();
        foreach (var c in columns)
        {
            definitions.Add(new JsonObject
            {
                ["name"] = c.Name,
                ["type"] = c.Type,
                ["format"] = c.Format,
                ["description"] = c.Description,
                ["priority"] = c.Priority,
            });
        }

        return definitions;
    }

    /// <summary>One row: the cells, and the object as includeObject asks.</summary>
    /// <param name="owned">whether <paramref name="obj"/> is the caller's to give away (else it is copied into the row).</param>
    public static JsonObject Row(IReadOnlyList<TableColumn> columns, JsonObject obj, string includeObject, DateTimeOffset now, bool owned)
    {
        var row = new JsonObject { ["cells"] = new JsonArray(columns.Select(c => c.Cell(obj, now)).ToArray()) };
        switch (includeObject)
        {
            case "Object":
                row["object"] = owned ? obj : obj.DeepClone();
                break;
            case "Metadata":
                var metadata = obj["metadata"];
                if (owned && metadata is not null)
                {
                    obj.Remove("metadata");
                }

                row["object"] = new JsonObject
                {
                    ["kind"] = "PartialObjectMetadata",
                    ["apiVersion"] = "meta.k8s.io/v1",
                    ["metadata"] = owned ? metadata : metadata?.DeepClone(),
                };
                break;
        }

        return row;
    }

    private static readonly TableColumn NameColumn =
        new("Name", "string", "name", "The name of the object, unique within its namespace.", 0, (o, _) => ObjectMeta.Name(o));

    private static readonly TableColumn AgeColumn =
        new("Age", "string", "", "How long ago the object was created.", 0, (o, now) => Age(o, now));

    /// <summary>
    /// The kind's columns: a custom resource's from its CRD, a built-in kind's from its registration
    /// (<see cref="BuiltinKinds"/>, pointing at the lists here, in <see cref="MoreColumns"/>,
    /// <see cref="PolicyAndClusterColumns"/> and <see cref="PodColumns"/>), else Name and Created At.
    /// </summary>
    internal static IReadOnlyList<TableColumn> ColumnsFor(ResourceDefinition resource) =>
        resource.Custom is { } custom ? CustomResourceColumns.For(custom) : BuiltinKinds.Find(resource)?.Columns ?? Default;

    /// <summary>namespaces.</summary>
    public static IReadOnlyList<TableColumn> Namespaces =>
    [
        NameColumn,
        new("Status", "string", "", "The phase of the namespace.", 0, (o, _) => o.GetString("status", "phase") ?? ""),
        AgeColumn,
    ];

    /// <summary>configmaps.</summary>
    public static IReadOnlyList<TableColumn> ConfigMaps =>
    [
        NameColumn,
        new("Data", "integer", "", "Number of entries in data and binaryData.", 0, (o, _) => Count(o["data"]) + Count(o["binaryData"])),
        AgeColumn,
    ];

    /// <summary>secrets.</summary>
    public static IReadOnlyList<TableColumn> Secrets =>
    [
        NameColumn,
        new("Type", "string", "", "The type of the secret.", 0, (o, _) => o.GetString("type") ?? ""),
        new("Data", "integer", "", "Number of entries in data.", 0, (o, _) => Count(o["data"])),
        AgeColumn,
    ];

    /// <summary>serviceaccounts.</summary>
    public static IReadOnlyList<TableColumn> ServiceAccounts =>
    [
        NameColumn,
        new("Secrets", "integer", "", "Number of secrets the service account references.", 0, (o, _) => Count(o["secrets"])),
        AgeColumn,
    ];

    /// <summary>services.</summary>
    public static IReadOnlyList<TableColumn> Services =>
    [
        NameColumn,
        new("Type", "string", "", "How the service is exposed.", 0, (o, _) => o.GetString("spec", "type") is { Length: > 0 } t ? t : "ClusterIP"),
        new("Cluster-IP", "string", "", "The virtual IP of the service.", 0, (o, _) => o.GetString("spec", "clusterIP") is { Length: > 0 } ip ? ip : "<none>"),
        new("External-IP", "string", "", "External addresses of the service.", 0, (o, _) => ExternalIps(o)),
        new("Port(s)", "string", "", "The ports the service exposes.", 0, (o, _) => ServicePorts(o)),
        AgeColumn,
        new("Selector", "string", "", "The pod selector of the service.", 1, (o, _) => Selector(o["spec"]?["selector"] as JsonObject)),
    ];

    /// <summary>every other kind.</summary>
    public static IReadOnlyList<TableColumn> Default =>
    [
        NameColumn,
        new("Created At", "date", "", "When the object was created.", 0, (o, _) => o.GetString("metadata", "creationTimestamp") ?? ""),
    ];

    /// <summary>kube's duration.HumanDuration: "42s", "5m3s", "3h10m", "4d", "2y"...</summary>
    internal static string HumanDuration(TimeSpan d)
    {
        var seconds = (long)d.TotalSeconds;
        if (seconds < -1)
        {
            return "<invalid>";
        }

        if (seconds < 0)
        {
            return "0s";
        }

        if (seconds < 120)
        {
            return $"{seconds}s";
        }

        var minutes = (long)d.TotalMinutes;
        if (minutes < 10)
        {
            var s = seconds % 60;
            return s == 0 ? $"{minutes}m" : $"{minutes}m{s}s";
        }

        if (minutes < 180)
        {
            return $"{minutes}m";
        }

        var hours = (long)d.TotalHours;
        if (hours < 8)
        {
            var m = minutes % 60;
            return m == 0 ? $"{hours}h" : $"{hours}h{m}m";
        }

        if (hours < 48)
        {
            return $"{hours}h";
        }

        if (hours < 24 * 8)
        {
            var h = hours % 24;
            return h == 0 ? $"{hours / 24}d" : $"{hours / 24}d{h}h";
        }

        if (hours < 24 * 365 * 2)
        {
            return $"{hours / 24}d";
        }

        if (hours < 24 * 365 * 8)
        {
            var dy = hours / 24 % 365;
            return dy == 0 ? $"{hours / 24 / 365}y" : $"{hours / 24 / 365}y{dy}d";
        }

        return $"{hours / 24 / 365}y";
    }

    internal static string Age(JsonObject obj, DateTimeOffset now)
    {
        var created = obj.GetString("metadata", "creationTimestamp") ?? "";
        return DateTimeOffset.TryParse(created, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? HumanDuration(now - time)
            : "<unknown>";
    }

    internal static long Int(JsonObject obj, params string[] path)
    {
        JsonNode? node = obj;
        foreach (var part in path)
        {
            node = (node as JsonObject)?[part];
        }

        return node is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;
    }

    private static int Count(JsonNode? node) => node switch
    {
        JsonObject o => o.Count,
        JsonArray a => a.Count,
        _ => 0,
    };

    private static string Selector(JsonObject? labels) =>
        labels is null || labels.Count == 0 ? "<none>" : string.Join(",", labels.Select(p => $"{p.Key}={p.Value}"));

    private static string ExternalIps(JsonObject svc)
    {
        var type = svc.GetString("spec", "type") ?? "";
        var ips = (svc["spec"]?["externalIPs"] as JsonArray ?? []).Select(n => n?.ToString() ?? "").ToList();
        if (type == "LoadBalancer")
        {
            ips.AddRange((svc["status"]?["loadBalancer"]?["ingress"] as JsonArray ?? [])
                .Select(i => (((JsonObject)i!).GetString("ip") ?? "") is { Length: > 0 } ip ? ip : ((JsonObject)i!).GetString("hostname") ?? ""));
            return ips.Count > 0 ? string.Join(",", ips) : "<pending>";
        }

        if (type == "ExternalName")
        {
            return svc.GetString("spec", "externalName") ?? "";
        }

        return ips.Count > 0 ? string.Join(",", ips) : "<none>";
    }

    private static string ServicePorts(JsonObject svc)
    {
        var ports = svc["spec"]?["ports"] as JsonArray ?? [];
        if (ports.Count == 0)
        {
            return "<none>";
        }

        return string.Join(",", ports.OfType<JsonObject>().Select(p =>
        {
            var port = Int(p, "port");
            var protocol = p.GetString("protocol") is { Length: > 0 } proto ? proto : "TCP";
            var nodePort = Int(p, "nodePort");
            return nodePort > 0 ? $"{port}:{nodePort}/{protocol}" : $"{port}/{protocol}";
        }));
    }
}
