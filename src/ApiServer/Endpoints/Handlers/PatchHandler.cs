using System.Text.Json;
using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.FieldManagement;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiMachinery.Validation;
using ApiMachinery.Patch;
using ApiMachinery.Schema;
using ApiMachinery.Serialization;
using ApiServer.Options;
using ApiServer.Registry;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace ApiServer.Endpoints.Handlers;

/// <summary>
/// PATCH: applies the patch to the stored object through the same update path as PUT, so
/// admission, validation and the resourceVersion compare all apply, as kube-apiserver's patcher does.
/// JSON Patch, JSON Merge Patch and strategic merge patch (built-in kinds only, with merge keys and
/// strategies from the schema facts, as kube-apiserver), and server-side apply
/// (application/apply-patch+yaml: the field manager merges the configuration and records ownership;
/// an apply to a missing object creates it).
/// </summary>
internal sealed class PatchHandler(ApiServerOptions options, TimeProvider time)
{
    private const string JsonPatchType = "application/json-patch+json";
    private const string MergePatchType = "application/merge-patch+json";
    private const string StrategicMergePatchType = "application/strategic-merge-patch+json";
    private const string ApplyPatchType = "application/apply-patch+yaml";

    /// <summary>A create by apply can lose a race to another create; the apply is then re-run as an update.</summary>
    private const int ApplyAttempts = 3;

    public async Task HandleAsync(HttpContext context, RequestInfo info, GenericStore store, string subresource, CancellationToken cancellationToken)
    {
        _ = MediaTypes.Output(context.Request); // 406 before any work
        var dryRun = QueryOptions.ParseDryRun(context.Request.Query, "PatchOptions");
        var validation = QueryOptions.ValidateFieldValidation(context.Request.Query, "PatchOptions");
        var patchType = MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var media) ? media.MediaType.Value : null;
        if (patchType is not (JsonPatchType or MergePatchType or StrategicMergePatchType or ApplyPatchType))
        {
            throw StatusException.NewUnsupportedMediaType([JsonPatchType, MergePatchType, StrategicMergePatchType, ApplyPatchType]);
        }

        var force = ParseForce(context, patchType == ApplyPatchType);
        var fieldManager = QueryOptions.FieldManager(context, "PatchOptions", apply: patchType == ApplyPatchType);
        if (patchType == ApplyPatchType)
        {
            await ApplyAsync(context, info, store, subresource, fieldManager!, force, dryRun, validation, cancellationToken).ConfigureAwait(false);
            return;
        }

        var schema = SchemaFacts.Builtin.ForKind(store.Resource.Group, store.Resource.Version, store.Resource.Kind);
        if (patchType == StrategicMergePatchType && schema is null)
        {
            throw StatusException.NewUnsupportedMediaType([JsonPatchType, MergePatchType, ApplyPatchType]);
        }

        var bytes = await MediaTypes.ReadBodyAsync(context.Request, options.SecureServing.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false);
        JsonNode? patch;
        var duplicates = new List<string>();
        try
        {
            patch = JsonInput.Parse(bytes, ObjectCodec.MaxDepth, duplicates);
        }
        catch (JsonException e)
        {
            throw StatusException.NewBadRequest($"error decoding patch: {e.Message}");
        }

        ReportDuplicates(duplicates, validation, ResponseWarnings.For(context));

