using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiMachinery.Schema;
using ApiMachinery.Selectors;
using ApiServer.Printing;
using ApiServer.Registry;
using Microsoft.AspNetCore.Http;

namespace ApiServer.Endpoints.Handlers;

/// <summary>
/// The scale subresource of deployments, replicasets, statefulsets and replicationcontrollers: an
/// autoscaling/v1 Scale view of the object (spec.replicas, status.replicas and the selector as a
/// string). GET reads it; PUT and PATCH (every patch type, applied to the Scale) change only the
/// object's spec.replicas, through the same update path as any write. A resourceVersion in the
/// Scale is a precondition on the object, as in kube-apiserver.
/// </summary>
internal sealed class ScaleHandler(PatchHandler patches, ResourceHandlerOptions options, TimeProvider time)
{
    private static readonly DefinitionSchema? ScaleSchema = SchemaFacts.Builtin.ForKind("autoscaling", "v1", "Scale");
    private static readonly ResourceDefinition ScaleResource = new("autoscaling", "v1", "Scale", "scale", "scale", true, [], [], [], [], "");

    public async Task HandleAsync(HttpContext context, RequestInfo info, GenericStore store, CancellationToken cancellationToken)
    {
        _ = MediaTypes.Output(context.Request); // 406 before any work
        var now = time.GetUtcNow();
        switch (info.Verb)
        {
            case "get":
                var current = await store.GetAsync(info.Namespace, info.Name, cancellationToken).ConfigureAwait(false);
                await ResponseTransform.WriteObjectAsync(context, 200, ToScale(current, store.Resource), ScaleResource, now, TableConvertor.Default).ConfigureAwait(false);
                break;
            case "update":
                var dryRun = QueryOptions.ParseDryRun(context.Request.Query, "UpdateOptions");
                var body = await MediaTypes.ReadObjectAsync(context.Request, options.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false);
                CheckScaleKind(body);
                var updated = await WriteAsync(context, info, store, dryRun, _ => body, cancellationToken).ConfigureAwait(false);
                await ResponseTransform.WriteObjectAsync(context, 200, updated, ScaleResource, now, TableConvertor.Default).ConfigureAwait(false);
                break;
            case "patch":
                var patchDryRun = QueryOptions.ParseDryRun(context.Request.Query, "PatchOptions");
                var (patch, type) = await patches.ReadPatchAsync(context, cancellationToken).ConfigureAwait(false);
                var patched = await WriteAsync(context, info, store, patchDryRun,
                    scale => PatchHandler.Patch(scale, patch, type, ScaleResource, ScaleSchema), cancellationToken).ConfigureAwait(false);
                await ResponseTransform.WriteObjectAsync(context, 200, patched, ScaleResource, now, TableConvertor.Default).ConfigureAwait(false);
                break;
            default:
                throw StatusException.NewMethodNotSupported(store.Resource.Group, store.Resource.Plural + "/scale", info.Verb);
        }
    }

    /// <summary>Computes the new Scale from the current one and stores its replicas; answers the stored object's Scale.</summary>
    private static async Task<JsonObject> WriteAsync(
        HttpContext context, RequestInfo info, GenericStore store, bool dryRun, Func<JsonObject, JsonObject> newScale, CancellationToken cancellationToken)
    {
        var scope = new RequestScope(ApiRequestFeature.Get(context).User!, dryRun, ResponseWarnings.For(context))
        {
            FieldManager = QueryOptions.FieldManager(context, context.Request.Method == "PATCH" ? "PatchOptions" : "UpdateOptions"),
            FieldManagerSubresource = "scale",
        };
        var updated = await store.ApplyUpdateAsync(scope, info.Namespace, info.Name, "", current =>
        {
            var scale = newScale(ToScale(current, store.Resource));
            if (ObjectMeta.Name(scale) is { Length: > 0 } named && named != info.Name)
            {
                throw StatusException.NewBadRequest($"the name of the object ({named}) does not match the name on the URL ({info.Name})");
            }

            if (scale["spec"]?["replicas"] is not JsonValue replicas || !replicas.TryGetValue<long>(out var count))
            {
                count = 0;
            }

            // A custom resource's count is checked by its strategy, at the CRD's path (kube's ValidateScaleSpec).
            if (count < 0 && store.Resource.Custom is null)
            {
                throw StatusException.NewInvalid("autoscaling", "Scale", info.Name,
                    [ApiMachinery.Validation.FieldError.Invalid(ApiMachinery.Validation.FieldPath.New("spec").Child("replicas"), count, "must be greater than or equal to 0")]);
            }

            if (store.Resource.Custom?.Scale is { } paths)
            {
                SetPath(current, paths.SpecReplicasPath, count);
            }
            else
            {
                var spec = current["spec"] as JsonObject ?? [];
                spec["replicas"] = count;
                current["spec"] = spec;
            }

            // The Scale's resourceVersion, when it has one, is a precondition on the object.
            var version = ObjectMeta.ResourceVersion(scale);
            ObjectMeta.Metadata(current)["resourceVersion"] = version.Length > 0 ? version : ObjectMeta.ResourceVersion(current);
            return current;
        }, cancellationToken).ConfigureAwait(false);
        return ToScale(updated, store.Resource);
    }

