using System.Text.Json.Nodes;
using ApiMachinery.Json;

namespace ApiServer.Registry.Conversion;

/// <summary>
/// autoscaling/v1 ⇄ autoscaling/v2 HorizontalPodAutoscalers (kube's pkg/apis/autoscaling/v1
/// conversion.go through the internal type, which is v2's shape). v1 says one thing, a target CPU
/// utilization; every other metric, the current metrics and the conditions travel in v1's
/// annotations, in v1's (v2beta1-like) metric shapes, so a v1 read-modify-write keeps them.
/// </summary>
internal static class HorizontalPodAutoscalers
{
    public const string MetricSpecsAnnotation = "autoscaling.alpha.kubernetes.io/metrics";
    public const string MetricStatusesAnnotation = "autoscaling.alpha.kubernetes.io/current-metrics";
    public const string ConditionsAnnotation = "autoscaling.alpha.kubernetes.io/conditions";

    /// <summary>kube's DefaultCPUUtilization: what a v1 autoscaler without a target means.</summary>
    private const int DefaultCpuUtilization = 80;

    private static readonly GroupVersionKind V1 = new("autoscaling", "v1", "HorizontalPodAutoscaler");
    private static readonly GroupVersionKind V2 = new("autoscaling", "v2", "HorizontalPodAutoscaler");

