using System.Text.Json.Nodes;
using ApiMachinery.Json;

namespace ApiServer.Registry.Conversion;

/// <summary>
/// Conversion between the served versions of a built-in resource that share one storage (kube's
/// generated and hand-written conversions through the internal type): autoscaling/v1
/// HorizontalPodAutoscalers are stored as autoscaling/v2 (what v1 cannot say travels in kube's
/// annotations), and events.k8s.io/v1 Events are stored as core v1 Events.
/// </summary>
internal static class BuiltinConversions
{
    /// <summary>The storage version of each resource served in more than one version with conversion.</summary>
    private static readonly Dictionary<(string Group, string Plural), (string Group, string Version, string Kind)> Storage = new()
    {
        [("autoscaling", "horizontalpodautoscalers")] = ("autoscaling", "v2", "HorizontalPodAutoscaler"),
        [("events.k8s.io", "events")] = ("", "v1", "Event"),
    };

    /// <summary>The group/version/kind a served resource is stored as, when it is not its own.</summary>
    public static GroupVersionKind? StorageVersionOf(ResourceDefinition resource) =>
        Storage.TryGetValue((resource.Group, resource.Plural), out var storage) && (storage.Group, storage.Version) != (resource.Group, resource.Version)
            ? new GroupVersionKind(storage.Group, storage.Version, storage.Kind)
            : null;

    /// <summary>The version whose objects etcd holds for this resource (kube's storage version, as discovery hashes it).</summary>
    public static GroupVersionKind StorageGvk(ResourceDefinition resource) => StorageVersionOf(resource) ?? resource.Gvk;

    /// <summary>Converts <paramref name="obj"/> (any served version of its kind) to <paramref name="to"/>; a new object.</summary>
    public static JsonObject Convert(JsonObject obj, GroupVersionKind to)
    {
        var from = obj.GetString("apiVersion") ?? "";
        if (from == to.ApiVersion)
        {
            return obj;
        }

        return (from, to.ApiVersion) switch
        {
            ("autoscaling/v1", "autoscaling/v2") => HorizontalPodAutoscalers.V1ToV2(obj),
            ("autoscaling/v2", "autoscaling/v1") => HorizontalPodAutoscalers.V2ToV1(obj),
            ("events.k8s.io/v1", "v1") => Events.EventsV1ToCore(obj),
            ("v1", "events.k8s.io/v1") => Events.CoreToEventsV1(obj),
            _ => throw new InvalidOperationException($"no conversion from {from} to {to.ApiVersion} for {to.Kind}"),
        };
    }

    /// <summary>A new object with kind and apiVersion first, as the registry writes them.</summary>
    internal static JsonObject Typed(GroupVersionKind gvk) => new() { ["kind"] = gvk.Kind, ["apiVersion"] = gvk.ApiVersion };

    internal static void Copy(JsonObject? from, JsonObject to, string field, string? as_ = null)
    {
        if (from?[field] is { } value)
        {
            to[as_ ?? field] = value.DeepClone();
        }
    }
}
