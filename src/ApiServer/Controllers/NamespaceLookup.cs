using Admission.Plugins;
using ApiMachinery.Errors;
using ApiMachinery.Meta;
using ApiServer.Registry;
using ApiServer.Registry.Strategies;

namespace ApiServer.Controllers;

/// <summary>
/// Answers NamespaceLifecycle's question from the namespace registry: from memory first (as of every
/// write this server made, no etcd round trip on every create), and live from etcd when the cache
/// does not know the namespace (another server may have created it a moment ago) or the plugin asks.
/// </summary>
/// <remarks>
/// Every namespaced create asks; the answer for a cached version of the namespace is worked out once
/// and kept for as long as the cache holds that version, instead of decoding the namespace each time.
/// </remarks>
internal sealed class NamespaceLookup(Lazy<RegistryCatalog> registry) : INamespaceLookup
{
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<ObjectView, NamespaceState> _states = [];

    public async ValueTask<NamespaceState?> GetAsync(string name, bool live, CancellationToken cancellationToken)
    {
        if (!live && await FindAsync(name, cached: true, cancellationToken).ConfigureAwait(false) is { } known)
        {
            return known;
        }

        return await FindAsync(name, cached: false, cancellationToken).ConfigureAwait(false);
    }

    /// <param name="cached">from memory, as of every write this server made (admission's read); else live from etcd.</param>
    private async ValueTask<NamespaceState?> FindAsync(string name, bool cached, CancellationToken cancellationToken)
    {
        try
        {
            var namespaces = registry.Value.Namespaces;
            var stored = cached
                ? await namespaces.GetStoredAfterOwnWritesAsync("", name, cancellationToken).ConfigureAwait(false)
                : await namespaces.GetStoredAsync("", name, null, cancellationToken).ConfigureAwait(false);
            return stored.View is ObjectView view
                ? _states.GetValue(view, _ => State(name, stored))
                : State(name, stored);
        }
        catch (StatusException e) when (e.Code == 404)
        {
            return null;
        }
    }

    private static NamespaceState State(string name, Storage.StoredObject stored)
    {
        var ns = stored.View is ObjectView view ? view.Decode() : ObjectCodec.Decode(stored);
        return new NamespaceState(name, NamespaceStrategy.IsTerminating(ns), ObjectMeta.Labels(ns));
    }
}
