using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Validation;

namespace ApiServer.Registry.Validation;

/// <summary>coordination.k8s.io/v1 (kube's pkg/apis/coordination/validation): Lease.</summary>
internal static class CoordinationValidation
{
    public static void Lease(JsonObject lease, List<FieldError> errs)
    {
        var spec = Read.Obj(lease, "spec");
        var path = FieldPath.New("spec");
        if (Read.IntOrNull(spec, "leaseDurationSeconds") is <= 0 and var duration)
        {
            errs.Add(FieldError.Invalid(path.Child("leaseDurationSeconds"), duration, "must be greater than 0"));
        }
        if (Read.IntOrNull(spec, "leaseTransitions") is < 0 and var transitions)
        {
            errs.Add(FieldError.Invalid(path.Child("leaseTransitions"), transitions, "must be greater than or equal to 0"));
        }
        if (spec.GetString("strategy") is { } strategy)
        {
            if (strategy != "OldestEmulationVersion" && !strategy.Contains('/'))
            {
                errs.Add(FieldError.NotSupported(path.Child("strategy"), strategy, ["OldestEmulationVersion"]));
            }
        }
        if (spec.GetString("preferredHolder") is { Length: > 0 } && spec.GetString("strategy") is null)
        {
            errs.Add(FieldError.Forbidden(path.Child("preferredHolder"), "may only be specified if `strategy` is defined"));
        }
    }
}
