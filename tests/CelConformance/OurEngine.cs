using ApiExtensions.Cel;

namespace CelConformance;

/// <summary>ApiExtensions.Cel, this project's engine: declarations from the test's type_env (dyn for bindings
/// without one), then parse, check and evaluate.</summary>
internal sealed class OurEngine : IEngine
{
    public string Name => "ApiExtensions.Cel";

    public object? Evaluate(SpecTest test)
    {
        var names = test.Bindings.Keys.Union(test.Declarations.Keys).ToArray();
        var env = CelEnvironment.Create(names.Select(n => (n, test.Declarations.TryGetValue(n, out var t) ? ParseType(t) : CelType.Dyn)).ToArray());
        var compiled = env.WithHeterogeneousLiterals().Compile(test.Expr, check: !test.DisableCheck);
        if (compiled.Program is null)
        {
            throw new InvalidOperationException(compiled.Error);
        }
        var values = names.Select(n => test.Bindings.TryGetValue(n, out var v) ? ToOurs(v) : null).ToArray();
        var result = compiled.Program.Evaluate(values, 10_000_000).Value;
        if (result is CelError e)
        {
            throw new InvalidOperationException(e.Message);
        }
        return FromOurs(result);
    }

    private static CelType ParseType(string t)
    {
        if (t.StartsWith("list(", StringComparison.Ordinal))
        {
            return CelType.List(ParseType(t[5..^1]));
        }
        if (t.StartsWith("map(", StringComparison.Ordinal))
        {
            var inner = t[4..^1];
            var depth = 0;
            for (var i = 0; i < inner.Length; i++)
            {
                depth += inner[i] == '(' ? 1 : inner[i] == ')' ? -1 : 0;
                if (inner[i] == ',' && depth == 0)
                {
                    return CelType.Map(ParseType(inner[..i].Trim()), ParseType(inner[(i + 1)..].Trim()));
                }
            }
        }
        return t switch
        {
            "int" => CelType.Int,
            "uint" => CelType.Uint,
            "double" => CelType.Double,
            "bool" => CelType.Bool,
            "string" => CelType.String,
            "bytes" => CelType.Bytes,
            "null_type" => CelType.Null,
            "google.protobuf.Duration" => CelType.Duration,
            "google.protobuf.Timestamp" => CelType.Timestamp,
            _ => CelType.Dyn,
        };
    }

    private static object? ToOurs(object? v) => v switch
    {
        null or Neutral.NullValue => CelNull.Instance,
        Neutral.Bytes b => new CelBytes(b.Value),
        Neutral.Duration d => new CelDuration(d.Seconds * 1_000_000_000 + d.Nanos),
        Neutral.Timestamp t => new CelTimestamp(t.Seconds, t.Nanos),
        List<object?> l => new CelList(l.Select(x => ToOurs(x)!).ToArray()),
        List<KeyValuePair<object?, object?>> m => new CelMap(m.ToDictionary(e => ToOurs(e.Key)!, e => ToOurs(e.Value)!, CelKeyComparer.Instance)),
        _ => v,
    };

    private static object? FromOurs(object v) => v switch
    {
        CelNull => Neutral.NullValue.Instance,
        CelBytes b => new Neutral.Bytes(b.Value),
        CelDuration d => new Neutral.Duration(d.Nanos / 1_000_000_000, (int)(d.Nanos % 1_000_000_000)),
        CelTimestamp t => new Neutral.Timestamp(t.Seconds, t.Nanos),
        CelTypeValue t => new Neutral.TypeName(t.Name),
        ICelList l => Enumerable.Range(0, l.Count).Select(i => FromOurs(l.Get(i))).ToList(),
        ICelMap m => m.Keys.Select(k => new KeyValuePair<object?, object?>(FromOurs(k), m.TryGet(k, out var x) ? FromOurs(x) : null)).ToList(),
        long or ulong or double or string or bool => v,
        _ => new Neutral.Unsupported(v.GetType().Name),
    };
}
