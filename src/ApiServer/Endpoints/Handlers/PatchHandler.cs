using System.Text.Json;
using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.Patch;
using ApiMachinery.Schema;
using ApiServer.Options;
using ApiServer.Registry;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace ApiServer.Endpoints.Handlers;

/// <summary>
/// PATCH: applies the patch to the stored object through the same update path as PUT, so
/// admission, validation and the resourceVersion compare all apply, as kube-apiserver's patcher does.
/// JSON Patch, JSON Merge Patch and strategic merge patch (built-in kinds only, with merge keys and
/// strategies from the schema facts, as kube-apiserver); server-side apply answers 415 until it arrives.
/// </summary>
internal sealed class PatchHandler(ApiServerOptions options)
{
    private const string JsonPatchType = "application/json-patch+json";
    private const string MergePatchType = "application/merge-patch+json";
    private const string StrategicMergePatchType = "application/strategic-merge-patch+json";

    public async Task HandleAsync(HttpContext context, RequestInfo info, GenericStore store, string subresource, CancellationToken cancellationToken)
    {
        var format = MediaTypes.ResponseFormat(context.Request);
        var dryRun = QueryOptions.ParseDryRun(context.Request.Query, "PatchOptions");
        var validation = QueryOptions.ValidateFieldValidation(context.Request.Query, "PatchOptions");
        var patchType = MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var media) ? media.MediaType.Value : null;
        if (patchType is not (JsonPatchType or MergePatchType or StrategicMergePatchType))
        {
            throw StatusException.NewUnsupportedMediaType([JsonPatchType, MergePatchType, StrategicMergePatchType]);
        }

        var schema = SchemaFacts.Builtin.ForKind(store.Resource.Group, store.Resource.Version, store.Resource.Kind);
        if (patchType == StrategicMergePatchType && schema is null)
        {
            throw StatusException.NewUnsupportedMediaType([JsonPatchType, MergePatchType]);
        }

        var bytes = await MediaTypes.ReadBodyAsync(context.Request, options.SecureServing.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false);
        JsonNode? patch;
        try
        {
            patch = JsonNode.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw StatusException.NewBadRequest($"error decoding patch: {e.Message}");
        }

        // The patch applies to whatever is stored at the moment of the write, inside the registry's
        // read-modify-write; a lost race re-applies it to the fresh object. A patch that names a
        // resourceVersion (an optimistic lock) conflicts instead, as with kube-apiserver.
        var warn = ResponseWarnings.For(context);
        var scope = new RequestScope(ApiRequestFeature.Get(context).User!, dryRun, warn);
        var updated = await store.ApplyUpdateAsync(scope, info.Namespace, info.Name, subresource,
            current =>
            {
                var patched = Apply(current, patch, patchType, store.Resource, schema);
                QueryOptions.PruneUnknownFields(patched, schema, validation, "", warn);
                return patched;
            }, cancellationToken).ConfigureAwait(false);
        await MediaTypes.WriteAsync(context, 200, updated, format).ConfigureAwait(false);
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
            return (JsonNode.Parse(bytes), patchType);
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
