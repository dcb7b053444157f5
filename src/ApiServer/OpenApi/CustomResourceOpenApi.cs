using System.Text.Json.Nodes;
using ApiServer.CustomResources;
using ApiServer.Registry;

namespace ApiServer.OpenApi;

/// <summary>
/// The OpenAPI schemas of a custom resource version, as apiextensions' OpenAPI builder publishes them:
/// the CRD's own schema (with its descriptions, so kubectl explain prints them) whose apiVersion and
/// kind are TypeMeta's and whose metadata is ObjectMeta, tagged with x-kubernetes-group-version-kind;
/// and its list. Definitions are named after the reversed group ("com.example.stable.v1.CronTab").
/// For swagger 2.0 the schema loses what v2 cannot say (junctors, nullable, the insides of
/// preserve-unknown-fields objects), as kube's v2 conversion does.
/// </summary>
internal static class CustomResourceOpenApi
{
    public const string ObjectMeta = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
    public const string ListMeta = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";

    public static string DefinitionName(ResourceDefinition r) => $"{CustomResourceDefinitionController.ReverseDomain(r.Group)}.{r.Version}.{r.Kind}";

    public static string ListDefinitionName(ResourceDefinition r) => $"{CustomResourceDefinitionController.ReverseDomain(r.Group)}.{r.Version}.{r.ListKind}";

    /// <summary>The kind's schema and its list's, keyed by definition name.</summary>
    public static IEnumerable<(string Name, JsonObject Schema)> Definitions(ResourceDefinition r, string refPrefix, bool v2)
    {
        yield return (DefinitionName(r), KindSchema(r, refPrefix, v2));
        yield return (ListDefinitionName(r), ListSchema(r, refPrefix));
    }

    private static JsonObject KindSchema(ResourceDefinition r, string refPrefix, bool v2)
    {
        var source = r.Custom?.Version.Schema;
        JsonObject schema;
        if (source is null || (v2 && IsTrue(source, "x-kubernetes-preserve-unknown-fields")))
        {
            // kubectl would take properties as the only fields allowed: an open object has none.
            schema = new JsonObject { ["type"] = "object" };
        }
        else
        {
            schema = (JsonObject)source.DeepClone();
            if (v2)
            {
                ToV2(schema);
            }

            var properties = schema["properties"] as JsonObject;
            if (properties is null)
            {
                properties = [];
                schema["properties"] = properties;
            }

            properties["apiVersion"] = new JsonObject
            {
                ["description"] = "The group and version of this object's schema, e.g. " + r.ApiVersion + ".",
                ["type"] = "string",
            };
            properties["kind"] = new JsonObject
            {
                ["description"] = "The kind of this object, in CamelCase: " + r.Kind + ".",
                ["type"] = "string",
            };
            properties["metadata"] = new JsonObject { ["$ref"] = refPrefix + ObjectMeta };
            AddEmbeddedProperties(schema, refPrefix, v2);
        }

        schema["x-kubernetes-group-version-kind"] = Gvk(r.Group, r.Version, r.Kind);
        return schema;
    }

    private static JsonObject ListSchema(ResourceDefinition r, string refPrefix) => new()
    {
        ["description"] = $"{r.ListKind} is a list of {r.Kind}",
        ["type"] = "object",
        ["required"] = new JsonArray("items"),
        ["properties"] = new JsonObject
        {
            ["apiVersion"] = new JsonObject { ["description"] = "The group and version of this list's schema.", ["type"] = "string" },
            ["items"] = new JsonObject
            {
                ["description"] = $"The {r.Plural} in the list.",
                ["type"] = "array",
                ["items"] = new JsonObject { ["$ref"] = refPrefix + DefinitionName(r) },
            },
            ["kind"] = new JsonObject { ["description"] = "The kind of this list: " + r.ListKind + ".", ["type"] = "string" },
            ["metadata"] = new JsonObject { ["$ref"] = refPrefix + ListMeta },
        },
        ["x-kubernetes-group-version-kind"] = Gvk(r.Group, r.Version, r.ListKind),
    };

