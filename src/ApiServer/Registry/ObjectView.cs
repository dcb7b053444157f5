using System.Buffers;
using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApiMachinery.Meta;
using ApiServer.Registry.Strategies;
using Storage;

namespace ApiServer.Registry;

/// <summary>
/// What the watch cache keeps of one object version, derived once when the cache first sees it and
/// shared by every list and watcher: the labels and field values selectors compare against, and the
/// way to write the JSON clients receive. That JSON is the stored bytes with metadata.resourceVersion
/// spliced in at write time, so the cache holds each object's bytes once. Immutable: a reader that
/// needs a mutable object decodes a fresh copy.
/// </summary>
internal sealed class ObjectView : ICachedView
{
    // The key and, through _json, the stored bytes and revision: what Decode needs. A cached object's
    // StoredObject refers to its view, so the view keeps no second StoredObject of its own.
    private readonly string _key;
    private readonly SelectionFacts _facts;

    // The stored bytes with "resourceVersion":"N" spliced in or, for the rare stored value that
    // cannot be spliced, the whole JSON with the version in it.
    private readonly ServedJson _json;

    // For a view served whole (rare): the stored object, whose bytes Decode parses as it always did.
    private readonly StoredObject? _storedWhenWhole;

    private ObjectView(StoredObject stored, SelectionFacts facts, ServedJson json)
    {
        _key = stored.Key;
        _facts = facts;
        _json = json;
        _storedWhenWhole = json.IsSpliced ? null : stored;
    }

    public IReadOnlyDictionary<string, string> Labels => _facts.Labels;

    public IReadOnlyList<string> IndexKeys => _facts.IndexKeys;

    /// <summary>The object as served: compact JSON with metadata.resourceVersion.</summary>
    public ServedJson Json => _json;

    /// <summary>The number of bytes <see cref="WriteTo"/> writes.</summary>
    public int Length => _json.Length;

    /// <summary>The value of a supported field selector (null when unset).</summary>
    public string? FieldValue(string field) => _facts.FieldIndex.TryGetValue(field, out var i) ? _facts.FieldValues[i] : null;

    /// <summary>Writes the object as served: compact JSON with metadata.resourceVersion.</summary>
    public void WriteTo(IBufferWriter<byte> writer) => _json.WriteTo(writer);

    /// <summary>A fresh, mutable copy of the object.</summary>
    public JsonObject Decode() => _json.IsSpliced
        ? ObjectCodec.Decode(_key, _json.Stored, _json.Revision)
        : ObjectCodec.Decode(_storedWhenWhole!);

    public static ObjectView Create(StoredObject stored, ResourceStrategy strategy)
    {
        if (strategy.SelectsOnMetadataOnly && MetadataScan.TryRead(stored.Value.Span, out var scan))
        {
            // One forward read, no tree: the kinds whose selection facts are all in metadata.
            var facts = SelectionFacts.Of(scan, strategy);
            return new ObjectView(stored, facts, ServedJson.Splice(stored.Value, scan.BodyAt, scan.Empty, stored.ModRevision));
        }

        return Parse(stored, strategy);
    }

    /// <summary>The view from the parsed object: any kind, any stored value (what <see cref="Create(StoredObject, ResourceStrategy)"/> falls back to).</summary>
    internal static ObjectView Parse(StoredObject stored, ResourceStrategy strategy)
    {
        var obj = (JsonNode.Parse(stored.Value.Span, documentOptions: new JsonDocumentOptions { MaxDepth = ObjectCodec.MaxDepth }) as JsonObject)
            ?? throw new InvalidDataException($"stored value at {stored.Key} is not a JSON object");
        if (strategy.ApplyReadDefaults(obj))
        {
            // The view is of the defaulted object (custom resources stored before a default was added).
            stored = stored with { Value = ObjectCodec.Encode(obj) };
        }

        var spliceable = obj["metadata"] is JsonObject metadata && !metadata.ContainsKey("resourceVersion");
        ObjectCodec.SetResourceVersion(obj, stored.ModRevision);
        var selection = SelectionFacts.Of(obj, strategy);
        var json = spliceable && MetadataBody(stored.Value.Span) is var (at, empty) && at > 0
            ? ServedJson.Splice(stored.Value, at, empty, stored.ModRevision)
            : ServedJson.Whole(ObjectCodec.Serialize(obj), stored.ModRevision);
        return new ObjectView(stored, selection, json);
    }

    /// <summary>A view from facts already known (a write of this server prepared them), without parsing the bytes.</summary>
    public static ObjectView Create(StoredObject stored, SelectionFacts facts, ServedJson json) => new(stored, facts, json);

    /// <summary>Where the top-level metadata object's members start (just after its brace), and whether it has none.</summary>
    private static (int At, bool Empty) MetadataBody(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = ObjectCodec.MaxDepth });
        while (reader.Read())
        {
            if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("metadata"u8))
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                {
                    return (0, false);
                }

                var at = (int)reader.BytesConsumed;
                return reader.Read() ? (at, reader.TokenType == JsonTokenType.EndObject) : (0, false);
            }

            if (reader.CurrentDepth >= 1 && reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip();
            }
        }

        return (0, false);
    }

    public static string LabelIndexKey(string label, string value) => $"label:{label}={value}";

    public static string FieldIndexKey(string field, string value) => $"field:{field}={value}";
}

