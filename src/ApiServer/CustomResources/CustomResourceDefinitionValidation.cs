using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiMachinery.Validation;
using ApiServer.Registry;

namespace ApiServer.CustomResources;

/// <summary>
/// kube's validation of a CustomResourceDefinition (apiextensions-apiserver pkg/apis/apiextensions/
/// validation): the name is plural.group, the group a domain, names DNS labels, one storage version,
/// subresources and printer columns well formed, conversion consistent, stored versions still
/// listed, and each version's schema checked by the schema library (ApiExtensions: structural rules,
/// defaults, CEL rules). Paths and messages are
/// kube's. kube validates its internal form, where per-version schemas, subresources and columns
/// that are identical in every version sit at spec.validation, spec.subresources and
/// spec.additionalPrinterColumns; errors about them carry those paths, so these do too.
/// </summary>
internal static class CustomResourceDefinitionValidation
{
    private static readonly string[] ColumnTypes = ["boolean", "date", "integer", "number", "string"];
    private static readonly string[] ColumnFormats = ["byte", "date", "date-time", "double", "float", "int32", "int64", "password"];
    private static readonly string[] RootFieldsWithStatus =
    [
        "description", "type", "format", "title", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength", "minLength",
        "pattern", "maxItems", "minItems", "uniqueItems", "multipleOf", "required", "items", "properties", "externalDocs", "example",
        "x-kubernetes-preserve-unknown-fields", "x-kubernetes-validations",
    ];

    private static readonly string RootFieldsList =
        "[Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields XValidations]";

    private const int MaxSelectableFields = 8;

    public const string ApprovalAnnotation = "api-approved.kubernetes.io";

    public static IEnumerable<FieldError> ValidateCreate(JsonObject crd)
    {
        var errors = new List<FieldError>();
        errors.AddRange(ValidateName(crd));
        errors.AddRange(ValidateSpec(crd["spec"] as JsonObject ?? [], FieldPath.New("spec"), immutableNames: false));
        errors.AddRange(ValidateStatus(crd));
        errors.AddRange(ValidateApproval(crd, null));
        errors.AddRange(ValidatePreserveUnknownFields(crd, null));
        return errors;
    }

    public static IEnumerable<FieldError> ValidateUpdate(JsonObject crd, JsonObject old)
    {
        var errors = new List<FieldError>();
        var spec = crd["spec"] as JsonObject ?? [];
        var oldSpec = old["spec"] as JsonObject ?? [];
        var path = FieldPath.New("spec");
        // Once established, the kind and the scope are part of stored objects and clients' caches.
        var established = CrdConditions.IsTrue(old, "Established");
        errors.AddRange(ValidateSpec(spec, path, established));
        if (established)
        {
            errors.AddRange(Immutable(spec.GetString("scope") ?? "", oldSpec.GetString("scope") ?? "", path.Child("scope")));
            errors.AddRange(Immutable(spec["names"].GetString("kind") ?? "", oldSpec["names"].GetString("kind") ?? "", path.Child("names", "kind")));
        }

        // The group and plural name the storage: never changed.
        errors.AddRange(Immutable(spec.GetString("group") ?? "", oldSpec.GetString("group") ?? "", path.Child("group")));
        errors.AddRange(Immutable(spec["names"].GetString("plural") ?? "", oldSpec["names"].GetString("plural") ?? "", path.Child("names", "plural")));
        errors.AddRange(ValidateStatus(crd));
        errors.AddRange(ValidateApproval(crd, old));
        errors.AddRange(ValidatePreserveUnknownFields(crd, old));
        return errors;
    }

    /// <summary>A status write validates only the status (its spec is the stored one).</summary>
    public static IEnumerable<FieldError> ValidateStatusUpdate(JsonObject crd) =>
        ValidateNames(CrdNames.From(crd["status"]?["acceptedNames"]), FieldPath.New("status", "acceptedNames"));

    private static IEnumerable<FieldError> ValidateName(JsonObject crd)
    {
        var spec = crd["spec"] as JsonObject;
        var required = (spec?["names"].GetString("plural") ?? "") + "." + (spec.GetString("group") ?? "");
        var name = ObjectMeta.Name(crd);
        if (name.Length > 0 && name != required)
        {
            yield return FieldError.Invalid(FieldPath.New("metadata", "name"), name, "must be spec.names.plural+\".\"+spec.group");
        }
    }

