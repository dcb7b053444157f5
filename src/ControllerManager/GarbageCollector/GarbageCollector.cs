using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using ClientTools.Cache;
using ClientTools.Logging;
using ControllerManager.Common;
using ControllerManager.Infrastructure;
using k8s;
using k8s.Models;

namespace ControllerManager.GarbageCollector;

/// <summary>
/// kube's garbage collector (pkg/controller/garbagecollector): watches every served resource that can
/// be listed, watched and deleted (custom resources too, found by discovery and looked for again
/// every 30 s) and keeps an ownerReferences graph. An object whose owners are all gone is deleted
/// (background, or foreground/orphan when it carries those finalizers); references to owners that
/// are gone are removed while another owner remains. An owner deleted with propagationPolicy=Orphan
/// (the server left the orphan finalizer) has its dependents' references removed, then the finalizer;
/// one deleted with Foreground (foregroundDeletion finalizer) waits for the dependents that block it
/// (blockOwnerDeletion) to be gone — they are deleted in the foreground too — then loses the finalizer.
/// </summary>
internal sealed class GarbageCollector : IController
{
    public const string OrphanFinalizer = "orphan";
    public const string ForegroundFinalizer = "foregroundDeletion";

    /// <summary>Resources the collector never watches (kube's ignoredResources): events change often and own nothing.</summary>
    private static readonly HashSet<(string, string)> Ignored = [("", "events"), ("events.k8s.io", "events")];

    private readonly SharedInformerFactory _factory;
    private readonly DynamicClient _client;
    private readonly DynamicClient _discoveryClient;
    private readonly int _workers;
    private readonly ConcurrentDictionary<string, (ApiResource Resource, SharedIndexInformer<PartialObject> Informer)> _watched = new(StringComparer.Ordinal);
    private readonly Lock _graphLock = new();
    private readonly Dictionary<string, PartialObject> _byUid = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _dependents = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ApiResource> _byKind = new(StringComparer.Ordinal);

    public GarbageCollector(ControllerContext context)
    {
        _factory = context.Informers;
        _client = new DynamicClient(context.ClientFor(ControllerNames.GarbageCollector));
        _discoveryClient = new DynamicClient(context.Informers.Client);
        _workers = context.Settings.ConcurrentGcSyncs;
        AttemptToDelete = new ClientTools.WorkQueue.RateLimitingQueue<string>("garbage_collector_attempt_to_delete", time: context.Time);
        AttemptToOrphan = new ClientTools.WorkQueue.RateLimitingQueue<string>("garbage_collector_attempt_to_orphan", time: context.Time);
    }

    public string Name => ControllerNames.GarbageCollector;

    /// <summary>Uids of objects to look at: delete when ownerless, finish foreground deletion.</summary>
    public ClientTools.WorkQueue.RateLimitingQueue<string> AttemptToDelete { get; }

