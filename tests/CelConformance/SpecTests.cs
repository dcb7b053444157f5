using System.Globalization;

namespace CelConformance;

/// <summary>One cel-spec simple test, reduced to what the harness checks.</summary>
internal sealed class SpecTest
{
    public required string File { get; init; }
    public required string Section { get; init; }
    public required string Name { get; init; }
    public required string Expr { get; init; }
    public bool DisableCheck { get; init; }
    public bool DisableMacros { get; init; }
    public string Container { get; init; } = "";
    /// <summary>Declared variables: name to a type written as CEL prints it ("int", "list(string)", "dyn").</summary>
    public Dictionary<string, string> Declarations { get; } = [];
    public Dictionary<string, object?> Bindings { get; } = [];
    /// <summary>The expected value (neutral form, see <see cref="Neutral"/>), unless an error is expected.</summary>
    public object? Expected { get; init; }
    public bool ExpectsError { get; init; }
    public string? ExpectedError { get; init; }
    /// <summary>True when the test needs protobuf messages (TestAllTypes, Any, wrappers): out of scope here.</summary>
    public bool NeedsProtoMessages { get; init; }

    public string Id => $"{File}/{Section}/{Name}";
}

/// <summary>Neutral values both engines' results are compared in.</summary>
internal static class Neutral
{
    public sealed record NullValue
    {
        public static readonly NullValue Instance = new();
    }

    public sealed record TypeName(string Name);

    public sealed record Bytes(byte[] Value)
    {
        public bool Equals(Bytes? other) => other is not null && Value.AsSpan().SequenceEqual(other.Value);
        public override int GetHashCode() => Value.Length;
    }

    public sealed record Duration(long Seconds, int Nanos);

    public sealed record Timestamp(long Seconds, int Nanos);

    /// <summary>An unsupported value (a protobuf message); never equal to anything.</summary>
    public sealed record Unsupported(string What);

    public static bool ValueEquals(object? a, object? b)
    {
        switch (a, b)
        {
            case (null, null):
                return true;
            case (double x, double y):
                return x.Equals(y) || (double.IsNaN(x) && double.IsNaN(y));
            case (List<object?> x, List<object?> y):
                return x.Count == y.Count && x.Zip(y).All(p => ValueEquals(p.First, p.Second));
            case (List<KeyValuePair<object?, object?>> x, List<KeyValuePair<object?, object?>> y):
                return x.Count == y.Count && x.All(e => y.Any(f => ValueEquals(e.Key, f.Key) && ValueEquals(e.Value, f.Value)));
            case (Unsupported, _) or (_, Unsupported):
                return false;
            default:
                return Equals(a, b);
        }
    }

    public static string Show(object? v) => v switch
    {
        null => "<none>",
        NullValue => "null",
        string s => "\"" + s + "\"",
        long l => l.ToString(CultureInfo.InvariantCulture),
        ulong u => u.ToString(CultureInfo.InvariantCulture) + "u",
        double d => d.ToString("R", CultureInfo.InvariantCulture) + "(double)",
        bool b => b ? "true" : "false",
        Bytes bs => "b\"" + Convert.ToHexString(bs.Value) + "\"",
        List<object?> l => "[" + string.Join(", ", l.Select(Show)) + "]",
        List<KeyValuePair<object?, object?>> m => "{" + string.Join(", ", m.Select(e => Show(e.Key) + ": " + Show(e.Value))) + "}",
        _ => v.ToString() ?? "?",
    };
}

internal static class SpecLoader
{
    public static IEnumerable<SpecTest> Load(string path)
    {
        var file = Path.GetFileNameWithoutExtension(path);
        var root = TextProtoMessage.Parse(File.ReadAllText(path));
        foreach (TextProtoMessage section in root.All("section"))
        {
            foreach (TextProtoMessage test in section.All("test"))
            {
                yield return ToTest(file, section.Text("name") ?? "", test);
            }
        }
    }

    private static SpecTest ToTest(string file, string section, TextProtoMessage t)
    {
        var needsProto = false;
        object? expected = null;
        var expectsError = false;
        string? expectedError = null;
        if (t.Message("value") is { } value)
        {
            expected = ToValue(value, ref needsProto);
        }
        else if (t.Message("eval_error") is { } evalError)
        {
            expectsError = true;
            expectedError = evalError.Message("errors")?.Text("message");
        }
        else if (t.Message("any_eval_errors") is not null)
        {
            expectsError = true;
        }
        else if (t.Message("typed_result") is { } typed && typed.Message("result") is { } result)
        {
            expected = ToValue(result, ref needsProto);
        }
        else
        {
            // unknown / any_unknowns results, or check_only tests: nothing this harness can compare.
            needsProto = true;
        }

        var spec = new SpecTest
        {
            File = file,
            Section = section,
            Name = t.Text("name") ?? "",
            Expr = t.Text("expr") ?? "",
            DisableCheck = t.Flag("disable_check"),
            DisableMacros = t.Flag("disable_macros"),
            Container = t.Text("container") ?? "",
            Expected = expected,
            ExpectsError = expectsError,
            ExpectedError = expectedError,
            NeedsProtoMessages = needsProto || (t.Text("container") ?? "").Length > 0 || (t.Text("expr") ?? "").Contains("TestAllTypes", StringComparison.Ordinal)
                || (t.Text("expr") ?? "").Contains("google.protobuf", StringComparison.Ordinal) || t.Flag("check_only"),
        };
        foreach (TextProtoMessage decl in t.All("type_env"))
        {
            if (decl.Message("ident")?.Message("type") is { } type)
            {
                spec.Declarations[decl.Text("name") ?? ""] = TypeText(type);
            }
        }
        foreach (TextProtoMessage binding in t.All("bindings"))
        {
            var bindingNeedsProto = false;
            var v = binding.Message("value")?.Message("value");
            spec.Bindings[binding.Text("key") ?? ""] = v is null ? null : ToValue(v, ref bindingNeedsProto);
            if (bindingNeedsProto)
            {
                spec = new SpecTest
                {
                    File = spec.File, Section = spec.Section, Name = spec.Name, Expr = spec.Expr, DisableCheck = spec.DisableCheck,
                    DisableMacros = spec.DisableMacros, Container = spec.Container, Expected = spec.Expected,
                    ExpectsError = spec.ExpectsError, ExpectedError = spec.ExpectedError, NeedsProtoMessages = true,
                };
                return spec;
            }
        }
        return spec;
    }

