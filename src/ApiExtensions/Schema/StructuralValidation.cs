using ApiMachinery.Validation;

namespace ApiExtensions.Schema;

/// <summary>
/// The structural-schema rules (apiextensions schema.ValidateStructural): a type everywhere on the structural spine,
/// nothing but value validation under allOf/anyOf/oneOf/not (except the two int-or-string patterns), every value
/// validation backed by a structural counterpart, the metadata restrictions, and the x-kubernetes-* combinations.
/// Errors come sorted by their text, as kube sorts them.
/// </summary>
internal static class StructuralValidation
{
    private enum Level
    {
        Root,
        Item,
        Field,
    }

    public static List<FieldError> ValidateStructural(FieldPath path, SchemaNode s)
    {
        var errors = new List<FieldError>();
        ValidateInvariants(s, Level.Root, path, errors);
        ValidateCompleteness(s.AllOf, s.AnyOf, s.OneOf, s.Not, s, path, path, errors);
        errors.Sort((a, b) => string.CompareOrdinal(a.ToString(), b.ToString()));
        return errors;
    }

    private static void ValidateInvariants(SchemaNode s, Level level, FieldPath path, List<FieldError> errors)
    {
        if (s.Type == "array" && s.Items is null)
        {
            errors.Add(FieldError.Required(path.Child("items"), "must be specified"));
        }
        if (s.Items is { } items)
        {
            ValidateInvariants(items, Level.Item, path.Child("items"), errors);
        }
        if (s.PropertyList is { } props)
        {
            foreach (var (name, prop) in props)
            {
                ValidateInvariants(prop, Level.Field, path.Child("properties").Key(name), errors);
            }
        }
        if (s.HasAdditionalProperties)
        {
            if (level == Level.Root)
            {
                errors.Add(FieldError.Forbidden(path.Child("additionalProperties"), "must not be used at the root"));
            }
            if (s.AdditionalProperties is { } ap)
            {
                ValidateInvariants(ap, Level.Field, path.Child("additionalProperties"), errors);
            }
        }

        if (s.XIntOrString && s.XPreserveUnknownFields)
        {
            errors.Add(FieldError.Invalid(path.Child("x-kubernetes-preserve-unknown-fields"), true, "must be false if x-kubernetes-int-or-string is true"));
        }
        if (s.XIntOrString && s.XEmbeddedResource)
        {
            errors.Add(FieldError.Invalid(path.Child("x-kubernetes-embedded-resource"), true, "must be false if x-kubernetes-int-or-string is true"));
        }

        var skipAnyOf = IsIntOrStringAnyOf(s.AnyOf);
        var skipFirstAllOfAnyOf = s.AllOf is { Count: >= 1 } allOf && IsIntOrStringAnyOf(allOf[0].AnyOf);
        ValidateValueValidation(s, skipAnyOf, skipFirstAllOfAnyOf, level, path, errors);

        var checkMetadata = level == Level.Root || s.XEmbeddedResource;
        if (s.XEmbeddedResource && s.Type != "object")
        {
            errors.Add(s.Type.Length == 0
                ? FieldError.Required(path.Child("type"), "must be object if x-kubernetes-embedded-resource is true")
                : FieldError.Invalid(path.Child("type"), s.Type, "must be object if x-kubernetes-embedded-resource is true"));
        }
        else if (s.Type.Length == 0 && !s.XIntOrString && !s.XPreserveUnknownFields)
        {
            errors.Add(FieldError.Required(path.Child("type"), level switch
            {
                Level.Root => "must not be empty at the root",
                Level.Item => "must not be empty for specified array items",
                _ => "must not be empty for specified object fields",
            }));
        }
        if (s.XEmbeddedResource && s.HasAdditionalProperties)
        {
            errors.Add(FieldError.Forbidden(path.Child("additionalProperties"), "must not be used if x-kubernetes-embedded-resource is set"));
        }
        if (level == Level.Root && s.Type.Length > 0 && s.Type != "object")
        {
            errors.Add(FieldError.Invalid(path.Child("type"), s.Type, "must be object at the root"));
        }
        if (checkMetadata && s.Property("kind") is { } kind && kind.Type != "string")
        {
            errors.Add(FieldError.Invalid(path.Child("properties").Key("kind").Child("type"), kind.Type, "must be string"));
        }
        if (checkMetadata && s.Property("apiVersion") is { } apiVersion && apiVersion.Type != "string")
        {
            errors.Add(FieldError.Invalid(path.Child("properties").Key("apiVersion").Child("type"), apiVersion.Type, "must be string"));
        }
        if (s.Property("metadata") is { } metadata)
        {
            var metadataPath = path.Child("properties").Key("metadata");
            if (checkMetadata && metadata.Type != "object")
            {
                errors.Add(FieldError.Invalid(metadataPath.Child("type"), metadata.Type, "must be object"));
            }
            if (level == Level.Root && !IsPlainMetadata(metadata))
            {
                errors.Add(FieldError.Forbidden(metadataPath, "must not specify anything other than name and generateName, but metadata is implicitly specified"));
            }
        }
        if (s.XEmbeddedResource && !s.XPreserveUnknownFields && s.PropertyList is not { Count: > 0 })
        {
            errors.Add(FieldError.Required(path.Child("properties"), "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"));
        }
    }

