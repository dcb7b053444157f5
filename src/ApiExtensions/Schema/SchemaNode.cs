using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ApiExtensions.Schema;

/// <summary>One x-kubernetes-validations rule (apiextensions/v1 ValidationRule).</summary>
internal sealed record ValidationRule(
    string Rule,
    string Message,
    string MessageExpression,
    string? Reason,
    string FieldPath,
    bool? OptionalOldSelf,
    JsonNode Source);

/// <summary>
/// One node of a CRD's <c>openAPIV3Schema</c> (JSONSchemaProps), read from JSON once. The same type serves the
/// structural spine (properties, items, additionalProperties) and the value validations nested under
/// allOf/anyOf/oneOf/not, as apiextensions' Structural and NestedValueValidation do.
/// </summary>
internal sealed class SchemaNode
{
    // Generic
    public string Type { get; set; } = "";
    public string Format { get; set; } = "";
    public string Description { get; set; } = "";
    public string Title { get; set; } = "";
    /// <summary>externalDocs or example given (generic fields that only matter to structural rules).</summary>
    public bool HasExampleOrDocs { get; set; }
    public bool Nullable { get; set; }
    /// <summary>The default value (never JSON null: a null default is no default, as in Go).</summary>
    public JsonNode? Default { get; set; }

    // Structure
    public List<KeyValuePair<string, SchemaNode>>? PropertyList { get; set; }
    public Dictionary<string, SchemaNode>? Properties { get; set; }
    /// <summary>additionalProperties given as a schema.</summary>
    public SchemaNode? AdditionalProperties { get; set; }
    /// <summary>additionalProperties given at all (a schema, true or false).</summary>
    public bool HasAdditionalProperties { get; set; }
    /// <summary>additionalProperties: false, or true, when given as a boolean.</summary>
    public bool? AdditionalPropertiesBool { get; set; }
    public SchemaNode? Items { get; set; }
    /// <summary>items given as an array of schemas (forbidden).</summary>
    public bool ItemsIsArray { get; set; }

    // Value validation
    public double? Maximum { get; set; }
    public bool ExclusiveMaximum { get; set; }
    public double? Minimum { get; set; }
    public bool ExclusiveMinimum { get; set; }
    public long? MaxLength { get; set; }
    public long? MinLength { get; set; }
    public string Pattern { get; set; } = "";
    public Regex? PatternRegex { get; set; }
    public string? PatternError { get; set; }
    public long? MaxItems { get; set; }
    public long? MinItems { get; set; }
    public bool UniqueItems { get; set; }
    public double? MultipleOf { get; set; }
    public JsonArray? Enum { get; set; }
    public long? MaxProperties { get; set; }
    public long? MinProperties { get; set; }
    public List<string>? Required { get; set; }
    public List<SchemaNode>? AllOf { get; set; }
    public List<SchemaNode>? AnyOf { get; set; }
    public List<SchemaNode>? OneOf { get; set; }
    public SchemaNode? Not { get; set; }

    // Kubernetes extensions
    /// <summary>x-kubernetes-preserve-unknown-fields as given (false is an error at CRD time).</summary>
    public bool? XPreserveUnknownFieldsRaw { get; set; }
    public bool XPreserveUnknownFields => XPreserveUnknownFieldsRaw == true;
    public bool XEmbeddedResource { get; set; }
    public bool XIntOrString { get; set; }
    public List<string>? XListMapKeys { get; set; }
    public string? XListType { get; set; }
    public string? XMapType { get; set; }
    public List<ValidationRule>? XValidations { get; set; }

    // Unsupported JSON-schema fields: only reported at CRD time.
    public bool HasId { get; set; }
    public bool HasSchemaUrl { get; set; }
    public bool HasRef { get; set; }
    public bool HasPatternProperties { get; set; }
    public bool HasDependencies { get; set; }
    public bool HasAdditionalItems { get; set; }
    public bool HasDefinitions { get; set; }

    /// <summary>The types kube-openapi checks: [type], ["integer","string"] for int-or-string, or none.</summary>
    public string[] OpenApiTypes { get; private set; } = [];

    /// <summary>The format after apiextensions drops the ones it does not check (StripUnsupportedFormats).</summary>
    public string EffectiveFormat { get; private set; } = "";

    private static string EffectiveFormatOf(string[] types, string format)
    {
        if (format.Length == 0)
        {
            return "";
        }
        var type = types.Length == 1 ? types[0] : "";
        return type switch
        {
            "" or "string" => Formats.Supported(format) is not null ? format : "",
            "integer" => format is "int32" or "int64" ? format : "",
            "number" => format is "float" or "double" ? format : "",
            _ => "",
        };
    }

