using System.Globalization;
using k8s.Models;

namespace NodeSimulator.Kubelet;

/// <summary>
/// What a simulated container "printed": no process runs, so its log is made from its status and
/// spec: a line when it started, one per readiness and liveness probe period (each succeeds), and
/// one when it exited. Lines carry the times they describe, so --since, --tail and -f behave.
/// </summary>
public static class PodLogs
{
    private const int MaxProbeLines = 10_000;

    /// <summary>Why the container has no log to show (kubelet's wording), or null.</summary>
    public static string? Unavailable(V1Pod pod, string container, bool previous)
    {
        var status = Find(pod, container);
        if (status is null)
        {
            return $"container \"{container}\" in pod \"{pod.Metadata.Name}\" is waiting to start: ContainerCreating";
        }

        if (previous)
        {
            return status.LastState?.Terminated is null
                ? $"previous terminated container \"{container}\" in pod \"{pod.Metadata.Name}\" not found"
                : null;
        }

        if (status.State?.Waiting is { } waiting && status.LastState?.Terminated is null)
        {
            return $"container \"{container}\" in pod \"{pod.Metadata.Name}\" is waiting to start: {waiting.Reason}";
        }

        return null;
    }

    /// <summary>The container's lines up to <paramref name="now"/>, oldest first.</summary>
    public static List<(DateTime Time, string Text)> Lines(V1Pod pod, string container, bool previous, DateTime now)
    {
        var status = Find(pod, container);
        var spec = (pod.Spec?.Containers ?? []).Concat(pod.Spec?.InitContainers ?? []).FirstOrDefault(c => c.Name == container);
        var lines = new List<(DateTime, string)>();
        if (status is null || spec is null)
        {
            return lines;
        }

        DateTime? started;
        DateTime? finished = null;
        int? exitCode = null;
        var state = previous ? status.LastState : status.State;
        if (state?.Running is { } running)
        {
            started = running.StartedAt;
        }
        else if (state?.Terminated is { } terminated)
        {
            started = terminated.StartedAt;
            finished = terminated.FinishedAt;
            exitCode = terminated.ExitCode;
        }
        else if (!previous && status.LastState?.Terminated is { } last)
        {
            // Waiting to restart: show the last run, as `kubectl logs` shows the last instance.
            started = last.StartedAt;
            finished = last.FinishedAt;
            exitCode = last.ExitCode;
        }
        else
        {
            return lines;
        }

        if (started is not { } start)
        {
            return lines;
        }

        var node = pod.Spec?.NodeName ?? "";
        lines.Add((start, $"[node-simulator] container {container} started on {node} (image {spec.Image}); this is a simulated container and runs no process"));
        var end = finished ?? now;
        AddProbe(lines, "readiness", spec.ReadinessProbe, start, end);
        AddProbe(lines, "liveness", spec.LivenessProbe, start, end);
        AddProbe(lines, "startup", spec.StartupProbe, start, end);
        lines.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        if (finished is { } f)
        {
            lines.Add((f, $"[node-simulator] container {container} exited with code {exitCode ?? 0}"));
        }

        return lines;
    }

    /// <summary>Whether a container can still write lines (it runs), so a follow stays open.</summary>
    public static bool IsRunning(V1Pod pod, string container) => Find(pod, container)?.State?.Running is not null;

    private static void AddProbe(List<(DateTime, string)> lines, string kind, V1Probe? probe, DateTime start, DateTime end)
    {
        if (probe is null)
        {
            return;
        }

        var period = TimeSpan.FromSeconds(Math.Max(1, probe.PeriodSeconds ?? 10));
        var t = start + TimeSpan.FromSeconds(Math.Max(0, probe.InitialDelaySeconds ?? 0));
        var what = Describe(probe);
        for (var n = 0; t <= end && n < MaxProbeLines; n++, t += period)
        {
            lines.Add((t, $"[node-simulator] {kind} probe succeeded: {what}"));
        }
    }

    private static string Describe(V1Probe probe) => probe switch
    {
        { HttpGet: { } get } => $"HTTP GET {get.Scheme ?? "HTTP"} :{get.Port?.Value}{get.Path ?? "/"} 200 OK",
        { TcpSocket: { } tcp } => $"TCP connect to :{tcp.Port?.Value}",
        { Exec: { } exec } => $"exec [{string.Join(' ', exec.Command ?? [])}] exit 0",
        { Grpc: { } grpc } => $"gRPC :{grpc.Port.ToString(CultureInfo.InvariantCulture)} SERVING",
        _ => "ok",
    };

    private static V1ContainerStatus? Find(V1Pod pod, string container) =>
        (pod.Status?.ContainerStatuses ?? []).Concat(pod.Status?.InitContainerStatuses ?? []).FirstOrDefault(s => s.Name == container);
}
