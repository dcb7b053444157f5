using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using ClientTools.Cache;
using ClientTools.Events;
using ClientTools.Logging;
using ControllerManager.Common;
using ControllerManager.Deployment;
using ControllerManager.Infrastructure;
using k8s;
using k8s.Models;

namespace ControllerManager.DaemonSet;

/// <summary>
/// kube's DaemonSetsController (pkg/controller/daemon): one pod per eligible node, created with a
/// required node affinity on the node's name so the scheduler binds it there; pods removed from nodes
/// that no longer qualify; a ControllerRevision per template (controller-revision-hash on pods and
/// revisions, pod-template-generation from the server's template generation) for rolling updates
/// (maxUnavailable, maxSurge), OnDelete and <c>kubectl rollout history|undo</c>; status counts; events.
/// </summary>
internal sealed class DaemonSetController : QueueController
{
    /// <summary>kube's BurstReplicas for daemon sets: the most pods one sync creates or deletes.</summary>
    public const int BurstReplicas = 250;

    private static readonly TimeSpan FailedBackoffInitial = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan FailedBackoffMax = TimeSpan.FromMinutes(15);

    private readonly SharedIndexInformer<V1DaemonSet> _daemonSets;
    private readonly SharedIndexInformer<V1Node> _nodes;
    private readonly SharedIndexInformer<V1Pod> _pods;
    private readonly SharedIndexInformer<V1ControllerRevision> _revisions;
    private readonly IKubernetes _client;
    private readonly EventRecorder _recorder;
    private readonly PodControl _podControl;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, (TimeSpan Delay, DateTimeOffset At)> _failedBackoff = new(StringComparer.Ordinal);

    public DaemonSetController(ControllerContext context)
        : base(ControllerNames.DaemonSet, context.Settings.ConcurrentDaemonSetSyncs, context.Time)
    {
        _client = context.ClientFor(ControllerNames.DaemonSet);
        _recorder = context.RecorderFor("daemonset-controller", _client);
        _podControl = new PodControl(_client, _recorder);
        _time = context.Time;
        Expectations = new ControllerExpectations(context.Time);
        _daemonSets = context.Informers.DaemonSets();
        _nodes = context.Informers.Nodes();
        _pods = context.Informers.Pods();
        _revisions = context.Informers.ControllerRevisions();

        _daemonSets.AddEventHandler(new ResourceEventHandler<V1DaemonSet>
        {
            OnAdd = (ds, _) => Enqueue(ObjectKeys.KeyOf(ds)),
            OnUpdate = (_, ds) => Enqueue(ObjectKeys.KeyOf(ds)),
            OnDelete = ds => Enqueue(ObjectKeys.KeyOf(ds)),
        });
        _nodes.AddEventHandler(new ResourceEventHandler<V1Node> { OnAdd = (n, _) => AddNode(n), OnUpdate = UpdateNode, OnDelete = _ => EnqueueAll() });
        _pods.AddEventHandler(new ResourceEventHandler<V1Pod> { OnAdd = (p, _) => AddPod(p), OnUpdate = UpdatePod, OnDelete = DeletePod });
        _revisions.AddEventHandler(new ResourceEventHandler<V1ControllerRevision>
        {
            OnAdd = (r, _) => EnqueueOwner(r.Metadata),
            OnUpdate = (_, r) => EnqueueOwner(r.Metadata),
            OnDelete = r => EnqueueOwner(r.Metadata),
        });
    }

    public ControllerExpectations Expectations { get; }

    public override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        var ds = _daemonSets.Store.Get(key);
        if (ds is null)
        {
            Klog.Info(3, $"Daemon set {key} has been deleted");
            Expectations.Delete(key);
            return;
        }

        var nodes = _nodes.Store.List();
        if (LabelSelectors.IsEmpty(ds.Spec.Selector))
        {
            _recorder.Event(ds, EventTypes.Warning, "SelectingAll", "This daemon set is selecting all pods. A non-empty selector is required.");
            return;
        }

        // Being deleted: its revisions may be gone or orphaned already, so its status cannot be trusted.
        if (ds.Metadata.DeletionTimestamp is not null)
        {
            return;
        }

        var (current, old) = await ConstructHistoryAsync(ds, cancellationToken).ConfigureAwait(false);
        var hash = current.Metadata.Labels.ValueOf(ControllerRevisions.ControllerRevisionHashLabel) ?? "";
        if (!Expectations.Satisfied(key))
        {
            // Status only; observedGeneration stays, as this generation was not acted on.
            await UpdateStatusAsync(ds, nodes, hash, updateObservedGeneration: false, cancellationToken).ConfigureAwait(false);
            return;
        }

