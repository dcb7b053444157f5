using System.Buffers;
using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.Meta;
using ApiServer.Printing;
using ApiServer.Registry;
using Microsoft.AspNetCore.Http;

namespace ApiServer.Endpoints.Handlers;

/// <summary>
/// The last step of every resource verb (kube's transformResponseObject): the answer is turned into
/// what the negotiated media type asks for (<see cref="MediaTypes.Output"/>): itself, a meta.k8s.io
/// Table (<see cref="TableConvertor"/>), or its metadata alone (<see cref="PartialObjectMetadata"/>),
/// then written. A Status is always written as it is. Lists and watch events take the same
/// transformations in <see cref="ListWriter"/> and <see cref="WatchHandler"/>, item by item.
/// </summary>
internal static class ResponseTransform
{
    /// <summary>An object answer (get, create, update, patch, delete, a subresource), transformed and written.</summary>
    /// <param name="resource">the answer's kind (a subresource's own, as a Scale's), for Tables and messages.</param>
    /// <param name="columns">a Table's columns when they are not the resource's own (a Scale's).</param>
    public static Task WriteObjectAsync(
        HttpContext context, int statusCode, JsonNode answer, ResourceDefinition resource, DateTimeOffset now, IReadOnlyList<TableColumn>? columns = null)
    {
        var output = MediaTypes.Output(context.Request);
        if (output.Convert is not { } convert || answer is not JsonObject obj || IsStatus(obj))
        {
            return MediaTypes.WriteAsync(context, statusCode, answer, output.Format);
        }

        if (convert.IsTable)
        {
            var table = TableOptions.FromRequest(context.Request)!.Value;
            var metadata = new JsonObject { ["resourceVersion"] = ObjectMeta.ResourceVersion(obj) };
            var rows = columns is null
                ? TableConvertor.ToTable(resource, [obj], metadata, table.IncludeObject, now)
                : TableConvertor.ToTable(columns, [obj], metadata, table.IncludeObject, now);
            rows["apiVersion"] = table.ApiVersion;
            return MediaTypes.WriteAsync(context, statusCode, rows, WireFormat.Json, table.ContentType);
        }

        if (convert.IsPartialObjectMetadataList)
        {
            throw NotAList(resource);
        }

        return MediaTypes.WriteAsync(context, statusCode, PartialObjectMetadata.Of(obj, convert.ApiVersion), output.Format);
    }

    /// <summary>
    /// A write's answer: as JSON without a transformation, the bytes it stored; its metadata alone
    /// from those bytes too; anything else through <see cref="WriteObjectAsync(HttpContext, int, JsonNode, ResourceDefinition, DateTimeOffset, IReadOnlyList{TableColumn}?)"/>.
    /// </summary>
    public static Task WriteObjectAsync(HttpContext context, int statusCode, Written written, ResourceDefinition resource, DateTimeOffset now)
    {
        var output = MediaTypes.Output(context.Request);
        if (output.Convert is null)
        {
            return MediaTypes.WriteAsync(context, statusCode, written, output.Format);
        }

        if (output.Convert.IsPartialObjectMetadata && output.Format == WireFormat.Json && written.Json is { } json)
        {
            return WriteMetadataAsync(context, statusCode, json, () => written.Object, output.Convert.ApiVersion);
        }

        return WriteObjectAsync(context, statusCode, written.Object, resource, now);
    }

    /// <summary>An object's metadata alone as JSON, from its served bytes when it can (the watch cache's, a write's).</summary>
    public static async Task WriteMetadataAsync(HttpContext context, int statusCode, ServedJson json, Func<JsonObject> decode, string apiVersion)
    {
        if (MediaTypes.IsPretty(context.Request))
        {
            await MediaTypes.WriteJsonAsync(context, statusCode, PartialObjectMetadata.Serialize(json, decode, apiVersion), MediaTypes.Json).ConfigureAwait(false);
            return;
        }

        var response = context.Response;
        response.StatusCode = statusCode;
        response.ContentType = MediaTypes.Json;
        if (!PartialObjectMetadata.TryWrite(json, apiVersion, response.BodyWriter))
        {
            await MediaTypes.WriteAsync(context, statusCode, PartialObjectMetadata.Of(decode(), apiVersion), WireFormat.Json).ConfigureAwait(false);
            return;
        }

        response.BodyWriter.Write(MediaTypes.Newline);
        await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>A list answered in whole (deletecollection), transformed and written.</summary>
    public static Task WriteListAsync(HttpContext context, int statusCode, ObjectList list, ResourceDefinition resource, DateTimeOffset now)
    {
        var output = MediaTypes.Output(context.Request);
        switch (output.Convert)
        {
            case null:
                return MediaTypes.WriteAsync(context, statusCode, ResourceHandler.ListBody(resource, list), output.Format);
            case { IsPartialObjectMetadataList: true } convert:
                return MediaTypes.WriteAsync(context, statusCode, PartialObjectMetadata.ListOf(list, convert.ApiVersion), output.Format);
            case { IsPartialObjectMetadata: true }:
                throw IsAList(resource);
            default:
                var table = TableOptions.FromRequest(context.Request)!.Value;
                var rows = TableConvertor.ToTable(resource, list.Items, ListWriter.ListMetadata(list), table.IncludeObject, now);
                rows["apiVersion"] = table.ApiVersion;
                return MediaTypes.WriteAsync(context, statusCode, rows, WireFormat.Json, table.ContentType);
        }
    }

    /// <summary>A list was asked for as one object's metadata: kube refuses with 406 naming its Go type.</summary>
    public static StatusException IsAList(ResourceDefinition resource) =>
        StatusException.NewNotAcceptableMessage(
            $"you requested {PartialObjectMetadata.Kind}, but the requested object is a list ({GoTypeName(resource, list: true)})");

    /// <summary>An object was asked for as a list of metadata: 406 naming its Go type.</summary>
    public static StatusException NotAList(ResourceDefinition resource) =>
        StatusException.NewNotAcceptableMessage(
            $"you requested {PartialObjectMetadata.ListKind}, but the requested object is not a list ({GoTypeName(resource, list: false)})");

    /// <summary>
    /// The Go type kube-apiserver's message names for an answer of <paramref name="resource"/>: the
    /// internal type (package core for the legacy group and events.k8s.io; otherwise the group's
    /// package), or unstructured for custom resources.
    /// </summary>
    internal static string GoTypeName(ResourceDefinition resource, bool list)
    {
        if (resource.Custom is not null)
        {
            return list ? "*unstructured.UnstructuredList" : "*unstructured.Unstructured";
        }

        var package = resource.Group switch
        {
            "" or "events.k8s.io" => "core",
            "rbac.authorization.k8s.io" => "rbac",
            "internal.apiserver.k8s.io" => "apiserverinternal",
            var group => group.Split('.')[0],
        };
        return $"*{package}.{(list ? resource.ListKind : resource.Kind)}";
    }

    private static bool IsStatus(JsonObject obj) =>
        obj["kind"] is JsonValue kind && kind.TryGetValue<string>(out var k) && k == "Status"
        && obj["apiVersion"] is JsonValue version && version.TryGetValue<string>(out var v) && v == "v1";
}
