using System.Text.Json.Nodes;
using ApiMachinery.Validation;

namespace ApiExtensions.Schema;

/// <summary>
/// One CRD version's schema, compiled once and applied to every custom resource of that version, in kube's order:
/// <see cref="Prune"/> when decoding (unknown fields, non-nullable nulls, unknown ObjectMeta fields),
/// <see cref="ApplyDefaults"/> after decoding (request bodies and objects read from etcd), then
/// <see cref="Validate"/> on create and update. Immutable and thread-safe.
/// </summary>
public sealed class CustomResourceSchema
{
    private readonly SchemaNode _root;
    private readonly bool _hasDefaults;
    private readonly bool _hasEmbedded;
    private readonly bool _hasListTypes;
    private readonly bool _hasRules;

    private CustomResourceSchema(SchemaNode root, JsonObject schema)
    {
        _root = root;
        Schema = schema;
        root.ComputeSubtreeFacts();
        _hasDefaults = root.SubtreeHasDefaults;
        _hasEmbedded = root.SubtreeHasEmbedded;
        _hasListTypes = root.SubtreeHasListTypes;
        _hasRules = root.SubtreeHasRules;
    }

    /// <summary>The structural schema (a private copy of the CRD's): for OpenAPI publishing and field-management
    /// shapes (list types, map keys). Callers must not change it.</summary>
    public JsonObject Schema { get; }

    /// <summary>The parsed schema tree (for the benchmark's per-step rows).</summary>
    internal SchemaNode Root => _root;

    /// <summary>Compiles a version's <c>openAPIV3Schema</c>; throws <see cref="ArgumentException"/> (with kube's
    /// aggregated field errors as its message) when <see cref="CrdSchemaValidation.ValidateSchema(JsonObject, FieldPath)"/>
    /// finds errors.</summary>
    public static CustomResourceSchema Compile(JsonObject openApiV3Schema)
    {
        ArgumentNullException.ThrowIfNull(openApiV3Schema);
        var copy = (JsonObject)openApiV3Schema.DeepClone();
        var root = SchemaNode.Parse(copy);
        var errors = CrdSchemaValidation.Validate(root, copy, FieldPath.New("openAPIV3Schema"), statusSubresourceEnabled: false, out _);
        if (errors.Count > 0)
        {
            throw new ArgumentException(FieldError.Aggregate(errors), nameof(openApiV3Schema));
        }
        return new CustomResourceSchema(root, copy);
    }

    /// <summary>Sets absent fields that have a <c>default</c> (structural defaulting, as kube applies it when
    /// decoding a request body or an object read from etcd).</summary>
    public void ApplyDefaults(JsonObject customResource)
    {
        ArgumentNullException.ThrowIfNull(customResource);
        if (_hasDefaults)
        {
            Defaulting.Default(customResource, _root);
        }
    }

    /// <summary>Drops fields the schema does not know (unless under x-kubernetes-preserve-unknown-fields), nulls
    /// where the schema is neither nullable nor defaulted, and unknown ObjectMeta fields; returns the dropped
    /// fields' paths, sorted, as kube's fieldValidation reports them (<c>spec.foo</c>, <c>metadata.bar</c>: kube's
    /// message is <c>unknown field "spec.foo"</c>).</summary>
    public IReadOnlyList<string> Prune(JsonObject customResource)
    {
        ArgumentNullException.ThrowIfNull(customResource);
        return Pruning.Prune(customResource, _root, trackPaths: true);
    }

    /// <summary>Value validation, the metadata of embedded resources, list-type uniqueness and
    /// x-kubernetes-validations (transition rules when <paramref name="oldCustomResource"/> is given), in kube's
    /// order; the root's own metadata and apiVersion/kind are the caller's to validate.</summary>
    public IReadOnlyList<FieldError> Validate(JsonObject customResource, JsonObject? oldCustomResource)
    {
        ArgumentNullException.ThrowIfNull(customResource);
        var errors = new List<FieldError>();
        ValueValidator.Validate(_root, customResource, null, errors);
        if (_hasEmbedded)
        {
            EmbeddedObjectMeta.Validate(customResource, _root, null, errors);
        }
        if (_hasListTypes)
        {
            // On update, a list that already broke its invariants is not held to them (kube's ratcheting).
            var oldErrors = new List<FieldError>();
            if (oldCustomResource is not null)
            {
                ListTypeValidation.Validate(oldCustomResource, _root, null, oldErrors);
            }
            if (oldErrors.Count == 0)
            {
                ListTypeValidation.Validate(customResource, _root, null, errors);
            }
        }
        if (_hasRules)
        {
            if (errors.Any(e => e.Type is FieldErrorType.NotSupported or FieldErrorType.Required or FieldErrorType.TooLong or FieldErrorType.TooMany or FieldErrorType.TypeInvalid))
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, "<nil>", null, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"));
            }
            else
            {
                CelValidation.Validate(_root, customResource, oldCustomResource, errors);
            }
        }
        return errors;
    }

    /// <summary>Validation of a <c>/status</c> update, as kube's status strategy does it: the <c>status</c> value
    /// against the status schema alone (paths <c>status.x</c>, messages naming <c>x</c>), then list types
    /// (ratcheted) and x-kubernetes-validations of the whole object.</summary>
    public IReadOnlyList<FieldError> ValidateStatusUpdate(JsonObject customResource, JsonObject oldCustomResource)
    {
        ArgumentNullException.ThrowIfNull(customResource);
        ArgumentNullException.ThrowIfNull(oldCustomResource);
        var errors = new List<FieldError>();
        if (customResource.TryGetPropertyValue("status", out var status) && _root.Property("status") is { } statusSchema)
        {
            ValueValidator.Validate(statusSchema, status, "status", errors);
        }
        if (_hasListTypes)
        {
            var newErrors = new List<FieldError>();
            ListTypeValidation.Validate(customResource, _root, null, newErrors);
            if (newErrors.Count > 0)
            {
                var oldErrors = new List<FieldError>();
                ListTypeValidation.Validate(oldCustomResource, _root, null, oldErrors);
                if (oldErrors.Count == 0)
                {
                    errors.AddRange(newErrors);
                }
            }
        }
        if (_hasRules)
        {
            if (errors.Any(e => e.Type is FieldErrorType.NotSupported or FieldErrorType.Required or FieldErrorType.TooLong or FieldErrorType.TooMany or FieldErrorType.TypeInvalid))
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, "<nil>", null, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"));
            }
            else
            {
                CelValidation.Validate(_root, customResource, oldCustomResource, errors);
            }
        }
        return errors;
    }
}
