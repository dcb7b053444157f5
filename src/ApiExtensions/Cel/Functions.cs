namespace ApiExtensions.Cel;

/// <summary>
/// One overload of a function: its signature (for the checker), its implementation and its run-time cost beyond
/// the call's own unit (for cost tracking), and an estimate of that extra cost from argument sizes (for the
/// CRD-time cost limits).
/// </summary>
internal sealed class Overload
{
    public Overload(string function, bool member, CelType[] parameters, CelType result)
    {
        Function = function;
        Member = member;
        Parameters = parameters;
        Result = result;
    }

    public string Function { get; }

    /// <summary>Called as <c>target.f(args)</c>; the target is the first parameter.</summary>
    public bool Member { get; }

    public CelType[] Parameters { get; }

    public CelType Result { get; }

    public Func<object, object>? F1 { get; init; }

    public Func<object, object, object>? F2 { get; init; }

    public Func<object, object, object, object>? F3 { get; init; }

    public Func<object[], object>? FN { get; init; }

    /// <summary>Extra run-time cost from the actual arguments (traversals of strings and lists).</summary>
    public Func<object[], long>? Cost { get; init; }

    /// <summary>Extra estimated cost from the arguments' maximum sizes.</summary>
    public Func<ulong[], ulong>? EstimatedCost { get; init; }

    public object Invoke(object[] args) => args.Length switch
    {
        1 when F1 is not null => F1(args[0]),
        2 when F2 is not null => F2(args[0], args[1]),
        3 when F3 is not null => F3(args[0], args[1], args[2]),
        _ when FN is not null => FN(args),
        _ => CelError.NoSuchOverload(Function),
    };

    /// <summary>Whether run-time values fit this overload's parameter kinds.</summary>
    public bool Accepts(object[] args)
    {
        for (var i = 0; i < Parameters.Length; i++)
        {
            if (!RuntimeMatches(Parameters[i], args[i]))
            {
                return false;
            }
        }
        return true;
    }

    public static bool RuntimeMatches(CelType t, object v) => t.Kind switch
    {
        CelTypeKind.Dyn or CelTypeKind.TypeParam => true,
        CelTypeKind.Int => v is long,
        CelTypeKind.Uint => v is ulong,
        CelTypeKind.Double => v is double,
        CelTypeKind.Bool => v is bool,
        CelTypeKind.String => v is string,
        CelTypeKind.Bytes => v is CelBytes,
        CelTypeKind.Null => v is CelNull,
        CelTypeKind.Duration => v is CelDuration,
        CelTypeKind.Timestamp => v is CelTimestamp,
        CelTypeKind.List => v is ICelList,
        CelTypeKind.Map or CelTypeKind.Object => v is ICelMap,
        CelTypeKind.Type => v is CelTypeValue,
        CelTypeKind.Optional => v is CelOptional,
        CelTypeKind.Opaque => v is ICelOpaque o && o.TypeName == t.Name,
        _ => false,
    };
}

/// <summary>The functions an environment offers, by name.</summary>
internal sealed class FunctionRegistry
{
    private readonly Dictionary<string, List<Overload>> _byName = new(StringComparer.Ordinal);

    public IReadOnlyList<Overload>? Find(string name) => _byName.TryGetValue(name, out var list) ? list : null;

    public bool Has(string name) => _byName.ContainsKey(name);

    public void Add(Overload o)
    {
        if (!_byName.TryGetValue(o.Function, out var list))
        {
            _byName[o.Function] = list = [];
        }
        list.Add(o);
    }

    public void Global(string name, CelType[] parameters, CelType result, Func<object, object> f, Func<object[], long>? cost = null, Func<ulong[], ulong>? estimate = null) =>
        Add(new Overload(name, false, parameters, result) { F1 = f, Cost = cost, EstimatedCost = estimate });

    public void Global(string name, CelType[] parameters, CelType result, Func<object, object, object> f, Func<object[], long>? cost = null, Func<ulong[], ulong>? estimate = null) =>
        Add(new Overload(name, false, parameters, result) { F2 = f, Cost = cost, EstimatedCost = estimate });

    public void Global(string name, CelType[] parameters, CelType result, Func<object[], object> f, Func<object[], long>? cost = null, Func<ulong[], ulong>? estimate = null) =>
        Add(new Overload(name, false, parameters, result) { FN = f, Cost = cost, EstimatedCost = estimate });

    public void Member(string name, CelType[] parameters, CelType result, Func<object, object> f, Func<object[], long>? cost = null, Func<ulong[], ulong>? estimate = null) =>
        Add(new Overload(name, true, parameters, result) { F1 = f, Cost = cost, EstimatedCost = estimate });

    public void Member(string name, CelType[] parameters, CelType result, Func<object, object, object> f, Func<object[], long>? cost = null, Func<ulong[], ulong>? estimate = null) =>
        Add(new Overload(name, true, parameters, result) { F2 = f, Cost = cost, EstimatedCost = estimate });

    public void Member(string name, CelType[] parameters, CelType result, Func<object, object, object, object> f, Func<object[], long>? cost = null, Func<ulong[], ulong>? estimate = null) =>
        Add(new Overload(name, true, parameters, result) { F3 = f, Cost = cost, EstimatedCost = estimate });

    public void Member(string name, CelType[] parameters, CelType result, Func<object[], object> f, Func<object[], long>? cost = null, Func<ulong[], ulong>? estimate = null) =>
        Add(new Overload(name, true, parameters, result) { FN = f, Cost = cost, EstimatedCost = estimate });
}
