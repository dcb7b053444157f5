using ClientTools.Cache;
using ClientTools.Events;
using ClientTools.Logging;
using ControllerManager.Common;
using ControllerManager.Infrastructure;
using k8s;
using k8s.Models;
using static ControllerManager.Deployment.DeploymentUtil;

namespace ControllerManager.Deployment;

/// <summary>
/// kube's DeploymentController (pkg/controller/deployment): one replica set per pod template (named
/// and labelled by the template's hash), rolled out by RollingUpdate (maxSurge/maxUnavailable) or
/// Recreate, scaled proportionally when the deployment is scaled mid-rollout, paused deployments
/// only scaled, old replica sets pruned to revisionHistoryLimit, and the status with the Available
/// and Progressing conditions (progressDeadlineSeconds). `kubectl rollout undo` writes an old
/// template back into the deployment; from there it is an ordinary rollout.
/// </summary>
internal sealed partial class DeploymentController : QueueController
{
    private readonly SharedIndexInformer<V1Deployment> _deployments;
    private readonly SharedIndexInformer<V1ReplicaSet> _replicaSets;
    private readonly SharedIndexInformer<V1Pod> _pods;
    private readonly IKubernetes _client;
    private readonly EventRecorder _recorder;
    private readonly TimeProvider _time;

    public DeploymentController(int workers, SharedIndexInformer<V1Deployment> deployments, SharedIndexInformer<V1ReplicaSet> replicaSets,
        SharedIndexInformer<V1Pod> pods, IKubernetes client, EventRecorder recorder, TimeProvider time)
        : base(ControllerNames.Deployment, workers, time)
    {
        _deployments = deployments;
        _replicaSets = replicaSets;
        _pods = pods;
        _client = client;
        _recorder = recorder;
        _time = time;
        deployments.AddEventHandler(new ResourceEventHandler<V1Deployment>
        {
            OnAdd = (d, _) => Enqueue(ObjectKeys.KeyOf(d)),
            OnUpdate = (_, d) => Enqueue(ObjectKeys.KeyOf(d)),
            OnDelete = d => Enqueue(ObjectKeys.KeyOf(d)),
        });
        replicaSets.AddEventHandler(new ResourceEventHandler<V1ReplicaSet> { OnAdd = (rs, _) => AddReplicaSet(rs), OnUpdate = UpdateReplicaSet, OnDelete = DeleteReplicaSet });
        pods.AddEventHandler(new ResourceEventHandler<V1Pod> { OnDelete = DeletePod });
    }

    public static DeploymentController Create(ControllerContext context)
    {
        var client = context.ClientFor(ControllerNames.Deployment);
        return new DeploymentController(context.Settings.ConcurrentDeploymentSyncs, context.Informers.Deployments(), context.Informers.ReplicaSets(),
            context.Informers.Pods(), client, context.RecorderFor("deployment-controller", client), context.Time);
    }

    private DateTime Now => _time.GetUtcNow().UtcDateTime;

    public override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        var cached = _deployments.Store.Get(key);
        if (cached is null)
        {
            Klog.Info(4, $"Deployment {key} has been deleted");
            return;
        }

