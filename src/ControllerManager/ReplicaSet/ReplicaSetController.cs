using ClientTools.Cache;
using ClientTools.Events;
using ClientTools.Logging;
using ControllerManager.Common;
using ControllerManager.Infrastructure;
using k8s;
using k8s.Models;

namespace ControllerManager.ReplicaSet;

/// <summary>
/// kube's ReplicaSetController (pkg/controller/replicaset), for ReplicaSets and — through
/// <see cref="ReplicationControllerSource"/> — ReplicationControllers: keeps spec.replicas active pods
/// per owner, adopting matching orphans and releasing pods it no longer selects, creating in slow-start
/// batches under expectations, deleting in kube's ranking, and writing status (replicas, fully
/// labeled, ready, available, observedGeneration, the ReplicaFailure condition).
/// </summary>
internal sealed class ReplicaSetController : QueueController
{
    /// <summary>kube's BurstReplicas: the most pods one sync creates or deletes.</summary>
    public const int BurstReplicas = 500;

    private readonly IReplicaSetSource _source;
    private readonly SharedIndexInformer<V1Pod> _pods;
    private readonly PodControl _podControl;
    private readonly IKubernetes _client;
    private readonly TimeProvider _time;

    public ReplicaSetController(string name, int workers, IReplicaSetSource source, SharedIndexInformer<V1Pod> pods, IKubernetes client, EventRecorder recorder, TimeProvider time)
        : base(name, workers, time)
    {
        _source = source;
        _pods = pods;
        _client = client;
        _time = time;
        _podControl = new PodControl(client, recorder);
        Expectations = new ControllerExpectations(time);
        source.AddHandler(rs => Enqueue(ObjectKeys.KeyOf(rs)), (_, rs) => Enqueue(ObjectKeys.KeyOf(rs)), DeleteReplicaSet);
        pods.AddEventHandler(new ResourceEventHandler<V1Pod> { OnAdd = (p, _) => AddPod(p), OnUpdate = UpdatePod, OnDelete = DeletePod });
    }

    public ControllerExpectations Expectations { get; }

    public static ReplicaSetController ForReplicaSets(ControllerContext context)
    {
        var client = context.ClientFor(ControllerNames.ReplicaSet);
        return new ReplicaSetController(ControllerNames.ReplicaSet, context.Settings.ConcurrentReplicaSetSyncs,
            new ReplicaSetSource(context.Informers.ReplicaSets(), client), context.Informers.Pods(), client,
            context.RecorderFor("replicaset-controller", client), context.Time);
    }

    public static ReplicaSetController ForReplicationControllers(ControllerContext context)
    {
        var client = context.ClientFor(ControllerNames.ReplicationController);
        return new ReplicaSetController(ControllerNames.ReplicationController, context.Settings.ConcurrentRcSyncs,
            new ReplicationControllerSource(context.Informers.ReplicationControllers(), client), context.Informers.Pods(), client,
            context.RecorderFor("replication-controller", client), context.Time);
    }

    public override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        var rs = _source.Get(key);
        if (rs is null)
        {
            Klog.Info(4, $"{_source.Kind} {key} has been deleted");
            Expectations.Delete(key);
            return;
        }

        var needsSync = Expectations.Satisfied(key);
        var active = _pods.Store.ByIndex(Indexers.Namespace, rs.Metadata.NamespaceProperty).Where(Pods.IsActive);
        var owned = await ClaimPodsAsync(rs, active, cancellationToken).ConfigureAwait(false);

