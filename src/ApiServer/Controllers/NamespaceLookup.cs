using Admission.Plugins;
using ApiMachinery.Errors;
using ApiServer.Registry;
using ApiServer.Registry.Strategies;

namespace ApiServer.Controllers;

/// <summary>Answers NamespaceLifecycle's question from the namespace registry.</summary>
internal sealed class NamespaceLookup(Lazy<RegistryCatalog> registry) : INamespaceLookup
{
    public async ValueTask<NamespaceState?> GetAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var ns = await registry.Value.Namespaces.GetAsync("", name, cancellationToken).ConfigureAwait(false);
            return new NamespaceState(name, NamespaceStrategy.IsTerminating(ns));
        }
        catch (StatusException e) when (e.Code == 404)
        {
            return null;
        }
    }
}
