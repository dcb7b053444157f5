using System.Text.Json.Nodes;
using ApiMachinery.Schema;

namespace ApiMachinery.Patch;

/// <summary>
/// Strategic merge patch (application/strategic-merge-patch+json), as k8s.io/apimachinery's
/// strategicpatch applies it: a merge patch whose lists merge by the schema's patch strategy and
/// merge key (containers by name, ports by containerPort...) instead of being replaced, with the
/// directives kubectl sends: <c>$patch: replace|delete|merge</c> on maps and list items,
/// <c>$setElementOrder/&lt;list&gt;</c>, <c>$retainKeys</c> and <c>$deleteFromPrimitiveList/&lt;list&gt;</c>.
/// Lists without a merge strategy, and fields the schema does not know, are replaced.
/// </summary>
public static class StrategicMergePatch
{
    private const string PatchDirective = "$patch";
    private const string RetainKeysDirective = "$retainKeys";
    private const string SetElementOrderPrefix = "$setElementOrder/";
    private const string DeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/";

    /// <summary>The patched object; <paramref name="original"/> is not changed.</summary>
    public static JsonObject Apply(JsonObject original, JsonObject patch, DefinitionSchema? schema)
    {
        var result = (JsonObject)original.DeepClone();
        return MergeMap(result, patch, schema) ?? [];
    }

    /// <summary>Merges <paramref name="patch"/> into <paramref name="original"/> (changed in place); null when the map is deleted.</summary>
    private static JsonObject? MergeMap(JsonObject original, JsonObject patch, DefinitionSchema? schema)
    {
        if (patch[PatchDirective] is JsonValue directive)
        {
            switch (directive.GetValue<string>())
            {
                case "replace":
                    return Clean(patch) as JsonObject ?? [];
                case "delete":
                    return null;
                case "merge":
                    break;
                default:
                    throw new PatchException($"unknown patch type: {directive.GetValue<string>()} in map: {patch.ToJsonString()}");
            }
        }

        if (patch[RetainKeysDirective] is JsonArray retain)
        {
            var keep = retain.Select(k => k?.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
            foreach (var key in original.Select(p => p.Key).Where(k => !keep.Contains(k)).ToArray())
            {
                original.Remove(key);
            }
        }

        foreach (var (key, value) in patch)
        {
            if (key.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal) && value is JsonArray removals)
            {
                var field = key[DeleteFromPrimitiveListPrefix.Length..];
                if (original[field] is JsonArray list)
                {
                    foreach (var item in list.Where(i => removals.Any(r => JsonNode.DeepEquals(r, i))).ToArray())
                    {
                        list.Remove(item);
                    }
                }
            }
        }

        foreach (var (key, patchValue) in patch)
        {
            if (key.StartsWith('$'))
            {
                continue;
            }

            var field = schema?.Field(key);
            if (patchValue is null)
            {
                original.Remove(key);
                continue;
            }

            if (!original.TryGetPropertyValue(key, out var originalValue) || originalValue is null)
            {
                var cleaned = Clean(patchValue);
                if (cleaned is not null)
                {
                    original[key] = cleaned;
                }

                continue;
            }

            switch (originalValue, patchValue)
            {
                case (JsonObject originalMap, JsonObject patchMap):
                    var merged = MergeMap(originalMap, patchMap, MapSchema(field));
                    if (merged is null)
                    {
                        original.Remove(key);
                    }
                    else if (!ReferenceEquals(merged, originalMap))
                    {
                        original[key] = merged;
                    }

                    break;
                case (JsonArray originalList, JsonArray patchList):
                    original[key] = field is not null && field.HasStrategy("merge")
                        ? MergeList(originalList, patchList, field)
                        : Clean(patchList);
                    break;
                default:
                    original[key] = Clean(patchValue);
                    break;
            }
        }

        foreach (var (key, value) in patch)
        {
            if (key.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal) && value is JsonArray order)
            {
                var field = key[SetElementOrderPrefix.Length..];
                if (original[field] is JsonArray list)
                {
                    original[field] = Reorder(list, order, schema?.Field(field)?.MergeKey);
                }
            }
        }