        Exception? manageError = null;
        var diff = owned.Count - (rs.Spec.Replicas ?? 1);
        if (needsSync && rs.Metadata.DeletionTimestamp is null)
        {
            try
            {
                await ManageReplicasAsync(rs, key, owned, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                manageError = e;
            }
        }

        var status = CalculateStatus(rs, owned, manageError, diff, _time.GetUtcNow().UtcDateTime);
        var updated = await UpdateStatusAsync(rs, status, cancellationToken).ConfigureAwait(false);
        var minReady = rs.Spec.MinReadySeconds ?? 0;
        if (manageError is null && minReady > 0 && updated.ReadyReplicas == (rs.Spec.Replicas ?? 1) && updated.AvailableReplicas != (rs.Spec.Replicas ?? 1))
        {
            Queue.AddAfter(key, TimeSpan.FromSeconds(minReady));
        }

        if (manageError is not null)
        {
            throw manageError;
        }
    }

    /// <summary>kube's calculateStatus: counts over the owned active pods, and the ReplicaFailure condition.</summary>
    public static V1ReplicaSetStatus CalculateStatus(V1ReplicaSet rs, IReadOnlyList<V1Pod> pods, Exception? manageError, int diff, DateTime now)
    {
        var templateLabels = rs.Spec.Template?.Metadata?.Labels ?? new Dictionary<string, string>();
        var minReady = rs.Spec.MinReadySeconds ?? 0;
        var conditions = (rs.Status?.Conditions ?? []).ToList();
        var failure = conditions.FirstOrDefault(c => c.Type == "ReplicaFailure");
        if (manageError is not null && failure is null)
        {
            conditions.Add(new V1ReplicaSetCondition
            {
                Type = "ReplicaFailure",
                Status = "True",
                Reason = diff < 0 ? "FailedCreate" : "FailedDelete",
                Message = ApiErrors.Message(manageError),
                LastTransitionTime = now,
            });
        }
        else if (manageError is null && failure is not null)
        {
            conditions.Remove(failure);
        }

        return new V1ReplicaSetStatus
        {
            Replicas = pods.Count,
            FullyLabeledReplicas = pods.Count(p => templateLabels.All(l => p.Metadata.Labels?.TryGetValue(l.Key, out var v) == true && v == l.Value)),
            ReadyReplicas = pods.Count(Pods.IsReady),
            AvailableReplicas = pods.Count(p => Pods.IsAvailable(p, minReady, now)),
            ObservedGeneration = rs.Status?.ObservedGeneration,
            Conditions = conditions.Count > 0 ? conditions : null,
        };
    }

    private async Task<List<V1Pod>> ClaimPodsAsync(V1ReplicaSet rs, IEnumerable<V1Pod> candidates, CancellationToken cancellationToken)
    {
        var selector = rs.Spec.Selector;
        var manager = new ControllerRefManager<V1Pod>(rs.Metadata, _source.ApiVersion, _source.Kind,
            labels => LabelSelectors.Matches(selector, labels),
            ct => _source.GetFreshAsync(rs.Metadata.NamespaceProperty, rs.Metadata.Name, ct),
            (pod, patch, ct) => _client.CoreV1.PatchNamespacedPodAsync(patch, pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: ct));
        return await manager.ClaimAsync(candidates, cancellationToken).ConfigureAwait(false);
    }

