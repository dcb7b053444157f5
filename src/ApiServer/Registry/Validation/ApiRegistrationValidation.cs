using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Validation;

namespace ApiServer.Registry.Validation;

/// <summary>apiregistration.k8s.io/v1 (kube-aggregator's validation): APIService.</summary>
internal static class ApiRegistrationValidation
{
    /// <summary>An APIService is named version.group ("v1." for the legacy group).</summary>
    public static IReadOnlyList<string> ApiServiceName(string name, bool prefix)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0)
        {
            return ["must be in the form: version.group"];
        }
        var group = name[(dot + 1)..];
        return group.Length == 0 ? [] : NameValidation.IsDNS1123Subdomain(group);
    }

    public static void ApiService(JsonObject service, List<FieldError> errs)
    {
        var spec = Read.Obj(service, "spec") ?? [];
        var path = FieldPath.New("spec");
        var group = spec.GetString("group") ?? "";
        var version = spec.GetString("version") ?? "";
        var name = service["metadata"].GetString("name") ?? "";
        if (name != version + "." + group)
        {
            errs.Add(FieldError.Invalid(FieldPath.New("metadata", "name"), name, "must be `spec.version+\".\"+spec.group`: \"" + version + "." + group + "\""));
        }
        if (group.Length == 0 && version != "v1")
        {
            errs.Add(FieldError.Required(path.Child("group"), "only v1 may have an empty group and it better be legacy kube"));
        }
        if (group.Length > 0)
        {
            Common.DNS1123Subdomain(errs, group, path.Child("group"));
        }
        Common.DNS1035Label(errs, version, path.Child("version"));
        var groupPriority = Read.Int(spec, "groupPriorityMinimum");
        if (groupPriority is <= 0 or > 20000)
        {
            errs.Add(FieldError.Invalid(path.Child("groupPriorityMinimum"), groupPriority, "must be positive and less than 20000"));
        }
        var versionPriority = Read.Int(spec, "versionPriority");
        if (versionPriority is <= 0 or > 1000)
        {
            errs.Add(FieldError.Invalid(path.Child("versionPriority"), versionPriority, "must be positive and less than 1000"));
        }
        if (Read.Obj(spec, "service") is null)
        {
            if ((spec.GetString("caBundle") ?? "").Length > 0)
            {
                errs.Add(FieldError.Invalid(path.Child("caBundle"), new GoValue("[]byte{...}"), "local APIServices may not have a caBundle"));
            }
            if (Read.Bool(spec, "insecureSkipTLSVerify"))
            {
                errs.Add(FieldError.Invalid(path.Child("insecureSkipTLSVerify"), true, "local APIServices may not have insecureSkipTLSVerify"));
            }
            return;
        }
        var servicePath = path.Child("service");
        var serviceSpec = Read.Obj(spec, "service");
        if ((serviceSpec.GetString("namespace") ?? "").Length == 0)
        {
            errs.Add(FieldError.Required(servicePath.Child("namespace"), ""));
        }
        if ((serviceSpec.GetString("name") ?? "").Length == 0)
        {
            errs.Add(FieldError.Required(servicePath.Child("name"), ""));
        }
        var port = Read.IntOrNull(serviceSpec, "port") ?? 443;
        errs.AddRange(ValueValidation.IsValidPortNum(port).Select(m => FieldError.Invalid(servicePath.Child("port"), port, m)));
        if (Read.Bool(spec, "insecureSkipTLSVerify") && (spec.GetString("caBundle") ?? "").Length > 0)
        {
            errs.Add(FieldError.Invalid(path.Child("insecureSkipTLSVerify"), true, "may not be true if caBundle is present"));
        }
    }
}