        // The patch applies to whatever is stored at the moment of the write, inside the registry's
        // read-modify-write; a lost race re-applies it to the fresh object. A patch that names a
        // resourceVersion (an optimistic lock) conflicts instead, as with kube-apiserver.
        var warn = ResponseWarnings.For(context);
        var scope = new RequestScope(ApiRequestFeature.Get(context).User!, dryRun, warn) { FieldManager = fieldManager };
        var updated = await store.ApplyUpdateWrittenAsync(scope, info.Namespace, info.Name, subresource,
            current =>
            {
                var patched = Apply(current, patch, patchType, store.Resource, schema);
                if (store.Resource.Custom is { } custom)
                {
                    QueryOptions.PruneUnknownFields(patched, custom, validation, "", warn);
                }
                else
                {
                    QueryOptions.PruneUnknownFields(patched, schema, validation, "", warn);
                }

                return patched;
            }, cancellationToken).ConfigureAwait(false);
        await ResponseTransform.WriteObjectAsync(context, 200, updated, store.Resource, time.GetUtcNow()).ConfigureAwait(false);
    }

    /// <summary>
    /// Server-side apply: the configuration (YAML or JSON) is merged into the stored object by the
    /// field manager, which may refuse with a 409 listing conflicts (unless force); the result then
    /// takes the ordinary update path (or the create path when nothing is stored).
    /// </summary>
    private async Task ApplyAsync(
        HttpContext context, RequestInfo info, GenericStore store, string subresource, string fieldManager, bool force,
        bool dryRun, string validation, CancellationToken cancellationToken)
    {
        _ = MediaTypes.Output(context.Request); // 406 before any work
        var bytes = await MediaTypes.ReadBodyAsync(context.Request, options.SecureServing.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false);
        var config = MediaTypes.Parse(bytes, WireFormat.Yaml);
        var resource = store.Resource;
        if ((config.GetString("apiVersion") ?? "").Length == 0 || (config.GetString("kind") ?? "").Length == 0)
        {
            throw StatusException.NewBadRequest("apiVersion and kind must be set in an apply configuration");
        }

        ResourceHandler.CheckKind(config, resource);
        var metadata = config["metadata"] as JsonObject ?? throw StatusException.NewBadRequest("metadata must be set in an apply configuration");
        if (metadata["managedFields"] is not null)
        {
            throw StatusException.NewBadRequest("metadata.managedFields must be nil");
        }

        if (ObjectMeta.Name(config) is { Length: > 0 } named && named != info.Name)
        {
            throw StatusException.NewBadRequest($"the name of the object ({named}) does not match the name on the URL ({info.Name})");
        }

        if (resource.Namespaced && metadata.GetString("namespace") is { Length: > 0 } ns && ns != info.Namespace)
        {
            throw StatusException.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        metadata["name"] = info.Name;
        if (resource.Namespaced)
        {
            metadata["namespace"] = info.Namespace;
        }

        var schema = SchemaFacts.Builtin.ForKind(resource.Group, resource.Version, resource.Kind);
        var warn = ResponseWarnings.For(context);
        if (resource.Custom is { } custom)
        {
            QueryOptions.PruneUnknownFields(config, custom, validation, "", warn);
        }
        else
        {
            QueryOptions.PruneUnknownFields(config, schema, validation, "", warn);
        }

        var scope = new RequestScope(ApiRequestFeature.Get(context).User!, dryRun, warn) { FieldManager = fieldManager, FieldsManaged = true };
        var fieldContext = store.FieldManagerContext(scope, subresource);

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var updated = await store.ApplyUpdateWrittenAsync(scope, info.Namespace, info.Name, subresource,
                    current => FieldManagerApply(current, config, fieldContext, force), cancellationToken).ConfigureAwait(false);
                await ResponseTransform.WriteObjectAsync(context, 200, updated, store.Resource, time.GetUtcNow()).ConfigureAwait(false);
                return;
            }
            catch (StatusException e) when (e.Status.Code == 404 && e.Status.Details?.Name == info.Name && subresource.Length == 0 && attempt < ApplyAttempts)
            {
            }

            // Nothing stored: the apply creates the object from an empty one of its kind.
            var empty = new JsonObject
            {
                ["apiVersion"] = resource.ApiVersion,
                ["kind"] = resource.Kind,
                ["metadata"] = new JsonObject { ["name"] = info.Name },
            };
            var obj = FieldManagerApply(empty, config, fieldContext, force);
            try
            {
                var created = await store.CreateWrittenAsync(scope, info.Namespace, obj, cancellationToken).ConfigureAwait(false);
                await ResponseTransform.WriteObjectAsync(context, 201, created, store.Resource, time.GetUtcNow()).ConfigureAwait(false);
                return;
            }
            catch (StatusException e) when (e.Status.Reason == StatusReasons.AlreadyExists && attempt < ApplyAttempts)
            {
            }
        }
    }

    private static JsonObject FieldManagerApply(JsonObject live, JsonObject config, FieldManagerContext context, bool force)
    {
        try
        {
            return FieldManager.Apply(live, config, context, force);
        }
        catch (FieldManagerConflictException e)
        {
            throw StatusException.NewApplyConflict(
                e.Conflicts.Select(c => new StatusCause("FieldManagerConflict", "conflict with " + c.Owner.Describe(), c.Path)).ToList(),
                e.Message);
        }
    }

    /// <summary>Fields a patch repeats (the last value counts): 422 under Strict, a warning each under Warn.</summary>
    private static void ReportDuplicates(List<string> duplicates, string validation, Action<string> warn)
    {
        if (duplicates.Count == 0 || validation == "Ignore")
        {
            return;
        }

        var problems = duplicates.Select(d => $"duplicate field \"{d}\"").ToList();
        if (validation == "Strict")
        {
            throw StatusException.NewInvalid("", "", "",
                [FieldError.Invalid(FieldPath.New("patch"), "", "strict decoding error: " + string.Join(", ", problems))]);
        }

        problems.ForEach(warn);
    }

    /// <summary>PatchOptions.force: only for apply patches (422 otherwise), "true" or "false".</summary>
    private static bool ParseForce(HttpContext context, bool apply)
    {
        var value = context.Request.Query["force"].ToString();
        if (value.Length == 0)
        {
            return false;
        }

        if (!apply)
        {
            throw StatusException.NewInvalid("meta.k8s.io", "PatchOptions", "",
                [FieldError.Forbidden(FieldPath.New("force"), "may not be specified for non-apply patch")]);
        }

        return value is "true" or "1" or "True";
    }

    /// <summary>The patch types PATCH accepts, for the scale subresource too.</summary>
    public static readonly string[] SupportedTypes = [JsonPatchType, MergePatchType, StrategicMergePatchType];

    /// <summary>Reads a PATCH request's body and type (415 for a type we do not apply).</summary>
    public async Task<(JsonNode? Patch, string Type)> ReadPatchAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var patchType = MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var media) ? media.MediaType.Value : null;
        if (patchType is null || !SupportedTypes.Contains(patchType))
        {
            throw StatusException.NewUnsupportedMediaType(SupportedTypes);
        }

        var bytes = await MediaTypes.ReadBodyAsync(context.Request, options.SecureServing.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false);
        try
        {
            return (JsonInput.Parse(bytes, ObjectCodec.MaxDepth), patchType);
        }
        catch (JsonException e)
        {
            throw StatusException.NewBadRequest($"error decoding patch: {e.Message}");
        }
    }

    /// <summary>Applies a patch of any supported type to <paramref name="current"/> (a 422 or 400 Status when it does not apply).</summary>
    public static JsonObject Patch(JsonObject current, JsonNode? patch, string patchType, ResourceDefinition resource, DefinitionSchema? schema) =>
        Apply(current, patch, patchType, resource, schema, checkKind: false);

    private static JsonObject Apply(JsonObject current, JsonNode? patch, string patchType, ResourceDefinition resource, DefinitionSchema? schema, bool checkKind = true)
    {
        JsonNode? result;
        try
        {
            result = patchType switch
            {
                JsonPatchType => JsonPatch.Apply(current, patch as JsonArray ?? throw new PatchException("a JSON patch must be an array of operations")),
                StrategicMergePatchType => StrategicMergePatch.Apply(current, patch as JsonObject ?? throw new PatchException("a strategic merge patch must be a JSON object"), schema),
                _ => JsonMergePatch.Apply(current, patch),
            };
        }
        catch (Exception e) when (e is PatchException or InvalidOperationException or FormatException)
        {
            // kube-apiserver answers a JSON patch that does not apply with a bare 422, anything else with 400.
            throw patchType == JsonPatchType
                ? StatusException.NewGenericServerResponse(422, "PATCH", resource.Group, resource.Plural, ObjectMeta.Name(current), e.Message, 0, false)
                : StatusException.NewBadRequest(e.Message);
        }

        if (result is not JsonObject obj)
        {
            throw StatusException.NewBadRequest("the patch did not produce an object");
        }

        if (checkKind)
        {
            ResourceHandler.CheckKind(obj, resource);
        }

        return obj;
    }
}
