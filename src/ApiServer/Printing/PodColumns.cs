using System.Text.Json.Nodes;
using ApiServer.Registry;

namespace ApiServer.Printing;

/// <summary>
/// The pod columns as kube-apiserver prints them (pkg/printers/internalversion printPod): READY counts
/// ready containers, STATUS is the reason a person wants to see (Running, Pending, ContainerCreating,
/// CrashLoopBackOff, Completed, Terminating, Init:0/1...), RESTARTS sums container restarts.
/// </summary>
internal static class PodColumns
{
    public static readonly IReadOnlyList<TableColumn> All =
    [
        new("Name", "string", "name", "The name of the object, unique within its namespace.", 0, (o, _) => ObjectMeta.Name(o)),
        new("Ready", "string", "", "Ready containers out of all containers.", 0, (o, _) => Ready(o)),
        new("Status", "string", "", "The aggregate state of the pod's containers.", 0, (o, _) => Status(o)),
        new("Restarts", "string", "", "Container restarts since the pod started.", 0, (o, _) => Restarts(o).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("Age", "string", "", "How long ago the object was created.", 0, (o, now) => TableConvertor.Age(o, now)),
        new("IP", "string", "", "The pod's IP address.", 1, (o, _) => TableConvertor.Path(o, "status", "podIP") is { Length: > 0 } ip ? ip : "<none>"),
        new("Node", "string", "", "The node the pod is bound to.", 1, (o, _) => TableConvertor.Path(o, "spec", "nodeName") is { Length: > 0 } n ? n : "<none>"),
        new("Nominated Node", "string", "", "The node preemption nominated for the pod.", 1, (o, _) => TableConvertor.Path(o, "status", "nominatedNodeName") is { Length: > 0 } n ? n : "<none>"),
        new("Readiness Gates", "string", "", "Readiness gates that are true out of all.", 1, (o, _) => ReadinessGates(o)),
    ];

    private static JsonArray Statuses(JsonObject pod, string field) => pod["status"]?[field] as JsonArray ?? [];

    private static string Ready(JsonObject pod)
    {
        var total = (pod["spec"]?["containers"] as JsonArray)?.Count ?? 0;
        var ready = Statuses(pod, "containerStatuses").Count(s => s?["ready"] is JsonValue v && v.TryGetValue<bool>(out var b) && b);
        return $"{ready}/{total}";
    }

    private static long Restarts(JsonObject pod) =>
        Statuses(pod, "containerStatuses").Concat(Statuses(pod, "initContainerStatuses"))
            .Sum(s => s is JsonObject o ? TableConvertor.Int(o, "restartCount") : 0);

    private static string Status(JsonObject pod)
    {
        var reason = TableConvertor.Path(pod, "status", "phase");
        if (TableConvertor.Path(pod, "status", "reason") is { Length: > 0 } podReason)
        {
            reason = podReason;
        }

        var initContainers = pod["spec"]?["initContainers"] as JsonArray ?? [];
        var initializing = false;
        var initStatuses = Statuses(pod, "initContainerStatuses");
        for (var i = 0; i < initStatuses.Count; i++)
        {
            var state = initStatuses[i]?["state"] as JsonObject;
            if (state?["terminated"] is JsonObject terminated && TableConvertor.Int(terminated, "exitCode") == 0)
            {
                continue;
            }

            initializing = true;
            reason = state?["terminated"] is JsonObject failed
                ? (TableConvertor.Path(failed, "reason") is { Length: > 0 } r ? "Init:" + r : $"Init:ExitCode:{TableConvertor.Int(failed, "exitCode")}")
                : state?["waiting"] is JsonObject waiting && TableConvertor.Path(waiting, "reason") is { Length: > 0 } w && w != "PodInitializing"
                    ? "Init:" + w
                    : $"Init:{i}/{initContainers.Count}";
            break;
        }

        if (!initializing)
        {
            var hasRunning = false;
            var statuses = Statuses(pod, "containerStatuses");
            for (var i = statuses.Count - 1; i >= 0; i--)
            {
                var state = statuses[i]?["state"] as JsonObject;
                if (state?["waiting"] is JsonObject waiting && TableConvertor.Path(waiting, "reason") is { Length: > 0 } w)
                {
                    reason = w;
                }
                else if (state?["terminated"] is JsonObject terminated)
                {
                    reason = TableConvertor.Path(terminated, "reason") is { Length: > 0 } t ? t
                        : TableConvertor.Int(terminated, "signal") != 0 ? $"Signal:{TableConvertor.Int(terminated, "signal")}"
                        : $"ExitCode:{TableConvertor.Int(terminated, "exitCode")}";
                }
                else if (state?["running"] is JsonObject && statuses[i]?["ready"] is JsonValue ready && ready.TryGetValue<bool>(out var r) && r)
                {
                    hasRunning = true;
                }
            }

            if (reason == "Completed" && hasRunning)
            {
                reason = "Running";
            }
        }

        if (ObjectMeta.DeletionTimestamp(pod).Length > 0)
        {
            reason = TableConvertor.Path(pod, "status", "reason") == "NodeLost" ? "Unknown" : "Terminating";
        }

        return reason;
    }

    private static string ReadinessGates(JsonObject pod)
    {
        var gates = pod["spec"]?["readinessGates"] as JsonArray ?? [];
        if (gates.Count == 0)
        {
            return "<none>";
        }

        var conditions = Statuses(pod, "conditions").OfType<JsonObject>()
            .ToDictionary(c => TableConvertor.Path(c, "type"), c => TableConvertor.Path(c, "status"));
        var ready = gates.OfType<JsonObject>().Count(g => conditions.TryGetValue(TableConvertor.Path(g, "conditionType"), out var s) && s == "True");
        return $"{ready}/{gates.Count}";
    }
}
