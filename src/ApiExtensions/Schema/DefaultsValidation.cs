using System.Text.Json.Nodes;
using ApiMachinery.Validation;

namespace ApiExtensions.Schema;

/// <summary>
/// CRD-time checks of every <c>default</c> (defaulting.ValidateDefaults): already pruned, valid against its own
/// schema (OpenAPI value validation, embedded resources' metadata, x-kubernetes-validations rules).
/// </summary>
internal static class DefaultsValidation
{
    private static readonly HashSet<string> MetaFields = new(StringComparer.Ordinal) { "metadata", "kind", "apiVersion" };

    public static List<FieldError> ValidateDefaults(FieldPath path, SchemaNode root)
    {
        var errors = new List<FieldError>();
        Validate(path, root, insideMeta: false, isResourceRoot: true, errors);
        return errors;
    }

    private static void Validate(FieldPath path, SchemaNode s, bool insideMeta, bool isResourceRoot, List<FieldError> errors)
    {
        if (s.XEmbeddedResource)
        {
            insideMeta = false;
        }
        if (s.Default is { } value)
        {
            var defaultPath = path.Child("default");
            var before = errors.Count;
            if (!insideMeta)
            {
                var pruned = value.DeepClone();
                Pruning.PruneValue(pruned, s, s.XEmbeddedResource);
                if (!JsonEquality.DeepEquals(pruned, value))
                {
                    errors.Add(FieldError.Invalid(defaultPath, OpenApiError.ToClr(value), "must not have unknown fields"));
                }
                if (s.XEmbeddedResource && value is JsonObject embedded)
                {
                    EmbeddedObjectMeta.ValidateEmbedded(embedded, defaultPath, errors);
                }
                if (value is JsonObject or JsonArray)
                {
                    EmbeddedObjectMeta.Validate(value, s, defaultPath, errors);
                }
            }
            if (errors.Count == before)
            {
                ValueValidator.Validate(s, value, defaultPath.ToString(), errors);
            }
            if (errors.Count == before && CelDefaults.Validate is { } celDefaults)
            {
                celDefaults(s, isResourceRoot, value, defaultPath, errors);
            }
        }
        // additionalProperties are not followed: defaults are forbidden there.
        if (s.Items is { } items)
        {
            Validate(path.Child("items"), items, insideMeta, items.XEmbeddedResource, errors);
        }
        if (s.PropertyList is { } props)
        {
            foreach (var (name, prop) in props)
            {
                var subInsideMeta = insideMeta || ((s.XEmbeddedResource || isResourceRoot) && MetaFields.Contains(name));
                Validate(path.Child("properties").Key(name), prop, subInsideMeta, prop.XEmbeddedResource, errors);
            }
        }
    }
}

/// <summary>The hook through which x-kubernetes-validations rules check defaults (set by the CEL layer).</summary>
internal static class CelDefaults
{
    public delegate void Validator(SchemaNode schema, bool isResourceRoot, JsonNode value, FieldPath path, List<FieldError> errors);

    public static Validator? Validate { get; set; }
}
