using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace ApiExtensions.Schema;

/// <summary>
/// What kube's CR decoder does to an object before anything else (unstructuredSchemaCoercer): prune fields the
/// schema does not specify (pruning.PruneWithOptions), keep apiVersion/kind/metadata at resource roots, stop under
/// x-kubernetes-preserve-unknown-fields (but prune again where it specifies properties), drop nulls where the
/// schema is not nullable and has no default (PruneNonNullableNullsWithoutDefaults), and drop unknown fields of
/// ObjectMeta (the root's and embedded resources', as the round trip through metav1.ObjectMeta does).
/// </summary>
internal static class Pruning
{
    private static readonly HashSet<string> MetaFields = new(StringComparer.Ordinal) { "apiVersion", "kind", "metadata" };

    /// <summary>Prunes <paramref name="root"/> in place; returns the removed paths, sorted, as kube reports them
    /// ("spec.foo", "spec.list[0].bar", "metadata.foo").</summary>
    public static List<string> Prune(JsonObject root, SchemaNode schema, bool trackPaths)
    {
        var unknown = trackPaths ? new List<string>() : null;
        var path = trackPaths ? new StringBuilder() : null;
        PruneMap(root, schema, isEmbedded: true, path, unknown);
        PruneNulls(root, schema);
        PruneObjectMeta(root, schema, isEmbedded: true, path, unknown);
        unknown?.Sort(StringComparer.Ordinal);
        return unknown ?? [];
    }

    /// <summary>Prunes a value in place (no paths): the pruning check of defaults at CRD time.</summary>
    public static void PruneValue(JsonNode? value, SchemaNode? schema, bool isResourceRoot)
    {
        if (value is JsonObject o && isResourceRoot)
        {
            PruneMap(o, schema, isEmbedded: true, null, null);
            return;
        }
        PruneNode(value, schema, null, null);
    }

