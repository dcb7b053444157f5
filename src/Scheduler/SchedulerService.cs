using System.Globalization;
using System.Net;
using ClientTools.Cache;
using ClientTools.Events;
using ClientTools.Logging;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Scheduler.Binding;
using Scheduler.Cache;
using Scheduler.Framework;
using Scheduler.Plugins;
using Scheduler.Plugins.DefaultPreemption;
using Scheduler.Queue;

namespace Scheduler;

/// <summary>The scheduler's tunables (flags).</summary>
public sealed record SchedulerSettings
{
    public string SchedulerName { get; init; } = DefaultProfile.SchedulerName;

    public int PercentageOfNodesToScore { get; init; }

    public TimeSpan PodMaxInUnschedulablePodsDuration { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Bindings in flight at once (kube binds each pod in its own goroutine; the client's QPS is the real bound).</summary>
    public int BindingParallelism { get; init; } = 64;

    /// <summary>How long an assumed pod whose binding returned waits for the informer's confirmation before it is dropped; zero: forever, as kube-scheduler.</summary>
    public TimeSpan AssumedPodTtl { get; init; } = TimeSpan.Zero;
}

/// <summary>
/// kube-scheduler's core (pkg/scheduler.Scheduler): informer handlers feed the cache (bound pods,
/// nodes) and the queue (pending pods of this scheduler name). The scheduling cycle runs one pod at a
/// time: a fresh snapshot, filter and score, then the pod is assumed onto the chosen node in the cache
/// so the next cycle already counts its resources. The binding cycle (pods/binding, the Scheduled
/// event) runs in the background, up to <see cref="SchedulerSettings.BindingParallelism"/> at once; a
/// failed binding forgets the assumed pod (its resources are free again, so unschedulable pods are
/// retried) and requeues the pod with back-off, recording "binding rejected". A pod no node can take
/// gets preemption's attempt, a FailedScheduling event and the PodScheduled=False/Unschedulable
/// condition, and waits in the queue.
/// </summary>
public sealed class SchedulerService : IPreemptionActions
{
    private readonly IKubernetes _client;
    private readonly EventRecorder _recorder;
    private readonly SchedulerSettings _settings;
    private readonly Snapshot _snapshot = new();
    private readonly SemaphoreSlim _bindings;
    private readonly IPodBinder _binder;
    private SharedIndexInformer<V1Pod>? _pods;
    private SharedIndexInformer<V1Namespace>? _namespaces;
    private SharedIndexInformer<V1PodDisruptionBudget>? _budgets;
    private long _scheduled;
    private long _failed;
    private long _bindingsInFlight;

    /// <param name="binder">The binding call; by default POST pods/binding through <paramref name="client"/>.</param>
    public SchedulerService(IKubernetes client, EventRecorder recorder, SchedulerSettings settings, IPodBinder? binder = null)
    {
        _client = client;
        _recorder = recorder;
        _settings = settings;
        _binder = binder ?? new DefaultBinder(client);
        _bindings = new SemaphoreSlim(Math.Max(1, settings.BindingParallelism));
        Cache = new SchedulerCache(settings.AssumedPodTtl);
        Queue = new SchedulingQueue(maxInUnschedulable: settings.PodMaxInUnschedulablePodsDuration);
        SchedulingFramework? framework = null;
        var profile = DefaultProfile.Create(() => _snapshot, () => framework!, Budgets, this, settings.SchedulerName);
        framework = new SchedulingFramework(profile, Queue.NominatedPodsForNode);
        Framework = framework;
        Algorithm = new ScheduleAlgorithm(framework, settings.PercentageOfNodesToScore);
        _snapshot.NamespaceLabels = ns => _namespaces?.Store.Get(ns)?.Metadata?.Labels;
    }

    public SchedulerCache Cache { get; }

    public SchedulingQueue Queue { get; }

    public SchedulingFramework Framework { get; }

    public ScheduleAlgorithm Algorithm { get; }

    /// <summary>Pods bound so far by this scheduler.</summary>
    public long Scheduled => Interlocked.Read(ref _scheduled);

    /// <summary>Scheduling attempts that found no node.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Binding cycles started and not yet over.</summary>
    public long BindingsInFlight => Interlocked.Read(ref _bindingsInFlight);

    /// <summary>Registers the informers the scheduler needs and its handlers on them.</summary>
    public void Attach(SharedInformerFactory factory)
    {
        // As kube-scheduler: pods that are not terminal (terminal ones leave the cache through the selector).
        var pods = factory.Pods(fieldSelector: "status.phase!=Succeeded,status.phase!=Failed");
        _pods = pods;
        var nodes = factory.Nodes();
        _namespaces = factory.Namespaces();
        _budgets = factory.PodDisruptionBudgets();
        nodes.AddEventHandler(new ResourceEventHandler<V1Node>
        {
            OnAdd = (node, _) =>
            {
                Cache.AddOrUpdateNode(node);
                Queue.MoveAllToActiveOrBackoff("NodeAdd");
            },
            OnUpdate = (old, node) =>
            {
                Cache.AddOrUpdateNode(node);
                if (SchedulingRelevantChange(old, node))
                {
                    Queue.MoveAllToActiveOrBackoff("NodeUpdate");
                }
            },
            OnDelete = node => Cache.RemoveNode(node.Metadata.Name),
        });
        pods.AddEventHandler(new ResourceEventHandler<V1Pod>
        {
            OnAdd = (pod, _) => OnPodAdd(pod),
            OnUpdate = OnPodUpdate,
            OnDelete = OnPodDelete,
        });
    }

    private void OnPodAdd(V1Pod pod)
    {
        if (IsAssigned(pod))
        {
            Cache.AddOrUpdatePod(pod);
            if (pod.Metadata?.Labels is { Count: > 0 })
            {
                Queue.MoveAllToActiveOrBackoff("AssignedPodAdd");
            }
        }
        else if (IsPendingHere(pod))
        {
            Queue.Add(new PodInfo(pod));
        }
    }

    private void OnPodUpdate(V1Pod old, V1Pod pod)
    {
        var key = ObjectKeys.KeyOf(pod);
        if (IsAssigned(pod))
        {
            if (!IsAssigned(old))
            {
                Queue.Delete(key); // bound (by us, or by someone else)
            }

            Cache.AddOrUpdatePod(pod);
            return;
        }

        if (IsPendingHere(pod))
        {
            Queue.Update(new PodInfo(old), new PodInfo(pod));
        }
        else
        {
            Queue.Delete(key);
        }
    }

    private void OnPodDelete(V1Pod pod)
    {
        var key = ObjectKeys.KeyOf(pod);
        if (IsAssigned(pod))
        {
            Cache.RemovePod(key);
            Queue.MoveAllToActiveOrBackoff("AssignedPodDelete");
        }
        else
        {
            Queue.Delete(key);
            Cache.ForgetPod(key);
        }
    }

    /// <summary>Schedules until cancelled; the queue's back-off flush runs beside it.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var flush = Task.Run(async () =>
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(1000, cancellationToken).ConfigureAwait(false);
                Queue.Flush();
                foreach (var key in Cache.CleanupExpiredAssumedPods())
                {
                    Klog.Warning($"assumed pod {key} expired: its binding returned but the informer never showed it bound");
                    Queue.MoveAllToActiveOrBackoff("AssignedPodDelete");
                }
            }
        }, CancellationToken.None);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var queued = await Queue.PopAsync(cancellationToken).ConfigureAwait(false);
                if (queued is null)
                {
                    break;
                }

                try
                {
                    ScheduleOne(queued);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Klog.Error($"error scheduling pod {queued.Key}: {e}");
                    Queue.AddUnschedulable(queued, Queue.SchedulingCycle, error: true);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        Queue.Close();
        try
        {
            await flush.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One scheduling cycle; the binding continues in the background.</summary>
    public void ScheduleOne(QueuedPodInfo queued)
    {
        var pod = queued.PodInfo;
        var cycle = Queue.SchedulingCycle;
        if (pod.Pod.Metadata?.DeletionTimestamp is not null || Cache.IsAssumed(pod.Key))
        {
            Queue.Done(pod.Key);
            return;
        }

        Cache.UpdateSnapshot(_snapshot);
        var state = new CycleState();
        var result = Algorithm.Schedule(state, pod, _snapshot);
        if (!result.Scheduled)
        {
            Interlocked.Increment(ref _failed);
            var fitError = result.Error!;
            string? nominated = null;
            if (fitError.NumAllNodes > 0)
            {
                foreach (var plugin in Framework.Profile.PostFilter)
                {
                    var post = plugin.PostFilter(state, pod, fitError.Statuses);
                    if (post.Status.IsSuccess)
                    {
                        nominated = post.NominatedNodeName;
                        break;
                    }

                    fitError.PostFilterMessage = post.Status.Message;
                }
            }

            var message = fitError.ToString();
            Klog.Info(2, $"unable to schedule pod {pod.Key}: {message}");
            if (nominated is { Length: > 0 })
            {
                Queue.Nominate(pod, nominated);
            }

            Queue.AddUnschedulable(queued, cycle, error: false);
            _recorder.Event(pod.Pod, EventTypes.Warning, "FailedScheduling", message, action: "Scheduling");
            _ = UpdateConditionAsync(pod.Pod, message, nominated);
            return;
        }

        // Assume: from here on the next cycle counts the pod on the node, while the binding is in flight.
        var host = result.Host!;
        Cache.AssumePod(pod, host);
        Queue.Nominate(pod, null);
        Interlocked.Increment(ref _bindingsInFlight);
        _ = Task.Run(() => BindingCycleAsync(queued, host, cycle, result), CancellationToken.None);
    }

    /// <summary>
    /// The binding cycle (kube's bindingCycle, in a goroutine of its own): POST pods/binding, then
    /// FinishBinding and the Scheduled event; on failure ForgetPod (the node's resources are free
    /// again, which counts as an assigned pod's deletion for the unschedulable pods) and the pod goes
    /// back to the queue with back-off, unless it is gone or already bound.
    /// </summary>
    private async Task BindingCycleAsync(QueuedPodInfo queued, string host, long cycle, ScheduleResult result)
    {
        var pod = queued.PodInfo.Pod;
        await _bindings.WaitAsync().ConfigureAwait(false);
        try
        {
            try
            {
                await _binder.BindAsync(pod, host, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Cache.ForgetPod(queued.Key);
                Queue.MoveAllToActiveOrBackoff("AssignedPodDelete");
                HandleBindingFailure(queued, host, cycle, e);
                return;
            }

            Cache.FinishBinding(queued.Key);
            Queue.Done(queued.Key);
            Interlocked.Increment(ref _scheduled);
            if (Klog.V(2))
            {
                Klog.Info(2, $"successfully bound pod {queued.Key} to node {host} (evaluated nodes {result.EvaluatedNodes}, feasible nodes {result.FeasibleNodes}, attempts {queued.Attempts})");
            }

            _recorder.Event(pod, EventTypes.Normal, "Scheduled", $"Successfully assigned {pod.Metadata.NamespaceProperty}/{pod.Metadata.Name} to {host}", action: "Binding");
        }
        finally
        {
            _bindings.Release();
            Interlocked.Decrement(ref _bindingsInFlight);
        }
    }

    /// <summary>kube's handleSchedulingFailure for a binding error: event and condition (reason SchedulerError), then back to the queue unless the pod is gone or bound.</summary>
    private void HandleBindingFailure(QueuedPodInfo queued, string host, long cycle, Exception e)
    {
        var pod = queued.PodInfo.Pod;
        var message = $"binding rejected: running Bind plugin \"{DefaultBinder.PluginName}\": {Describe(e)}";
        Klog.Warning($"failed to bind pod {queued.Key} to {host}: {message}");
        var current = _pods?.Store.Get(queued.Key);
        var refused = e is HttpOperationException { Response.StatusCode: HttpStatusCode.NotFound or HttpStatusCode.Conflict };
        var gone = _pods is not null && current is null;
        if (refused || gone || (current is not null && IsAssigned(current)))
        {
            // Deleted meanwhile, or already bound (by us or another scheduler): the informer says so; nothing to retry.
            Queue.Done(queued.Key);
            return;
        }

        _recorder.Event(pod, EventTypes.Warning, "FailedScheduling", message, action: "Scheduling");
        if (current is not null)
        {
            queued.PodInfo = new PodInfo(current);
        }

        Queue.AddUnschedulable(queued, cycle, error: true);
        _ = UpdateConditionAsync(queued.PodInfo.Pod, message, nominated: null, reason: "SchedulerError");
    }

    /// <summary>Sets PodScheduled=False (Unschedulable) with the message, and the nominated node, unless they are already so.</summary>
    private async Task UpdateConditionAsync(V1Pod pod, string message, string? nominated, string reason = "Unschedulable")
    {
        var current = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled");
        var nominationChanges = nominated is not null && nominated != (pod.Status?.NominatedNodeName ?? "");
        if (current is { Status: "False" } && current.Reason == reason && current.Message == message && !nominationChanges)
        {
            return;
        }

        var now = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var transition = current?.Status == "False" && current.LastTransitionTime is { } t
            ? t.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)
            : now;
        var nominatedPart = nominationChanges ? $",\"nominatedNodeName\":{System.Text.Json.JsonSerializer.Serialize(nominated)}" : "";
        var patch = $$$"""{"status":{"conditions":[{"type":"PodScheduled","status":"False","reason":{{{System.Text.Json.JsonSerializer.Serialize(reason)}}},"message":{{{System.Text.Json.JsonSerializer.Serialize(message)}}},"lastProbeTime":null,"lastTransitionTime":"{{{transition}}}"}]{{{nominatedPart}}}}}""";
        try
        {
            await _client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(patch, V1Patch.PatchType.StrategicMergePatch), pod.Metadata.Name, pod.Metadata.NamespaceProperty).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Klog.Info(2, $"could not update the PodScheduled condition of {pod.Metadata.NamespaceProperty}/{pod.Metadata.Name}: {Describe(e)}");
        }
    }

    void IPreemptionActions.Preempt(PodInfo preemptor, PodInfo victim, string node) => _ = Task.Run(async () =>
    {
        var pod = victim.Pod;
        try
        {
            var now = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
            var condition = $$$"""{"status":{"conditions":[{"type":"DisruptionTarget","status":"True","reason":"PreemptionByScheduler","message":"{{{_settings.SchedulerName}}}: preempting to accommodate a higher priority pod","lastTransitionTime":"{{{now}}}"}]}}""";
            await _client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(condition, V1Patch.PatchType.StrategicMergePatch), pod.Metadata.Name, pod.Metadata.NamespaceProperty).ConfigureAwait(false);
            await _client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty).ConfigureAwait(false);
            Klog.Info(2, $"preemptor pod {preemptor.Key} preempted victim pod {victim.Key} on node {node}");
            _recorder.Event(pod, EventTypes.Normal, "Preempted", $"Preempted by pod {preemptor.Uid} on node {node}", action: "Preempting");
        }
        catch (Exception e)
        {
            Klog.Warning($"failed to preempt pod {victim.Key}: {Describe(e)}");
        }
    });

    void IPreemptionActions.ClearNomination(PodInfo pod)
    {
        Queue.Nominate(pod, null);
        _ = Task.Run(async () =>
        {
            try
            {
                await _client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch("""{"status":{"nominatedNodeName":null}}""", V1Patch.PatchType.MergePatch), pod.Pod.Metadata.Name, pod.Namespace).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Klog.Info(2, $"could not clear the nominated node of {pod.Key}: {Describe(e)}");
            }
        });
    }

    private IReadOnlyList<DisruptionBudget> Budgets() =>
        _budgets is null ? [] : [.. _budgets.Store.List().Select(p => new DisruptionBudget(p.Metadata.NamespaceProperty, p.Spec?.Selector, p.Status?.DisruptionsAllowed ?? 0))];

    private bool IsPendingHere(V1Pod pod) =>
        !IsAssigned(pod) &&
        (pod.Spec?.SchedulerName ?? DefaultProfile.SchedulerName) == _settings.SchedulerName &&
        pod.Metadata?.DeletionTimestamp is null &&
        pod.Status?.Phase is not ("Succeeded" or "Failed") &&
        pod.Spec?.SchedulingGates is not { Count: > 0 };

    private static bool IsAssigned(V1Pod pod) => !string.IsNullOrEmpty(pod.Spec?.NodeName);

    /// <summary>Changes to a node that can make a pending pod fit: allocatable, labels, taints, cordoning.</summary>
    private static bool SchedulingRelevantChange(V1Node old, V1Node node) =>
        KubernetesJson.Serialize(old.Spec) != KubernetesJson.Serialize(node.Spec) ||
        KubernetesJson.Serialize(old.Metadata?.Labels) != KubernetesJson.Serialize(node.Metadata?.Labels) ||
        KubernetesJson.Serialize(old.Status?.Allocatable) != KubernetesJson.Serialize(node.Status?.Allocatable);

    private static string Describe(Exception e) => e switch
    {
        HttpOperationException http => $"{(int)http.Response.StatusCode} {http.Response.Content}",
        _ => e.GetBaseException().Message,
    };
}
