using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApiMachinery.Meta;
using ApiServer.Options;
using ApiServer.Printing;
using ApiMachinery.Errors;
using ApiMachinery.Validation;
using ApiServer.Registry;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Storage;
using Storage.Cacher;

namespace ApiServer.Endpoints.Handlers;

/// <summary>
/// Streams watch events as newline-delimited JSON (<c>{"type":...,"object":...}</c>), flushed per
/// event, until timeoutSeconds (default a random 30 to 60 minutes), the client leaving, or shutdown.
/// A resourceVersion that can no longer be served ends the stream with an ERROR event carrying a
/// 410 Expired Status, which is how informers learn to relist.
/// </summary>
internal sealed class WatchHandler(IHostApplicationLifetime lifetime, TimeProvider time, ApiServerOptions options)
{
    private static readonly byte[] Newline = "\n"u8.ToArray();

    public async Task HandleAsync(HttpContext context, RequestInfo info, GenericStore store, CancellationToken cancellationToken)
    {
        var (sendInitialEvents, allowBookmarks) = ParseWatchOptions(context.Request.Query);
        var query = QueryOptions.ParseList(context.Request.Query, store, forWatchList: sendInitialEvents);
        var timeout = ParseTimeout(context.Request.Query["timeoutSeconds"].ToString());
        var table = TableOptions.FromRequest(context.Request);
        var output = MediaTypes.Output(context.Request);
        if (output.Format != WireFormat.Json)
        {
            throw StatusException.NewNotAcceptable([MediaTypes.Json, MediaTypes.Protobuf]);
        }

        // Each event's object as its metadata alone (client-go's metadata informers).
        var metadataOnly = output.Convert is { IsPartialObjectMetadata: true } partial ? partial.ApiVersion : null;

        // kubectl delete and wait select one object by name: watch only its key.
        var name = info.Name;
        if (name.Length == 0 && (!store.Resource.Namespaced || info.Namespace.Length > 0)
            && query.FieldSelector?.ExactName is { } selectedName)
        {
            name = selectedName;
        }

        store.ThrowIfWatchCacheFilling();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        linked.CancelAfter(timeout);
        var token = linked.Token;

        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = table?.ContentType ?? MediaTypes.Json;
        response.Headers.CacheControl = "no-cache, private";
        await response.StartAsync(token).ConfigureAwait(false);
        // Kestrel holds the headers until the first flush; clients (informers) treat the headers as
        // "the watch is established", so they go out now rather than with the first event.
        await response.BodyWriter.FlushAsync(token).ConfigureAwait(false);

        try
        {
            var first = true;
            // Periodic bookmarks come from the watch cache, in order with the events (about every
            // minute, and 2 s before this watch's deadline), as kube's cacher sends them.
            var bookmarks = allowBookmarks ? new WatchBookmarks(time.GetUtcNow() + timeout) : null;
            await foreach (var change in store.WatchAsync(info.Namespace, name, query, sendInitialEvents, bookmarks, token).ConfigureAwait(false))
            {
                if (change.Kind == WatchEventKind.Progress)
                {
                    continue;
                }

                if (output.Convert is { IsPartialObjectMetadataList: true })
                {
                    // A list transformation does not fit one event's object: kube's watch encoder
                    // fails on it and ends the stream at the first event, as this one does.
                    break;
                }

                if (change.Kind == WatchEventKind.Bookmark)
                {
                    var bookmark = change.Object;
                    await WriteEventAsync(response, change.TypeName, metadataOnly is null ? bookmark : PartialObjectMetadata.Of(bookmark, metadataOnly), token).ConfigureAwait(false);
                    continue;
                }

                if (table is null && change.View is { } view)
                {
                    // The cache serialized the object once; every watcher sends those bytes (or
                    // their metadata member alone).
                    first = false;
                    await WriteEventAsync(response, change.TypeName, view, metadataOnly, token).ConfigureAwait(false);
                    continue;
                }

                JsonNode body = change.Object;
                if (metadataOnly is not null)
                {
                    body = PartialObjectMetadata.Of(change.Object, metadataOnly);
                }
                else if (table is { } t)
                {
                    // Each event is a one-row Table; only the first carries the column definitions.
                    var metadata = new JsonObject { ["resourceVersion"] = ObjectMeta.ResourceVersion(change.Object) };
                    var rows = TableConvertor.ToTable(store.Resource, [change.Object], metadata, t.IncludeObject, time.GetUtcNow());
                    rows["apiVersion"] = t.ApiVersion;
                    if (!first)
                    {
                        rows["columnDefinitions"] = null;
                    }

                    body = rows;
                }

                first = false;
                await WriteEventAsync(response, change.TypeName, body, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Timeout, shutdown or a departed client: the stream simply ends.
        }
        catch (StatusException e)
        {
            await WriteErrorAsync(response, e, token).ConfigureAwait(false);
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.Compacted)
        {
            await WriteErrorAsync(response, StatusException.NewResourceExpired(
                $"too old resource version: {query.ResourceVersion} ({e.CompactRevision})"), token).ConfigureAwait(false);
        }
        catch (StorageException e)
        {
            await WriteErrorAsync(response, StorageErrors.Interpret(e, store.Resource, name), token).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// sendInitialEvents and allowWatchBookmarks, validated as kube-apiserver validates ListOptions:
    /// the initial events need resourceVersionMatch=NotOlderThan and bookmarks (their end is one).
    /// </summary>
    private static (bool SendInitialEvents, bool AllowBookmarks) ParseWatchOptions(IQueryCollection query)
    {
        var allowBookmarks = RequestInfo.IsTrue(query["allowWatchBookmarks"]);
        var sendText = query["sendInitialEvents"].ToString();
        if (sendText.Length == 0)
        {
            return (false, allowBookmarks);
        }

        var send = RequestInfo.IsTrue(sendText);
        var errors = new List<FieldError>();
        if (query["resourceVersionMatch"].ToString() != "NotOlderThan")
        {
            errors.Add(FieldError.Forbidden(FieldPath.New("resourceVersionMatch"), "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"));
        }

        if (send && !allowBookmarks)
        {
            errors.Add(FieldError.Forbidden(FieldPath.New("allowWatchBookmarks"), "sendInitialEvents requires setting allowWatchBookmarks to true"));
        }

        if (errors.Count > 0)
        {
            throw StatusException.NewInvalid("meta.k8s.io", "ListOptions", "", errors);
        }

        return (send, allowBookmarks);
    }

    private TimeSpan ParseTimeout(string text)
    {
        if (text.Length > 0)
        {
            return long.TryParse(text, out var seconds) && seconds >= 0
                ? TimeSpan.FromSeconds(seconds == 0 ? int.MaxValue / 1000 : seconds)
                : throw StatusException.NewBadRequest($"invalid timeoutSeconds \"{text}\"");
        }

        // kube-apiserver spreads watch ends over --min-request-timeout to twice that (30 to 60 minutes
        // by default) so clients do not all come back at once.
        var minimum = options.MinRequestTimeout;
        return minimum + TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * minimum.TotalMilliseconds);
    }

    private static async Task WriteEventAsync(HttpResponse response, string type, JsonNode obj, CancellationToken cancellationToken)
    {
        var writer = new Utf8JsonWriter(response.BodyWriter, ObjectCodec.WriterOptions);
        await using (writer.ConfigureAwait(false))
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            writer.WritePropertyName("object");
            obj.WriteTo(writer, ObjectCodec.JsonOptions);
            writer.WriteEndObject();
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        await response.BodyWriter.WriteAsync(Newline, cancellationToken).ConfigureAwait(false);
        await response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteEventAsync(HttpResponse response, string type, ObjectView view, string? metadataOnly, CancellationToken cancellationToken)
    {
        var writer = response.BodyWriter;
        writer.Write(EventPrefix(type));
        if (metadataOnly is null)
        {
            view.WriteTo(writer);
        }
        else if (!PartialObjectMetadata.TryWrite(view.Json, metadataOnly, writer))
        {
            writer.Write(ObjectCodec.Serialize(PartialObjectMetadata.Of(view.Decode(), metadataOnly)));
        }

        writer.Write(EventSuffix);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static readonly byte[] EventSuffix = "}\n"u8.ToArray();

    private static readonly Dictionary<string, byte[]> EventPrefixes = new[] { "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR" }
        .ToDictionary(t => t, t => System.Text.Encoding.UTF8.GetBytes($"{{\"type\":\"{t}\",\"object\":"));

    private static byte[] EventPrefix(string type) => EventPrefixes[type];

    private static async Task WriteErrorAsync(HttpResponse response, StatusException error, CancellationToken cancellationToken)
    {
        try
        {
            await WriteEventAsync(response, "ERROR", error.Status.ToJsonObject(), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
