using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApiServer.Printing;
using ApiMachinery.Serialization;
using ApiServer.Registry;
using Microsoft.AspNetCore.Http;

namespace ApiServer.Endpoints.Handlers;

/// <summary>
/// Writes list answers item by item, flushing as it goes (kube-apiserver 1.33+ streams JSON lists
/// the same way, KEP-5116): a list of N objects never becomes one N-object body in memory. Items
/// the watch cache holds are written from its bytes; others are encoded one at a time. The bytes
/// on the wire are the ones the whole-body writer produced: compact JSON and json.Encoder's
/// newline, or json.MarshalIndent's two-space indentation for pretty requests; Tables the same.
/// </summary>
internal static class ListWriter
{
    /// <summary>What is buffered before it is handed to the connection (Kestrel then applies backpressure).</summary>
    /// <remarks>
    /// 256 KB per response at most, not 64 KB: a slow reader's connection drains slower than the list is
    /// written, so nearly every flush waits for it, and each wait costs Kestrel's flush chain a few boxed
    /// state machines and tasks (its HTTP/2 stream pipe pauses the writer at 4 KB). Traced with 5 slow
    /// readers of 100,000 pods (issue 19): at 64 KB those waits were about a third of all the bytes the
    /// server allocated per byte sent (0.026 B/B), and with no GC in the readers' 20 s (Server GC +
    /// DATAS has a gen0 budget of about 130 MB on that heap) every allocated byte stayed in RSS. At
    /// 256 KB: 0.017 B/B; at 1 MB: 0.015 B/B, but Kestrel's pinned block pool then grows and
    /// allocates (docs/benchmarks.md, "what 5 slow readers add to RSS").
    /// </remarks>
    internal const int FlushThreshold = 256 * 1024;

    private static readonly JsonWriterOptions IndentedOptions =
        ObjectCodec.WriterOptions with { Indented = true, IndentSize = 2, IndentCharacter = ' ', NewLine = "\n" };

