using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Serialization;
using ApiServer.OpenApi.Wire;
using Google.Protobuf;

namespace ApiServer.OpenApi;

/// <summary>
/// Encodes a swagger 2.0 document (as JSON) in the protobuf form client-go's discovery client asks
/// /openapi/v2 for: gnostic's OpenAPI v2 model. Free-form values (vendor extensions, defaults,
/// examples, enums) are carried as YAML text, as gnostic carries them.
/// </summary>
internal static class OpenApiV2Protobuf
{
    public const string MediaType = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

    public static byte[] Encode(JsonObject swagger) => ToDocument(swagger).ToByteArray();

    public static Document ToDocument(JsonObject swagger)
    {
        var document = new Document
        {
            Swagger = swagger.GetString("swagger") ?? "",
            Host = swagger.GetString("host") ?? "",
            BasePath = swagger.GetString("basePath") ?? "",
        };
        document.Schemes.AddRange(Strings(swagger["schemes"]));
        document.Consumes.AddRange(Strings(swagger["consumes"]));
        document.Produces.AddRange(Strings(swagger["produces"]));
        if (swagger["info"] is JsonObject info)
        {
            document.Info = new Info { Title = info.GetString("title") ?? "", Version = info.GetString("version") ?? "", Description = info.GetString("description") ?? "" };
            document.Info.VendorExtension.AddRange(Extensions(info));
        }

        if (swagger["paths"] is JsonObject paths)
        {
            document.Paths = new Paths();
            document.Paths.VendorExtension.AddRange(Extensions(paths));
            foreach (var (path, item) in paths)
            {
                if (!path.StartsWith("x-", StringComparison.Ordinal) && item is JsonObject pathItem)
                {
                    document.Paths.Path.Add(new NamedPathItem { Name = path, Value = ToPathItem(pathItem) });
                }
            }
        }

        if (swagger["definitions"] is JsonObject definitions)
        {
            document.Definitions = new Definitions();
            foreach (var (name, schema) in definitions)
            {
                document.Definitions.AdditionalProperties.Add(new NamedSchema { Name = name, Value = ToSchema(schema as JsonObject ?? []) });
            }
        }

        if (swagger["parameters"] is JsonObject parameters)
        {
            document.Parameters = new ParameterDefinitions();
            foreach (var (name, parameter) in parameters)
            {
                document.Parameters.AdditionalProperties.Add(new NamedParameter { Name = name, Value = ToParameter(parameter as JsonObject ?? []) });
            }
        }

        foreach (var requirement in (swagger["security"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var wire = new SecurityRequirement();
            foreach (var (name, scopes) in requirement)
            {
                var array = new StringArray();
                array.Value.AddRange(Strings(scopes));
                wire.AdditionalProperties.Add(new NamedStringArray { Name = name, Value = array });
            }

            document.Security.Add(wire);
        }

        if (swagger["securityDefinitions"] is JsonObject securityDefinitions)
        {
            document.SecurityDefinitions = new SecurityDefinitions();
            foreach (var (name, definition) in securityDefinitions)
            {
                if (definition is JsonObject d && d.GetString("type") == "apiKey")
                {
                    var key = new ApiKeySecurity { Type = "apiKey", Name = d.GetString("name") ?? "", In = d.GetString("in") ?? "", Description = d.GetString("description") ?? "" };
                    key.VendorExtension.AddRange(Extensions(d));
                    document.SecurityDefinitions.AdditionalProperties.Add(new NamedSecurityDefinitionsItem
                    {
                        Name = name,
                        Value = new SecurityDefinitionsItem { ApiKeySecurity = key },
                    });
                }
            }
        }

        document.VendorExtension.AddRange(Extensions(swagger));
        return document;
    }

    private static PathItem ToPathItem(JsonObject item)
    {
        var wire = new PathItem { Ref = item.GetString("$ref") ?? "" };
        foreach (var (method, operation) in item)
        {
            if (operation is not JsonObject op)
            {
                continue;
            }

            switch (method)
            {
                case "get": wire.Get = ToOperation(op); break;
                case "put": wire.Put = ToOperation(op); break;
                case "post": wire.Post = ToOperation(op); break;
                case "delete": wire.Delete = ToOperation(op); break;
                case "options": wire.Options = ToOperation(op); break;
                case "head": wire.Head = ToOperation(op); break;
                case "patch": wire.Patch = ToOperation(op); break;
            }
        }

        wire.Parameters.AddRange(ToParameters(item["parameters"]));
        wire.VendorExtension.AddRange(Extensions(item));
        return wire;
    }

    private static Operation ToOperation(JsonObject op)
    {
        var wire = new Operation
        {
            Summary = op.GetString("summary") ?? "",
            Description = op.GetString("description") ?? "",
            OperationId = op.GetString("operationId") ?? "",
            Deprecated = op["deprecated"] is JsonValue d && d.TryGetValue<bool>(out var deprecated) && deprecated,
        };
        wire.Tags.AddRange(Strings(op["tags"]));
        wire.Produces.AddRange(Strings(op["produces"]));
        wire.Consumes.AddRange(Strings(op["consumes"]));
        wire.Schemes.AddRange(Strings(op["schemes"]));
        wire.Parameters.AddRange(ToParameters(op["parameters"]));
        if (op["responses"] is JsonObject responses)
        {
            wire.Responses = new Responses();
            foreach (var (code, response) in responses)
            {
                if (code.StartsWith("x-", StringComparison.Ordinal) || response is not JsonObject r)
                {
                    continue;
                }

                var value = r["$ref"] is not null
                    ? new ResponseValue { JsonReference = new JsonReference { Ref = r.GetString("$ref") ?? "" } }
                    : new ResponseValue { Response = ToResponse(r) };
                wire.Responses.ResponseCode.Add(new NamedResponseValue { Name = code, Value = value });
            }

            wire.Responses.VendorExtension.AddRange(Extensions(responses));
        }

        wire.VendorExtension.AddRange(Extensions(op));
        return wire;
    }

    private static Response ToResponse(JsonObject response)
    {
        var wire = new Response { Description = response.GetString("description") ?? "" };
        if (response["schema"] is JsonObject schema)
        {
            wire.Schema = new SchemaItem { Schema = ToSchema(schema) };
        }

        wire.VendorExtension.AddRange(Extensions(response));
        return wire;
    }

    private static IEnumerable<ParametersItem> ToParameters(JsonNode? parameters)
    {
        foreach (var parameter in (parameters as JsonArray ?? []).OfType<JsonObject>())
        {
            yield return parameter["$ref"] is not null
                ? new ParametersItem { JsonReference = new JsonReference { Ref = parameter.GetString("$ref") ?? "", Description = parameter.GetString("description") ?? "" } }
                : new ParametersItem { Parameter = ToParameter(parameter) };
        }
    }

    private static Parameter ToParameter(JsonObject parameter)
    {
        var location = parameter.GetString("in") ?? "";
        var required = Bool(parameter, "required");
        if (location == "body")
        {
            var body = new BodyParameter { Name = parameter.GetString("name") ?? "", In = location, Description = parameter.GetString("description") ?? "", Required = required };
            if (parameter["schema"] is JsonObject schema)
            {
                body.Schema = ToSchema(schema);
            }

            body.VendorExtension.AddRange(Extensions(parameter));
            return new Parameter { BodyParameter = body };
        }

        var nonBody = new NonBodyParameter();
        switch (location)
        {
            case "path":
                var path = new PathParameter
                {
                    Required = required, In = location, Description = parameter.GetString("description") ?? "", Name = parameter.GetString("name") ?? "",
                    Type = parameter.GetString("type") ?? "", Format = parameter.GetString("format") ?? "", UniqueItems = Bool(parameter, "uniqueItems"),
                    CollectionFormat = parameter.GetString("collectionFormat") ?? "",
                };
                path.Items = ToItems(parameter["items"]);
                path.Default = ToAny(parameter["default"]);
                path.Enum.AddRange(Anys(parameter["enum"]));
                path.VendorExtension.AddRange(Extensions(parameter));
                nonBody.PathParameterSubSchema = path;
                break;
            case "header":
                var header = new HeaderParameter
                {
                    Required = required, In = location, Description = parameter.GetString("description") ?? "", Name = parameter.GetString("name") ?? "",
                    Type = parameter.GetString("type") ?? "", Format = parameter.GetString("format") ?? "", CollectionFormat = parameter.GetString("collectionFormat") ?? "",
                };
                header.Items = ToItems(parameter["items"]);
                header.Default = ToAny(parameter["default"]);
                header.Enum.AddRange(Anys(parameter["enum"]));
                header.VendorExtension.AddRange(Extensions(parameter));
                nonBody.HeaderParameterSubSchema = header;
                break;
            default:
                var query = new QueryParameter
                {
                    Required = required, In = location, Description = parameter.GetString("description") ?? "", Name = parameter.GetString("name") ?? "",
                    Type = parameter.GetString("type") ?? "", Format = parameter.GetString("format") ?? "", UniqueItems = Bool(parameter, "uniqueItems"),
                    AllowEmptyValue = Bool(parameter, "allowEmptyValue"), CollectionFormat = parameter.GetString("collectionFormat") ?? "",
                };
                query.Items = ToItems(parameter["items"]);
                query.Default = ToAny(parameter["default"]);
                query.Enum.AddRange(Anys(parameter["enum"]));
                query.VendorExtension.AddRange(Extensions(parameter));
                nonBody.QueryParameterSubSchema = query;
                break;
        }

        return new Parameter { NonBodyParameter = nonBody };
    }

    private static PrimitivesItems? ToItems(JsonNode? items)
    {
        if (items is not JsonObject i)
        {
            return null;
        }

        var wire = new PrimitivesItems { Type = i.GetString("type") ?? "", Format = i.GetString("format") ?? "", CollectionFormat = i.GetString("collectionFormat") ?? "" };
        wire.Items = ToItems(i["items"]);
        wire.Default = ToAny(i["default"]);
        wire.Enum.AddRange(Anys(i["enum"]));
        wire.VendorExtension.AddRange(Extensions(i));
        return wire;
    }

    public static Schema ToSchema(JsonObject schema)
    {
        var wire = new Schema
        {
            Ref = schema.GetString("$ref") ?? "",
            Format = schema.GetString("format") ?? "",
            Title = schema.GetString("title") ?? "",
            Description = schema.GetString("description") ?? "",
            Pattern = schema.GetString("pattern") ?? "",
            Discriminator = schema.GetString("discriminator") ?? "",
            ReadOnly = Bool(schema, "readOnly"),
            UniqueItems = Bool(schema, "uniqueItems"),
            ExclusiveMaximum = Bool(schema, "exclusiveMaximum"),
            ExclusiveMinimum = Bool(schema, "exclusiveMinimum"),
            MultipleOf = Number(schema, "multipleOf"),
            Maximum = Number(schema, "maximum"),
            Minimum = Number(schema, "minimum"),
            MaxLength = Integer(schema, "maxLength"),
            MinLength = Integer(schema, "minLength"),
            MaxItems = Integer(schema, "maxItems"),
            MinItems = Integer(schema, "minItems"),
            MaxProperties = Integer(schema, "maxProperties"),
            MinProperties = Integer(schema, "minProperties"),
            Default = ToAny(schema["default"]),
            Example = ToAny(schema["example"]),
        };
        wire.Required.AddRange(Strings(schema["required"]));
        wire.Enum.AddRange(Anys(schema["enum"]));
        switch (schema["type"])
        {
            case JsonArray types:
                wire.Type = new TypeItem();
                wire.Type.Value.AddRange(Strings(types));
                break;
            case JsonValue type:
                wire.Type = new TypeItem { Value = { type.ToString() } };
                break;
        }

        switch (schema["additionalProperties"])
        {
            case JsonObject additional:
                wire.AdditionalProperties = new AdditionalPropertiesItem { Schema = ToSchema(additional) };
                break;
            case JsonValue allowed when allowed.TryGetValue<bool>(out var boolean):
                wire.AdditionalProperties = new AdditionalPropertiesItem { Boolean = boolean };
                break;
        }

        switch (schema["items"])
        {
            case JsonObject item:
                wire.Items = new ItemsItem { Schema = { ToSchema(item) } };
                break;
            case JsonArray items:
                wire.Items = new ItemsItem();
                wire.Items.Schema.AddRange(items.OfType<JsonObject>().Select(ToSchema));
                break;
        }

        wire.AllOf.AddRange((schema["allOf"] as JsonArray ?? []).OfType<JsonObject>().Select(ToSchema));
        if (schema["properties"] is JsonObject properties)
        {
            wire.Properties = new Properties();
            foreach (var (name, property) in properties)
            {
                wire.Properties.AdditionalProperties.Add(new NamedSchema { Name = name, Value = ToSchema(property as JsonObject ?? []) });
            }
        }

        wire.VendorExtension.AddRange(Extensions(schema));
        return wire;
    }

    private static IEnumerable<NamedAny> Extensions(JsonObject obj) =>
        obj.Where(p => p.Key.StartsWith("x-", StringComparison.Ordinal))
            .Select(p => new NamedAny { Name = p.Key, Value = ToAny(p.Value) ?? new Any { Yaml = "null\n" } });

    private static Any? ToAny(JsonNode? value) => value is null ? null : new Any { Yaml = YamlJson.FromJsonNode(value) };

    private static IEnumerable<Any> Anys(JsonNode? values) =>
        (values as JsonArray ?? []).Select(v => ToAny(v) ?? new Any { Yaml = "null\n" });

    private static IEnumerable<string> Strings(JsonNode? values) =>
        (values as JsonArray ?? []).Select(v => v?.ToString() ?? "");

    private static bool Bool(JsonObject obj, string name) => obj[name] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    private static double Number(JsonObject obj, string name) => obj[name] is JsonValue v && v.TryGetValue<double>(out var d) ? d : 0;

    private static long Integer(JsonObject obj, string name) => obj[name] is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;
}