    public static JsonObject V2ToV1(JsonObject v2)
    {
        var v1 = BuiltinConversions.Typed(V1);
        var metadata = v2["metadata"]?.DeepClone() as JsonObject ?? [];
        v1["metadata"] = metadata;
        var spec = v2["spec"] as JsonObject ?? [];
        var status = v2["status"] as JsonObject ?? [];

        var v1Spec = new JsonObject();
        BuiltinConversions.Copy(spec, v1Spec, "scaleTargetRef");
        BuiltinConversions.Copy(spec, v1Spec, "minReplicas");
        BuiltinConversions.Copy(spec, v1Spec, "maxReplicas");
        var metrics = (spec["metrics"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        foreach (var metric in metrics)
        {
            if (metric.GetString("type") == "Resource" && metric["resource"] is JsonObject resource && resource.GetString("name") == "cpu")
            {
                if (resource["target"]?["averageUtilization"] is { } utilization)
                {
                    v1Spec["targetCPUUtilizationPercentage"] = utilization.DeepClone();
                }

                break;
            }
        }

        v1["spec"] = v1Spec;

        var v1Status = new JsonObject();
        BuiltinConversions.Copy(status, v1Status, "observedGeneration");
        BuiltinConversions.Copy(status, v1Status, "lastScaleTime");
        BuiltinConversions.Copy(status, v1Status, "currentReplicas");
        BuiltinConversions.Copy(status, v1Status, "desiredReplicas");
        var currentMetrics = (status["currentMetrics"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        foreach (var metric in currentMetrics)
        {
            if (metric.GetString("type") == "Resource" && metric["resource"] is JsonObject resource && resource.GetString("name") == "cpu"
                && resource["current"]?["averageUtilization"] is { } utilization)
            {
                v1Status["currentCPUUtilizationPercentage"] = utilization.DeepClone();
            }
        }

        v1["status"] = v1Status;

        // What v1 cannot say goes into annotations, compact JSON as Go's json.Marshal writes it.
        var otherMetrics = metrics.Where(m => !(m.GetString("type") == "Resource" && m["resource"] is JsonObject r && r.GetString("name") == "cpu"
            && r["target"]?["averageUtilization"] is not null)).Select(MetricSpecToV1).ToList();
        var conditions = (status["conditions"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (otherMetrics.Count > 0 || currentMetrics.Count > 0 || conditions.Count > 0)
        {
            var annotations = metadata["annotations"] as JsonObject ?? [];
            metadata["annotations"] = annotations;
            if (otherMetrics.Count > 0)
            {
                annotations[MetricSpecsAnnotation] = new JsonArray([.. otherMetrics]).ToJsonString();
            }

            if (currentMetrics.Count > 0)
            {
                annotations[MetricStatusesAnnotation] = new JsonArray([.. currentMetrics.Select(MetricStatusToV1)]).ToJsonString();
            }

            if (conditions.Count > 0)
            {
                annotations[ConditionsAnnotation] = new JsonArray([.. conditions.Select(Condition)]).ToJsonString();
            }
        }

        return v1;
    }

    public static JsonObject V1ToV2(JsonObject v1)
    {
        var v2 = BuiltinConversions.Typed(V2);
        var metadata = v1["metadata"]?.DeepClone() as JsonObject ?? [];
        v2["metadata"] = metadata;
        var annotations = metadata["annotations"] as JsonObject;
        var spec = v1["spec"] as JsonObject ?? [];
        var status = v1["status"] as JsonObject ?? [];

        var v2Spec = new JsonObject();
        BuiltinConversions.Copy(spec, v2Spec, "scaleTargetRef");
        BuiltinConversions.Copy(spec, v2Spec, "minReplicas");
        BuiltinConversions.Copy(spec, v2Spec, "maxReplicas");
        var metrics = new JsonArray();
        if (Take(annotations, MetricSpecsAnnotation) is JsonArray other)
        {
            foreach (var metric in other.OfType<JsonObject>())
            {
                metrics.Add(MetricSpecFromV1(metric));
            }
        }

        if (spec["targetCPUUtilizationPercentage"] is { } cpu)
        {
            metrics.Add(CpuUtilization(cpu.DeepClone()));
        }

        if (metrics.Count == 0)
        {
            // autoscaling/v1's implicit target, made explicit as kube's conversion does.
            metrics.Add(CpuUtilization(DefaultCpuUtilization));
        }

        v2Spec["metrics"] = metrics;
        v2["spec"] = v2Spec;

        var v2Status = new JsonObject();
        BuiltinConversions.Copy(status, v2Status, "observedGeneration");
        BuiltinConversions.Copy(status, v2Status, "lastScaleTime");
        BuiltinConversions.Copy(status, v2Status, "currentReplicas");
        BuiltinConversions.Copy(status, v2Status, "desiredReplicas");
        if (Take(annotations, MetricStatusesAnnotation) is JsonArray current)
        {
            v2Status["currentMetrics"] = new JsonArray([.. current.OfType<JsonObject>().Select(MetricStatusFromV1)]);
        }
        else if (status["currentCPUUtilizationPercentage"] is { } currentCpu)
        {
            v2Status["currentMetrics"] = new JsonArray(new JsonObject
            {
                ["type"] = "Resource",
                ["resource"] = new JsonObject { ["name"] = "cpu", ["current"] = new JsonObject { ["averageUtilization"] = currentCpu.DeepClone() } },
            });
        }

        if (Take(annotations, ConditionsAnnotation) is JsonArray conditions)
        {
            v2Status["conditions"] = new JsonArray([.. conditions.OfType<JsonObject>().Select(Condition)]);
        }

        if (annotations is { Count: 0 })
        {
            metadata.Remove("annotations");
        }

        v2["status"] = v2Status;
        return v2;
    }

    private static JsonObject CpuUtilization(JsonNode utilization) => new()
    {
        ["type"] = "Resource",
        ["resource"] = new JsonObject
        {
            ["name"] = "cpu",
            ["target"] = new JsonObject { ["type"] = "Utilization", ["averageUtilization"] = utilization },
        },
    };

    /// <summary>An annotation's JSON list, removed from the annotations (a malformed one is left and ignored).</summary>
    private static JsonArray? Take(JsonObject? annotations, string key)
    {
        if (annotations is null || annotations.GetString(key) is not { } text)
        {
            return null;
        }

        try
        {
            if (JsonNode.Parse(text) is JsonArray list)
            {
                annotations.Remove(key);
                return list;
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return null;
    }

    private static JsonObject Condition(JsonObject condition)
    {
        var result = new JsonObject();
        foreach (var field in new[] { "type", "status", "lastTransitionTime", "reason", "message" })
        {
            BuiltinConversions.Copy(condition, result, field);
        }

        return result;
    }

    // ---------------------------------------------------------------- metric specs

    /// <summary>A v2 MetricSpec in autoscaling/v1's annotation shape (v1.MetricSpec).</summary>
    private static JsonObject MetricSpecToV1(JsonObject metric)
    {
        var type = metric.GetString("type") ?? "";
        var result = new JsonObject { ["type"] = type };
        switch (type)
        {
            case "Object" when metric["object"] is JsonObject o:
                var objectSource = new JsonObject();
                CopyReference(o["describedObject"], objectSource, "target");
                BuiltinConversions.Copy(Obj(o, "metric"), objectSource, "name", "metricName");
                objectSource["targetValue"] = o["target"]?["value"]?.DeepClone() ?? "0";
                BuiltinConversions.Copy(Obj(o, "metric"), objectSource, "selector");
                BuiltinConversions.Copy(Obj(o, "target"), objectSource, "averageValue");
                result["object"] = objectSource;
                break;
            case "Pods" when metric["pods"] is JsonObject p:
                var podsSource = new JsonObject();
                BuiltinConversions.Copy(Obj(p, "metric"), podsSource, "name", "metricName");
                podsSource["targetAverageValue"] = p["target"]?["averageValue"]?.DeepClone() ?? "0";
                BuiltinConversions.Copy(Obj(p, "metric"), podsSource, "selector");
                result["pods"] = podsSource;
                break;
            case "Resource" when metric["resource"] is JsonObject r:
                result["resource"] = ResourceSourceToV1(r);
                break;
            case "ContainerResource" when metric["containerResource"] is JsonObject c:
                var container = ResourceSourceToV1(c);
                BuiltinConversions.Copy(c, container, "container");
                result["containerResource"] = container;
                break;
            case "External" when metric["external"] is JsonObject e:
                var external = new JsonObject();
                BuiltinConversions.Copy(Obj(e, "metric"), external, "name", "metricName");
                BuiltinConversions.Copy(Obj(e, "metric"), external, "selector", "metricSelector");
                BuiltinConversions.Copy(Obj(e, "target"), external, "value", "targetValue");
                BuiltinConversions.Copy(Obj(e, "target"), external, "averageValue", "targetAverageValue");
                result["external"] = external;
                break;
        }

        return result;
    }

    private static JsonObject ResourceSourceToV1(JsonObject source)
    {
        var result = new JsonObject();
        BuiltinConversions.Copy(source, result, "name");
        BuiltinConversions.Copy(Obj(source, "target"), result, "averageUtilization", "targetAverageUtilization");
        BuiltinConversions.Copy(Obj(source, "target"), result, "averageValue", "targetAverageValue");
        return result;
    }

    /// <summary>An annotation's v1.MetricSpec back in v2's shape.</summary>
    private static JsonObject MetricSpecFromV1(JsonObject metric)
    {
        var type = metric.GetString("type") ?? "";
        var result = new JsonObject { ["type"] = type };
        switch (type)
        {
            case "Object" when metric["object"] is JsonObject o:
                result["object"] = new JsonObject
                {
                    ["describedObject"] = Reference(o["target"]),
                    ["target"] = Target(o["averageValue"] is null ? "Value" : "AverageValue", value: o["targetValue"], averageValue: o["averageValue"]),
                    ["metric"] = Identifier(o["metricName"], o["selector"]),
                };
                break;
            case "Pods" when metric["pods"] is JsonObject p:
                result["pods"] = new JsonObject
                {
                    ["metric"] = Identifier(p["metricName"], p["selector"]),
                    ["target"] = Target("AverageValue", averageValue: p["targetAverageValue"]),
                };
                break;
            case "Resource" when metric["resource"] is JsonObject r:
                result["resource"] = ResourceSourceFromV1(r);
                break;
            case "ContainerResource" when metric["containerResource"] is JsonObject c:
                var container = ResourceSourceFromV1(c);
                BuiltinConversions.Copy(c, container, "container");
                result["containerResource"] = container;
                break;
            case "External" when metric["external"] is JsonObject e:
                result["external"] = new JsonObject
                {
                    ["metric"] = Identifier(e["metricName"], e["metricSelector"]),
                    ["target"] = Target(e["targetValue"] is null ? "AverageValue" : "Value", value: e["targetValue"], averageValue: e["targetAverageValue"]),
                };
                break;
        }

        return result;
    }

    private static JsonObject ResourceSourceFromV1(JsonObject source)
    {
        var result = new JsonObject();
        BuiltinConversions.Copy(source, result, "name");
        result["target"] = Target(source["targetAverageUtilization"] is null ? "AverageValue" : "Utilization",
            averageValue: source["targetAverageValue"], averageUtilization: source["targetAverageUtilization"]);
        return result;
    }

    // ---------------------------------------------------------------- metric statuses

    private static JsonObject MetricStatusToV1(JsonObject metric)
    {
        var type = metric.GetString("type") ?? "";
        var result = new JsonObject { ["type"] = type };
        switch (type)
        {
            case "Object" when metric["object"] is JsonObject o:
                var objectStatus = new JsonObject();
                CopyReference(o["describedObject"], objectStatus, "target");
                BuiltinConversions.Copy(Obj(o, "metric"), objectStatus, "name", "metricName");
                objectStatus["currentValue"] = o["current"]?["value"]?.DeepClone() ?? "0";
                BuiltinConversions.Copy(Obj(o, "metric"), objectStatus, "selector");
                BuiltinConversions.Copy(Obj(o, "current"), objectStatus, "averageValue");
                result["object"] = objectStatus;
                break;
            case "Pods" when metric["pods"] is JsonObject p:
                var podsStatus = new JsonObject();
                BuiltinConversions.Copy(Obj(p, "metric"), podsStatus, "name", "metricName");
                podsStatus["currentAverageValue"] = p["current"]?["averageValue"]?.DeepClone() ?? "0";
                BuiltinConversions.Copy(Obj(p, "metric"), podsStatus, "selector");
                result["pods"] = podsStatus;
                break;
            case "Resource" when metric["resource"] is JsonObject r:
                result["resource"] = ResourceStatusToV1(r);
                break;
            case "ContainerResource" when metric["containerResource"] is JsonObject c:
                var container = ResourceStatusToV1(c);
                BuiltinConversions.Copy(c, container, "container");
                result["containerResource"] = container;
                break;
            case "External" when metric["external"] is JsonObject e:
                var external = new JsonObject();
                BuiltinConversions.Copy(Obj(e, "metric"), external, "name", "metricName");
                BuiltinConversions.Copy(Obj(e, "metric"), external, "selector", "metricSelector");
                external["currentValue"] = e["current"]?["value"]?.DeepClone() ?? "0";
                BuiltinConversions.Copy(Obj(e, "current"), external, "averageValue", "currentAverageValue");
                result["external"] = external;
                break;
        }

        return result;
    }

    private static JsonObject ResourceStatusToV1(JsonObject status)
    {
        var result = new JsonObject();
        BuiltinConversions.Copy(status, result, "name");
        BuiltinConversions.Copy(Obj(status, "current"), result, "averageUtilization", "currentAverageUtilization");
        result["currentAverageValue"] = status["current"]?["averageValue"]?.DeepClone() ?? "0";
        return result;
    }

    private static JsonObject MetricStatusFromV1(JsonObject metric)
    {
        var type = metric.GetString("type") ?? "";
        var result = new JsonObject { ["type"] = type };
        switch (type)
        {
            case "Object" when metric["object"] is JsonObject o:
                result["object"] = new JsonObject
                {
                    ["metric"] = Identifier(o["metricName"], o["selector"]),
                    ["current"] = Current(value: o["currentValue"], averageValue: o["averageValue"]),
                    ["describedObject"] = Reference(o["target"]),
                };
                break;
            case "Pods" when metric["pods"] is JsonObject p:
                result["pods"] = new JsonObject
                {
                    ["metric"] = Identifier(p["metricName"], p["selector"]),
                    ["current"] = Current(averageValue: p["currentAverageValue"]),
                };
                break;
            case "Resource" when metric["resource"] is JsonObject r:
                result["resource"] = ResourceStatusFromV1(r);
                break;
            case "ContainerResource" when metric["containerResource"] is JsonObject c:
                var container = ResourceStatusFromV1(c);
                BuiltinConversions.Copy(c, container, "container");
                result["containerResource"] = container;
                break;
            case "External" when metric["external"] is JsonObject e:
                result["external"] = new JsonObject
                {
                    ["metric"] = Identifier(e["metricName"], e["metricSelector"]),
                    ["current"] = Current(value: e["currentValue"], averageValue: e["currentAverageValue"]),
                };
                break;
        }

        return result;
    }

    private static JsonObject ResourceStatusFromV1(JsonObject status)
    {
        var result = new JsonObject();
        BuiltinConversions.Copy(status, result, "name");
        result["current"] = Current(averageValue: status["currentAverageValue"], averageUtilization: status["currentAverageUtilization"]);
        return result;
    }

    // ---------------------------------------------------------------- pieces

    private static JsonObject Target(string type, JsonNode? value = null, JsonNode? averageValue = null, JsonNode? averageUtilization = null)
    {
        var target = new JsonObject { ["type"] = type };
        if (value is not null)
        {
            target["value"] = value.DeepClone();
        }

        if (averageValue is not null)
        {
            target["averageValue"] = averageValue.DeepClone();
        }

        if (averageUtilization is not null)
        {
            target["averageUtilization"] = averageUtilization.DeepClone();
        }

        return target;
    }

    private static JsonObject Current(JsonNode? value = null, JsonNode? averageValue = null, JsonNode? averageUtilization = null)
    {
        var current = Target("", value, averageValue, averageUtilization);
        current.Remove("type");
        return current;
    }

    private static JsonObject Identifier(JsonNode? name, JsonNode? selector)
    {
        var metric = new JsonObject { ["name"] = name?.DeepClone() ?? "" };
        if (selector is not null)
        {
            metric["selector"] = selector.DeepClone();
        }

        return metric;
    }

    private static JsonObject Reference(JsonNode? reference)
    {
        var result = new JsonObject();
        if (reference is JsonObject r)
        {
            foreach (var field in new[] { "kind", "name", "apiVersion" })
            {
                BuiltinConversions.Copy(r, result, field);
            }
        }

        return result;
    }

    private static void CopyReference(JsonNode? reference, JsonObject to, string field) => to[field] = Reference(reference);

    private static JsonObject? Obj(JsonObject obj, string field) => obj[field] as JsonObject;
}
