using System.Buffers;
using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Nodes;
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
    private readonly StoredObject _stored;
    private readonly SelectionFacts _facts;

    // The stored bytes with "resourceVersion":"N" spliced in or, for the rare stored value that
    // cannot be spliced, the whole JSON with the version in it.
    private readonly ServedJson _json;

    private ObjectView(StoredObject stored, SelectionFacts facts, ServedJson json)
    {
        _stored = stored;
        _facts = facts;
        _json = json;
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
    public JsonObject Decode() => ObjectCodec.Decode(_stored);

    public static ObjectView Create(StoredObject stored, ResourceStrategy strategy)
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
        var facts = SelectionFacts.Of(obj, strategy);
        var json = spliceable && MetadataBody(stored.Value.Span) is var (at, empty) && at > 0
            ? ServedJson.Splice(stored.Value, at, empty, stored.ModRevision)
            : ServedJson.Whole(ObjectCodec.Serialize(obj));
        return new ObjectView(stored, facts, json);
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
}
