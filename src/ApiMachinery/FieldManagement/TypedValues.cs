using System.Text.Json.Nodes;

namespace ApiMachinery.FieldManagement;

/// <summary>What changed between two versions of an object, as field paths.</summary>
public sealed class Comparison
{
    public FieldSet Added { get; } = new();

    public FieldSet Modified { get; } = new();

    public FieldSet Removed { get; } = new();

    /// <summary>Added and modified together; one of them itself when the other is empty (as on a create), else a new set.</summary>
    public FieldSet AddedOrModified => Modified.IsEmpty ? Added : Added.IsEmpty ? Modified : Added.Union(Modified);
}

/// <summary>
/// The operations of structured-merge-diff on JSON objects typed by their <see cref="FieldShape"/>:
/// the field set an object holds, what changed between two objects, the merge of an applied
/// configuration into the live object, and pruning what an applier dropped.
/// </summary>
public static class TypedValues
{
    /// <summary>The fields <paramref name="value"/> sets: scalars, atomic values, map entries and list items.</summary>
    public static FieldSet ToFieldSet(JsonNode? value, FieldShape shape)
    {
        var set = new FieldSet();
        Collect(value, shape, [], set);
        return set;
    }

    private static void Collect(JsonNode? value, FieldShape shape, List<string> path, FieldSet set)
    {
        switch (EffectiveKind(value, shape))
        {
            case ShapeKind.Struct or ShapeKind.Map or ShapeKind.Untyped:
                foreach (var (key, child) in (JsonObject)value!)
                {
                    var childShape = ChildShape(shape, key);
                    path.Add(shape.FieldElement(key));
                    Collect(child, childShape, path, set);
                    // An entry of a free-keyed map, an empty object and null are owned themselves.
                    if (child is null || child is JsonObject { Count: 0 } || shape.Kind != ShapeKind.Struct || shape.Definition?.Field(key) is null)
                    {
                        set.Insert(path);
                    }

                    path.RemoveAt(path.Count - 1);
                }

                break;
            case ShapeKind.KeyedList or ShapeKind.SetList:
                var element = shape.Element();
                var items = (JsonArray)value!;
                for (var i = 0; i < items.Count; i++)
                {
                    path.Add(ItemElement(items[i], i, shape));
                    Collect(items[i], element, path, set);
                    set.Insert(path);
                    path.RemoveAt(path.Count - 1);
                }

                break;
            default:
                if (path.Count > 0)
                {
                    set.Insert(path);
                }

                break;
        }
    }

    /// <summary>
    /// What changed from <paramref name="lhs"/> to <paramref name="rhs"/>: leaves added, modified and
    /// removed, plus the map entries and list items that appeared or disappeared as a whole.
    /// </summary>
    /// <param name="exclude">paths not compared at all, with everything below them (fields no one owns).</param>
    public static Comparison Compare(JsonNode? lhs, JsonNode? rhs, FieldShape shape, FieldSet? exclude = null)
    {
        var comparison = new Comparison();
        Compare(lhs, true, rhs, true, shape, [], comparison, owned: false, exclude);
        return comparison;
    }

    private static void Compare(
        JsonNode? lhs, bool hasLhs, JsonNode? rhs, bool hasRhs, FieldShape shape, List<string> path, Comparison c, bool owned, FieldSet? exclude)
    {
        var kind = hasRhs ? EffectiveKind(rhs, shape) : EffectiveKind(lhs, shape);
        if (hasLhs && hasRhs && EffectiveKind(lhs, shape) != kind)
        {
            kind = ShapeKind.Leaf;
        }

        var bothEmpty = (!hasLhs || IsEmptyContainer(lhs)) && (!hasRhs || IsEmptyContainer(rhs));
        if (kind is ShapeKind.Leaf || bothEmpty)
        {
            Record(hasLhs, hasRhs, !hasLhs || !hasRhs || !JsonNode.DeepEquals(lhs, rhs), path, c);
            return;
        }

        if (kind is ShapeKind.Struct or ShapeKind.Map or ShapeKind.Untyped)
        {
            var l = hasLhs ? (JsonObject)lhs! : null;
            var r = hasRhs ? (JsonObject)rhs! : null;
            foreach (var key in Keys(l, r))
            {
                var pe = shape.FieldElement(key);
                var childExclude = exclude?.Get(pe);
                if (childExclude?.IsMember == true)
                {
                    continue;
                }

                JsonNode? lv = null, rv = null;
                var inL = l?.TryGetPropertyValue(key, out lv) == true;
                var inR = r?.TryGetPropertyValue(key, out rv) == true;
                path.Add(pe);
                var childShape = ChildShape(shape, key);
                Compare(lv, inL, rv, inR, childShape, path, c, OwnedWhenAdded(shape, key, childShape), childExclude);
                path.RemoveAt(path.Count - 1);
            }
        }
        else
        {
            var element = shape.Element();
            var left = hasLhs ? Index((JsonArray)lhs!, shape) : [];
            var right = hasRhs ? Index((JsonArray)rhs!, shape) : [];
            foreach (var pe in left.Keys.Concat(right.Keys.Where(k => !left.ContainsKey(k))))
            {
                var inL = left.TryGetValue(pe, out var lv);
                var inR = right.TryGetValue(pe, out var rv);
                path.Add(pe);
                Compare(lv, inL, rv, inR, element, path, c, owned: true, exclude: null);
                path.RemoveAt(path.Count - 1);
            }
        }

        // A map entry or list item that appeared or went away is itself added or removed, and so is
        // an optional map or list; a struct field is not (its Go zero value is always there).
        if (owned && path.Count > 0)
        {
            Record(hasLhs, hasRhs, false, path, c);
        }
    }

