using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiMachinery.Validation;
using ApiServer.Registry;
using ApiServer.Registry.Strategies;

namespace ApiServer.CustomResources;

/// <summary>
/// The rules of CustomResourceDefinitions (apiextensions-apiserver pkg/registry/customresourcedefinition):
/// v1 defaults, kube's validation, status owned by the server (acceptedNames and conditions through
/// the status subresource, storedVersions kept by every write), generation bumped by spec changes,
/// and a first delete that only marks the CRD terminating with the cleanup finalizer, so that its
/// objects are removed (by <see cref="CustomResourceDefinitionController"/>) before it goes.
/// </summary>
internal sealed class CustomResourceDefinitionStrategy(ResourceDefinition resource, TimeProvider time) : ResourceStrategy(resource)
{
    public override bool AllowUnconditionalUpdate => false;

    public override void ApplyDefaults(JsonObject obj)
    {
        if (obj["spec"] is not JsonObject spec)
        {
            return;
        }

        if (spec["names"] is JsonObject names)
        {
            var kind = names.GetString("kind") ?? "";
            if ((names.GetString("singular") ?? "").Length == 0 && kind.Length > 0)
            {
                names["singular"] = kind.ToLowerInvariant();
            }

            if ((names.GetString("listKind") ?? "").Length == 0 && kind.Length > 0)
            {
                names["listKind"] = kind + "List";
            }
        }

        if (spec["conversion"] is not JsonObject conversion)
        {
            spec["conversion"] = new JsonObject { ["strategy"] = "None" };
        }
        else if (conversion["webhook"]?["clientConfig"]?["service"] is JsonObject service && service["port"] is null)
        {
            service["port"] = 443;
        }
    }

    public override void PrepareForCreate(JsonObject obj)
    {
        // The status is the server's: the names are accepted and conditions set by the controller.
        var status = new JsonObject { ["acceptedNames"] = new JsonObject { ["plural"] = "", ["kind"] = "" } };
        if (StorageVersion(obj) is { } storage)
        {
            status["storedVersions"] = new JsonArray(storage);
        }

        obj["status"] = status;
    }

    public override void PrepareForUpdate(JsonObject obj, JsonObject old)
    {
        obj["status"] = old["status"]?.DeepClone();
        RecordStorageVersion(obj);
    }

    /// <summary>A status write changes the status (and metadata, as kube's CRD status strategy lets it), never the spec.</summary>
    public override JsonObject PrepareForStatusUpdate(JsonObject obj, JsonObject old)
    {
        var result = (JsonObject)obj.DeepClone();
        result["spec"] = old["spec"]?.DeepClone();
        return result;
    }

    public override IEnumerable<FieldError> Validate(JsonObject obj) => CustomResourceDefinitionValidation.ValidateCreate(obj);

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old) => CustomResourceDefinitionValidation.ValidateUpdate(obj, old);

    public override IEnumerable<FieldError> ValidateStatusUpdate(JsonObject obj, JsonObject old) => CustomResourceDefinitionValidation.ValidateStatusUpdate(obj);

    /// <summary>The first delete only marks the CRD (with the cleanup finalizer); later ones wait for the finalizers.</summary>
    public override bool HasPendingFinalizers(JsonObject obj) =>
        ObjectMeta.DeletionTimestamp(obj).Length == 0 || ObjectMeta.Finalizers(obj).Count > 0;

    public override void PrepareForFinalizingDelete(JsonObject obj)
    {
        var metadata = ObjectMeta.Metadata(obj);
        if (!ObjectMeta.Finalizers(obj).Contains(CustomResourceDefinitionInfo.CleanupFinalizer))
        {
            var finalizers = metadata["finalizers"] as JsonArray;
            if (finalizers is null)
            {
                finalizers = [];
                metadata["finalizers"] = finalizers;
            }

            finalizers.Add(CustomResourceDefinitionInfo.CleanupFinalizer);
        }

        if (!CrdConditions.IsTrue(obj, "Terminating"))
        {
            CrdConditions.Set(obj, "Terminating", "True", "InstanceDeletionPending",
                "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon", time.GetUtcNow());
        }
    }

    private static string? StorageVersion(JsonObject obj) =>
        (obj["spec"]?["versions"] as JsonArray ?? []).OfType<JsonObject>()
            .FirstOrDefault(v => v["storage"] is JsonValue s && s.TryGetValue<bool>(out var storage) && storage) is { } version
            ? version.GetString("name") ?? ""
            : null;

    /// <summary>Every version ever used for storage stays in status.storedVersions (kube's strategy appends it).</summary>
    private static void RecordStorageVersion(JsonObject obj)
    {
        if (StorageVersion(obj) is not { } storage)
        {
            return;
        }

        if (obj["status"] is not JsonObject status)
        {
            status = [];
            obj["status"] = status;
        }

        if (status["storedVersions"] is not JsonArray stored)
        {
            stored = [];
            status["storedVersions"] = stored;
        }

        if (!stored.Any(v => v?.GetValue<string>() == storage))
        {
            stored.Add(storage);
        }
    }
}
