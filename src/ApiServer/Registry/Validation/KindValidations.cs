using System.Text.Json.Nodes;
using ApiMachinery.Validation;

namespace ApiServer.Registry.Validation;

/// <summary>How much of kube's validation of a kind this server applies (the README lists both kinds).</summary>
internal enum ValidationCoverage
{
    /// <summary>kube's rules for the kind, with its field paths and messages.</summary>
    Full,

    /// <summary>kube's main rules (required fields, enumerations, immutability); see the group's file for what is left out.</summary>
    Partial,
}

/// <summary>
/// One kind's validation beyond object metadata (which the generic store checks for every kind):
/// on create, on a main-resource update, on a status update; plus the kind's name rule when it is
/// not a DNS subdomain.
/// </summary>
internal sealed record KindValidation(
    Action<JsonObject, List<FieldError>> Create,
    Action<JsonObject, JsonObject, List<FieldError>>? Update = null,
    Action<JsonObject, JsonObject, List<FieldError>>? StatusUpdate = null,
    ValidateNameFunc? Name = null,
    ValidationCoverage Coverage = ValidationCoverage.Full)
{
    public List<FieldError> ValidateCreate(JsonObject obj)
    {
        var errs = new List<FieldError>();
        Create(obj, errs);
        return errs;
    }

    /// <summary>kube's ValidateXUpdate: the new object's own validation plus what may not change.</summary>
    public List<FieldError> ValidateUpdate(JsonObject obj, JsonObject old)
    {
        var errs = new List<FieldError>();
        if (Update is not null)
        {
            Update(obj, old, errs);
        }
        else
        {
            Create(obj, errs);
        }
        return errs;
    }

    public List<FieldError> ValidateStatusUpdate(JsonObject obj, JsonObject old)
    {
        var errs = new List<FieldError>();
        StatusUpdate?.Invoke(obj, old, errs);
        return errs;
    }
}

/// <summary>
/// Each built-in kind's validation, as its registration (<see cref="BuiltinKinds"/>) names it: one
/// line per kind there, pointing into the file of its API group (CoreValidation, PodValidation,
/// AppsValidation, BatchValidation, ...). A kind without one has metadata validation only.
/// </summary>
internal static class KindValidations
{
    /// <summary>Kinds whose only rules are kube's metadata rules (kube validates nothing else of them).</summary>
    public static readonly IReadOnlySet<(string Group, string Kind)> MetadataOnly =
        BuiltinKinds.All.Where(k => k.ValidatesMetadataOnly).Select(k => (k.Group, k.Kind)).ToHashSet();

    public static KindValidation? For(string group, string kind) => BuiltinKinds.FindKind(group, kind)?.Validation;
}
