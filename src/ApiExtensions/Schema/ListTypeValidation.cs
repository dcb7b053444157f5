using System.Text.Json.Nodes;
using ApiMachinery.Validation;

namespace ApiExtensions.Schema;

/// <summary>
/// The uniqueness invariants of x-kubernetes-list-type (listtype.ValidateListSetsAndMaps): a set has no repeated
/// item, a map has no two items with the same key values; each repeat is a Duplicate error at its index.
/// </summary>
internal static class ListTypeValidation
{
    public static void Validate(JsonObject obj, SchemaNode s, FieldPath? path, List<FieldError> errors)
    {
        foreach (var (key, value) in obj)
        {
            if (s.Property(key) is { } prop)
            {
                ValidateValue(value, prop, Child(path, key), errors);
            }
            else if (s.AdditionalProperties is { } ap)
            {
                ValidateValue(value, ap, path is null ? FieldPath.New(key) : path.Key(key), errors);
            }
        }
    }

    private static FieldPath Child(FieldPath? path, string name) => path is null ? FieldPath.New(name) : path.Child(name);

    private static void ValidateValue(JsonNode? value, SchemaNode s, FieldPath path, List<FieldError> errors)
    {
        switch (value)
        {
            case JsonArray a:
                ValidateArray(a, s, path, errors);
                break;
            case JsonObject o:
                Validate(o, s, path, errors);
                break;
        }
    }

    private static void ValidateArray(JsonArray a, SchemaNode s, FieldPath path, List<FieldError> errors)
    {
        switch (s.XListType)
        {
            case "set":
                if (a.Count > 1)
                {
                    foreach (var i in NonUnique(a.Count, (x, y) => JsonEquality.DeepEquals(a[x], a[y]), i => Canonical(a[i])))
                    {
                        errors.Add(FieldError.Duplicate(path.Index(i), OpenApiError.ToClr(a[i])));
                    }
                }
                break;
            case "map":
                ValidateListMap(a, s, path, errors);
                break;
        }
        if (s.Items is { } items)
        {
            for (var i = 0; i < a.Count; i++)
            {
                ValidateValue(a[i], items, path.Index(i), errors);
            }
        }
    }

    private static void ValidateListMap(JsonArray a, SchemaNode s, FieldPath path, List<FieldError> errors)
    {
        for (var i = 0; i < a.Count; i++)
        {
            if (a[i] is not null and not JsonObject)
            {
                errors.Add(FieldError.Invalid(path.Index(i), OpenApiError.ToClr(a[i]), "must be an object for an array of list-type map"));
                return;
            }
        }
        if (a.Count <= 1)
        {
            return;
        }
        var keyFields = s.XListMapKeys ?? [];
        bool SameKeys(int x, int y)
        {
            var ox = a[x] as JsonObject;
            var oy = a[y] as JsonObject;
            foreach (var k in keyFields)
            {
                JsonNode? vx = null;
                JsonNode? vy = null;
                var hx = ox is not null && ox.TryGetPropertyValue(k, out vx);
                var hy = oy is not null && oy.TryGetPropertyValue(k, out vy);
                if (hx != hy || (hx && !JsonEquality.DeepEquals(vx, vy)))
                {
                    return false;
                }
            }
            return true;
        }
        JsonObject KeyOf(int i)
        {
            var key = new JsonObject();
            if (a[i] is JsonObject o)
            {
                foreach (var k in keyFields)
                {
                    if (o.TryGetPropertyValue(k, out var kv))
                    {
                        key[k] = kv?.DeepClone();
                    }
                }
            }
            return key;
        }
        foreach (var i in NonUnique(a.Count, SameKeys, i => Canonical(KeyOf(i))))
        {
            errors.Add(FieldError.Duplicate(path.Index(i), KeyOf(i)));
        }
    }

    // The index of the second occurrence of each repeated value (validateListSet): pairwise for short lists
    // (no allocation), by a canonical text for long ones.
    private static List<int> NonUnique(int count, Func<int, int, bool> equal, Func<int, string> canonical)
    {
        var result = new List<int>();
        if (count <= 1)
        {
            return result;
        }
        if (count <= 32)
        {
            for (var i = 1; i < count; i++)
            {
                var earlier = 0;
                for (var j = 0; j < i; j++)
                {
                    if (equal(i, j))
                    {
                        earlier++;
                    }
                }
                if (earlier == 1)
                {
                    result.Add(i);
                }
            }
            return result;
        }
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var text = canonical(i);
            if (seen.TryGetValue(text, out var times))
            {
                seen[text] = times + 1;
                if (times == 1)
                {
                    result.Add(i);
                }
            }
            else
            {
                seen[text] = 1;
            }
        }
        return result;
    }

    // A text equal for equal decoded values: keys sorted (as Go's json.Marshal of a map), numbers kind-tagged.
    private static string Canonical(JsonNode? v)
    {
        switch (v)
        {
            case null:
                return "null";
            case JsonObject o:
                return "{" + string.Join(",", o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => System.Text.Json.JsonSerializer.Serialize(p.Key) + ":" + Canonical(p.Value))) + "}";
            case JsonArray a:
                return "[" + string.Join(",", a.Select(Canonical)) + "]";
            default:
                var value = (JsonValue)v;
                if (value.GetValueKind() == System.Text.Json.JsonValueKind.Number)
                {
                    return value.TryGetValue<long>(out var l) ? "i" + l : "f" + value.GetValue<double>().ToString("R", System.Globalization.CultureInfo.InvariantCulture);
                }
                return value.ToJsonString();
        }
    }
}
