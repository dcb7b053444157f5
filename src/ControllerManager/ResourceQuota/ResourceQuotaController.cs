using System.Text.Json.Nodes;
using Admission.Quota;
using ClientTools.Cache;
using ClientTools.Logging;
using ControllerManager.Common;
using ControllerManager.Infrastructure;
using k8s;
using k8s.Models;

namespace ControllerManager.ResourceQuota;

/// <summary>
/// kube's resourcequota controller (pkg/controller/resourcequota): keeps each ResourceQuota's
/// status.hard equal to spec.hard and status.used equal to what the namespace's objects use, counted
/// with the same evaluators the server's quota admission charges with (Admission.Quota, as kube shares
/// pkg/quota between the two). A quota is recalculated when its spec changes, when a counted object is
/// deleted or a pod finishes (replenishment), and every --resource-quota-sync-period (5m). Off by
/// default here: the API server builds the same controller in; run this one
/// (--controllers=*,resourcequota) with the server's turned off.
/// </summary>
internal sealed class ResourceQuotaController : QueueController
{
    private readonly SharedIndexInformer<V1ResourceQuota> _quotas;
    private readonly IKubernetes _client;
    private readonly DynamicClient _dynamic;
    private readonly TimeProvider _time;
    private readonly TimeSpan _resync;
    private readonly SemaphoreSlim _discoveryLock = new(1, 1);
    private (DateTimeOffset At, List<ApiResource> Resources)? _discovered;

    public ResourceQuotaController(ControllerContext context)
        : base(ControllerNames.ResourceQuota, context.Settings.ConcurrentResourceQuotaSyncs, context.Time)
    {
        _time = context.Time;
        _resync = context.Settings.ResourceQuotaSyncPeriod;
        _client = context.ClientFor(ControllerNames.ResourceQuota);
        _dynamic = new DynamicClient(_client);
        _quotas = context.Informers.For("resourcequotas", "*v1.ResourceQuota", () => new ListerWatcher<V1ResourceQuota, V1ResourceQuotaList>(
            (o, ct) => context.Informers.Client.CoreV1.ListResourceQuotaForAllNamespacesAsync(continueParameter: o.Continue, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct),
            (o, onError, ct) => context.Informers.Client.CoreV1.WatchListResourceQuotaForAllNamespacesAsync(allowWatchBookmarks: o.AllowWatchBookmarks, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct)));
        _quotas.AddEventHandler(new ResourceEventHandler<V1ResourceQuota>
        {
            OnAdd = (q, _) => Enqueue(ObjectKeys.KeyOf(q)),
            OnUpdate = (_, q) =>
            {
                if (ObjectCopy.Canonical(q.Spec?.Hard) != ObjectCopy.Canonical(q.Status?.Hard))
                {
                    Enqueue(ObjectKeys.KeyOf(q));
                }
            },
        });

        // Replenishment (kube's quota monitors): a deleted counted object, or a pod that finished, frees quota.
        context.Informers.Pods().AddEventHandler(new ResourceEventHandler<V1Pod>
        {
            OnUpdate = (old, pod) =>
            {
                if (!Pods.IsTerminal(old) && Pods.IsTerminal(pod))
                {
                    Replenish(pod.Metadata.NamespaceProperty);
                }
            },
            OnDelete = pod => Replenish(pod.Metadata.NamespaceProperty),
        });
        context.Informers.Services().AddEventHandler(new ResourceEventHandler<V1Service> { OnDelete = s => Replenish(s.Metadata.NamespaceProperty) });
        context.Informers.ConfigMaps().AddEventHandler(new ResourceEventHandler<V1ConfigMap> { OnDelete = c => Replenish(c.Metadata.NamespaceProperty) });
        context.Informers.ReplicationControllers().AddEventHandler(new ResourceEventHandler<V1ReplicationController> { OnDelete = r => Replenish(r.Metadata.NamespaceProperty) });
        context.Informers.PersistentVolumeClaims().AddEventHandler(new ResourceEventHandler<V1PersistentVolumeClaim> { OnDelete = c => Replenish(c.Metadata.NamespaceProperty) });
    }

    private void Replenish(string ns)
    {
        foreach (var quota in _quotas.Store.ByIndex(Indexers.Namespace, ns))
        {
            Enqueue(ObjectKeys.KeyOf(quota));
        }
    }

    protected override async Task RunExtraAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_resync, _time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var key in _quotas.Store.ListKeys())
            {
                Enqueue(key);
            }
        }
    }

    /// <summary>syncResourceQuota: counts what the namespace uses of each hard limit and writes it if it changed.</summary>
    public override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        var quota = _quotas.Store.Get(key);
        if (quota is null)
        {
            return;
        }

        var ns = quota.Metadata.NamespaceProperty;
        var quotaJson = (JsonObject)JsonNode.Parse(KubernetesJson.Serialize(quota))!;
        var hard = quotaJson["spec"]?["hard"] as JsonObject ?? [];
        var hardNames = hard.Select(p => p.Key).ToArray();
        var used = hardNames.ToDictionary(n => n, _ => Quantity.Zero, StringComparer.Ordinal);
        foreach (var (group, resource) in QuotaEvaluator.CountedResources(hardNames))
        {
            foreach (var item in await ListAsync(group, resource, ns, cancellationToken).ConfigureAwait(false))
            {
                if (!QuotaEvaluator.Matches(quotaJson, group, resource, item))
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

        var status = new V1ResourceQuotaStatus
        {
            Hard = Quantities(hard),
            Used = Quantities(QuotaEvaluator.ToJson(used)),
        };
        if (ObjectCopy.Canonical(status) == ObjectCopy.Canonical(quota.Status))
        {
            return;
        }

        // Written against the version counted: if admission charged the quota meanwhile, the conflict brings it back.
        var updated = ObjectCopy.Clone(quota);
        updated.Status = status;
        try
        {
            await _client.CoreV1.ReplaceNamespacedResourceQuotaStatusAsync(updated, quota.Metadata.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            Klog.Info(4, $"ResourceQuota {key}: used {QuotaEvaluator.PrettyPrint(used)}");
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
        }
    }

    private static Dictionary<string, ResourceQuantity> Quantities(JsonObject list) =>
        list.ToDictionary(p => p.Key, p => new ResourceQuantity(p.Value?.GetValue<string>() ?? "0"), StringComparer.Ordinal);

    /// <summary>The namespace's objects of a counted resource, from the API (its preferred version by discovery).</summary>
    private async Task<IReadOnlyList<JsonObject>> ListAsync(string group, string resource, string ns, CancellationToken cancellationToken)
    {
        var served = (await DiscoverAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(r => r.Group == group && r.Resource == resource);
        if (served is null || !served.Namespaced)
        {
            return [];
        }

        var list = await _dynamic.GetJsonAsync(served.Path(ns), cancellationToken).ConfigureAwait(false);
        return [.. list?["items"]?.AsArray().OfType<JsonObject>() ?? []];
    }

    /// <summary>Discovery, at most once a minute (custom resources can be counted as count/&lt;plural&gt;.&lt;group&gt;).</summary>
    private async Task<List<ApiResource>> DiscoverAsync(CancellationToken cancellationToken)
    {
        await _discoveryLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            if (_discovered is not { } cached || now - cached.At > TimeSpan.FromMinutes(1))
            {
                cached = (now, await _dynamic.DiscoverAsync(["list"], cancellationToken).ConfigureAwait(false));
                _discovered = cached;
            }

            return cached.Resources;
        }
        finally
        {
            _discoveryLock.Release();
        }
    }
}
