namespace ApiExtensions.Cel;

/// <summary>
/// A worst-case cost for a checked expression, in cel-go's units (about one per node, string and list traversals
/// at a tenth per element, comprehensions multiplied by the largest size their range can have), using the size
/// bounds that schema types carry (maxLength, maxItems, maxProperties, or what fits in a request). An
/// approximation of cel-go's checker.Cost, conservative in the same places: unbounded ranges cost the most.
/// </summary>
internal static class CostEstimator
{
    /// <summary>The largest size assumed for a value whose size nothing bounds (a 3 MiB request).</summary>
    public const ulong Unbounded = 3 * 1024 * 1024;

    public static ulong Estimate(Expr e) => Cost(e, new Dictionary<string, ulong>(StringComparer.Ordinal));

    private static ulong Add(ulong a, ulong b) => a > ulong.MaxValue - b ? ulong.MaxValue : a + b;

    private static ulong Mul(ulong a, ulong b) => a != 0 && b > ulong.MaxValue / a ? ulong.MaxValue : a * b;

    private static ulong Cost(Expr e, Dictionary<string, ulong> localSizes)
    {
        switch (e)
        {
            case ConstExpr:
                return 0;
            case IdentExpr:
                return 1;
            case SelectExpr s:
                return Add(1, Cost(s.Operand, localSizes));
            case ListExpr l:
                return l.Elements.Aggregate(10UL, (acc, x) => Add(acc, Cost(x, localSizes)));
            case MapExpr m:
                return m.Entries.Aggregate(30UL, (acc, x) => Add(acc, Add(Cost(x.Key, localSizes), Cost(x.Value, localSizes))));
            case BindExpr b:
                localSizes[b.Name] = Size(b.Init, localSizes);
                return Add(Cost(b.Init, localSizes), Cost(b.Body, localSizes));
            case ComprehensionExpr c:
            {
                var rangeSize = Size(c.Range, localSizes);
                var rangeCost = Cost(c.Range, localSizes);
                var elemSize = ElementSize(c.Range.Type);
                localSizes[c.IterVar] = elemSize;
                if (c.IterVar2 is not null)
                {
                    localSizes[c.IterVar2] = c.Range.Type.Kind == CelTypeKind.Map ? (c.Range.Type.Value.MaxSize ?? Unbounded) : elemSize;
                }
                var perIteration = Add(1, Cost(c.Step, localSizes));
                if (c.Filter is not null)
                {
                    perIteration = Add(perIteration, Cost(c.Filter, localSizes));
                }
                return Add(rangeCost, Mul(rangeSize, perIteration));
            }
            case CallExpr call:
            {
                var args = new List<Expr>();
                if (call.Target is not null && call.Namespaced is null)
                {
                    args.Add(call.Target);
                }
                args.AddRange(call.Args);
                var total = args.Aggregate(0UL, (acc, x) => Add(acc, Cost(x, localSizes)));
                if (call.Function is "_&&_" or "_||_" or "_?_:_")
                {
                    return total;
                }
                var sizes = args.Select(a => Size(a, localSizes)).ToArray();
                ulong extra = 0;
                foreach (var o in call.Overloads ?? [])
                {
                    if (o.EstimatedCost is { } est && o.Parameters.Length == sizes.Length)
                    {
                        extra = Math.Max(extra, est(sizes));
                    }
                }
                return Add(total, Add(1, extra));
            }
            default:
                return 1;
        }
    }

    private static ulong ElementSize(CelType rangeType) => rangeType.Kind switch
    {
        CelTypeKind.List => rangeType.Elem.MaxSize ?? Unbounded,
        CelTypeKind.Map => rangeType.Key.MaxSize ?? Unbounded,
        _ => Unbounded,
    };

    /// <summary>The largest size (characters, elements) the node's value can have.</summary>
    public static ulong Size(Expr e, Dictionary<string, ulong> localSizes)
    {
        if (e.Type.MaxSize is { } bounded)
        {
            return bounded;
        }
        switch (e)
        {
            case ConstExpr { Value: string s }:
                return (ulong)s.Length;
            case ConstExpr { Value: CelBytes b }:
                return (ulong)b.Value.Length;
            case ConstExpr:
                return 1;
            case IdentExpr id when localSizes.TryGetValue(id.Name, out var local):
                return local;
            case ListExpr l:
                return (ulong)l.Elements.Count;
            case MapExpr m:
                return (ulong)m.Entries.Count;
            case ComprehensionExpr c when c.Kind is not (ComprehensionKind.All or ComprehensionKind.Exists or ComprehensionKind.ExistsOne):
                return Size(c.Range, localSizes);
            case CallExpr call:
                var args = new List<Expr>();
                if (call.Target is not null && call.Namespaced is null)
                {
                    args.Add(call.Target);
                }
                args.AddRange(call.Args);
                return call.Function switch
                {
                    "_+_" when args.Count == 2 => Add(Size(args[0], localSizes), Size(args[1], localSizes)),
                    "split" or "substring" or "trim" or "lowerAscii" or "upperAscii" or "replace" or "findAll" or "find" or "reverse" or "sort" or "distinct" or "slice" or "flatten"
                        when args.Count > 0 => Size(args[0], localSizes),
                    "_?_:_" => Math.Max(Size(call.Args[1], localSizes), Size(call.Args[2], localSizes)),
                    "_[_]" when args.Count == 2 && args[0].Type.Kind == CelTypeKind.List => args[0].Type.Elem.MaxSize ?? Unbounded,
                    _ => e.Type.Kind is CelTypeKind.Int or CelTypeKind.Uint or CelTypeKind.Double or CelTypeKind.Bool ? 1 : Unbounded,
                };
            default:
                return Unbounded;
        }
    }
}
