using Admission.Plugins;
using ApiMachinery.Errors;
using ApiServer.Registry;
using ApiServer.Registry.Strategies;

namespace ApiServer.Controllers;

/// <summary>
/// Answers NamespaceLifecycle's question from the namespace registry: from the watch cache first
/// (resourceVersion "0", no etcd round trip on every create), and live from etcd when the cache does
/// not know the namespace (it may have been created a moment ago) or the plugin asks for it.
/// </summary>
internal sealed class NamespaceLookup(Lazy<RegistryCatalog> registry) : INamespaceLookup
{
    public async ValueTask<NamespaceState?> GetAsync(string name, bool live, CancellationToken cancellationToken)
    {
        if (!live && await FindAsync(name, "0", cancellationToken).ConfigureAwait(false) is { } cached)
        {
            return cached;
        }

        return await FindAsync(name, null, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<NamespaceState?> FindAsync(string name, string? resourceVersion, CancellationToken cancellationToken)
    {
        try
        {
            var ns = await registry.Value.Namespaces.GetAsync("", name, cancellationToken, resourceVersion).ConfigureAwait(false);
            return new NamespaceState(name, NamespaceStrategy.IsTerminating(ns), ObjectMeta.Labels(ns));
        }
        catch (StatusException e) when (e.Code == 404)
        {
            return null;
        }
    }
}
