using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ApiMachinery.Errors;
using ApiMachinery.Meta;
using ApiMachinery.Schema;
using ApiServer.Controllers;
using ApiServer.Health;
using ApiServer.Registry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ApiServer.CustomResources;

/// <summary>
/// What apiextensions-apiserver's controllers do, in every server sharing the etcd: it follows the
/// CRDs (a list, then a watch) and serves the resources of every CRD whose names are accepted
/// (<see cref="RegistryCatalog.SetCustomResources"/>), the moment it sees a change; it accepts names
/// (the NamingConditionController: NamesAccepted, status.acceptedNames, conflicts with the group's
/// other CRDs and built-in resources), establishes them (EstablishingController), and finishes
/// the deletion of a CRD by deleting its objects first (CRDFinalizer). Status writes race between
/// servers harmlessly: each computes the same status, and a conflict waits for the next event.
/// </summary>
internal sealed partial class CustomResourceDefinitionController(
    RegistryCatalog registry, StartupState startup, BackgroundLoops loops, TimeProvider time, ILogger<CustomResourceDefinitionController> logger) : BackgroundService
{
    private const string Group = "apiextensions.k8s.io";

    /// <summary>The loop that lists and watches CRDs, and its health check.</summary>
    private const string InformerLoop = "informer/customresourcedefinitions";

    /// <summary>The controllers' work (names, establishing, cleanup), and its health check.</summary>
    private const string ControllerLoop = "controller/apiextensions";

    /// <summary>How long the cleanup waits for a CRD's objects to go before it reports and tries again (kube: one minute).</summary>
    private static readonly TimeSpan CleanupWait = TimeSpan.FromMinutes(1);

    /// <summary>How long a CRD whose reconcile failed waits before it is tried again.</summary>
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, CustomResourceDefinitionInfo> _crds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _cleaning = new(StringComparer.Ordinal);

    // Compiled schemas by CRD uid, generation (spec changes) and version: a status change recompiles nothing.
    private readonly ConcurrentDictionary<(string Uid, string Generation, string Version), (ICustomResourceSchema? Schema, DefinitionSchema? Facts)> _compiled = new();

    private GenericStore Store => registry.Find(Group, "v1", "customresourcedefinitions")
        ?? throw new InvalidOperationException("customresourcedefinitions are not served");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The controllers' health check exists from the start, failing only once their work keeps failing.
        loops.Status(ControllerLoop);
        var worker = Task.Run(() => WorkAsync(stoppingToken), stoppingToken);
        // A list (every CRD served at once, then crd-informer-synced), then its changes, through the
        // server's shared watch loop; a broken watch starts over from a fresh list after its backoff.
        Dictionary<string, CustomResourceDefinitionInfo>? listed = null;
        await WatchLoop.RunAsync(loops, InformerLoop, () => Store, restart: () => listed = new(StringComparer.Ordinal), change =>
        {
            var crd = change.Object;
            var name = ObjectMeta.Name(crd);
            if (listed is not null)
            {
                listed[name] = CustomResourceDefinitionInfo.Parse(crd);
                return Task.CompletedTask;
            }

            if (change.Kind == WatchEventKind.Deleted)
            {
                _crds.TryRemove(name, out _);
            }
            else
            {
                _crds[name] = CustomResourceDefinitionInfo.Parse(crd);
            }

            Serve();
            _queue.Writer.TryWrite(name);
            return Task.CompletedTask;
        }, synced: () =>
        {
            _crds.Clear();
            foreach (var (name, crd) in listed!)
            {
                _crds[name] = crd;
            }

            listed = null;
            Serve();
            startup.CustomResourcesSynced = true;
            foreach (var name in _crds.Keys)
            {
                _queue.Writer.TryWrite(name);
            }
        }, stoppingToken).ConfigureAwait(false);

        await worker.ConfigureAwait(false);
    }

    /// <summary>Serves the resources of the CRDs as they stand now.</summary>
    private void Serve()
    {
        var resources = _crds.Values
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .SelectMany(c => CustomResourceDefinitions.Resources(c, Compile))
            .ToArray();
        registry.SetCustomResources(resources);
        var live = _crds.Values.Select(c => c.Uid).ToHashSet(StringComparer.Ordinal);
        foreach (var key in _compiled.Keys.Where(k => !live.Contains(k.Uid)))
        {
            _compiled.TryRemove(key, out _);
        }

        LogServed(logger, resources.Length, _crds.Count);
    }

    private (ICustomResourceSchema? Schema, DefinitionSchema? Facts) Compile(CustomResourceDefinitionInfo crd, CrdVersion version)
    {
        var generation = crd.Object["metadata"]?["generation"]?.ToJsonString() ?? "";
        return _compiled.GetOrAdd((crd.Uid, generation, version.Name), _ =>
        {
            if (version.Schema is not { } schema)
            {
                return (null, null);
            }

            ICustomResourceSchema? compiled = null;
            try
            {
                compiled = new CompiledSchema(ApiExtensions.Schema.CustomResourceSchema.Compile(schema), CustomResourceDefinitionValidation.HasDefaults(schema));
            }
            catch (ArgumentException e)
            {
                // A stored CRD whose schema no longer compiles (validation refuses it now): serve without it.
                LogSyncFailed(logger, crd.Name, e.Message);
            }

            var facts = StructuralSchemaFacts.FromSchema($"{ReverseDomain(crd.Group)}.{version.Name}.{crd.Names.Kind}", schema);
            return (compiled, facts);
        });
    }

    /// <summary>kube's OpenAPI name of a CRD's definitions: the group reversed ("com.example.stable").</summary>
    internal static string ReverseDomain(string group) => string.Join('.', group.Split('.').Reverse());

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        await foreach (var name in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await ReconcileAsync(name, stoppingToken).ConfigureAwait(false);
                loops.Status(ControllerLoop).Succeeded();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (StatusException e) when (e.Code is 404 or 409)
            {
                // Gone, or changed meanwhile: the change's own event brings it back here.
            }
            catch (Exception e)
            {
                // Counted on the controller's health check and logged whole; the CRD is tried again later
                // while the worker goes on with the others.
                loops.Status(ControllerLoop).Failed(e);
                loops.Reporter(ControllerLoop)(new CustomResourceDefinitionSyncException(name, e), RetryDelay);
                _ = RetryLaterAsync(name, stoppingToken);
            }
        }
    }

    private async Task RetryLaterAsync(string name, CancellationToken stoppingToken)
    {
        await Task.Delay(RetryDelay, stoppingToken).ConfigureAwait(false);
        _queue.Writer.TryWrite(name);
    }

    private async Task ReconcileAsync(string name, CancellationToken cancellationToken)
    {
        if (!_crds.TryGetValue(name, out var crd))
        {
            // Its names are free now: the group's other CRDs may take them.
            RequeueGroupOf(name);
            return;
        }

        if (ObjectMeta.DeletionTimestamp(crd.Object).Length > 0)
        {
            if (ObjectMeta.Finalizers(crd.Object).Contains(CustomResourceDefinitionInfo.CleanupFinalizer) && _cleaning.TryAdd(name, 0))
            {
                _ = CleanUpAsync(crd, cancellationToken);
            }

            return;
        }

        if (!crd.Names.SameAs(crd.AcceptedNames) || CrdConditions.Find(crd.Object, "NamesAccepted") is null)
        {
            await AcceptNamesAsync(crd, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (crd.NamesAccepted && !crd.Established)
        {
            // Its resources are served already (Serve ran on the event that accepted the names).
            var established = (JsonObject)crd.Object.DeepClone();
            CrdConditions.Set(established, "Established", "True", "InitialNamesAccepted", "the initial names have been accepted", time.GetUtcNow());
            await Store.UpdateAsync(RequestScope.Loopback, "", name, "status", established, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>kube's NamingConditionController: names not taken by another CRD of the group (or a built-in resource) are accepted.</summary>
    private async Task AcceptNamesAsync(CustomResourceDefinitionInfo crd, CancellationToken cancellationToken)
    {
        var resources = new HashSet<string>(StringComparer.Ordinal);
        var kinds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var other in _crds.Values.Where(c => c.Group == crd.Group))
        {
            resources.Add(other.AcceptedNames.Plural);
            resources.Add(other.AcceptedNames.Singular);
            resources.UnionWith(other.AcceptedNames.ShortNames);
            kinds.Add(other.AcceptedNames.Kind);
            kinds.Add(other.AcceptedNames.ListKind);
        }

        foreach (var builtin in registry.Table.All.Where(r => r.Group == crd.Group && r.Custom is null))
        {
            resources.Add(builtin.Plural);
            resources.Add(builtin.Singular);
            resources.UnionWith(builtin.ShortNames);
            kinds.Add(builtin.Kind);
            kinds.Add(builtin.ListKind);
        }

        var requested = crd.Names;
        var accepted = crd.AcceptedNames;
        var (plural, singular, shortNames, kind, listKind) = (accepted.Plural, accepted.Singular, accepted.ShortNames, accepted.Kind, accepted.ListKind);
        (string Reason, string Message)? conflict = null;

        string? Taken(string name, string acceptedName, HashSet<string> used) =>
            name != acceptedName && used.Contains(name) ? $"\"{name}\" is already in use" : null;

        if (Taken(requested.Plural, accepted.Plural, resources) is { } pluralTaken)
        {
            conflict = ("PluralConflict", pluralTaken);
        }
        else
        {
            plural = requested.Plural;
        }

        if (Taken(requested.Singular, accepted.Singular, resources) is { } singularTaken)
        {
            conflict = ("SingularConflict", singularTaken);
        }
        else
        {
            singular = requested.Singular;
        }

        if (!requested.ShortNames.SequenceEqual(accepted.ShortNames))
        {
            var taken = requested.ShortNames.Where(s => !accepted.ShortNames.Contains(s)).Select(s => Taken(s, "", resources)).OfType<string>().ToList();
            if (taken.Count > 0)
            {
                conflict = ("ShortNamesConflict", taken.Count == 1 ? taken[0] : "[" + string.Join(", ", taken) + "]");
            }
            else
            {
                shortNames = requested.ShortNames;
            }
        }

        if (Taken(requested.Kind, accepted.Kind, kinds) is { } kindTaken)
        {
            conflict = ("KindConflict", kindTaken);
        }
        else
        {
            kind = requested.Kind;
        }

        if (Taken(requested.ListKind, accepted.ListKind, kinds) is { } listKindTaken)
        {
            conflict = ("ListKindConflict", listKindTaken);
        }
        else
        {
            listKind = requested.ListKind;
        }

        var names = new CrdNames(plural, singular, kind, listKind, shortNames, requested.Categories);
        var updated = (JsonObject)crd.Object.DeepClone();
        var status = updated["status"] as JsonObject ?? [];
        updated["status"] = status;
        var now = time.GetUtcNow();
        var changed = !names.SameAs(accepted);
        status["acceptedNames"] = names.ToJson();
        changed |= conflict is { } c
            ? CrdConditions.Set(updated, "NamesAccepted", "False", c.Reason, c.Message, now)
            : CrdConditions.Set(updated, "NamesAccepted", "True", "NoConflicts", "no conflicts found", now);
        if (!crd.Established)
        {
            changed |= conflict is null
                ? CrdConditions.Set(updated, "Established", "False", "Installing", "the initial names have been accepted", now)
                : CrdConditions.Find(updated, "Established") is null && CrdConditions.Set(updated, "Established", "False", "NotAccepted", "not all names are accepted", now);
        }

        if (!changed)
        {
            return;
        }

        await Store.UpdateAsync(RequestScope.Loopback, "", crd.Name, "status", updated, cancellationToken).ConfigureAwait(false);
        RequeueGroupOf(crd.Name);
    }

    private void RequeueGroupOf(string name)
    {
        var group = name[(name.IndexOf('.', StringComparison.Ordinal) + 1)..];
        foreach (var other in _crds.Values.Where(c => c.Group == group && c.Name != name))
        {
            _queue.Writer.TryWrite(other.Name);
        }
    }

    /// <summary>
    /// kube's CRDFinalizer: marks the CRD terminating, deletes every object of it (through the registry,
    /// so finalizers of those objects are honoured), waits until none is left, then lets the CRD go.
    /// </summary>
    private async Task CleanUpAsync(CustomResourceDefinitionInfo crd, CancellationToken stoppingToken)
    {
        try
        {
            for (var attempt = 0; !stoppingToken.IsCancellationRequested; attempt++)
            {
                var wait = TimeSpan.FromMilliseconds(Math.Min(5000, 200 * (1 << Math.Min(attempt, 5))));
                try
                {
                    if (await TryCleanUpAsync(crd.Name, stoppingToken).ConfigureAwait(false))
                    {
                        return;
                    }
                }
                catch (StatusException e) when (e.Code == 404)
                {
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    loops.Status(ControllerLoop).Failed(e);
                    loops.Reporter(ControllerLoop)(new CustomResourceDefinitionSyncException(crd.Name, e), wait);
                }

                await Task.Delay(wait, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _cleaning.TryRemove(crd.Name, out _);
        }
    }

    private async Task<bool> TryCleanUpAsync(string name, CancellationToken cancellationToken)
    {
        var current = await Store.GetAsync("", name, cancellationToken).ConfigureAwait(false);
        if (!ObjectMeta.Finalizers(current).Contains(CustomResourceDefinitionInfo.CleanupFinalizer))
        {
            return true;
        }

        var crd = CustomResourceDefinitionInfo.Parse(current);
        CrdConditions.Set(current, "Terminating", "True", "InstanceDeletionInProgress", "CustomResource deletion is in progress", time.GetUtcNow());
        current = (await Store.UpdateAsync(RequestScope.Loopback, "", name, "status", current, cancellationToken).ConfigureAwait(false)).Object.Object;

        (string Status, string Reason, string Message) outcome;
        if (crd.Established && crd.StorageVersion is { } storage && registry.Find(crd.Group, storage.Name, crd.Names.Plural) is { } objects)
        {
            var remaining = await DeleteObjectsAsync(objects, cancellationToken).ConfigureAwait(false);
            if (remaining > 0)
            {
                CrdConditions.Set(current, "Terminating", "True", "InstanceDeletionCheck",
                    "could not confirm zero CustomResources remaining: timed out waiting for the condition", time.GetUtcNow());
                await Store.UpdateAsync(RequestScope.Loopback, "", name, "status", current, cancellationToken).ConfigureAwait(false);
                LogCleanup(logger, name, remaining);
                return false;
            }

            outcome = ("False", "InstanceDeletionCompleted", "removed all instances");
        }
        else
        {
            outcome = ("False", "NeverEstablished", "resource was never established");
        }

        CrdConditions.Set(current, "Terminating", outcome.Status, outcome.Reason, outcome.Message, time.GetUtcNow());
        var finalizers = (ObjectMeta.Metadata(current)["finalizers"] as JsonArray)?
            .Where(f => f?.ToString() != CustomResourceDefinitionInfo.CleanupFinalizer)
            .Select(f => f?.DeepClone())
            .ToArray() ?? [];
        ObjectMeta.Metadata(current)["finalizers"] = new JsonArray(finalizers);
        // Through status, as kube's finalizer does: the CRD goes once its last finalizer is gone.
        await Store.UpdateAsync(RequestScope.Loopback, "", name, "status", current, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Deletes every object (a delete collection per namespace), then waits for them to be gone; returns how many remain.</summary>
    private async Task<int> DeleteObjectsAsync(GenericStore objects, CancellationToken cancellationToken)
    {
        var everything = new ListQuery(null, null);
        var list = await objects.ListAsync("", everything, cancellationToken).ConfigureAwait(false);
        foreach (var ns in list.Items.Select(ObjectMeta.Namespace).Distinct(StringComparer.Ordinal))
        {
            await objects.DeleteCollectionAsync(RequestScope.Loopback, ns, everything, new DeleteOptions(), cancellationToken).ConfigureAwait(false);
        }

        var deadline = time.GetUtcNow() + CleanupWait;
        while (true)
        {
            var left = (await objects.ListAsync("", everything, cancellationToken).ConfigureAwait(false)).Items.Count;
            if (left == 0 || time.GetUtcNow() >= deadline)
            {
                return left;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = LogEvents.CustomResourcesServed, Level = LogLevel.Debug, Message = "serving {Resources} custom resource versions of {Crds} CRDs")]
    private static partial void LogServed(ILogger logger, int resources, int crds);

    [LoggerMessage(EventId = LogEvents.CustomResourceDefinitionSyncFailed, Level = LogLevel.Warning, Message = "CustomResourceDefinition {Name}: {Error}")]
    private static partial void LogSyncFailed(ILogger logger, string name, string error);

    [LoggerMessage(EventId = LogEvents.CustomResourceCleanup, Level = LogLevel.Information, Message = "CustomResourceDefinition {Name}: {Remaining} objects still being deleted")]
    private static partial void LogCleanup(ILogger logger, string name, int remaining);
}

/// <summary>A CRD the controllers could not bring up to date (the cause inside), for the loop's log.</summary>
internal sealed class CustomResourceDefinitionSyncException(string name, Exception inner)
    : Exception($"CustomResourceDefinition {name}: {inner.Message}", inner);