    /// <summary>Objects marked x-kubernetes-embedded-resource get TypeMeta and ObjectMeta, as kube publishes them.</summary>
    private static void AddEmbeddedProperties(JsonObject schema, string refPrefix, bool v2)
    {
        foreach (var (_, property) in schema["properties"] as JsonObject ?? [])
        {
            if (property is JsonObject p)
            {
                AddEmbeddedProperties(p, refPrefix, v2);
            }
        }

        if (schema["items"] is JsonObject items)
        {
            AddEmbeddedProperties(items, refPrefix, v2);
        }

        if (schema["additionalProperties"] is JsonObject values)
        {
            AddEmbeddedProperties(values, refPrefix, v2);
        }

        if ((v2 && IsTrue(schema, "x-kubernetes-preserve-unknown-fields")) || !IsTrue(schema, "x-kubernetes-embedded-resource"))
        {
            return;
        }

        var properties = schema["properties"] as JsonObject;
        if (properties is null)
        {
            properties = [];
            schema["properties"] = properties;
        }

        properties["apiVersion"] = new JsonObject { ["description"] = "The group and version of the embedded object's schema.", ["type"] = "string" };
        properties["kind"] = new JsonObject { ["description"] = "The kind of the embedded object, in CamelCase.", ["type"] = "string" };
        properties["metadata"] = new JsonObject { ["$ref"] = refPrefix + ObjectMeta };
        var required = schema["required"] as JsonArray;
        if (required is null)
        {
            required = [];
            schema["required"] = required;
        }

        foreach (var name in new[] { "kind", "apiVersion" })
        {
            if (!required.Any(n => n?.ToString() == name))
            {
                required.Add(name);
            }
        }
    }

    /// <summary>kube's ToStructuralOpenAPIV2: what swagger 2.0 (and kubectl's reading of it) cannot take is dropped.</summary>
    private static void ToV2(JsonObject schema)
    {
        foreach (var junctor in new[] { "allOf", "oneOf", "anyOf", "not" })
        {
            schema.Remove(junctor);
        }

        if (schema["properties"] is JsonObject properties)
        {
            // A nullable field cannot be required once v2 has no way to say it may be null.
            if (schema["required"] is JsonArray required)
            {
                var kept = required.Where(n => !IsTrue(properties[n?.ToString() ?? ""] as JsonObject, "nullable")).Select(n => n?.DeepClone()).ToArray();
                if (kept.Length > 0)
                {
                    schema["required"] = new JsonArray(kept);
                }
                else
                {
                    schema.Remove("required");
                }
            }

            foreach (var (_, property) in properties)
            {
                if (property is JsonObject p)
                {
                    ToV2(p);
                }
            }
        }

        if (schema["additionalProperties"] is JsonObject nullableValues && IsTrue(nullableValues, "nullable"))
        {
            schema.Remove("required");
        }

        if (schema["items"] is JsonObject items)
        {
            ToV2(items);
        }

        if (schema["additionalProperties"] is JsonObject values)
        {
            ToV2(values);
        }

        if (IsTrue(schema, "nullable"))
        {
            schema.Remove("type");
            schema.Remove("nullable");
            schema.Remove("items");
            schema.Remove("properties");
        }

        if (IsTrue(schema, "x-kubernetes-preserve-unknown-fields"))
        {
            schema.Remove("items");
            schema.Remove("properties");
            if (schema["type"]?.ToString() == "object")
            {
                schema.Remove("type");
            }
        }

        if (schema["type"]?.ToString() == "array" && schema["items"] is null)
        {
            schema.Remove("type");
        }
    }

    private static bool IsTrue(JsonObject? schema, string name) => schema?[name] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    private static JsonArray Gvk(string group, string version, string kind) =>
        new(new JsonObject { ["group"] = group, ["kind"] = kind, ["version"] = version });
}
