using System.Text.Json.Nodes;

namespace ApiMachinery.Schema;

/// <summary>
/// Fields a built-in kind does not have: kube-apiserver's decoder drops them (pruning), and with
/// <c>fieldValidation=Strict</c> refuses the request naming each one, with Warn it warns. Paths are
/// written as kube writes them in "unknown field" messages: <c>spec.containers[0].imagee</c>.
/// Free-form parts of an object (RawExtension, JSON, definitions without properties) are left alone.
/// </summary>
public static class UnknownFields
{
    /// <summary>Removes every field <paramref name="schema"/> does not know from <paramref name="obj"/>; returns their paths.</summary>
    public static List<string> Prune(JsonObject obj, DefinitionSchema schema)
    {
        var unknown = new List<string>();
        PruneObject(obj, schema, "", unknown);
        return unknown;
    }

    private static void PruneObject(JsonObject obj, DefinitionSchema schema, string path, List<string> unknown)
    {
        if (!schema.IsObject || schema.Fields.Count == 0)
        {
            return;
        }

        foreach (var (name, value) in obj.ToArray())
        {
            var fieldPath = path.Length == 0 ? name : path + "." + name;
            var field = schema.Field(name);
            if (field is null)
            {
                unknown.Add(fieldPath);
                obj.Remove(name);
                continue;
            }

            PruneValue(value, field, fieldPath, unknown);
        }
    }

    private static void PruneValue(JsonNode? value, FieldSchema field, string path, List<string> unknown)
    {
        switch (field.Kind)
        {
            case FieldKind.Ref when value is JsonObject nested && field.Definition is { } definition:
                PruneObject(nested, definition, path, unknown);
                break;
            case FieldKind.Array when value is JsonArray items && field.ElementKind == FieldKind.Ref && field.Definition is { } element:
                for (var i = 0; i < items.Count; i++)
                {
                    if (items[i] is JsonObject item)
                    {
                        PruneObject(item, element, $"{path}[{i}]", unknown);
                    }
                }

                break;
            case FieldKind.Map when value is JsonObject map && field.ElementKind == FieldKind.Ref && field.Definition is { } valueSchema:
                foreach (var (key, entry) in map)
                {
                    if (entry is JsonObject entryObject)
                    {
                        PruneObject(entryObject, valueSchema, $"{path}[{key}]", unknown);
                    }
                }

                break;
            default:
                break;
        }
    }
}