    private static IEnumerable<FieldError> ValidateStatus(JsonObject crd)
    {
        var errors = ValidateNames(CrdNames.From(crd["status"]?["acceptedNames"]), FieldPath.New("status", "acceptedNames")).ToList();
        var path = FieldPath.New("status", "storedVersions");
        var stored = CrdNames.Strings(crd["status"]?["storedVersions"]);
        if (stored.Count == 0)
        {
            errors.Add(FieldError.Invalid(path, FieldError.OmitValue, "must have at least one stored version"));
            return errors;
        }

        var versions = (crd["spec"]?["versions"] as JsonArray ?? []).OfType<JsonObject>().ToArray();
        var remaining = stored.Select((v, i) => (v, i)).GroupBy(p => p.v).ToDictionary(g => g.Key, g => g.Last().i, StringComparer.Ordinal);
        foreach (var version in versions)
        {
            var name = version.GetString("name") ?? "";
            var listed = remaining.Remove(name);
            if (version["storage"] is JsonValue s && s.TryGetValue<bool>(out var storage) && storage && !listed && !stored.Contains(name))
            {
                errors.Add(FieldError.Invalid(path, FieldError.OmitValue, "must have the storage version " + name));
            }
        }

        foreach (var (version, index) in remaining.OrderBy(p => p.Value))
        {
            errors.Add(FieldError.Invalid(path.Index(index), version,
                $"missing from spec.versions; {version} was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in {version} and removes {version} from status.storedVersions"));
        }

        return errors;
    }

