using k8s;
using k8s.Models;

namespace NodeSimulator.Pods;

/// <summary>The simulator's timings (flags).</summary>
public sealed record LifecycleSettings(TimeSpan StartDelay, TimeSpan InitContainerDuration, TimeSpan DefaultRunTime);

/// <summary>An event the kubelet would record about a pod (reason, message, the container as fieldPath).</summary>
public sealed record PodEvent(string Type, string Reason, string Message, string? FieldPath);

/// <summary>What to do with a pod now: a new status to write (null: none), whether to delete it, when to look again.</summary>
public sealed class PodStep
{
    public V1PodStatus? NewStatus { get; set; }

    public bool Delete { get; set; }

    public DateTime? WakeAt { get; set; }

    public List<PodEvent> Events { get; } = [];

    /// <summary>Images of containers started in this step (the node then lists them in status.images).</summary>
    public List<string> StartedImages { get; } = [];

    internal void WakeNoLaterThan(DateTime when)
    {
        if (WakeAt is null || when < WakeAt)
        {
            WakeAt = when;
        }
    }
}

/// <summary>
/// A pod's life on a simulated node, as the kubelet reports it, one transition at a time and decided
/// from the pod alone (its spec and the status written so far) and the time, so a restarted simulator
/// carries on where it was (kwok's stages work the same way):
/// <list type="number">
/// <item>first sight: phase Pending, startTime, hostIP, containers waiting in ContainerCreating (or
/// PodInitializing behind init containers), PodReadyToStartContainers False;</item>
/// <item>after <c>--pod-start-delay</c>: the sandbox is up (PodReadyToStartContainers True, podIP from the
/// node's podCIDR); init containers run one after another (<c>--init-container-duration</c> each) and
/// complete, then Initialized;</item>
/// <item>the app containers run: phase Running, started, ready at once or, with a readiness probe, after
/// its initialDelaySeconds; Ready and ContainersReady follow;</item>
/// <item>a container that exits (see <see cref="RunRule"/>) is restarted after the kubelet's back-off
/// (10 s doubling to 5 min, CrashLoopBackOff) when restartPolicy says so; otherwise the pod ends
/// Succeeded (every exit code 0) or Failed;</item>
/// <item>a pod being deleted has its containers stopped (Killing), ends in a terminal phase and is then
/// deleted with grace period 0, as the kubelet finishes a graceful deletion.</item>
/// </list>
/// </summary>
public static class PodLifecycle
{
    public const string ContainerCreating = "ContainerCreating";
    public const string PodInitializing = "PodInitializing";
    public const string CrashLoopBackOff = "CrashLoopBackOff";

    private static readonly TimeSpan InitialBackOff = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxBackOff = TimeSpan.FromMinutes(5);

    public static PodStep Next(V1Pod pod, DateTime now, LifecycleSettings settings, string hostIp, Func<string?> allocatePodIp)
    {
        now = Truncate(now);
        var step = new PodStep();
        var old = pod.Status ?? new V1PodStatus();
        var status = Clone(old);
        var spec = pod.Spec ?? new V1PodSpec();
        var initContainers = spec.InitContainers ?? [];
        var containers = spec.Containers ?? [];

        if (pod.Metadata?.DeletionTimestamp is not null)
        {
            Stop(pod, status, now, step);
            step.Delete = true;
            step.NewStatus = Changed(old, status);
            return step;
        }

        if (status.Phase is "Succeeded" or "Failed")
        {
            return step;
        }

        if (status.StartTime is null)
        {
            status.Phase = "Pending";
            status.StartTime = now;
            status.HostIP = hostIp;
            status.HostIPs = [new V1HostIP { Ip = hostIp }];
            var behindInit = initContainers.Count > 0;
            status.InitContainerStatuses = behindInit ? [.. initContainers.Select(c => Waiting(c, PodInitializing))] : null;
            status.ContainerStatuses = [.. containers.Select(c => Waiting(c, behindInit ? PodInitializing : ContainerCreating)).OrderBy(c => c.Name, StringComparer.Ordinal)];
            SetConditions(pod, status, now, sandboxReady: false);
            step.NewStatus = status;
            step.WakeNoLaterThan(now + settings.StartDelay);
            return step;
        }

        var sandboxAt = Truncate(status.StartTime.Value) + settings.StartDelay;
        if (now < sandboxAt)
        {
            step.WakeNoLaterThan(sandboxAt);
            return step;
        }

        if (string.IsNullOrEmpty(status.PodIP))
        {
            var ip = spec.HostNetwork == true ? hostIp : allocatePodIp();
            if (ip is null)
            {
                // Every address of the node's range is taken: the sandbox cannot get a network yet.
                step.WakeNoLaterThan(now + TimeSpan.FromSeconds(5));
                return step;
            }

            status.PodIP = ip;
            status.PodIPs = [new V1PodIP { Ip = ip }];
        }

        var initDone = RunInitContainers(pod, status, now, settings, step);
        if (initDone)
        {
            RunContainers(pod, status, now, settings, step);
        }

        status.Phase = PhaseOf(pod, status, initDone);
        SetConditions(pod, status, now, sandboxReady: status.Phase is not ("Succeeded" or "Failed"));
        step.NewStatus = Changed(old, status);
        return step;
    }

