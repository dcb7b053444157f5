namespace ApiServer.Registry;

/// <summary>
/// The one key function: <c>{prefix}/{segment}/[{namespace}/]{name}</c>, where segment is the
/// resource's storage segment (the plural, or kube-apiserver's historical name such as
/// services/specs or minions). Every etcd key the server reads or writes comes from here.
/// </summary>
internal sealed class StorageKeys(string prefix)
{
    private readonly string _prefix = prefix.TrimEnd('/');

    /// <summary>The key of one object.</summary>
    public string ObjectKey(ResourceDefinition resource, string? ns, string name) =>
        resource.Namespaced ? $"{_prefix}/{resource.StorageSegment}/{ns}/{name}" : $"{_prefix}/{resource.StorageSegment}/{name}";

    /// <summary>The prefix (ending in '/') under which a list of the resource lives, for one namespace or all.</summary>
    public string ListPrefix(ResourceDefinition resource, string? ns) =>
        resource.Namespaced && !string.IsNullOrEmpty(ns)
            ? $"{_prefix}/{resource.StorageSegment}/{ns}/"
            : $"{_prefix}/{resource.StorageSegment}/";

    /// <summary>The part of a key after the resource prefix ("ns/name" or "name"), as continue tokens carry it.</summary>
    public string KeySuffix(ResourceDefinition resource, string key) =>
        key[($"{_prefix}/{resource.StorageSegment}/".Length)..];

    /// <summary>The full key for a continue token's suffix.</summary>
    public string FromSuffix(ResourceDefinition resource, string suffix) => $"{_prefix}/{resource.StorageSegment}/{suffix}";
}