    private static List<FieldError> ValidateSpec(JsonObject spec, FieldPath path, bool immutableNames)
    {
        _ = immutableNames;
        var errors = new List<FieldError>();
        var group = spec.GetString("group") ?? "";
        if (group.Length == 0)
        {
            errors.Add(FieldError.Required(path.Child("group")));
        }
        else if (NameValidation.IsDNS1123Subdomain(group) is { Count: > 0 } groupErrors)
        {
            errors.Add(FieldError.Invalid(path.Child("group"), group, string.Join(",", groupErrors)));
        }
        else if (group.Split('.').Length < 2)
        {
            errors.Add(FieldError.Invalid(path.Child("group"), group, "should be a domain with at least one dot"));
        }

        var scope = spec.GetString("scope") ?? "";
        if (scope.Length == 0)
        {
            errors.Add(FieldError.Required(path.Child("scope")));
        }
        else if (scope is not ("Cluster" or "Namespaced"))
        {
            errors.Add(FieldError.NotSupported(path.Child("scope"), scope, ["Cluster", "Namespaced"]));
        }

        var versions = (spec["versions"] as JsonArray ?? []).OfType<JsonObject>().ToArray();
        var preserveUnknown = spec["preserveUnknownFields"] is JsonValue p && p.TryGetValue<bool>(out var preserve) && preserve;
        for (var i = 0; i < versions.Length; i++)
        {
            if (versions[i]["schema"]?["openAPIV3Schema"] is not JsonObject)
            {
                errors.Add(FieldError.Required(path.Child("versions").Index(i).Child("schema").Child("openAPIV3Schema")));
            }
        }

        if (preserveUnknown && versions.Any(v => HasDefaults(v["schema"]?["openAPIV3Schema"])))
        {
            errors.Add(FieldError.Invalid(path.Child("preserveUnknownFields"), true, "must be false in order to use defaults in the schema"));
        }

        // What kube's internal form moves up to spec when every version has the same value.
        var sameSchema = Identical(versions, "schema");
        var sameSubresources = Identical(versions, "subresources");
        var sameColumns = Identical(versions, "additionalPrinterColumns", emptyIsAbsent: true);
        var sameSelectable = Identical(versions, "selectableFields", emptyIsAbsent: true);

        var storageCount = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var unique = true;
        for (var i = 0; i < versions.Length; i++)
        {
            var version = versions[i];
            var versionPath = path.Child("versions").Index(i);
            var name = version.GetString("name") ?? "";
            if (version["storage"] is JsonValue st && st.TryGetValue<bool>(out var storage) && storage)
            {
                storageCount++;
            }

            unique &= seen.Add(name);
            if (NameValidation.IsDNS1035Label(name) is { Count: > 0 } nameErrors)
            {
                errors.Add(FieldError.Invalid(versionPath.Child("name"), name, string.Join(",", nameErrors)));
            }

            errors.AddRange(ValidateDeprecation(version, versionPath));
            var statusEnabled = version["subresources"]?["status"] is JsonObject;
            if (!sameSchema && version["schema"] is JsonObject schema)
            {
                errors.AddRange(ValidateSchema(schema, versionPath.Child("schema"), statusEnabled));
            }

            if (!sameSubresources)
            {
                errors.AddRange(ValidateSubresources(version["subresources"] as JsonObject, versionPath.Child("subresources")));
            }

            if (!sameColumns)
            {
                errors.AddRange(ValidateColumns(version["additionalPrinterColumns"] as JsonArray, versionPath.Child("additionalPrinterColumns")));
            }

            if (!sameSelectable)
            {
                errors.AddRange(ValidateSelectableFields(version, versionPath.Child("selectableFields")));
            }
        }

        if (sameSchema && versions[0]["schema"] is JsonObject shared)
        {
            var anyStatus = versions.Any(v => v["subresources"]?["status"] is JsonObject);
            errors.AddRange(ValidateSchema(shared, path.Child("validation"), anyStatus));
        }

        if (sameSubresources)
        {
            errors.AddRange(ValidateSubresources(versions[0]["subresources"] as JsonObject, path.Child("subresources")));
        }

        if (sameColumns)
        {
            errors.AddRange(ValidateColumns(versions[0]["additionalPrinterColumns"] as JsonArray, path.Child("additionalPrinterColumns")));
        }

        if (sameSelectable)
        {
            errors.AddRange(ValidateSelectableFields(versions[0], path.Child("selectableFields")));
        }

        if (!unique)
        {
            errors.Add(FieldError.Invalid(path.Child("versions"), FieldError.OmitValue, "must contain unique version names"));
        }

        if (storageCount != 1)
        {
            errors.Add(FieldError.Invalid(path.Child("versions"), FieldError.OmitValue, "must have exactly one version marked as storage version"));
        }

        var names = spec["names"] as JsonObject;
        foreach (var required in new[] { "plural", "singular", "kind", "listKind" })
        {
            if ((names.GetString(required) ?? "").Length == 0)
            {
                errors.Add(FieldError.Required(path.Child("names", required)));
            }
        }

        errors.AddRange(ValidateNames(CrdNames.From(names), path.Child("names")));

        var conversion = spec["conversion"] as JsonObject;
        var strategy = conversion.GetString("strategy") ?? "";
        if (conversion is not null && strategy != "None" && preserveUnknown)
        {
            errors.Add(FieldError.Invalid(path.Child("conversion").Child("strategy"), strategy, "must be None if spec.preserveUnknownFields is true"));
        }

        errors.AddRange(ValidateConversion(conversion, path.Child("conversion")));
        return errors;
    }

    private static IEnumerable<FieldError> ValidateDeprecation(JsonObject version, FieldPath path)
    {
        var deprecated = version["deprecated"] is JsonValue d && d.TryGetValue<bool>(out var isDeprecated) && isDeprecated;
        if (version.GetString("deprecationWarning") is not { } warning)
        {
            yield break;
        }

        if (!deprecated)
        {
            yield return FieldError.Invalid(path.Child("deprecationWarning"), warning, "can only be set for deprecated versions");
            yield break;
        }

        if (warning.Length > 256)
        {
            yield return FieldError.Invalid(path.Child("deprecationWarning"), warning, "must be <= 256 characters long");
        }

        if (warning.Length == 0)
        {
            yield return FieldError.Invalid(path.Child("deprecationWarning"), warning, "must not be an empty string");
        }
    }

