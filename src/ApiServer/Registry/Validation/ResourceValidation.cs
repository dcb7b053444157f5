using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Validation;

namespace ApiServer.Registry.Validation;

/// <summary>
/// resource.k8s.io/v1 (dynamic resource allocation; kube's pkg/apis/resource/validation), in part:
/// request names and device classes of claims and claim templates, which are immutable; a slice's
/// driver, pool and node selection; device class selectors. CEL expressions are not compiled.
/// </summary>
internal static class ResourceValidation
{
    public static void DeviceClass(JsonObject deviceClass, List<FieldError> errs)
    {
        var spec = Read.Obj(deviceClass, "spec");
        Selectors(errs, Read.Items(spec, "selectors"), FieldPath.New("spec", "selectors"));
    }

    public static void ResourceClaim(JsonObject claim, List<FieldError> errs) =>
        ClaimSpec(errs, Read.Obj(claim, "spec") ?? [], FieldPath.New("spec"));

    public static void ResourceClaimUpdate(JsonObject claim, JsonObject old, List<FieldError> errs)
    {
        ResourceClaim(claim, errs);
        if (!Read.DeepEquals(claim["spec"], old["spec"]))
        {
            errs.Add(FieldError.Invalid(FieldPath.New("spec"), new GoValue("resource.ResourceClaimSpec{...}"), Common.FieldImmutable));
        }
    }

    public static void ResourceClaimTemplate(JsonObject template, List<FieldError> errs)
    {
        var spec = Read.Obj(template, "spec") ?? [];
        Common.Labels(errs, Read.Map(spec["metadata"], "labels"), FieldPath.New("spec", "metadata", "labels"));
        ClaimSpec(errs, Read.Obj(spec, "spec") ?? [], FieldPath.New("spec", "spec"));
    }

    public static void ResourceClaimTemplateUpdate(JsonObject template, JsonObject old, List<FieldError> errs)
    {
        ResourceClaimTemplate(template, errs);
        if (!Read.DeepEquals(template["spec"], old["spec"]))
        {
            errs.Add(FieldError.Invalid(FieldPath.New("spec"), new GoValue("resource.ResourceClaimTemplateSpec{...}"), Common.FieldImmutable));
        }
    }

    private static void ClaimSpec(List<FieldError> errs, JsonObject spec, FieldPath path)
    {
        var requests = Read.Items(spec["devices"], "requests");
        var requestsPath = path.Child("devices", "requests");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < requests.Count; i++)
        {
            var idx = requestsPath.Index(i);
            var name = requests[i].GetString("name") ?? "";
            if (name.Length == 0)
            {
                errs.Add(FieldError.Required(idx.Child("name"), ""));
            }
            else
            {
                Common.DNS1123Label(errs, name, idx.Child("name"));
                if (!names.Add(name))
                {
                    errs.Add(FieldError.Duplicate(idx.Child("name"), name));
                }
            }
            var exactly = Read.Obj(requests[i], "exactly");
            var firstAvailable = Read.Items(requests[i], "firstAvailable");
            if ((exactly is null) == (firstAvailable.Count == 0))
            {
                errs.Add(FieldError.Invalid(idx, new GoValue("resource.DeviceRequest{...}"), "exactly one of `exactly` or `firstAvailable` is required"));
            }
            if (exactly is not null)
            {
                var className = exactly.GetString("deviceClassName") ?? "";
                if (className.Length == 0)
                {
                    errs.Add(FieldError.Required(idx.Child("exactly", "deviceClassName"), ""));
                }
                else
                {
                    Common.NameReference(errs, className, idx.Child("exactly", "deviceClassName"), NameValidation.NameIsDNSSubdomain);
                }
                Common.OptionalOneOf(errs, exactly.GetString("allocationMode") ?? "", idx.Child("exactly", "allocationMode"), "All", "ExactCount");
                Selectors(errs, Read.Items(exactly, "selectors"), idx.Child("exactly", "selectors"));
            }
        }
    }

    private static void Selectors(List<FieldError> errs, IReadOnlyList<JsonObject> selectors, FieldPath path)
    {
        for (var i = 0; i < selectors.Count; i++)
        {
            if (Read.Obj(selectors[i], "cel") is not { } cel)
            {
                errs.Add(FieldError.Required(path.Index(i).Child("cel"), ""));
            }
            else if ((cel.GetString("expression") ?? "").Trim().Length == 0)
            {
                errs.Add(FieldError.Required(path.Index(i).Child("cel", "expression"), ""));
            }
        }
    }

    public static void ResourceSlice(JsonObject slice, List<FieldError> errs)
    {
        var spec = Read.Obj(slice, "spec") ?? [];
        var path = FieldPath.New("spec");
        var driver = spec.GetString("driver") ?? "";
        if (driver.Length == 0)
        {
            errs.Add(FieldError.Required(path.Child("driver"), ""));
        }
        else
        {
            errs.AddRange(StorageValidation.CsiDriverName(driver, false).Select(m => FieldError.Invalid(path.Child("driver"), driver, m)));
        }
        var pool = Read.Obj(spec, "pool");
        if ((pool.GetString("name") ?? "").Length == 0)
        {
            errs.Add(FieldError.Required(path.Child("pool", "name"), ""));
        }
        Common.NonNegative(errs, Read.Int(pool, "generation"), path.Child("pool", "generation"));
        if (Read.Int(pool, "resourceSliceCount") <= 0)
        {
            errs.Add(FieldError.Invalid(path.Child("pool", "resourceSliceCount"), Read.Int(pool, "resourceSliceCount"), "must be greater than zero"));
        }
        var selections = (spec.GetString("nodeName") is { Length: > 0 } ? 1 : 0) + (Read.Has(spec, "nodeSelector") ? 1 : 0)
            + (Read.Bool(spec, "allNodes") ? 1 : 0) + (Read.Bool(spec, "perDeviceNodeSelection") ? 1 : 0);
        if (selections != 1)
        {
            errs.Add(FieldError.Invalid(path, new GoValue("resource.ResourceSliceSpec{...}"), "exactly one of `nodeName`, `nodeSelector`, `allNodes`, `perDeviceNodeSelection` is required"));
        }
        var devices = Read.Items(spec, "devices");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < devices.Count; i++)
        {
            var name = devices[i].GetString("name") ?? "";
            var namePath = path.Child("devices").Index(i).Child("name");
            if (name.Length == 0)
            {
                errs.Add(FieldError.Required(namePath, ""));
            }
            else
            {
                Common.DNS1123Label(errs, name, namePath);
                if (!names.Add(name))
                {
                    errs.Add(FieldError.Duplicate(namePath, name));
                }
            }
        }
    }

    public static void ResourceSliceUpdate(JsonObject slice, JsonObject old, List<FieldError> errs)
    {
        ResourceSlice(slice, errs);
        Common.Immutable(errs, slice["spec"]?["driver"], old["spec"]?["driver"], FieldPath.New("spec", "driver"));
        Common.Immutable(errs, slice["spec"]?["nodeName"], old["spec"]?["nodeName"], FieldPath.New("spec", "nodeName"));
    }
}
