using System.Text.Json.Nodes;
using Admission.Plugins;
using ApiMachinery.Errors;
using ApiMachinery.Meta;
using ApiServer.Health;
using ApiServer.Options;
using ApiServer.Registry;
using ApiServer.Registry.Strategies;
using Microsoft.Extensions.Hosting;

namespace ApiServer.Controllers;

/// <summary>
/// What kube-controller-manager's serviceaccounts controller gives every namespace, done inside the
/// server so that a lone server admits pods (the ServiceAccount plugin needs the account): a
/// <c>default</c> ServiceAccount, created again when deleted. Namespaces being terminated are left
/// alone. The <c>kube-root-ca.crt</c> ConfigMap stays kube-controller-manager's job (its
/// root-ca-cert-publisher), as with kube-apiserver.
/// </summary>
internal sealed class NamespaceDefaultsController(RegistryCatalog registry, BackgroundLoops loops) : BackgroundService
{
    /// <summary>The controller's loops' names and health checks (kube-controller-manager's serviceaccount controller).</summary>
    private const string Loop = "controller/serviceaccount";

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var serviceAccounts = registry.Find("", "v1", "serviceaccounts");
        var tasks = new List<Task>
        {
            WatchLoop.RunAsync(loops, Loop + "/namespaces", registry.Namespaces, null, async change =>
            {
                if (change.Kind is WatchEventKind.Added or WatchEventKind.Modified && !NamespaceStrategy.IsTerminating(change.Object))
                {
                    await EnsureAsync(ObjectMeta.Name(change.Object), stoppingToken).ConfigureAwait(false);
                }
            }, stoppingToken),
        };
        if (serviceAccounts is not null)
        {
            tasks.Add(WatchLoop.RunAsync(loops, Loop + "/serviceaccounts", serviceAccounts, null, async change =>
            {
                if (change.Kind == WatchEventKind.Deleted && ObjectMeta.Name(change.Object) == ServiceAccountAdmission.DefaultServiceAccountName)
                {
                    await EnsureAsync(ObjectMeta.Namespace(change.Object), stoppingToken).ConfigureAwait(false);
                }
            }, stoppingToken));
        }

        return Task.WhenAll(tasks);
    }

    private async Task EnsureAsync(string ns, CancellationToken cancellationToken)
    {
        try
        {
            await EnsureServiceAccountAsync(ns, cancellationToken).ConfigureAwait(false);
        }
        catch (StatusException e) when (e.Code is 403 or 404 or 409)
        {
            // The namespace went away or began terminating meanwhile; or someone else was first.
        }

        // Anything else fails the watch loop: it is logged, and the fresh list after the backoff
        // brings every namespace round again.
    }

    private async Task EnsureServiceAccountAsync(string ns, CancellationToken cancellationToken)
    {
        var store = registry.Find("", "v1", "serviceaccounts");
        if (store is null || await ExistsAsync(store, ns, ServiceAccountAdmission.DefaultServiceAccountName, cancellationToken).ConfigureAwait(false) is not null)
        {
            return;
        }

        var account = new JsonObject
        {
            ["kind"] = "ServiceAccount",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject { ["name"] = ServiceAccountAdmission.DefaultServiceAccountName, ["namespace"] = ns },
        };
        await store.CreateAsync(RequestScope.Loopback, ns, account, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<JsonObject?> ExistsAsync(GenericStore store, string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await store.GetAsync(ns, name, cancellationToken).ConfigureAwait(false);
        }
        catch (StatusException e) when (e.Code == 404)
        {
            return null;
        }
    }
}
