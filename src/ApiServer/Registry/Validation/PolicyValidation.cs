using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Validation;

namespace ApiServer.Registry.Validation;

/// <summary>policy/v1 (kube's pkg/apis/policy/validation): PodDisruptionBudget.</summary>
internal static class PolicyValidation
{
    public static void PodDisruptionBudget(JsonObject pdb, List<FieldError> errs)
    {
        var spec = Read.Obj(pdb, "spec") ?? [];
        var path = FieldPath.New("spec");
        if (Read.Has(spec, "minAvailable") && Read.Has(spec, "maxUnavailable"))
        {
            errs.Add(FieldError.Invalid(path, new GoValue("policy.PodDisruptionBudgetSpec{...}"), "minAvailable and maxUnavailable cannot be both set"));
        }
        foreach (var field in new[] { "minAvailable", "maxUnavailable" })
        {
            if (spec[field] is { } value)
            {
                AppsValidation.PositiveIntOrPercent(errs, value, path.Child(field));
                AppsValidation.NotMoreThan100Percent(errs, value, path.Child(field));
            }
        }
        Common.LabelSelector(errs, Read.Obj(spec, "selector"), path.Child("selector"));
        if (spec.GetString("unhealthyPodEvictionPolicy") is { } policy && policy is not ("AlwaysAllow" or "IfHealthyBudget"))
        {
            errs.Add(FieldError.NotSupported(path.Child("unhealthyPodEvictionPolicy"), policy, ["AlwaysAllow", "IfHealthyBudget"]));
        }
    }

    public static void PodDisruptionBudgetStatusUpdate(JsonObject pdb, JsonObject old, List<FieldError> errs)
    {
        var status = Read.Obj(pdb, "status");
        var path = FieldPath.New("status");
        foreach (var field in new[] { "disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods" })
        {
            Common.NonNegative(errs, Read.Int(status, field), path.Child(field));
        }
    }
}