/// <summary>What selectors and the cache's index look at in one object version: labels and field values.</summary>
internal sealed record SelectionFacts(
    IReadOnlyDictionary<string, string> Labels, FrozenDictionary<string, int> FieldIndex, string?[] FieldValues, IReadOnlyList<string> IndexKeys)
{
    public static SelectionFacts Of(JsonObject obj, ResourceStrategy strategy)
    {
        var labels = ObjectMeta.Labels(obj);
        var fieldIndex = strategy.SupportedFieldIndex;
        var fieldValues = new string?[fieldIndex.Count];
        foreach (var (field, i) in fieldIndex)
        {
            fieldValues[i] = strategy.FieldValue(obj, field);
        }

        var indexKeys = new List<string>(labels.Count + strategy.IndexedFields.Count);
        foreach (var (key, value) in labels)
        {
            indexKeys.Add(ObjectView.LabelIndexKey(key, value));
        }

        foreach (var field in strategy.IndexedFields)
        {
            indexKeys.Add(ObjectView.FieldIndexKey(field, (fieldIndex.TryGetValue(field, out var position) ? fieldValues[position] : null) ?? ""));
        }

        return new SelectionFacts(labels, fieldIndex, fieldValues, indexKeys);
    }

    /// <summary>
    /// The facts of a kind that selects on metadata only (<see cref="ResourceStrategy.SelectsOnMetadataOnly"/>),
    /// from one read of its metadata: the same labels, field values and index keys as from the parsed object,
    /// in compact, shared form (the watch cache keeps one per object).
    /// </summary>
    public static SelectionFacts Of(MetadataScan scan, ResourceStrategy strategy)
    {
        var fieldIndex = strategy.SupportedFieldIndex;
        var fieldValues = new string?[fieldIndex.Count];
        foreach (var (field, i) in fieldIndex)
        {
            fieldValues[i] = field switch
            {
                "metadata.name" => scan.Name ?? "",
                "metadata.namespace" => scan.Namespace ?? "",
                _ => throw new InvalidOperationException($"{field} is not a metadata field"),
            };
        }

        var pairs = scan.Labels;
        string[] indexKeys = pairs.Length == 0 ? [] : new string[pairs.Length / 2];
        for (var i = 0; i < pairs.Length; i += 2)
        {
            indexKeys[i / 2] = SharedStrings.Join(pairs[i], pairs[i + 1], ObjectView.LabelIndexKey);
        }

        return new SelectionFacts(pairs.Length == 0 ? LabelMap.Empty : new LabelMap(pairs), fieldIndex, fieldValues, indexKeys);
    }
}

/// <summary>
/// What one forward read of a stored object finds in its top-level metadata: name, namespace, labels
/// (keys and values alternating, shared strings), and where its members start for the resourceVersion
/// splice. No tree is built, and the whole document is still read, so malformed JSON fails as a parse
/// would. <see cref="TryRead"/> declines anything a parse might see differently (duplicate members,
/// non-string values, a stored resourceVersion, no metadata object): the caller parses those.
/// </summary>
internal readonly record struct MetadataScan(string? Name, string? Namespace, string[] Labels, int BodyAt, bool Empty)
{
    public static bool TryRead(ReadOnlySpan<byte> json, out MetadataScan scan)
    {
        scan = default;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = ObjectCodec.MaxDepth });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        var found = false;
        string? name = null, ns = null;
        string[]? labels = null;
        var bodyAt = 0;
        var empty = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isMetadata = reader.ValueTextEquals("metadata"u8);
            reader.Read();
            if (!isMetadata)
            {
                reader.Skip();
                continue;
            }

            if (found || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            found = true;
            bodyAt = (int)reader.BytesConsumed;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                empty = false;
                if (reader.ValueTextEquals("name"u8))
                {
                    if (name is not null || !reader.Read() || reader.TokenType != JsonTokenType.String)
                    {
                        return false;
                    }

                    name = reader.GetString();
                }
                else if (reader.ValueTextEquals("namespace"u8))
                {
                    if (ns is not null || !reader.Read() || reader.TokenType != JsonTokenType.String)
                    {
                        return false;
                    }

                    ns = SharedStrings.Of(ref reader);
                }
                else if (reader.ValueTextEquals("labels"u8))
                {
                    if (labels is not null || !reader.Read() || reader.TokenType != JsonTokenType.StartObject || ReadLabels(ref reader) is not { } read)
                    {
                        return false;
                    }

                    labels = read;
                }
                else if (reader.ValueTextEquals("resourceVersion"u8))
                {
                    // Stored with its version (not by this server): served whole, as a parse decides.
                    return false;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }

        // The top-level object has ended: nothing may follow it (Read throws on trailing content).
        if (!found || reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != 0 || reader.Read())
        {
            return false;
        }

        scan = new MetadataScan(name, ns, labels ?? [], bodyAt, empty);
        return true;
    }

    /// <summary>A labels object's members (the reader on its start); null when one is not a string or a key repeats.</summary>
    private static string[]? ReadLabels(ref Utf8JsonReader reader)
    {
        var pairs = new List<string>(8);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = SharedStrings.Of(ref reader);
            if (!reader.Read() || reader.TokenType != JsonTokenType.String)
            {
                return null;
            }

            for (var i = 0; i < pairs.Count; i += 2)
            {
                if (pairs[i] == key)
                {
                    return null;
                }
            }

            pairs.Add(key);
            pairs.Add(SharedStrings.Of(ref reader));
        }

        return pairs.ToArray();
    }
}
