using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Validation;

namespace ApiServer.Registry.Validation;

/// <summary>autoscaling/v2 (kube's pkg/apis/autoscaling/validation): HorizontalPodAutoscaler.</summary>
internal static class AutoscalingValidation
{
    /// <summary>kube validates its internal HPA, which is v2's shape: an autoscaling/v1 object is checked converted.</summary>
    private static JsonObject AsV2(JsonObject hpa) =>
        hpa.GetString("apiVersion") == "autoscaling/v1"
            ? Conversion.BuiltinConversions.Convert(hpa, new GroupVersionKind("autoscaling", "v2", "HorizontalPodAutoscaler"))
            : hpa;

    public static void HorizontalPodAutoscaler(JsonObject hpa, List<FieldError> errs)
    {
        hpa = AsV2(hpa);
        var spec = Read.Obj(hpa, "spec") ?? [];
        var path = FieldPath.New("spec");
        var min = Read.IntOrNull(spec, "minReplicas");
        var max = Read.Int(spec, "maxReplicas");
        if (min is < 1)
        {
            errs.Add(FieldError.Invalid(path.Child("minReplicas"), min.Value, "must be greater than or equal to 1"));
        }
        if (max < 1)
        {
            errs.Add(FieldError.Invalid(path.Child("maxReplicas"), max, "must be greater than 0"));
        }
        if (min is { } m && max < m)
        {
            errs.Add(FieldError.Invalid(path.Child("maxReplicas"), max, "must be greater than or equal to `minReplicas`"));
        }
        var reference = Read.Obj(spec, "scaleTargetRef");
        var refPath = path.Child("scaleTargetRef");
        var before = errs.Count;
        foreach (var field in new[] { "kind", "name" })
        {
            var value = reference.GetString(field) ?? "";
            if (value.Length == 0)
            {
                errs.Add(FieldError.Required(refPath.Child(field), ""));
            }
            else
            {
                errs.AddRange(NameValidation.IsValidPathSegmentName(value).Select(msg => FieldError.Invalid(refPath.Child(field), value, msg)));
            }
        }
        if (errs.Count > before)
        {
            return;
        }
        var metrics = Read.Items(spec, "metrics");
        for (var i = 0; i < metrics.Count; i++)
        {
            var type = metrics[i].GetString("type") ?? "";
            var metricPath = path.Child("metrics").Index(i);
            var source = type switch
            {
                "Object" => "object",
                "Pods" => "pods",
                "Resource" => "resource",
                "ContainerResource" => "containerResource",
                "External" => "external",
                _ => null,
            };
            if (type.Length == 0)
            {
                errs.Add(FieldError.Required(metricPath.Child("type"), "must specify a metric source type"));
            }
            else if (source is null)
            {
                errs.Add(FieldError.NotSupported(metricPath.Child("type"), type, ["ContainerResource", "External", "Object", "Pods", "Resource"]));
            }
            else if (!Read.Has(metrics[i], source))
            {
                errs.Add(FieldError.Required(metricPath.Child(source), $"must populate information for the given metric source"));
            }
            else if (Read.Obj(metrics[i][source], "target") is { } target)
            {
                var targetType = target.GetString("type") ?? "";
                Common.OneOf(errs, targetType, metricPath.Child(source, "target", "type"), "AverageValue", "Utilization", "Value");
                if (Read.IntOrNull(target, "averageUtilization") is <= 0 and var utilization)
                {
                    errs.Add(FieldError.Invalid(metricPath.Child(source, "target", "averageUtilization"), utilization, "must be greater than 0"));
                }
            }
        }
    }

    public static void HorizontalPodAutoscalerStatusUpdate(JsonObject hpa, JsonObject old, List<FieldError> errs)
    {
        (hpa, old) = (AsV2(hpa), AsV2(old));
        var status = Read.Obj(hpa, "status");
        Common.NonNegative(errs, Read.Int(status, "currentReplicas"), FieldPath.New("status", "currentReplicas"));
        Common.NonNegative(errs, Read.Int(status, "desiredReplicas"), FieldPath.New("status", "desiredReplicas"));
    }
}