    private static void Record(bool hasLhs, bool hasRhs, bool differs, List<string> path, Comparison c)
    {
        if (path.Count == 0)
        {
            return;
        }

        if (!hasLhs)
        {
            c.Added.Insert(path);
        }
        else if (!hasRhs)
        {
            c.Removed.Insert(path);
        }
        else if (differs)
        {
            c.Modified.Insert(path);
        }
    }

    /// <summary>
    /// The live object with the applied configuration merged in: structs and maps field by field,
    /// keyed lists item by item (new items after their predecessor in the configuration), sets as
    /// unions, leaves and atomic values replaced. A null in the configuration removes the field.
    /// </summary>
    public static JsonNode? Merge(JsonNode? live, JsonNode? applied, FieldShape shape)
    {
        var kind = EffectiveKind(applied, shape);
        if (live is null || kind != EffectiveKind(live, shape))
        {
            return applied?.DeepClone();
        }

        switch (kind)
        {
            case ShapeKind.Struct or ShapeKind.Map or ShapeKind.Untyped:
                var result = (JsonObject)live.DeepClone();
                foreach (var (key, value) in (JsonObject)applied!)
                {
                    if (value is null)
                    {
                        result.Remove(key);
                        continue;
                    }

                    var merged = Merge(result[key], value, ChildShape(shape, key));
                    result[key] = merged;
                }

                return result;
            case ShapeKind.KeyedList or ShapeKind.SetList:
                return MergeList((JsonArray)live, (JsonArray)applied!, shape);
            default:
                return applied?.DeepClone();
        }
    }

    private static JsonArray MergeList(JsonArray live, JsonArray applied, FieldShape shape)
    {
        var element = shape.Element();
        var result = new List<(string Element, JsonNode? Value)>();
        for (var i = 0; i < live.Count; i++)
        {
            result.Add((ItemElement(live[i], i, shape), live[i]?.DeepClone()));
        }

        var lastPosition = -1;
        for (var i = 0; i < applied.Count; i++)
        {
            var pe = ItemElement(applied[i], i, shape);
            var at = result.FindIndex(r => r.Element == pe);
            if (at >= 0)
            {
                result[at] = (pe, shape.Kind == ShapeKind.SetList ? result[at].Value : Merge(result[at].Value, applied[i], element));
                lastPosition = at;
            }
            else
            {
                // A new item goes after the configuration's previous item, or before its first shared one.
                var position = lastPosition >= 0
                    ? lastPosition + 1
                    : FirstShared(result, applied, shape) is var first && first >= 0 ? first : result.Count;
                result.Insert(position, (pe, applied[i]?.DeepClone()));
                lastPosition = position;
            }
        }

        return new JsonArray(result.Select(r => r.Value).ToArray());

        static int FirstShared(List<(string Element, JsonNode? Value)> result, JsonArray applied, FieldShape shape)
        {
            var elements = applied.Select((item, i) => ItemElement(item, i, shape)).ToHashSet(StringComparer.Ordinal);
            return result.FindIndex(r => elements.Contains(r.Element));
        }
    }

    /// <summary>
    /// Removes from <paramref name="value"/> what the applier applied last time (<paramref name="last"/>)
    /// and no longer applies (<paramref name="applied"/>), unless another manager owns it or something in it
    /// (<paramref name="others"/>). A list item or map entry someone else owns a part of stays whole.
    /// </summary>
    public static void Prune(JsonNode? value, FieldShape shape, FieldSet last, FieldSet? applied, FieldSet? others)
    {
        var kind = EffectiveKind(value, shape);
        foreach (var (pe, lastChild) in last.Children)
        {
            var appliedChild = applied?.Get(pe);
            var otherChild = others?.Get(pe);
            var stillApplied = appliedChild is not null && !appliedChild.IsEmpty;
            var ownedByOthers = otherChild is not null && !otherChild.IsEmpty;
            if (kind is ShapeKind.Struct or ShapeKind.Map or ShapeKind.Untyped && pe.StartsWith("f:", StringComparison.Ordinal))
            {
                var obj = (JsonObject)value!;
                var key = pe[2..];
                if (!obj.ContainsKey(key))
                {
                    continue;
                }

                var isEntry = shape.Kind != ShapeKind.Struct || shape.Definition?.Field(key) is null;
                if (!stillApplied && !ownedByOthers)
                {
                    obj.Remove(key);
                }
                else if (stillApplied || !isEntry)
                {
                    Prune(obj[key], ChildShape(shape, key), lastChild, appliedChild, otherChild);
                }
            }
            else if (kind is ShapeKind.KeyedList or ShapeKind.SetList)
            {
                var list = (JsonArray)value!;
                var at = IndexOf(list, pe, shape);
                if (at < 0)
                {
                    continue;
                }

                if (!stillApplied && !ownedByOthers)
                {
                    list.RemoveAt(at);
                }
                else if (stillApplied)
                {
                    Prune(list[at], shape.Element(), lastChild, appliedChild, otherChild);
                }
            }
        }
    }

