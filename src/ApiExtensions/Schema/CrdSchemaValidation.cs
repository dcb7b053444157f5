using System.Text.Json.Nodes;
using ApiMachinery.Validation;

namespace ApiExtensions.Schema;

/// <summary>
/// CRD-time checks of one version's <c>openAPIV3Schema</c>, as apiextensions' ValidateCustomResourceDefinition does
/// them for a v1 CRD (validateCustomResourceDefinitionValidation): the structural-schema rules (ValidateStructural),
/// defaults valid and pruned (ValidateDefaults), the OpenAPI keyword and x-kubernetes-* rules
/// (ValidateCustomResourceDefinitionOpenAPISchema) and the x-kubernetes-validations rules compiled within kube's
/// cost limits. Messages and field paths are kube's.
/// </summary>
public static class CrdSchemaValidation
{
    /// <summary>The largest estimated cost of one rule (StaticEstimatedCostLimit).</summary>
    public const ulong StaticEstimatedCostLimit = 10_000_000;

    /// <summary>The largest estimated cost of all the rules of one schema (StaticEstimatedCRDCostLimit).</summary>
    public const ulong StaticEstimatedCrdCostLimit = 100_000_000;

    private static readonly string[] OpenApiV3Types = ["array", "boolean", "integer", "number", "object", "string"];

    private static readonly string[] SupportedReasons = ["FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"];

    private static readonly string[] AllowedAtRootWithStatus =
    [
        "description", "type", "format", "title", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength",
        "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "multipleOf", "required", "items", "properties",
        "externalDocs", "example", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-validations",
    ];

    /// <summary>The errors of <paramref name="openApiV3Schema"/>; <paramref name="path"/> is the path of the schema
    /// itself (e.g. <c>spec.versions[0].schema.openAPIV3Schema</c>).</summary>
    public static IReadOnlyList<FieldError> ValidateSchema(JsonObject openApiV3Schema, FieldPath path) =>
        ValidateSchema(openApiV3Schema, path, statusSubresourceEnabled: false);

    /// <summary>As <see cref="ValidateSchema(JsonObject, FieldPath)"/>; with the status subresource enabled the
    /// root may only hold the fields kube allows there.</summary>
    public static IReadOnlyList<FieldError> ValidateSchema(JsonObject openApiV3Schema, FieldPath path, bool statusSubresourceEnabled)
    {
        ArgumentNullException.ThrowIfNull(openApiV3Schema);
        ArgumentNullException.ThrowIfNull(path);
        var schema = SchemaNode.Parse(openApiV3Schema);
        return Validate(schema, openApiV3Schema, path, statusSubresourceEnabled, out _);
    }

    internal static List<FieldError> Validate(SchemaNode schema, JsonObject source, FieldPath path, bool statusSubresourceEnabled, out CelRuleSet? rules)
    {
        CelValidation.EnsureInitialized();
        rules = null;
        var errors = new List<FieldError>();
        AddDecodeErrors(schema, path, errors);
        if (errors.Count > 0)
        {
            return errors;
        }

        if (statusSubresourceEnabled)
        {
            foreach (var (key, value) in source)
            {
                if (value is null)
                {
                    continue;
                }
                if (key == "type")
                {
                    if (schema.Type != "object")
                    {
                        errors.Add(FieldError.Invalid(path.Child("type"), schema.Type, "only \"object\" is allowed as the type at the root of the schema if the status subresource is enabled"));
                        break;
                    }
                    continue;
                }
                if (!AllowedAtRootWithStatus.Contains(key))
                {
                    errors.Add(FieldError.Invalid(path, FieldError.OmitValue,
                        "only [Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields XValidations] fields are allowed at the root of the schema if the status subresource is enabled"));
                    break;
                }
            }
        }

        if (schema.Nullable)
        {
            errors.Add(FieldError.Forbidden(path.Child("nullable"), "nullable cannot be true at the root"));
        }

        var structuralInitErrors = new List<FieldError>();
        var structuralOk = false;
        if (UnsupportedFieldError(schema) is { } unsupported)
        {
            structuralInitErrors.Add(FieldError.Invalid(path, "", unsupported));
        }
        else if (StructuralValidation.ValidateStructural(path, schema) is { Count: > 0 } structuralErrors)
        {
            errors.AddRange(structuralErrors);
        }
        else if (DefaultsValidation.ValidateDefaults(path, schema) is { Count: > 0 } defaultErrors)
        {
            errors.AddRange(defaultErrors);
        }
        else
        {
            structuralOk = true;
        }

        var context = structuralOk ? new CelSchemaContext(schema) : null;
        var openApi = new OpenApiErrors();
        ValidateOpenApiSchema(schema, path, new SpecValidator(), isRoot: true, context, context is null ? null : CelScope.Root, openApi);
        errors.AddRange(openApi.SchemaErrors);
        errors.AddRange(openApi.CelErrors);

        if (errors.Count == 0 && structuralInitErrors.Count > 0)
        {
            errors.AddRange(structuralInitErrors);
        }

        if (context is not null && context.TotalCost > StaticEstimatedCrdCostLimit)
        {
            foreach (var expensive in context.MostExpensive())
            {
                errors.Add(new FieldError(FieldErrorType.Forbidden, expensive, "", "contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema"));
            }
            errors.Add(FieldError.Forbidden(path, CostErrorMessage("x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema", context.TotalCost, StaticEstimatedCrdCostLimit)));
        }
        if (errors.Count == 0)
        {
            rules = context?.Rules;
        }
        return errors;
    }

