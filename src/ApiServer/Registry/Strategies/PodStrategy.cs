using System.Text.Json.Nodes;

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
        "status.podIPs" => ObjectMeta.GetString(obj["status"] as JsonObject, "podIP"),
        _ => base.FieldValue(obj, field),
    };

    public override void PrepareForCreate(JsonObject obj)
    {
        base.PrepareForCreate(obj);
        obj["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = QosClass(obj) };
    }

    public override long? GracefulDeletePeriod(JsonObject obj, long? requested)
    {
        var nodeName = ObjectMeta.GetString(obj["spec"] as JsonObject, "nodeName");
        var phase = ObjectMeta.GetString(obj["status"] as JsonObject, "phase");
        // A pod no kubelet runs, or one that has finished, has nobody to wait for.
        if (nodeName.Length == 0 || phase is "Succeeded" or "Failed")
        {
            return null;
        }

        var period = requested
            ?? (obj["spec"]?["terminationGracePeriodSeconds"] is JsonValue v && v.TryGetValue<long>(out var g) ? g : DefaultTerminationGracePeriodSeconds);
        return period > 0 ? period : null;
    }

    /// <summary>The QoS class (pkg/apis/core/helper/qos): BestEffort, Guaranteed or Burstable.</summary>
    private static string QosClass(JsonObject pod)
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
