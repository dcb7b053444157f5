using ClientTools.Cache;
using ClientTools.Logging;
using ControllerManager.Common;
using ControllerManager.Infrastructure;
using k8s;
using k8s.Models;

namespace ControllerManager.StatefulSet;

/// <summary>
/// kube's StatefulSetController (pkg/controller/statefulset): per set, adopts its pods and
/// ControllerRevisions, finds the current and update revisions (creating the update revision, or
/// renumbering an equal older one on rollback), runs <see cref="StatefulSetUpdater"/>, writes status
/// (finishing a rolling update when every replica is updated and ready) and trims history to
/// revisionHistoryLimit.
/// </summary>
internal sealed class StatefulSetController : QueueController
{
    private readonly SharedIndexInformer<V1StatefulSet> _sets;
    private readonly SharedIndexInformer<V1Pod> _pods;
    private readonly SharedIndexInformer<V1ControllerRevision> _revisions;
    private readonly IKubernetes _client;
    private readonly StatefulSetUpdater _updater;
    private readonly TimeProvider _time;

    public StatefulSetController(ControllerContext context)
        : base(ControllerNames.StatefulSet, context.Settings.ConcurrentStatefulSetSyncs, context.Time)
    {
        _client = context.ClientFor(ControllerNames.StatefulSet);
        var recorder = context.RecorderFor("statefulset-controller", _client);
        _time = context.Time;
        _sets = context.Informers.StatefulSets();
        _pods = context.Informers.Pods();
        _revisions = context.Informers.ControllerRevisions();
        var claims = context.Informers.PersistentVolumeClaims();
        _updater = new StatefulSetUpdater(new StatefulPodControl(_client, recorder, claims), context.Time);

        _sets.AddEventHandler(new ResourceEventHandler<V1StatefulSet>
        {
            OnAdd = (s, _) => Enqueue(ObjectKeys.KeyOf(s)),
            OnUpdate = (_, s) => Enqueue(ObjectKeys.KeyOf(s)),
            OnDelete = s => Enqueue(ObjectKeys.KeyOf(s)),
        });
        _pods.AddEventHandler(new ResourceEventHandler<V1Pod>
        {
            OnAdd = (p, _) => EnqueueFor(p.Metadata),
            OnUpdate = UpdatePod,
            OnDelete = p => EnqueueFor(p.Metadata),
        });
        _revisions.AddEventHandler(new ResourceEventHandler<V1ControllerRevision>
        {
            OnAdd = (r, _) => EnqueueFor(r.Metadata),
            OnUpdate = (_, r) => EnqueueFor(r.Metadata),
            OnDelete = r => EnqueueFor(r.Metadata),
        });
    }

    public override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        var set = _sets.Store.Get(key);
        if (set is null)
        {
            Klog.Info(4, $"StatefulSet {key} has been deleted");
            return;
        }

        var revisions = await ClaimRevisionsAsync(set, cancellationToken).ConfigureAwait(false);
        var pods = await ClaimPodsAsync(set, cancellationToken).ConfigureAwait(false);
        var sorted = ControllerRevisions.Sorted(revisions);
        var (current, update, collisionCount) = await RevisionsAsync(set, sorted, cancellationToken).ConfigureAwait(false);
        var (status, error) = await _updater.UpdateAsync(set, current, update, collisionCount, pods, cancellationToken).ConfigureAwait(false);

        Exception? statusError = null;
        try
        {
            await UpdateStatusAsync(set, status, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            statusError = e;
        }

        await TruncateHistoryAsync(set, pods, sorted, current, update, cancellationToken).ConfigureAwait(false);
        if (error is not null || statusError is not null)
        {
            throw error ?? statusError!;
        }

        if (set.Spec.MinReadySeconds is int minReady && minReady > 0 && status.ReadyReplicas != status.AvailableReplicas)
        {
            Queue.AddAfter(key, TimeSpan.FromSeconds(minReady));
        }
    }

    private Func<CancellationToken, Task<V1ObjectMeta?>> FreshSetAsync(V1StatefulSet set) => async ct =>
        (await Fresh.ReadAsync(() => _client.AppsV1.ReadNamespacedStatefulSetAsync(set.Metadata.Name, set.Metadata.NamespaceProperty, cancellationToken: ct)).ConfigureAwait(false))?.Metadata;

    /// <summary>getPodsForStatefulSet: pods named for this set that its selector matches (adopting orphans, releasing the rest).</summary>
    private Task<List<V1Pod>> ClaimPodsAsync(V1StatefulSet set, CancellationToken cancellationToken)
    {
        var manager = new ControllerRefManager<V1Pod>(set.Metadata, "apps/v1", "StatefulSet",
            labels => LabelSelectors.Matches(set.Spec.Selector, labels),
            FreshSetAsync(set),
            (pod, patch, ct) => _client.CoreV1.PatchNamespacedPodAsync(patch, pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: ct));
        var members = _pods.Store.ByIndex(Indexers.Namespace, set.Metadata.NamespaceProperty).Where(p => StatefulSetPods.IsMemberOf(set, p));
        return manager.ClaimAsync(members, cancellationToken);
    }

