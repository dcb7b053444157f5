#if WITH_CEL_PACKAGE
using Cel;

namespace CelConformance;

/// <summary>The NuGet package "Cel" (a dynamic interpreter over CLR values; it has no type checker).</summary>
internal sealed class PackageEngine : IEngine
{
    public string Name => "Cel 0.3.3 (NuGet)";

    public object? Evaluate(SpecTest test)
    {
        var env = new CelEnvironment(null, test.Container);
        var variables = test.Bindings.ToDictionary(b => b.Key, b => ToPackage(b.Value));
        return FromPackage(env.Program(test.Expr, variables!));
    }

    private static object? ToPackage(object? v) => v switch
    {
        Neutral.NullValue => null,
        Neutral.Bytes b => Google.Protobuf.ByteString.CopyFrom(b.Value),
        List<object?> l => l.Select(ToPackage).ToArray(),
        List<KeyValuePair<object?, object?>> m => m.ToDictionary(e => ToPackage(e.Key)!, e => ToPackage(e.Value)),
        Neutral.Duration d => new Google.Protobuf.WellKnownTypes.Duration { Seconds = d.Seconds, Nanos = d.Nanos },
        _ => v,
    };

    private static object? FromPackage(object? v) => v switch
    {
        null => Neutral.NullValue.Instance,
        int i => (long)i,
        long or ulong or double or string or bool => v,
        Google.Protobuf.ByteString b => new Neutral.Bytes(b.ToByteArray()),
        CelType t => new Neutral.TypeName(t.Value),
        Google.Protobuf.WellKnownTypes.Duration d => new Neutral.Duration(d.Seconds, d.Nanos),
        DateTimeOffset t => new Neutral.Timestamp(t.ToUnixTimeSeconds(), (int)(t.Ticks % TimeSpan.TicksPerSecond * 100)),
        System.Collections.IDictionary m => m.Keys.Cast<object?>().Select(k => new KeyValuePair<object?, object?>(FromPackage(k), FromPackage(m[k!]))).ToList(),
        System.Collections.IEnumerable e => e.Cast<object?>().Select(FromPackage).ToList(),
        _ => new Neutral.Unsupported(v.GetType().FullName ?? "?"),
    };
}
#endif