    private async Task ManageReplicasAsync(V1ReplicaSet rs, string key, List<V1Pod> pods, CancellationToken cancellationToken)
    {
        var diff = pods.Count - (rs.Spec.Replicas ?? 1);
        if (diff < 0)
        {
            var count = Math.Min(-diff, BurstReplicas);
            // Expect the creations before making them: their watch events may arrive before the calls return.
            Expectations.ExpectCreations(key, count);
            Klog.Info(2, $"Too few replicas for {_source.Kind} {key}: need {rs.Spec.Replicas ?? 1}, creating {count}");
            var controllerRef = OwnerReferences.NewControllerRef(rs.Metadata, _source.ApiVersion, _source.Kind);
            var (successes, error) = await SlowStart.BatchAsync(count, 1, async () =>
            {
                var pod = PodControl.FromTemplate(rs.Spec.Template, rs.Metadata, controllerRef);
                try
                {
                    await _podControl.CreateAsync(rs, pod, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (ApiErrors.IsNamespaceTerminating(e))
                {
                    // kube: creating in a terminating namespace is expected to fail; not an error to retry.
                    Expectations.CreationObserved(key);
                }
            }).ConfigureAwait(false);
            // The creations that failed or were never tried will never be observed.
            for (var skipped = count - successes; skipped > 0; skipped--)
            {
                Expectations.CreationObserved(key);
            }

            if (error is not null)
            {
                throw error;
            }
        }
        else if (diff > 0)
        {
            var count = Math.Min(diff, BurstReplicas);
            var victims = PodDeletionRanking.PodsToDelete(pods, RelatedPods(rs), count, _time.GetUtcNow().UtcDateTime);
            Klog.Info(2, $"Too many replicas for {_source.Kind} {key}: need {rs.Spec.Replicas ?? 1}, deleting {count}");
            Expectations.ExpectDeletions(key, victims.Select(Pods.Key));
            var errors = await Task.WhenAll(victims.Select(async pod =>
            {
                try
                {
                    await _podControl.DeleteAsync(rs, pod, cancellationToken).ConfigureAwait(false);
                    return null;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Expectations.DeletionObserved(key, Pods.Key(pod));
                    return ApiErrors.IsNotFound(e) ? null : e;
                }
            })).ConfigureAwait(false);
            if (errors.FirstOrDefault(e => e is not null) is { } failed)
            {
                throw failed;
            }
        }
    }

    /// <summary>Pods of the replica sets controlled by the same owner as <paramref name="rs"/> (a deployment's), for ranking.</summary>
    private IEnumerable<V1Pod> RelatedPods(V1ReplicaSet rs)
    {
        var owner = OwnerReferences.ControllerOf(rs.Metadata);
        var siblings = owner is null
            ? [rs]
            : _source.List(rs.Metadata.NamespaceProperty).Where(s => OwnerReferences.ControllerOf(s.Metadata)?.Uid == owner.Uid).ToList();
        var uids = siblings.Select(s => s.Metadata.Uid).ToHashSet(StringComparer.Ordinal);
        return _pods.Store.ByIndex(Indexers.Namespace, rs.Metadata.NamespaceProperty)
            .Where(p => OwnerReferences.ControllerOf(p.Metadata) is { } r && uids.Contains(r.Uid));
    }

    private async Task<V1ReplicaSetStatus> UpdateStatusAsync(V1ReplicaSet rs, V1ReplicaSetStatus status, CancellationToken cancellationToken)
    {
        var current = rs.Status ?? new V1ReplicaSetStatus();
        if (current.Replicas == status.Replicas && (current.FullyLabeledReplicas ?? 0) == (status.FullyLabeledReplicas ?? 0)
            && (current.ReadyReplicas ?? 0) == (status.ReadyReplicas ?? 0) && (current.AvailableReplicas ?? 0) == (status.AvailableReplicas ?? 0)
            && current.ObservedGeneration == rs.Metadata.Generation && SameConditions(current.Conditions, status.Conditions))
        {
            return current;
        }

        status.ObservedGeneration = rs.Metadata.Generation;
        try
        {
            return await _source.UpdateStatusAsync(rs, status, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsConflict(e) || ApiErrors.IsNotFound(e))
        {
            // The cache was behind; the informer's next event brings this key back.
            Klog.Info(4, $"status of {_source.Kind} {ObjectKeys.KeyOf(rs)} not written: {ApiErrors.Message(e)}");
            return status;
        }
    }

    private static bool SameConditions(IList<V1ReplicaSetCondition>? a, IList<V1ReplicaSetCondition>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a is null || a.Zip(b!).All(p => p.First.Type == p.Second.Type && p.First.Status == p.Second.Status && p.First.Reason == p.Second.Reason));

    private V1ReplicaSet? Resolve(string ns, V1OwnerReference? controllerRef)
    {
        if (controllerRef is null || controllerRef.Kind != _source.Kind || controllerRef.ApiVersion.Split('/')[0] != _source.ApiVersion.Split('/')[0])
        {
            return null;
        }

        var rs = _source.Get(ObjectKeys.KeyOf(ns, controllerRef.Name));
        return rs?.Metadata.Uid == controllerRef.Uid ? rs : null;
    }

    private IEnumerable<V1ReplicaSet> MatchingOwners(V1Pod pod) =>
        pod.Metadata.Labels is null || pod.Metadata.Labels.Count == 0
            ? []
            : _source.List(pod.Metadata.NamespaceProperty).Where(rs => LabelSelectors.Matches(rs.Spec.Selector, pod.Metadata.Labels));

    private void AddPod(V1Pod pod)
    {
        if (pod.Metadata.DeletionTimestamp is not null)
        {
            DeletePod(pod);
            return;
        }

        if (OwnerReferences.ControllerOf(pod.Metadata) is { } controllerRef)
        {
            if (Resolve(pod.Metadata.NamespaceProperty, controllerRef) is { } rs)
            {
                var key = ObjectKeys.KeyOf(rs);
                Expectations.CreationObserved(key);
                Enqueue(key);
            }

            return;
        }

        foreach (var rs in MatchingOwners(pod))
        {
            Enqueue(ObjectKeys.KeyOf(rs));
        }
    }

    private void UpdatePod(V1Pod old, V1Pod cur)
    {
        if (old.Metadata.ResourceVersion == cur.Metadata.ResourceVersion)
        {
            return;
        }

        var labelsChanged = !SameLabels(old.Metadata.Labels, cur.Metadata.Labels);
        if (cur.Metadata.DeletionTimestamp is not null)
        {
            DeletePod(cur);
            if (labelsChanged)
            {
                DeletePod(old);
            }

            return;
        }

        var oldRef = OwnerReferences.ControllerOf(old.Metadata);
        var curRef = OwnerReferences.ControllerOf(cur.Metadata);
        var refChanged = oldRef?.Uid != curRef?.Uid;
        if (refChanged && Resolve(old.Metadata.NamespaceProperty, oldRef) is { } previous)
        {
            Enqueue(ObjectKeys.KeyOf(previous));
        }

        if (curRef is not null)
        {
            if (Resolve(cur.Metadata.NamespaceProperty, curRef) is { } rs)
            {
                Enqueue(ObjectKeys.KeyOf(rs));
                var minReady = rs.Spec.MinReadySeconds ?? 0;
                if (!Pods.IsReady(old) && Pods.IsReady(cur) && minReady > 0)
                {
                    // Available minReadySeconds after it became ready; look again then (kube adds 1 s of slack).
                    Queue.AddAfter(ObjectKeys.KeyOf(rs), TimeSpan.FromSeconds(minReady + 1));
                }
            }

            return;
        }

        if (labelsChanged || refChanged)
        {
            foreach (var rs in MatchingOwners(cur))
            {
                Enqueue(ObjectKeys.KeyOf(rs));
            }
        }
    }

    private void DeletePod(V1Pod pod)
    {
        if (Resolve(pod.Metadata.NamespaceProperty, OwnerReferences.ControllerOf(pod.Metadata)) is not { } rs)
        {
            return;
        }

        var key = ObjectKeys.KeyOf(rs);
        Expectations.DeletionObserved(key, Pods.Key(pod));
        Enqueue(key);
    }

    private void DeleteReplicaSet(V1ReplicaSet rs)
    {
        var key = ObjectKeys.KeyOf(rs);
        Expectations.Delete(key);
        Enqueue(key);
    }

    private static bool SameLabels(IDictionary<string, string>? a, IDictionary<string, string>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a is null || a.All(p => b!.TryGetValue(p.Key, out var v) && v == p.Value));
}
