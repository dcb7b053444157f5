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

    /// <summary>One struct shape per definition, shared by every write of every kind that uses it.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<DefinitionSchema, FieldShape> StructShapes = [];

    private readonly FieldSchema? _field;

    /// <summary>
    /// A struct's declared fields, each with its shape and its path element (<c>f:name</c>), made on
    /// first use. Field management walks every field of every write; without this each step
    /// allocated a shape and a string. Bounded by the schema: undeclared names are not kept.
    /// </summary>
    private System.Collections.Concurrent.ConcurrentDictionary<string, (FieldShape Shape, string Element)>? _declared;

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

        return StructShapes.GetValue(definition, static d => new FieldShape(ShapeKind.Struct, d));
    }

    /// <summary>The shape of a struct's field <paramref name="name"/>; a field the schema lacks is a leaf.</summary>
    public FieldShape FieldOf(string name)
    {
        if (Kind == ShapeKind.Untyped)
        {
            return Untyped;
        }

        return Declared(name)?.Shape ?? Leaf;
    }

    /// <summary>The path element of a struct's field or a map's key: <c>f:name</c>, shared for declared fields.</summary>
    public string FieldElement(string name) => Declared(name)?.Element ?? PathElements.Field(name);

    private (FieldShape Shape, string Element)? Declared(string name)
    {
        if (Kind != ShapeKind.Struct || Definition?.Field(name) is not { } field)
        {
            return null;
        }

        var declared = _declared;
        if (declared is null)
        {
            declared = new(StringComparer.Ordinal);
            declared = Interlocked.CompareExchange(ref _declared, declared, null) ?? declared;
        }

        if (declared.TryGetValue(name, out var known))
        {
            return known;
        }

        var shape = field.Kind switch
        {
            FieldKind.Ref => field.MapType == "atomic" ? Leaf : Of(field.Definition),
            FieldKind.Map => field.MapType == "atomic" ? Leaf : new FieldShape(ShapeKind.Map, field: field),
            FieldKind.Array => ListOf(field),
            _ => Leaf,
        };
        return declared.GetOrAdd(name, (shape, PathElements.Field(name)));
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
