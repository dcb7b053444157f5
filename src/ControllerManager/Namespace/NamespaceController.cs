using System.Text.Json.Nodes;
using ClientTools.Cache;
using ClientTools.Logging;
using ControllerManager.Common;
using ControllerManager.Infrastructure;
using k8s;
using k8s.Models;

namespace ControllerManager.Namespace;

/// <summary>
/// kube's namespace controller (pkg/controller/namespace): a namespace being deleted is emptied — every
/// namespaced resource discovery lists is deleted (a collection delete where served, else one by one,
/// in the background as kube's deleter asks) — and once nothing is left its <c>kubernetes</c> finalizer
/// is removed through /finalize, which lets the server remove the namespace. While content remains
/// (finalizers, graceful pods) the namespace says so in its NamespaceContentRemaining and
/// NamespaceFinalizersRemaining conditions and is looked at again. Off by default here: the API server
/// builds the same controller in; run this one (--controllers=*,namespace) with the server's turned off.
/// </summary>
internal sealed class NamespaceController : QueueController
{
    public const string KubernetesFinalizer = "kubernetes";

    /// <summary>kube's --namespace-sync-period default.</summary>
    public static readonly TimeSpan ResyncPeriod = TimeSpan.FromMinutes(5);

    private readonly SharedIndexInformer<V1Namespace> _namespaces;
    private readonly IKubernetes _client;
    private readonly DynamicClient _dynamic;
    private readonly TimeProvider _time;

    public NamespaceController(ControllerContext context)
        : base(ControllerNames.Namespace, context.Settings.ConcurrentNamespaceSyncs, context.Time)
    {
        _time = context.Time;
        _client = context.ClientFor(ControllerNames.Namespace);
        _dynamic = new DynamicClient(_client);
        _namespaces = context.Informers.Namespaces();
        _namespaces.AddEventHandler(new ResourceEventHandler<V1Namespace>
        {
            OnAdd = (ns, _) => EnqueueIfDeleting(ns),
            OnUpdate = (_, ns) => EnqueueIfDeleting(ns),
        });
    }

    private void EnqueueIfDeleting(V1Namespace ns)
    {
        if (ns.Metadata.DeletionTimestamp is not null)
        {
            // kube delays a namespace's first look a little so a burst of its events is one sync.
            Queue.AddAfter(ns.Metadata.Name, TimeSpan.FromMilliseconds(100));
        }
    }

