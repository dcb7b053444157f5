using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace ApiMachinery.Protobuf;

/// <summary>
/// The protobuf facts of the built-in kinds: the rows tools/gen-protobuf-schema.py generates into
/// KubeProtobufSchema.g.cs, read once on first use.
/// </summary>
internal static partial class KubeProtobufSchema
{
    public static FrozenDictionary<string, ProtoMessage> Messages => Loaded.Messages;

    /// <summary>apiVersion -> kind -> message.</summary>
    public static FrozenDictionary<(string ApiVersion, string Kind), ProtoMessage> Kinds => Loaded.Kinds;

    public static ProtoMessage? ForKind(string apiVersion, string kind) => Kinds.GetValueOrDefault((apiVersion, kind));

    /// <summary>Parses the rows; internal so a test can feed it malformed ones.</summary>
    internal static (FrozenDictionary<string, ProtoMessage> Messages, FrozenDictionary<(string, string), ProtoMessage> Kinds) Parse(string rows)
    {
        var fields = new Dictionary<string, List<ProtoField>>(StringComparer.Ordinal);
        var kinds = new List<(string ApiVersion, string Kind, string Message)>();
        var types = new Dictionary<string, ProtoType>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var raw in rows.Split('\n'))
        {
            lineNumber++;
            var line = raw.Trim(' ', '\r');
            if (line.Length == 0)
            {
                continue;
            }

            var cells = line.Split('\t');
            if (cells[0] == "K" && cells.Length == 4)
            {
                kinds.Add((cells[1], cells[2], cells[3]));
                continue;
            }

            if (cells.Length != 5)
            {
                throw new InvalidOperationException($"protobuf schema line {lineNumber}: expected 5 cells, got {cells.Length}");
            }

            var flags = ProtoFieldFlags.None;
            foreach (var flag in cells[3].Split(','))
            {
                flags |= flag switch
                {
                    "-" => ProtoFieldFlags.None,
                    "ptr" => ProtoFieldFlags.Pointer,
                    "omitempty" => ProtoFieldFlags.OmitEmpty,
                    "omitzero" => ProtoFieldFlags.OmitZero,
                    "rep" => ProtoFieldFlags.Repeated,
                    "map" => ProtoFieldFlags.Map,
                    "inline" => ProtoFieldFlags.Inline,
                    _ => throw new InvalidOperationException($"protobuf schema line {lineNumber}: unknown flag {flag}"),
                };
            }

            ProtoType type;
            ProtoType? key = null;
            if ((flags & ProtoFieldFlags.Map) != 0)
            {
                var colon = cells[4].IndexOf(':', StringComparison.Ordinal);
                key = TypeOf(cells[4][..colon], types);
                type = TypeOf(cells[4][(colon + 1)..], types);
            }
            else
            {
                type = TypeOf(cells[4], types);
            }

            var number = cells[1] == "-" ? 0 : int.Parse(cells[1], NumberStyles.None, CultureInfo.InvariantCulture);
            var jsonName = cells[2] == "-" ? null : cells[2];
            if (!fields.TryGetValue(cells[0], out var list))
            {
                fields[cells[0]] = list = [];
            }

            list.Add(new ProtoField(number, jsonName, flags, type, key));
        }

        var messages = fields.ToFrozenDictionary(p => p.Key, p => new ProtoMessage(p.Key, [.. p.Value]), StringComparer.Ordinal);
        foreach (var type in types.Values)
        {
            Link(type, messages);
        }

        var byKind = kinds.ToFrozenDictionary(
            k => (k.ApiVersion, k.Kind),
            k => messages.GetValueOrDefault(k.Message) ?? throw new InvalidOperationException($"protobuf schema: kind {k.Kind} names unknown message {k.Message}"));
        return (messages, byKind);
    }

    private static void Link(ProtoType type, FrozenDictionary<string, ProtoMessage> messages)
    {
        if (type.MessageName is { } name)
        {
            type.Message = messages.GetValueOrDefault(name) ?? throw new InvalidOperationException($"protobuf schema: unknown message {name}");
        }

        if (type.Item is { } item)
        {
            Link(item, messages);
        }
    }

    private static ProtoType TypeOf(string text, Dictionary<string, ProtoType> types)
    {
        if (types.TryGetValue(text, out var known))
        {
            return known;
        }

        var type = text switch
        {
            "string" => new ProtoType(ProtoKind.String),
            "bytes" => new ProtoType(ProtoKind.Bytes),
            "bool" => new ProtoType(ProtoKind.Bool),
            "int32" => new ProtoType(ProtoKind.Int32),
            "int64" => new ProtoType(ProtoKind.Int64),
            "uint32" => new ProtoType(ProtoKind.UInt32),
            "uint64" => new ProtoType(ProtoKind.UInt64),
            "double" => new ProtoType(ProtoKind.Double),
            "float" => new ProtoType(ProtoKind.Float),
            "time" => new ProtoType(ProtoKind.Time),
            "microtime" => new ProtoType(ProtoKind.MicroTime),
            "duration" => new ProtoType(ProtoKind.Duration),
            "quantity" => new ProtoType(ProtoKind.Quantity),
            "intorstring" => new ProtoType(ProtoKind.IntOrString),
            "rawextension" => new ProtoType(ProtoKind.RawExtension),
            "fieldsv1" => new ProtoType(ProtoKind.FieldsV1),
            _ when text.StartsWith("[]", StringComparison.Ordinal) => new ProtoType(ProtoKind.Wrapped, item: TypeOf(text[2..], types)),
            _ when text.Contains('.', StringComparison.Ordinal) => new ProtoType(ProtoKind.Message, text),
            _ => throw new InvalidOperationException($"protobuf schema: unknown type {text}"),
        };
        types[text] = type;
        return type;
    }

    private static class Loaded
    {
        private static readonly (FrozenDictionary<string, ProtoMessage> Messages, FrozenDictionary<(string, string), ProtoMessage> Kinds) Data =
            Parse(Encoding.UTF8.GetString(Rows));

        public static FrozenDictionary<string, ProtoMessage> Messages => Data.Messages;

        public static FrozenDictionary<(string ApiVersion, string Kind), ProtoMessage> Kinds => Data.Kinds;
    }
}
