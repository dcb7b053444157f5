using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApiServer.Registry.Strategies;
using Storage;

namespace ApiServer.Registry;

/// <summary>
/// What the watch cache keeps of one object version, derived once when the cache first sees it and
/// shared by every list and watcher: the JSON clients receive (resourceVersion included), and the
/// labels and field values selectors compare against. Immutable: a reader that needs a mutable
/// object decodes a fresh copy.
/// </summary>
internal sealed class ObjectView : ICachedView
{
    private ObjectView(ReadOnlyMemory<byte> json, IReadOnlyDictionary<string, string> labels, FrozenDictionary<string, string?> fields, IReadOnlyList<string> indexKeys)
    {
        Json = json;
        Labels = labels;
        Fields = fields;
        IndexKeys = indexKeys;
    }

    /// <summary>The object as served: compact JSON with metadata.resourceVersion.</summary>
    public ReadOnlyMemory<byte> Json { get; }

    public IReadOnlyDictionary<string, string> Labels { get; }

    /// <summary>The value of every field selector the kind supports.</summary>
    public FrozenDictionary<string, string?> Fields { get; }

    public IReadOnlyList<string> IndexKeys { get; }

    /// <summary>A fresh, mutable copy of the object.</summary>
    public JsonObject Decode() =>
        (JsonObject)JsonNode.Parse(Json.Span, documentOptions: new JsonDocumentOptions { MaxDepth = ObjectCodec.MaxDepth })!;

    public static ObjectView Create(StoredObject stored, ResourceStrategy strategy)
    {
        var obj = ObjectCodec.Decode(stored);
        var labels = ObjectMeta.Labels(obj).ToFrozenDictionary(StringComparer.Ordinal);
        var fields = strategy.SupportedFields.ToFrozenDictionary(f => f, f => strategy.FieldValue(obj, f), StringComparer.Ordinal);
        var indexKeys = new List<string>(labels.Count + strategy.IndexedFields.Count);
        foreach (var (key, value) in labels)
        {
            indexKeys.Add(LabelIndexKey(key, value));
        }

        foreach (var field in strategy.IndexedFields)
        {
            indexKeys.Add(FieldIndexKey(field, fields.GetValueOrDefault(field) ?? ""));
        }

        return new ObjectView(ObjectCodec.Serialize(obj), labels, fields, indexKeys);
    }

    public static string LabelIndexKey(string label, string value) => $"label:{label}={value}";

    public static string FieldIndexKey(string field, string value) => $"field:{field}={value}";
}
