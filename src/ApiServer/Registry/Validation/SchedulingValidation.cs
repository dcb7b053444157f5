using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Validation;

namespace ApiServer.Registry.Validation;

/// <summary>scheduling.k8s.io/v1 (kube's pkg/apis/scheduling/validation): PriorityClass.</summary>
internal static class SchedulingValidation
{
    /// <summary>The largest value a class not named system-* may have.</summary>
    public const long HighestUserDefinablePriority = 1_000_000_000;

    private static readonly Dictionary<string, long> SystemClasses = new(StringComparer.Ordinal)
    {
        ["system-node-critical"] = 2_000_001_000,
        ["system-cluster-critical"] = 2_000_000_000,
    };

    public static void PriorityClass(JsonObject pc, List<FieldError> errs)
    {
        var name = pc["metadata"].GetString("name") ?? "";
        var value = Read.Int(pc, "value");
        if (name.StartsWith("system-", StringComparison.Ordinal))
        {
            string? problem = null;
            if (!SystemClasses.TryGetValue(name, out var expected))
            {
                problem = $"{name} is not a known system priority class";
            }
            else if (expected != value)
            {
                problem = $"value of {name} PriorityClass must be {expected}";
            }
            else if (Read.Bool(pc, "globalDefault"))
            {
                problem = $"globalDefault of {name} PriorityClass must be false";
            }
            if (problem is not null)
            {
                errs.Add(FieldError.Forbidden(FieldPath.New("metadata", "name"), "priority class names with 'system-' prefix are reserved for system use only. error: " + problem));
            }
        }
        else if (value > HighestUserDefinablePriority)
        {
            errs.Add(FieldError.Forbidden(FieldPath.New("value"), $"maximum allowed value of a user defined priority is {HighestUserDefinablePriority}"));
        }
        if (pc.GetString("preemptionPolicy") is { } policy)
        {
            Common.OneOf(errs, policy, FieldPath.New("preemptionPolicy"), "Never", "PreemptLowerPriority");
        }
    }

    public static void PriorityClassUpdate(JsonObject pc, JsonObject old, List<FieldError> errs)
    {
        if (Read.Int(pc, "value") != Read.Int(old, "value"))
        {
            errs.Add(FieldError.Forbidden(FieldPath.New("value"), "may not be changed in an update."));
        }
        Common.Immutable(errs, pc["preemptionPolicy"], old["preemptionPolicy"], FieldPath.New("preemptionPolicy"));
    }
}