    /// <summary>Runs init containers in order; true once all of them have completed.</summary>
    private static bool RunInitContainers(V1Pod pod, V1PodStatus status, DateTime now, LifecycleSettings settings, PodStep step)
    {
        var initContainers = pod.Spec?.InitContainers ?? [];
        if (initContainers.Count == 0)
        {
            return true;
        }

        var statuses = status.InitContainerStatuses?.ToDictionary(s => s.Name, StringComparer.Ordinal) ?? [];
        var result = new List<V1ContainerStatus>();
        var done = true;
        foreach (var container in initContainers)
        {
            var current = statuses.GetValueOrDefault(container.Name) ?? Waiting(container, PodInitializing);
            if (!done)
            {
                result.Add(current);
                continue;
            }

            if (current.State?.Terminated is { ExitCode: 0 })
            {
                result.Add(current);
                continue;
            }

            var duration = RunRule.For(pod, container, settings.InitContainerDuration) is { RunTime: { } t } ? t : settings.InitContainerDuration;
            if (current.State?.Running is { StartedAt: { } started })
            {
                var finishAt = Truncate(started) + duration;
                if (now >= finishAt)
                {
                    result.Add(Terminated(pod, container, current, Truncate(started), finishAt, 0));
                    continue;
                }

                step.WakeNoLaterThan(finishAt);
                result.Add(current);
                done = false;
                continue;
            }

            var running = Start(pod, container, current, now, "spec.initContainers", step);
            running.Ready = false;
            result.Add(running);
            step.WakeNoLaterThan(now + duration);
            done = false;
        }

        status.InitContainerStatuses = result;
        return done;
    }

    private static void RunContainers(V1Pod pod, V1PodStatus status, DateTime now, LifecycleSettings settings, PodStep step)
    {
        var statuses = status.ContainerStatuses?.ToDictionary(s => s.Name, StringComparer.Ordinal) ?? [];
        var result = new List<V1ContainerStatus>();
        foreach (var container in pod.Spec?.Containers ?? [])
        {
            var current = statuses.GetValueOrDefault(container.Name) ?? Waiting(container, ContainerCreating);
            var rule = RunRule.For(pod, container, settings.DefaultRunTime);
            if (current.State?.Running is { StartedAt: { } startedAt })
            {
                var started = Truncate(startedAt);
                if (rule.RunTime is { } runTime && now >= started + runTime)
                {
                    result.Add(Exit(pod, container, current, started, started + runTime, rule.ExitCode, now, step));
                    continue;
                }

                if (rule.RunTime is { } rt)
                {
                    step.WakeNoLaterThan(started + rt);
                }

                var readyAt = started + ReadinessDelay(container);
                if (current.Ready != true && now >= readyAt)
                {
                    current = Copy(current);
                    current.Ready = true;
                }
                else if (current.Ready != true)
                {
                    step.WakeNoLaterThan(readyAt);
                }

                result.Add(current);
                continue;
            }

            if (current.State?.Waiting is { Reason: CrashLoopBackOff } && current.LastState?.Terminated is { FinishedAt: { } finished })
            {
                var restartAt = Truncate(finished) + BackOff(current.RestartCount);
                if (now < restartAt)
                {
                    step.WakeNoLaterThan(restartAt);
                    result.Add(current);
                    continue;
                }
            }
            else if (current.State?.Terminated is not null)
            {
                result.Add(current);
                continue;
            }

            var running = Start(pod, container, current, now, "spec.containers", step);
            var delay = ReadinessDelay(container);
            running.Ready = delay <= TimeSpan.Zero;
            if (!running.Ready)
            {
                step.WakeNoLaterThan(now + delay);
            }

            if (rule.RunTime is { } until)
            {
                step.WakeNoLaterThan(now + until);
            }

            result.Add(running);
        }

        status.ContainerStatuses = [.. result.OrderBy(c => c.Name, StringComparer.Ordinal)];
    }

