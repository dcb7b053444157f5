using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Validation;

namespace ApiServer.Registry.Validation;

/// <summary>flowcontrol.apiserver.k8s.io/v1 (kube's pkg/apis/flowcontrol/validation), in its required fields and ranges.</summary>
internal static class FlowControlValidation
{
    public static void FlowSchema(JsonObject schema, List<FieldError> errs)
    {
        var spec = Read.Obj(schema, "spec") ?? [];
        var path = FieldPath.New("spec");
        var precedence = Read.Int(spec, "matchingPrecedence");
        if (precedence is <= 0 or > 10000)
        {
            errs.Add(FieldError.Invalid(path.Child("matchingPrecedence"), precedence, "must be between 1 and 10000, inclusive"));
        }
        if (Read.Obj(spec, "distinguisherMethod") is { } method)
        {
            Common.OneOf(errs, method.GetString("type") ?? "", path.Child("distinguisherMethod", "type"), "ByNamespace", "ByUser");
        }
        if ((spec["priorityLevelConfiguration"].GetString("name") ?? "").Length == 0)
        {
            errs.Add(FieldError.Required(path.Child("priorityLevelConfiguration", "name"), "must reference a priority level"));
        }
        var rules = Read.Items(spec, "rules");
        for (var i = 0; i < rules.Count; i++)
        {
            if (Read.Count(rules[i], "subjects") == 0)
            {
                errs.Add(FieldError.Required(path.Child("rules").Index(i).Child("subjects"), "subjects must contain at least one value"));
            }
            if (Read.Count(rules[i], "resourceRules") == 0 && Read.Count(rules[i], "nonResourceRules") == 0)
            {
                errs.Add(FieldError.Required(path.Child("rules").Index(i), "at least one of resourceRules and nonResourceRules has to be non-empty"));
            }
        }
    }

    public static void PriorityLevelConfiguration(JsonObject level, List<FieldError> errs)
    {
        var spec = Read.Obj(level, "spec") ?? [];
        var path = FieldPath.New("spec");
        switch (spec.GetString("type") ?? "")
        {
            case "Exempt":
                if (Read.Has(spec, "limited"))
                {
                    errs.Add(FieldError.Forbidden(path.Child("limited"), "must be nil if the type is not Limited"));
                }
                break;
            case "Limited":
                if (Read.Obj(spec, "limited") is not { } limited)
                {
                    errs.Add(FieldError.Required(path.Child("limited"), "must not be empty when type is Limited"));
                    break;
                }
                var p = path.Child("limited");
                var lendable = Read.Int(limited, "lendablePercent");
                if (lendable is < 0 or > 100)
                {
                    errs.Add(FieldError.Invalid(p.Child("lendablePercent"), lendable, "must be between 0 and 100, inclusive"));
                }
                if (Read.Obj(limited, "limitResponse") is { } response)
                {
                    Common.OneOf(errs, response.GetString("type") ?? "", p.Child("limitResponse", "type"), "Queue", "Reject");
                }
                break;
            default:
                errs.Add(FieldError.NotSupported(path.Child("type"), spec.GetString("type") ?? "", ["Exempt", "Limited"]));
                break;
        }
    }
}
