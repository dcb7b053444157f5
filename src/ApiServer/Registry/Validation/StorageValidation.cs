using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Validation;

namespace ApiServer.Registry.Validation;

/// <summary>
/// storage.k8s.io/v1 (kube's pkg/apis/storage/validation): StorageClass, CSIDriver, CSINode,
/// CSIStorageCapacity, VolumeAttachment, VolumeAttributesClass.
/// </summary>
internal static class StorageValidation
{
    private const int MaxParameters = 512;
    private const int MaxParametersSize = 256 * 1024;

    // ------------------------------------------------------------------ StorageClass

    public static void StorageClass(JsonObject sc, List<FieldError> errs)
    {
        var provisioner = sc.GetString("provisioner") ?? "";
        if (provisioner.Length == 0)
        {
            errs.Add(FieldError.Required(FieldPath.New("provisioner"), ""));
        }
        else
        {
            Common.QualifiedName(errs, provisioner.ToLowerInvariant(), FieldPath.New("provisioner"));
        }
        Parameters(errs, Read.Obj(sc, "parameters"), FieldPath.New("parameters"), allowEmpty: true);
        if (sc.GetString("reclaimPolicy") is { Length: > 0 } reclaim && reclaim is not ("Delete" or "Retain"))
        {
            errs.Add(FieldError.NotSupported(FieldPath.New("reclaimPolicy"), reclaim, ["Delete", "Retain"]));
        }
        var mode = sc.GetString("volumeBindingMode");
        if (mode is null)
        {
            errs.Add(FieldError.Required(FieldPath.New("volumeBindingMode"), ""));
        }
        else if (mode is not ("Immediate" or "WaitForFirstConsumer"))
        {
            errs.Add(FieldError.NotSupported(FieldPath.New("volumeBindingMode"), mode, ["Immediate", "WaitForFirstConsumer"]));
        }
        var topologies = Read.Items(sc, "allowedTopologies");
        for (var i = 0; i < topologies.Count; i++)
        {
            var expressions = Read.Items(topologies[i], "matchLabelExpressions");
            var path = FieldPath.New("allowedTopologies").Index(i).Child("matchLabelExpressions");
            if (expressions.Count == 0)
            {
                errs.Add(FieldError.Required(path, "must contain at least one requirement"));
            }
            for (var j = 0; j < expressions.Count; j++)
            {
                errs.AddRange(ObjectMetaValidator.ValidateLabelName(expressions[j].GetString("key") ?? "", path.Index(j).Child("key")));
                if (Read.Count(expressions[j], "values") == 0)
                {
                    errs.Add(FieldError.Required(path.Index(j).Child("values"), "must specify as least one value"));
                }
            }
        }
    }

    public static void StorageClassUpdate(JsonObject sc, JsonObject old, List<FieldError> errs)
    {
        StorageClass(sc, errs);
        if (!Read.DeepEquals(sc["parameters"], old["parameters"]))
        {
            errs.Add(FieldError.Forbidden(FieldPath.New("parameters"), "updates to parameters are forbidden."));
        }
        if ((sc.GetString("provisioner") ?? "") != (old.GetString("provisioner") ?? ""))
        {
            errs.Add(FieldError.Forbidden(FieldPath.New("provisioner"), "updates to provisioner are forbidden."));
        }
        if ((sc.GetString("reclaimPolicy") ?? "") != (old.GetString("reclaimPolicy") ?? ""))
        {
            errs.Add(FieldError.Forbidden(FieldPath.New("reclaimPolicy"), "updates to reclaimPolicy are forbidden."));
        }
        Common.Immutable(errs, sc["volumeBindingMode"], old["volumeBindingMode"], FieldPath.New("volumeBindingMode"));
    }

    private static void Parameters(List<FieldError> errs, JsonObject? parameters, FieldPath path, bool allowEmpty)
    {
        var count = parameters?.Count ?? 0;
        if (count > MaxParameters)
        {
            errs.Add(FieldError.TooMany(path, count, MaxParameters));
            return;
        }
        long total = 0;
        foreach (var (key, value) in parameters ?? [])
        {
            if (key.Length == 0)
            {
                errs.Add(FieldError.Invalid(path, key, "field can not be empty."));
            }
            total += key.Length + (Read.QuantityText(value)?.Length ?? 0);
        }
        if (total > MaxParametersSize)
        {
            errs.Add(FieldError.TooLong(path, MaxParametersSize));
        }
        if (!allowEmpty && count == 0)
        {
            errs.Add(FieldError.Required(path, "must contain at least one key/value pair"));
        }
    }

