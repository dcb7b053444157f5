using k8s;
using k8s.Models;

namespace ClientTools.Cache;

/// <summary>The cache and work-queue keys kube's controllers use: "namespace/name", or "name" for cluster-scoped objects.</summary>
public static class ObjectKeys
{
    public static string KeyOf(IMetadata<V1ObjectMeta> obj) => KeyOf(obj.Metadata?.NamespaceProperty, obj.Metadata?.Name ?? "");

    public static string KeyOf(string? ns, string name) => string.IsNullOrEmpty(ns) ? name : ns + "/" + name;

    /// <summary>Splits a key into namespace (empty for cluster-scoped) and name.</summary>
    public static (string Namespace, string Name) Split(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? ("", key) : (key[..slash], key[(slash + 1)..]);
    }
}
