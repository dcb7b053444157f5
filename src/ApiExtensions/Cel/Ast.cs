namespace ApiExtensions.Cel;

/// <summary>A node of a parsed CEL expression. <see cref="Offset"/> is its position in the source (for messages).</summary>
public abstract class Expr
{
    protected Expr(int offset)
    {
        Offset = offset;
    }

    public int Offset { get; }

    /// <summary>The type the checker gave this node (Dyn until checked).</summary>
    public CelType Type { get; internal set; } = CelType.Dyn;
}

/// <summary>A literal: long, ulong, double, string, <see cref="CelBytes"/>, bool or <see cref="CelNull"/>.</summary>
public sealed class ConstExpr(int offset, object value) : Expr(offset)
{
    public object Value { get; } = value;
}

public sealed class IdentExpr(int offset, string name) : Expr(offset)
{
    public string Name { get; } = name;
}

/// <summary><c>operand.field</c>; with <see cref="TestOnly"/> it is <c>has(operand.field)</c>; with
/// <see cref="Optional"/> it is <c>operand.?field</c>.</summary>
public sealed class SelectExpr(int offset, Expr operand, string field, bool testOnly, bool optional = false) : Expr(offset)
{
    public Expr Operand { get; } = operand;
    public string Field { get; } = field;
    public bool TestOnly { get; } = testOnly;
    public bool Optional { get; } = optional;
}

/// <summary>A function or operator call (operators use cel-go's names: <c>_+_</c>, <c>_[_]</c>, <c>!_</c>, ...).</summary>
public sealed class CallExpr(int offset, string function, Expr? target, IReadOnlyList<Expr> args) : Expr(offset)
{
    public string Function { get; } = function;
    public Expr? Target { get; } = target;
    public IReadOnlyList<Expr> Args { get; } = args;

    /// <summary>Set by the checker: the overloads the call may resolve to (one when statically known).</summary>
    internal IReadOnlyList<Overload>? Overloads { get; set; }

    /// <summary>Set by the checker when the call names a namespaced global (<c>sets.contains(...)</c>).</summary>
    internal string? Namespaced { get; set; }

    /// <summary>Set by the checker when one overload fits and every argument's type is known.</summary>
    internal bool StaticallyTyped { get; set; }
}

public sealed class ListExpr(int offset, IReadOnlyList<Expr> elements, IReadOnlyList<int> optionalIndices) : Expr(offset)
{
    public IReadOnlyList<Expr> Elements { get; } = elements;
    public IReadOnlyList<int> OptionalIndices { get; } = optionalIndices;
}

public sealed class MapEntry(Expr key, Expr value, bool optional)
{
    public Expr Key { get; } = key;
    public Expr Value { get; } = value;
    public bool Optional { get; } = optional;
}

public sealed class MapExpr(int offset, IReadOnlyList<MapEntry> entries) : Expr(offset)
{
    public IReadOnlyList<MapEntry> Entries { get; } = entries;
}

/// <summary><c>Type{field: value}</c>: message construction, which no Kubernetes environment declares types for.</summary>
public sealed class StructExpr(int offset, string typeName, IReadOnlyList<(string Field, Expr Value, bool Optional)> fields) : Expr(offset)
{
    public string TypeName { get; } = typeName;
    public IReadOnlyList<(string Field, Expr Value, bool Optional)> Fields { get; } = fields;
}

/// <summary>The comprehension macros, each kept as its own kind (the interpreter runs each with a tight loop).</summary>
public enum ComprehensionKind
{
    All,
    Exists,
    ExistsOne,
    Map,
    MapFilter,
    Filter,
    TransformList,
    TransformListFilter,
    TransformMap,
    TransformMapFilter,
    TransformMapEntry,
    TransformMapEntryFilter,
}

/// <summary><c>range.all(x, p)</c> and friends; two-variable forms set <see cref="IterVar2"/> (index/key, value).
/// <see cref="Step"/> is the predicate or transform, <see cref="Filter"/> the optional filter of map/transform.</summary>
public sealed class ComprehensionExpr(int offset, ComprehensionKind kind, string iterVar, string? iterVar2, Expr range, Expr step, Expr? filter) : Expr(offset)
{
    public ComprehensionKind Kind { get; } = kind;
    public string IterVar { get; } = iterVar;
    public string? IterVar2 { get; } = iterVar2;
    public Expr Range { get; } = range;
    public Expr Step { get; } = step;
    public Expr? Filter { get; } = filter;
}

/// <summary><c>cel.bind(name, init, body)</c>.</summary>
public sealed class BindExpr(int offset, string name, Expr init, Expr body) : Expr(offset)
{
    public string Name { get; } = name;
    public Expr Init { get; } = init;
    public Expr Body { get; } = body;
}
