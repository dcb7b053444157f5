using System.Text.Json.Nodes;
using ApiMachinery.Json;

namespace ApiMachinery.Schema;

/// <summary>
/// Schema facts made from a CRD's structural schema (<c>openAPIV3Schema</c>), so that field management
/// types custom resources as structured-merge-diff does for CRDs: objects with properties are structs,
/// <c>additionalProperties</c> maps are granular unless <c>x-kubernetes-map-type: atomic</c>, lists are
/// atomic unless <c>x-kubernetes-list-type</c> says set or map (with its <c>x-kubernetes-list-map-keys</c>),
/// and metadata is the built-in ObjectMeta.
/// </summary>
public static class StructuralSchemaFacts
{
    private const string ObjectMetaDefinition = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

    /// <summary>The root definition of a custom resource's schema; nested objects get definitions named <paramref name="name"/>.path.</summary>
    public static DefinitionSchema FromSchema(string name, JsonObject schema)
    {
        var root = Definition(name, schema, isRoot: true);
        return root;
    }

    private static DefinitionSchema Definition(string name, JsonObject schema, bool isRoot)
    {
        var definition = new DefinitionSchema(name, "object", null, schema.GetString("x-kubernetes-map-type"));
        var fields = new List<FieldSchema>();
        foreach (var (property, value) in schema["properties"] as JsonObject ?? [])
        {
            if (value is not JsonObject propertySchema)
            {
                continue;
            }

            if (isRoot && property == "metadata")
            {
                // The object's metadata is ObjectMeta whatever the schema says of it.
                var meta = SchemaFacts.Builtin.Definition(ObjectMetaDefinition);
                fields.Add(new FieldSchema(property, FieldKind.Ref, ObjectMetaDefinition, null, false, null, [], null, null, [], null) { Definition = meta });
                continue;
            }

            fields.Add(Field(name + "." + property, property, propertySchema, Required(schema, property)));
        }

        if (isRoot)
        {
            foreach (var typeMeta in new[] { "apiVersion", "kind" })
            {
                if (!fields.Exists(f => f.Name == typeMeta))
                {
                    fields.Add(new FieldSchema(typeMeta, FieldKind.String, null, null, false, null, [], null, null, [], null));
                }
            }

            if (!fields.Exists(f => f.Name == "metadata"))
            {
                fields.Add(new FieldSchema("metadata", FieldKind.Ref, ObjectMetaDefinition, null, false, null, [], null, null, [], null)
                {
                    Definition = SchemaFacts.Builtin.Definition(ObjectMetaDefinition),
                });
            }
        }

        definition.SetFields(fields);
        return definition;
    }

    private static FieldSchema Field(string path, string name, JsonObject schema, bool required)
    {
        var type = schema.GetString("type");
        var format = schema.GetString("format");
        if (schema["x-kubernetes-int-or-string"] is JsonValue ios && ios.TryGetValue<bool>(out var intOrString) && intOrString)
        {
            return Leaf(name, FieldKind.Object, required, format);
        }

        switch (type)
        {
            case "object" when schema["properties"] is JsonObject { Count: > 0 } || (schema["additionalProperties"] is not JsonObject && schema["properties"] is JsonObject):
                var nested = Definition(path, schema, isRoot: false);
                return new FieldSchema(name, FieldKind.Ref, path, null, required, format, [], null, null, [], schema.GetString("x-kubernetes-map-type"))
                {
                    Definition = nested,
                };
            case "object" when schema["additionalProperties"] is JsonObject values:
                var (elementKind, elementDefinition) = Element(path + ".value", values);
                return new FieldSchema(name, FieldKind.Map, elementDefinition?.Name, elementKind, required, format, [], null, null, [], schema.GetString("x-kubernetes-map-type"))
                {
                    Definition = elementDefinition,
                };
            case "array":
                var items = schema["items"] as JsonObject ?? [];
                var (itemKind, itemDefinition) = Element(path + ".item", items);
                var listType = schema.GetString("x-kubernetes-list-type") ?? "atomic";
                var keys = schema["x-kubernetes-list-map-keys"] is JsonArray k ? k.Select(n => n?.ToString() ?? "").ToArray() : [];
                return new FieldSchema(name, FieldKind.Array, itemDefinition?.Name, itemKind, required, format, [], null, listType, keys, null)
                {
                    Definition = itemDefinition,
                };
            case "string":
                return Leaf(name, FieldKind.String, required, format);
            case "integer":
                return Leaf(name, FieldKind.Integer, required, format);
            case "number":
                return Leaf(name, FieldKind.Number, required, format);
            case "boolean":
                return Leaf(name, FieldKind.Boolean, required, format);
            default:
                // Free-form (x-kubernetes-preserve-unknown-fields, embedded resources without properties): owned whole.
                return Leaf(name, FieldKind.Object, required, format);
        }
    }

    private static (FieldKind Kind, DefinitionSchema? Definition) Element(string path, JsonObject schema)
    {
        var type = schema.GetString("type");
        if (schema["x-kubernetes-int-or-string"] is JsonValue ios && ios.TryGetValue<bool>(out var intOrString) && intOrString)
        {
            return (FieldKind.Object, null);
        }

        return type switch
        {
            "object" when schema["properties"] is JsonObject => (FieldKind.Ref, Definition(path, schema, isRoot: false)),
            "string" => (FieldKind.String, null),
            "integer" => (FieldKind.Integer, null),
            "number" => (FieldKind.Number, null),
            "boolean" => (FieldKind.Boolean, null),
            _ => (FieldKind.Object, null),
        };
    }

    private static FieldSchema Leaf(string name, FieldKind kind, bool required, string? format) =>
        new(name, kind, null, null, required, format, [], null, null, [], null);

    private static bool Required(JsonObject schema, string property) =>
        schema["required"] is JsonArray required && required.Any(r => r?.ToString() == property);
}
