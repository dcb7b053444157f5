using System.Text.Json.Nodes;

namespace ApiExtensions.Schema;

/// <summary>
/// Structural defaulting (apiextensions defaulting.Default): an absent field, or a null where the schema is not
/// nullable, gets a copy of its schema's default; then the walk goes on into the (possibly new) value.
/// </summary>
internal static class Defaulting
{
    public static void Default(JsonNode? x, SchemaNode? s)
    {
        if (s is null)
        {
            return;
        }
        switch (x)
        {
            case JsonObject o:
                if (s.PropertyList is { } props)
                {
                    foreach (var (name, prop) in props)
                    {
                        if (prop.Default is null)
                        {
                            continue;
                        }
                        if (!o.TryGetPropertyValue(name, out var current) || (current is null && !prop.Nullable))
                        {
                            o[name] = prop.Default.DeepClone();
                        }
                    }
                }
                if (s.PropertyList is not null || s.AdditionalProperties is not null)
                {
                    List<(string Key, JsonNode Value)>? replace = null;
                    foreach (var (key, value) in o)
                    {
                        if (s.Property(key) is { } prop)
                        {
                            Default(value, prop);
                        }
                        else if (s.AdditionalProperties is { } ap)
                        {
                            if (value is null && !ap.Nullable && ap.Default is not null)
                            {
                                (replace ??= []).Add((key, ap.Default.DeepClone()));
                            }
                            else
                            {
                                Default(value, ap);
                            }
                        }
                    }
                    if (replace is not null)
                    {
                        foreach (var (key, value) in replace)
                        {
                            o[key] = value;
                            Default(value, s.AdditionalProperties);
                        }
                    }
                }
                break;
            case JsonArray a when s.Items is { } items:
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is null && !items.Nullable && items.Default is not null)
                    {
                        a[i] = items.Default.DeepClone();
                    }
                    Default(a[i], items);
                }
                break;
        }
    }

    /// <summary>Whether any node of the schema has a default (to skip the walk entirely when none does).</summary>
    public static bool HasDefaults(SchemaNode s)
    {
        if (s.Default is not null)
        {
            return true;
        }
        if (s.PropertyList is { } props)
        {
            foreach (var (_, p) in props)
            {
                if (HasDefaults(p))
                {
                    return true;
                }
            }
        }
        return (s.Items is not null && HasDefaults(s.Items)) || (s.AdditionalProperties is not null && HasDefaults(s.AdditionalProperties));
    }
}