    /// <summary>Uids of owners being deleted with the orphan finalizer.</summary>
    public ClientTools.WorkQueue.RateLimitingQueue<string> AttemptToOrphan { get; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Klog.Info("Starting garbage collector controller");
        await SyncMonitorsAsync(cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(
            AttemptToDelete.RunWorkersAsync(_workers, AttemptToDeleteAsync, cancellationToken),
            AttemptToOrphan.RunWorkersAsync(Math.Max(1, _workers / 4), AttemptToOrphanAsync, cancellationToken),
            ResyncMonitorsAsync(cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Starts an informer for every deletable resource discovery shows that is not watched yet.</summary>
    private async Task SyncMonitorsAsync(CancellationToken cancellationToken)
    {
        var resources = await _discoveryClient.DiscoverAsync(["list", "watch", "delete"], cancellationToken).ConfigureAwait(false);
        var started = new List<SharedIndexInformer<PartialObject>>();
        foreach (var resource in resources)
        {
            _byKind[resource.ApiVersion + "/" + resource.Kind] = resource;
            var id = $"{resource.Group}/{resource.Resource}";
            if (Ignored.Contains((resource.Group, resource.Resource)) || _watched.ContainsKey(id))
            {
                continue;
            }

            var informer = _factory.For($"gc|{resource.ApiVersion}|{resource.Resource}", $"{resource.ApiVersion}, Resource={resource.Resource}", () => _discoveryClient.ListerWatcher(resource));
            informer.AddEventHandler(new ResourceEventHandler<PartialObject> { OnAdd = (o, _) => Observe(o), OnUpdate = (old, o) => Observe(o, old), OnDelete = Forget });
            _watched[id] = (resource, informer);
            started.Add(informer);
        }

        if (started.Count > 0)
        {
            _factory.Start(cancellationToken);
            await Task.WhenAll(started.Select(i => i.WaitForSyncAsync(cancellationToken))).ConfigureAwait(false);
            Klog.Info(2, $"garbage collector: watching {started.Count} more resource(s), {_watched.Count} in all");
        }
    }

    private async Task ResyncMonitorsAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
                await SyncMonitorsAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                Klog.Warning($"garbage collector: discovery failed: {ApiErrors.Message(e)}");
            }
        }
    }

    private void Observe(PartialObject obj, PartialObject? old = null)
    {
        var uid = obj.Metadata.Uid;
        lock (_graphLock)
        {
            if (old is not null)
            {
                foreach (var owner in old.Metadata.OwnerReferences ?? [])
                {
                    if (_dependents.TryGetValue(owner.Uid, out var set))
                    {
                        set.Remove(uid);
                    }
                }
            }

            _byUid[uid] = obj;
            foreach (var owner in obj.Metadata.OwnerReferences ?? [])
            {
                if (!_dependents.TryGetValue(owner.Uid, out var set))
                {
                    _dependents[owner.Uid] = set = new HashSet<string>(StringComparer.Ordinal);
                }

                set.Add(uid);
            }
        }

        if (obj.Metadata.OwnerReferences is { Count: > 0 })
        {
            AttemptToDelete.Add(uid);
        }

        if (obj.Metadata.DeletionTimestamp is not null)
        {
            if (HasFinalizer(obj, OrphanFinalizer))
            {
                AttemptToOrphan.Add(uid);
            }

            if (HasFinalizer(obj, ForegroundFinalizer))
            {
                AttemptToDelete.Add(uid);
                foreach (var dependent in DependentsOf(uid))
                {
                    AttemptToDelete.Add(dependent.Metadata.Uid);
                }
            }
        }
    }

    private void Forget(PartialObject obj)
    {
        var uid = obj.Metadata.Uid;
        List<string> dependents;
        lock (_graphLock)
        {
            _byUid.Remove(uid);
            foreach (var owner in obj.Metadata.OwnerReferences ?? [])
            {
                if (_dependents.TryGetValue(owner.Uid, out var set))
                {
                    set.Remove(uid);
                }
            }

            dependents = _dependents.TryGetValue(uid, out var mine) ? [.. mine] : [];
        }

        // Its dependents may now be ownerless; its owners waiting in the foreground may now be free.
        foreach (var dependent in dependents)
        {
            AttemptToDelete.Add(dependent);
        }

        foreach (var owner in obj.Metadata.OwnerReferences ?? [])
        {
            AttemptToDelete.Add(owner.Uid);
        }
    }

    private List<PartialObject> DependentsOf(string uid)
    {
        lock (_graphLock)
        {
            return _dependents.TryGetValue(uid, out var set) ? [.. set.Select(d => _byUid.GetValueOrDefault(d)).OfType<PartialObject>()] : [];
        }
    }

    private PartialObject? Known(string uid)
    {
        lock (_graphLock)
        {
            return _byUid.GetValueOrDefault(uid);
        }
    }

    private static bool HasFinalizer(PartialObject obj, string finalizer) => obj.Metadata.Finalizers?.Contains(finalizer) == true;

    private ApiResource? ResourceOf(string apiVersion, string kind) => _byKind.GetValueOrDefault(apiVersion + "/" + kind);

    private string PathOf(PartialObject obj) =>
        (ResourceOf(obj.ApiVersion, obj.Kind) ?? throw new InvalidOperationException($"no resource for {obj.ApiVersion} {obj.Kind}")).Path(obj.Metadata.NamespaceProperty, obj.Metadata.Name);

    /// <summary>kube's attemptToDeleteItem.</summary>
    private async Task AttemptToDeleteAsync(string uid, CancellationToken cancellationToken)
    {
        var item = Known(uid);
        if (item is null)
        {
            return;
        }

        // Read it fresh: the cache may be behind a change that makes it an owner or frees it.
        var latest = await _client.GetMetadataAsync(PathOf(item), cancellationToken).ConfigureAwait(false);
        if (latest is null || latest["metadata"]?["uid"]?.GetValue<string>() != uid)
        {
            return;
        }

        var meta = KubernetesJson.Deserialize<V1ObjectMeta>(latest["metadata"]!.ToJsonString());
        item = new PartialObject { ApiVersion = item.ApiVersion, Kind = item.Kind, Metadata = meta };
        if (meta.DeletionTimestamp is not null && !HasFinalizer(item, ForegroundFinalizer))
        {
            return;
        }

        if (meta.DeletionTimestamp is not null && HasFinalizer(item, ForegroundFinalizer))
        {
            await ProcessDeletingDependentsAsync(item, cancellationToken).ConfigureAwait(false);
            return;
        }

        var owners = meta.OwnerReferences ?? [];
        if (owners.Count == 0)
        {
            return;
        }

        var solid = new List<V1OwnerReference>();
        var dangling = new List<V1OwnerReference>();
        var waiting = new List<V1OwnerReference>();
        foreach (var reference in owners)
        {
            var owner = await OwnerAsync(item, reference, cancellationToken).ConfigureAwait(false);
            if (owner is null)
            {
                dangling.Add(reference);
            }
            else if (owner.DeletionTimestamp is not null && owner.Finalizers?.Contains(ForegroundFinalizer) == true)
            {
                waiting.Add(reference);
            }
            else
            {
                solid.Add(reference);
            }
        }

        if (solid.Count > 0)
        {
            if (dangling.Count + waiting.Count > 0)
            {
                // Other owners remain: only the references to the gone (or foreground-deleting) owners go.
                Klog.Info(2, $"garbage collector: removing dangling owner references from {item.Kind} {ObjectKeys.KeyOf(item)}");
                await PatchOwnerReferencesAsync(item, solid, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var policy = waiting.Count > 0 && DependentsOf(uid).Count > 0 ? "Foreground"
            : HasFinalizer(item, OrphanFinalizer) ? "Orphan"
            : HasFinalizer(item, ForegroundFinalizer) || waiting.Any(r => r.BlockOwnerDeletion == true) ? "Foreground"
            : "Background";
        Klog.Info(2, $"garbage collector: deleting {item.Kind} {ObjectKeys.KeyOf(item)} (its owners are gone), propagationPolicy={policy}");
        try
        {
            await _client.DeleteAsync(PathOf(item), uid, policy, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e) || ApiErrors.IsConflict(e))
        {
        }
    }

    /// <summary>An owner in foreground deletion loses its finalizer once no dependent blocks it (processDeletingDependentsItem).</summary>
    private async Task ProcessDeletingDependentsAsync(PartialObject item, CancellationToken cancellationToken)
    {
        var blocking = DependentsOf(item.Metadata.Uid)
            .Where(d => d.Metadata.OwnerReferences?.Any(r => r.Uid == item.Metadata.Uid && r.BlockOwnerDeletion == true) == true)
            .ToList();
        if (blocking.Count == 0)
        {
            Klog.Info(2, $"garbage collector: {item.Kind} {ObjectKeys.KeyOf(item)} has no more blocking dependents; removing the foregroundDeletion finalizer");
            await RemoveFinalizerAsync(item, ForegroundFinalizer, cancellationToken).ConfigureAwait(false);
            return;
        }

        foreach (var dependent in blocking.Where(d => d.Metadata.DeletionTimestamp is null))
        {
            AttemptToDelete.Add(dependent.Metadata.Uid);
        }

        // Looked at again when a dependent goes (Forget), and after a while in case that was missed.
        AttemptToDelete.AddAfter(item.Metadata.Uid, TimeSpan.FromSeconds(5));
    }

    /// <summary>kube's attemptToOrphan: the dependents lose their references to the owner, then the owner its orphan finalizer.</summary>
    private async Task AttemptToOrphanAsync(string uid, CancellationToken cancellationToken)
    {
        var owner = Known(uid);
        if (owner is null || owner.Metadata.DeletionTimestamp is null || !HasFinalizer(owner, OrphanFinalizer))
        {
            return;
        }

        foreach (var dependent in DependentsOf(uid))
        {
            var remaining = (dependent.Metadata.OwnerReferences ?? []).Where(r => r.Uid != uid).ToList();
            try
            {
                await PatchOwnerReferencesAsync(dependent, remaining, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (ApiErrors.IsNotFound(e))
            {
            }
        }

        await RemoveFinalizerAsync(owner, OrphanFinalizer, cancellationToken).ConfigureAwait(false);
    }

    private async Task<V1ObjectMeta?> OwnerAsync(PartialObject dependent, V1OwnerReference reference, CancellationToken cancellationToken)
    {
        var resource = ResourceOf(reference.ApiVersion, reference.Kind);
        if (resource is null)
        {
            // An owner kind no longer served (e.g. its CRD was deleted): kube treats it as absent only
            // once discovery is sure; keep the dependent and look again later.
            AttemptToDelete.AddAfter(dependent.Metadata.Uid, TimeSpan.FromSeconds(30));
            return new V1ObjectMeta { Uid = reference.Uid };
        }

        if (Known(reference.Uid) is { } cached && cached.Metadata.DeletionTimestamp is null)
        {
            return cached.Metadata;
        }

        var ns = resource.Namespaced ? dependent.Metadata.NamespaceProperty : null;
        var owner = await _client.GetMetadataAsync(resource.Path(ns, reference.Name), cancellationToken).ConfigureAwait(false);
        if (owner?["metadata"] is not { } meta || meta["uid"]?.GetValue<string>() != reference.Uid)
        {
            return null;
        }

        return KubernetesJson.Deserialize<V1ObjectMeta>(meta.ToJsonString());
    }

    private Task PatchOwnerReferencesAsync(PartialObject obj, List<V1OwnerReference> references, CancellationToken cancellationToken)
    {
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["uid"] = obj.Metadata.Uid,
                ["resourceVersion"] = obj.Metadata.ResourceVersion,
                ["ownerReferences"] = references.Count == 0 ? null : JsonNode.Parse(KubernetesJson.Serialize(references)),
            },
        };
        return _client.MergePatchAsync(PathOf(obj), patch, cancellationToken);
    }

    private async Task RemoveFinalizerAsync(PartialObject obj, string finalizer, CancellationToken cancellationToken)
    {
        var latest = await _client.GetMetadataAsync(PathOf(obj), cancellationToken).ConfigureAwait(false);
        if (latest?["metadata"] is not JsonObject meta || meta["uid"]?.GetValue<string>() != obj.Metadata.Uid)
        {
            return;
        }

        var finalizers = meta["finalizers"]?.AsArray().Select(f => f!.GetValue<string>()).Where(f => f != finalizer).ToList() ?? [];
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["resourceVersion"] = meta["resourceVersion"]?.GetValue<string>(),
                ["finalizers"] = finalizers.Count == 0 ? null : new JsonArray([.. finalizers.Select(f => (JsonNode)JsonValue.Create(f)!)]),
            },
        };
        try
        {
            await _client.MergePatchAsync(PathOf(obj), patch, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
        }
    }
}