    /// <summary>A version's schema: what the status subresource requires of the root, then the schema checks proper.</summary>
    private static List<FieldError> ValidateSchema(JsonObject validation, FieldPath path, bool statusEnabled)
    {
        var errors = new List<FieldError>();
        if (validation["openAPIV3Schema"] is not JsonObject schema)
        {
            return errors;
        }

        if (statusEnabled)
        {
            foreach (var (field, value) in schema)
            {
                if (value is null || IsZero(value))
                {
                    continue;
                }

                if (field == "type")
                {
                    if (schema.GetString("type") != "object")
                    {
                        errors.Add(FieldError.Invalid(path.Child("openAPIV3Schema.type"), schema.GetString("type") ?? "",
                            "only \"object\" is allowed as the type at the root of the schema if the status subresource is enabled"));
                        break;
                    }

                    continue;
                }

                if (!RootFieldsWithStatus.Contains(field))
                {
                    errors.Add(FieldError.Invalid(path.Child("openAPIV3Schema"), FieldError.OmitValue,
                        $"only {RootFieldsList} fields are allowed at the root of the schema if the status subresource is enabled"));
                    break;
                }
            }
        }

        errors.AddRange(ApiExtensions.Schema.CrdSchemaValidation.ValidateSchema(schema, path.Child("openAPIV3Schema")));
        return errors;
    }

    private static bool IsZero(JsonNode value) => value switch
    {
        JsonValue v when v.TryGetValue<bool>(out var b) => !b,
        JsonValue v when v.TryGetValue<string>(out var s) => s.Length == 0,
        JsonArray a => a.Count == 0,
        _ => false,
    };

    private static IEnumerable<FieldError> ValidateSubresources(JsonObject? subresources, FieldPath path)
    {
        if (subresources?["scale"] is not JsonObject scale)
        {
            yield break;
        }

        var spec = scale.GetString("specReplicasPath") ?? "";
        if (spec.Length == 0)
        {
            yield return FieldError.Required(path.Child("scale.specReplicasPath"));
        }
        else if (SimpleJsonPath(spec, path.Child("scale.specReplicasPath")) is { } specError)
        {
            yield return specError;
        }
        else if (!spec.StartsWith(".spec.", StringComparison.Ordinal))
        {
            yield return FieldError.Invalid(path.Child("scale.specReplicasPath"), spec, "should be a json path under .spec");
        }

        var status = scale.GetString("statusReplicasPath") ?? "";
        if (status.Length == 0)
        {
            yield return FieldError.Required(path.Child("scale.statusReplicasPath"));
        }
        else if (SimpleJsonPath(status, path.Child("scale.statusReplicasPath")) is { } statusError)
        {
            yield return statusError;
        }
        else if (!status.StartsWith(".status.", StringComparison.Ordinal))
        {
            yield return FieldError.Invalid(path.Child("scale.statusReplicasPath"), status, "should be a json path under .status");
        }

        var selector = scale.GetString("labelSelectorPath") ?? "";
        if (selector.Length > 0)
        {
            if (SimpleJsonPath(selector, path.Child("scale.labelSelectorPath")) is { } selectorError)
            {
                yield return selectorError;
            }
            else if (!selector.StartsWith(".spec.", StringComparison.Ordinal) && !selector.StartsWith(".status.", StringComparison.Ordinal))
            {
                yield return FieldError.Invalid(path.Child("scale.labelSelectorPath"), selector, "should be a json path under either .spec or .status");
            }
        }
    }

    private static FieldError? SimpleJsonPath(string path, FieldPath field) =>
        path.Length == 0 ? FieldError.Invalid(field, path, "must not be empty")
        : path[0] != '.' ? FieldError.Invalid(field, path, "must be a simple json path starting with .")
        : null;

    private static IEnumerable<FieldError> ValidateColumns(JsonArray? columns, FieldPath path)
    {
        var i = 0;
        foreach (var column in (columns ?? []).OfType<JsonObject>())
        {
            var at = path.Index(i++);
            if ((column.GetString("name") ?? "").Length == 0)
            {
                yield return FieldError.Required(at.Child("name"));
            }

            var type = column.GetString("type") ?? "";
            if (type.Length == 0)
            {
                yield return FieldError.Required(at.Child("type"), "must be one of " + string.Join(",", ColumnTypes));
            }
            else if (!ColumnTypes.Contains(type))
            {
                yield return FieldError.Invalid(at.Child("type"), type, "must be one of " + string.Join(",", ColumnTypes));
            }

            var format = column.GetString("format") ?? "";
            if (format.Length > 0 && !ColumnFormats.Contains(format))
            {
                yield return FieldError.Invalid(at.Child("format"), format, "must be one of " + string.Join(",", ColumnFormats));
            }

            var jsonPath = column.GetString("jsonPath") ?? "";
            if (jsonPath.Length == 0)
            {
                yield return FieldError.Required(at.Child("JSONPath"));
            }
            else if (SimpleJsonPath(jsonPath, at.Child("JSONPath")) is { } pathError)
            {
                yield return pathError;
            }
        }
    }