    protected override async Task RunExtraAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(ResyncPeriod, _time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var ns in _namespaces.Store.List())
            {
                EnqueueIfDeleting(ns);
            }
        }
    }

    public override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        if (_namespaces.Store.Get(key) is not { Metadata.DeletionTimestamp: not null })
        {
            return;
        }

        // The cache may be behind: decide on the namespace as the server has it now.
        var ns = await Fresh.ReadAsync(() => _client.CoreV1.ReadNamespaceAsync(key, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (ns is null || ns.Metadata.DeletionTimestamp is null || ns.Spec?.Finalizers?.Contains(KubernetesFinalizer) != true)
        {
            return;
        }

        var (remaining, withFinalizers) = await DeleteContentAsync(key, cancellationToken).ConfigureAwait(false);
        if (remaining.Count > 0)
        {
            await SetRemainingConditionsAsync(ns, remaining, withFinalizers, cancellationToken).ConfigureAwait(false);
            Klog.Info(4, $"namespace {key}: content remains ({string.Join(", ", remaining.Select(r => $"{r.Key}: {r.Value}"))}); looking again");
            Queue.AddAfter(key, TimeSpan.FromSeconds(withFinalizers.Count > 0 ? 5 : 1));
            return;
        }

        ns.Spec!.Finalizers = [.. ns.Spec.Finalizers.Where(f => f != KubernetesFinalizer)];
        try
        {
            await _client.CoreV1.ReplaceNamespaceFinalizeAsync(ns, key, cancellationToken: cancellationToken).ConfigureAwait(false);
            Klog.Info(2, $"namespace {key} emptied and finalized");
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
        }
    }

    /// <summary>
    /// deleteAllContent: deletes what every namespaced resource holds in the namespace and reports what
    /// is still there by resource (and the finalizers holding objects), as kube's namespaced resources deleter.
    /// </summary>
    private async Task<(Dictionary<string, int> Remaining, Dictionary<string, int> WithFinalizers)> DeleteContentAsync(string ns, CancellationToken cancellationToken)
    {
        var deletable = await _dynamic.DiscoverAsync(["list", "delete"], cancellationToken).ConfigureAwait(false);
        var collections = (await _dynamic.DiscoverAsync(["deletecollection"], cancellationToken).ConfigureAwait(false))
            .Select(r => (r.Group, r.Resource)).ToHashSet();
        var remaining = new Dictionary<string, int>(StringComparer.Ordinal);
        var withFinalizers = new Dictionary<string, int>(StringComparer.Ordinal);
        var failures = new List<string>();
        foreach (var resource in deletable.Where(r => r.Namespaced))
        {
            var name = resource.Group.Length == 0 ? resource.Resource : $"{resource.Resource}.{resource.Group}";
            try
            {
                if (collections.Contains((resource.Group, resource.Resource)))
                {
                    using var response = await _dynamic.SendAsync(HttpMethod.Delete, resource.Path(ns) + "?propagationPolicy=Background", null, null, cancellationToken).ConfigureAwait(false);
                    if (response.StatusCode != System.Net.HttpStatusCode.NotFound)
                    {
                        await DynamicClient.EnsureSuccessAsync(response).ConfigureAwait(false);
                    }
                }

                var list = await _dynamic.GetJsonAsync(resource.Path(ns), cancellationToken).ConfigureAwait(false);
                foreach (var item in list?["items"]?.AsArray().OfType<JsonObject>() ?? [])
                {
                    var meta = item["metadata"] as JsonObject;
                    if (meta?["deletionTimestamp"] is null)
                    {
                        await DeleteOneAsync(resource, ns, meta?["name"]?.GetValue<string>() ?? "", cancellationToken).ConfigureAwait(false);
                    }

                    remaining[name] = remaining.GetValueOrDefault(name) + 1;
                    foreach (var finalizer in meta?["finalizers"]?.AsArray().Select(f => f?.GetValue<string>() ?? "") ?? [])
                    {
                        withFinalizers[finalizer] = withFinalizers.GetValueOrDefault(finalizer) + 1;
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failures.Add($"{name}: {ApiErrors.Message(e)}");
            }
        }

        if (failures.Count > 0)
        {
            // kube's NamespaceDeletionContentFailure: the key is retried after the queue's backoff.
            throw new InvalidOperationException($"failed to delete all resource types, {failures.Count} remaining: {string.Join(", ", failures)}");
        }

        return (remaining, withFinalizers);
    }

    private async Task DeleteOneAsync(ApiResource resource, string ns, string name, CancellationToken cancellationToken)
    {
        using var response = await _dynamic.SendAsync(HttpMethod.Delete, resource.Path(ns, name), """{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background"}""", "application/json", cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != System.Net.HttpStatusCode.NotFound)
        {
            await DynamicClient.EnsureSuccessAsync(response).ConfigureAwait(false);
        }
    }

    /// <summary>kube's NamespaceContentRemaining and NamespaceFinalizersRemaining conditions, with its messages.</summary>
    private async Task SetRemainingConditionsAsync(V1Namespace ns, Dictionary<string, int> remaining, Dictionary<string, int> withFinalizers, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var conditions = (ns.Status?.Conditions ?? []).ToList();
        var changed = false;
        void Set(string type, bool present, string reason, string message)
        {
            var status = present ? "True" : "False";
            var existing = conditions.FirstOrDefault(c => c.Type == type);
            if (existing is not null && existing.Status == status && existing.Reason == reason && existing.Message == message)
            {
                return;
            }

            conditions.RemoveAll(c => c.Type == type);
            conditions.Add(new V1NamespaceCondition { Type = type, Status = status, Reason = reason, Message = message, LastTransitionTime = now });
            changed = true;
        }

        Set("NamespaceContentRemaining", true, "SomeResourcesRemain",
            "Some resources are remaining: " + string.Join(", ", remaining.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key} has {r.Value} resource instances")));
        Set("NamespaceFinalizersRemaining", withFinalizers.Count > 0, withFinalizers.Count > 0 ? "SomeFinalizersRemain" : "ContentHasNoFinalizers",
            withFinalizers.Count > 0
                ? "Some content in the namespace has finalizers remaining: " + string.Join(", ", withFinalizers.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key} in {f.Value} resource instances"))
                : "All content-preserving finalizers finished");
        if (!changed)
        {
            return;
        }

        ns.Status ??= new V1NamespaceStatus();
        ns.Status.Conditions = conditions;
        try
        {
            await _client.CoreV1.ReplaceNamespaceStatusAsync(ns, ns.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsConflict(e) || ApiErrors.IsNotFound(e))
        {
            // The next look writes them again.
        }
    }
}