    // Root metadata may only restrict name and generateName (and have a type and a default, checked elsewhere).
    private static bool IsPlainMetadata(SchemaNode m)
    {
        if (m.PropertyList is { Count: > 0 } props)
        {
            var names = props.Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
            var onlyNames = names.SetEquals(["name", "generateName"]) || (names.Count == 1 && (names.Contains("name") || names.Contains("generateName")));
            if (!onlyNames)
            {
                return false;
            }
        }
        return IsBlank(m, ignoreType: true, ignoreDefault: true, ignoreProperties: true);
    }

    /// <summary>Whether nothing but (optionally) type, default and properties is set.</summary>
    internal static bool IsBlank(SchemaNode n, bool ignoreType, bool ignoreDefault, bool ignoreProperties) =>
        (ignoreType || n.Type.Length == 0) && (ignoreDefault || n.Default is null) && (ignoreProperties || n.PropertyList is not { Count: > 0 }) &&
        n.Description.Length == 0 && n.Title.Length == 0 && !n.Nullable && !n.HasExampleOrDocs &&
        !n.HasValueValidation && n.Items is null && !n.HasAdditionalProperties &&
        n.XPreserveUnknownFieldsRaw is null && !n.XEmbeddedResource && !n.XIntOrString && n.XListMapKeys is not { Count: > 0 } &&
        n.XListType is null && n.XMapType is null && n.XValidations is not { Count: > 0 };

    private static bool IsOnlyType(SchemaNode n, string type) => n.Type == type && IsBlank(n, ignoreType: true, ignoreDefault: false, ignoreProperties: false);

    private static bool IsIntOrStringAnyOf(List<SchemaNode>? anyOf) =>
        anyOf is { Count: 2 } && IsOnlyType(anyOf[0], "integer") && IsOnlyType(anyOf[1], "string");

    private static void ValidateValueValidation(SchemaNode v, bool skipAnyOf, bool skipFirstAllOfAnyOf, Level level, FieldPath path, List<FieldError> errors)
    {
        if (!skipAnyOf && v.AnyOf is { } anyOf)
        {
            for (var i = 0; i < anyOf.Count; i++)
            {
                ValidateNested(anyOf[i], false, level, path.Child("anyOf").Index(i), errors);
            }
        }
        if (v.AllOf is { } allOf)
        {
            for (var i = 0; i < allOf.Count; i++)
            {
                ValidateNested(allOf[i], skipFirstAllOfAnyOf && i == 0, level, path.Child("allOf").Index(i), errors);
            }
        }
        if (v.OneOf is { } oneOf)
        {
            for (var i = 0; i < oneOf.Count; i++)
            {
                ValidateNested(oneOf[i], false, level, path.Child("oneOf").Index(i), errors);
            }
        }
        if (v.Not is { } not)
        {
            ValidateNested(not, false, level, path.Child("not"), errors);
        }
        if (v.Pattern.Length > 0 && v.PatternRegex is null)
        {
            errors.Add(FieldError.Invalid(path.Child("pattern"), v.Pattern, "must be a valid regular expression, but isn't: " + v.PatternError));
        }
    }

