using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApiMachinery.Authentication;
using ApiMachinery.Meta;
using Storage;

namespace ApiServer.Registry;

/// <summary>What the registry needs to know about the request behind a write.</summary>
/// <param name="Warn">Adds a warning to the response; admission webhooks' warnings go here.</param>
internal sealed record RequestScope(UserInfo User, bool DryRun = false, Action<string>? Warn = null)
{
    /// <summary>The request's fieldManager, or its User-Agent's product; null for the server's own writes.</summary>
    public string? FieldManager { get; init; }

    /// <summary>The subresource managedFields records when it is not the registry's (scale writes the main object).</summary>
    public string? FieldManagerSubresource { get; init; }

    /// <summary>The caller already wrote managedFields (server-side apply does its own bookkeeping).</summary>
    public bool FieldsManaged { get; init; }

    /// <summary>Writes the server makes on its own behalf (bootstrap, namespace controller).</summary>
    public static readonly RequestScope Loopback = new(UserInfo.LoopbackUser);
}

/// <summary>metav1.DeleteOptions, the parts the registry acts on.</summary>
internal sealed record DeleteOptions(
    long? GracePeriodSeconds = null,
    string? PreconditionUid = null,
    string? PreconditionResourceVersion = null,
    string? PropagationPolicy = null,
    bool? OrphanDependents = null);

/// <summary>The selection and paging of a list or watch, already parsed and validated.</summary>
internal sealed record ListQuery(
    ApiMachinery.Selectors.LabelSelector? LabelSelector,
    ApiMachinery.Selectors.FieldSelector? FieldSelector,
    long Limit = 0,
    string? Continue = null,
    string? ResourceVersion = null,
    string? ResourceVersionMatch = null)
{
    /// <summary>Read as of every write this server has made, from the watch cache (admission's lists).</summary>
    public bool AfterOwnWrites { get; init; }

    /// <summary>A client's request (kube's cacher refuses some while the watch cache fills); false for the server's own reads.</summary>
    public bool FromClient { get; init; }

    public bool HasSelectors => LabelSelector is { IsEmpty: false } || FieldSelector is { IsEmpty: false };
}

/// <summary>
/// A list as the registry returns it: objects plus list metadata. Items read through the watch cache
/// carry their shared views, so a JSON answer can splice their bytes instead of re-serializing.
/// </summary>
internal sealed class ObjectList(IReadOnlyList<JsonObject>? items, long resourceVersion, string? @continue, long? remainingItemCount)
{
    private IReadOnlyList<JsonObject>? _items = items;

    public long ResourceVersion { get; } = resourceVersion;

    public string? Continue { get; } = @continue;

    public long? RemainingItemCount { get; } = remainingItemCount;

    /// <summary>The items as stored (empty when the list was built from objects).</summary>
    public IReadOnlyList<StoredObject> Stored { get; private init; } = [];

    /// <summary>Mutable copies of the items, decoded on first use.</summary>
    public IReadOnlyList<JsonObject> Items => _items ??= Stored.Select(Decode).ToList();

    /// <summary>
    /// The items' shared views when every item has one (read through the watch cache), over
    /// <see cref="Stored"/> without copying it: a full list of 100,000 items allocated a second
    /// 100,000-reference array here per request (issue 19's concurrent readers).
    /// </summary>
    public IReadOnlyList<ObjectView>? Views => _items is null && Stored.All(s => s.View is ObjectView) ? new ViewList(Stored) : null;

    private sealed class ViewList(IReadOnlyList<StoredObject> stored) : IReadOnlyList<ObjectView>
    {
        public int Count => stored.Count;

        public ObjectView this[int index] => (ObjectView)stored[index].View!;

        public IEnumerator<ObjectView> GetEnumerator()
        {
            for (var i = 0; i < stored.Count; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>How many items the list has.</summary>
    public int Count => _items?.Count ?? Stored.Count;

    /// <summary>Item <paramref name="i"/>: a fresh copy when decoded from what was stored (nothing keeps it).</summary>
    public JsonObject ItemAt(int i) => _items is { } items ? items[i] : Decode(Stored[i]);

    /// <summary>Item <paramref name="i"/> as compact JSON: the cache's bytes when it has them, else encoded.</summary>
    public void WriteItemTo(int i, IBufferWriter<byte> writer)
    {
        if (_items is null && Stored[i].View is ObjectView view)
        {
            view.WriteTo(writer);
            return;
        }

        using var json = new Utf8JsonWriter(writer, ObjectCodec.WriterOptions);
        ItemAt(i).WriteTo(json, ObjectCodec.JsonOptions);
    }

    public static ObjectList FromStored(IReadOnlyList<StoredObject> stored, long resourceVersion, string? @continue, long? remainingItemCount) =>
        new(null, resourceVersion, @continue, remainingItemCount) { Stored = stored };

    private static JsonObject Decode(StoredObject stored) =>
        stored.View is ObjectView view ? view.Decode() : ObjectCodec.Decode(stored);
}

internal enum WatchEventKind
{
    Added,
    Modified,
    Deleted,
    Bookmark,
    Error,
    /// <summary>Internal: a change the watcher's selection skipped; only its revision matters (for bookmarks).</summary>
    Progress,
}

/// <summary>One event for a watcher: an object, or the cache's shared view of it (decoded only if someone needs it).</summary>
internal readonly record struct ObjectEvent(WatchEventKind Kind, JsonObject? Node, ObjectView? View = null, long Revision = 0)
{
    public ObjectEvent(WatchEventKind kind, JsonObject obj)
        : this(kind, obj, null, long.TryParse(ObjectMeta.ResourceVersion(obj), out var rv) ? rv : 0)
    {
    }

    /// <summary>The object; a fresh copy per call when it comes from a shared view.</summary>
    public JsonObject Object => Node ?? View!.Decode();

    public string TypeName => Kind switch
    {
        WatchEventKind.Added => "ADDED",
        WatchEventKind.Modified => "MODIFIED",
        WatchEventKind.Deleted => "DELETED",
        WatchEventKind.Bookmark => "BOOKMARK",
        _ => "ERROR",
    };

    public static ObjectEvent Of(WatchEventKind kind, StoredObject stored) =>
        stored.View is ObjectView view
            ? new ObjectEvent(kind, null, view, stored.ModRevision)
            : new ObjectEvent(kind, ObjectCodec.Decode(stored));
}
