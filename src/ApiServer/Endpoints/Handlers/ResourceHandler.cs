using System.Buffers;
using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiMachinery.Schema;
using ApiMachinery.Text;
using ApiMachinery.Validation;
using ApiServer.Options;
using ApiServer.Printing;
using ApiServer.Registry;
using ApiServer.Registry.Reviews;
using Microsoft.AspNetCore.Http;

namespace ApiServer.Endpoints.Handlers;

/// <summary>
/// The REST verbs of every resource (k8s.io/apiserver pkg/endpoints/handlers): decode, call the
/// registry, encode. Nothing here touches storage or knows a kind.
/// </summary>
internal sealed class ResourceHandler(
    RegistryCatalog registry,
    WatchHandler watchHandler,
    PatchHandler patchHandler,
    PodBinder binder,
    PodEvictor evictor,
    ComponentStatuses componentStatuses,
    ReviewRegistry reviews,
    TokenRequestRegistry tokenRequests,
    ScaleHandler scale,
    PodLogHandler podLogs,
    ApiServer.Kubelet.PodConnectHandler podConnect,
    ApiServer.Kubelet.NodeProxyHandler nodeProxy,
    ApiServerOptions options,
    TimeProvider time)
{
    public async Task HandleAsync(HttpContext context, RequestInfo info, CancellationToken cancellationToken)
    {
        if (!registry.Table.ServesGroupVersion(info.ApiGroup, info.ApiVersion))
        {
            throw StatusException.NewGenericNotFound();
        }

        var store = registry.Find(info.ApiGroup, info.ApiVersion, info.Resource) ?? throw StatusException.NewGenericNotFound();
        var resource = store.Resource;
        if (!resource.Namespaced && info.Namespace.Length > 0)
        {
            throw StatusException.NewGenericNotFound();
        }

        // Namespaced paths need a namespace unless they list across all of them.
        if (resource.Namespaced && info.Namespace.Length == 0 && info.Name.Length > 0)
        {
            throw StatusException.NewGenericNotFound();
        }

        // Only a proxy subresource takes a path after its name (nodes/{name}/proxy/{path}).
        if (info.Parts.Count > 3 && !ApiServer.Kubelet.NodeProxyHandler.Handles(resource.Group, resource.Plural, info.Subresource))
        {
            throw StatusException.NewGenericNotFound();
        }

        if (info.Subresource.Length > 0)
        {
            await HandleSubresourceAsync(context, info, store, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!resource.Supports(info.Verb))
        {
            throw StatusException.NewMethodNotSupported(resource.Group, resource.Plural, info.Verb);
        }

        CheckPathName(info);

        if ((resource.Group, resource.Plural) is ("", "bindings"))
        {
            await BindAsync(context, info, null, cancellationToken).ConfigureAwait(false);
            return;
        }

        if ((resource.Group, resource.Plural) is ("", "componentstatuses"))
        {
            await ComponentStatusesAsync(context, info, resource, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (ReviewRegistry.IsReview(resource.Group, resource.Plural))
        {
            var review = await ReadObjectAsync(context, resource, cancellationToken).ConfigureAwait(false);
            var answered = await reviews.CreateAsync(resource.Plural, info.Namespace, review, ApiRequestFeature.Get(context).User!, cancellationToken).ConfigureAwait(false);
            GoRoundTrip.NormalizeKind(answered, resource.Group, resource.Version, resource.Kind);
            await ResponseTransform.WriteObjectAsync(context, 201, answered, resource, time.GetUtcNow(), TableConvertor.Default).ConfigureAwait(false);
            return;
        }

        switch (info.Verb)
        {
            case "get":
                await GetAsync(context, info, store, cancellationToken).ConfigureAwait(false);
                break;
            case "list":
                await ListAsync(context, info, store, cancellationToken).ConfigureAwait(false);
                break;
            case "watch":
                await watchHandler.HandleAsync(context, info, store, cancellationToken).ConfigureAwait(false);
                break;
            case "create":
                await CreateAsync(context, info, store, cancellationToken).ConfigureAwait(false);
                break;
            case "update":
                await UpdateAsync(context, info, store, "", cancellationToken).ConfigureAwait(false);
                break;
            case "patch":
                await patchHandler.HandleAsync(context, info, store, "", cancellationToken).ConfigureAwait(false);
                break;
            case "delete":
                await DeleteAsync(context, info, store, cancellationToken).ConfigureAwait(false);
                break;
            case "deletecollection":
                await DeleteCollectionAsync(context, info, store, cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw StatusException.NewMethodNotSupported(resource.Group, resource.Plural, info.Verb);
        }
    }

    /// <summary>
    /// A name from the path must be one path segment (kube's storage key functions): the raw path
    /// keeps "." and ".." (and Go's decoding turns %25 into '%'), which no object can be named.
    /// </summary>
    private static void CheckPathName(RequestInfo info)
    {
        if (info.Name.Length > 0 && NameValidation.IsValidPathSegmentName(info.Name) is { Count: > 0 } problems)
        {
            throw StatusException.NewBadRequest($"Name parameter invalid: {GoText.Quote(info.Name)}: {string.Join(";", problems)}");
        }
    }

    private async Task HandleSubresourceAsync(HttpContext context, RequestInfo info, GenericStore store, CancellationToken cancellationToken)
    {
        var resource = store.Resource;
        var subresource = resource.FindSubresource(info.Subresource) ?? throw StatusException.NewGenericNotFound();
        if (!subresource.Verbs.Contains(info.Verb))
        {
            throw StatusException.NewMethodNotSupported(resource.Group, $"{resource.Plural}/{subresource.Name}", info.Verb);
        }

        CheckPathName(info);
        if (subresource.Name == "scale")
        {
            await scale.HandleAsync(context, info, store, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (subresource.Name == "log" && (resource.Group, resource.Plural) is ("", "pods"))
        {
            await podLogs.HandleAsync(context, info, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (ApiServer.Kubelet.PodConnectHandler.Handles(resource.Group, resource.Plural, subresource.Name))
        {
            await podConnect.HandleAsync(context, info, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (ApiServer.Kubelet.NodeProxyHandler.Handles(resource.Group, resource.Plural, subresource.Name))
        {
            await nodeProxy.HandleAsync(context, info, cancellationToken).ConfigureAwait(false);
            return;
        }

        switch (info.Verb)
        {
            case "get":
                _ = MediaTypes.Output(context.Request);
                var current = await store.GetAsync(info.Namespace, info.Name, cancellationToken).ConfigureAwait(false);
                await ResponseTransform.WriteObjectAsync(context, 200, current, resource, time.GetUtcNow()).ConfigureAwait(false);
                break;
            case "update":
                await UpdateAsync(context, info, store, subresource.Name, cancellationToken).ConfigureAwait(false);
                break;
            case "patch":
                await patchHandler.HandleAsync(context, info, store, subresource.Name, cancellationToken).ConfigureAwait(false);
                break;
            case "create" when subresource.Name == "binding":
                await BindAsync(context, info, info.Name, cancellationToken).ConfigureAwait(false);
                break;
            case "create" when subresource.Name == "eviction":
                await EvictAsync(context, info, cancellationToken).ConfigureAwait(false);
                break;
            case "create" when subresource.Name == "token":
                await RequestTokenAsync(context, info, subresource, cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw StatusException.NewMethodNotSupported(resource.Group, $"{resource.Plural}/{subresource.Name}", info.Verb);
        }
    }

    /// <summary>GET componentstatuses[/{name}]: asked of the components now, with kube's deprecation warning.</summary>
    private async Task ComponentStatusesAsync(HttpContext context, RequestInfo info, ResourceDefinition resource, CancellationToken cancellationToken)
    {
        ResponseWarnings.For(context)(ComponentStatuses.DeprecationWarning);
        var answer = info.Verb == "get"
            ? await componentStatuses.GetAsync(info.Name, cancellationToken).ConfigureAwait(false)
            : await componentStatuses.ListAsync(cancellationToken).ConfigureAwait(false);
        if (TableOptions.FromRequest(context.Request) is { } table)
        {
            var items = info.Verb == "get" ? [answer] : answer["items"]!.AsArray().Select(i => (JsonObject)i!).ToList();
            await WriteTableAsync(context, table, TableConvertor.ToTable(resource, items, new JsonObject(), table.IncludeObject, time.GetUtcNow())).ConfigureAwait(false);
            return;
        }

        if (info.Verb == "get")
        {
            await ResponseTransform.WriteObjectAsync(context, 200, answer, resource, time.GetUtcNow()).ConfigureAwait(false);
            return;
        }

        if (MediaTypes.Output(context.Request).Convert is not null)
        {
            var list = new ObjectList(answer["items"]!.AsArray().Select(i => (JsonObject)i!).ToList(), 0, null, null);
            await ResponseTransform.WriteListAsync(context, 200, list, resource, time.GetUtcNow()).ConfigureAwait(false);
            return;
        }

        await MediaTypes.WriteAsync(context, 200, answer, MediaTypes.ResponseFormat(context.Request)).ConfigureAwait(false);
    }

    /// <summary>POST serviceaccounts/{name}/token: 201 with the TokenRequest and its token.</summary>
    private async Task RequestTokenAsync(HttpContext context, RequestInfo info, SubresourceDefinition subresource, CancellationToken cancellationToken)
    {
        var body = await MediaTypes.ReadObjectAsync(context.Request, options.SecureServing.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false);
        var apiVersion = body.GetString("apiVersion") ?? "";
        var kind = body.GetString("kind") ?? "";
        var expected = subresource.ResponseKind;
        var expectedApiVersion = expected.Group.Length == 0 ? expected.Version : $"{expected.Group}/{expected.Version}";
        if ((apiVersion.Length > 0 && apiVersion != expectedApiVersion) || (kind.Length > 0 && kind != expected.Kind))
        {
            throw StatusException.NewBadRequest($"the kind in the data ({apiVersion}, Kind={kind}) does not match the expected kind ({expectedApiVersion}, Kind={expected.Kind})");
        }

        var answered = await tokenRequests.CreateAsync(info.Namespace, info.Name, body, cancellationToken).ConfigureAwait(false);
        GoRoundTrip.NormalizeKind(answered, expected.Group, expected.Version, expected.Kind);
        await ResponseTransform.WriteObjectAsync(context, 201, answered, OfKind(expected), time.GetUtcNow(), TableConvertor.Default).ConfigureAwait(false);
    }

    /// <summary>
    /// POST pods/{name}/eviction: a policy/v1 (or v1beta1) Eviction whose deleteOptions the pod's
    /// deletion takes; 201 with a Success Status.
    /// </summary>
    private async Task EvictAsync(HttpContext context, RequestInfo info, CancellationToken cancellationToken)
    {
        var queryDryRun = QueryOptions.ParseDryRun(context.Request.Query, "CreateOptions");
        var body = await MediaTypes.ReadObjectAsync(context.Request, options.SecureServing.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false);
        var apiVersion = body.GetString("apiVersion") ?? "";
        var kind = body.GetString("kind") ?? "";
        if (apiVersion.Length > 0 && apiVersion is not ("policy/v1" or "policy/v1beta1"))
        {
            throw StatusException.NewBadRequest($"the API version in the data ({apiVersion}) does not match the expected API version (policy/v1)");
        }

        if (kind.Length > 0 && kind != "Eviction")
        {
            throw StatusException.NewBadRequest($"the kind in the data ({kind}) does not match the expected kind (Eviction)");
        }

        var (deleteOptions, bodyDryRun) = body["deleteOptions"] is JsonObject given
            ? DeleteOptionsFrom(given, new DeleteOptions(), dryRun: null)
            : (new DeleteOptions(), null);
        // kube's propagateDryRun: the query's dryRun and the eviction's deleteOptions.dryRun must agree.
        if (bodyDryRun is { } fromBody && context.Request.Query.ContainsKey("dryRun") && fromBody != queryDryRun)
        {
            throw StatusException.NewBadRequest($"Non-matching dry-run options in request and content: {(queryDryRun ? "[All]" : "[]")} and {(fromBody ? "[All]" : "[]")}");
        }

        var status = await evictor.EvictAsync(Scope(context, bodyDryRun ?? queryDryRun), info.Namespace, info.Name, body, Validated(deleteOptions), cancellationToken).ConfigureAwait(false);
        // A Status the REST returns is written with its code (Success is 201; kube answers 500 for a pod under two budgets).
        await MediaTypes.WriteAsync(context, status.Code, status.ToJsonObject(), MediaTypes.ResponseFormat(context.Request)).ConfigureAwait(false);
    }

    /// <summary>POST pods/{name}/binding or bindings: 201 with a Success Status.</summary>
    private async Task BindAsync(HttpContext context, RequestInfo info, string? podName, CancellationToken cancellationToken)
    {
        var dryRun = QueryOptions.ParseDryRun(context.Request.Query, "CreateOptions");
        var body = await MediaTypes.ReadObjectAsync(context.Request, options.SecureServing.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false);
        var bindings = registry.Find("", "v1", "bindings")?.Resource ?? throw StatusException.NewGenericNotFound();
        CheckKind(body, bindings);
        if (podName is not null && ObjectMeta.Name(body) is { Length: > 0 } named && named != podName)
        {
            throw StatusException.NewBadRequest($"the name of the object ({named}) does not match the name on the URL ({podName})");
        }

        if (podName is not null)
        {
            ObjectMeta.Metadata(body)["name"] = podName;
        }

        await binder.BindAsync(Scope(context, dryRun), info.Namespace, body, cancellationToken).ConfigureAwait(false);
        var status = new ApiStatus { Status = ApiStatus.StatusSuccess, Code = 201 };
        await MediaTypes.WriteAsync(context, 201, status.ToJsonObject(), WireFormat.Json).ConfigureAwait(false);
    }

    private async Task GetAsync(HttpContext context, RequestInfo info, GenericStore store, CancellationToken cancellationToken)
    {
        var output = MediaTypes.Output(context.Request);
        var stored = await store.GetStoredAsync(info.Namespace, info.Name, context.Request.Query["resourceVersion"].ToString(), cancellationToken).ConfigureAwait(false);
        if (output.Format == WireFormat.Json && stored.View is ObjectView view)
        {
            switch (output.Convert)
            {
                case null:
                    // From the watch cache: its bytes as they are.
                    await MediaTypes.WriteAsync(context, 200, view.Json).ConfigureAwait(false);
                    return;
                case { IsPartialObjectMetadata: true } convert:
                    // Its metadata member, from the same bytes.
                    await ResponseTransform.WriteMetadataAsync(context, 200, view.Json, view.Decode, convert.ApiVersion).ConfigureAwait(false);
                    return;
            }
        }

        var obj = stored.View is ObjectView shared ? shared.Decode() : ObjectCodec.Decode(stored);
        await ResponseTransform.WriteObjectAsync(context, 200, obj, store.Resource, time.GetUtcNow()).ConfigureAwait(false);
    }

    private async Task ListAsync(HttpContext context, RequestInfo info, GenericStore store, CancellationToken cancellationToken)
    {
        var table = TableOptions.FromRequest(context.Request);
        var output = MediaTypes.Output(context.Request);
        var format = output.Format;
        var query = QueryOptions.ParseList(context.Request.Query, store);
        var list = await store.ListAsync(info.Namespace, query, cancellationToken).ConfigureAwait(false);
        switch (output.Convert)
        {
            case { IsPartialObjectMetadata: true }:
                // Negotiation cannot tell a list from an object: the transformation refuses afterwards, as kube's does.
                throw ResponseTransform.IsAList(store.Resource);
            case { IsPartialObjectMetadataList: true } convert when format == WireFormat.Yaml:
                await MediaTypes.WriteAsync(context, 200, PartialObjectMetadata.ListOf(list, convert.ApiVersion), format).ConfigureAwait(false);
                return;
            case { IsPartialObjectMetadataList: true } convert:
                await ListWriter.WriteMetadataAsync(context, list, convert.ApiVersion).ConfigureAwait(false);
                return;
        }

        if (table is null && format == WireFormat.Yaml)
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = MediaTypes.Yaml;
            await ListWriter.WriteYamlAsync(context.Response.BodyWriter, store.Resource, list, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        // JSON, YAML and Tables are written item by item (ListWriter), never as one body.
        await ListWriter.WriteAsync(context, store.Resource, list, table, time.GetUtcNow()).ConfigureAwait(false);
    }

    private static async Task WriteTableAsync(HttpContext context, TableOptions options, JsonObject table)
    {
        table["apiVersion"] = options.ApiVersion;
        // The Content-Type names the transformation, as kube-apiserver's does.
        await MediaTypes.WriteAsync(context, 200, table, WireFormat.Json, options.ContentType).ConfigureAwait(false);
    }

    private async Task CreateAsync(HttpContext context, RequestInfo info, GenericStore store, CancellationToken cancellationToken)
    {
        _ = MediaTypes.Output(context.Request); // 406 before any work
        var dryRun = QueryOptions.ParseDryRun(context.Request.Query, "CreateOptions");
        var validation = QueryOptions.ValidateFieldValidation(context.Request.Query, "CreateOptions");
        var duplicates = new List<string>();
        var body = await ReadObjectAsync(context, store.Resource, cancellationToken, duplicates, strict: validation == "Strict").ConfigureAwait(false);
        PruneUnknownFields(context, store.Resource, body, validation, duplicates);
        var scope = Scope(context, dryRun) with { FieldManager = QueryOptions.FieldManager(context, "CreateOptions") };
        var created = await store.CreateWrittenAsync(scope, info.Namespace, body, cancellationToken).ConfigureAwait(false);
        await ResponseTransform.WriteObjectAsync(context, 201, created, store.Resource, time.GetUtcNow()).ConfigureAwait(false);
    }

    private async Task UpdateAsync(HttpContext context, RequestInfo info, GenericStore store, string subresource, CancellationToken cancellationToken)
    {
        _ = MediaTypes.Output(context.Request); // 406 before any work
        var dryRun = QueryOptions.ParseDryRun(context.Request.Query, "UpdateOptions");
        var validation = QueryOptions.ValidateFieldValidation(context.Request.Query, "UpdateOptions");
        var duplicates = new List<string>();
        var body = await ReadObjectAsync(context, store.Resource, cancellationToken, duplicates, strict: validation == "Strict").ConfigureAwait(false);
        PruneUnknownFields(context, store.Resource, body, validation, duplicates);
        var scope = Scope(context, dryRun) with { FieldManager = QueryOptions.FieldManager(context, "UpdateOptions") };
        var (updated, created) = await store.UpdateAsync(scope, info.Namespace, info.Name, subresource, body, cancellationToken).ConfigureAwait(false);
        await ResponseTransform.WriteObjectAsync(context, created ? 201 : 200, updated, store.Resource, time.GetUtcNow()).ConfigureAwait(false);
    }

    private async Task DeleteAsync(HttpContext context, RequestInfo info, GenericStore store, CancellationToken cancellationToken)
    {
        _ = MediaTypes.Output(context.Request); // 406 before any work
        var (options, dryRun) = await ReadDeleteOptionsAsync(context, cancellationToken).ConfigureAwait(false);
        var (obj, deleted) = await store.DeleteAsync(Scope(context, dryRun), info.Namespace, info.Name, options, cancellationToken).ConfigureAwait(false);
        // kube's store.Delete answers the object while it waits (grace period, finalizers) and, once gone,
        // the object for registries built with ReturnDeletedObject, else a Success Status.
        JsonNode body = deleted && !store.Strategy.ReturnDeletedObject
            ? ApiStatus.Success(ObjectMeta.Name(obj), store.Resource.Group, store.Resource.Plural, ObjectMeta.Uid(obj)).ToJsonObject()
            : obj;
        // kube's delete handler: 202 when the object stays and the client asked orphanDependents=false.
        var code = !deleted && options.OrphanDependents == false ? 202 : 200;
        await ResponseTransform.WriteObjectAsync(context, code, body, store.Resource, time.GetUtcNow()).ConfigureAwait(false);
    }

    private async Task DeleteCollectionAsync(HttpContext context, RequestInfo info, GenericStore store, CancellationToken cancellationToken)
    {
        _ = MediaTypes.Output(context.Request); // 406 before any work
        var query = QueryOptions.ParseList(context.Request.Query, store);
        var (options, dryRun) = await ReadDeleteOptionsAsync(context, cancellationToken).ConfigureAwait(false);
        var list = await store.DeleteCollectionAsync(Scope(context, dryRun), info.Namespace, query, options, cancellationToken).ConfigureAwait(false);
        await ResponseTransform.WriteListAsync(context, 200, list, store.Resource, time.GetUtcNow()).ConfigureAwait(false);
    }

    /// <summary>DeleteOptions come from the body (kubectl) or the query string (curl); the body wins.</summary>
    private async Task<(DeleteOptions Options, bool DryRun)> ReadDeleteOptionsAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var dryRun = QueryOptions.ParseDryRun(query, "DeleteOptions");
        var options = new DeleteOptions(
            GracePeriodSeconds: QueryOptions.ParseGracePeriod(query["gracePeriodSeconds"]),
            PropagationPolicy: query["propagationPolicy"].ToString() is { Length: > 0 } p ? p : null,
            OrphanDependents: query["orphanDependents"].ToString() is { Length: > 0 } orphan
                ? QueryOptions.ParseBool("orphanDependents", orphan)
                : null);

        var bytes = await MediaTypes.ReadBodyAsync(context.Request, MaxBodyBytes, cancellationToken).ConfigureAwait(false);
        if (bytes.Length == 0)
        {
            return (Validated(options), dryRun);
        }

        var body = MediaTypes.Parse(bytes, MediaTypes.RequestFormat(context.Request.ContentType ?? MediaTypes.Json));
        var (fromBody, bodyDryRun) = DeleteOptionsFrom(body, options, dryRun);
        return (Validated(fromBody), bodyDryRun ?? dryRun);
    }

    /// <summary>A DeleteOptions body over <paramref name="options"/>; its dryRun when it names one.</summary>
    private static (DeleteOptions Options, bool? DryRun) DeleteOptionsFrom(JsonObject body, DeleteOptions options, bool? dryRun)
    {
        if (ApiMachinery.Schema.SchemaFacts.Builtin.Definition("io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions") is { } schema
            && ApiMachinery.Schema.FieldTypes.FirstError(body, schema) is { } typeError)
        {
            // Options that do not decode are refused, as kube's decoder refuses them.
            throw StatusException.NewBadRequest(typeError);
        }

        var preconditions = body["preconditions"] as JsonObject;
        options = options with
        {
            GracePeriodSeconds = body["gracePeriodSeconds"] is JsonValue g && g.TryGetValue<long>(out var grace) ? grace : options.GracePeriodSeconds,
            PropagationPolicy = body.GetString("propagationPolicy") is { Length: > 0 } policy ? policy : options.PropagationPolicy,
            PreconditionUid = preconditions.GetString("uid") is { Length: > 0 } uid ? uid : null,
            PreconditionResourceVersion = preconditions.GetString("resourceVersion") is { Length: > 0 } rv ? rv : null,
            OrphanDependents = body["orphanDependents"] is JsonValue o && o.TryGetValue<bool>(out var orphanDependents) ? orphanDependents : options.OrphanDependents,
        };
        if (body["dryRun"] is JsonArray dryRunValues && dryRunValues.Count > 0)
        {
            dryRun = dryRunValues.All(v => v?.ToString() == "All")
                ? true
                : throw StatusException.NewBadRequest("dryRun: Unsupported value: only \"All\" is supported");
        }

        return (options, dryRun);
    }

    /// <summary>kube's delete handler validates DeleteOptions before anything else: 422 Invalid on DeleteOptions.meta.k8s.io.</summary>
    private static DeleteOptions Validated(DeleteOptions options) =>
        GarbageCollection.Validate(options) is { Count: > 0 } errors
            ? throw StatusException.NewInvalid("meta.k8s.io", "DeleteOptions", "", errors)
            : options;

    private long MaxBodyBytes => options.SecureServing.MaxRequestBodyBytes;

    /// <summary>Reads the body and checks it is an object of this resource's kind, filling kind and apiVersion when absent.</summary>
    /// <param name="duplicates">collects the fields the body repeats, for fieldValidation.</param>
    internal async Task<JsonObject> ReadObjectAsync(
        HttpContext context, ResourceDefinition resource, CancellationToken cancellationToken, List<string>? duplicates = null, bool strict = false)
    {
        var body = await MediaTypes.ReadObjectAsync(context.Request, options.SecureServing.MaxRequestBodyBytes, cancellationToken, duplicates,
            strict, StrictPrefix(resource)).ConfigureAwait(false);
        CheckKind(body, resource);
        return body;
    }

    private static string StrictPrefix(ResourceDefinition resource) =>
        $"{resource.Kind} in version \"{resource.Version}\" cannot be handled as a {resource.Kind}: ";

    /// <summary>Unknown fields of a create or update body: dropped, and refused or warned about per fieldValidation.</summary>
    private static void PruneUnknownFields(HttpContext context, ResourceDefinition resource, JsonObject body, string validation, IReadOnlyList<string> duplicates)
    {
        if (resource.Custom is { } custom)
        {
            QueryOptions.PruneUnknownFields(body, custom, validation, StrictPrefix(resource), ResponseWarnings.For(context), duplicates);
            return;
        }

        QueryOptions.PruneUnknownFields(
            body,
            ApiMachinery.Schema.SchemaFacts.Builtin.ForKind(resource.Group, resource.Version, resource.Kind),
            validation,
            StrictPrefix(resource),
            ResponseWarnings.For(context),
            duplicates);
    }

    internal static void CheckKind(JsonObject body, ResourceDefinition resource)
    {
        var apiVersion = body.GetString("apiVersion") ?? "";
        var kind = body.GetString("kind") ?? "";
        if (apiVersion.Length > 0 && apiVersion != resource.ApiVersion)
        {
            throw StatusException.NewBadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({resource.ApiVersion})");
        }

        if (kind.Length > 0 && kind != resource.Kind)
        {
            if (resource.Custom is not null)
            {
                // A custom resource is decoded whatever its kind; kube's ValidateTypeMeta then refuses it.
                throw StatusException.NewInvalid(resource.Group, kind, ObjectMeta.Name(body),
                    [ApiMachinery.Validation.FieldError.Invalid(ApiMachinery.Validation.FieldPath.New("kind"), kind, "must be " + resource.Kind)]);
            }

            throw StatusException.NewBadRequest($"the kind in the data ({kind}) does not match the expected kind ({resource.Kind})");
        }

        // kind and apiVersion lead, as kube-apiserver writes them.
        var rest = body.ToList();
        body.Clear();
        body["kind"] = resource.Kind;
        body["apiVersion"] = resource.ApiVersion;
        foreach (var (key, value) in rest)
        {
            if (key is not ("kind" or "apiVersion"))
            {
                body[key] = value;
            }
        }
    }

    internal static JsonObject ListBody(ResourceDefinition resource, ObjectList list)
    {
        var metadata = new JsonObject { ["resourceVersion"] = list.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (list.Continue is not null)
        {
            metadata["continue"] = list.Continue;
        }

        if (list.RemainingItemCount is { } remaining)
        {
            metadata["remainingItemCount"] = remaining;
        }

        var items = new JsonArray();
        foreach (var item in list.Items)
        {
            items.Add(item);
        }

        return new JsonObject
        {
            ["kind"] = resource.ListKind,
            ["apiVersion"] = resource.ApiVersion,
            ["metadata"] = metadata,
            ["items"] = items,
        };
    }

    /// <summary>A subresource's own kind (a TokenRequest), as a definition for its answer's transformations.</summary>
    private static ResourceDefinition OfKind(GroupVersionKind kind) =>
        new(kind.Group, kind.Version, kind.Kind, "", "", true, [], [], [], [], "");

    private static RequestScope Scope(HttpContext context, bool dryRun) =>
        new(ApiRequestFeature.Get(context).User ?? throw StatusException.NewUnauthorized("Unauthorized"), dryRun, ResponseWarnings.For(context));
}
