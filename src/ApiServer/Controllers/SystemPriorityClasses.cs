using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiServer.Registry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ApiServer.Controllers;

/// <summary>
/// kube-apiserver's scheduling/bootstrap-system-priority-classes post-start hook: the two
/// PriorityClasses system pods rely on exist from the first start, and are put back if deleted
/// before a restart. Retries until etcd answers.
/// </summary>
internal sealed partial class SystemPriorityClasses(RegistryCatalog registry, ILogger<SystemPriorityClasses> logger) : BackgroundService
{
    public static readonly (string Name, long Value, string Description)[] Classes =
    [
        ("system-node-critical", 2000001000, "Used for system critical pods that must not be moved from their current node."),
        ("system-cluster-critical", 2000000000, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
    ];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var store = registry.Find("scheduling.k8s.io", "v1", "priorityclasses");
        if (store is null)
        {
            return;
        }

        var delay = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var (name, value, description) in Classes)
                {
                    await EnsureAsync(store, name, value, description, stoppingToken).ConfigureAwait(false);
                }

                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRetry(logger, e.Message);
                await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }

    private static async Task EnsureAsync(GenericStore store, string name, long value, string description, CancellationToken cancellationToken)
    {
        try
        {
            await store.GetAsync("", name, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (StatusException e) when (e.Code == 404)
        {
        }

        var priorityClass = new JsonObject
        {
            ["kind"] = "PriorityClass",
            ["apiVersion"] = "scheduling.k8s.io/v1",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["value"] = value,
            ["description"] = description,
            ["preemptionPolicy"] = "PreemptLowerPriority",
        };
        try
        {
            await store.CreateAsync(RequestScope.Loopback, "", priorityClass, cancellationToken).ConfigureAwait(false);
        }
        catch (StatusException e) when (e.Code == 409)
        {
        }
    }

    [LoggerMessage(EventId = LogEvents.PriorityClassBootstrapFailed, Level = LogLevel.Warning, Message = "Creating the system priority classes failed, retrying: {Error}")]
    private static partial void LogRetry(ILogger logger, string error);
}
