using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiServer.Health;
using ApiServer.Registry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ApiServer.Controllers;

/// <summary>
/// Creates the namespaces every cluster has from its first start (default, kube-system,
/// kube-public, kube-node-lease), retrying until etcd answers; /readyz waits for it.
/// </summary>
internal sealed partial class BootstrapNamespaces(RegistryCatalog registry, StartupState startup, BackgroundLoops loops, ILogger<BootstrapNamespaces> logger) : BackgroundService
{
    public static readonly string[] SystemNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"];

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        loops.RunUntilDoneAsync("poststarthook/bootstrap-namespaces", async ct =>
        {
            foreach (var name in SystemNamespaces)
            {
                await EnsureAsync(name, ct).ConfigureAwait(false);
            }

            startup.NamespacesBootstrapped = true;
            LogDone(logger);
        }, stoppingToken);

    private async Task EnsureAsync(string name, CancellationToken cancellationToken)
    {
        var store = registry.Namespaces;
        try
        {
            await store.GetAsync("", name, cancellationToken).ConfigureAwait(false);
        }
        catch (StatusException e) when (e.Code == 404)
        {
            var ns = new JsonObject
            {
                ["kind"] = "Namespace",
                ["apiVersion"] = "v1",
                ["metadata"] = new JsonObject { ["name"] = name },
            };
            try
            {
                await store.CreateAsync(RequestScope.Loopback, "", ns, cancellationToken).ConfigureAwait(false);
            }
            catch (StatusException conflict) when (conflict.Code == 409)
            {
                // Another server sharing this etcd created it first.
            }
        }
    }

    [LoggerMessage(EventId = LogEvents.BootstrapDone, Level = LogLevel.Information, Message = "System namespaces are in place")]
    private static partial void LogDone(ILogger logger);
}
