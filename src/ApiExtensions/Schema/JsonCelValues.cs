using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApiExtensions.Cel;

namespace ApiExtensions.Schema;

/// <summary>
/// A custom resource's JSON seen as CEL values through its schema (UnstructuredToVal): objects and maps wrap the
/// JSON without copying it, scalars convert by the schema's type and format.
/// </summary>
internal static class JsonCelValues
{
    public static object ToCel(JsonNode? node, SchemaNode? schema, bool isResourceRoot = false)
    {
        if (node is null)
        {
            return CelNull.Instance;
        }
        if (schema is null || (schema.Type.Length == 0 && !schema.XIntOrString))
        {
            return Dynamic(node);
        }
        switch (node)
        {
            case JsonObject o:
                if (schema.AdditionalProperties is { } ap && schema.PropertyList is not { Count: > 0 })
                {
                    return new JsonCelMap(o, ap);
                }
                return new JsonCelObject(o, isResourceRoot || schema.XEmbeddedResource ? SchemaCelTypes.ResourceRootView(schema) : schema);
            case JsonArray a:
                return new JsonCelList(a, schema.Items, schema.XListType, schema.XListMapKeys);
        }
        var v = (JsonValue)node;
        switch (v.GetValueKind())
        {
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.Number:
                if (schema.Type == "number")
                {
                    return v.GetValue<double>();
                }
                return v.TryGetValue<long>(out var l) ? l : v.GetValue<double>();
            case JsonValueKind.String:
                var s = v.GetValue<string>();
                if (schema.Type != "string")
                {
                    return s;
                }
                switch (schema.Format)
                {
                    case "byte":
                        try
                        {
                            return new CelBytes(Convert.FromBase64String(s));
                        }
                        catch (FormatException)
                        {
                            return new CelError($"base64 decode failed: illegal base64 data");
                        }
                    case "duration":
                        return GoDuration.TryParse(s, out var nanos) ? new CelDuration(nanos) : new CelError($"failed to parse duration {s}");
                    case "date":
                        return DateTime.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var date)
                            ? CelTimestamp.FromDateTime(date) : new CelError($"failed to parse date {s}");
                    case "date-time":
                        return StandardLibrary.ParseTimestamp(s) is { } ts ? ts : new CelError($"failed to parse date-time {s}");
                    default:
                        return s;
                }
            default:
                return CelNull.Instance;
        }
    }

    /// <summary>JSON without a schema (preserved unknown fields): integers that fit become int, other numbers double.</summary>
    public static object Dynamic(JsonNode? node) => node switch
    {
        null => CelNull.Instance,
        JsonObject o => new JsonCelMap(o, null),
        JsonArray a => new JsonCelList(a, null, null, null),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => v.TryGetValue<long>(out var l) ? l : v.GetValue<double>(),
            _ => CelNull.Instance,
        },
        _ => CelNull.Instance,
    };
}

/// <summary>An object with declared properties; CEL field names are the escaped property names.</summary>
internal sealed class JsonCelObject(JsonObject json, SchemaNode schema) : ICelMap
{
    public int Count => json.Count;

    public IEnumerable<object> Keys
    {
        get
        {
            foreach (var (key, _) in json)
            {
                yield return SchemaCelTypes.Escape(key) ?? key;
            }
        }
    }

    public bool TryGet(object key, out object value)
    {
        value = null!;
        if (key is not string name)
        {
            return false;
        }
        var jsonName = schema.CelFieldNames.TryGetValue(name, out var mapped) ? mapped : name;
        if (!json.TryGetPropertyValue(jsonName, out var node))
        {
            return false;
        }
        var prop = schema.Property(jsonName);
        value = prop is null ? JsonCelValues.Dynamic(node) : JsonCelValues.ToCel(node, prop);
        return true;
    }
}

/// <summary>A map (additionalProperties) or schemaless object.</summary>
internal sealed class JsonCelMap(JsonObject json, SchemaNode? values) : ICelMap
{
    public int Count => json.Count;

    public IEnumerable<object> Keys
    {
        get
        {
            foreach (var (key, _) in json)
            {
                yield return key;
            }
        }
    }

    public bool TryGet(object key, out object value)
    {
        value = null!;
        if (key is not string name || !json.TryGetPropertyValue(name, out var node))
        {
            return false;
        }
        value = JsonCelValues.ToCel(node, values);
        return true;
    }
}

/// <summary>A list; sets and map-lists compare without regard to order, as Kubernetes compares them.</summary>
internal sealed class JsonCelList(JsonArray json, SchemaNode? items, string? listType, List<string>? mapKeys) : IUnorderedList
{
    private object?[]? _cache;

    public int Count => json.Count;

    public object Get(int index)
    {
        _cache ??= new object?[json.Count];
        return _cache[index] ??= JsonCelValues.ToCel(json[index], items);
    }

    public bool IsUnordered => listType is "set" or "map";

    public bool UnorderedEquals(ICelList other)
    {
        if (other.Count != Count)
        {
            return false;
        }
        if (listType == "map" && mapKeys is { Count: > 0 })
        {
            for (var i = 0; i < Count; i++)
            {
                var mine = Get(i);
                var found = false;
                for (var j = 0; j < other.Count && !found; j++)
                {
                    if (SameKeys(mine, other.Get(j)))
                    {
                        found = CelEquality.ValueEquals(mine, other.Get(j));
                        if (!found)
                        {
                            return false;
                        }
                    }
                }
                if (!found)
                {
                    return false;
                }
            }
            return true;
        }
        for (var i = 0; i < Count; i++)
        {
            var mine = Get(i);
            var found = false;
            for (var j = 0; j < other.Count && !found; j++)
            {
                found = CelEquality.ValueEquals(mine, other.Get(j));
            }
            if (!found)
            {
                return false;
            }
        }
        return true;
    }

    private bool SameKeys(object a, object b)
    {
        if (a is not ICelMap ma || b is not ICelMap mb)
        {
            return false;
        }
        foreach (var k in mapKeys!)
        {
            var ha = ma.TryGet(SchemaCelTypes.Escape(k) ?? k, out var va);
            var hb = mb.TryGet(SchemaCelTypes.Escape(k) ?? k, out var vb);
            if (ha != hb || (ha && !CelEquality.ValueEquals(va, vb)))
            {
                return false;
            }
        }
        return true;
    }
}
