using System.Text.Json;
using System.Text.Json.Nodes;

namespace ApiExtensions.Schema;

/// <summary>Equality of decoded JSON values as kube's Go code sees them.</summary>
internal static class JsonEquality
{
    /// <summary>reflect.DeepEqual of two decoded values: an int64 and a float64 differ even when numerically equal.</summary>
    public static bool DeepEquals(JsonNode? a, JsonNode? b)
    {
        switch (a, b)
        {
            case (null, null):
                return true;
            case (null, _) or (_, null):
                return false;
            case (JsonObject x, JsonObject y):
                if (x.Count != y.Count)
                {
                    return false;
                }
                foreach (var (key, value) in x)
                {
                    if (!y.TryGetPropertyValue(key, out var other) || !DeepEquals(value, other))
                    {
                        return false;
                    }
                }
                return true;
            case (JsonArray x, JsonArray y):
                if (x.Count != y.Count)
                {
                    return false;
                }
                for (var i = 0; i < x.Count; i++)
                {
                    if (!DeepEquals(x[i], y[i]))
                    {
                        return false;
                    }
                }
                return true;
            case (JsonValue x, JsonValue y):
                return ScalarEquals(x, y, numericAcrossKinds: false);
            default:
                return false;
        }
    }

    /// <summary>kube-openapi's enum match: the value converted to the enum entry's type, then compared.</summary>
    public static bool EnumEquals(JsonNode data, JsonNode? enumValue) => (data, enumValue) switch
    {
        (JsonValue x, JsonValue y) => ScalarEquals(x, y, numericAcrossKinds: true),
        (_, null) => false,
        _ => DeepEquals(data, enumValue),
    };

    private static bool ScalarEquals(JsonValue x, JsonValue y, bool numericAcrossKinds)
    {
        var kx = x.GetValueKind();
        var ky = y.GetValueKind();
        if (kx != ky)
        {
            return false;
        }
        switch (kx)
        {
            case JsonValueKind.String:
                return x.GetValue<string>() == y.GetValue<string>();
            case JsonValueKind.Number:
            {
                var xi = x.TryGetValue<long>(out var xl);
                var yi = y.TryGetValue<long>(out var yl);
                if (xi && yi)
                {
                    return xl == yl;
                }
                if (xi != yi && !numericAcrossKinds)
                {
                    return false;
                }
                return x.GetValue<double>() == y.GetValue<double>();
            }
            default:
                return true; // true/true, false/false, null/null
        }
    }
}
