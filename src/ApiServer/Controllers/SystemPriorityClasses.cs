using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiServer.Health;
using ApiServer.Registry;
using Microsoft.Extensions.Hosting;

namespace ApiServer.Controllers;

/// <summary>
/// kube-apiserver's scheduling/bootstrap-system-priority-classes post-start hook: the two
/// PriorityClasses system pods rely on exist from the first start, and are put back if deleted
/// before a restart. Retries until etcd answers.
/// </summary>
internal sealed class SystemPriorityClasses(RegistryCatalog registry, BackgroundLoops loops) : BackgroundService
{
    public static readonly (string Name, long Value, string Description)[] Classes =
    [
        ("system-node-critical", 2000001000, "Used for system critical pods that must not be moved from their current node."),
        ("system-cluster-critical", 2000000000, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
    ];

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var store = registry.Find("scheduling.k8s.io", "v1", "priorityclasses");
        return store is null
            ? Task.CompletedTask
            : loops.RunUntilDoneAsync("poststarthook/scheduling/bootstrap-system-priority-classes", async ct =>
            {
                foreach (var (name, value, description) in Classes)
                {
                    await EnsureAsync(store, name, value, description, ct).ConfigureAwait(false);
                }
            }, stoppingToken);
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
}
