using ApiMachinery.Errors;

namespace Admission.Plugins;

/// <summary>What admission needs to know about a namespace; the server answers from storage.</summary>
public interface INamespaceLookup
{
    /// <summary>
    /// Null when the namespace does not exist. Without <paramref name="live"/> the answer may come
    /// from the watch cache (a namespace it does not know yet is then looked up live anyway).
    /// </summary>
    ValueTask<NamespaceState?> GetAsync(string name, bool live, CancellationToken cancellationToken);
}

public sealed record NamespaceState(string Name, bool Terminating, IReadOnlyDictionary<string, string>? Labels = null);

/// <summary>
/// kube-apiserver's NamespaceLifecycle plugin: nothing is created in a namespace that does not exist
/// or is being terminated, and the namespaces the system relies on cannot be deleted.
/// </summary>
public sealed class NamespaceLifecycle(INamespaceLookup namespaces, TimeProvider time) : IValidatingAdmissionPlugin
{
    /// <summary>
    /// After a namespace's deletion is admitted, creates in it are checked against storage, not the
    /// watch cache, for this long: the cache may not have seen the deletion yet (kube-apiserver keeps
    /// the same kind of list for the same reason).
    /// </summary>
    private static readonly TimeSpan ForceLiveLookupTtl = TimeSpan.FromSeconds(30);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _recentlyDeleted = new(StringComparer.Ordinal);

    public NamespaceLifecycle(INamespaceLookup namespaces)
        : this(namespaces, TimeProvider.System)
    {
    }

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

            if (attributes.Group.Length == 0 && attributes.Resource == "namespaces" && !attributes.DryRun)
            {
                _recentlyDeleted[attributes.Name] = time.GetUtcNow() + ForceLiveLookupTtl;
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

        var live = _recentlyDeleted.TryGetValue(attributes.Namespace, out var until) && time.GetUtcNow() < until;
        if (!live && until != default)
        {
            _recentlyDeleted.TryRemove(attributes.Namespace, out _);
        }

        var state = await namespaces.GetAsync(attributes.Namespace, live, cancellationToken).ConfigureAwait(false);
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
