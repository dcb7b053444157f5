using System.Text.Json;
using System.Text.Json.Nodes;

namespace ApiMachinery.Schema;

/// <summary>
/// The type check kube-apiserver's decoder makes: a value of the wrong JSON type for its field
/// (an array where a map belongs, a string where an int32 belongs, a fraction in an integer, bad
/// base64 in a Secret) cannot be decoded into the Go struct, so the request is refused before
/// anything else looks at it. The message is Go's encoding/json one, e.g.
/// <c>json: cannot unmarshal array into Go struct field ConfigMap.data of type map[string]string</c>.
/// Go reports the first such error; so does this. null is fine anywhere (a zero value).
/// </summary>
public static class FieldTypes
{
    /// <summary>The first type error in <paramref name="obj"/>, or null when it decodes.</summary>
    public static string? FirstError(JsonObject obj, DefinitionSchema schema) =>
        CheckObject(obj, schema, []);

    private static string? CheckObject(JsonObject obj, DefinitionSchema schema, List<string> path)
    {
        if (!schema.IsObject || schema.Fields.Count == 0)
        {
            return null;
        }

        foreach (var (name, value) in obj)
        {
            if (schema.Field(name) is not { } field)
            {
                continue;
            }

            path.Add(name);
            var error = CheckField(value, field, schema, path);
            path.RemoveAt(path.Count - 1);
            if (error is not null)
            {
                return error;
            }
        }

        return null;
    }

    private static string? CheckField(JsonNode? value, FieldSchema field, DefinitionSchema parent, List<string> path)
    {
        if (value is null)
        {
            return null;
        }

        switch (field.Kind)
        {
            case FieldKind.Array:
                if (value is not JsonArray items)
                {
                    return Mismatch(value, parent, path, "[]" + ElementTypeName(field));
                }

                foreach (var item in items)
                {
                    if (CheckElement(item, field, parent, path) is { } error)
                    {
                        return error;
                    }
                }

                return null;
            case FieldKind.Map:
                if (value is not JsonObject map)
                {
                    return Mismatch(value, parent, path, "map[string]" + ElementTypeName(field));
                }

                foreach (var (_, entry) in map)
                {
                    if (CheckElement(entry, field, parent, path) is { } error)
                    {
                        return error;
                    }

                    if (IsByteMap(parent, field) && entry is JsonValue text && text.TryGetValue<string>(out var encoded)
                        && !IsBase64(encoded, out var at))
                    {
                        return $"illegal base64 data at input byte {at}";
                    }
                }

                return null;
            case FieldKind.Ref:
                return CheckRef(value, field.Definition, parent, path);
            case FieldKind.Object:
                return null;
            default:
                return CheckScalar(value, field.Kind, field.Format, parent, path);
        }
    }

    private static string? CheckElement(JsonNode? item, FieldSchema field, DefinitionSchema parent, List<string> path)
    {
        if (item is null)
        {
            return null;
        }

        return field.ElementKind switch
        {
            FieldKind.Ref => CheckRef(item, field.Definition, parent, path),
            FieldKind.Array => item is JsonArray ? null : Mismatch(item, parent, path, "[]string"),
            FieldKind.Map => item is JsonObject ? null : Mismatch(item, parent, path, "map[string]string"),
            FieldKind.Object or null => null,
            { } kind => CheckScalar(item, kind, null, parent, path),
        };
    }

    private static string? CheckRef(JsonNode value, DefinitionSchema? definition, DefinitionSchema parent, List<string> path)
    {
        if (definition is null)
        {
            return null;
        }

        switch (definition.Format)
        {
            case "int-or-string":
                return value is JsonValue v && v.GetValueKind() is JsonValueKind.String or JsonValueKind.Number
                    ? null
                    : Mismatch(value, parent, path, "intstr.IntOrString");
            case "date-time":
                return value is JsonValue t && t.GetValueKind() == JsonValueKind.String
                    ? null
                    : Mismatch(value, parent, path, "v1.Time");
        }

        if (definition.Name.EndsWith(".Quantity", StringComparison.Ordinal))
        {
            return value is JsonValue q && q.GetValueKind() is JsonValueKind.String or JsonValueKind.Number
                ? null
                : Mismatch(value, parent, path, "resource.Quantity");
        }

        if (!definition.IsObject)
        {
            return null;
        }

        if (value is not JsonObject obj)
        {
            // Free-form definitions (RawExtension, JSON) take any value; FieldsV1 is an object like the rest.
            var freeForm = definition.Fields.Count == 0 && !definition.Name.EndsWith(".FieldsV1", StringComparison.Ordinal);
            return freeForm ? null : Mismatch(value, parent, path, GoTypeName(definition));
        }

        return CheckObject(obj, definition, path);
    }

