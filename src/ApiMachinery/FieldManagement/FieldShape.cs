using ApiMachinery.Schema;

namespace ApiMachinery.FieldManagement;

/// <summary>How field management sees a value: which parts of it can be owned separately.</summary>
public enum ShapeKind
{
    /// <summary>Owned as a whole: scalars, atomic lists and maps, free-form objects.</summary>
    Leaf,

    /// <summary>An object with declared fields; each field is owned on its own.</summary>
    Struct,

    /// <summary>A map with free keys (labels); each entry is owned on its own.</summary>
    Map,

    /// <summary>A list whose items are identified by key fields (containers by name).</summary>
    KeyedList,

    /// <summary>A list of distinct scalars (finalizers); each value is owned on its own.</summary>
    SetList,

    /// <summary>No schema (custom resources): objects are maps, lists are atomic.</summary>
    Untyped,
}

/// <summary>
/// The shape of a value at one place of a kind's schema, derived from the schema facts the way
/// structured-merge-diff derives its types from OpenAPI: <c>x-kubernetes-list-type</c> and
/// <c>-list-map-keys</c>, else the patch strategy and merge key; <c>x-kubernetes-map-type: atomic</c>.
/// </summary>
public sealed class FieldShape
{
    public static readonly FieldShape Leaf = new(ShapeKind.Leaf);

    public static readonly FieldShape Untyped = new(ShapeKind.Untyped);

    private readonly FieldSchema? _field;

    private FieldShape(ShapeKind kind, DefinitionSchema? definition = null, FieldSchema? field = null, IReadOnlyList<string>? keys = null)
    {
        Kind = kind;
        Definition = definition;
        _field = field;
        Keys = keys ?? [];
    }

    public ShapeKind Kind { get; }

    /// <summary>The struct's definition.</summary>
    public DefinitionSchema? Definition { get; }

    /// <summary>The key fields of a keyed list.</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>The shape of a kind's whole object (untyped without facts).</summary>
    public static FieldShape Of(DefinitionSchema? definition)
    {
        if (definition is null)
        {
            return Untyped;
        }

        if (!definition.IsObject || definition.MapType == "atomic" || definition.Fields.Count == 0)
        {
            // Quantity, Time, IntOrString, RawExtension, atomic structs (LabelSelector).
            return Leaf;
        }

        return new FieldShape(ShapeKind.Struct, definition);
    }

    /// <summary>The shape of a struct's field <paramref name="name"/>; a field the schema lacks is a leaf.</summary>
    public FieldShape FieldOf(string name)
    {
        if (Kind == ShapeKind.Untyped)
        {
            return Untyped;
        }

        if (Definition?.Field(name) is not { } field)
        {
            return Leaf;
        }

        return field.Kind switch
        {
            FieldKind.Ref => field.MapType == "atomic" ? Leaf : Of(field.Definition),
            FieldKind.Map => field.MapType == "atomic" ? Leaf : new FieldShape(ShapeKind.Map, field: field),
            FieldKind.Array => ListOf(field),
            _ => Leaf,
        };
    }

    /// <summary>The shape of a map's values or a list's items.</summary>
    public FieldShape Element()
    {
        if (Kind == ShapeKind.Untyped)
        {
            return Untyped;
        }

        if (_field is null)
        {
            return Leaf;
        }

        return _field.ElementKind == FieldKind.Ref ? Of(_field.Definition) : Leaf;
    }

    private static FieldShape ListOf(FieldSchema field)
    {
        var listType = field.ListType;
        if (listType is null)
        {
            // No list type: the patch strategy decides, as structured-merge-diff's OpenAPI conversion does.
            listType = field.HasStrategy("merge")
                ? field.MergeKey is null ? "set" : "map"
                : "atomic";
        }

        return listType switch
        {
            "map" => new FieldShape(ShapeKind.KeyedList, field: field,
                keys: field.ListMapKeys.Count > 0 ? field.ListMapKeys : field.MergeKey is { } key ? [key] : []),
            "set" when field.ElementKind != FieldKind.Ref => new FieldShape(ShapeKind.SetList, field: field),
            _ => Leaf,
        };
    }
}