    /// <summary>The normalized name of the string format value validation checks (null when none is checked).</summary>
    public string? CheckedFormat { get; private set; }

    /// <summary>The enum when every entry is a string (the common case, checked without JSON comparisons).</summary>
    public string[]? EnumStrings { get; private set; }

    /// <summary>Facts about the subtree, computed once when the schema is compiled (see <see cref="ComputeSubtreeFacts"/>).</summary>
    public bool SubtreeHasRules { get; private set; }

    public bool SubtreeHasDefaults { get; private set; }

    public bool SubtreeHasEmbedded { get; private set; }

    public bool SubtreeHasListTypes { get; private set; }

    /// <summary>Fills the Subtree* flags of this node and every node under it (properties, items, additionalProperties).</summary>
    public void ComputeSubtreeFacts()
    {
        SubtreeHasRules = XValidations is { Count: > 0 };
        SubtreeHasDefaults = Default is not null;
        SubtreeHasEmbedded = false;
        SubtreeHasListTypes = XListType is "set" or "map";
        foreach (var child in SpineChildren())
        {
            child.ComputeSubtreeFacts();
            SubtreeHasRules |= child.SubtreeHasRules;
            SubtreeHasDefaults |= child.SubtreeHasDefaults;
            SubtreeHasEmbedded |= child.SubtreeHasEmbedded || child.XEmbeddedResource;
            SubtreeHasListTypes |= child.SubtreeHasListTypes;
        }
    }

    private IEnumerable<SchemaNode> SpineChildren()
    {
        if (PropertyList is { } props)
        {
            foreach (var (_, p) in props)
            {
                yield return p;
            }
        }
        if (Items is { } items)
        {
            yield return items;
        }
        if (AdditionalProperties is { } ap)
        {
            yield return ap;
        }
    }

    /// <summary>Problems reading the JSON itself (a field of the wrong JSON type), with their paths.</summary>
    public List<(string RelativePath, string Message)>? DecodeErrors { get; set; }

    public bool HasValueValidation =>
        Maximum is not null || Minimum is not null || MaxLength is not null || MinLength is not null || Pattern.Length > 0 ||
        MaxItems is not null || MinItems is not null || UniqueItems || MultipleOf is not null || Enum is not null ||
        MaxProperties is not null || MinProperties is not null || Required is { Count: > 0 } || AllOf is not null ||
        AnyOf is not null || OneOf is not null || Not is not null || Format.Length > 0;

    public SchemaNode ShallowCopy() => (SchemaNode)MemberwiseClone();

    public void SetProperties(List<KeyValuePair<string, SchemaNode>> properties)
    {
        PropertyList = properties;
        _celFieldNames = null;
        Properties = new Dictionary<string, SchemaNode>(properties.Count, StringComparer.Ordinal);
        foreach (var (name, node) in properties)
        {
            Properties[name] = node;
        }
    }

    /// <summary>CEL field names (escaped) to property names, for run-time field access; built once.</summary>
    public Dictionary<string, string> CelFieldNames => _celFieldNames ??= BuildCelFieldNames();

    private Dictionary<string, string>? _celFieldNames;