    private static void PruneNode(JsonNode? x, SchemaNode? s, StringBuilder? path, List<string>? unknown)
    {
        if (s is not null && s.XPreserveUnknownFields)
        {
            SkipPrune(x, s, path, unknown);
            return;
        }
        switch (x)
        {
            case JsonObject o:
                PruneMap(o, s, s?.XEmbeddedResource == true, path, unknown);
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    var len = AppendIndex(path, i);
                    PruneNode(a[i], s?.Items, path, unknown);
                    Truncate(path, len);
                }
                break;
        }
    }

    private static void PruneMap(JsonObject o, SchemaNode? s, bool isEmbedded, StringBuilder? path, List<string>? unknown)
    {
        if (s is not null && s.XPreserveUnknownFields && !isEmbedded)
        {
            SkipPrune(o, s, path, unknown);
            return;
        }
        if (s is not null && s.XPreserveUnknownFields)
        {
            // The resource root (or an embedded resource) with preserve-unknown-fields: keep everything,
            // but prune where properties are specified.
            SkipPruneMap(o, s, isEmbedded, path, unknown);
            return;
        }
        List<string>? remove = null;
        foreach (var (key, value) in o)
        {
            if (isEmbedded && MetaFields.Contains(key))
            {
                continue;
            }
            if (s is null)
            {
                Record(path, key, unknown);
                (remove ??= []).Add(key);
                continue;
            }
            var prop = s.Property(key);
            if (prop is not null)
            {
                var len = AppendKey(path, key);
                PruneNode(value, prop, path, unknown);
                Truncate(path, len);
            }
            else if (s.HasAdditionalProperties)
            {
                var len = AppendKey(path, key);
                PruneNode(value, s.AdditionalProperties, path, unknown);
                Truncate(path, len);
            }
            else
            {
                if (!MetaFields.Contains(key) || (path is not null && path.Length > 0))
                {
                    Record(path, key, unknown);
                }
                (remove ??= []).Add(key);
            }
        }
        if (remove is not null)
        {
            foreach (var key in remove)
            {
                o.Remove(key);
            }
        }
    }

    private static void SkipPrune(JsonNode? x, SchemaNode s, StringBuilder? path, List<string>? unknown)
    {
        switch (x)
        {
            case JsonObject o:
                SkipPruneMap(o, s, s.XEmbeddedResource, path, unknown);
                break;
            case JsonArray a when s.Items is not null:
                for (var i = 0; i < a.Count; i++)
                {
                    var len = AppendIndex(path, i);
                    SkipPrune(a[i], s.Items, path, unknown);
                    Truncate(path, len);
                }
                break;
        }
    }

    private static void SkipPruneMap(JsonObject o, SchemaNode s, bool isEmbedded, StringBuilder? path, List<string>? unknown)
    {
        foreach (var (key, value) in o)
        {
            if (isEmbedded && MetaFields.Contains(key))
            {
                continue;
            }
            if (s.Property(key) is { } prop)
            {
                var len = AppendKey(path, key);
                PruneNode(value, prop, path, unknown);
                Truncate(path, len);
            }
            else if (s.HasAdditionalProperties)
            {
                var len = AppendKey(path, key);
                PruneNode(value, s.AdditionalProperties, path, unknown);
                Truncate(path, len);
            }
        }
    }

    // PruneNonNullableNullsWithoutDefaults: a null where the schema is neither nullable nor defaulted is dropped.
    internal static void PruneNulls(JsonNode? x, SchemaNode? s)
    {
        switch (x)
        {
            case JsonObject o:
                List<string>? remove = null;
                foreach (var (key, value) in o)
                {
                    var schema = s?.FieldSchema(key);
                    if (value is null && schema is not null && !schema.Nullable && schema.Default is null)
                    {
                        (remove ??= []).Add(key);
                    }
                    else if (value is JsonObject or JsonArray)
                    {
                        PruneNulls(value, schema);
                    }
                }
                if (remove is not null)
                {
                    foreach (var key in remove)
                    {
                        o.Remove(key);
                    }
                }
                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    if (item is JsonObject or JsonArray)
                    {
                        PruneNulls(item, s?.Items);
                    }
                }
                break;
        }
    }

    // The metadata of the root and of every embedded resource goes through metav1.ObjectMeta: unknown fields are
    // dropped (and reported as "<path>.metadata.<field>").
    private static void PruneObjectMeta(JsonNode? x, SchemaNode? s, bool isEmbedded, StringBuilder? path, List<string>? unknown)
    {
        if (s is null)
        {
            return;
        }
        switch (x)
        {
            case JsonObject o:
                if (isEmbedded && o["metadata"] is JsonObject metadata)
                {
                    List<string>? remove = null;
                    foreach (var (key, _) in metadata)
                    {
                        if (!EmbeddedObjectMeta.KnownFields.Contains(key))
                        {
                            if (unknown is not null && path is not null)
                            {
                                unknown.Add((path.Length > 0 ? path + ".metadata." : "metadata.") + key);
                            }
                            (remove ??= []).Add(key);
                        }
                    }
                    if (remove is not null)
                    {
                        foreach (var key in remove)
                        {
                            metadata.Remove(key);
                        }
                    }
                }
                foreach (var (key, value) in o)
                {
                    if (value is not (JsonObject or JsonArray))
                    {
                        continue;
                    }
                    var child = s.Property(key) ?? s.AdditionalProperties;
                    if (child is null || (isEmbedded && key == "metadata"))
                    {
                        continue;
                    }
                    var len = AppendKey(path, key);
                    PruneObjectMeta(value, child, child.XEmbeddedResource, path, unknown);
                    Truncate(path, len);
                }
                break;
            case JsonArray a when s.Items is { } items:
                for (var i = 0; i < a.Count; i++)
                {
                    var len = AppendIndex(path, i);
                    PruneObjectMeta(a[i], items, items.XEmbeddedResource, path, unknown);
                    Truncate(path, len);
                }
                break;
        }
    }

    private static void Record(StringBuilder? path, string key, List<string>? unknown)
    {
        if (unknown is null || path is null)
        {
            return;
        }
        unknown.Add(path.Length > 0 ? path + "." + key : key);
    }

    private static int AppendKey(StringBuilder? path, string key)
    {
        if (path is null)
        {
            return 0;
        }
        var len = path.Length;
        if (len > 0)
        {
            path.Append('.');
        }
        path.Append(key);
        return len;
    }

    private static int AppendIndex(StringBuilder? path, int index)
    {
        if (path is null)
        {
            return 0;
        }
        var len = path.Length;
        path.Append('[').Append(index.ToString(CultureInfo.InvariantCulture)).Append(']');
        return len;
    }

    private static void Truncate(StringBuilder? path, int length)
    {
        if (path is not null)
        {
            path.Length = length;
        }
    }
}