    // ------------------------------------------------------------------ CSIDriver

    /// <summary>CSI driver names: DNS subdomains of at most 63 characters.</summary>
    public static IReadOnlyList<string> CsiDriverName(string name, bool prefix)
    {
        var errs = new List<string>(NameValidation.NameIsDNSSubdomain(name, prefix));
        if (name.Length > 63)
        {
            errs.Add(NameValidation.MaxLenError(63));
        }
        return errs;
    }

    public static void CsiDriver(JsonObject driver, List<FieldError> errs)
    {
        var spec = Read.Obj(driver, "spec") ?? [];
        var path = FieldPath.New("spec");
        foreach (var field in new[] { "attachRequired", "podInfoOnMount", "storageCapacity", "requiresRepublish" })
        {
            if (!Read.Has(spec, field))
            {
                errs.Add(FieldError.Required(path.Child(field), ""));
            }
        }
        if (spec.GetString("fsGroupPolicy") is { } fsGroupPolicy)
        {
            Common.OneOf(errs, fsGroupPolicy, path.Child("fsGroupPolicy"), "File", "None", "ReadWriteOnceWithFSType");
        }
        else
        {
            errs.Add(FieldError.Required(path.Child("fsGroupPolicy"), ""));
        }
        foreach (var mode in Read.Strings(spec, "volumeLifecycleModes"))
        {
            if (mode is not ("Persistent" or "Ephemeral"))
            {
                errs.Add(FieldError.NotSupported(path.Child("volumeLifecycleModes"), mode, ["Ephemeral", "Persistent"]));
            }
        }
        var audiences = new HashSet<string>(StringComparer.Ordinal);
        var tokens = Read.Items(spec, "tokenRequests");
        for (var i = 0; i < tokens.Count; i++)
        {
            var audience = tokens[i].GetString("audience") ?? "";
            if (!audiences.Add(audience))
            {
                errs.Add(FieldError.Duplicate(path.Child("tokenRequests").Index(i).Child("audience"), audience));
            }
            if (Read.IntOrNull(tokens[i], "expirationSeconds") is { } seconds && seconds < 600)
            {
                errs.Add(FieldError.Invalid(path.Child("tokenRequests").Index(i).Child("expirationSeconds"), seconds, "may not specify a duration less than 10 minutes"));
            }
        }
    }

    public static void CsiDriverUpdate(JsonObject driver, JsonObject old, List<FieldError> errs)
    {
        CsiDriver(driver, errs);
        var path = FieldPath.New("spec");
        foreach (var field in new[] { "attachRequired", "volumeLifecycleModes" })
        {
            Common.Immutable(errs, driver["spec"]?[field], old["spec"]?[field], path.Child(field));
        }
    }

    // ------------------------------------------------------------------ CSINode

    public static void CsiNode(JsonObject node, List<FieldError> errs)
    {
        var drivers = Read.Items(node["spec"], "drivers");
        var names = new HashSet<string>(StringComparer.Ordinal);
        var path = FieldPath.New("spec", "drivers");
        for (var i = 0; i < drivers.Count; i++)
        {
            var idx = path.Index(i);
            var name = drivers[i].GetString("name") ?? "";
            if (name.Length == 0)
            {
                errs.Add(FieldError.Required(idx.Child("name"), ""));
            }
            else
            {
                errs.AddRange(CsiDriverName(name, false).Select(m => FieldError.Invalid(idx.Child("name"), name, m)));
            }
            if (!names.Add(name))
            {
                errs.Add(FieldError.Duplicate(idx.Child("name"), name));
            }
            if ((drivers[i].GetString("nodeID") ?? "").Length == 0)
            {
                errs.Add(FieldError.Required(idx.Child("nodeID"), "nodeID must be provided"));
            }
            if (Read.IntOrNull(drivers[i]["allocatable"], "count") is { } count && count < 0)
            {
                errs.Add(FieldError.Invalid(idx.Child("allocatable", "count"), count, ValueValidation.IsNegativeErrorMsg));
            }
        }
    }

    // ------------------------------------------------------------------ CSIStorageCapacity

