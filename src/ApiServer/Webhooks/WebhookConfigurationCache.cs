using System.Text.Json.Nodes;
using Admission.Webhooks;
using ApiMachinery.Meta;
using ApiServer.Controllers;
using ApiServer.Health;
using ApiServer.Registry;
using Microsoft.Extensions.Hosting;

namespace ApiServer.Webhooks;

/// <summary>
/// The webhooks of every Mutating- and ValidatingWebhookConfiguration, kept current by watching the
/// registry (list, then changes; a broken watch starts over from a fresh list). Readers get an
/// immutable snapshot, swapped atomically on every change.
/// </summary>
internal sealed class WebhookConfigurationCache(Lazy<RegistryCatalog> registry, BackgroundLoops loops) : BackgroundService, IWebhookSource
{
    private const string Group = "admissionregistration.k8s.io";

    private IReadOnlyList<WebhookDefinition> _mutating = [];
    private IReadOnlyList<WebhookDefinition> _validating = [];

    public IReadOnlyList<WebhookDefinition> Mutating => Volatile.Read(ref _mutating);

    public IReadOnlyList<WebhookDefinition> Validating => Volatile.Read(ref _validating);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(
        FollowAsync("mutatingwebhookconfigurations", hooks => Volatile.Write(ref _mutating, hooks), stoppingToken),
        FollowAsync("validatingwebhookconfigurations", hooks => Volatile.Write(ref _validating, hooks), stoppingToken));

    private async Task FollowAsync(string resource, Action<IReadOnlyList<WebhookDefinition>> publish, CancellationToken stoppingToken)
    {
        var store = registry.Value.Stores.FirstOrDefault(s => s.Resource.Group == Group && s.Resource.Plural == resource);
        if (store is null)
        {
            return;
        }

        var configurations = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        await WatchLoop.RunAsync(loops, $"informer/{resource}", store, () => configurations.Clear(), change =>
        {
            var name = ObjectMeta.Name(change.Object);
            switch (change.Kind)
            {
                case WatchEventKind.Added or WatchEventKind.Modified:
                    configurations[name] = change.Object;
                    break;
                case WatchEventKind.Deleted:
                    configurations.Remove(name);
                    break;
                default:
                    return Task.CompletedTask;
            }

            // kube orders webhooks by configuration name, then by their place in it.
            publish(configurations.Values.SelectMany(WebhookDefinition.FromConfiguration).ToArray());
            return Task.CompletedTask;
        }, stoppingToken).ConfigureAwait(false);
    }
}
