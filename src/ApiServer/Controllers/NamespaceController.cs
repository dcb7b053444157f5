using ApiMachinery.Errors;
using ApiServer.Registry;
using ApiServer.Registry.Strategies;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ApiServer.Controllers;

/// <summary>
/// Finishes namespace deletion, as kube-controller-manager's namespace controller does: for a
/// namespace being deleted it deletes every namespaced object in it, and once nothing is left it
/// removes the "kubernetes" finalizer through /finalize, which lets the namespace go. It runs
/// inside the server so a lone server behaves like a cluster; it watches namespaces and resumes
/// from a fresh list whenever the watch breaks.
/// </summary>
internal sealed partial class NamespaceController(RegistryCatalog registry, ILogger<NamespaceController> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    /// <summary>Namespaces being finalized now: one worker per namespace however many events arrive.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _inFlight = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var store = registry.Namespaces;
        var all = new ListQuery(null, null);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // A watch without a resourceVersion starts with every namespace as ADDED.
                await foreach (var change in store.WatchAsync("", "", all, sendInitialEvents: false, stoppingToken).ConfigureAwait(false))
                {
                    if (change.Kind is WatchEventKind.Added or WatchEventKind.Modified && NamespaceStrategy.IsTerminating(change.Object)
                        && ObjectMeta.DeletionTimestamp(change.Object).Length > 0)
                    {
                        var name = ObjectMeta.Name(change.Object);
                        if (_inFlight.TryAdd(name, 0))
                        {
                            _ = FinalizeInBackgroundAsync(name, stoppingToken);
                        }
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogWatchRestart(logger, e.Message);
                await Task.Delay(RetryDelay, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Empties and finalizes one namespace, retrying while content remains.</summary>
    private async Task FinalizeInBackgroundAsync(string name, CancellationToken stoppingToken)
    {
        try
        {
            await FinalizeAsync(name, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _inFlight.TryRemove(name, out _);
        }
    }

    private async Task FinalizeAsync(string name, CancellationToken stoppingToken)
    {
        await Task.Yield();
        for (var attempt = 0; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                if (await TryFinalizeAsync(name, stoppingToken).ConfigureAwait(false))
                {
                    LogFinalized(logger, name);
                    return;
                }
            }
            catch (StatusException e) when (e.Code == 404)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFinalizeFailed(logger, name, e.Message);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 100 * (1 << Math.Min(attempt, 6)))), stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task<bool> TryFinalizeAsync(string name, CancellationToken cancellationToken)
    {
        var ns = await registry.Namespaces.GetAsync("", name, cancellationToken).ConfigureAwait(false);
        if (!NamespaceStrategy.SpecFinalizers(ns).Contains(NamespaceStrategy.KubernetesFinalizer))
        {
            return true;
        }

        var remaining = 0;
        var everything = new ListQuery(null, null);
        foreach (var store in registry.Stores.Where(s => s.Resource.Namespaced))
        {
            // In the background, as kube's namespace deleter asks: a kind's default (jobs orphan their
            // pods) would leave the object waiting for the garbage collector.
            var deleted = await store.DeleteCollectionAsync(RequestScope.Loopback, name, everything, new DeleteOptions(PropagationPolicy: GarbageCollection.Background), cancellationToken).ConfigureAwait(false);
            // Objects that only got a deletionTimestamp (finalizers, graceful pods) are still there.
            remaining += deleted.Items.Count(o => ObjectMeta.DeletionTimestamp(o).Length > 0);
        }

        if (remaining > 0)
        {
            return false;
        }

        var finalized = (System.Text.Json.Nodes.JsonObject)ns.DeepClone();
        var spec = finalized["spec"] as System.Text.Json.Nodes.JsonObject ?? [];
        spec["finalizers"] = new System.Text.Json.Nodes.JsonArray(NamespaceStrategy.SpecFinalizers(ns)
            .Where(f => f != NamespaceStrategy.KubernetesFinalizer)
            .Select(f => (System.Text.Json.Nodes.JsonNode)f).ToArray());
        finalized["spec"] = spec;
        await registry.Namespaces.UpdateAsync(RequestScope.Loopback, "", name, "finalize", finalized, cancellationToken).ConfigureAwait(false);
        return true;
    }

    [LoggerMessage(EventId = LogEvents.NamespaceFinalized, Level = LogLevel.Information, Message = "Namespace {Namespace} emptied and finalized")]
    private static partial void LogFinalized(ILogger logger, string @namespace);

    [LoggerMessage(EventId = LogEvents.NamespaceFinalizeFailed, Level = LogLevel.Warning, Message = "Finalizing namespace {Namespace} failed, retrying: {Error}")]
    private static partial void LogFinalizeFailed(ILogger logger, string @namespace, string error);

    [LoggerMessage(EventId = LogEvents.NamespaceWatchRestart, Level = LogLevel.Warning, Message = "Namespace watch ended, restarting: {Error}")]
    private static partial void LogWatchRestart(ILogger logger, string error);
}
