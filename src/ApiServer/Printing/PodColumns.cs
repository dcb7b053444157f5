using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Meta;
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
        new("Ready", "string", "", "Ready containers out of all containers.", 0, (o, now) => Summarize(o, now).Ready),
        new("Status", "string", "", "The aggregate state of the pod's containers.", 0, (o, now) => Summarize(o, now).Status),
        new("Restarts", "string", "", "Container restarts since the pod started.", 0, (o, now) => Summarize(o, now).Restarts),
        new("Age", "string", "", "How long ago the object was created.", 0, (o, now) => TableConvertor.Age(o, now)),
        new("IP", "string", "", "The pod's IP address.", 1, (o, _) => PodIP(o)),
        new("Node", "string", "", "The node the pod is bound to.", 1, (o, _) => o.GetString("spec", "nodeName") is { Length: > 0 } n ? n : "<none>"),
        new("Nominated Node", "string", "", "The node preemption nominated for the pod.", 1, (o, _) => o.GetString("status", "nominatedNodeName") is { Length: > 0 } n ? n : "<none>"),
        new("Readiness Gates", "string", "", "Readiness gates that are true out of all.", 1, (o, _) => ReadinessGates(o)),
    ];

    /// <summary>The READY, STATUS and RESTARTS cells, worked out together as kube's printPod does.</summary>
    internal readonly record struct Summary(string Ready, string Status, string Restarts);

    private static JsonArray Statuses(JsonObject pod, string field) => pod["status"]?[field] as JsonArray ?? [];

    private static bool True(JsonNode? node, string field) => node?[field] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    private static string PodIP(JsonObject pod)
    {
        var ips = pod["status"]?["podIPs"] as JsonArray;
        var ip = ips is { Count: > 0 } && ips[0] is JsonObject first ? first.GetString("ip") ?? "" : pod.GetString("status", "podIP") ?? "";
        return ip.Length > 0 ? ip : "<none>";
    }

    /// <summary>
    /// kube's printPod: the reason a person wants to see (the phase or the pod's reason, then the
    /// first unfinished init container, then the containers' waiting or terminated reasons, Running
    /// or NotReady for a completed pod with containers still running, Terminating while deleted),
    /// ready containers counting started sidecars, and restarts with how long ago the last one was.
    /// </summary>
    internal static Summary Summarize(JsonObject pod, DateTimeOffset now)
    {
        var phase = pod.GetString("status", "phase") ?? "";
        var reason = pod.GetString("status", "reason") is { Length: > 0 } podReason ? podReason : phase;
        var conditions = Statuses(pod, "conditions").OfType<JsonObject>().ToList();
        if (conditions.Any(c => c.GetString("type") == "PodScheduled" && c.GetString("reason") == "SchedulingGated"))
        {
            reason = "SchedulingGated";
        }

        var initSpecs = (pod["spec"]?["initContainers"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var sidecars = initSpecs.Where(c => c.GetString("restartPolicy") == "Always").Select(c => c.GetString("name") ?? "").ToHashSet(StringComparer.Ordinal);
        var total = ((pod["spec"]?["containers"] as JsonArray)?.Count ?? 0) + sidecars.Count;
        var ready = 0;
        long restarts = 0, sidecarRestarts = 0;
        DateTimeOffset? lastRestart = null, lastSidecarRestart = null;

        var initializing = false;
        var initStatuses = Statuses(pod, "initContainerStatuses");
        for (var i = 0; i < initStatuses.Count; i++)
        {
            if (initStatuses[i] is not JsonObject status)
            {
                continue;
            }

            var isSidecar = sidecars.Contains(status.GetString("name") ?? "");
            var count = TableConvertor.Int(status, "restartCount");
            var finished = LastTermination(status);
            restarts += count;
            lastRestart = Latest(lastRestart, finished);
            if (isSidecar)
            {
                sidecarRestarts += count;
                lastSidecarRestart = Latest(lastSidecarRestart, finished);
            }

            var state = status["state"] as JsonObject;
            if (state?["terminated"] is JsonObject done && TableConvertor.Int(done, "exitCode") == 0)
            {
                continue;
            }

            if (isSidecar && True(status, "started"))
            {
                if (True(status, "ready"))
                {
                    ready++;
                }

                continue;
            }

            initializing = true;
            if (state?["terminated"] is JsonObject failed)
            {
                reason = failed.GetString("reason") is { Length: > 0 } r ? "Init:" + r
                    : TableConvertor.Int(failed, "signal") != 0 ? $"Init:Signal:{TableConvertor.Int(failed, "signal")}"
                    : $"Init:ExitCode:{TableConvertor.Int(failed, "exitCode")}";
            }
            else if (state?["waiting"] is JsonObject waiting && waiting.GetString("reason") is { Length: > 0 } w && w != "PodInitializing")
            {
                reason = "Init:" + w;
            }
            else
            {
                reason = $"Init:{i}/{initSpecs.Count}";
            }

            break;
        }

        var initialized = conditions.FirstOrDefault(c => c.GetString("type") == "Initialized") is { } init && init.GetString("status") == "True";
        if (!initializing || initialized)
        {
            restarts = sidecarRestarts;
            lastRestart = lastSidecarRestart;
            var hasRunning = false;
            var statuses = Statuses(pod, "containerStatuses");
            for (var i = statuses.Count - 1; i >= 0; i--)
            {
                if (statuses[i] is not JsonObject status)
                {
                    continue;
                }

                restarts += TableConvertor.Int(status, "restartCount");
                lastRestart = Latest(lastRestart, LastTermination(status));
                var state = status["state"] as JsonObject;
                if (state?["waiting"] is JsonObject waiting && waiting.GetString("reason") is { Length: > 0 } w)
                {
                    reason = w;
                }
                else if (state?["terminated"] is JsonObject terminated)
                {
                    reason = terminated.GetString("reason") is { Length: > 0 } t ? t
                        : TableConvertor.Int(terminated, "signal") != 0 ? $"Signal:{TableConvertor.Int(terminated, "signal")}"
                        : $"ExitCode:{TableConvertor.Int(terminated, "exitCode")}";
                }
                else if (True(status, "ready") && state?["running"] is JsonObject)
                {
                    hasRunning = true;
                    ready++;
                }
            }

            // A completed pod with a container still running is Running, or NotReady without the Ready condition.
            if (reason == "Completed" && hasRunning)
            {
                reason = conditions.Any(c => c.GetString("type") == "Ready" && c.GetString("status") == "True") ? "Running" : "NotReady";
            }
        }

        if (ObjectMeta.DeletionTimestamp(pod).Length > 0)
        {
            if (pod.GetString("status", "reason") == "NodeLost")
            {
                reason = "Unknown";
            }
            else if (phase is not ("Succeeded" or "Failed"))
            {
                reason = "Terminating";
            }
        }

        var restartsText = restarts.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (restarts != 0 && lastRestart is { } last)
        {
            restartsText += $" ({TableConvertor.HumanDuration(now - last)} ago)";
        }

        return new Summary($"{ready}/{total}", reason, restartsText);
    }

    private static DateTimeOffset? LastTermination(JsonObject status) =>
        status["lastState"]?["terminated"] is JsonObject terminated
        && DateTimeOffset.TryParse(terminated.GetString("finishedAt") ?? "", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : null;

    private static DateTimeOffset? Latest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : (a > b ? a : b);

    private static string ReadinessGates(JsonObject pod)
    {
        var gates = pod["spec"]?["readinessGates"] as JsonArray ?? [];
        if (gates.Count == 0)
        {
            return "<none>";
        }

        var conditions = Statuses(pod, "conditions").OfType<JsonObject>()
            .ToDictionary(c => c.GetString("type") ?? "", c => c.GetString("status") ?? "");
        var ready = gates.OfType<JsonObject>().Count(g => conditions.TryGetValue(g.GetString("conditionType") ?? "", out var s) && s == "True");
        return $"{ready}/{gates.Count}";
    }
}
