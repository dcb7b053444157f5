using System.Text.Json.Nodes;
using ApiMachinery.Schema;

namespace ApiServer.OpenApi;

/// <summary>
/// OpenAPI schemas of the built-in definitions, rebuilt from the schema facts: types and formats,
/// references, required fields, x-kubernetes-group-version-kind, and the patch and list extensions
/// (patch strategy and merge key, list type and map keys, map type) that clients read. No
/// descriptions: the facts carry none. <see cref="V2"/> writes swagger 2.0 definitions,
/// <see cref="V3"/> OpenAPI 3 components (IntOrString as x-kubernetes-int-or-string).
/// </summary>
internal static class OpenApiSchemas
{
    private const string IntOrString = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";

    public static JsonObject V2(SchemaFacts facts, IReadOnlyDictionary<string, List<(string Group, string Version, string Kind)>> kinds) =>
        Definitions(facts.Definitions, kinds, "#/definitions/", v3: false);

    /// <summary>The components of one group/version document: its kinds' definitions and everything they refer to.</summary>
    public static JsonObject V3(SchemaFacts facts, IReadOnlyDictionary<string, List<(string Group, string Version, string Kind)>> kinds, IEnumerable<string> roots)
    {
        var needed = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(roots);
        while (pending.TryPop(out var name))
        {
            if (!needed.Add(name) || facts.Definition(name) is not { } definition)
            {
                continue;
            }

            foreach (var field in definition.Fields.Values)
            {
                if (field.Target is { } target && !needed.Contains(target))
                {
                    pending.Push(target);
                }
            }
        }

        return Definitions(needed.Select(facts.Definition).OfType<DefinitionSchema>(), kinds, "#/components/schemas/", v3: true);
    }

    /// <summary>Definition name to the kinds it describes, from the facts' K rows.</summary>
    public static Dictionary<string, List<(string Group, string Version, string Kind)>> KindsByDefinition(SchemaFacts facts, IEnumerable<(string Group, string Version, string Kind)> served)
    {
        var result = new Dictionary<string, List<(string, string, string)>>(StringComparer.Ordinal);
        foreach (var gvk in served)
        {
            if (facts.ForKind(gvk.Group, gvk.Version, gvk.Kind) is { } definition)
            {
                if (!result.TryGetValue(definition.Name, out var list))
                {
                    result[definition.Name] = list = [];
                }

                if (!list.Contains(gvk))
                {
                    list.Add(gvk);
                }
            }
        }

        return result;
    }

    private static JsonObject Definitions(IEnumerable<DefinitionSchema> definitions, IReadOnlyDictionary<string, List<(string Group, string Version, string Kind)>> kinds, string refPrefix, bool v3)
    {
        var result = new JsonObject();
        foreach (var definition in definitions.OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            result[definition.Name] = Definition(definition, kinds, refPrefix, v3);
        }

        return result;
    }

    private static JsonObject Definition(DefinitionSchema definition, IReadOnlyDictionary<string, List<(string Group, string Version, string Kind)>> kinds, string refPrefix, bool v3)
    {
        if (!definition.IsObject)
        {
            if (v3 && definition.Name == IntOrString)
            {
                return new JsonObject { ["x-kubernetes-int-or-string"] = true };
            }

            var scalar = new JsonObject { ["type"] = definition.Type };
            if (definition.Format is { } format)
            {
                scalar["format"] = format;
            }

            return scalar;
        }

        var schema = new JsonObject { ["type"] = "object" };
        if (definition.Fields.Count > 0)
        {
            var properties = new JsonObject();
            foreach (var field in definition.Fields.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                properties[field.Name] = Property(field, refPrefix);
            }

            schema["properties"] = properties;
            var required = definition.Fields.Values.Where(f => f.Required).Select(f => f.Name).Order(StringComparer.Ordinal).ToArray();
            if (required.Length > 0)
            {
                schema["required"] = new JsonArray(required.Select(r => (JsonNode)r).ToArray());
            }
        }

        if (definition.MapType is { } mapType)
        {
            schema["x-kubernetes-map-type"] = mapType;
        }

        if (kinds.TryGetValue(definition.Name, out var gvks))
        {
            schema["x-kubernetes-group-version-kind"] = new JsonArray(gvks.Select(g => (JsonNode)new JsonObject
            {
                ["group"] = g.Group,
                ["kind"] = g.Kind,
                ["version"] = g.Version,
            }).ToArray());
        }

        return schema;
    }

    private static JsonObject Property(FieldSchema field, string refPrefix)
    {
        var schema = field.Kind switch
        {
            FieldKind.Ref => new JsonObject { ["$ref"] = refPrefix + field.Target },
            FieldKind.Array => new JsonObject { ["type"] = "array", ["items"] = Element(field, refPrefix) },
            FieldKind.Map => new JsonObject { ["type"] = "object", ["additionalProperties"] = Element(field, refPrefix) },
            FieldKind.Object => new JsonObject { ["type"] = "object" },
            _ => Scalar(field.Kind, field.Format),
        };
        if (field.PatchStrategies.Count > 0)
        {
            schema["x-kubernetes-patch-strategy"] = string.Join(",", field.PatchStrategies);
        }

        if (field.MergeKey is { } mergeKey)
        {
            schema["x-kubernetes-patch-merge-key"] = mergeKey;
        }

        if (field.ListType is { } listType)
        {
            schema["x-kubernetes-list-type"] = listType;
        }

        if (field.ListMapKeys.Count > 0)
        {
            schema["x-kubernetes-list-map-keys"] = new JsonArray(field.ListMapKeys.Select(k => (JsonNode)k).ToArray());
        }

        if (field.MapType is { } mapType)
        {
            schema["x-kubernetes-map-type"] = mapType;
        }

        return schema;
    }

    private static JsonObject Element(FieldSchema field, string refPrefix) => field.ElementKind switch
    {
        FieldKind.Ref => new JsonObject { ["$ref"] = refPrefix + field.Target },
        FieldKind.Object or null => new JsonObject { ["type"] = "object" },
        var kind => Scalar(kind.Value, null),
    };

    private static JsonObject Scalar(FieldKind kind, string? format)
    {
        var schema = new JsonObject
        {
            ["type"] = kind switch
            {
                FieldKind.Integer => "integer",
                FieldKind.Number => "number",
                FieldKind.Boolean => "boolean",
                _ => "string",
            },
        };
        if (format is not null)
        {
            schema["format"] = format;
        }

        return schema;
    }
}