    private static void CheckScaleKind(JsonObject body)
    {
        var apiVersion = body.GetString("apiVersion") ?? "";
        var kind = body.GetString("kind") ?? "";
        if ((apiVersion.Length > 0 && apiVersion != "autoscaling/v1") || (kind.Length > 0 && kind != "Scale"))
        {
            throw StatusException.NewBadRequest($"the object provided is unrecognized ({apiVersion}, Kind={kind}); expected autoscaling/v1, Kind=Scale");
        }
    }

    /// <summary>
    /// The autoscaling/v1 Scale of a scalable object: spec.replicas, status.replicas and the selector,
    /// or for a custom resource what its CRD's scale paths point at (the selector as the string it holds).
    /// </summary>
    public static JsonObject ToScale(JsonObject obj, ResourceDefinition resource)
    {
        var metadata = new JsonObject();
        foreach (var field in new[] { "name", "namespace", "uid", "resourceVersion", "creationTimestamp" })
        {
            if (ObjectMeta.Metadata(obj)[field] is { } value)
            {
                metadata[field] = value.DeepClone();
            }
        }

        var paths = resource.Custom?.Scale;
        var specReplicas = paths is null ? obj["spec"]?["replicas"] : GetPath(obj, paths.SpecReplicasPath);
        var statusReplicas = paths is null ? obj["status"]?["replicas"] : GetPath(obj, paths.StatusReplicasPath);
        var status = new JsonObject { ["replicas"] = Replicas(statusReplicas) };
        var selector = paths is null
            ? SelectorOf(obj)
            : paths.LabelSelectorPath is { } selectorPath ? GetPath(obj, selectorPath).AsString() ?? "" : "";
        if (selector.Length > 0)
        {
            status["selector"] = selector;
        }

        var scale = new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject { ["replicas"] = Replicas(specReplicas) },
            ["status"] = status,
        };

        // As Go writes the Scale struct: spec.replicas is omitempty, so 0 replicas is "spec: {}".
        return ApiMachinery.Schema.GoRoundTrip.NormalizeKind(scale, "autoscaling", "v1", "Scale");
    }

    private static long Replicas(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;

    /// <summary>The value at a CRD's simple JSON path (".spec.replicas").</summary>
    private static JsonNode? GetPath(JsonObject obj, string path)
    {
        JsonNode? node = obj;
        foreach (var part in path.TrimStart('.').Split('.'))
        {
            node = (node as JsonObject)?[part];
        }

        return node;
    }

    /// <summary>Sets the value at a CRD's simple JSON path, making the objects on the way.</summary>
    private static void SetPath(JsonObject obj, string path, long value)
    {
        var parts = path.TrimStart('.').Split('.');
        var node = obj;
        foreach (var part in parts[..^1])
        {
            if (node[part] is not JsonObject next)
            {
                next = [];
                node[part] = next;
            }

            node = next;
        }

        node[parts[^1]] = value;
    }

    /// <summary>The selector as a label-selector string: a LabelSelector (apps) or a plain map (replication controllers).</summary>
    private static string SelectorOf(JsonObject obj)
    {
        var selector = obj["spec"]?["selector"] as JsonObject;
        if (selector is null)
        {
            return "";
        }

        var isLabelSelector = selector.ContainsKey("matchLabels") || selector.ContainsKey("matchExpressions");
        return isLabelSelector
            ? LabelSelector.FromLabelSelectorJson(selector).ToString()
            : LabelSelector.FromSet(selector.ToDictionary(p => p.Key, p => p.Value?.ToString() ?? "")).ToString();
    }
}

/// <summary>The one option the scale handler needs, so it does not depend on the whole options object.</summary>
internal sealed record ResourceHandlerOptions(long MaxRequestBodyBytes);
