using System.Text.Json.Nodes;

namespace Admission;

/// <summary>
/// The objects built-in plugins consult (service accounts, limit ranges, quotas, priority classes,
/// storage classes), read consistently from the server's registry. Writes are limited to what
/// admission itself keeps current: a quota's status, conditional on the resourceVersion read.
/// The objects read are shared between requests: read them, and clone (DeepClone) before changing.
/// </summary>
public interface IAdmissionObjects
{
    /// <summary>Null when absent.</summary>
    ValueTask<JsonObject?> GetAsync(string group, string resource, string ns, string name, CancellationToken cancellationToken);

    /// <summary>Every object of the resource in <paramref name="ns"/> ("" for cluster-scoped or all namespaces).</summary>
    ValueTask<IReadOnlyList<JsonObject>> ListAsync(string group, string resource, string ns, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the object's status if its metadata.resourceVersion is still the stored one.
    /// Returns the stored object, or null when someone else wrote it first (a conflict).
    /// </summary>
    ValueTask<JsonObject?> TryUpdateStatusAsync(string group, string resource, JsonObject obj, CancellationToken cancellationToken);
}

/// <summary>
/// The resources admission reads: through <see cref="IAdmissionObjects"/>, webhook service
/// resolution and the namespace lookup. The registry keeps them in memory even with
/// --watch-cache=false, as kube's plugins keep informers whatever the watch cache does. A resource
/// a plugin reads that is missing here is still read correctly, from etcd, only slower.
/// </summary>
public static class AdmissionReads
{
    public static IReadOnlySet<(string Group, string Resource)> Resources { get; } = new HashSet<(string Group, string Resource)>
    {
        ("", "namespaces"),
        ("", "serviceaccounts"),
        ("", "limitranges"),
        ("", "resourcequotas"),
        ("", "services"),
        ("", "endpoints"),
        ("scheduling.k8s.io", "priorityclasses"),
        ("storage.k8s.io", "storageclasses"),
    };
}
