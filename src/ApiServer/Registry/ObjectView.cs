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
        if (strategy.ReadsFactsInOnePass && MetadataScan.TryRead(stored.Value.Span, strategy.FactPaths, out var scan))
        {
            // One forward read, no tree of the whole object: its metadata, and the few members its
            // field selectors read (a pod's spec.nodeName, status.phase, ...) as small fragments.
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

    private static readonly JsonObject NoFields = [];

    /// <summary>
    /// The facts from one read of an object's metadata and the members its kind's fields are read from
    /// (<see cref="ResourceStrategy.ReadsFactsInOnePass"/>): the same labels, field values and index keys
    /// as from the parsed object, in compact, shared form (the watch cache keeps one per object).
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
                // The kind's own rule, on the fragments of the object its fields are read from; the
                // values repeat across objects (a node's name, "Running", "default-scheduler").
                _ => strategy.FieldValue(scan.Fields ?? NoFields, field) is { } value ? SharedStrings.Of(value) : null,
            };
        }

        var pairs = scan.Labels;
        var indexed = strategy.IndexedFields;
        string[] indexKeys = pairs.Length + indexed.Count == 0 ? [] : new string[pairs.Length / 2 + indexed.Count];
        for (var i = 0; i < pairs.Length; i += 2)
        {
            indexKeys[i / 2] = SharedStrings.Join(pairs[i], pairs[i + 1], ObjectView.LabelIndexKey);
        }

        for (var i = 0; i < indexed.Count; i++)
        {
            var value = (fieldIndex.TryGetValue(indexed[i], out var position) ? fieldValues[position] : null) ?? "";
            indexKeys[pairs.Length / 2 + i] = SharedStrings.Join(indexed[i], value, ObjectView.FieldIndexKey);
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
internal readonly record struct MetadataScan(string? Name, string? Namespace, string[] Labels, int BodyAt, bool Empty, JsonObject? Fields = null)
{
    public static bool TryRead(ReadOnlySpan<byte> json, out MetadataScan scan) => TryRead(json, FieldPaths.None, out scan);

    /// <param name="paths">members outside metadata to take as fragments (<see cref="Fields"/>): a kind's field selectors' paths.</param>
    public static bool TryRead(ReadOnlySpan<byte> json, FieldPaths paths, out MetadataScan scan)
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
        JsonObject? fields = null;
        var bodyAt = 0;
        var empty = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isMetadata = reader.ValueTextEquals("metadata"u8);
            var path = isMetadata ? -1 : paths.Find(ref reader);
            reader.Read();
            if (path >= 0)
            {
                if (!paths.Capture(path, ref reader, json, fields ??= []))
                {
                    return false;
                }

                continue;
            }

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

        scan = new MetadataScan(name, ns, labels ?? [], bodyAt, empty, fields);
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

/// <summary>
/// The members outside metadata a kind's field values are read from ("spec.nodeName", "status.phase"),
/// as a tree of member names. <see cref="MetadataScan"/> copies just those members out of the stored
/// bytes into a small object of the same shape, on which the kind's own <c>FieldValue</c> runs: the
/// values are the ones a parse of the whole object gives, without building the whole object's tree.
/// </summary>
internal sealed class FieldPaths
{
    public static readonly FieldPaths None = new([], []);

    // Member names (UTF-8 and text) and what is read below each: null takes the whole member.
    private readonly byte[][] _names;
    private readonly (string Name, FieldPaths? Below)[] _members;

    private FieldPaths(byte[][] names, (string, FieldPaths?)[] members)
    {
        _names = names;
        _members = members;
    }

    /// <summary>The tree of dotted <paramref name="paths"/>; a path that another one extends is taken whole.</summary>
    public static FieldPaths Of(IEnumerable<string> paths)
    {
        var split = paths.Select(p => p.Split('.')).Where(p => p.All(s => s.Length > 0)).ToList();
        return Of(split, 0);
    }

    private static FieldPaths Of(List<string[]> paths, int depth)
    {
        var members = new List<(string, FieldPaths?)>();
        foreach (var group in paths.GroupBy(p => p[depth], StringComparer.Ordinal))
        {
            var whole = group.Any(p => p.Length == depth + 1);
            members.Add((group.Key, whole ? null : Of(group.ToList(), depth + 1)));
        }

        return new FieldPaths(members.Select(m => System.Text.Encoding.UTF8.GetBytes(m.Item1)).ToArray(), members.ToArray());
    }

    public bool IsEmpty => _members.Length == 0;

    /// <summary>Which member the reader's property name is (-1 for none).</summary>
    public int Find(ref Utf8JsonReader reader)
    {
        for (var i = 0; i < _names.Length; i++)
        {
            if (reader.ValueTextEquals(_names[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Copies member <paramref name="member"/>'s value (the reader on it) into <paramref name="into"/>,
    /// or its wanted members when only some are read. False, for the caller to parse the whole object
    /// instead, when a parse might see it otherwise: a repeated member, or a value that is not an object
    /// where members below it are read.
    /// </summary>
    public bool Capture(int member, ref Utf8JsonReader reader, ReadOnlySpan<byte> json, JsonObject into)
    {
        var (name, below) = _members[member];
        if (into.ContainsKey(name))
        {
            return false;
        }

        if (below is null)
        {
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            into[name] = JsonNode.Parse(json[start..(int)reader.BytesConsumed], documentOptions: new JsonDocumentOptions { MaxDepth = ObjectCodec.MaxDepth });
            return true;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        var fragment = new JsonObject();
        into[name] = fragment;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var inner = below.Find(ref reader);
            reader.Read();
            if (inner < 0)
            {
                reader.Skip();
            }
            else if (!below.Capture(inner, ref reader, json, fragment))
            {
                return false;
            }
        }

        return true;
    }
}
