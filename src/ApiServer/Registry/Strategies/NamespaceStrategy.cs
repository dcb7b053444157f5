using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiMachinery.Validation;

namespace ApiServer.Registry.Strategies;

/// <summary>
/// Namespaces: created Active with the "kubernetes" finalizer and the kubernetes.io/metadata.name
/// label; deleting one makes it Terminating until the namespace controller has emptied it and
/// removed the finalizer through /finalize.
/// </summary>
internal sealed class NamespaceStrategy(ResourceDefinition resource) : ResourceStrategy(resource)
{
    public const string KubernetesFinalizer = "kubernetes";
    public const string NameLabel = "kubernetes.io/metadata.name";

    protected override IEnumerable<string> KindFields => ["status.phase"];

    public override void PrepareForCreate(JsonObject obj)
    {
        base.PrepareForCreate(obj);
        obj["status"] = new JsonObject { ["phase"] = "Active" };
        var spec = obj["spec"] as JsonObject ?? new JsonObject();
        obj["spec"] = spec;
        var finalizers = spec["finalizers"] as JsonArray ?? new JsonArray();
        if (!finalizers.Any(f => f?.GetValue<string>() == KubernetesFinalizer))
        {
            finalizers.Add(KubernetesFinalizer);
        }

        spec["finalizers"] = finalizers;
        SetNameLabel(obj);
    }

    public override void PrepareForUpdate(JsonObject obj, JsonObject old)
    {
        base.PrepareForUpdate(obj, old);
        // spec.finalizers change only through /finalize.
        if (old["spec"] is JsonObject oldSpec)
        {
            obj["spec"] = oldSpec.DeepClone();
        }

        SetNameLabel(obj);
    }

    /// <summary>The /finalize subresource: only spec.finalizers changes.</summary>
    public static JsonObject PrepareForFinalize(JsonObject obj, JsonObject old)
    {
        var result = (JsonObject)old.DeepClone();
        var spec = result["spec"] as JsonObject ?? new JsonObject();
        result["spec"] = spec;
        spec["finalizers"] = obj["spec"]?["finalizers"]?.DeepClone() ?? new JsonArray();
        ObjectMeta.Metadata(result)["resourceVersion"] = ObjectMeta.ResourceVersion(obj);
        return result;
    }

    public override bool HasPendingFinalizers(JsonObject obj) =>
        base.HasPendingFinalizers(obj) || SpecFinalizers(obj).Count > 0;

    public override void PrepareForFinalizingDelete(JsonObject obj)
    {
        var status = obj["status"] as JsonObject ?? new JsonObject();
        status["phase"] = "Terminating";
        obj["status"] = status;
    }

    public static IReadOnlyList<string> SpecFinalizers(JsonObject obj) => ObjectMeta.ReadStringList(obj["spec"]?["finalizers"] as JsonArray);

    public static bool IsTerminating(JsonObject obj) =>
        ObjectMeta.DeletionTimestamp(obj).Length > 0 || obj.GetString("status", "phase") == "Terminating";

    private static void SetNameLabel(JsonObject obj)
    {
        var metadata = ObjectMeta.Metadata(obj);
        var labels = metadata["labels"] as JsonObject ?? new JsonObject();
        labels[NameLabel] = ObjectMeta.Name(obj);
        metadata["labels"] = labels;
    }
}