    /// <summary>
    /// Whether a field that appears is owned itself, beyond its contents: kube compares against the
    /// Go zero value of the kind, where optional maps and lists are absent (so their appearance is a
    /// change) and required ones and nested structs are present.
    /// </summary>
    private static bool OwnedWhenAdded(FieldShape parent, string key, FieldShape child)
    {
        if (parent.Kind != ShapeKind.Struct || parent.Definition?.Field(key) is not { } field)
        {
            return true;
        }

        return child.Kind is ShapeKind.Map or ShapeKind.KeyedList or ShapeKind.SetList && !field.Required;
    }

    /// <summary>A value that is not the container its shape expects is owned as a leaf.</summary>
    private static ShapeKind EffectiveKind(JsonNode? value, FieldShape shape) => shape.Kind switch
    {
        ShapeKind.Struct or ShapeKind.Map or ShapeKind.Untyped when value is JsonObject => shape.Kind,
        ShapeKind.KeyedList or ShapeKind.SetList when value is JsonArray => shape.Kind,
        _ => ShapeKind.Leaf,
    };

    private static FieldShape ChildShape(FieldShape shape, string key) =>
        shape.Kind == ShapeKind.Struct ? shape.FieldOf(key) : shape.Element();

    private static bool IsEmptyContainer(JsonNode? value) =>
        value is null || value is JsonObject { Count: 0 } || value is JsonArray { Count: 0 };

    /// <summary>The left object's keys, then the right one's that the left lacks.</summary>
    private static IEnumerable<string> Keys(JsonObject? l, JsonObject? r)
    {
        if (l is not null)
        {
            foreach (var (key, _) in l)
            {
                yield return key;
            }
        }

        if (r is not null)
        {
            foreach (var (key, _) in r)
            {
                if (l is null || !l.ContainsKey(key))
                {
                    yield return key;
                }
            }
        }
    }

    /// <summary>A list's items by path element (the first of duplicates wins).</summary>
    private static Dictionary<string, JsonNode?> Index(JsonArray list, FieldShape shape)
    {
        var items = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        for (var i = 0; i < list.Count; i++)
        {
            items.TryAdd(ItemElement(list[i], i, shape), list[i]);
        }

        return items;
    }

    private static int IndexOf(JsonArray list, string pe, FieldShape shape)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (ItemElement(list[i], i, shape) == pe)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// How a list item is named in a path: by its key fields (a missing <c>protocol</c> key is TCP,
    /// the schema's default), by its value in a set, else by its index.
    /// </summary>
    public static string ItemElement(JsonNode? item, int index, FieldShape shape)
    {
        if (shape.Kind == ShapeKind.SetList)
        {
            return PathElements.Value(item);
        }

        if (shape.Kind == ShapeKind.KeyedList && item is JsonObject obj && shape.Keys.Count > 0)
        {
            var fields = new List<KeyValuePair<string, JsonNode?>>();
            foreach (var key in shape.Keys)
            {
                if (obj[key] is { } value)
                {
                    fields.Add(new(key, value));
                }
                else if (key == "protocol")
                {
                    fields.Add(new(key, JsonValue.Create("TCP")));
                }
            }

            if (fields.Count > 0)
            {
                return PathElements.Key(fields);
            }
        }

        return PathElements.Index(index);
    }
}

/// <summary>Set operations field management needs beyond <see cref="FieldSet"/>'s own.</summary>
public static class FieldManagerSets
{
    /// <summary>The members of <paramref name="set"/> that are not in <paramref name="ignored"/> nor below one of its members.</summary>
    public static FieldSet RecursiveDifference(FieldSet set, FieldSet? ignored)
    {
        if (ignored is null)
        {
            return set.Clone();
        }

        if (ignored.IsMember)
        {
            return new FieldSet();
        }

        var result = new FieldSet { IsMember = set.IsMember };
        foreach (var (pe, child) in set.Children)
        {
            var rest = RecursiveDifference(child, ignored.Get(pe));
            if (!rest.IsEmpty)
            {
                result.Child(pe).UnionWith(rest);
            }
        }

        return result;
    }
}
