using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.Validation;
using ApiServer.Registry;
using ApiServer.Registry.Strategies;

namespace ApiServer.CustomResources;

/// <summary>
/// The rules of custom resources (apiextensions-apiserver pkg/registry/customresource): names are DNS
/// subdomains, every change outside metadata (and status, when it has its own subresource) bumps
/// generation, the CRD's schema defaults and validates, its selectableFields are field selectors,
/// and nothing new is created while the CRD is being deleted.
/// </summary>
internal sealed class CustomResourceStrategy : ResourceStrategy
{
    private readonly CustomResourceVersion _custom;
    private readonly string[] _selectableFields;

    public CustomResourceStrategy(ResourceDefinition resource, CustomResourceVersion custom)
        : base(resource)
    {
        _custom = custom;
        // Every version's selectable fields: the watch cache they share keeps one set of field values.
        _selectableFields = custom.Crd.Versions.SelectMany(v => v.SelectableFields).Select(f => f.TrimStart('.')).Distinct(StringComparer.Ordinal).ToArray();
    }

    public override bool TracksGeneration => true;

    protected override IEnumerable<string> KindFields => _selectableFields;

    public override void CheckCreateAllowed(JsonObject obj)
    {
        if (_custom.Crd.Terminating)
        {
            throw StatusException.NewForbidden(Resource.Group, Resource.Plural, ObjectMeta.Name(obj), "create not allowed while custom resource definition is terminating");
        }
    }

    public override void ApplyDefaults(JsonObject obj) => _custom.Schema?.ApplyDefaults(obj);

    /// <summary>Objects stored in this version get its defaults when read (older versions are defaulted after conversion).</summary>
    public override bool ApplyReadDefaults(JsonObject obj)
    {
        if (_custom.Schema is not { HasDefaults: true } schema || ObjectMeta.GetString(obj, "apiVersion") != Resource.ApiVersion)
        {
            return false;
        }

        var before = obj.DeepClone();
        schema.ApplyDefaults(obj);
        return !JsonNode.DeepEquals(before, obj);
    }

    /// <summary>With a status subresource, status is not the spec; without one, it is.</summary>
    public override bool GenerationChanged(JsonObject obj, JsonObject old) =>
        HasStatus ? ChangedOutside(obj, old, "metadata", "status") : ChangedOutside(obj, old, "metadata");

    public override IEnumerable<FieldError> Validate(JsonObject obj) => ValidateObject(obj, null);

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old) => ValidateObject(obj, old);

    /// <summary>kube's status strategy: type meta, then the status against the status schema alone (and the whole object's list types and rules).</summary>
    public override IEnumerable<FieldError> ValidateStatusUpdate(JsonObject obj, JsonObject old)
    {
        var errors = ValidateTypeMeta(obj);
        if (errors.Count == 0 && _custom.Schema is { } schema)
        {
            errors.AddRange(schema.ValidateStatusUpdate(obj, old));
        }

        return errors;
    }

    /// <summary>kind and apiVersion are the CRD's (kube's ValidateTypeMeta), then the schema's value validation and rules.</summary>
    private IEnumerable<FieldError> ValidateObject(JsonObject obj, JsonObject? old)
    {
        var errors = ValidateTypeMeta(obj);
        if (_custom.Schema is { } schema)
        {
            errors.AddRange(schema.Validate(obj, old));
        }

        return errors;
    }

    private List<FieldError> ValidateTypeMeta(JsonObject obj)
    {
        var errors = new List<FieldError>();
        if (ObjectMeta.GetString(obj, "kind").Length == 0)
        {
            errors.Add(FieldError.Required(FieldPath.New("kind"), "must not be empty"));
        }

        var apiVersion = ObjectMeta.GetString(obj, "apiVersion");
        if (apiVersion.Length == 0)
        {
            errors.Add(FieldError.Required(FieldPath.New("apiVersion"), "must not be empty"));
        }
        else if (apiVersion != Resource.ApiVersion)
        {
            errors.Add(FieldError.Invalid(FieldPath.New("apiVersion"), apiVersion, "must be " + Resource.ApiVersion));
        }

        return errors;
    }
}
