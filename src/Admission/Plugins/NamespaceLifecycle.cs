using ApiMachinery.Errors;

namespace Admission.Plugins;

/// <summary>What admission needs to know about a namespace; the server answers from storage.</summary>
public interface INamespaceLookup
{
    /// <summary>Null when the namespace does not exist.</summary>
    ValueTask<NamespaceState?> GetAsync(string name, CancellationToken cancellationToken);
}

public sealed record NamespaceState(string Name, bool Terminating);

/// <summary>
/// kube-apiserver's NamespaceLifecycle plugin: nothing is created in a namespace that does not exist
/// or is being terminated, and the namespaces the system relies on cannot be deleted.
/// </summary>
public sealed class NamespaceLifecycle(INamespaceLookup namespaces) : IValidatingAdmissionPlugin
{
    /// <summary>Namespaces that may never be deleted (kube-apiserver's immortal namespaces).</summary>
    public static readonly IReadOnlySet<string> ImmortalNamespaces = new HashSet<string> { "default", "kube-system", "kube-public" };

    public string Name => "NamespaceLifecycle";

    public bool Handles(AdmissionOperation operation) => operation is AdmissionOperation.Create or AdmissionOperation.Delete;

    public async ValueTask ValidateAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        if (attributes.Operation == AdmissionOperation.Delete)
        {
            if (attributes.Group.Length == 0 && attributes.Resource == "namespaces" && ImmortalNamespaces.Contains(attributes.Name))
            {
                throw StatusException.NewForbidden("", "namespaces", attributes.Name, "this namespace may not be deleted");
            }

            return;
        }

        // Cluster-scoped objects and namespaces themselves are not inside a namespace.
        if (attributes.Namespace.Length == 0 || (attributes.Group.Length == 0 && attributes.Resource == "namespaces"))
        {
            return;
        }

        // Subresource creates (bindings, evictions, tokens) of objects in a terminating namespace are allowed.
        if (attributes.Subresource.Length > 0)
        {
            return;
        }

        var state = await namespaces.GetAsync(attributes.Namespace, cancellationToken).ConfigureAwait(false);
        if (state is null)
        {
            throw StatusException.NewNotFound("", "namespaces", attributes.Namespace);
        }

        if (state.Terminating)
        {
            throw StatusException.NewForbidden(
                attributes.Group,
                attributes.Resource,
                attributes.Name,
                $"unable to create new content in namespace {attributes.Namespace} because it is being terminated");
        }
    }
}