    private Task<List<V1ControllerRevision>> ClaimRevisionsAsync(V1StatefulSet set, CancellationToken cancellationToken)
    {
        var manager = new ControllerRefManager<V1ControllerRevision>(set.Metadata, "apps/v1", "StatefulSet",
            labels => LabelSelectors.Matches(set.Spec.Selector, labels),
            FreshSetAsync(set),
            (r, patch, ct) => _client.AppsV1.PatchNamespacedControllerRevisionAsync(patch, r.Metadata.Name, r.Metadata.NamespaceProperty, cancellationToken: ct));
        return manager.ClaimAsync(_revisions.Store.ByIndex(Indexers.Namespace, set.Metadata.NamespaceProperty), cancellationToken);
    }

    /// <summary>
    /// getStatefulSetRevisions: the update revision is the set's template (the latest revision when it
    /// already restores it, an older equal one renumbered to the next revision on rollback, else a new
    /// one); the current revision is status.currentRevision's, or the update revision at first.
    /// </summary>
    private async Task<(V1ControllerRevision Current, V1ControllerRevision Update, int CollisionCount)> RevisionsAsync(
        V1StatefulSet set, List<V1ControllerRevision> revisions, CancellationToken cancellationToken)
    {
        var collisionCount = set.Status?.CollisionCount ?? 0;
        var ns = set.Metadata.NamespaceProperty;
        var next = ControllerRevisions.MaxRevision(revisions) + 1;
        var equal = revisions.Where(r => ControllerRevisions.Restores(r, set.Spec.Template)).ToList();
        V1ControllerRevision update;
        if (equal.Count > 0 && ReferenceEquals(equal[^1], revisions[^1]))
        {
            update = revisions[^1];
        }
        else if (equal.Count > 0)
        {
            var renumber = ObjectCopy.Clone(equal[^1]);
            renumber.Revision = next;
            update = await _client.AppsV1.ReplaceNamespacedControllerRevisionAsync(renumber, renumber.Metadata.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        else
        {
            (update, collisionCount) = await CreateRevisionAsync(set, next, collisionCount, cancellationToken).ConfigureAwait(false);
        }

        var current = revisions.FirstOrDefault(r => r.Metadata.Name == set.Status?.CurrentRevision) ?? update;
        return (current, update, collisionCount);
    }

    /// <summary>history.CreateControllerRevision: named &lt;set&gt;-&lt;hash&gt;; a name taken by other data counts a collision and hashes again.</summary>
    private async Task<(V1ControllerRevision Revision, int CollisionCount)> CreateRevisionAsync(V1StatefulSet set, long revision, int collisionCount, CancellationToken cancellationToken)
    {
        var ns = set.Metadata.NamespaceProperty;
        var data = ControllerRevisions.TemplatePatch(set.Spec.Template);
        for (var attempt = 0; ; attempt++)
        {
            var hash = ControllerRevisions.HashData(data, collisionCount);
            var name = ControllerRevisions.RevisionName(set.Metadata.Name, hash);
            var created = new V1ControllerRevision
            {
                ApiVersion = "apps/v1",
                Kind = "ControllerRevision",
                Metadata = new V1ObjectMeta
                {
                    Name = name,
                    NamespaceProperty = ns,
                    Labels = new Dictionary<string, string>(set.Spec.Template.Metadata?.Labels ?? new Dictionary<string, string>()) { [ControllerRevisions.HashLabel] = hash },
                    Annotations = set.Metadata.Annotations is { } annotations ? new Dictionary<string, string>(annotations) : null,
                    OwnerReferences = [OwnerReferences.NewControllerRef(set.Metadata, "apps/v1", "StatefulSet")],
                },
                Data = data,
                Revision = revision,
            };
            try
            {
                return (await _client.AppsV1.CreateNamespacedControllerRevisionAsync(created, ns, cancellationToken: cancellationToken).ConfigureAwait(false), collisionCount);
            }
            catch (Exception e) when (ApiErrors.IsAlreadyExists(e) && attempt < 10)
            {
                var existing = await _client.AppsV1.ReadNamespacedControllerRevisionAsync(name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (ControllerRevisions.Restores(existing, set.Spec.Template) && OwnerReferences.ControllerOf(existing.Metadata)?.Uid == set.Metadata.Uid)
                {
                    return (existing, collisionCount);
                }

                collisionCount++;
            }
        }
    }

    /// <summary>updateStatefulSetStatus: completes a finished rolling update, then writes status if it changed.</summary>
    private async Task UpdateStatusAsync(V1StatefulSet set, V1StatefulSetStatus status, CancellationToken cancellationToken)
    {
        if (set.Spec.UpdateStrategy?.Type is "RollingUpdate" or null && status.UpdatedReplicas == status.Replicas && status.ReadyReplicas == status.Replicas)
        {
            status.CurrentReplicas = status.UpdatedReplicas;
            status.CurrentRevision = status.UpdateRevision;
        }

        var old = set.Status ?? new V1StatefulSetStatus();
        if (old.ObservedGeneration == status.ObservedGeneration && old.Replicas == status.Replicas && (old.CurrentReplicas ?? 0) == (status.CurrentReplicas ?? 0)
            && (old.ReadyReplicas ?? 0) == (status.ReadyReplicas ?? 0) && (old.UpdatedReplicas ?? 0) == (status.UpdatedReplicas ?? 0)
            && (old.AvailableReplicas ?? 0) == (status.AvailableReplicas ?? 0) && old.CurrentRevision == status.CurrentRevision
            && old.UpdateRevision == status.UpdateRevision && (old.CollisionCount ?? 0) == (status.CollisionCount ?? 0))
        {
            return;
        }

        var update = ObjectCopy.Clone(set);
        for (var attempt = 0; ; attempt++)
        {
            status.Conditions = update.Status?.Conditions;
            update.Status = status;
            try
            {
                await _client.AppsV1.ReplaceNamespacedStatefulSetStatusAsync(update, update.Metadata.Name, update.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (ApiErrors.IsConflict(e) && attempt < 1)
            {
                update = await _client.AppsV1.ReadNamespacedStatefulSetAsync(set.Metadata.Name, set.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (ApiErrors.IsNotFound(e))
            {
                return;
            }
        }
    }

    /// <summary>truncateHistory: non-live revisions (not current, update, or any pod's) beyond revisionHistoryLimit go, oldest first.</summary>
    private async Task TruncateHistoryAsync(V1StatefulSet set, List<V1Pod> pods, List<V1ControllerRevision> revisions, V1ControllerRevision current, V1ControllerRevision update, CancellationToken cancellationToken)
    {
        var live = pods.Select(StatefulSetPods.Revision).Append(current.Metadata.Name).Append(update.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        var history = revisions.Where(r => !live.Contains(r.Metadata.Name)).ToList();
        var limit = set.Spec.RevisionHistoryLimit ?? 10;
        if (limit < 0 || history.Count <= limit)
        {
            return;
        }

        foreach (var revision in history.Take(history.Count - limit))
        {
            try
            {
                await _client.AppsV1.DeleteNamespacedControllerRevisionAsync(revision.Metadata.Name, revision.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (ApiErrors.IsNotFound(e))
            {
            }
        }
    }

    private void UpdatePod(V1Pod old, V1Pod cur)
    {
        if (old.Metadata.ResourceVersion == cur.Metadata.ResourceVersion)
        {
            return;
        }

        if (OwnerReferences.ControllerOf(old.Metadata)?.Uid != OwnerReferences.ControllerOf(cur.Metadata)?.Uid)
        {
            EnqueueFor(old.Metadata);
        }

        EnqueueFor(cur.Metadata);
        if (Resolve(cur.Metadata) is { } set && !Pods.IsReady(old) && Pods.IsReady(cur) && set.Spec.MinReadySeconds is int minReady && minReady > 0)
        {
            Queue.AddAfter(ObjectKeys.KeyOf(set), TimeSpan.FromSeconds(minReady + 1));
        }
    }

    private V1StatefulSet? Resolve(V1ObjectMeta meta)
    {
        var controllerRef = OwnerReferences.ControllerOf(meta);
        if (controllerRef is null || controllerRef.Kind != "StatefulSet" || controllerRef.ApiVersion.Split('/')[0] != "apps")
        {
            return null;
        }

        var set = _sets.Store.Get(meta.NamespaceProperty, controllerRef.Name);
        return set?.Metadata.Uid == controllerRef.Uid ? set : null;
    }

    /// <summary>The owning set, or for an orphan every set whose selector matches it.</summary>
    private void EnqueueFor(V1ObjectMeta meta)
    {
        if (Resolve(meta) is { } set)
        {
            Enqueue(ObjectKeys.KeyOf(set));
            return;
        }

        if (OwnerReferences.ControllerOf(meta) is not null || meta.Labels is null || meta.Labels.Count == 0)
        {
            return;
        }

        foreach (var candidate in _sets.Store.ByIndex(Indexers.Namespace, meta.NamespaceProperty).Where(s => LabelSelectors.Matches(s.Spec.Selector, meta.Labels)))
        {
            Enqueue(ObjectKeys.KeyOf(candidate));
        }
    }
}
