namespace ApiExtensions.Cel;

public enum CelTypeKind
{
    Dyn,
    Null,
    Bool,
    Int,
    Uint,
    Double,
    String,
    Bytes,
    Duration,
    Timestamp,
    List,
    Map,
    /// <summary>The type of a type value (<c>type(x)</c>, <c>int</c>).</summary>
    Type,
    Optional,
    /// <summary>An object whose fields are declared (a schema with properties).</summary>
    Object,
    /// <summary>A library type (Quantity, URL, IP, CIDR, ...).</summary>
    Opaque,
    /// <summary>A type parameter in an overload signature (<c>A</c> in <c>list(A)</c>).</summary>
    TypeParam,
    Error,
}

/// <summary>A CEL type as the checker sees it.</summary>
public sealed class CelType
{
    public static readonly CelType Dyn = new(CelTypeKind.Dyn, "dyn");
    public static readonly CelType Null = new(CelTypeKind.Null, "null_type");
    public static readonly CelType Bool = new(CelTypeKind.Bool, "bool");
    public static readonly CelType Int = new(CelTypeKind.Int, "int");
    public static readonly CelType Uint = new(CelTypeKind.Uint, "uint");
    public static readonly CelType Double = new(CelTypeKind.Double, "double");
    public static readonly CelType String = new(CelTypeKind.String, "string");
    public static readonly CelType Bytes = new(CelTypeKind.Bytes, "bytes");
    public static readonly CelType Duration = new(CelTypeKind.Duration, "google.protobuf.Duration");
    public static readonly CelType Timestamp = new(CelTypeKind.Timestamp, "google.protobuf.Timestamp");
    public static readonly CelType Error = new(CelTypeKind.Error, "*error*");
    public static readonly CelType TypeOfDyn = new(CelTypeKind.Type, "type", [Dyn]);
    public static readonly CelType ListOfDyn = List(Dyn);
    public static readonly CelType MapOfDyn = Map(Dyn, Dyn);

    private CelType(CelTypeKind kind, string name, CelType[]? parameters = null, ObjectType? obj = null)
    {
        Kind = kind;
        Name = name;
        Parameters = parameters ?? [];
        Object = obj;
    }

    public CelTypeKind Kind { get; }

    /// <summary>The most elements (characters, bytes, items, entries) a value of this type can have, when a schema
    /// bounds it; used by the cost estimator.</summary>
    public ulong? MaxSize { get; private init; }

    /// <summary>This type with a size bound (a distinct instance; the type is otherwise the same).</summary>
    public CelType WithMaxSize(ulong maxSize) => new(Kind, Name, (CelType[])Parameters, Object) { MaxSize = maxSize };

    public string Name { get; }

    public IReadOnlyList<CelType> Parameters { get; }

    /// <summary>The declared fields of an object type.</summary>
    public ObjectType? Object { get; }

    public CelType Elem => Parameters[0];

    public CelType Key => Parameters[0];

    public CelType Value => Parameters[1];

    public static CelType List(CelType elem) => new(CelTypeKind.List, "list", [elem]);

    public static CelType Map(CelType key, CelType value) => new(CelTypeKind.Map, "map", [key, value]);

    public static CelType TypeOf(CelType t) => new(CelTypeKind.Type, "type", [t]);

    public static CelType Optional(CelType t) => new(CelTypeKind.Optional, "optional_type", [t]);

    public static CelType Opaque(string name, params CelType[] parameters) => new(CelTypeKind.Opaque, name, parameters);

    public static CelType Param(string name) => new(CelTypeKind.TypeParam, name);

    public static CelType ObjectOf(ObjectType obj) => new(CelTypeKind.Object, obj.Name, null, obj);

    public bool IsDyn => Kind == CelTypeKind.Dyn;

    /// <summary>The name of the type as <c>type()</c> reports it at run time (its runtime type).</summary>
    public string RuntimeName => Kind switch
    {
        CelTypeKind.List => "list",
        CelTypeKind.Map => "map",
        CelTypeKind.Object => "map",
        CelTypeKind.Type => "type",
        _ => Name,
    };

    public override string ToString() => Kind switch
    {
        CelTypeKind.List => $"list({Elem})",
        CelTypeKind.Map => $"map({Key}, {Value})",
        CelTypeKind.Type => Parameters.Count > 0 ? $"type({Parameters[0]})" : "type",
        CelTypeKind.Optional => $"optional_type({Parameters[0]})",
        CelTypeKind.Opaque when Parameters.Count > 0 => $"{Name}({string.Join(", ", Parameters)})",
        _ => Name,
    };

    public bool SameAs(CelType other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }
        if (Kind != other.Kind || Name != other.Name || Parameters.Count != other.Parameters.Count)
        {
            return false;
        }
        if (Kind == CelTypeKind.Object)
        {
            return ReferenceEquals(Object, other.Object);
        }
        for (var i = 0; i < Parameters.Count; i++)
        {
            if (!Parameters[i].SameAs(other.Parameters[i]))
            {
                return false;
            }
        }
        return true;
    }
}

/// <summary>The fields of an object type (from a schema's properties), by their CEL (escaped) names.</summary>
public sealed class ObjectType(string name)
{
    public string Name { get; } = name;

    public Dictionary<string, CelType> Fields { get; } = new(StringComparer.Ordinal);

    /// <summary>Schema-derived size bounds for cost estimation, by field (max elements of lists, maps, strings).</summary>
    public Dictionary<string, ulong> FieldMaxSizes { get; } = new(StringComparer.Ordinal);
}