    /// <summary>A container exits: restarted after back-off when the restart policy says so, else left terminated.</summary>
    private static V1ContainerStatus Exit(V1Pod pod, V1Container container, V1ContainerStatus current, DateTime started, DateTime finished, int exitCode, DateTime now, PodStep step)
    {
        var terminated = Terminated(pod, container, current, started, finished, exitCode);
        var policy = pod.Spec?.RestartPolicy ?? "Always";
        if (policy == "Always" || (policy == "OnFailure" && exitCode != 0))
        {
            var restarts = (current.RestartCount) + 1;
            var backOff = BackOff(restarts);
            var waiting = Copy(current);
            waiting.RestartCount = restarts;
            waiting.Ready = false;
            waiting.Started = false;
            waiting.LastState = terminated.State;
            waiting.State = new V1ContainerState
            {
                Waiting = new V1ContainerStateWaiting
                {
                    Message = $"back-off {ClientTools.CommandLine.GoDuration.Format(backOff)} restarting failed container={container.Name} pod={pod.Metadata.Name}_{pod.Metadata.NamespaceProperty}({pod.Metadata.Uid})",
                    Reason = CrashLoopBackOff,
                },
            };
            step.Events.Add(new PodEvent("Warning", "BackOff", $"Back-off restarting failed container {container.Name} in pod {pod.Metadata.Name}_{pod.Metadata.NamespaceProperty}({pod.Metadata.Uid})", $"spec.containers{{{container.Name}}}"));
            step.WakeNoLaterThan(finished + backOff > now ? finished + backOff : now);
            return waiting;
        }

        return terminated;
    }

    private static TimeSpan BackOff(int restartCount)
    {
        var backOff = InitialBackOff * Math.Pow(2, Math.Max(0, restartCount - 1));
        return backOff > MaxBackOff ? MaxBackOff : backOff;
    }

    private static TimeSpan ReadinessDelay(V1Container container) =>
        container.ReadinessProbe is { } probe ? TimeSpan.FromSeconds(Math.Max(0, probe.InitialDelaySeconds ?? 0)) : TimeSpan.Zero;

    /// <summary>The kubelet stops every running container of a pod being deleted; the pod ends terminal.</summary>
    private static void Stop(V1Pod pod, V1PodStatus status, DateTime now, PodStep step)
    {
        var anyRunning = false;
        V1ContainerStatus StopOne(V1Container container, V1ContainerStatus s, string fieldPath)
        {
            if (s.State?.Running is not { StartedAt: { } started })
            {
                return s;
            }

            anyRunning = true;
            step.Events.Add(new PodEvent("Normal", "Killing", $"Stopping container {container.Name}", $"{fieldPath}{{{container.Name}}}"));
            return Terminated(pod, container, s, Truncate(started), now, 0);
        }

        var byName = (pod.Spec?.Containers ?? []).ToDictionary(c => c.Name, StringComparer.Ordinal);
        if (status.ContainerStatuses is { } statuses)
        {
            status.ContainerStatuses = [.. statuses.Select(s => byName.TryGetValue(s.Name, out var c) ? StopOne(c, s, "spec.containers") : s)];
        }

        var initByName = (pod.Spec?.InitContainers ?? []).ToDictionary(c => c.Name, StringComparer.Ordinal);
        if (status.InitContainerStatuses is { } inits)
        {
            status.InitContainerStatuses = [.. inits.Select(s => initByName.TryGetValue(s.Name, out var c) ? StopOne(c, s, "spec.initContainers") : s)];
        }

        if (anyRunning && status.Phase is not ("Succeeded" or "Failed"))
        {
            var codes = (status.ContainerStatuses ?? []).Select(s => s.State?.Terminated?.ExitCode).ToList();
            status.Phase = codes.All(c => c == 0) ? "Succeeded" : "Failed";
            SetConditions(pod, status, now, sandboxReady: false);
        }
    }

