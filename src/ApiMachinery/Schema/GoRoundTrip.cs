using System.Text.Json;
using System.Text.Json.Nodes;

namespace ApiMachinery.Schema;

/// <summary>
/// Gives an object the shape kube-apiserver's decode into Go structs and encode back gives it. Go's
/// encoding/json always writes a non-pointer struct ({} at least: omitempty never omits a struct), writes
/// fields without omitempty with their zero value ("", 0, false, null for nil pointers, slices and maps,
/// null for a zero metav1.Time, "0" for a zero Quantity), and omitempty drops "", 0, false and empty lists
/// and maps; a JSON null decodes to the zero value. So a new Node comes back with
/// <c>spec: {}</c> and <c>status: {daemonEndpoints: {kubeletEndpoint: {Port: 0}}, nodeInfo: {machineID: "", ...}}</c>,
/// as typed clients expect. Fields the facts do not know, and values of the wrong JSON type (refused
/// elsewhere), are left as they are. Fields Go adds go last; the object's own order is kept.
/// </summary>
public static class GoRoundTrip
{
    /// <summary>Normalizes <paramref name="obj"/>, an object of <paramref name="type"/>, in place.</summary>
    public static void Normalize(JsonObject obj, GoStruct type) => NormalizeStruct(obj, type, 0);

    /// <summary>Normalizes an object of a built-in kind (kinds without Go facts are left alone); returns it.</summary>
    public static JsonObject NormalizeKind(JsonObject obj, string group, string version, string kind)
    {
        if (GoTypes.Builtin.ForKind(group, version, kind) is { } type)
        {
            Normalize(obj, type);
        }

        return obj;
    }

    /// <summary>Guards the recursion against pathological nesting (the facts' types nest far less).</summary>
    private const int MaxDepth = 200;

    private static void NormalizeStruct(JsonObject obj, GoStruct type, int depth)
    {
        if (depth > MaxDepth)
        {
            return;
        }

        List<string>? dropped = null;
        List<(string, JsonNode?)>? replaced = null;
        foreach (var (name, value) in obj)
        {
            if (type.Field(name) is not { } field)
            {
                continue;
            }

            switch (Present(value, field, depth))
            {
                case Outcome.Drop:
                    (dropped ??= []).Add(name);
                    break;
                case Outcome.Zero:
                    (replaced ??= []).Add((name, ZeroOf(field)));
                    break;
            }
        }

        if (dropped is not null)
        {
            foreach (var name in dropped)
            {
                obj.Remove(name);
            }
        }

        if (replaced is not null)
        {
            foreach (var (name, zero) in replaced)
            {
                obj[name] = zero;
            }
        }

        foreach (var field in type.AlwaysWritten)
        {
            if (!obj.ContainsKey(field.Name))
            {
                obj[field.Name] = ZeroOf(field);
            }
        }
    }

    private enum Outcome
    {
        Keep,
        Drop,
        /// <summary>A null where Go holds a value: its zero value instead.</summary>
        Zero,
    }

    /// <summary>What Go does with a field the object has: keeps it (normalizing what it holds), drops it, or writes its zero value.</summary>
    private static Outcome Present(JsonNode? value, GoField field, int depth)
    {
        if (value is null)
        {
            if (field.Holder != GoHolder.Value)
            {
                // A nil pointer, slice or map.
                return field.OmitEmpty || field.OmitZero ? Outcome.Drop : Outcome.Keep;
            }

            return field.AlwaysWritten ? Outcome.Zero : Outcome.Drop;
        }

        switch (field.Holder)
        {
            case GoHolder.Value:
                switch (field.Element)
                {
                    case GoElement.Struct when value is JsonObject nested:
                        NormalizeStruct(nested, field.Struct!, depth + 1);
                        return field.OmitZero && JsonNode.DeepEquals(nested, field.Struct!.Zero()) ? Outcome.Drop : Outcome.Keep;
                    case GoElement.String or GoElement.Bool or GoElement.Number or GoElement.Bytes:
                        return field.OmitEmpty && IsEmptyScalar(value) ? Outcome.Drop : Outcome.Keep;
                    default:
                        return Outcome.Keep;
                }

            case GoHolder.Pointer:
                if (field.Element == GoElement.Struct && value is JsonObject pointed)
                {
                    NormalizeStruct(pointed, field.Struct!, depth + 1);
                }

                return Outcome.Keep;
            case GoHolder.Slice when value is JsonArray items:
                if (items.Count == 0)
                {
                    return field.OmitEmpty ? Outcome.Drop : Outcome.Keep;
                }

                for (var i = 0; i < items.Count; i++)
                {
                    if (Element(items[i], field, depth) is var (replace, zero) && replace)
                    {
                        items[i] = zero;
                    }
                }

                return Outcome.Keep;
            case GoHolder.Map when value is JsonObject map:
                if (map.Count == 0)
                {
                    return field.OmitEmpty ? Outcome.Drop : Outcome.Keep;
                }

                List<string>? nulls = null;
                foreach (var (key, entry) in map)
                {
                    if (Element(entry, field, depth) is (true, _))
                    {
                        (nulls ??= []).Add(key);
                    }
                }

                if (nulls is not null)
                {
                    foreach (var key in nulls)
                    {
                        map[key] = ZeroOfElement(field.Element, field.Struct);
                    }
                }

                return Outcome.Keep;
            default:
                return Outcome.Keep;
        }
    }

    /// <summary>Normalizes a slice item or map value; a null where Go holds a value is to be replaced by its zero.</summary>
    private static (bool Replace, JsonNode? Zero) Element(JsonNode? item, GoField field, int depth)
    {
        if (item is null)
        {
            return field.ElementIsPointer || field.Element is GoElement.Any ? (false, null) : (true, ZeroOfElement(field.Element, field.Struct));
        }

        if (field.Element == GoElement.Struct && item is JsonObject nested)
        {
            NormalizeStruct(nested, field.Struct!, depth + 1);
        }

        return (false, null);
    }

    private static bool IsEmptyScalar(JsonNode value) =>
        value is JsonValue v && v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>().Length == 0,
            JsonValueKind.False => true,
            // ToJsonString, not TryGetValue<double>: a number made in memory as an int answers only TryGetValue<int>.
            JsonValueKind.Number => double.TryParse(v.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) && d == 0,
            _ => false,
        };

    /// <summary>The JSON Go writes for a field's zero value.</summary>
    public static JsonNode? ZeroOf(GoField field) =>
        field.Holder == GoHolder.Value ? ZeroOfElement(field.Element, field.Struct) : null;

    private static JsonNode? ZeroOfElement(GoElement element, GoStruct? type) => element switch
    {
        GoElement.String => JsonValue.Create(""),
        GoElement.Bool => JsonValue.Create(false),
        GoElement.Number => JsonValue.Create(0),
        GoElement.Duration => JsonValue.Create("0s"),
        GoElement.Quantity => JsonValue.Create("0"),
        GoElement.IntOrString => JsonValue.Create(0),
        GoElement.Struct => type!.Zero(),
        // Time, MicroTime, RawExtension, JSON write null for their zero values; nil []byte is null.
        _ => null,
    };
}