    private Dictionary<string, string> BuildCelFieldNames()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, _) in PropertyList ?? [])
        {
            if (SchemaCelTypes.Escape(name) is { } celName)
            {
                map[celName] = name;
            }
        }
        return map;
    }

    /// <summary>The x-kubernetes-validations rules of this node, compiled (set once the schema is compiled).</summary>
    internal CompiledRule[]? CompiledRules { get; set; }

    public SchemaNode? Property(string name) =>
        Properties is not null && Properties.TryGetValue(name, out var p) ? p : null;

    /// <summary>The schema a map value or an unknown-to-properties key falls under: the named property, else
    /// additionalProperties' schema.</summary>
    public SchemaNode? FieldSchema(string name)
    {
        if (Properties is not null && Properties.TryGetValue(name, out var p))
        {
            return p;
        }
        return AdditionalProperties;
    }

    /// <summary>Reads a JSONSchemaProps object. Never throws: problems go to <see cref="DecodeErrors"/>.</summary>
    public static SchemaNode Parse(JsonObject json)
    {
        var node = new SchemaNode();
        foreach (var (key, value) in json)
        {
            node.ReadField(key, value);
        }
        node.OpenApiTypes = node.XIntOrString ? ["integer", "string"] : node.Type.Length > 0 ? [node.Type] : [];
        node.EffectiveFormat = EffectiveFormatOf(node.OpenApiTypes, node.Format);
        node.CheckedFormat = node.EffectiveFormat.Length > 0 ? Formats.Supported(node.EffectiveFormat) : null;
        if (node.Enum is { Count: > 0 } e && e.All(v => v is JsonValue jv && jv.GetValueKind() == JsonValueKind.String))
        {
            node.EnumStrings = e.Select(v => v!.GetValue<string>()).ToArray();
        }
        return node;
    }

    private void DecodeError(string path, string message) => (DecodeErrors ??= []).Add((path, message));

    private void ReadField(string key, JsonNode? value)
    {
        switch (key)
        {
            case "id":
                HasId = value is not null && ReadString(key, value).Length > 0;
                break;
            case "$schema":
                HasSchemaUrl = value is not null && ReadString(key, value).Length > 0;
                break;
            case "$ref":
                HasRef = value is not null;
                break;
            case "description":
                Description = ReadString(key, value);
                break;
            case "type":
                Type = ReadString(key, value);
                break;
            case "format":
                Format = ReadString(key, value);
                break;
            case "title":
                Title = ReadString(key, value);
                break;
            case "default":
                Default = value?.DeepClone();
                break;
            case "maximum":
                Maximum = ReadNumber(key, value);
                break;
            case "exclusiveMaximum":
                ExclusiveMaximum = ReadBool(key, value) ?? false;
                break;
            case "minimum":
                Minimum = ReadNumber(key, value);
                break;
            case "exclusiveMinimum":
                ExclusiveMinimum = ReadBool(key, value) ?? false;
                break;
            case "maxLength":
                MaxLength = ReadInteger(key, value);
                break;
            case "minLength":
                MinLength = ReadInteger(key, value);
                break;
            case "pattern":
                Pattern = ReadString(key, value);
                if (Pattern.Length > 0)
                {
                    (PatternRegex, PatternError) = GoRegex.TryCompile(Pattern);
                }
                break;
            case "maxItems":
                MaxItems = ReadInteger(key, value);
                break;
            case "minItems":
                MinItems = ReadInteger(key, value);
                break;
            case "uniqueItems":
                UniqueItems = ReadBool(key, value) ?? false;
                break;
            case "multipleOf":
                MultipleOf = ReadNumber(key, value);
                break;
            case "enum":
                if (value is JsonArray enumValues)
                {
                    Enum = (JsonArray)enumValues.DeepClone();
                }
                else if (value is not null)
                {
                    DecodeError(key, "must be an array");
                }
                break;
            case "maxProperties":
                MaxProperties = ReadInteger(key, value);
                break;
            case "minProperties":
                MinProperties = ReadInteger(key, value);
                break;
            case "required":
                Required = ReadStrings(key, value);
                break;
            case "items":
                if (value is JsonObject itemsObject)
                {
                    Items = Parse(itemsObject);
                }
                else if (value is JsonArray itemsArray)
                {
                    ItemsIsArray = true;
                    if (itemsArray.Count == 1 && itemsArray[0] is JsonObject only)
                    {
                        // JSONSchemaPropsOrArray decodes a one-element array as that schema.
                        Items = Parse(only);
                        ItemsIsArray = false;
                    }
                }
                else if (value is not null)
                {
                    DecodeError(key, "must be an object or an array");
                }
                break;
            case "allOf":
                AllOf = ReadSchemas(key, value);
                break;
            case "oneOf":
                OneOf = ReadSchemas(key, value);
                break;
            case "anyOf":
                AnyOf = ReadSchemas(key, value);
                break;
            case "not":
                if (value is JsonObject notObject)
                {
                    Not = Parse(notObject);
                }
                else if (value is not null)
                {
                    DecodeError(key, "must be an object");
                }
                break;
            case "properties":
                if (value is JsonObject props)
                {
                    PropertyList = new List<KeyValuePair<string, SchemaNode>>(props.Count);
                    Properties = new Dictionary<string, SchemaNode>(props.Count, StringComparer.Ordinal);
                    foreach (var (name, propValue) in props)
                    {
                        if (propValue is JsonObject propObject)
                        {
                            var child = Parse(propObject);
                            PropertyList.Add(new(name, child));
                            Properties[name] = child;
                        }
                        else
                        {
                            DecodeError(key + "[" + name + "]", "must be an object");
                        }
                    }
                }
                else if (value is not null)
                {
                    DecodeError(key, "must be an object");
                }
                break;
            case "additionalProperties":
                if (value is JsonObject apObject)
                {
                    HasAdditionalProperties = true;
                    AdditionalProperties = Parse(apObject);
                }
                else if (value is JsonValue apValue && apValue.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
                {
                    HasAdditionalProperties = true;
                    AdditionalPropertiesBool = apValue.GetValueKind() == JsonValueKind.True;
                }
                else if (value is not null)
                {
                    DecodeError(key, "must be an object or a boolean");
                }
                break;
            case "patternProperties":
                HasPatternProperties = value is JsonObject { Count: > 0 };
                break;
            case "dependencies":
                HasDependencies = value is JsonObject;
                break;
            case "additionalItems":
                HasAdditionalItems = value is not null;
                break;
            case "definitions":
                HasDefinitions = value is JsonObject { Count: > 0 };
                break;
            case "nullable":
                Nullable = ReadBool(key, value) ?? false;
                break;
            case "x-kubernetes-preserve-unknown-fields":
                XPreserveUnknownFieldsRaw = ReadBool(key, value);
                break;
            case "x-kubernetes-embedded-resource":
                XEmbeddedResource = ReadBool(key, value) ?? false;
                break;
            case "x-kubernetes-int-or-string":
                XIntOrString = ReadBool(key, value) ?? false;
                break;
            case "x-kubernetes-list-map-keys":
                XListMapKeys = ReadStrings(key, value);
                break;
            case "x-kubernetes-list-type":
                XListType = value is null ? null : ReadString(key, value);
                break;
            case "x-kubernetes-map-type":
                XMapType = value is null ? null : ReadString(key, value);
                break;
            case "x-kubernetes-validations":
                XValidations = ReadRules(key, value);
                break;
            case "externalDocs":
            case "example":
                HasExampleOrDocs = value is not null;
                break;
            // Unknown fields have no effect on validation.
        }
    }

    private string ReadString(string key, JsonNode? value)
    {
        if (value is null)
        {
            return "";
        }
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            return v.GetValue<string>();
        }
        DecodeError(key, "must be a string");
        return "";
    }

    private bool? ReadBool(string key, JsonNode? value)
    {
        if (value is null)
        {
            return null;
        }
        if (value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return v.GetValueKind() == JsonValueKind.True;
        }
        DecodeError(key, "must be a boolean");
        return null;
    }

    private double? ReadNumber(string key, JsonNode? value)
    {
        if (value is null)
        {
            return null;
        }
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
        {
            return v.GetValue<double>();
        }
        DecodeError(key, "must be a number");
        return null;
    }

    private long? ReadInteger(string key, JsonNode? value)
    {
        if (value is null)
        {
            return null;
        }
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
        {
            if (v.TryGetValue<long>(out var l))
            {
                return l;
            }
            var d = v.GetValue<double>();
            if (d == Math.Floor(d) && Math.Abs(d) < 9.2e18)
            {
                return (long)d;
            }
        }
        DecodeError(key, "must be an integer");
        return null;
    }

    private List<string>? ReadStrings(string key, JsonNode? value)
    {
        if (value is null)
        {
            return null;
        }
        if (value is not JsonArray array)
        {
            DecodeError(key, "must be an array of strings");
            return null;
        }
        var list = new List<string>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            {
                list.Add(v.GetValue<string>());
            }
            else
            {
                DecodeError(key + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", "must be a string");
            }
        }
        return list;
    }

    private List<SchemaNode>? ReadSchemas(string key, JsonNode? value)
    {
        if (value is null)
        {
            return null;
        }
        if (value is not JsonArray array)
        {
            DecodeError(key, "must be an array of schemas");
            return null;
        }
        var list = new List<SchemaNode>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is JsonObject o)
            {
                list.Add(Parse(o));
            }
            else
            {
                DecodeError(key + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", "must be an object");
            }
        }
        return list;
    }

    private List<ValidationRule>? ReadRules(string key, JsonNode? value)
    {
        if (value is null)
        {
            return null;
        }
        if (value is not JsonArray array)
        {
            DecodeError(key, "must be an array");
            return null;
        }
        var rules = new List<ValidationRule>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject o)
            {
                DecodeError(key + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", "must be an object");
                continue;
            }
            var at = key + "[" + i.ToString(CultureInfo.InvariantCulture) + "].";
            rules.Add(new ValidationRule(
                ReadString(at + "rule", o["rule"]),
                ReadString(at + "message", o["message"]),
                ReadString(at + "messageExpression", o["messageExpression"]),
                o["reason"] is null ? null : ReadString(at + "reason", o["reason"]),
                ReadString(at + "fieldPath", o["fieldPath"]),
                ReadBool(at + "optionalOldSelf", o["optionalOldSelf"]),
                o.DeepClone()));
        }
        return rules;
    }
}
