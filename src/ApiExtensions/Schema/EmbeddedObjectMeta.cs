using System.Text.Json;
using System.Text.Json.Nodes;
using ApiMachinery.Validation;

namespace ApiExtensions.Schema;

/// <summary>
/// TypeMeta and ObjectMeta of embedded resources (x-kubernetes-embedded-resource), validated as
/// apiextensions' objectmeta.Validate does: apiVersion and kind required and well-formed, metadata validated like
/// any object's (with a placeholder name when none is given).
/// </summary>
internal static class EmbeddedObjectMeta
{
    /// <summary>The fields of metav1.ObjectMeta; others are dropped when metadata is decoded.</summary>
    public static readonly HashSet<string> KnownFields = new(StringComparer.Ordinal)
    {
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers",
        "managedFields",
    };

    /// <summary>Validates every embedded resource under <paramref name="x"/> (not the root itself).</summary>
    public static void Validate(JsonNode? x, SchemaNode? s, FieldPath? path, List<FieldError> errors)
    {
        if (s is null)
        {
            return;
        }
        switch (x)
        {
            case JsonObject o:
                if (s.XEmbeddedResource && path is not null)
                {
                    ValidateEmbedded(o, path, errors);
                }
                foreach (var (key, value) in o)
                {
                    if (value is not (JsonObject or JsonArray))
                    {
                        continue;
                    }
                    if (s.Property(key) is { } prop)
                    {
                        Validate(value, prop, path is null ? FieldPath.New(key) : path.Child(key), errors);
                    }
                    else if (s.AdditionalProperties is { } ap)
                    {
                        Validate(value, ap, path is null ? FieldPath.New(key) : path.Key(key), errors);
                    }
                }
                break;
            case JsonArray a when s.Items is { } items && path is not null:
                for (var i = 0; i < a.Count; i++)
                {
                    Validate(a[i], items, path.Index(i), errors);
                }
                break;
        }
    }

    /// <summary>Whether the schema has any embedded resource below its root.</summary>
    public static bool HasEmbedded(SchemaNode s) =>
        (s.PropertyList?.Any(p => p.Value.XEmbeddedResource || HasEmbedded(p.Value)) ?? false) ||
        (s.Items is { } i && (i.XEmbeddedResource || HasEmbedded(i))) ||
        (s.AdditionalProperties is { } ap && (ap.XEmbeddedResource || HasEmbedded(ap)));

    public static void ValidateEmbedded(JsonObject x, FieldPath path, List<FieldError> errors)
    {
        if (!x.ContainsKey("apiVersion"))
        {
            errors.Add(FieldError.Required(path.Child("apiVersion")));
        }
        if (!x.ContainsKey("kind"))
        {
            errors.Add(FieldError.Required(path.Child("kind")));
        }
        foreach (var (key, value) in x)
        {
            switch (key)
            {
                case "apiVersion":
                    if (value is not JsonValue av || av.GetValueKind() != JsonValueKind.String)
                    {
                        errors.Add(FieldError.Invalid(path.Child("apiVersion"), OpenApiError.ToClr(value), "must be a string"));
                    }
                    else if (av.GetValue<string>() is var apiVersion && apiVersion.Length == 0)
                    {
                        errors.Add(FieldError.Invalid(path.Child("apiVersion"), apiVersion, "must not be empty"));
                    }
                    else if (apiVersion.Count(c => c == '/') > 1)
                    {
                        errors.Add(FieldError.Invalid(path.Child("apiVersion"), apiVersion, "unexpected GroupVersion string: " + apiVersion));
                    }
                    break;
                case "kind":
                    if (value is not JsonValue kv || kv.GetValueKind() != JsonValueKind.String)
                    {
                        errors.Add(FieldError.Invalid(path.Child("kind"), OpenApiError.ToClr(value), "must be a string"));
                    }
                    else if (kv.GetValue<string>() is var kind && kind.Length == 0)
                    {
                        errors.Add(FieldError.Invalid(path.Child("kind"), kind, "must not be empty"));
                    }
                    else if (NameValidation.IsDNS1035Label(kind.ToLowerInvariant()) is { Count: > 0 } kindErrors)
                    {
                        errors.Add(FieldError.Invalid(path.Child("kind"), kind, "may have mixed case, but should otherwise match: " + string.Join(",", kindErrors)));
                    }
                    break;
                case "metadata":
                    if (value is not JsonObject metadata)
                    {
                        errors.Add(FieldError.Invalid(path.Child("metadata"), OpenApiError.ToClr(value), "expected an object"));
                        break;
                    }
                    var meta = (JsonObject)metadata.DeepClone();
                    if (meta["name"] is not JsonValue nv || nv.GetValueKind() != JsonValueKind.String || nv.GetValue<string>().Length == 0)
                    {
                        meta["name"] = "fakename";
                    }
                    var namespaced = meta["namespace"] is JsonValue ns && ns.GetValueKind() == JsonValueKind.String && ns.GetValue<string>().Length > 0;
                    errors.AddRange(ObjectMetaValidator.Validate(meta, namespaced, NameValidation.ValidatePathSegmentName, path.Child("metadata")));
                    break;
            }
        }
    }
}
