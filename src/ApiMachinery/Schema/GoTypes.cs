using System.Collections.Frozen;
using System.Text.Json.Nodes;

namespace ApiMachinery.Schema;

/// <summary>How a Go struct field holds its value (the "holder" column of go-json-facts.tsv).</summary>
public enum GoHolder
{
    /// <summary>The value itself: a scalar, a struct, or a type with its own JSON form.</summary>
    Value,
    Pointer,
    Slice,
    Map,
}

/// <summary>What a field, or its slice or map, holds (the "element" column of go-json-facts.tsv).</summary>
public enum GoElement
{
    String,
    Bool,
    Number,
    /// <summary>[]byte, written as base64 text.</summary>
    Bytes,
    /// <summary>interface{}, or a collection of collections: left as it is.</summary>
    Any,
    Time,
    MicroTime,
    Duration,
    Quantity,
    IntOrString,
    RawExtension,
    FieldsV1,
    /// <summary>apiextensions' JSON: any JSON value.</summary>
    Json,
    /// <summary>apiextensions' JSONSchemaPropsOr... unions, with their own JSON forms: left as they are.</summary>
    Opaque,
    Struct,
}

/// <summary>One JSON field of a Go struct: how Go holds it and whether omitempty or omitzero drop it.</summary>
public sealed record GoField(string Name, GoHolder Holder, GoElement Element, bool ElementIsPointer, bool OmitEmpty, bool OmitZero)
{
    /// <summary>The struct the field (or its slice or map, or pointer) holds.</summary>
    public GoStruct? Struct { get; internal set; }

    /// <summary>
    /// True when Go always writes the field, whatever it holds: no omitempty (or a struct value,
    /// which omitempty never drops), and no omitzero.
    /// </summary>
    public bool AlwaysWritten => !OmitZero && (!OmitEmpty || (Holder == GoHolder.Value && Element is not (GoElement.String or GoElement.Bool or GoElement.Number or GoElement.Bytes)));
}

/// <summary>A Go struct of the built-in API types (io.k8s.api.core.v1.NodeStatus), by its OpenAPI definition name.</summary>
public sealed class GoStruct(string name)
{
    private FrozenDictionary<string, GoField> _fields = FrozenDictionary<string, GoField>.Empty;
    private GoField[] _alwaysWritten = [];
    private JsonObject? _zero;

    public string Name { get; } = name;

    public IReadOnlyDictionary<string, GoField> Fields => _fields;

    /// <summary>The fields Go writes even when the object does not have them, in declaration order.</summary>
    public IReadOnlyList<GoField> AlwaysWritten => _alwaysWritten;

    public GoField? Field(string name) => _fields.TryGetValue(name, out var field) ? field : null;

    /// <summary>The JSON Go writes for this struct's zero value, e.g. <c>{"kubeletEndpoint":{"Port":0}}</c>; a fresh copy.</summary>
    public JsonObject Zero() => (JsonObject)(_zero ??= MakeZero()).DeepClone();

    private JsonObject MakeZero()
    {
        var zero = new JsonObject();
        foreach (var field in _alwaysWritten)
        {
            zero[field.Name] = GoRoundTrip.ZeroOf(field);
        }

        return zero;
    }

    internal void SetFields(List<GoField> fields)
    {
        _fields = fields.ToFrozenDictionary(f => f.Name, StringComparer.Ordinal);
        _alwaysWritten = fields.Where(f => f.AlwaysWritten).ToArray();
    }
}

/// <summary>
/// The Go struct facts of every built-in type (which fields are non-pointer structs, which lack
/// omitempty), loaded once from the embedded go-json-facts.tsv, which tools/gen-go-json-facts.py
/// generates from the struct declarations of k8s.io/api and its siblings.
/// </summary>
public sealed class GoTypes
{
    private static readonly Lazy<GoTypes> LazyBuiltin = new(Load);

    private readonly FrozenDictionary<string, GoStruct> _structs;

    private GoTypes(FrozenDictionary<string, GoStruct> structs) => _structs = structs;

    public static GoTypes Builtin => LazyBuiltin.Value;

    public GoStruct? Struct(string definition) => _structs.TryGetValue(definition, out var s) ? s : null;

    /// <summary>The struct of a built-in kind, or null (custom resources).</summary>
    public GoStruct? ForKind(string group, string version, string kind) =>
        SchemaFacts.Builtin.ForKind(group, version, kind) is { } definition ? Struct(definition.Name) : null;

    public static GoTypes Parse(TextReader reader)
    {
        var structs = new Dictionary<string, GoStruct>(StringComparer.Ordinal);
        var fields = new Dictionary<string, List<(GoField Field, string? Target)>>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var cells = line.Split('\t');
            if (cells.Length == 2 && cells[0] == "S")
            {
                structs[cells[1]] = new GoStruct(cells[1]);
                fields[cells[1]] = [];
                continue;
            }

            if (cells.Length != 6 || cells[0] != "J" || !fields.TryGetValue(cells[1], out var list))
            {
                throw new FormatException($"go-json facts: cannot read '{line}'");
            }

            var element = cells[4];
            var elementIsPointer = element.StartsWith('*');
            element = element.TrimStart('*');
            string? target = null;
            GoElement kind;
            if (element.StartsWith('@'))
            {
                target = element[1..];
                kind = GoElement.Struct;
            }
            else
            {
                kind = ElementOf(element);
            }

            var flags = cells[5].Split(',');
            list.Add((new GoField(cells[2], HolderOf(cells[3]), kind, elementIsPointer, flags.Contains("omitempty"), flags.Contains("omitzero")), target));
        }

        foreach (var (name, list) in fields)
        {
            foreach (var (field, target) in list)
            {
                if (target is not null)
                {
                    field.Struct = structs.TryGetValue(target, out var s) ? s : throw new FormatException($"go-json facts: {name}.{field.Name} names unknown {target}");
                }
            }

            structs[name].SetFields(list.Select(f => f.Field).ToList());
        }

        return new GoTypes(structs.ToFrozenDictionary(StringComparer.Ordinal));
    }

    private static GoHolder HolderOf(string text) => text switch
    {
        "value" => GoHolder.Value,
        "pointer" => GoHolder.Pointer,
        "slice" => GoHolder.Slice,
        "map" => GoHolder.Map,
        _ => throw new FormatException($"go-json facts: unknown holder '{text}'"),
    };

    private static GoElement ElementOf(string text) => text switch
    {
        "string" => GoElement.String,
        "bool" => GoElement.Bool,
        "number" => GoElement.Number,
        "bytes" => GoElement.Bytes,
        "any" => GoElement.Any,
        "time" => GoElement.Time,
        "microtime" => GoElement.MicroTime,
        "duration" => GoElement.Duration,
        "quantity" => GoElement.Quantity,
        "intorstring" => GoElement.IntOrString,
        "rawextension" => GoElement.RawExtension,
        "fieldsv1" => GoElement.FieldsV1,
        "json" => GoElement.Json,
        "opaque" => GoElement.Opaque,
        _ => throw new FormatException($"go-json facts: unknown element '{text}'"),
    };

    private static GoTypes Load()
    {
        using var stream = typeof(GoTypes).Assembly.GetManifestResourceStream("ApiMachinery.Schema.go-json-facts.tsv")
            ?? throw new InvalidOperationException("go-json-facts.tsv is not embedded");
        using var reader = new StreamReader(stream);
        return Parse(reader);
    }
}
