using ClientTools.Cache;
using ClientTools.Events;
using ClientTools.Logging;
using ClientTools.WorkQueue;
using ControllerManager.Common;
using ControllerManager.Infrastructure;
using k8s;
using k8s.Models;

namespace ControllerManager.Disruption;

/// <summary>
/// kube's disruption controller (pkg/controller/disruption): keeps every PodDisruptionBudget's status
/// current — the healthy (ready) pods it covers, how many must stay healthy (minAvailable, or the
/// expected pods less maxUnavailable; percentages of the pods' controllers' scale: ReplicationController,
/// Deployment, ReplicaSet, StatefulSet, else any resource's /scale), the disruptions allowed, the
/// evictions not yet seen as deletions (dropped after two minutes) and the DisruptionAllowed condition
/// (SufficientPods, InsufficientPods, SyncFailed). The server's pods/eviction spends what it allows.
/// A second queue resets DisruptionTarget conditions that no deletion followed within two minutes.
/// </summary>
internal sealed class DisruptionController : IController
{
    /// <summary>kube's stalePodDisruptionTimeout.</summary>
    public static readonly TimeSpan StalePodDisruptionTimeout = TimeSpan.FromMinutes(2);

    private readonly SharedIndexInformer<V1PodDisruptionBudget> _budgets;
    private readonly SharedIndexInformer<V1Pod> _pods;
    private readonly SharedIndexInformer<V1ReplicationController> _rcs;
    private readonly SharedIndexInformer<V1ReplicaSet> _replicaSets;
    private readonly SharedIndexInformer<V1Deployment> _deployments;
    private readonly SharedIndexInformer<V1StatefulSet> _statefulSets;
    private readonly IKubernetes _client;
    private readonly DynamicClient _dynamic;
    private readonly EventRecorder _recorder;
    private readonly TimeProvider _time;
    private readonly RateLimitingQueue<string> _queue;
    private readonly RateLimitingQueue<string> _stalePods;

    public DisruptionController(ControllerContext context)
    {
        _time = context.Time;
        _client = context.ClientFor(ControllerNames.Disruption);
        _dynamic = new DynamicClient(_client);
        // kube's disruption controller records under the source component "controllermanager".
        _recorder = context.RecorderFor("controllermanager", _client);
        _queue = new RateLimitingQueue<string>("disruption", time: _time);
        _stalePods = new RateLimitingQueue<string>("stale_pod_disruption", time: _time);
        _budgets = context.Informers.PodDisruptionBudgets();
        _pods = context.Informers.Pods();
        _rcs = context.Informers.ReplicationControllers();
        _replicaSets = context.Informers.ReplicaSets();
        _deployments = context.Informers.Deployments();
        _statefulSets = context.Informers.StatefulSets();
        _budgets.AddEventHandler(new ResourceEventHandler<V1PodDisruptionBudget>
        {
            OnAdd = (b, _) => _queue.Add(ObjectKeys.KeyOf(b)),
            OnUpdate = (_, b) => _queue.Add(ObjectKeys.KeyOf(b)),
            OnDelete = b => _queue.Add(ObjectKeys.KeyOf(b)),
        });
        _pods.AddEventHandler(new ResourceEventHandler<V1Pod>
        {
            OnAdd = (p, _) => PodChanged(null, p),
            OnUpdate = PodChanged,
            OnDelete = p => EnqueueBudgetsOf(p, warnMultiple: false),
        });
    }