    private static string? CheckScalar(JsonNode value, FieldKind kind, string? format, DefinitionSchema parent, List<string> path)
    {
        var valueKind = value is JsonValue v ? v.GetValueKind() : value is JsonArray ? JsonValueKind.Array : JsonValueKind.Object;
        switch (kind)
        {
            case FieldKind.String when valueKind != JsonValueKind.String:
                return Mismatch(value, parent, path, "string");
            case FieldKind.Boolean when valueKind is not (JsonValueKind.True or JsonValueKind.False):
                return Mismatch(value, parent, path, "bool");
            case FieldKind.Number when valueKind != JsonValueKind.Number:
                return Mismatch(value, parent, path, "float64");
            case FieldKind.Integer:
                var type = format is "int32" or "int64" ? format : "int";
                if (valueKind != JsonValueKind.Number)
                {
                    return Mismatch(value, parent, path, type);
                }

                var fits = format == "int32"
                    ? ((JsonValue)value).TryGetValue<int>(out _)
                    : ((JsonValue)value).TryGetValue<long>(out _);
                return fits ? null : Mismatch(value, parent, path, type, numberText: true);
            default:
                return null;
        }
    }

    /// <summary>Go's message: the JSON kind, the innermost struct and the field path from the root, the Go type.</summary>
    private static string Mismatch(JsonNode value, DefinitionSchema parent, List<string> path, string goType, bool numberText = false)
    {
        var kind = value switch
        {
            JsonObject => "object",
            JsonArray => "array",
            JsonValue v => v.GetValueKind() switch
            {
                JsonValueKind.String => "string",
                JsonValueKind.Number => numberText ? "number " + v.ToJsonString() : "number",
                JsonValueKind.True or JsonValueKind.False => "bool",
                _ => "value",
            },
            _ => "value",
        };
        return $"json: cannot unmarshal {kind} into Go struct field {ShortName(parent)}.{string.Join('.', path)} of type {goType}";
    }

    private static string ElementTypeName(FieldSchema field) => field.ElementKind switch
    {
        FieldKind.Ref when field.Definition is { } d => GoTypeName(d),
        FieldKind.Integer => "int32",
        FieldKind.Number => "float64",
        FieldKind.Boolean => "bool",
        FieldKind.Array => "[]string",
        _ => "string",
    };

    /// <summary><c>v1.PodSpec</c> for io.k8s.api.core.v1.PodSpec: the package's last segment and the type.</summary>
    private static string GoTypeName(DefinitionSchema definition)
    {
        var parts = definition.Name.Split('.');
        return parts.Length >= 2 ? parts[^2] + "." + parts[^1] : definition.Name;
    }

    private static string ShortName(DefinitionSchema definition) => definition.Name[(definition.Name.LastIndexOf('.') + 1)..];

    /// <summary>Secret.data and ConfigMap.binaryData hold []byte, which JSON carries as base64.</summary>
    private static bool IsByteMap(DefinitionSchema parent, FieldSchema field) =>
        (parent.Name == "io.k8s.api.core.v1.Secret" && field.Name == "data")
        || (parent.Name == "io.k8s.api.core.v1.ConfigMap" && field.Name == "binaryData");

    /// <summary>Standard base64 with padding, as Go's decoder reads it; <paramref name="at"/> is the first bad byte.</summary>
    private static bool IsBase64(string text, out int at)
    {
        for (at = 0; at < text.Length; at++)
        {
            var c = text[at];
            var ok = c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '+' or '/' or '\r' or '\n'
                || (c == '=' && at >= text.Length - 2);
            if (!ok)
            {
                return false;
            }
        }

        var significant = text.Count(c => c is not ('\r' or '\n'));
        if (significant % 4 != 0)
        {
            at = text.Length;
            return false;
        }

        return true;
    }
}
