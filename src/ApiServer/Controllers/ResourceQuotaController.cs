using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Admission.Quota;
using ApiMachinery.Errors;
using ApiMachinery.Meta;
using ApiServer.Health;
using ApiServer.Registry;
using Microsoft.Extensions.Hosting;

namespace ApiServer.Controllers;

/// <summary>
/// kube-controller-manager's resourcequota controller, inside the server: keeps each quota's
/// status.hard equal to spec.hard and status.used equal to what the namespace's objects use. A
/// quota is recalculated when it is created or its spec changes, when a counted object is deleted
/// or a pod finishes (replenishment), and every <see cref="ResyncPeriod"/>. Admission charges
/// quota between recalculations; both write status conditional on the resourceVersion read.
/// </summary>
internal sealed class ResourceQuotaController(RegistryCatalog registry, BackgroundLoops loops) : BackgroundService
{
    /// <summary>The controller's loop (its health check): recalculations and resyncs.</summary>
    private const string Loop = "controller/resourcequota";

    /// <summary>kube-controller-manager's --resource-quota-sync-period default.</summary>
    public static readonly TimeSpan ResyncPeriod = TimeSpan.FromMinutes(5);

    /// <summary>Resources whose deletion frees quota at once (kube's replenishment informers).</summary>
    private static readonly string[] Replenished = ["pods", "services", "persistentvolumeclaims", "configmaps", "secrets", "replicationcontrollers"];

    private readonly ConcurrentDictionary<string, byte> _dirty = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var quotas = registry.Find("", "v1", "resourcequotas");
        if (quotas is null)
        {
            return Task.CompletedTask;
        }

        var tasks = new List<Task>
        {
            WatchLoop.RunAsync(loops, Loop + "/resourcequotas", quotas, null, change =>
            {
                if (change.Kind is WatchEventKind.Added or WatchEventKind.Modified
                    && !JsonNode.DeepEquals(change.Object["spec"]?["hard"], change.Object["status"]?["hard"]))
                {
                    MarkDirty(ObjectMeta.Namespace(change.Object));
                }

                return Task.CompletedTask;
            }, stoppingToken),
            WorkAsync(stoppingToken),
            ResyncAsync(quotas, stoppingToken),
        };
        foreach (var resource in Replenished)
        {
            if (registry.Find("", "v1", resource) is { } store)
            {
                // Only deletions and finished pods matter here: no initial list of every object.
                tasks.Add(WatchLoop.RunFromNowAsync(loops, $"{Loop}/{resource}", store, change =>
                {
                    var finished = resource == "pods" && change.Kind == WatchEventKind.Modified
                        && change.Object["status"]?["phase"]?.ToString() is "Succeeded" or "Failed";
                    if (change.Kind == WatchEventKind.Deleted || finished)
                    {
                        MarkDirty(ObjectMeta.Namespace(change.Object));
                    }

                    return Task.CompletedTask;
                }, stoppingToken));
            }
        }

        return Task.WhenAll(tasks);
    }

    private void MarkDirty(string ns)
    {
        if (ns.Length > 0 && _dirty.TryAdd(ns, 0))
        {
            _wake.Release();
        }
    }

    private async Task ResyncAsync(GenericStore quotas, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(ResyncPeriod);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                var all = await quotas.ListAsync("", new ListQuery(null, null), stoppingToken).ConfigureAwait(false);
                foreach (var ns in all.Items.Select(ObjectMeta.Namespace).Distinct(StringComparer.Ordinal))
                {
                    MarkDirty(ns);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The next tick lists again.
                loops.Status(Loop).Failed(e);
                loops.Reporter(Loop)(e, ResyncPeriod);
            }
        }
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await _wake.WaitAsync(stoppingToken).ConfigureAwait(false);
            foreach (var ns in _dirty.Keys)
            {
                _dirty.TryRemove(ns, out _);
                try
                {
                    if (!await SyncNamespaceAsync(ns, stoppingToken).ConfigureAwait(false))
                    {
                        MarkDirty(ns);
                    }

                    loops.Status(Loop).Succeeded();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _ = RetryLaterAsync(ns, e, stoppingToken);
                }
            }
        }
    }

    /// <summary>A namespace whose recalculation failed is tried again after the loop's backoff (the failure logged whole).</summary>
    private async Task RetryLaterAsync(string ns, Exception failure, CancellationToken stoppingToken)
    {
        if (await loops.FailedAsync(Loop, failure, stoppingToken).ConfigureAwait(false))
        {
            MarkDirty(ns);
        }
    }

    /// <returns>false when a quota changed under us and the namespace needs another pass.</returns>
    private async Task<bool> SyncNamespaceAsync(string ns, CancellationToken cancellationToken)
    {
        var quotaStore = registry.Find("", "v1", "resourcequotas")!;
        var quotas = (await quotaStore.ListAsync(ns, new ListQuery(null, null), cancellationToken).ConfigureAwait(false)).Items;
        var objects = new Dictionary<(string Group, string Resource), IReadOnlyList<JsonObject>>();
        var complete = true;
        foreach (var quota in quotas)
        {
            var hard = quota["spec"]?["hard"] as JsonObject ?? [];
            var hardNames = hard.Select(p => p.Key).ToArray();
            var used = new Dictionary<string, Quantity>(StringComparer.Ordinal);
            foreach (var name in hardNames)
            {
                used[name] = Quantity.Zero;
            }

            foreach (var (group, resource) in QuotaEvaluator.CountedResources(hardNames))
            {
                if (!objects.TryGetValue((group, resource), out var items))
                {
                    var store = registry.Stores.FirstOrDefault(s => s.Resource.Group == group && s.Resource.Plural == resource);
                    items = store is null || !store.Resource.Namespaced
                        ? []
                        : (await store.ListAsync(ns, new ListQuery(null, null), cancellationToken).ConfigureAwait(false)).Items;
                    objects[(group, resource)] = items;
                }

                foreach (var item in items)
                {
                    if (!QuotaEvaluator.Matches(quota, group, resource, item))
                    {
                        continue;
                    }

                    foreach (var (name, quantity) in QuotaEvaluator.Usage(group, resource, item))
                    {
                        if (used.TryGetValue(name, out var sum))
                        {
                            used[name] = sum + quantity;
                        }
                    }
                }
            }

            var status = new JsonObject { ["hard"] = hard.DeepClone(), ["used"] = QuotaEvaluator.ToJson(used) };
            if (JsonNode.DeepEquals(quota["status"], status))
            {
                continue;
            }

            var expected = ObjectMeta.ResourceVersion(quota);
            try
            {
                await quotaStore.ApplyUpdateAsync(RequestScope.Loopback, ns, ObjectMeta.Name(quota), "status", current =>
                {
                    // Only the version we counted against: if admission charged it meanwhile, count again.
                    ObjectMeta.Metadata(current)["resourceVersion"] = expected;
                    current["status"] = status.DeepClone();
                    return current;
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (StatusException e) when (e.Code is 409)
            {
                complete = false;
            }
            catch (StatusException e) when (e.Code is 404)
            {
            }
        }

        return complete;
    }
}
