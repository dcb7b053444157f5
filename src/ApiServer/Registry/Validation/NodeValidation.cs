using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Validation;

namespace ApiServer.Registry.Validation;

/// <summary>node.k8s.io/v1 (kube's pkg/apis/node/validation): RuntimeClass.</summary>
internal static class NodeValidation
{
    public static void RuntimeClass(JsonObject rc, List<FieldError> errs)
    {
        var handler = rc.GetString("handler") ?? "";
        errs.AddRange(NameValidation.NameIsDNSLabel(handler, false).Select(m => FieldError.Invalid(FieldPath.New("handler"), handler, m)));
        foreach (var (name, value) in Read.Obj(rc["overhead"], "podFixed") ?? [])
        {
            Common.NonNegativeQuantity(errs, value, FieldPath.New("overhead", "podFixed").Key(name));
        }
        if (Read.Obj(rc, "scheduling") is { } scheduling)
        {
            Common.Labels(errs, Read.Map(scheduling, "nodeSelector"), FieldPath.New("scheduling", "nodeSelector"));
            PodValidation.Tolerations(errs, Read.Items(scheduling, "tolerations"), FieldPath.New("scheduling", "tolerations"));
        }
    }

    public static void RuntimeClassUpdate(JsonObject rc, JsonObject old, List<FieldError> errs)
    {
        RuntimeClass(rc, errs);
        Common.Immutable(errs, rc["handler"], old["handler"], FieldPath.New("handler"));
    }
}