    private static IEnumerable<FieldError> ValidateSelectableFields(JsonObject version, FieldPath path)
    {
        var fields = (version["selectableFields"] as JsonArray ?? []).OfType<JsonObject>().ToArray();
        if (fields.Length == 0)
        {
            yield break;
        }

        if (version["schema"]?["openAPIV3Schema"] is not JsonObject schema)
        {
            yield return FieldError.Invalid(path, "", "may only be set when `version.schema.openAPIV3Schema` is not included");
            yield break;
        }

        var unique = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < fields.Length; i++)
        {
            var at = path.Index(i).Child("jsonPath");
            var jsonPath = fields[i].GetString("jsonPath") ?? "";
            if (jsonPath.Length == 0)
            {
                yield return FieldError.Required(at);
                continue;
            }

            var segments = jsonPath.TrimStart('.').Split('.');
            if (!jsonPath.StartsWith('.') || segments.Any(s => s.Length == 0))
            {
                yield return FieldError.Invalid(at, jsonPath, "is an invalid path: must start with a '.' and name fields in dot notation");
                continue;
            }

            JsonNode? node = schema;
            foreach (var segment in segments)
            {
                node = node?["properties"]?[segment];
            }

            if (node is null)
            {
                yield return FieldError.Invalid(at, jsonPath, $"is an invalid path: does not refer to a valid field");
                continue;
            }

            if (segments[0] == "metadata")
            {
                yield return FieldError.Invalid(at, jsonPath, "must not point to fields in metadata");
            }

            if ((node.GetString("type") ?? "") is not ("string" or "boolean" or "integer"))
            {
                yield return FieldError.Invalid(at, jsonPath, "must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.");
            }

            if (!unique.Add(string.Join('.', segments)))
            {
                yield return FieldError.Duplicate(at, jsonPath);
            }
        }