    private static void AddDecodeErrors(SchemaNode node, FieldPath path, List<FieldError> errors)
    {
        if (node.DecodeErrors is { } decodeErrors)
        {
            foreach (var (relative, message) in decodeErrors)
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, path.ToString() + "." + relative, FieldError.OmitValue, message));
            }
        }
        if (node.PropertyList is { } props)
        {
            foreach (var (name, child) in props)
            {
                AddDecodeErrors(child, path.Child("properties").Key(name), errors);
            }
        }
        if (node.AdditionalProperties is { } ap)
        {
            AddDecodeErrors(ap, path.Child("additionalProperties"), errors);
        }
        if (node.Items is { } items)
        {
            AddDecodeErrors(items, path.Child("items"), errors);
        }
        if (node.Not is { } not)
        {
            AddDecodeErrors(not, path.Child("not"), errors);
        }
        AddDecodeErrors(node.AllOf, path.Child("allOf"), errors);
        AddDecodeErrors(node.AnyOf, path.Child("anyOf"), errors);
        AddDecodeErrors(node.OneOf, path.Child("oneOf"), errors);
    }

    private static void AddDecodeErrors(List<SchemaNode>? nodes, FieldPath path, List<FieldError> errors)
    {
        if (nodes is null)
        {
            return;
        }
        for (var i = 0; i < nodes.Count; i++)
        {
            AddDecodeErrors(nodes[i], path.Index(i), errors);
        }
    }

    // schema.NewStructural's refusals (validateUnsupportedFields and friends), anywhere in the tree.
    private static string? UnsupportedFieldError(SchemaNode s)
    {
        if (s.HasId)
        {
            return "OpenAPIV3Schema 'id' is not supported";
        }
        if (s.HasSchemaUrl)
        {
            return "OpenAPIV3Schema 'schema' is not supported";
        }
        if (s.HasRef)
        {
            return "OpenAPIV3Schema '$ref' is not supported";
        }
        if (s.HasPatternProperties)
        {
            return "OpenAPIV3Schema 'patternProperties' is not supported";
        }
        if (s.HasDependencies)
        {
            return "OpenAPIV3Schema 'dependencies' is not supported";
        }
        if (s.HasAdditionalItems)
        {
            return "OpenAPIV3Schema 'additionalItems' is not supported";
        }
        if (s.HasDefinitions)
        {
            return "OpenAPIV3Schema 'definitions' is not supported";
        }
        if (s.XPreserveUnknownFieldsRaw == false)
        {
            return "internal error: 'x-kubernetes-preserve-unknown-fields' must be true or undefined";
        }
        if (s.ItemsIsArray)
        {
            return "OpenAPIV3Schema 'items' must be a schema, but is an array";
        }
        foreach (var child in Children(s))
        {
            if (UnsupportedFieldError(child) is { } e)
            {
                return e;
            }
        }
        return null;
    }

    internal static IEnumerable<SchemaNode> Children(SchemaNode s)
    {
        if (s.PropertyList is { } props)
        {
            foreach (var (_, p) in props)
            {
                yield return p;
            }
        }
        if (s.AdditionalProperties is { } ap)
        {
            yield return ap;
        }
        if (s.Items is { } items)
        {
            yield return items;
        }
        if (s.Not is { } not)
        {
            yield return not;
        }
        foreach (var list in new[] { s.AllOf, s.AnyOf, s.OneOf })
        {
            if (list is not null)
            {
                foreach (var x in list)
                {
                    yield return x;
                }
            }
        }
    }

    internal static string CostErrorMessage(string costName, ulong expressionCost, ulong costLimit)
    {
        var exceedFactor = (double)expressionCost / costLimit;
        string factor;
        if (exceedFactor > 100.0)
        {
            factor = "more than 100x";
        }
        else if (exceedFactor < 1.5)
        {
            factor = exceedFactor.ToString("F6", System.Globalization.CultureInfo.InvariantCulture) + "x";
        }
        else
        {
            factor = exceedFactor.ToString("F1", System.Globalization.CultureInfo.InvariantCulture) + "x";
        }
        return $"{costName} exceeds budget by factor of {factor} (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)";
    }

    private sealed class OpenApiErrors
    {
        public List<FieldError> SchemaErrors { get; } = [];
        public List<FieldError> CelErrors { get; } = [];
    }

    /// <summary>specStandardValidatorV3 with its context flags (defaults allowed, inside resource metadata, oldSelf
    /// forbidden below an uncorrelatable list or map).</summary>
    private sealed record SpecValidator(
        bool AllowDefaults = true,
        string DisallowDefaultsReason = "",
        bool InsideResourceMeta = false,
        FieldPath? UncorrelatablePath = null)
    {
        public SpecValidator WithForbiddenDefaults(string reason) => this with { AllowDefaults = false, DisallowDefaultsReason = reason };

        public SpecValidator WithInsideResourceMeta() => this with { InsideResourceMeta = true };

        public SpecValidator WithForbidOldSelf(FieldPath path) => UncorrelatablePath is not null ? this : this with { UncorrelatablePath = path };

        public void Validate(SchemaNode s, FieldPath path, List<FieldError> errors)
        {
            if (s.Type.Length > 0 && Array.IndexOf(OpenApiV3Types, s.Type) < 0)
            {
                errors.Add(FieldError.NotSupported(path.Child("type"), s.Type, OpenApiV3Types));
            }
            if (s.Default is not null && !AllowDefaults)
            {
                var detail = "must not be set";
                if (DisallowDefaultsReason.Length > 0)
                {
                    detail += " " + DisallowDefaultsReason;
                }
                errors.Add(FieldError.Forbidden(path.Child("default"), detail));
            }
            if (s.HasId)
            {
                errors.Add(FieldError.Forbidden(path.Child("id"), "id is not supported"));
            }
            if (s.HasAdditionalItems)
            {
                errors.Add(FieldError.Forbidden(path.Child("additionalItems"), "additionalItems is not supported"));
            }
            if (s.HasPatternProperties)
            {
                errors.Add(FieldError.Forbidden(path.Child("patternProperties"), "patternProperties is not supported"));
            }
            if (s.HasDefinitions)
            {
                errors.Add(FieldError.Forbidden(path.Child("definitions"), "definitions is not supported"));
            }
            if (s.HasDependencies)
            {
                errors.Add(FieldError.Forbidden(path.Child("dependencies"), "dependencies is not supported"));
            }
            if (s.HasRef)
            {
                errors.Add(FieldError.Forbidden(path.Child("$ref"), "$ref is not supported"));
            }
            if (s.Type == "null")
            {
                errors.Add(FieldError.Forbidden(path.Child("type"), "type cannot be set to null, use nullable as an alternative"));
            }
            if (s.ItemsIsArray)
            {
                errors.Add(FieldError.Forbidden(path.Child("items"), "items must be a schema object and not an array"));
            }
            if (InsideResourceMeta && s.XEmbeddedResource)
            {
                errors.Add(FieldError.Forbidden(path.Child("x-kubernetes-embedded-resource"), "must not be used inside of resource meta"));
            }
        }
    }

    private static readonly HashSet<string> MetaFields = new(StringComparer.Ordinal) { "metadata", "kind", "apiVersion" };

    // ValidateCustomResourceDefinitionOpenAPISchema
    private static void ValidateOpenApiSchema(SchemaNode s, FieldPath path, SpecValidator ssv, bool isRoot, CelSchemaContext? cel, CelScope? scope, OpenApiErrors all)
    {
        var own = new OpenApiErrors();
        ssv.Validate(s, path, own.SchemaErrors);

        if (s.UniqueItems)
        {
            own.SchemaErrors.Add(FieldError.Forbidden(path.Child("uniqueItems"), "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"));
        }

        if (s.HasAdditionalProperties)
        {
            if (s.PropertyList is { Count: > 0 } && (s.AdditionalPropertiesBool == false || s.AdditionalProperties is not null))
            {
                own.SchemaErrors.Add(FieldError.Forbidden(path.Child("additionalProperties"), "additionalProperties and properties are mutual exclusive"));
            }
            var sub = ssv.InsideResourceMeta ? ssv.WithForbiddenDefaults("inside additionalProperties applying to object metadata") : ssv;
            if (s.AdditionalProperties is { } ap)
            {
                ValidateOpenApiSchema(ap, path.Child("additionalProperties"), sub, false, cel, scope?.AdditionalProperties(s.MaxProperties), own);
            }
        }

        if (s.PropertyList is { Count: > 0 } props)
        {
            foreach (var (name, prop) in props)
            {
                var sub = ssv;
                if (!MapIsCorrelatable(s.XMapType))
                {
                    sub = sub.WithForbidOldSelf(path);
                }
                if ((isRoot || s.XEmbeddedResource) && MetaFields.Contains(name))
                {
                    sub = sub.WithInsideResourceMeta();
                    if (isRoot)
                    {
                        sub = sub.WithForbiddenDefaults("in top-level " + name);
                    }
                }
                ValidateOpenApiSchema(prop, path.Child("properties").Key(name), sub, false, cel, scope?.Property(), own);
            }
        }

        if (s.Not is { } not)
        {
            ValidateOpenApiSchema(not, path.Child("not"), ssv, false, cel, null, own);
        }
        ValidateJunctor(s.AllOf, path.Child("allOf"), ssv, cel, own);
        ValidateJunctor(s.OneOf, path.Child("oneOf"), ssv, cel, own);
        ValidateJunctor(s.AnyOf, path.Child("anyOf"), ssv, cel, own);

        if (s.Items is { } items)
        {
            var sub = ssv;
            if (s.XListType != "map")
            {
                sub = sub.WithForbidOldSelf(path);
            }
            ValidateOpenApiSchema(items, path.Child("items"), sub, false, cel, scope?.Items(s.MaxItems), own);
        }

        if (s.XPreserveUnknownFieldsRaw == false)
        {
            own.SchemaErrors.Add(FieldError.Invalid(path.Child("x-kubernetes-preserve-unknown-fields"), false, "must be true or undefined"));
        }

        if (s.XMapType is not null && s.Type != "object")
        {
            own.SchemaErrors.Add(s.Type.Length == 0
                ? FieldError.Required(path.Child("type"), "must be object if x-kubernetes-map-type is specified")
                : FieldError.Invalid(path.Child("type"), s.Type, "must be object if x-kubernetes-map-type is specified"));
        }
        if (s.XMapType is not null and not "atomic" and not "granular")
        {
            own.SchemaErrors.Add(FieldError.NotSupported(path.Child("x-kubernetes-map-type"), s.XMapType, ["atomic", "granular"]));
        }

        if (s.XListType is not null && s.Type != "array")
        {
            own.SchemaErrors.Add(s.Type.Length == 0
                ? FieldError.Required(path.Child("type"), "must be array if x-kubernetes-list-type is specified")
                : FieldError.Invalid(path.Child("type"), s.Type, "must be array if x-kubernetes-list-type is specified"));
        }
        else if (s.XListType == "set" && s.Items is { } setItems)
        {
            switch (setItems.Type)
            {
                case "array" when setItems.XListType is not null and not "atomic":
                    own.SchemaErrors.Add(FieldError.Invalid(path.Child("items").Child("x-kubernetes-list-type"), setItems.XListType, "must be atomic as item of a list with x-kubernetes-list-type=set"));
                    break;
                case "object" when setItems.XMapType != "atomic":
                    own.SchemaErrors.Add(FieldError.Invalid(path.Child("items").Child("x-kubernetes-map-type"), setItems.XListType, "must be atomic as item of a list with x-kubernetes-list-type=set"));
                    break;
            }
        }

        if (s.XListType is not null and not "atomic" and not "set" and not "map")
        {
            own.SchemaErrors.Add(FieldError.NotSupported(path.Child("x-kubernetes-list-type"), s.XListType, ["atomic", "set", "map"]));
        }

        if (s.XListMapKeys is { Count: > 0 })
        {
            if (s.XListType is null)
            {
                own.SchemaErrors.Add(FieldError.Required(path.Child("x-kubernetes-list-type"), "must be map if x-kubernetes-list-map-keys is non-empty"));
            }
            else if (s.XListType != "map")
            {
                own.SchemaErrors.Add(FieldError.Invalid(path.Child("x-kubernetes-list-type"), s.XListType, "must be map if x-kubernetes-list-map-keys is non-empty"));
            }
        }

        if (s.XListType == "map")
        {
            if (s.XListMapKeys is not { Count: > 0 })
            {
                own.SchemaErrors.Add(FieldError.Required(path.Child("x-kubernetes-list-map-keys"), "must not be empty if x-kubernetes-list-type is map"));
            }
            if (s.Items is null)
            {
                own.SchemaErrors.Add(FieldError.Required(path.Child("items"), "must have a schema if x-kubernetes-list-type is map"));
            }
            if (s.Items is { } mapItems && mapItems.Type != "object")
            {
                own.SchemaErrors.Add(FieldError.Invalid(path.Child("items").Child("type"), mapItems.Type, "must be object if parent array's x-kubernetes-list-type is map"));
            }
            if (s.Items is { Type: "object" } objectItems)
            {
                var keys = new HashSet<string>(StringComparer.Ordinal);
                foreach (var k in s.XListMapKeys ?? [])
                {
                    if (objectItems.Property(k) is { } keySchema)
                    {
                        if (keySchema.Type is "array" or "object")
                        {
                            own.SchemaErrors.Add(FieldError.Invalid(path.Child("items").Child("properties").Key(k).Child("type"), objectItems.Type, "must be a scalar type if parent array's x-kubernetes-list-type is map"));
                        }
                    }
                    else
                    {
                        own.SchemaErrors.Add(FieldError.Invalid(path.Child("x-kubernetes-list-map-keys"), s.XListMapKeys, "entries must all be names of item properties"));
                    }
                    if (!keys.Add(k))
                    {
                        own.SchemaErrors.Add(FieldError.Invalid(path.Child("x-kubernetes-list-map-keys"), s.XListMapKeys, "must not contain duplicate entries"));
                    }
                }
            }
        }

        ValidateMapListKeysMapSet(s, path, own.SchemaErrors);

        if (s.XValidations is { Count: > 0 } rules)
        {
            for (var i = 0; i < rules.Count; i++)
            {
                var rule = rules[i];
                var rulePath = path.Child("x-kubernetes-validations").Index(i);
                var trimmedRule = rule.Rule.Trim();
                var trimmedMessage = rule.Message.Trim();
                if (trimmedRule.Length == 0)
                {
                    own.SchemaErrors.Add(FieldError.Required(rulePath.Child("rule"), "rule is not specified"));
                }
                else if (rule.Message.Length > 0 && trimmedMessage.Length == 0)
                {
                    own.SchemaErrors.Add(FieldError.Invalid(rulePath.Child("message"), rule.Message, "must be non-empty if specified"));
                }
                else if (HasNewlines(trimmedMessage))
                {
                    own.SchemaErrors.Add(FieldError.Invalid(rulePath.Child("message"), rule.Message, "must not contain line breaks"));
                }
                else if (HasNewlines(trimmedRule) && trimmedMessage.Length == 0)
                {
                    own.SchemaErrors.Add(FieldError.Required(rulePath.Child("message"), "message must be specified if rule contains line breaks"));
                }
                if (rule.MessageExpression.Length > 0 && rule.MessageExpression.Trim().Length == 0)
                {
                    own.SchemaErrors.Add(FieldError.Required(rulePath.Child("messageExpression"), "messageExpression must be non-empty if specified"));
                }
                if (rule.Reason is not null && Array.IndexOf(SupportedReasons, rule.Reason) < 0)
                {
                    own.SchemaErrors.Add(FieldError.NotSupported(rulePath.Child("reason"), rule.Reason, SupportedReasons));
                }
                if (rule.FieldPath.Length > 0 && rule.FieldPath.Trim().Length == 0)
                {
                    own.SchemaErrors.Add(FieldError.Invalid(rulePath.Child("fieldPath"), rule.FieldPath, "must be non-empty if specified"));
                }
                if (HasNewlines(rule.FieldPath))
                {
                    own.SchemaErrors.Add(FieldError.Invalid(rulePath.Child("fieldPath"), rule.FieldPath, "must not contain line breaks"));
                }
                if (rule.FieldPath.Length > 0 && !RuleFieldPath.TryParse(rule.FieldPath, s, out _, out _))
                {
                    own.SchemaErrors.Add(FieldError.Invalid(rulePath.Child("fieldPath"), rule.FieldPath, "must be a valid path"));
                }
            }

            // Schema errors at this level or deeper make CEL checking pointless (as in kube).
            if (own.SchemaErrors.Count == 0 && all.SchemaErrors.Count == 0 && cel is not null && scope is not null)
            {
                cel.CompileRules(s, isRoot || s.XEmbeddedResource, scope, path, ssv.UncorrelatablePath, own.CelErrors);
            }
        }

        all.SchemaErrors.AddRange(own.SchemaErrors);
        all.CelErrors.AddRange(own.CelErrors);
    }

    private static void ValidateJunctor(List<SchemaNode>? nodes, FieldPath path, SpecValidator ssv, CelSchemaContext? cel, OpenApiErrors all)
    {
        if (nodes is null)
        {
            return;
        }
        for (var i = 0; i < nodes.Count; i++)
        {
            ValidateOpenApiSchema(nodes[i], path.Index(i), ssv, false, cel, null, all);
        }
    }

    private static void ValidateMapListKeysMapSet(SchemaNode s, FieldPath path, List<FieldError> errors)
    {
        if (s.Items is not { } items || s.XListType is not ("set" or "map"))
        {
            return;
        }
        if (items.Nullable)
        {
            errors.Add(FieldError.Forbidden(path.Child("items").Child("nullable"), "cannot be nullable when x-kubernetes-list-type is " + s.XListType));
        }
        if (s.XListType == "map")
        {
            var required = new HashSet<string>(items.Required ?? [], StringComparer.Ordinal);
            foreach (var k in s.XListMapKeys ?? [])
            {
                if (items.Property(k) is not { } keySchema)
                {
                    continue;
                }
                if (!required.Contains(k) && keySchema.Default is null)
                {
                    errors.Add(FieldError.Required(path.Child("items").Child("properties").Key(k).Child("default"), "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property"));
                }
                if (keySchema.Nullable)
                {
                    errors.Add(FieldError.Forbidden(path.Child("items").Child("properties").Key(k).Child("nullable"), "this property is in x-kubernetes-list-map-keys, so it cannot be nullable"));
                }
            }
        }
    }

    internal static bool MapIsCorrelatable(string? mapType) => mapType is null or "granular" or "atomic";

    internal static bool HasNewlines(string s) => s.AsSpan().IndexOfAny('\n', '\r') >= 0;
}