    /// <summary>Writes <paramref name="list"/> as JSON (or as a Table when <paramref name="table"/> is set); YAML goes through the whole-body writer.</summary>
    public static async Task WriteAsync(
        HttpContext context, ResourceDefinition resource, ObjectList list, TableOptions? table, DateTimeOffset now)
    {
        var response = context.Response;
        var pretty = MediaTypes.IsPretty(context.Request);
        response.StatusCode = 200;
        if (table is { } t)
        {
            response.ContentType = t.ContentType;
            await WriteTableAsync(response.BodyWriter, resource, list, t, now, pretty, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        response.ContentType = MediaTypes.Json;
        if (!pretty && list.Views is { } views)
        {
            // Every byte is known up front: the cache's items are written as they are.
            response.ContentLength = CompactLength(resource, list, views);
            await WriteCompactAsync(response.BodyWriter, resource, list, views, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        await WriteObjectsAsync(response.BodyWriter, resource, list, pretty, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The envelope without items, compact, with its closing brace: {"kind":..,"apiVersion":..,"metadata":{..}}.</summary>
    internal static byte[] Head(ResourceDefinition resource, ObjectList list) => ObjectCodec.Serialize(Envelope(resource, list));

    /// <summary>kube's list shape and field order: kind, apiVersion, metadata (resourceVersion, continue, remainingItemCount), items.</summary>
    internal static JsonObject Envelope(ResourceDefinition resource, ObjectList list) => new()
    {
        ["kind"] = resource.ListKind,
        ["apiVersion"] = resource.ApiVersion,
        ["metadata"] = ListMetadata(list),
    };

    internal static JsonObject ListMetadata(ObjectList list)
    {
        var metadata = new JsonObject { ["resourceVersion"] = list.ResourceVersion.ToString(CultureInfo.InvariantCulture) };
        if (list.Continue is not null)
        {
            metadata["continue"] = list.Continue;
        }

        if (list.RemainingItemCount is { } remaining)
        {
            metadata["remainingItemCount"] = remaining;
        }

        return metadata;
    }

    internal static long CompactLength(ResourceDefinition resource, ObjectList list, IReadOnlyList<ObjectView> views)
    {
        long length = Head(resource, list).Length - 1 + ",\"items\":[".Length + "]}".Length + MediaTypes.Newline.Length;
        for (var i = 0; i < views.Count; i++)
        {
            length += views[i].Length + (i > 0 ? 1 : 0);
        }

        return length;
    }

    /// <summary>Compact JSON from the cache's bytes: the envelope, then each item's served bytes, then json.Encoder's newline.</summary>
    internal static async Task WriteCompactAsync(
        PipeWriter writer, ResourceDefinition resource, ObjectList list, IReadOnlyList<ObjectView> views, CancellationToken cancellationToken)
    {
        var head = Head(resource, list);
        writer.Write(head.AsSpan(0, head.Length - 1)); // without the closing brace
        writer.Write(",\"items\":["u8);
        for (var i = 0; i < views.Count; i++)
        {
            if (i > 0)
            {
                writer.Write(","u8);
            }

            views[i].WriteTo(writer);
            if (writer.UnflushedBytes > FlushThreshold)
            {
                await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        writer.Write("]}"u8);
        writer.Write(MediaTypes.Newline);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// JSON through a <see cref="Utf8JsonWriter"/>, one item at a time: items that are not the
    /// cache's (read from etcd) are decoded and encoded singly; pretty output indents each item as
    /// <see cref="MediaTypes.Indent"/> indents a whole body.
    /// </summary>
    internal static async Task WriteObjectsAsync(PipeWriter pipe, ResourceDefinition resource, ObjectList list, bool pretty, CancellationToken cancellationToken)
    {
        var compact = new ArrayBufferWriter<byte>(4096);
        using (var json = new Utf8JsonWriter(pipe, pretty ? IndentedOptions : ObjectCodec.WriterOptions))
        {
            json.WriteStartObject();
            WriteProperties(json, Envelope(resource, list));
            json.WritePropertyName("items"u8);
            json.WriteStartArray();
            var count = list.Count;
            for (var i = 0; i < count; i++)
            {
                compact.ResetWrittenCount();
                list.WriteItemTo(i, compact);
                if (pretty)
                {
                    // Parsed again from compact bytes, exactly as the whole-body indenter parses them.
                    JsonNode.Parse(compact.WrittenSpan, documentOptions: new JsonDocumentOptions { MaxDepth = ObjectCodec.MaxDepth })!
                        .WriteTo(json, ObjectCodec.JsonOptions);
                }
                else
                {
                    json.WriteRawValue(compact.WrittenSpan, skipInputValidation: true);
                }

                await FlushIfFullAsync(json, pipe, cancellationToken).ConfigureAwait(false);
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.Flush();
        }

        await EndAsync(pipe, pretty, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A PartialObjectMetadataList (kind, apiVersion, the list's metadata, items), written item by
    /// item like any list. Items the watch cache holds are written from its bytes, only their metadata
    /// member read (<see cref="PartialObjectMetadata.TryWrite"/>); others are decoded one at a time. No
    /// items is <c>"items":null</c>, as kube-apiserver writes the list it builds for this answer.
    /// </summary>
    public static async Task WriteMetadataAsync(HttpContext context, ObjectList list, string apiVersion)
    {
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = MediaTypes.Json;
        await WriteMetadataAsync(response.BodyWriter, list, apiVersion, MediaTypes.IsPretty(context.Request), context.RequestAborted).ConfigureAwait(false);
    }

    internal static async Task WriteMetadataAsync(PipeWriter pipe, ObjectList list, string apiVersion, bool pretty, CancellationToken cancellationToken)
    {
        var envelope = new JsonObject
        {
            ["kind"] = PartialObjectMetadata.ListKind,
            ["apiVersion"] = apiVersion,
            ["metadata"] = ListMetadata(list),
        };
        var count = list.Count;
        if (!pretty && count > 0 && list.Views is { } views)
        {
            var head = ObjectCodec.Serialize(envelope);
            pipe.Write(head.AsSpan(0, head.Length - 1)); // without the closing brace
            pipe.Write(",\"items\":["u8);
            for (var i = 0; i < count; i++)
            {
                if (i > 0)
                {
                    pipe.Write(","u8);
                }

                var view = views[i];
                if (!PartialObjectMetadata.TryWrite(view.Json, apiVersion, pipe))
                {
                    pipe.Write(ObjectCodec.Serialize(PartialObjectMetadata.Of(view.Decode(), apiVersion)));
                }

                if (pipe.UnflushedBytes > FlushThreshold)
                {
                    await pipe.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            pipe.Write("]}"u8);
            pipe.Write(MediaTypes.Newline);
            await pipe.FlushAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        using (var json = new Utf8JsonWriter(pipe, pretty ? IndentedOptions : ObjectCodec.WriterOptions))
        {
            json.WriteStartObject();
            WriteProperties(json, envelope);
            json.WritePropertyName("items"u8);
            if (count == 0)
            {
                json.WriteNullValue();
            }
            else
            {
                json.WriteStartArray();
                for (var i = 0; i < count; i++)
                {
                    PartialObjectMetadata.Of(list.ItemAt(i), apiVersion).WriteTo(json, ObjectCodec.JsonOptions);
                    await FlushIfFullAsync(json, pipe, cancellationToken).ConfigureAwait(false);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
            json.Flush();
        }

        await EndAsync(pipe, pretty, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A meta.k8s.io Table (kind, apiVersion, metadata, columnDefinitions, rows), one row per item,
    /// each item decoded only while its row is made.
    /// </summary>
    internal static async Task WriteTableAsync(
        PipeWriter pipe, ResourceDefinition resource, ObjectList list, TableOptions options, DateTimeOffset now, bool pretty, CancellationToken cancellationToken)
    {
        var columns = TableConvertor.ColumnsFor(resource);
        using (var json = new Utf8JsonWriter(pipe, pretty ? IndentedOptions : ObjectCodec.WriterOptions))
        {
            json.WriteStartObject();
            WriteProperties(json, new JsonObject
            {
                ["kind"] = "Table",
                ["apiVersion"] = options.ApiVersion,
                ["metadata"] = ListMetadata(list),
                ["columnDefinitions"] = TableConvertor.ColumnDefinitions(columns),
            });
            json.WritePropertyName("rows"u8);
            json.WriteStartArray();
            var count = list.Count;
            for (var i = 0; i < count; i++)
            {
                TableConvertor.Row(columns, list.ItemAt(i), options.IncludeObject, now, owned: true).WriteTo(json, ObjectCodec.JsonOptions);
                await FlushIfFullAsync(json, pipe, cancellationToken).ConfigureAwait(false);
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.Flush();
        }

        await EndAsync(pipe, pretty, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// YAML item by item, the bytes the whole-body emitter wrote for the list (kube builds YAML lists
    /// whole; the bytes are sigs.k8s.io/yaml's either way). A list's keys go out sorted: apiVersion,
    /// items, kind, metadata. Each item is emitted where it stood in the whole body (a sequence entry
    /// under "items", followed by the next key) and only its own lines are written. Before any byte is
    /// written, every item is checked as the whole body was, so an object YAML cannot carry is still
    /// refused with the whole-body error instead of a body cut short.
    /// </summary>
    internal static async Task WriteYamlAsync(PipeWriter pipe, ResourceDefinition resource, ObjectList list, CancellationToken cancellationToken)
    {
        var count = list.Count;
        if (count == 0)
        {
            Encoding.UTF8.GetBytes(YamlJson.FromJsonNode(ResourceHandler.ListBody(resource, list)), pipe);
            await pipe.FlushAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        var views = list.Views;
        var nextLines = 0;
        for (var i = 0; i < count; i++)
        {
            // Only strings with a control character or a NEL can fail (or count lines): JSON text
            // without a non-ASCII byte, a DEL or an escape has none.
            if (views is null || MayFailAsYaml(views[i].Json.Stored.Span))
            {
                YamlJson.Check(list.ItemAt(i), ref nextLines);
            }
        }

        Encoding.UTF8.GetBytes(YamlJson.FromJsonNode(new JsonObject { ["apiVersion"] = resource.ApiVersion }), pipe);
        pipe.Write("items:\n"u8);
        var after = YamlJson.FromJsonNode(new JsonObject { ["kind"] = "" });
        for (var i = 0; i < count; i++)
        {
            var place = new JsonArray { list.ItemAt(i) };
            var yaml = YamlJson.FromJsonNode(new JsonObject { ["items"] = place, ["kind"] = "" });
            // Back to no parent: a list built from objects keeps its items.
            place.Clear();
            if (!yaml.StartsWith("items:\n", StringComparison.Ordinal) || !yaml.EndsWith(after, StringComparison.Ordinal))
            {
                throw new InvalidOperationException("a list item's YAML is not a sequence entry under items");
            }

            Encoding.UTF8.GetBytes(yaml.AsSpan("items:\n".Length, yaml.Length - "items:\n".Length - after.Length), pipe);
            if (pipe.UnflushedBytes > FlushThreshold)
            {
                await pipe.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        Encoding.UTF8.GetBytes(YamlJson.FromJsonNode(new JsonObject { ["kind"] = resource.ListKind, ["metadata"] = ListMetadata(list) }), pipe);
        await pipe.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static bool MayFailAsYaml(ReadOnlySpan<byte> json) =>
        json.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) >= 0 || json.IndexOf("\\u"u8) >= 0;

    private static void WriteProperties(Utf8JsonWriter json, JsonObject properties)
    {
        foreach (var (name, value) in properties)
        {
            json.WritePropertyName(name);
            if (value is null)
            {
                json.WriteNullValue();
            }
            else
            {
                value.WriteTo(json, ObjectCodec.JsonOptions);
            }
        }
    }

    /// <summary>Hands what the writer holds to the pipe after every item, and the pipe's bytes to the connection past the threshold.</summary>
    private static async ValueTask FlushIfFullAsync(Utf8JsonWriter json, PipeWriter pipe, CancellationToken cancellationToken)
    {
        json.Flush();
        if (pipe.CanGetUnflushedBytes && pipe.UnflushedBytes > FlushThreshold)
        {
            await pipe.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        else if (!pipe.CanGetUnflushedBytes)
        {
            await pipe.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Ends a body as the whole-body writers do (compact JSON ends with a newline, indented does not) and sends the rest.</summary>
    private static async Task EndAsync(PipeWriter pipe, bool pretty, CancellationToken cancellationToken)
    {
        if (!pretty)
        {
            pipe.Write(MediaTypes.Newline);
        }

        await pipe.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