        if (unique.Count > MaxSelectableFields)
        {
            yield return FieldError.TooMany(path, unique.Count, MaxSelectableFields);
        }
    }

    private static IEnumerable<FieldError> ValidateNames(CrdNames names, FieldPath path)
    {
        if (names.Plural.Length > 0 && NameValidation.IsDNS1035Label(names.Plural) is { Count: > 0 } plural)
        {
            yield return FieldError.Invalid(path.Child("plural"), names.Plural, string.Join(",", plural));
        }

        if (names.Singular.Length > 0 && NameValidation.IsDNS1035Label(names.Singular) is { Count: > 0 } singular)
        {
            yield return FieldError.Invalid(path.Child("singular"), names.Singular, string.Join(",", singular));
        }

        if (names.Kind.Length > 0 && NameValidation.IsDNS1035Label(names.Kind.ToLowerInvariant()) is { Count: > 0 } kind)
        {
            yield return FieldError.Invalid(path.Child("kind"), names.Kind, "may have mixed case, but should otherwise match: " + string.Join(",", kind));
        }

        if (names.ListKind.Length > 0 && NameValidation.IsDNS1035Label(names.ListKind.ToLowerInvariant()) is { Count: > 0 } listKind)
        {
            yield return FieldError.Invalid(path.Child("listKind"), names.ListKind, "may have mixed case, but should otherwise match: " + string.Join(",", listKind));
        }

        for (var i = 0; i < names.ShortNames.Count; i++)
        {
            if (NameValidation.IsDNS1035Label(names.ShortNames[i]) is { Count: > 0 } shortName)
            {
                yield return FieldError.Invalid(path.Child("shortNames").Index(i), names.ShortNames[i], string.Join(",", shortName));
            }
        }

        if (names.Kind.Length > 0 && names.Kind == names.ListKind)
        {
            yield return FieldError.Invalid(path.Child("listKind"), names.ListKind, "kind and listKind may not be the same");
        }

        for (var i = 0; i < names.Categories.Count; i++)
        {
            if (NameValidation.IsDNS1035Label(names.Categories[i]) is { Count: > 0 } category)
            {
                yield return FieldError.Invalid(path.Child("categories").Index(i), names.Categories[i], string.Join(",", category));
            }
        }
    }

    private static IEnumerable<FieldError> ValidateConversion(JsonObject? conversion, FieldPath path)
    {
        if (conversion is null)
        {
            yield break;
        }

        var strategy = conversion.GetString("strategy") ?? "";
        if (strategy.Length == 0)
        {
            yield return FieldError.Required(path.Child("strategy"));
        }
        else if (strategy is not ("None" or "Webhook"))
        {
            yield return FieldError.NotSupported(path.Child("strategy"), strategy, ["None", "Webhook"]);
        }

        var webhook = conversion["webhook"] as JsonObject;
        if (strategy != "Webhook")
        {
            if (webhook?["clientConfig"] is not null)
            {
                yield return FieldError.Forbidden(path.Child("webhookClientConfig"), "should not be set when strategy is not set to Webhook");
            }

            if (webhook?["conversionReviewVersions"] is JsonArray { Count: > 0 })
            {
                yield return FieldError.Forbidden(path.Child("conversionReviewVersions"), "should not be set when strategy is not set to Webhook");
            }

            yield break;
        }

        var clientConfig = webhook?["clientConfig"] as JsonObject;
        var configPath = path.Child("webhookClientConfig");
        if (clientConfig is null)
        {
            yield return FieldError.Required(configPath, "required when strategy is set to Webhook");
        }
        else
        {
            var url = clientConfig["url"].AsString();
            var service = clientConfig["service"] as JsonObject;
            if ((url is null) == (service is null))
            {
                yield return FieldError.Required(configPath, "exactly one of url or service is required");
            }
            else if (url is not null)
            {
                foreach (var error in ValidateWebhookUrl(url, configPath.Child("url")))
                {
                    yield return error;
                }
            }
            else
            {
                foreach (var error in ValidateWebhookService(service!, configPath.Child("service")))
                {
                    yield return error;
                }
            }
        }

        var versions = CrdNames.Strings(webhook?["conversionReviewVersions"]);
        var versionsPath = path.Child("conversionReviewVersions");
        if (versions.Count == 0)
        {
            yield return FieldError.Required(versionsPath);
            yield break;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < versions.Count; i++)
        {
            if (!seen.Add(versions[i]))
            {
                yield return FieldError.Invalid(versionsPath.Index(i), versions[i], "duplicate version");
                continue;
            }

            foreach (var message in NameValidation.IsDNS1035Label(versions[i]))
            {
                yield return FieldError.Invalid(versionsPath.Index(i), versions[i], message);
            }
        }

        if (!versions.Any(v => v is "v1" or "v1beta1"))
        {
            yield return FieldError.Invalid(versionsPath, FieldError.OmitValue, "must include at least one of v1, v1beta1");
        }
    }

    private static IEnumerable<FieldError> ValidateWebhookUrl(string url, FieldPath path)
    {
        const string Form = "; desired format: https://host[/path]";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            yield return FieldError.Required(path, "url must be a valid URL: parse " + ApiMachinery.Text.GoText.Quote(url) + ": invalid URI" + Form);
            yield break;
        }

        if (uri.Scheme != "https")
        {
            yield return FieldError.Invalid(path, uri.Scheme, "'https' is the only allowed URL scheme" + Form);
        }

        if (uri.Host.Length == 0)
        {
            yield return FieldError.Invalid(path, uri.Host, "host must be specified" + Form);
        }

        if (uri.UserInfo.Length > 0)
        {
            yield return FieldError.Invalid(path, uri.UserInfo, "user information is not permitted in the URL");
        }

        if (uri.Fragment.Length > 1)
        {
            yield return FieldError.Invalid(path, uri.Fragment[1..], "fragments are not permitted in the URL");
        }

        if (uri.Query.Length > 1)
        {
            yield return FieldError.Invalid(path, uri.Query[1..], "query parameters are not permitted in the URL");
        }
    }

    private static IEnumerable<FieldError> ValidateWebhookService(JsonObject service, FieldPath path)
    {
        if ((service.GetString("namespace") ?? "").Length == 0)
        {
            yield return FieldError.Required(path.Child("namespace"), "service namespace is required");
        }

        if ((service.GetString("name") ?? "").Length == 0)
        {
            yield return FieldError.Required(path.Child("name"), "service name is required");
        }

        if (service["port"] is JsonValue p && p.TryGetValue<int>(out var port) && (port < 1 || port > 65535))
        {
            yield return FieldError.Invalid(path.Child("port"), port, "port is not valid: must be between 1 and 65535, inclusive");
        }

        var urlPath = service.GetString("path") ?? "";
        if (urlPath.Length > 1 && !urlPath.StartsWith('/'))
        {
            yield return FieldError.Invalid(path.Child("path"), urlPath, "must start with a '/'");
        }
    }

    private static IEnumerable<FieldError> ValidateApproval(JsonObject crd, JsonObject? old)
    {
        var group = crd["spec"].GetString("group") ?? "";
        var isProtected = group is "k8s.io" or "kubernetes.io" || group.EndsWith(".k8s.io", StringComparison.Ordinal) || group.EndsWith(".kubernetes.io", StringComparison.Ordinal);
        if (!isProtected)
        {
            yield break;
        }

        var (state, reason) = ApprovalState(crd);
        if (old is not null && ApprovalState(old).State == state)
        {
            yield break;
        }

        var path = FieldPath.New("metadata", "annotations").Key(ApprovalAnnotation);
        var value = ObjectMeta.Annotations(crd).GetValueOrDefault(ApprovalAnnotation, "");
        switch (state)
        {
            case "missing":
                yield return FieldError.Required(path, reason);
                break;
            case "invalid":
                yield return FieldError.Invalid(path, value, reason);
                break;
        }
    }

    private static (string State, string Reason) ApprovalState(JsonObject crd)
    {
        var annotation = ObjectMeta.Annotations(crd).GetValueOrDefault(ApprovalAnnotation, "");
        if (annotation.Length == 0)
        {
            return ("missing", $"protected groups must have approval annotation \"{ApprovalAnnotation}\", see https://github.com/kubernetes/enhancements/pull/1111");
        }

        if (annotation.StartsWith("unapproved", StringComparison.Ordinal))
        {
            return ("bypassed", "");
        }

        if (Uri.TryCreate(annotation, UriKind.Absolute, out var uri) && uri.Host.Length > 0)
        {
            return ("approved", "");
        }

        return ("invalid", $"protected groups must have approval annotation \"{ApprovalAnnotation}\" with either a URL or a reason starting with \"unapproved\", see https://github.com/kubernetes/enhancements/pull/1111");
    }

    private static IEnumerable<FieldError> ValidatePreserveUnknownFields(JsonObject crd, JsonObject? old)
    {
        if (old?["spec"]?["preserveUnknownFields"] is JsonValue o && o.TryGetValue<bool>(out var wasTrue) && wasTrue)
        {
            yield break;
        }

        if (crd["spec"]?["preserveUnknownFields"] is JsonValue p && p.TryGetValue<bool>(out var isTrue) && isTrue)
        {
            yield return FieldError.Invalid(FieldPath.New("spec").Child("preserveUnknownFields"), true,
                "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead");
        }
    }

    private static IEnumerable<FieldError> Immutable(string value, string old, FieldPath path)
    {
        if (value != old)
        {
            yield return FieldError.Invalid(path, value, "field is immutable");
        }
    }

    /// <summary>Whether every version has the same (set) value of <paramref name="field"/>: kube's hasIdenticalPerVersion*.</summary>
    private static bool Identical(JsonObject[] versions, string field, bool emptyIsAbsent = false)
    {
        if (versions.Length == 0)
        {
            return false;
        }

        var first = versions[0][field];
        foreach (var version in versions)
        {
            var value = version[field];
            if (value is null || (emptyIsAbsent && value is JsonArray { Count: 0 }) || !JsonNode.DeepEquals(value, first))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether a schema sets a default anywhere (properties named "default" are not defaults).</summary>
    internal static bool HasDefaults(JsonNode? schema)
    {
        if (schema is not JsonObject o)
        {
            return false;
        }

        if (o.ContainsKey("default"))
        {
            return true;
        }

        return (o["properties"] as JsonObject ?? []).Any(p => HasDefaults(p.Value))
            || HasDefaults(o["additionalProperties"])
            || HasDefaults(o["items"])
            || new[] { "allOf", "anyOf", "oneOf" }.Any(k => (o[k] as JsonArray ?? []).Any(HasDefaults))
            || HasDefaults(o["not"]);
    }
}
