using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Meta;

namespace ApiServer.Registry.Strategies;

/// <summary>
/// Pods: created Pending with a QoS class; deleted at once unless a kubelet runs them (spec.nodeName
/// set and not finished), in which case they terminate gracefully; DELETE answers with the pod.
/// </summary>
internal sealed class PodStrategy(ResourceDefinition resource) : ResourceStrategy(resource)
{
    private const long DefaultTerminationGracePeriodSeconds = 30;

    public override IReadOnlyList<string> IndexedFields => ["spec.nodeName"];

    protected override IEnumerable<string> KindFields =>
    [
        "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork",
        "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName",
    ];

    public override string? FieldValue(JsonObject obj, string field) => field switch
    {
        // GetAttrs reports hostNetwork as "false" when unset.
        "spec.hostNetwork" => obj["spec"]?["hostNetwork"] is JsonValue v && v.TryGetValue<bool>(out var b) && b ? "true" : "false",
        "status.podIPs" => obj.GetString("status", "podIP") ?? "",
        _ => base.FieldValue(obj, field),
    };

    public override void PrepareForCreate(JsonObject obj)
    {
        base.PrepareForCreate(obj);
        obj["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = QosClass(obj) };
    }

    public override long? GracefulDeletePeriod(JsonObject obj, long? requested)
    {
        var nodeName = obj.GetString("spec", "nodeName") ?? "";
        var phase = obj.GetString("status", "phase") ?? "";
        // A pod no kubelet runs, or one that has finished, has nobody to wait for.
        if (nodeName.Length == 0 || phase is "Succeeded" or "Failed")
        {
            return null;
        }

        var period = requested
            ?? (obj["spec"]?["terminationGracePeriodSeconds"] is JsonValue v && v.TryGetValue<long>(out var g) ? g : DefaultTerminationGracePeriodSeconds);
        return period > 0 ? period : null;
    }

    /// <summary>
    /// The spec subresources: ephemeralcontainers changes spec.ephemeralContainers alone, resize the
    /// resources and resize policies of containers and sidecars alone (kube's dropNonEphemeralContainerUpdates
    /// and dropNonResizeUpdates); the rest is the stored pod.
    /// </summary>
    public override JsonObject PrepareForSubresourceUpdate(string subresource, JsonObject obj, JsonObject old) => subresource switch
    {
        "ephemeralcontainers" => KeepOnly(obj, old, (pod, from) => CopyField(pod["spec"]!.AsObject(), from["spec"] as JsonObject, "ephemeralContainers")),
        "resize" => DropNonResizeUpdates(obj, old),
        _ => obj,
    };

    /// <summary>Both spec subresources bump generation when the spec changes (kube's updatePodGeneration).</summary>
    public override bool SubresourceBumpsGeneration(string subresource) => subresource is "ephemeralcontainers" or "resize";

    public override IEnumerable<ApiMachinery.Validation.FieldError> ValidateSubresourceUpdate(string subresource, JsonObject obj, JsonObject old)
    {
        var errs = new List<ApiMachinery.Validation.FieldError>();
        switch (subresource)
        {
            case "ephemeralcontainers":
                Registry.Validation.PodSubresourceValidation.EphemeralContainersUpdate(obj, old, errs);
                return errs;
            case "resize":
                Registry.Validation.PodSubresourceValidation.Resize(obj, old, errs);
                return errs;
            default:
                return base.ValidateSubresourceUpdate(subresource, obj, old);
        }
    }

    private static JsonObject DropNonResizeUpdates(JsonObject obj, JsonObject old)
    {
        var spec = obj["spec"] as JsonObject ?? [];
        var oldSpec = old["spec"] as JsonObject ?? [];
        foreach (var list in new[] { "containers", "initContainers" })
        {
            var now = spec[list] as JsonArray ?? [];
            var before = oldSpec[list] as JsonArray ?? [];
            // Adding, removing, reordering or renaming containers is left for validation to refuse.
            if (now.Count != before.Count
                || now.Select(c => (c as JsonObject).GetString("name") ?? "").SequenceEqual(before.Select(c => (c as JsonObject).GetString("name") ?? "")) is false)
            {
                return obj;
            }
        }

        return KeepOnly(obj, old, (pod, from) =>
        {
            foreach (var list in new[] { "containers", "initContainers" })
            {
                var target = pod["spec"]?[list] as JsonArray ?? [];
                var source = from["spec"]?[list] as JsonArray ?? [];
                for (var i = 0; i < target.Count; i++)
                {
                    // Only sidecars (restartable init containers) are resized among init containers.
                    if (list == "initContainers" && ((source[i] as JsonObject).GetString("restartPolicy") ?? "") != "Always")
                    {
                        continue;
                    }

                    CopyField(target[i]!.AsObject(), source[i] as JsonObject, "resources");
                    CopyField(target[i]!.AsObject(), source[i] as JsonObject, "resizePolicy");
                }
            }
        });
    }

    /// <summary>The stored pod with what <paramref name="copy"/> takes from the request; metadata is the stored one but for the request's resourceVersion.</summary>
    private static JsonObject KeepOnly(JsonObject obj, JsonObject old, Action<JsonObject, JsonObject> copy)
    {
        var result = (JsonObject)old.DeepClone();
        result["spec"] ??= new JsonObject();
        copy(result, obj);
        ObjectMeta.Metadata(result)["resourceVersion"] = ObjectMeta.ResourceVersion(obj);
        return result;
    }

    private static void CopyField(JsonObject target, JsonObject? source, string field)
    {
        if (source?[field] is { } value)
        {
            target[field] = value.DeepClone();
        }
        else
        {
            target.Remove(field);
        }
    }

    /// <summary>The QoS class (pkg/apis/core/helper/qos): BestEffort, Guaranteed or Burstable.</summary>
    internal static string QosClass(JsonObject pod)
    {
        var containers = (pod["spec"]?["containers"] as JsonArray ?? []).Concat(pod["spec"]?["initContainers"] as JsonArray ?? []);
        bool anyResources = false, guaranteed = true;
        foreach (var container in containers.OfType<JsonObject>())
        {
            var requests = container["resources"]?["requests"] as JsonObject;
            var limits = container["resources"]?["limits"] as JsonObject;
            if (requests is { Count: > 0 } || limits is { Count: > 0 })
            {
                anyResources = true;
            }

            foreach (var resourceName in new[] { "cpu", "memory" })
            {
                var limit = limits?[resourceName]?.ToJsonString();
                var request = requests?[resourceName]?.ToJsonString() ?? limit;
                if (limit is null || request != limit)
                {
                    guaranteed = false;
                }
            }
        }

        return !anyResources ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
    }
}
