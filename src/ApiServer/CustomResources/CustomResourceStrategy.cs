using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.Json;
using ApiMachinery.Meta;
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

    /// <summary>Read defaults may change a stored custom resource: with a schema that has defaults, the cache parses it.</summary>
    public override bool ReadsFactsInOnePass => _custom.Schema is not { HasDefaults: true };

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
        if (_custom.Schema is not { HasDefaults: true } schema || (obj.GetString("apiVersion") ?? "") != Resource.ApiVersion)
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

    /// <summary>
    /// kube's status strategy: type meta, then the status against the status schema alone (and the whole
    /// object's list types and rules), then the scale status paths' values.
    /// </summary>
    public override IEnumerable<FieldError> ValidateStatusUpdate(JsonObject obj, JsonObject old)
    {
        var errors = ValidateTypeMeta(obj);
        if (errors.Count > 0)
        {
            return errors;
        }

        if (_custom.Schema is { } schema)
        {
            errors.AddRange(schema.ValidateStatusUpdate(obj, old));
        }

        ValidateScaleStatus(obj, errors);
        return errors;
    }

    /// <summary>kind and apiVersion are the CRD's (kube's ValidateTypeMeta), then the schema's value validation and rules, then the scale paths' values.</summary>
    private IEnumerable<FieldError> ValidateObject(JsonObject obj, JsonObject? old)
    {
        var errors = ValidateTypeMeta(obj);
        if (errors.Count > 0)
        {
            // kube stops at a wrong type meta: the schema is not the object's.
            return errors;
        }

        if (_custom.Schema is { } schema)
        {
            errors.AddRange(schema.Validate(obj, old));
        }

        if (_custom.Scale is { } scale)
        {
            ValidateReplicas(obj, scale.SpecReplicasPath, errors);
        }

        ValidateScaleStatus(obj, errors);
        return errors;
    }

    private List<FieldError> ValidateTypeMeta(JsonObject obj)
    {
        var errors = new List<FieldError>();
        var kind = obj.GetString("kind") ?? "";
        if (kind.Length == 0)
        {
            errors.Add(FieldError.Required(FieldPath.New("kind"), "must not be empty"));
        }
        else if (kind != Resource.Kind)
        {
            errors.Add(FieldError.Invalid(FieldPath.New("kind"), kind, "must be " + Resource.Kind));
        }

        var apiVersion = obj.GetString("apiVersion") ?? "";
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

    /// <summary>kube's ValidateScaleStatus: the status replicas count, and the selector a string.</summary>
    private void ValidateScaleStatus(JsonObject obj, List<FieldError> errors)
    {
        if (_custom.Scale is not { } scale)
        {
            return;
        }

        ValidateReplicas(obj, scale.StatusReplicasPath, errors);
        if (scale.LabelSelectorPath is { } selectorPath && Lookup(obj, selectorPath) is { } selector
            && !(selector is JsonValue text && text.GetValueKind() == System.Text.Json.JsonValueKind.String))
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, selectorPath, "", AccessorError(selectorPath, selector, "string")));
        }
    }

    /// <summary>
    /// kube's ValidateScaleSpec/ValidateScaleStatus: the value at a replicas path, when there is one, is an
    /// integer from 0 to 2147483647 (the field path is the CRD's JSON path, leading dot and all).
    /// </summary>
    private static void ValidateReplicas(JsonObject obj, string path, List<FieldError> errors)
    {
        if (Lookup(obj, path) is not { } node)
        {
            return;
        }

        if (node is not JsonValue value || value.GetValueKind() != System.Text.Json.JsonValueKind.Number || !value.TryGetValue<long>(out var replicas))
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, path, 0, AccessorError(path, node, "int64")));
        }
        else if (replicas < 0)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, path, replicas, "should be a non-negative integer"));
        }
        else if (replicas > int.MaxValue)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, path, replicas, $"should be less than or equal to {int.MaxValue}"));
        }
    }

    /// <summary>unstructured.NestedInt64/NestedString's error for a value of another type, in Go's words.</summary>
    private static string AccessorError(string path, JsonNode value, string expected)
    {
        var (text, type) = value switch
        {
            JsonObject => ("map[...]", "map[string]interface {}"),
            JsonArray => ("[...]", "[]interface {}"),
            JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => (v.GetValue<string>(), "string"),
            JsonValue v when v.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => (v.ToJsonString(), "bool"),
            JsonValue v when v.TryGetValue<long>(out var n) => (n.ToString(System.Globalization.CultureInfo.InvariantCulture), "int64"),
            _ => (value.ToJsonString(), "float64"),
        };
        return $"{path} accessor error: {text} is of the type {type}, expected {expected}";
    }

    /// <summary>The value at a CRD's simple JSON path (".spec.replicas"); null when any step is missing.</summary>
    private static JsonNode? Lookup(JsonObject obj, string path)
    {
        JsonNode? node = obj;
        foreach (var part in path.TrimStart('.').Split('.'))
        {
            node = (node as JsonObject)?[part];
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }
}