    public string Name => ControllerNames.Disruption;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Klog.Info($"Starting {Name}");
        try
        {
            await Task.WhenAll(
                _queue.RunWorkersAsync(1, SyncAsync, cancellationToken),
                _stalePods.RunWorkersAsync(1, SyncStalePodDisruptionAsync, cancellationToken)).ConfigureAwait(false);
        }
        finally
        {
            Klog.Info($"Shutting down {Name}");
        }
    }

    private void PodChanged(V1Pod? old, V1Pod pod)
    {
        if (old is not null && !LabelsEqual(old.Metadata.Labels, pod.Metadata.Labels))
        {
            // A budget the pod no longer belongs to counts it no more (kube waits for a resync here).
            EnqueueBudgetsOf(old, warnMultiple: false);
        }

        EnqueueBudgetsOf(pod, warnMultiple: true);
        if (StaleDisruptionCondition(pod) is { } cleanAfter)
        {
            _stalePods.AddAfter(Pods.Key(pod), cleanAfter);
        }
    }

    private void EnqueueBudgetsOf(V1Pod pod, bool warnMultiple)
    {
        var budgets = BudgetsOf(pod);
        if (budgets.Count > 1 && warnMultiple)
        {
            var message = $"Pod \"{pod.Metadata.NamespaceProperty}\"/\"{pod.Metadata.Name}\" matches multiple PodDisruptionBudgets.  Chose \"{budgets[0].Metadata.Name}\" arbitrarily.";
            Klog.Info(message);
            _recorder.Event(pod, EventTypes.Warning, "MultiplePodDisruptionBudgets", message);
        }

        // kube syncs the first only; every budget that counts the pod is kept current here.
        foreach (var budget in budgets)
        {
            _queue.Add(ObjectKeys.KeyOf(budget));
        }
    }

    private List<V1PodDisruptionBudget> BudgetsOf(V1Pod pod) =>
        [.. _budgets.Store.ByIndex(Indexers.Namespace, pod.Metadata.NamespaceProperty)
            .Where(b => BudgetStatus.Selects(b, pod))
            .OrderBy(b => b.Metadata.Name, StringComparer.Ordinal)];

    private static bool LabelsEqual(IDictionary<string, string>? a, IDictionary<string, string>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a ?? new Dictionary<string, string>()).All(p => b!.TryGetValue(p.Key, out var v) && v == p.Value);

    /// <summary>sync: a conflict is retried as it is; any other failure sets the fail-safe status (no disruptions, SyncFailed).</summary>
    public async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        var budget = _budgets.Store.Get(key);
        if (budget is null)
        {
            Klog.Info(4, $"PodDisruptionBudget {key} has been deleted");
            return;
        }

        try
        {
            await TrySyncAsync(budget, key, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsConflict(e) || e is OperationCanceledException)
        {
            throw;
        }
        catch (Exception e)
        {
            var message = e is DisruptionException ? e.Message : ApiErrors.Message(e);
            Klog.Error($"Failed to sync PDB {key}: {message}");
            await WriteStatusAsync(budget, BudgetStatus.FailSafe(budget, message, Now()), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task TrySyncAsync(V1PodDisruptionBudget budget, string key, CancellationToken cancellationToken)
    {
        var pods = _pods.Store.ByIndex(Indexers.Namespace, budget.Metadata.NamespaceProperty)
            .Where(p => BudgetStatus.Selects(budget, p)).ToList();
        if (pods.Count == 0)
        {
            _recorder.Event(budget, EventTypes.Normal, "NoPods", "No matching pods found");
        }

        var unmanaged = new List<string>();
        int expected, desiredHealthy;
        try
        {
            (expected, desiredHealthy) = await BudgetStatus.ExpectedAndDesiredAsync(budget, pods.Count,
                () => ExpectedScaleAsync(pods, unmanaged, cancellationToken)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var message = e is DisruptionException or FormatException ? e.Message : ApiErrors.Message(e);
            _recorder.Event(budget, EventTypes.Warning, "CalculateExpectedPodCountFailed", $"Failed to calculate the number of expected pods: {message}");
            throw new DisruptionException(message, e);
        }

        if (unmanaged.Count > 0)
        {
            Klog.Info(4, $"Found unmanaged pods associated with PDB {key}: {string.Join(", ", unmanaged)}");
            _recorder.Event(budget, EventTypes.Warning, "UnmanagedPods",
                $"Pods selected by this PodDisruptionBudget (selector: {Describe(budget.Spec?.Selector)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set \".spec.minAvailable\" field of the PDB to an integer value.");
        }

        var now = Now();
        var (disrupted, recheckAt) = BudgetStatus.DisruptedPods(budget, pods, now, pod =>
        {
            Klog.Info(1, $"pod {Pods.Key(pod)} was expected to be deleted but it wasn't, updating PDB {key}");
            _recorder.Event(pod, EventTypes.Warning, "NotDeleted", $"Pod was expected by PDB {budget.Metadata.NamespaceProperty}/{budget.Metadata.Name} to be deleted but it wasn't");
        });
        var currentHealthy = BudgetStatus.CountHealthy(pods, disrupted, now);
        if (BudgetStatus.Desired(budget, currentHealthy, desiredHealthy, expected, disrupted, now) is { } status)
        {
            await WriteStatusAsync(budget, status, cancellationToken).ConfigureAwait(false);
        }

        if (recheckAt is { } at)
        {
            _queue.AddAfter(key, at - now);
        }
    }

    /// <summary>writePdbStatus: an update of the status from the cached budget; a conflict means the cache is behind, and the key comes back.</summary>
    private async Task WriteStatusAsync(V1PodDisruptionBudget budget, V1PodDisruptionBudgetStatus status, CancellationToken cancellationToken)
    {
        var updated = ObjectCopy.Clone(budget);
        updated.Status = status;
        await _client.PolicyV1.ReplaceNamespacedPodDisruptionBudgetStatusAsync(updated, budget.Metadata.Name, budget.Metadata.NamespaceProperty,
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// getExpectedScale: the sum of the scales of the pods' controllers, each counted once. Pods without
    /// a controller are unmanaged (reported, not counted); a controller none of the finders knows is an error.
    /// </summary>
    private async Task<int> ExpectedScaleAsync(IReadOnlyList<V1Pod> pods, List<string> unmanaged, CancellationToken cancellationToken)
    {
        var scales = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            var owner = OwnerReferences.ControllerOf(pod.Metadata);
            if (owner is null)
            {
                unmanaged.Add(pod.Metadata.Name);
                continue;
            }

            if (scales.ContainsKey(owner.Uid))
            {
                continue;
            }

            var found = FindInCaches(owner, pod.Metadata.NamespaceProperty)
                ?? await FindByScaleAsync(owner, pod.Metadata.NamespaceProperty, cancellationToken).ConfigureAwait(false);
            if (found is not { } controller)
            {
                throw new DisruptionException($"found no controllers for pod \"{pod.Metadata.Name}\"");
            }

            scales[controller.Uid] = controller.Scale;
        }

        return scales.Values.Sum();
    }

    /// <summary>kube's finders over the listers: a ReplicationController, a Deployment (through its ReplicaSet), a ReplicaSet no Deployment controls, a StatefulSet.</summary>
    private (string Uid, int Scale)? FindInCaches(V1OwnerReference owner, string ns)
    {
        var group = GroupOf(owner.ApiVersion);
        switch (owner.Kind)
        {
            case "ReplicationController" when group == "":
                return _rcs.Store.Get(ns, owner.Name) is { } rc && rc.Metadata.Uid == owner.Uid ? (rc.Metadata.Uid, rc.Spec.Replicas ?? 1) : null;
            case "ReplicaSet" when group is "apps" or "extensions":
                if (_replicaSets.Store.Get(ns, owner.Name) is not { } rs || rs.Metadata.Uid != owner.Uid)
                {
                    return null;
                }

                var rsOwner = OwnerReferences.ControllerOf(rs.Metadata);
                if (rsOwner is null || rsOwner.Kind != "Deployment")
                {
                    return (rs.Metadata.Uid, rs.Spec.Replicas ?? 1);
                }

                if (GroupOf(rsOwner.ApiVersion) is not ("apps" or "extensions"))
                {
                    return null;
                }

                return _deployments.Store.Get(ns, rsOwner.Name) is { } deployment && deployment.Metadata.Uid == rsOwner.Uid
                    ? (deployment.Metadata.Uid, deployment.Spec.Replicas ?? 1)
                    : null;
            case "StatefulSet" when group == "apps":
                return _statefulSets.Store.Get(ns, owner.Name) is { } sts && sts.Metadata.Uid == owner.Uid ? (sts.Metadata.Uid, sts.Spec.Replicas ?? 1) : null;
            default:
                return null;
        }
    }

    /// <summary>
    /// getScaleController: any other controller through its /scale subresource, found by discovery of
    /// its group version (kube's RESTMapper). Not found is no controller; a resource without /scale is an error.
    /// </summary>
    private async Task<(string Uid, int Scale)?> FindByScaleAsync(V1OwnerReference owner, string ns, CancellationToken cancellationToken)
    {
        if (owner.Kind is "ReplicationController" or "ReplicaSet" or "StatefulSet" or "Deployment"
            && GroupOf(owner.ApiVersion) is "" or "apps" or "extensions")
        {
            // The listers are authoritative for the built-in workloads: a miss there is no controller.
            return null;
        }

        var group = GroupOf(owner.ApiVersion);
        var version = owner.ApiVersion.Contains('/') ? owner.ApiVersion[(owner.ApiVersion.IndexOf('/') + 1)..] : owner.ApiVersion;
        var discovery = await _dynamic.GetJsonAsync(group.Length == 0 ? $"/api/{version}" : $"/apis/{group}/{version}", cancellationToken).ConfigureAwait(false);
        var resources = discovery?["resources"]?.AsArray().OfType<System.Text.Json.Nodes.JsonObject>().ToList() ?? [];
        var mapping = resources.FirstOrDefault(r => r["kind"]?.GetValue<string>() == owner.Kind && r["name"]?.GetValue<string>() is { } n && !n.Contains('/'))
            ?? throw new DisruptionException($"no matches for kind \"{owner.Kind}\" in version \"{owner.ApiVersion}\"");
        var plural = mapping["name"]!.GetValue<string>();
        var namespaced = mapping["namespaced"]?.GetValue<bool>() == true;
        var resource = new ApiResource(group, version, plural, owner.Kind, namespaced);
        var scale = await _dynamic.GetJsonAsync(resource.Path(ns, owner.Name) + "/scale", cancellationToken).ConfigureAwait(false);
        if (scale is null)
        {
            if (!resources.Any(r => r["name"]?.GetValue<string>() == plural + "/scale"))
            {
                throw new DisruptionException($"{plural}{(group.Length > 0 ? "." + group : "")} does not implement the scale subresource");
            }

            return null;
        }

        var uid = scale["metadata"]?["uid"]?.GetValue<string>();
        if (uid != owner.Uid)
        {
            return null;
        }

        return (uid, scale["spec"]?["replicas"]?.GetValue<int>() ?? 0);
    }

    private static string GroupOf(string apiVersion) => apiVersion.Contains('/') ? apiVersion[..apiVersion.IndexOf('/')] : "";

    private static string Describe(V1LabelSelector? selector) =>
        selector is null ? "<nil>" : LabelSelectors.ToQuery(selector);

    /// <summary>
    /// nonTerminatingPodHasStaleDisruptionCondition: a DisruptionTarget=True that no deletion followed
    /// (not set by the kubelet, the pod not finished) is reset after <see cref="StalePodDisruptionTimeout"/>;
    /// the answer is how long until then.
    /// </summary>
    private TimeSpan? StaleDisruptionCondition(V1Pod pod)
    {
        if (pod.Metadata.DeletionTimestamp is not null || Pods.IsTerminal(pod))
        {
            return null;
        }

        var condition = Pods.Condition(pod, "DisruptionTarget");
        if (condition is null || condition.Status != "True" || condition.Reason == "TerminationByKubelet")
        {
            return null;
        }

        var since = condition.LastTransitionTime?.ToUniversalTime() ?? DateTime.MinValue;
        var wait = StalePodDisruptionTimeout - (Now() - since);
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
    }

    private async Task SyncStalePodDisruptionAsync(string key, CancellationToken cancellationToken)
    {
        var pod = _pods.Store.Get(key);
        if (pod is null || StaleDisruptionCondition(pod) is not { } cleanAfter)
        {
            return;
        }

        if (cleanAfter > TimeSpan.Zero)
        {
            _stalePods.AddAfter(key, cleanAfter);
            return;
        }

        var updated = ObjectCopy.Clone(pod);
        var condition = updated.Status.Conditions.First(c => c.Type == "DisruptionTarget");
        // podutil.UpdatePodCondition with only the type and status: the reason and message go.
        condition.Status = "False";
        condition.Reason = null;
        condition.Message = null;
        condition.LastTransitionTime = Now();
        await _client.CoreV1.ReplaceNamespacedPodStatusAsync(updated, pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        Klog.Info(2, $"Reset stale DisruptionTarget condition to False for pod {key}");
    }

    private DateTime Now() => _time.GetUtcNow().UtcDateTime;
}

/// <summary>Why a budget's expected pods could not be worked out (kube's error text, shown in the SyncFailed condition).</summary>
internal sealed class DisruptionException(string message, Exception? inner = null) : Exception(message, inner);
