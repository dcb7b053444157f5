using System.Text.Json.Nodes;
using ApiMachinery.Json;

namespace Admission.Plugins;

/// <summary>
/// kube-apiserver's DefaultTolerationSeconds: a new pod that does not already tolerate them gets
/// NoExecute tolerations of the not-ready and unreachable node taints for a limited time
/// (--default-not-ready-toleration-seconds, --default-unreachable-toleration-seconds; 300 s each).
/// </summary>
public sealed class DefaultTolerationSeconds(long notReadySeconds = 300, long unreachableSeconds = 300) : IMutatingAdmissionPlugin
{
    public const string NotReadyTaint = "node.kubernetes.io/not-ready";
    public const string UnreachableTaint = "node.kubernetes.io/unreachable";

    public string Name => AdmissionPlugins.DefaultTolerationSeconds;

    public bool Handles(AdmissionOperation operation) => operation == AdmissionOperation.Create;

    public ValueTask AdmitAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        if (!PodJson.IsPod(attributes) || attributes.Object is not { } pod)
        {
            return ValueTask.CompletedTask;
        }

        var spec = PodJson.Spec(pod);
        var existing = (spec["tolerations"] as JsonArray ?? []).OfType<JsonObject>().ToArray();
        bool Tolerates(string taint) => existing.Any(t =>
            (t.GetString("key") ?? "") is var key && (key == taint || key.Length == 0)
            && (t.GetString("effect") ?? "") is "NoExecute" or "");

        var notReady = Tolerates(NotReadyTaint);
        var unreachable = Tolerates(UnreachableTaint);
        if (!notReady)
        {
            PodJson.Array(spec, "tolerations").Add(Toleration(NotReadyTaint, notReadySeconds));
        }

        if (!unreachable)
        {
            PodJson.Array(spec, "tolerations").Add(Toleration(UnreachableTaint, unreachableSeconds));
        }

        return ValueTask.CompletedTask;
    }

    private static JsonObject Toleration(string key, long seconds) => new()
    {
        ["key"] = key,
        ["operator"] = "Exists",
        ["effect"] = "NoExecute",
        ["tolerationSeconds"] = seconds,
    };
}