    public static void CsiStorageCapacity(JsonObject capacity, List<FieldError> errs)
    {
        var className = capacity.GetString("storageClassName") ?? "";
        if (className.Length == 0)
        {
            errs.Add(FieldError.Required(FieldPath.New("storageClassName"), ""));
        }
        else
        {
            Common.NameReference(errs, className, FieldPath.New("storageClassName"), NameValidation.NameIsDNSSubdomain);
        }
        Common.LabelSelector(errs, Read.Obj(capacity, "nodeTopology"), FieldPath.New("nodeTopology"));
        Common.NonNegativeQuantity(errs, capacity["capacity"], FieldPath.New("capacity"));
        Common.NonNegativeQuantity(errs, capacity["maximumVolumeSize"], FieldPath.New("maximumVolumeSize"));
    }

    // ------------------------------------------------------------------ VolumeAttachment

    public static void VolumeAttachment(JsonObject attachment, List<FieldError> errs)
    {
        var spec = Read.Obj(attachment, "spec") ?? [];
        var path = FieldPath.New("spec");
        var attacher = spec.GetString("attacher") ?? "";
        if (attacher.Length == 0)
        {
            errs.Add(FieldError.Required(path.Child("attacher"), ""));
        }
        else
        {
            errs.AddRange(CsiDriverName(attacher, false).Select(m => FieldError.Invalid(path.Child("attacher"), attacher, m)));
        }
        var source = Read.Obj(spec, "source");
        var hasPv = source.GetString("persistentVolumeName") is not null;
        var hasInline = Read.Has(source, "inlineVolumeSpec");
        if (hasPv == hasInline)
        {
            errs.Add(FieldError.Required(path.Child("source"), "must specify exactly one of inlineVolumeSpec and persistentVolumeName"));
        }
        else if (hasPv && (source.GetString("persistentVolumeName") ?? "").Length == 0)
        {
            errs.Add(FieldError.Required(path.Child("source", "persistentVolumeName"), "must specify non empty persistentVolumeName"));
        }
        var nodeName = spec.GetString("nodeName") ?? "";
        if (nodeName.Length == 0)
        {
            errs.Add(FieldError.Required(path.Child("nodeName"), ""));
        }
        else
        {
            Common.NameReference(errs, nodeName, path.Child("nodeName"), NameValidation.NameIsDNSSubdomain);
        }
    }

    public static void VolumeAttachmentUpdate(JsonObject attachment, JsonObject old, List<FieldError> errs)
    {
        VolumeAttachment(attachment, errs);
        if (!Read.DeepEquals(attachment["spec"], old["spec"]))
        {
            errs.Add(FieldError.Invalid(FieldPath.New("spec"), new GoValue("storage.VolumeAttachmentSpec{...}"), Common.FieldImmutable));
        }
    }

    public static void VolumeAttachmentStatusUpdate(JsonObject attachment, JsonObject old, List<FieldError> errs)
    {
        var metadata = Read.Obj(attachment["status"], "attachmentMetadata") ?? [];
        long size = 0;
        foreach (var (key, value) in metadata)
        {
            size += key.Length + (Read.QuantityText(value)?.Length ?? 0);
        }
        if (size > MaxParametersSize)
        {
            errs.Add(FieldError.TooLong(FieldPath.New("status", "attachmentMetadata"), MaxParametersSize));
        }
    }

    // ------------------------------------------------------------------ VolumeAttributesClass

    public static void VolumeAttributesClass(JsonObject vac, List<FieldError> errs)
    {
        var driver = vac.GetString("driverName") ?? "";
        if (driver.Length == 0)
        {
            errs.Add(FieldError.Required(FieldPath.New("driverName"), ""));
        }
        else
        {
            Common.QualifiedName(errs, driver.ToLowerInvariant(), FieldPath.New("driverName"));
        }
        Parameters(errs, Read.Obj(vac, "parameters"), FieldPath.New("parameters"), allowEmpty: true);
    }

    public static void VolumeAttributesClassUpdate(JsonObject vac, JsonObject old, List<FieldError> errs)
    {
        VolumeAttributesClass(vac, errs);
        if (!Read.DeepEquals(vac["parameters"], old["parameters"]))
        {
            errs.Add(FieldError.Forbidden(FieldPath.New("parameters"), "updates to parameters are forbidden."));
        }
        Common.Immutable(errs, vac["driverName"], old["driverName"], FieldPath.New("driverName"));
    }
}