    private static object? ToValue(TextProtoMessage v, ref bool needsProto)
    {
        foreach (var (name, raw) in v.Fields)
        {
            switch (name)
            {
                case "int64_value":
                    return long.Parse(((TextProtoScalar)raw).Token, CultureInfo.InvariantCulture);
                case "uint64_value":
                    return ulong.Parse(((TextProtoScalar)raw).Token, CultureInfo.InvariantCulture);
                case "double_value":
                    return ParseDouble(((TextProtoScalar)raw).Token);
                case "string_value":
                    return ((TextProtoString)raw).Text;
                case "bytes_value":
                    return new Neutral.Bytes(((TextProtoString)raw).Bytes);
                case "bool_value":
                    return ((TextProtoScalar)raw).Token == "true";
                case "null_value":
                    return Neutral.NullValue.Instance;
                case "type_value":
                    return new Neutral.TypeName(((TextProtoString)raw).Text);
                case "list_value":
                {
                    var list = new List<object?>();
                    foreach (TextProtoMessage item in ((TextProtoMessage)raw).All("values"))
                    {
                        list.Add(ToValue(item, ref needsProto));
                    }
                    return list;
                }
                case "map_value":
                {
                    var map = new List<KeyValuePair<object?, object?>>();
                    foreach (TextProtoMessage entry in ((TextProtoMessage)raw).All("entries"))
                    {
                        map.Add(new(ToValue(entry.Message("key")!, ref needsProto), ToValue(entry.Message("value")!, ref needsProto)));
                    }
                    return map;
                }
                case "object_value":
                {
                    var any = (TextProtoMessage)raw;
                    var (typeUrl, body) = any.Fields[0];
                    if (body is TextProtoMessage m && typeUrl.Contains("google.protobuf.Duration", StringComparison.Ordinal))
                    {
                        return new Neutral.Duration(long.Parse(m.Text("seconds") ?? "0", CultureInfo.InvariantCulture), int.Parse(m.Text("nanos") ?? "0", CultureInfo.InvariantCulture));
                    }
                    if (body is TextProtoMessage ts && typeUrl.Contains("google.protobuf.Timestamp", StringComparison.Ordinal))
                    {
                        return new Neutral.Timestamp(long.Parse(ts.Text("seconds") ?? "0", CultureInfo.InvariantCulture), int.Parse(ts.Text("nanos") ?? "0", CultureInfo.InvariantCulture));
                    }
                    needsProto = true;
                    return new Neutral.Unsupported(typeUrl);
                }
                case "enum_value":
                    needsProto = true;
                    return new Neutral.Unsupported("enum");
            }
        }
        needsProto = true;
        return new Neutral.Unsupported("empty value");
    }

    private static double ParseDouble(string token) => token switch
    {
        "inf" or "infinity" or "Infinity" => double.PositiveInfinity,
        "-inf" or "-infinity" or "-Infinity" => double.NegativeInfinity,
        "nan" or "NaN" => double.NaN,
        _ => double.Parse(token, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static string TypeText(TextProtoMessage type)
    {
        if (type.Text("primitive") is { } primitive)
        {
            return primitive switch
            {
                "BOOL" => "bool",
                "INT64" => "int",
                "UINT64" => "uint",
                "DOUBLE" => "double",
                "STRING" => "string",
                "BYTES" => "bytes",
                _ => "dyn",
            };
        }
        if (type.Message("list_type") is { } list)
        {
            return "list(" + (list.Message("elem_type") is { } e ? TypeText(e) : "dyn") + ")";
        }
        if (type.Message("map_type") is { } map)
        {
            return "map(" + (map.Message("key_type") is { } k ? TypeText(k) : "dyn") + ", " + (map.Message("value_type") is { } v ? TypeText(v) : "dyn") + ")";
        }
        if (type.Text("null") is not null)
        {
            return "null_type";
        }
        if (type.Text("well_known") is { } wk)
        {
            return wk switch { "DURATION" => "google.protobuf.Duration", "TIMESTAMP" => "google.protobuf.Timestamp", _ => "dyn" };
        }
        return "dyn";
    }
}