        var d = ObjectCopy.Clone(cached);
        if (LabelSelectors.IsEmpty(d.Spec.Selector))
        {
            _recorder.Event(d, EventTypes.Warning, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.");
            if ((d.Status?.ObservedGeneration ?? 0) < (d.Metadata.Generation ?? 0))
            {
                d.Status ??= new V1DeploymentStatus();
                d.Status.ObservedGeneration = d.Metadata.Generation;
                await WriteStatusAsync(d, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var sets = await ClaimReplicaSetsAsync(d, cancellationToken).ConfigureAwait(false);
        if (d.Metadata.DeletionTimestamp is not null)
        {
            await SyncStatusOnlyAsync(d, sets, cancellationToken).ConfigureAwait(false);
            return;
        }

        await CheckPausedConditionsAsync(d, cancellationToken).ConfigureAwait(false);
        if (d.Spec.Paused == true)
        {
            await SyncAsync(d, sets, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (IsScalingEvent(d, sets))
        {
            await SyncAsync(d, sets, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (IsRollingUpdate(d))
        {
            await RolloutRollingAsync(d, sets, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await RolloutRecreateAsync(d, sets, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<List<V1ReplicaSet>> ClaimReplicaSetsAsync(V1Deployment d, CancellationToken cancellationToken)
    {
        var selector = d.Spec.Selector;
        var manager = new ControllerRefManager<V1ReplicaSet>(d.Metadata, "apps/v1", "Deployment",
            labels => LabelSelectors.Matches(selector, labels),
            async ct => (await Fresh.ReadAsync(() => _client.AppsV1.ReadNamespacedDeploymentAsync(d.Metadata.Name, d.Metadata.NamespaceProperty, cancellationToken: ct)).ConfigureAwait(false))?.Metadata,
            (rs, patch, ct) => _client.AppsV1.PatchNamespacedReplicaSetAsync(patch, rs.Metadata.Name, rs.Metadata.NamespaceProperty, cancellationToken: ct));
        return await manager.ClaimAsync(_replicaSets.Store.ByIndex(Indexers.Namespace, d.Metadata.NamespaceProperty), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Pause and resume show on the Progressing condition when the deployment has a deadline (checkPausedConditions).</summary>
    private async Task CheckPausedConditionsAsync(V1Deployment d, CancellationToken cancellationToken)
    {
        if (!HasProgressDeadline(d))
        {
            return;
        }

        d.Status ??= new V1DeploymentStatus();
        var condition = Condition(d.Status, "Progressing");
        if (condition?.Reason == TimedOutReason)
        {
            return;
        }

        var pausedConditionExists = condition?.Reason == PausedReason;
        var changed = false;
        if (d.Spec.Paused == true && !pausedConditionExists)
        {
            SetCondition(d.Status, NewCondition("Progressing", "Unknown", PausedReason, "Deployment is paused", Now));
            changed = true;
        }
        else if (d.Spec.Paused != true && pausedConditionExists)
        {
            SetCondition(d.Status, NewCondition("Progressing", "Unknown", ResumedReason, "Deployment is resumed", Now));
            changed = true;
        }

        if (changed)
        {
            await WriteStatusAsync(d, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether the deployment was scaled: an active replica set's desired-replicas annotation differs (isScalingEvent).</summary>
    private bool IsScalingEvent(V1Deployment d, List<V1ReplicaSet> sets)
    {
        var (newRs, oldSets) = SplitReplicaSets(d, sets);
        return Active([.. oldSets, newRs]).Any(rs => IntAnnotation(rs, DesiredReplicasAnnotation) is { } desired && desired != Replicas(d));
    }

    private static (V1ReplicaSet? NewRs, List<V1ReplicaSet> Old) SplitReplicaSets(V1Deployment d, List<V1ReplicaSet> sets)
    {
        var newRs = FindNew(d, sets);
        return (newRs, [.. sets.Where(rs => rs != newRs)]);
    }

    /// <summary>
    /// The new replica set (made when <paramref name="create"/> and none has the template) with its
    /// revision and annotations brought up to date, and the old ones (getAllReplicaSetsAndSyncRevision).
    /// </summary>
    private async Task<(V1ReplicaSet? NewRs, List<V1ReplicaSet> Old)> AllReplicaSetsAsync(V1Deployment d, List<V1ReplicaSet> sets, bool create, CancellationToken cancellationToken)
    {
        var (existing, oldSets) = SplitReplicaSets(d, sets);
        var maxOldRevision = oldSets.Select(rs => Revision(rs.Metadata)).DefaultIfEmpty(0).Max();
        var newRevision = (maxOldRevision + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);

        if (existing is not null)
        {
            var copy = ObjectCopy.Clone(existing);
            if (SetNewReplicaSetAnnotations(d, copy, newRevision, exists: true) || (copy.Spec.MinReadySeconds ?? 0) != (d.Spec.MinReadySeconds ?? 0))
            {
                copy.Spec.MinReadySeconds = d.Spec.MinReadySeconds;
                copy = await _client.AppsV1.ReplaceNamespacedReplicaSetAsync(copy, copy.Metadata.Name, copy.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            await SetDeploymentRevisionAsync(d, AnnotationOf(copy.Metadata, RevisionAnnotation), cancellationToken).ConfigureAwait(false);
            if (HasProgressDeadline(d) && Condition(d.Status, "Progressing") is null)
            {
                d.Status ??= new V1DeploymentStatus();
                SetCondition(d.Status, NewCondition("Progressing", "True", FoundNewReplicaSetReason, $"Found new replica set \"{copy.Metadata.Name}\"", Now));
                await WriteStatusAsync(d, cancellationToken).ConfigureAwait(false);
            }

            return (copy, oldSets);
        }

        if (!create)
        {
            return (null, oldSets);
        }

        var created = await CreateNewReplicaSetAsync(d, oldSets, newRevision, cancellationToken).ConfigureAwait(false);
        return (created, oldSets);
    }

    private async Task<V1ReplicaSet> CreateNewReplicaSetAsync(V1Deployment d, List<V1ReplicaSet> oldSets, string newRevision, CancellationToken cancellationToken)
    {
        var hash = ComputeHash(d.Spec.Template, d.Status?.CollisionCount);
        var template = ObjectCopy.Clone(d.Spec.Template);
        template.Metadata ??= new V1ObjectMeta();
        template.Metadata.Labels = new Dictionary<string, string>(template.Metadata.Labels ?? new Dictionary<string, string>()) { [PodTemplateHashLabel] = hash };
        var selector = ObjectCopy.Clone(d.Spec.Selector);
        selector.MatchLabels = new Dictionary<string, string>(selector.MatchLabels ?? new Dictionary<string, string>()) { [PodTemplateHashLabel] = hash };
        var rs = new V1ReplicaSet
        {
            ApiVersion = "apps/v1",
            Kind = "ReplicaSet",
            Metadata = new V1ObjectMeta
            {
                Name = d.Metadata.Name + "-" + hash,
                NamespaceProperty = d.Metadata.NamespaceProperty,
                OwnerReferences = [OwnerReferences.NewControllerRef(d.Metadata, "apps/v1", "Deployment")],
                Labels = template.Metadata.Labels,
            },
            Spec = new V1ReplicaSetSpec { Replicas = 0, MinReadySeconds = d.Spec.MinReadySeconds, Selector = selector, Template = template },
        };
        var all = new List<V1ReplicaSet?>(oldSets) { null };
        rs.Spec.Replicas = NewReplicaSetReplicas(d, all, null);
        SetNewReplicaSetAnnotations(d, rs, newRevision, exists: false);

        V1ReplicaSet created;
        try
        {
            created = await _client.AppsV1.CreateNamespacedReplicaSetAsync(rs, rs.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsAlreadyExists(e))
        {
            // Ours already (the cache was behind), or a hash collision: then count it and try another name.
            var found = _replicaSets.Store.Get(rs.Metadata.NamespaceProperty, rs.Metadata.Name)
                ?? await Fresh.ReadAsync(() => _client.AppsV1.ReadNamespacedReplicaSetAsync(rs.Metadata.Name, rs.Metadata.NamespaceProperty, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (found is not null && OwnerReferences.ControllerOf(found.Metadata)?.Uid == d.Metadata.Uid && EqualIgnoreHash(found.Spec.Template, d.Spec.Template))
            {
                return found;
            }

            d.Status ??= new V1DeploymentStatus();
            d.Status.CollisionCount = (d.Status.CollisionCount ?? 0) + 1;
            await WriteStatusAsync(d, cancellationToken).ConfigureAwait(false);
            throw new InvalidOperationException($"hash collision for the new replica set of deployment {ObjectKeys.KeyOf(d)}; collisionCount is now {d.Status.CollisionCount}", e);
        }
        catch (Exception e) when (e is not OperationCanceledException && HasProgressDeadline(d) && !ApiErrors.IsNamespaceTerminating(e))
        {
            d.Status ??= new V1DeploymentStatus();
            SetCondition(d.Status, NewCondition("Progressing", "False", FailedRsCreateReason, ApiErrors.Message(e), Now));
            await WriteStatusAsync(d, cancellationToken).ConfigureAwait(false);
            throw;
        }

        if (Replicas(created) > 0)
        {
            _recorder.Event(d, EventTypes.Normal, "ScalingReplicaSet", $"Scaled up replica set {created.Metadata.Name} from 0 to {Replicas(created)}");
        }

        await SetDeploymentRevisionAsync(d, newRevision, cancellationToken).ConfigureAwait(false);
        if (HasProgressDeadline(d))
        {
            d.Status ??= new V1DeploymentStatus();
            SetCondition(d.Status, NewCondition("Progressing", "True", NewReplicaSetReason, $"Created new replica set \"{created.Metadata.Name}\"", Now));
            await WriteStatusAsync(d, cancellationToken).ConfigureAwait(false);
        }

        return created;
    }

    /// <summary>The deployment's revision annotation follows its new replica set's.</summary>
    private async Task SetDeploymentRevisionAsync(V1Deployment d, string? revision, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(revision) || AnnotationOf(d.Metadata, RevisionAnnotation) == revision)
        {
            return;
        }

        // An update, not a patch: kube's deployment-controller role may update deployments but not patch them.
        var copy = ObjectCopy.Clone(d);
        copy.Metadata.Annotations ??= new Dictionary<string, string>();
        copy.Metadata.Annotations[RevisionAnnotation] = revision;
        var patched = await _client.AppsV1.ReplaceNamespacedDeploymentAsync(copy, d.Metadata.Name, d.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        d.Metadata.Annotations = patched.Metadata.Annotations;
        d.Metadata.ResourceVersion = patched.Metadata.ResourceVersion;
    }

    private async Task WriteStatusAsync(V1Deployment d, CancellationToken cancellationToken)
    {
        var body = new V1Deployment { ApiVersion = "apps/v1", Kind = "Deployment", Metadata = d.Metadata, Spec = d.Spec, Status = d.Status };
        var updated = await _client.AppsV1.ReplaceNamespacedDeploymentStatusAsync(body, d.Metadata.Name, d.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        d.Metadata.ResourceVersion = updated.Metadata.ResourceVersion;
        d.Status = updated.Status;
    }

    /// <summary>Scales a replica set (and its replicas annotations) with the ScalingReplicaSet event (scaleReplicaSet).</summary>
    private async Task<(bool Scaled, V1ReplicaSet Rs)> ScaleReplicaSetAsync(V1ReplicaSet rs, int newScale, V1Deployment d, CancellationToken cancellationToken)
    {
        var oldScale = Replicas(rs);
        var copy = ObjectCopy.Clone(rs);
        var annotationsChanged = SetReplicasAnnotations(copy, Replicas(d), Replicas(d) + MaxSurge(d));
        if (oldScale == newScale && !annotationsChanged)
        {
            return (false, rs);
        }

        copy.Spec.Replicas = newScale;
        var updated = await _client.AppsV1.ReplaceNamespacedReplicaSetAsync(copy, copy.Metadata.Name, copy.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (oldScale != newScale)
        {
            var direction = newScale > oldScale ? "up" : "down";
            _recorder.Event(d, EventTypes.Normal, "ScalingReplicaSet", $"Scaled {direction} replica set {rs.Metadata.Name} from {oldScale} to {newScale}");
        }

        return (oldScale != newScale, updated);
    }

    private void AddReplicaSet(V1ReplicaSet rs)
    {
        if (rs.Metadata.DeletionTimestamp is not null)
        {
            DeleteReplicaSet(rs);
            return;
        }

        if (OwnerReferences.ControllerOf(rs.Metadata) is { } controllerRef)
        {
            if (Resolve(rs.Metadata.NamespaceProperty, controllerRef) is { } d)
            {
                Enqueue(ObjectKeys.KeyOf(d));
            }

            return;
        }

        foreach (var d in MatchingDeployments(rs))
        {
            Enqueue(ObjectKeys.KeyOf(d));
        }
    }

    private void UpdateReplicaSet(V1ReplicaSet old, V1ReplicaSet cur)
    {
        if (old.Metadata.ResourceVersion == cur.Metadata.ResourceVersion)
        {
            return;
        }

        var oldRef = OwnerReferences.ControllerOf(old.Metadata);
        var curRef = OwnerReferences.ControllerOf(cur.Metadata);
        if (oldRef?.Uid != curRef?.Uid && Resolve(old.Metadata.NamespaceProperty, oldRef) is { } previous)
        {
            Enqueue(ObjectKeys.KeyOf(previous));
        }

        if (curRef is not null)
        {
            if (Resolve(cur.Metadata.NamespaceProperty, curRef) is { } d)
            {
                Enqueue(ObjectKeys.KeyOf(d));
            }

            return;
        }

        foreach (var d in MatchingDeployments(cur))
        {
            Enqueue(ObjectKeys.KeyOf(d));
        }
    }

    private void DeleteReplicaSet(V1ReplicaSet rs)
    {
        if (Resolve(rs.Metadata.NamespaceProperty, OwnerReferences.ControllerOf(rs.Metadata)) is { } d)
        {
            Enqueue(ObjectKeys.KeyOf(d));
        }
    }

    /// <summary>A Recreate deployment waits for its old pods to be gone before it scales up the new replica set.</summary>
    private void DeletePod(V1Pod pod)
    {
        if (OwnerReferences.ControllerOf(pod.Metadata) is not { Kind: "ReplicaSet" } rsRef
            || _replicaSets.Store.Get(pod.Metadata.NamespaceProperty, rsRef.Name) is not { } rs || rs.Metadata.Uid != rsRef.Uid
            || Resolve(rs.Metadata.NamespaceProperty, OwnerReferences.ControllerOf(rs.Metadata)) is not { } d)
        {
            return;
        }

        if (!IsRollingUpdate(d))
        {
            Enqueue(ObjectKeys.KeyOf(d));
        }
    }

    private V1Deployment? Resolve(string ns, V1OwnerReference? controllerRef)
    {
        if (controllerRef is not { Kind: "Deployment" } || !controllerRef.ApiVersion.StartsWith("apps/", StringComparison.Ordinal))
        {
            return null;
        }

        var d = _deployments.Store.Get(ns, controllerRef.Name);
        return d?.Metadata.Uid == controllerRef.Uid ? d : null;
    }

    private IEnumerable<V1Deployment> MatchingDeployments(V1ReplicaSet rs) =>
        rs.Metadata.Labels is null || rs.Metadata.Labels.Count == 0
            ? []
            : _deployments.Store.ByIndex(Indexers.Namespace, rs.Metadata.NamespaceProperty)
                .Where(d => !LabelSelectors.IsEmpty(d.Spec.Selector) && LabelSelectors.Matches(d.Spec.Selector, rs.Metadata.Labels));
}
