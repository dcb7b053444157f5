using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.Selectors;
using ApiMachinery.Validation;
using ApiServer.Registry;
using Microsoft.AspNetCore.Http;

namespace ApiServer.Endpoints.Handlers;

/// <summary>Parses and validates the query parameters of kube-apiserver's verbs (ListOptions, CreateOptions, DeleteOptions...).</summary>
internal static class QueryOptions
{
    private static readonly string[] FieldValidationValues = ["Ignore", "Warn", "Strict"];

    /// <param name="forWatchList">a watch with sendInitialEvents, whose resourceVersionMatch (NotOlderThan)
    /// the watch handler has validated and which may come without a resourceVersion.</param>
    public static ListQuery ParseList(IQueryCollection query, GenericStore store, bool forWatchList = false)
    {
        LabelSelector? labels = null;
        FieldSelector? fields = null;
        var labelText = query["labelSelector"].ToString();
        if (labelText.Length > 0)
        {
            try
            {
                labels = LabelSelector.Parse(labelText);
            }
            catch (FormatException e)
            {
                throw StatusException.NewBadRequest($"unable to parse requirement: {e.Message}");
            }
        }

        var fieldText = query["fieldSelector"].ToString();
        if (fieldText.Length > 0)
        {
            try
            {
                fields = FieldSelector.Parse(fieldText);
            }
            catch (FormatException e)
            {
                throw StatusException.NewBadRequest($"invalid field selector: {e.Message}");
            }

            foreach (var requirement in fields.Requirements)
            {
                if (!store.Strategy.SupportedFields.Contains(requirement.Field))
                {
                    throw StatusException.NewBadRequest($"field label not supported: {requirement.Field}");
                }
            }
        }

        long limit = 0;
        var limitText = query["limit"].ToString();
        if (limitText.Length > 0 && (!long.TryParse(limitText, out limit) || limit < 0))
        {
            throw StatusException.NewBadRequest($"invalid limit \"{limitText}\"");
        }

        var resourceVersion = query["resourceVersion"].ToString();
        var match = query["resourceVersionMatch"].ToString();
        if (match.Length > 0 && !forWatchList)
        {
            var errors = new List<FieldError>();
            var path = FieldPath.New("resourceVersionMatch");
            if (match is not ("Exact" or "NotOlderThan"))
            {
                errors.Add(FieldError.NotSupported(path, match, ["Exact", "NotOlderThan"]));
            }
            else if (resourceVersion.Length == 0)
            {
                errors.Add(FieldError.Forbidden(path, "resourceVersionMatch is forbidden unless resourceVersion is provided"));
            }
            else if (match == "Exact" && resourceVersion == "0")
            {
                errors.Add(FieldError.Forbidden(path, "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""));
            }

            if (errors.Count > 0)
            {
                throw StatusException.NewInvalid("meta.k8s.io", "ListOptions", "", errors);
            }
        }

        if (resourceVersion.Length > 0 && resourceVersion != "0")
        {
            GenericStore.ParseResourceVersion(resourceVersion);
        }

        // resourceVersion=0 serves from the cache and ignores limit, as kube-apiserver does.
        if (resourceVersion == "0" && match.Length == 0)
        {
            limit = 0;
        }

        var continueToken = query["continue"].ToString();
        return new ListQuery(labels, fields, limit, continueToken.Length > 0 ? continueToken : null,
            resourceVersion.Length > 0 ? resourceVersion : null, match.Length > 0 ? match : null)
        {
            FromClient = true,
        };
    }

    /// <summary>dryRun: only "All" is valid (422 otherwise, naming the options kind).</summary>
    public static bool ParseDryRun(IQueryCollection query, string optionsKind)
    {
        var values = query["dryRun"];
        if (values.Count == 0)
        {
            return false;
        }

        foreach (var value in values)
        {
            if (value != "All")
            {
                throw StatusException.NewInvalid("meta.k8s.io", optionsKind, "",
                    [FieldError.NotSupported(FieldPath.New("dryRun"), value ?? "", ["All"])]);
            }
        }

        return true;
    }

    /// <summary>
    /// The request's fieldManager, else the User-Agent's product ("kubectl" of "kubectl/v1.32.0 ..."),
    /// as kube-apiserver names managers; 422 for a name that is too long or not printable, or a
    /// missing one on an apply.
    /// </summary>
    public static string? FieldManager(HttpContext context, string optionsKind, bool apply = false)
    {
        var value = context.Request.Query["fieldManager"].ToString();
        if (value.Length > 0)
        {
            var errors = ObjectMetaValidator.ValidateFieldManager(value, FieldPath.New("fieldManager"));
            if (errors.Count > 0)
            {
                throw StatusException.NewInvalid("meta.k8s.io", optionsKind, "", errors);
            }

            return value;
        }

        if (apply)
        {
            throw StatusException.NewInvalid("meta.k8s.io", optionsKind, "",
                [FieldError.Required(FieldPath.New("fieldManager"), "is required for apply patch")]);
        }

        var agent = context.Request.Headers.UserAgent.ToString();
        var product = agent.Split('/')[0];
        return product.Length > 128 ? product[..128] : product;
    }

    /// <summary>The request's fieldValidation: Ignore, Warn (the default) or Strict; 422 for anything else.</summary>
    public static string ValidateFieldValidation(IQueryCollection query, string optionsKind)
    {
        var value = query["fieldValidation"].ToString();
        if (value.Length > 0 && !FieldValidationValues.Contains(value))
        {
            throw StatusException.NewInvalid("meta.k8s.io", optionsKind, "",
                [FieldError.NotSupported(FieldPath.New("fieldValidation"), value, FieldValidationValues)]);
        }

        return value.Length > 0 ? value : "Warn";
    }

    /// <summary>
    /// Drops the fields a built-in kind does not have, as kube-apiserver's decoder does; Strict
    /// refuses them (400, naming every one), Warn adds a Warning header per field.
    /// <paramref name="prefix"/> is kube's decoding context for create and update bodies
    /// (<c>Pod in version "v1" cannot be handled as a Pod: </c>); patches have none.
    /// </summary>
    /// <summary>
    /// Refuses values of the wrong type (as Go's decoder does); drops the fields the kind does not
    /// have; with the fields the body repeated, refuses them all
    /// (Strict: kube's "strict decoding error: duplicate field ..., unknown field ..."), warns about
    /// each (Warn) or says nothing (Ignore).
    /// </summary>
    public static void PruneUnknownFields(
        JsonObject obj, ApiMachinery.Schema.DefinitionSchema? schema, string validation, string prefix, Action<string> warn,
        IReadOnlyList<string>? duplicates = null)
    {
        // A value of the wrong type does not decode at all, whatever the validation mode (400).
        if (schema is not null && ApiMachinery.Schema.FieldTypes.FirstError(obj, schema) is { } typeError)
        {
            throw StatusException.NewBadRequest(prefix + typeError);
        }

        var unknown = schema is null ? [] : ApiMachinery.Schema.UnknownFields.Prune(obj, schema);
        ReportUnknownFields(unknown, validation, prefix, warn, duplicates);
    }

    /// <summary>
    /// A custom resource's unknown fields: what its CRD version's schema prunes (kube's structural
    /// pruning), and metadata fields ObjectMeta does not have; metadata of the wrong type does not
    /// decode (400), while the rest of the object is checked by the schema's validation (422).
    /// </summary>
    public static void PruneUnknownFields(
        JsonObject obj, CustomResources.CustomResourceVersion custom, string validation, string prefix, Action<string> warn,
        IReadOnlyList<string>? duplicates = null)
    {
        var unknown = new List<string>();
        if (obj["metadata"] is JsonObject metadata && ApiMachinery.Schema.SchemaFacts.Builtin.Definition(ObjectMetaDefinition) is { } objectMeta)
        {
            if (ApiMachinery.Schema.FieldTypes.FirstError(metadata, objectMeta) is { } typeError)
            {
                throw StatusException.NewBadRequest(prefix + typeError);
            }

            unknown.AddRange(ApiMachinery.Schema.UnknownFields.Prune(metadata, objectMeta).Select(f => "metadata." + f));
        }

        if (custom.Schema is { } schema)
        {
            unknown.AddRange(schema.Prune(obj));
        }

        ReportUnknownFields(unknown, validation, prefix, warn, duplicates);
    }

    private const string ObjectMetaDefinition = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

    private static void ReportUnknownFields(IReadOnlyList<string> unknown, string validation, string prefix, Action<string> warn, IReadOnlyList<string>? duplicates)
    {
        // Go's strict decoder names each field with %q.
        var problems = (duplicates ?? []).Select(d => "duplicate field " + ApiMachinery.Text.GoText.Quote(d))
            .Concat(unknown.Select(u => "unknown field " + ApiMachinery.Text.GoText.Quote(u)))
            .ToList();
        if (problems.Count == 0 || validation == "Ignore")
        {
            return;
        }

        if (validation == "Strict")
        {
            throw StatusException.NewBadRequest(prefix + "strict decoding error: " + string.Join(", ", problems));
        }

        foreach (var problem in problems)
        {
            warn(problem);
        }
    }

    /// <summary>A boolean query parameter as Go's strconv.ParseBool reads it; anything else is 400.</summary>
    public static bool ParseBool(string name, string text) => text switch
    {
        "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
        "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
        _ => throw StatusException.NewBadRequest($"invalid {name} \"{text}\": strconv.ParseBool: parsing {ApiMachinery.Text.GoText.Quote(text)}: invalid syntax"),
    };

    public static long? ParseGracePeriod(string? text) =>
        string.IsNullOrEmpty(text) ? null
        : long.TryParse(text, out var value) ? value
        : throw StatusException.NewBadRequest($"invalid gracePeriodSeconds \"{text}\"");
}