    private static void ValidateNested(SchemaNode v, bool skipAnyOf, Level level, FieldPath path, List<FieldError> errors)
    {
        ValidateValueValidation(v, skipAnyOf, false, level, path, errors);
        if (v.Items is { } items)
        {
            ValidateNested(items, false, level, path.Child("items"), errors);
        }
        if (v.PropertyList is { } props)
        {
            foreach (var (name, prop) in props)
            {
                ValidateNested(prop, false, Level.Field, path.Child("properties").Key(name), errors);
            }
        }
        if (v.Type.Length > 0)
        {
            errors.Add(FieldError.Forbidden(path.Child("type"), "must be empty to be structural"));
        }
        // additionalProperties: false decodes to nothing in a nested value validation.
        if (v.AdditionalProperties is not null || v.AdditionalPropertiesBool == true)
        {
            errors.Add(FieldError.Forbidden(path.Child("additionalProperties"), "must be undefined to be structural"));
        }
        if (v.Default is not null)
        {
            errors.Add(FieldError.Forbidden(path.Child("default"), "must be undefined to be structural"));
        }
        if (v.Title.Length > 0)
        {
            errors.Add(FieldError.Forbidden(path.Child("title"), "must be empty to be structural"));
        }
        if (v.Description.Length > 0)
        {
            errors.Add(FieldError.Forbidden(path.Child("description"), "must be empty to be structural"));
        }
        if (v.Nullable)
        {
            errors.Add(FieldError.Forbidden(path.Child("nullable"), "must be false to be structural"));
        }
        if (v.XPreserveUnknownFields)
        {
            errors.Add(FieldError.Forbidden(path.Child("x-kubernetes-preserve-unknown-fields"), "must be false to be structural"));
        }
        if (v.XEmbeddedResource)
        {
            errors.Add(FieldError.Forbidden(path.Child("x-kubernetes-embedded-resource"), "must be false to be structural"));
        }
        if (v.XIntOrString)
        {
            errors.Add(FieldError.Forbidden(path.Child("x-kubernetes-int-or-string"), "must be false to be structural"));
        }
        if (v.XListMapKeys is { Count: > 0 })
        {
            errors.Add(FieldError.Forbidden(path.Child("x-kubernetes-list-map-keys"), "must be empty to be structural"));
        }
        if (v.XListType is not null)
        {
            errors.Add(FieldError.Forbidden(path.Child("x-kubernetes-list-type"), "must be undefined to be structural"));
        }
        if (v.XMapType is not null)
        {
            errors.Add(FieldError.Forbidden(path.Child("x-kubernetes-map-type"), "must be undefined to be structural"));
        }
        if (v.XValidations is { Count: > 0 })
        {
            errors.Add(FieldError.Forbidden(path.Child("x-kubernetes-validations"), "must be empty to be structural"));
        }
        if (v.Property("metadata") is not null)
        {
            errors.Add(FieldError.Forbidden(path.Child("properties").Key("metadata"), "must not be specified in a nested context"));
        }
    }

    // Every property and item named in a value validation must exist on the structural spine.
    private static void ValidateCompleteness(List<SchemaNode>? allOf, List<SchemaNode>? anyOf, List<SchemaNode>? oneOf, SchemaNode? not, SchemaNode? s, FieldPath sPath, FieldPath vPath, List<FieldError> errors)
    {
        if (not is not null)
        {
            ValidateNestedCompleteness(not, s, sPath, vPath.Child("not"), errors);
        }
        Each(allOf, "allOf");
        Each(anyOf, "anyOf");
        Each(oneOf, "oneOf");

        void Each(List<SchemaNode>? list, string name)
        {
            if (list is null)
            {
                return;
            }
            for (var i = 0; i < list.Count; i++)
            {
                ValidateNestedCompleteness(list[i], s, sPath, vPath.Child(name).Index(i), errors);
            }
        }
    }

    private static void ValidateNestedCompleteness(SchemaNode v, SchemaNode? s, FieldPath sPath, FieldPath vPath, List<FieldError> errors)
    {
        if (s is null)
        {
            errors.Add(FieldError.Required(sPath, "because it is defined in " + vPath));
            return;
        }
        ValidateCompleteness(v.AllOf, v.AnyOf, v.OneOf, v.Not, s, sPath, vPath, errors);
        if (v.Items is { } items)
        {
            ValidateNestedCompleteness(items, s.Items, sPath.Child("items"), vPath.Child("items"), errors);
        }
        if (v.PropertyList is { } props)
        {
            foreach (var (name, prop) in props)
            {
                if (s.Property(name) is { } sProp)
                {
                    ValidateNestedCompleteness(prop, sProp, sPath.Child("properties").Key(name), vPath.Child("properties").Key(name), errors);
                }
                else
                {
                    errors.Add(FieldError.Required(sPath.Child("properties").Key(name), "because it is defined in " + vPath.Child("properties").Key(name)));
                }
            }
        }
    }
}
