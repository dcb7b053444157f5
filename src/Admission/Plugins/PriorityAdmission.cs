using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.Json;

namespace Admission.Plugins;

/// <summary>
/// kube-apiserver's Priority plugin (plugin/pkg/admission/priority): a new pod's priorityClassName
/// (or the globalDefault class, or none) becomes spec.priority and spec.preemptionPolicy; a pod
/// may not state a different priority itself; and only one PriorityClass may be the global default.
/// </summary>
public sealed class PriorityAdmission(IAdmissionObjects objects) : IMutatingAdmissionPlugin, IValidatingAdmissionPlugin
{
    public const string PreemptLowerPriority = "PreemptLowerPriority";

    public string Name => AdmissionPlugins.Priority;

    public bool Handles(AdmissionOperation operation) => operation is AdmissionOperation.Create or AdmissionOperation.Update;

    public async ValueTask AdmitAsync(AdmissionAttributes a, CancellationToken cancellationToken)
    {
        if (!PodJson.IsPod(a) || a.Object is not { } pod)
        {
            return;
        }

        var spec = PodJson.Spec(pod);
        if (a.Operation == AdmissionOperation.Update)
        {
            // Set at create; an update that leaves them out keeps them (validation forbids changes).
            foreach (var field in new[] { "priority", "preemptionPolicy" })
            {
                if (spec[field] is null && a.OldObject?["spec"]?[field] is { } kept)
                {
                    spec[field] = kept.DeepClone();
                }
            }

            return;
        }

        string className;
        long priority;
        string? policy;
        var requested = spec.GetString("priorityClassName") ?? "";
        if (requested.Length == 0)
        {
            var classes = await objects.ListAsync("scheduling.k8s.io", "priorityclasses", "", cancellationToken).ConfigureAwait(false);
            var globalDefault = classes.Where(c => PodJson.Bool(c, "globalDefault") == true).MinBy(Value);
            (className, priority, policy) = globalDefault is null
                ? ("", 0L, PreemptLowerPriority)
                : (globalDefault["metadata"].GetString("name") ?? "", Value(globalDefault), Policy(globalDefault));
            if (className.Length > 0)
            {
                spec["priorityClassName"] = className;
            }
        }
        else
        {
            var priorityClass = await objects.GetAsync("scheduling.k8s.io", "priorityclasses", "", requested, cancellationToken).ConfigureAwait(false)
                ?? throw StatusException.NewForbidden(a.Group, a.Resource, a.Name, $"no PriorityClass with name {requested} was found");
            priority = Value(priorityClass);
            policy = Policy(priorityClass);
        }

        if (spec["priority"] is JsonValue given && given.TryGetValue<long>(out var stated) && stated != priority)
        {
            throw StatusException.NewForbidden(a.Group, a.Resource, a.Name,
                $"the integer value of priority ({stated}) must not be provided in pod spec; priority admission controller computed {priority} from the given PriorityClass name");
        }

        spec["priority"] = priority;
        if (policy is not null)
        {
            var statedPolicy = spec.GetString("preemptionPolicy") ?? "";
            if (statedPolicy.Length > 0 && statedPolicy != policy)
            {
                throw StatusException.NewForbidden(a.Group, a.Resource, a.Name,
                    $"the string value of PreemptionPolicy ({statedPolicy}) must not be provided in pod spec; priority admission controller computed {policy} from the given PriorityClass name");
            }

            spec["preemptionPolicy"] = policy;
        }
    }

    public async ValueTask ValidateAsync(AdmissionAttributes a, CancellationToken cancellationToken)
    {
        if (a.Group != "scheduling.k8s.io" || a.Resource != "priorityclasses" || a.Subresource.Length > 0 || a.Object is not { } pc)
        {
            return;
        }

        if (PodJson.Bool(pc, "globalDefault") != true)
        {
            return;
        }

        var classes = await objects.ListAsync("scheduling.k8s.io", "priorityclasses", "", cancellationToken).ConfigureAwait(false);
        var other = classes.FirstOrDefault(c => PodJson.Bool(c, "globalDefault") == true && (c["metadata"].GetString("name") ?? "") != a.Name);
        if (other is not null)
        {
            throw StatusException.NewForbidden(a.Group, a.Resource, a.Name,
                $"PriorityClass {other["metadata"].GetString("name") ?? ""} is already marked as default. Only one default can exist");
        }
    }

    private static long Value(JsonObject priorityClass) =>
        priorityClass["value"] is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;

    /// <summary>The class's policy; PreemptLowerPriority is what API defaulting gives a class without one.</summary>
    private static string Policy(JsonObject priorityClass) =>
        priorityClass.GetString("preemptionPolicy") is { Length: > 0 } p ? p : PreemptLowerPriority;
}