    private static string PhaseOf(V1Pod pod, V1PodStatus status, bool initDone)
    {
        if (!initDone)
        {
            return "Pending";
        }

        var statuses = status.ContainerStatuses ?? [];
        if (statuses.Count > 0 && statuses.All(s => s.State?.Terminated is not null))
        {
            return statuses.All(s => s.State.Terminated.ExitCode == 0) ? "Succeeded" : "Failed";
        }

        return statuses.Any(s => s.State?.Running is not null || s.LastState?.Terminated is not null) ? "Running" : "Pending";
    }

    private static V1ContainerStatus Start(V1Pod pod, V1Container container, V1ContainerStatus current, DateTime now, string fieldPath, PodStep step)
    {
        var restarts = current.RestartCount;
        var path = $"{fieldPath}{{{container.Name}}}";
        if (restarts == 0 && (container.ImagePullPolicy ?? "IfNotPresent") == "Always")
        {
            step.Events.Add(new PodEvent("Normal", "Pulling", $"Pulling image \"{container.Image}\"", path));
            var size = Images.SizeBytes(container.Image);
            step.Events.Add(new PodEvent("Normal", "Pulled", $"Successfully pulled image \"{container.Image}\" in 0s (0s including waiting). Image size: {size} bytes.", path));
        }
        else
        {
            step.Events.Add(new PodEvent("Normal", "Pulled", $"Container image \"{container.Image}\" already present on machine", path));
        }

        step.Events.Add(new PodEvent("Normal", "Created", $"Created container: {container.Name}", path));
        step.Events.Add(new PodEvent("Normal", "Started", $"Started container {container.Name}", path));
        step.StartedImages.Add(container.Image);
        return new V1ContainerStatus
        {
            Name = container.Name,
            Image = Images.Normalize(container.Image),
            ImageID = Images.ImageId(container.Image),
            ContainerID = Images.ContainerId(pod.Metadata?.Uid ?? "", container.Name, restarts),
            Ready = false,
            Started = true,
            RestartCount = restarts,
            LastState = current.LastState ?? new V1ContainerState(),
            State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = now } },
        };
    }

    private static V1ContainerStatus Waiting(V1Container container, string reason) => new()
    {
        Name = container.Name,
        Image = container.Image,
        ImageID = "",
        Ready = false,
        Started = false,
        RestartCount = 0,
        LastState = new V1ContainerState(),
        State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = reason } },
    };

    private static V1ContainerStatus Terminated(V1Pod pod, V1Container container, V1ContainerStatus current, DateTime started, DateTime finished, int exitCode)
    {
        var terminated = Copy(current);
        terminated.Ready = false;
        terminated.Started = false;
        terminated.State = new V1ContainerState
        {
            Terminated = new V1ContainerStateTerminated
            {
                ExitCode = exitCode,
                Reason = exitCode == 0 ? "Completed" : "Error",
                StartedAt = started,
                FinishedAt = finished,
                ContainerID = current.ContainerID ?? Images.ContainerId(pod.Metadata?.Uid ?? "", container.Name, current.RestartCount),
            },
        };
        return terminated;
    }

    /// <summary>
    /// The kubelet's conditions, in its order: PodReadyToStartContainers, Initialized, Ready,
    /// ContainersReady, then PodScheduled and any others as they were. A condition's
    /// lastTransitionTime moves only when its status does.
    /// </summary>
    private static void SetConditions(V1Pod pod, V1PodStatus status, DateTime now, bool sandboxReady)
    {
        var existing = status.Conditions ?? [];
        var terminal = status.Phase is "Succeeded" or "Failed";
        var incompleteInit = (pod.Spec?.InitContainers ?? [])
            .Where(c => !(status.InitContainerStatuses?.FirstOrDefault(s => s.Name == c.Name)?.State?.Terminated is { ExitCode: 0 }))
            .Select(c => c.Name).ToList();
        var unready = (pod.Spec?.Containers ?? [])
            .Where(c => status.ContainerStatuses?.FirstOrDefault(s => s.Name == c.Name)?.Ready != true)
            .Select(c => c.Name).ToList();

        V1PodCondition Condition(string type, bool value, string? reason = null, string? message = null)
        {
            var text = value ? "True" : "False";
            var previous = existing.FirstOrDefault(c => c.Type == type);
            return new V1PodCondition
            {
                Type = type,
                Status = text,
                Reason = value ? null : reason,
                Message = value ? null : message,
                LastTransitionTime = previous?.Status == text && previous.LastTransitionTime is { } t ? t : now,
                ObservedGeneration = previous?.ObservedGeneration,
            };
        }

        var conditions = new List<V1PodCondition> { Condition("PodReadyToStartContainers", sandboxReady) };
        conditions.Add(incompleteInit.Count == 0
            ? Condition("Initialized", true)
            : Condition("Initialized", false, "ContainersNotInitialized", $"containers with incomplete status: [{string.Join(' ', incompleteInit)}]"));

        var (containersReady, reason, message) = status.Phase == "Succeeded"
            ? (false, "PodCompleted", (string?)null)
            : unready.Count == 0 && !terminal
                ? (true, null, null)
                : (false, "ContainersNotReady", $"containers with unready status: [{string.Join(' ', unready)}]");
        var gates = ReadinessGatesMessage(pod, existing);
        conditions.Add(containersReady && gates is not null
            ? Condition("Ready", false, "ReadinessGatesNotReady", gates)
            : Condition("Ready", containersReady, reason, message));
        conditions.Add(Condition("ContainersReady", containersReady, reason, message));
        var owned = new HashSet<string>(conditions.Select(c => c.Type), StringComparer.Ordinal);
        conditions.AddRange(existing.Where(c => !owned.Contains(c.Type)).OrderBy(c => c.Type == "PodScheduled" ? 0 : 1));
        status.Conditions = conditions;
    }

    private static string? ReadinessGatesMessage(V1Pod pod, IList<V1PodCondition> conditions)
    {
        foreach (var gate in pod.Spec?.ReadinessGates ?? [])
        {
            var condition = conditions.FirstOrDefault(c => c.Type == gate.ConditionType);
            if (condition is null)
            {
                return $"corresponding condition of pod readiness gate \"{gate.ConditionType}\" does not exist.";
            }

            if (condition.Status != "True")
            {
                return $"the status of pod readiness gate \"{gate.ConditionType}\" is not \"True\", but {condition.Status}";
            }
        }

        return null;
    }

    private static V1PodStatus? Changed(V1PodStatus old, V1PodStatus status) =>
        KubernetesJson.Serialize(old) == KubernetesJson.Serialize(status) ? null : status;

    private static V1PodStatus Clone(V1PodStatus status) => KubernetesJson.Deserialize<V1PodStatus>(KubernetesJson.Serialize(status));

    private static V1ContainerStatus Copy(V1ContainerStatus status) => KubernetesJson.Deserialize<V1ContainerStatus>(KubernetesJson.Serialize(status));

    /// <summary>Whole seconds, UTC: what a metav1.Time keeps, so a written status compares equal to itself when read back.</summary>
    public static DateTime Truncate(DateTime time)
    {
        var utc = time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc);
        return new DateTime(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
    }
}