        return original;
    }

    /// <summary>The schema of a nested map: the field's definition, or for a map of objects its values'.</summary>
    private static DefinitionSchema? MapSchema(FieldSchema? field) => field?.Kind == FieldKind.Ref ? field.Definition : null;

    private static JsonArray MergeList(JsonArray original, JsonArray patch, FieldSchema field)
    {
        // A list item {"$patch": "replace"} replaces the whole list with the rest of the patch's items.
        if (patch.Any(i => i is JsonObject o && o[PatchDirective]?.GetValue<string>() == "replace"))
        {
            return new JsonArray(patch.Where(i => !(i is JsonObject o && o[PatchDirective] is not null)).Select(i => Clean(i)).ToArray());
        }

        var mergeKey = field.MergeKey;
        if (mergeKey is null || field.ElementKind != FieldKind.Ref)
        {
            // Primitive lists merge as a union, original order first.
            var union = new JsonArray(original.Select(i => i?.DeepClone()).ToArray());
            foreach (var item in patch)
            {
                if (!union.Any(u => JsonNode.DeepEquals(u, item)))
                {
                    union.Add(item?.DeepClone());
                }
            }

            return union;
        }

        var result = original.Select(i => i?.DeepClone()).ToList();
        foreach (var item in patch)
        {
            if (item is not JsonObject patchItem)
            {
                throw new PatchException($"a list with merge key {mergeKey} must hold objects, found {item?.ToJsonString() ?? "null"}");
            }

            var keyValue = patchItem[mergeKey];
            if (keyValue is null)
            {
                throw new PatchException($"map: {patchItem.ToJsonString()} does not contain declared merge key: {mergeKey}");
            }

            var index = result.FindIndex(o => o is JsonObject existing && JsonNode.DeepEquals(existing[mergeKey], keyValue));
            var directive = patchItem[PatchDirective]?.GetValue<string>();
            if (directive == "delete")
            {
                if (index >= 0)
                {
                    result.RemoveAt(index);
                }

                continue;
            }

            if (index < 0)
            {
                result.Add(Clean(patchItem));
                continue;
            }

            var merged = MergeMap((JsonObject)result[index]!, patchItem, field.Definition);
            if (merged is null)
            {
                result.RemoveAt(index);
            }
            else
            {
                result[index] = merged;
            }
        }

        return new JsonArray(result.ToArray());
    }

    /// <summary>
    /// $setElementOrder: the listed items in the listed order, then the items the patch did not
    /// mention (someone else's) in the order they had.
    /// </summary>
    private static JsonArray Reorder(JsonArray list, JsonArray order, string? mergeKey)
    {
        bool Same(JsonNode? item, JsonNode? entry) => mergeKey is not null && item is JsonObject o && entry is JsonObject e
            ? JsonNode.DeepEquals(o[mergeKey], e[mergeKey])
            : JsonNode.DeepEquals(item, entry);

        var items = list.Select(i => i?.DeepClone()).ToList();
        var ordered = new List<JsonNode?>();
        foreach (var entry in order)
        {
            var index = items.FindIndex(i => Same(i, entry));
            if (index >= 0)
            {
                ordered.Add(items[index]);
                items.RemoveAt(index);
            }
        }

        ordered.AddRange(items);
        return new JsonArray(ordered.ToArray());
    }

    /// <summary>A patch value with its directives removed (what it means when nothing is there to merge with).</summary>
    private static JsonNode? Clean(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                if (o[PatchDirective]?.GetValue<string>() == "delete")
                {
                    return null;
                }

                var clean = new JsonObject();
                foreach (var (key, value) in o)
                {
                    if (key.StartsWith('$'))
                    {
                        continue;
                    }

                    // A null in a patch deletes; with nothing to delete from, the key is simply absent.
                    if (value is null)
                    {
                        continue;
                    }

                    var v = Clean(value);
                    if (v is not null)
                    {
                        clean[key] = v;
                    }
                }

                return clean;
            case JsonArray a:
                return new JsonArray(a
                    .Where(i => !(i is JsonObject io && io[PatchDirective] is not null))
                    .Select(Clean)
                    .Where(i => i is not null)
                    .ToArray());
            default:
                return node?.DeepClone();
        }
    }
}
