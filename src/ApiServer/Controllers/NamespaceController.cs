using ApiMachinery.Errors;
using ApiMachinery.Meta;
using ApiMachinery.Wait;
using ApiServer.Health;
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
internal sealed partial class NamespaceController(RegistryCatalog registry, BackgroundLoops loops, ILogger<NamespaceController> logger) : BackgroundService
{
    /// <summary>The controller's loop and health check.</summary>
    private const string Loop = "controller/namespace";

    /// <summary>How long to wait for a namespace's content to go, pass after pass.</summary>
    private static readonly Backoff ContentWait = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5));

    /// <summary>Namespaces being finalized now: one worker per namespace however many events arrive.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _inFlight = new(StringComparer.Ordinal);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        // A fresh watch starts with every namespace as ADDED.
        WatchLoop.RunAsync(loops, Loop, registry.Namespaces, null, change =>
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

            return Task.CompletedTask;
        }, stoppingToken);

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
        for (var pass = 1; !stoppingToken.IsCancellationRequested; pass++)
        {
            try
            {
                var finalized = await TryFinalizeAsync(name, stoppingToken).ConfigureAwait(false);
                loops.Status(Loop).Succeeded();
                if (finalized)
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
                // Logged whole and counted against the controller's health; tried again after its backoff.
                if (!await loops.FailedAsync(Loop, new NamespaceFinalizeException(name, e), stoppingToken).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }

            // Content remains (finalizers, graceful pods): look again, less and less often.
            await Task.Delay(ContentWait.Delay(pass, Random.Shared.NextDouble()), stoppingToken).ConfigureAwait(false);
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
}

/// <summary>A namespace could not be emptied or finalized (the inner exception says why).</summary>
internal sealed class NamespaceFinalizeException(string name, Exception inner) : Exception($"finalizing namespace {name} failed: {inner.Message}", inner);