        Exception? error = null;
        try
        {
            await ManageAsync(ds, key, nodes, hash, cancellationToken).ConfigureAwait(false);
            if (Expectations.Satisfied(key) && ds.Spec.UpdateStrategy?.Type is "RollingUpdate" or null)
            {
                var (delete, createOn) = DaemonSetPlan.RollingUpdate(ds, nodes, await NodesToDaemonPodsAsync(ds, false, cancellationToken).ConfigureAwait(false), hash, Now);
                await SyncNodesAsync(ds, key, delete, createOn, hash, cancellationToken).ConfigureAwait(false);
            }

            await CleanupHistoryAsync(ds, old, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            error = e;
        }

        try
        {
            await UpdateStatusAsync(ds, nodes, hash, updateObservedGeneration: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException && error is not null)
        {
            Klog.Warning($"Failed to update status of daemon set {key}: {ApiErrors.Message(e)}");
        }

        if (error is not null)
        {
            throw error;
        }
    }

    private DateTime Now => _time.GetUtcNow().UtcDateTime;

    /// <summary>manage: per node, create the missing daemon pod or delete the ones that must go.</summary>
    private async Task ManageAsync(V1DaemonSet ds, string key, IReadOnlyList<V1Node> nodes, string hash, CancellationToken cancellationToken)
    {
        var nodeToPods = await NodesToDaemonPodsAsync(ds, false, cancellationToken).ConfigureAwait(false);
        var create = new List<string>();
        var delete = new List<string>();
        var now = Now;
        foreach (var node in nodes)
        {
            var pods = nodeToPods.GetValueOrDefault(node.Metadata.Name) ?? [];
            var work = DaemonSetPlan.PodsShouldBeOnNode(ds, node, pods, hash, now);
            if (work.NeedsPod)
            {
                create.Add(node.Metadata.Name);
            }

            delete.AddRange(work.Delete.Select(p => p.Metadata.Name));
            foreach (var pod in work.Failed)
            {
                // Failed pods are replaced, but with a backoff per node so a crashing pod does not hot-loop.
                var backoffKey = $"{ds.Metadata.Uid}/{ds.Status?.ObservedGeneration ?? 0}/{node.Metadata.Name}";
                if (_failedBackoff.TryGetValue(backoffKey, out var entry) && _time.GetUtcNow() - entry.At < entry.Delay)
                {
                    Queue.AddAfter(key, entry.Delay);
                    continue;
                }

                var delay = entry.Delay == TimeSpan.Zero ? FailedBackoffInitial : TimeSpan.FromTicks(Math.Min(entry.Delay.Ticks * 2, FailedBackoffMax.Ticks));
                _failedBackoff[backoffKey] = (delay, _time.GetUtcNow());
                _recorder.Event(ds, EventTypes.Warning, "FailedDaemonPod", $"Found failed daemon pod {pod.Metadata.NamespaceProperty}/{pod.Metadata.Name} on node {node.Metadata.Name}, will try to kill it");
                delete.Add(pod.Metadata.Name);
            }

            foreach (var pod in work.Succeeded)
            {
                _recorder.Event(ds, EventTypes.Normal, "SucceededDaemonPod", $"Found succeeded daemon pod {pod.Metadata.NamespaceProperty}/{pod.Metadata.Name} on node {node.Metadata.Name}, will try to delete it");
                delete.Add(pod.Metadata.Name);
            }
        }

        // Pending pods meant for nodes that are gone: the scheduler can never place them and pod GC only
        // collects bound pods.
        var names = nodes.Select(n => n.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        delete.AddRange(nodeToPods.Where(p => !names.Contains(p.Key)).SelectMany(p => p.Value)
            .Where(p => string.IsNullOrEmpty(p.Spec?.NodeName)).Select(p => p.Metadata.Name));
        await SyncNodesAsync(ds, key, delete, create, hash, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>syncNodes: creates daemon pods for <paramref name="createOn"/> and deletes <paramref name="delete"/>, under expectations.</summary>
    private async Task SyncNodesAsync(V1DaemonSet ds, string key, List<string> delete, List<string> createOn, string hash, CancellationToken cancellationToken)
    {
        var createCount = Math.Min(createOn.Count, BurstReplicas);
        var deletions = delete.Distinct(StringComparer.Ordinal).Take(BurstReplicas).ToList();
        if (createCount == 0 && deletions.Count == 0)
        {
            return;
        }

        var ns = ds.Metadata.NamespaceProperty;
        Expectations.Expect(key, createCount, deletions.Select(name => ns + "/" + name));
        var errors = new List<Exception>();
        if (createCount > 0)
        {
            Klog.Info(4, $"Nodes needing daemon pods for daemon set {key}: {string.Join(",", createOn.Take(createCount))}");
            var template = DaemonSetPlan.PodTemplate(ds, hash);
            var controllerRef = OwnerReferences.NewControllerRef(ds.Metadata, "apps/v1", "DaemonSet");
            var next = -1;
            var (successes, error) = await SlowStart.BatchAsync(createCount, 1, async () =>
            {
                var node = createOn[Interlocked.Increment(ref next)];
                var pod = PodControl.FromTemplate(template, ds.Metadata, controllerRef);
                pod.Spec.Affinity = DaemonSetPlan.ReplaceNodeAffinity(pod.Spec.Affinity, node);
                try
                {
                    await _podControl.CreateAsync(ds, pod, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (ApiErrors.IsNamespaceTerminating(e))
                {
                    Expectations.CreationObserved(key);
                }
            }).ConfigureAwait(false);
            for (var skipped = createCount - successes; skipped > 0; skipped--)
            {
                Expectations.CreationObserved(key);
            }

            if (error is not null)
            {
                errors.Add(error);
            }
        }

        var results = await Task.WhenAll(deletions.Select(async name =>
        {
            var pod = new V1Pod { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns } };
            try
            {
                await _podControl.DeleteAsync(ds, pod, cancellationToken).ConfigureAwait(false);
                return null;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Expectations.DeletionObserved(key, ns + "/" + name);
                return ApiErrors.IsNotFound(e) ? null : e;
            }
        })).ConfigureAwait(false);
        errors.AddRange(results.OfType<Exception>());
        if (errors.Count > 0)
        {
            throw errors[0];
        }
    }

    /// <summary>getNodesToDaemonPods: the pods this daemon set controls (adopting and releasing), by the node each is for.</summary>
    private async Task<Dictionary<string, List<V1Pod>>> NodesToDaemonPodsAsync(V1DaemonSet ds, bool includeDeletedTerminal, CancellationToken cancellationToken)
    {
        var ns = ds.Metadata.NamespaceProperty;
        var manager = new ControllerRefManager<V1Pod>(ds.Metadata, "apps/v1", "DaemonSet",
            labels => LabelSelectors.Matches(ds.Spec.Selector, labels),
            FreshDaemonSetAsync(ds),
            (pod, patch, ct) => _client.CoreV1.PatchNamespacedPodAsync(patch, pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: ct));
        var pods = await manager.ClaimAsync(_pods.Store.ByIndex(Indexers.Namespace, ns), cancellationToken).ConfigureAwait(false);
        var result = new Dictionary<string, List<V1Pod>>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            if (!includeDeletedTerminal && Pods.IsTerminal(pod) && pod.Metadata.DeletionTimestamp is not null)
            {
                continue;
            }

            if (DaemonSetPlan.TargetNodeName(pod) is { } node)
            {
                (result.TryGetValue(node, out var list) ? list : result[node] = []).Add(pod);
            }
        }

        return result;
    }

    private Func<CancellationToken, Task<V1ObjectMeta?>> FreshDaemonSetAsync(V1DaemonSet ds) => async ct =>
        (await Fresh.ReadAsync(() => _client.AppsV1.ReadNamespacedDaemonSetAsync(ds.Metadata.Name, ds.Metadata.NamespaceProperty, cancellationToken: ct)).ConfigureAwait(false))?.Metadata;

    /// <summary>
    /// constructHistory: the daemon set's revisions (adopted by selector), the one restoring the current
    /// template (made if missing, with the next revision number; duplicates merged), and the others.
    /// </summary>
    private async Task<(V1ControllerRevision Current, List<V1ControllerRevision> Old)> ConstructHistoryAsync(V1DaemonSet ds, CancellationToken cancellationToken)
    {
        var ns = ds.Metadata.NamespaceProperty;
        var manager = new ControllerRefManager<V1ControllerRevision>(ds.Metadata, "apps/v1", "DaemonSet",
            labels => LabelSelectors.Matches(ds.Spec.Selector, labels),
            FreshDaemonSetAsync(ds),
            (r, patch, ct) => _client.AppsV1.PatchNamespacedControllerRevisionAsync(patch, r.Metadata.Name, r.Metadata.NamespaceProperty, cancellationToken: ct));
        var histories = await manager.ClaimAsync(_revisions.Store.ByIndex(Indexers.Namespace, ns), cancellationToken).ConfigureAwait(false);
        var currents = new List<V1ControllerRevision>();
        var old = new List<V1ControllerRevision>();
        foreach (var h in histories)
        {
            var history = h;
            if (history.Metadata.Labels?.ContainsKey(ControllerRevisions.ControllerRevisionHashLabel) != true)
            {
                // Older revisions without the hash label get their name as its value (kube: no collision worries).
                var update = ObjectCopy.Clone(history);
                update.Metadata.Labels = new Dictionary<string, string>(update.Metadata.Labels ?? new Dictionary<string, string>())
                {
                    [ControllerRevisions.ControllerRevisionHashLabel] = update.Metadata.Name,
                };
                history = await _client.AppsV1.ReplaceNamespacedControllerRevisionAsync(update, update.Metadata.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            (ControllerRevisions.Restores(history, ds.Spec.Template) ? currents : old).Add(history);
        }

        var nextRevision = ControllerRevisions.MaxRevision(old) + 1;
        if (currents.Count == 0)
        {
            return (await SnapshotAsync(ds, nextRevision, cancellationToken).ConfigureAwait(false), old);
        }

        var current = await DedupAsync(ds, currents, cancellationToken).ConfigureAwait(false);
        if ((current.Revision ?? 0) < nextRevision)
        {
            var update = ObjectCopy.Clone(current);
            update.Revision = nextRevision;
            current = await _client.AppsV1.ReplaceNamespacedControllerRevisionAsync(update, update.Metadata.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        return (current, old);
    }

    /// <summary>Several revisions restore the current template: keep the highest, relabel pods to it, delete the rest.</summary>
    private async Task<V1ControllerRevision> DedupAsync(V1DaemonSet ds, List<V1ControllerRevision> currents, CancellationToken cancellationToken)
    {
        if (currents.Count == 1)
        {
            return currents[0];
        }

        var keep = currents.OrderBy(r => r.Revision).Last();
        var keepHash = keep.Metadata.Labels.ValueOf(ControllerRevisions.ControllerRevisionHashLabel) ?? "";
        var ns = ds.Metadata.NamespaceProperty;
        foreach (var pod in (await NodesToDaemonPodsAsync(ds, true, cancellationToken).ConfigureAwait(false)).Values.SelectMany(p => p))
        {
            if (pod.Metadata.Labels.ValueOf(ControllerRevisions.ControllerRevisionHashLabel) != keepHash)
            {
                var patch = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { [ControllerRevisions.ControllerRevisionHashLabel] = keepHash } } };
                await _client.CoreV1.PatchNamespacedPodAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), pod.Metadata.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (var duplicate in currents.Where(r => r.Metadata.Name != keep.Metadata.Name))
        {
            await DeleteRevisionAsync(duplicate, cancellationToken).ConfigureAwait(false);
        }

        return keep;
    }

    /// <summary>snapshot: the revision of the current template, named &lt;ds&gt;-&lt;hash&gt;; a name taken by another template bumps collisionCount.</summary>
    private async Task<V1ControllerRevision> SnapshotAsync(V1DaemonSet ds, long revision, CancellationToken cancellationToken)
    {
        var ns = ds.Metadata.NamespaceProperty;
        var hash = DeploymentUtil.ComputeHash(ds.Spec.Template, ds.Status?.CollisionCount);
        var name = ds.Metadata.Name + "-" + hash;
        var history = new V1ControllerRevision
        {
            ApiVersion = "apps/v1",
            Kind = "ControllerRevision",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = ns,
                Labels = new Dictionary<string, string>(ds.Spec.Template.Metadata?.Labels ?? new Dictionary<string, string>())
                {
                    [ControllerRevisions.ControllerRevisionHashLabel] = hash,
                },
                Annotations = ds.Metadata.Annotations is { } annotations ? new Dictionary<string, string>(annotations) : null,
                OwnerReferences = [OwnerReferences.NewControllerRef(ds.Metadata, "apps/v1", "DaemonSet")],
            },
            Data = ControllerRevisions.TemplatePatch(ds.Spec.Template),
            Revision = revision,
        };
        try
        {
            return await _client.AppsV1.CreateNamespacedControllerRevisionAsync(history, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsAlreadyExists(e))
        {
            var existing = await _client.AppsV1.ReadNamespacedControllerRevisionAsync(name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (ControllerRevisions.Restores(existing, ds.Spec.Template))
            {
                return existing;
            }

            var fresh = await _client.AppsV1.ReadNamespacedDaemonSetAsync(ds.Metadata.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (fresh.Status?.CollisionCount != ds.Status?.CollisionCount)
            {
                throw new InvalidOperationException($"found a stale collision count ({ds.Status?.CollisionCount}, expected {fresh.Status?.CollisionCount}) of DaemonSet {ds.Metadata.Name}; will retry");
            }

            fresh.Status ??= new V1DaemonSetStatus();
            fresh.Status.CollisionCount = (fresh.Status.CollisionCount ?? 0) + 1;
            await _client.AppsV1.ReplaceNamespacedDaemonSetStatusAsync(fresh, fresh.Metadata.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            Klog.Info(2, $"Found a hash collision for DaemonSet {ns}/{ds.Metadata.Name} - bumping collisionCount to {fresh.Status.CollisionCount}");
            throw;
        }
    }

    /// <summary>cleanupHistory: beyond revisionHistoryLimit, delete the oldest revisions no live pod uses.</summary>
    private async Task CleanupHistoryAsync(V1DaemonSet ds, List<V1ControllerRevision> old, CancellationToken cancellationToken)
    {
        var toKill = old.Count - (ds.Spec.RevisionHistoryLimit ?? 10);
        if (toKill <= 0)
        {
            return;
        }

        var liveHashes = (await NodesToDaemonPodsAsync(ds, true, cancellationToken).ConfigureAwait(false)).Values.SelectMany(p => p)
            .Select(p => p.Metadata.Labels.ValueOf(ControllerRevisions.ControllerRevisionHashLabel))
            .OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var history in ControllerRevisions.Sorted(old))
        {
            if (toKill <= 0)
            {
                break;
            }

            if (liveHashes.Contains(history.Metadata.Labels.ValueOf(ControllerRevisions.ControllerRevisionHashLabel) ?? ""))
            {
                continue;
            }

            await DeleteRevisionAsync(history, cancellationToken).ConfigureAwait(false);
            toKill--;
        }
    }

    private async Task DeleteRevisionAsync(V1ControllerRevision revision, CancellationToken cancellationToken)
    {
        try
        {
            await _client.AppsV1.DeleteNamespacedControllerRevisionAsync(revision.Metadata.Name, revision.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
        }
    }

    private async Task UpdateStatusAsync(V1DaemonSet ds, IReadOnlyList<V1Node> nodes, string hash, bool updateObservedGeneration, CancellationToken cancellationToken)
    {
        var nodeToPods = await NodesToDaemonPodsAsync(ds, false, cancellationToken).ConfigureAwait(false);
        var status = DaemonSetPlan.Status(ds, nodes, nodeToPods, hash, Now);
        var current = ds.Status ?? new V1DaemonSetStatus();
        if (ds.Spec.MinReadySeconds is > 0 && status.NumberReady != status.NumberAvailable)
        {
            // Look again when the ready pods have been ready long enough.
            Queue.AddAfter(ObjectKeys.KeyOf(ds), TimeSpan.FromSeconds(ds.Spec.MinReadySeconds.Value));
        }

        if (current.DesiredNumberScheduled == status.DesiredNumberScheduled && current.CurrentNumberScheduled == status.CurrentNumberScheduled
            && current.NumberMisscheduled == status.NumberMisscheduled && current.NumberReady == status.NumberReady
            && (current.UpdatedNumberScheduled ?? 0) == status.UpdatedNumberScheduled && (current.NumberAvailable ?? 0) == status.NumberAvailable
            && (current.NumberUnavailable ?? 0) == status.NumberUnavailable && (current.ObservedGeneration ?? 0) >= (ds.Metadata.Generation ?? 0))
        {
            return;
        }

        var update = ObjectCopy.Clone(ds);
        for (var attempt = 0; ; attempt++)
        {
            if (updateObservedGeneration)
            {
                status.ObservedGeneration = ds.Metadata.Generation;
            }

            status.CollisionCount = update.Status?.CollisionCount;
            status.Conditions = update.Status?.Conditions;
            update.Status = status;
            try
            {
                await _client.AppsV1.ReplaceNamespacedDaemonSetStatusAsync(update, update.Metadata.Name, update.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (ApiErrors.IsConflict(e) && attempt < 1)
            {
                update = await _client.AppsV1.ReadNamespacedDaemonSetAsync(ds.Metadata.Name, ds.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private void EnqueueAll()
    {
        foreach (var ds in _daemonSets.Store.List())
        {
            Enqueue(ObjectKeys.KeyOf(ds));
        }
    }

    private void AddNode(V1Node node)
    {
        foreach (var ds in _daemonSets.Store.List().Where(ds => DaemonSetPlan.NodeShouldRun(ds, node).ShouldRun))
        {
            Enqueue(ObjectKeys.KeyOf(ds));
        }
    }

    private void UpdateNode(V1Node old, V1Node cur)
    {
        foreach (var ds in _daemonSets.Store.List())
        {
            if (DaemonSetPlan.NodeShouldRun(ds, old) != DaemonSetPlan.NodeShouldRun(ds, cur))
            {
                Enqueue(ObjectKeys.KeyOf(ds));
            }
        }
    }

    private V1DaemonSet? Resolve(string ns, V1OwnerReference? controllerRef)
    {
        if (controllerRef is null || controllerRef.Kind != "DaemonSet" || controllerRef.ApiVersion.Split('/')[0] != "apps")
        {
            return null;
        }

        var ds = _daemonSets.Store.Get(ns, controllerRef.Name);
        return ds?.Metadata.Uid == controllerRef.Uid ? ds : null;
    }

    private void EnqueueOwner(V1ObjectMeta meta)
    {
        if (Resolve(meta.NamespaceProperty, OwnerReferences.ControllerOf(meta)) is { } ds)
        {
            Enqueue(ObjectKeys.KeyOf(ds));
        }
        else if (OwnerReferences.ControllerOf(meta) is null)
        {
            EnqueueMatching(meta);
        }
    }

    /// <summary>An orphan: every daemon set whose selector matches may adopt it.</summary>
    private void EnqueueMatching(V1ObjectMeta meta)
    {
        if (meta.Labels is null || meta.Labels.Count == 0)
        {
            return;
        }

        foreach (var ds in _daemonSets.Store.ByIndex(Indexers.Namespace, meta.NamespaceProperty).Where(ds => LabelSelectors.Matches(ds.Spec.Selector, meta.Labels)))
        {
            Enqueue(ObjectKeys.KeyOf(ds));
        }
    }

    private void AddPod(V1Pod pod)
    {
        if (pod.Metadata.DeletionTimestamp is not null)
        {
            DeletePod(pod);
            return;
        }

        if (Resolve(pod.Metadata.NamespaceProperty, OwnerReferences.ControllerOf(pod.Metadata)) is { } ds)
        {
            var key = ObjectKeys.KeyOf(ds);
            Expectations.CreationObserved(key);
            Enqueue(key);
        }
        else if (OwnerReferences.ControllerOf(pod.Metadata) is null)
        {
            EnqueueMatching(pod.Metadata);
        }
    }

    private void UpdatePod(V1Pod old, V1Pod cur)
    {
        if (old.Metadata.ResourceVersion == cur.Metadata.ResourceVersion)
        {
            return;
        }

        if (cur.Metadata.DeletionTimestamp is not null)
        {
            DeletePod(cur);
            return;
        }

        var oldRef = OwnerReferences.ControllerOf(old.Metadata);
        var curRef = OwnerReferences.ControllerOf(cur.Metadata);
        if (oldRef?.Uid != curRef?.Uid && Resolve(old.Metadata.NamespaceProperty, oldRef) is { } previous)
        {
            Enqueue(ObjectKeys.KeyOf(previous));
        }

        if (Resolve(cur.Metadata.NamespaceProperty, curRef) is { } ds)
        {
            Enqueue(ObjectKeys.KeyOf(ds));
            if (!Pods.IsReady(old) && Pods.IsReady(cur) && ds.Spec.MinReadySeconds is int minReady && minReady > 0)
            {
                Queue.AddAfter(ObjectKeys.KeyOf(ds), TimeSpan.FromSeconds(minReady + 1));
            }
        }
        else if (curRef is null)
        {
            EnqueueMatching(cur.Metadata);
        }
    }

    private void DeletePod(V1Pod pod)
    {
        if (Resolve(pod.Metadata.NamespaceProperty, OwnerReferences.ControllerOf(pod.Metadata)) is { } ds)
        {
            var key = ObjectKeys.KeyOf(ds);
            Expectations.DeletionObserved(key, Pods.Key(pod));
            Enqueue(key);
        }
    }
}
