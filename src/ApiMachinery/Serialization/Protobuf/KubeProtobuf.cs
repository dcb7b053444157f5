using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ApiMachinery.Serialization.Protobuf;

/// <summary>
/// Kubernetes' protobuf encoding (application/vnd.kubernetes.protobuf), which client-go's typed
/// clients send since 1.32: the magic "k8s\0", then a runtime.Unknown whose typeMeta names the kind
/// and whose raw bytes are the object as gogo-protobuf writes k8s.io/api's types. Decoding yields the
/// JSON Go's encoding/json would write for the same Go value, field for field: pointers present even
/// when zero, omitempty honoured, nil slices and maps as null, inline structs flattened, and
/// Time, Quantity, IntOrString, RawExtension in their JSON forms.
/// </summary>
public static class KubeProtobuf
{
    public const string MediaType = "application/vnd.kubernetes.protobuf";

    private const long GoZeroTimeUnixSeconds = -62135596800;

    private static ReadOnlySpan<byte> Magic => "k8s\0"u8;

    public static bool Knows(string apiVersion, string kind) => ProtobufSchema.ForKind(apiVersion, kind) is not null;

    /// <exception cref="ProtobufDecodeException">not Kubernetes protobuf, malformed, or a kind without a protobuf form.</exception>
    public static JsonObject Decode(ReadOnlySpan<byte> body)
    {
        if (!body.StartsWith(Magic))
        {
            throw new ProtobufDecodeException("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]");
        }

        string apiVersion = "", kind = "";
        ReadOnlySpan<byte> raw = default;
        var reader = new WireReader(body[Magic.Length..]);
        while (reader.Next(out var number, out var wireType))
        {
            switch (number)
            {
                case 1 when wireType == 2:
                    var typeMeta = new WireReader(reader.Bytes());
                    while (typeMeta.Next(out var n, out var w))
                    {
                        if (n == 1 && w == 2) apiVersion = Encoding.UTF8.GetString(typeMeta.Bytes());
                        else if (n == 2 && w == 2) kind = Encoding.UTF8.GetString(typeMeta.Bytes());
                        else typeMeta.Skip(w);
                    }

                    break;
                case 2 when wireType == 2:
                    raw = reader.Bytes();
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        var message = ProtobufSchema.ForKind(apiVersion, kind)
            ?? throw new ProtobufDecodeException($"no protobuf form is known for {apiVersion}, Kind={kind}");
        var obj = new JsonObject { ["kind"] = kind, ["apiVersion"] = apiVersion };
        DecodeMessage(message, raw, obj);
        return obj;
    }

    /// <summary>Decodes one message and writes its fields, in Go declaration order, into <paramref name="target"/>.</summary>
    private static void DecodeMessage(ProtoMessage message, ReadOnlySpan<byte> data, JsonObject target)
    {
        // Gather every occurrence per field number first: repeated fields and maps arrive as many entries.
        var values = new Dictionary<int, List<JsonNode?>>();
        var reader = new WireReader(data);
        while (reader.Next(out var number, out var wireType))
        {
            if (!message.ByNumber.TryGetValue(number, out var field))
            {
                reader.Skip(wireType);
                continue;
            }

            if (!values.TryGetValue(number, out var list))
            {
                values[number] = list = [];
            }

            if (field.Repeated && wireType == 2 && IsVarintKind(field.Kind))
            {
                // A packed repeated scalar.
                var packed = new WireReader(reader.Bytes());
                while (!packed.AtEnd)
                {
                    list.Add(Scalar(field.Kind, ref packed, 0));
                }

                continue;
            }

            list.Add(ReadValue(field, ref reader, wireType));
        }

        foreach (var field in message.Fields)
        {
            values.TryGetValue(field.Number, out var present);
            if (field.Inline)
            {
                if (present is { Count: > 0 } && present[^1] is JsonObject inner)
                {
                    foreach (var (key, flattened) in inner.ToList())
                    {
                        inner.Remove(key);
                        target[key] = flattened;
                    }
                }
                else if (ProtobufSchema.Message(field.Element) is { } innerMessage)
                {
                    DecodeMessage(innerMessage, default, target);
                }

                continue;
            }

            if (field.Map)
            {
                var map = new JsonObject();
                foreach (var entry in (present ?? []).OfType<JsonObject>())
                {
                    map[entry["k"]?.GetValue<string>() ?? ""] = entry["v"]?.DeepClone();
                }

                // Go writes map keys sorted.
                var sorted = new JsonObject();
                foreach (var (key, entryValue) in map.OrderBy(p => p.Key, StringComparer.Ordinal).ToList())
                {
                    map.Remove(key);
                    sorted[key] = entryValue;
                }

                Emit(target, field, present is { Count: > 0 } ? sorted : null, isZero: present is not { Count: > 0 });
                continue;
            }

            if (field.Repeated)
            {
                var array = present is { Count: > 0 } ? new JsonArray(present.ToArray()) : null;
                Emit(target, field, array, isZero: array is null);
                continue;
            }

            var value = present is { Count: > 0 } ? present[^1] : null;
            if (field.Pointer)
            {
                Emit(target, field, value, isZero: value is null);
                continue;
            }

            value ??= ZeroValue(field);
            Emit(target, field, value, IsZero(field, value));
        }
    }

    /// <summary>
    /// Go's encoding/json: omitempty drops zero scalars, nil pointers and empty slices and maps but
    /// never a struct; omitzero drops any zero value; everything else is written, nil as null.
    /// </summary>
    private static void Emit(JsonObject target, ProtoField field, JsonNode? value, bool isZero)
    {
        if (isZero && (field.OmitZero || (field.OmitEmpty && (field.Pointer || field.Repeated || field.Map || IsOmittableKind(field.Kind)))))
        {
            return;
        }

        target[field.JsonName] = value;
    }

    private static bool IsOmittableKind(string kind) => kind is "string" or "bytes" or "int32" or "int64" or "uint64" or "bool" or "double";

    private static bool IsVarintKind(string kind) => kind is "int32" or "int64" or "uint64" or "bool";

    private static JsonNode? ZeroValue(ProtoField field) => field.Kind switch
    {
        "string" => "",
        "bytes" => null,
        "int32" or "int64" => 0L,
        "uint64" => JsonValue.Create(0UL),
        "bool" => false,
        "double" => 0.0,
        "time" or "microtime" => null,
        "quantity" => "0",
        "intorstring" => 0L,
        "duration" => "0s",
        "rawext" or "fieldsv1" => null,
        "message" => EmptyMessage(field.Element),
        _ => null,
    };

    private static JsonObject EmptyMessage(string name)
    {
        var obj = new JsonObject();
        if (ProtobufSchema.Message(name) is { } message)
        {
            DecodeMessage(message, default, obj);
        }

        return obj;
    }

    private static bool IsZero(ProtoField field, JsonNode? value) => field.Kind switch
    {
        "string" => value is JsonValue v && v.GetValue<string>().Length == 0,
        "int32" or "int64" => value is JsonValue v && v.GetValue<long>() == 0,
        "uint64" => value is JsonValue v && v.GetValue<ulong>() == 0,
        "bool" => value is JsonValue v && !v.GetValue<bool>(),
        "double" => value is JsonValue v && v.GetValue<double>() == 0,
        "bytes" or "time" or "microtime" or "rawext" or "fieldsv1" => value is null,
        "message" => value is JsonObject { Count: 0 },
        _ => false,
    };

    private static JsonNode? ReadValue(ProtoField field, ref WireReader reader, int wireType)
    {
        if (field.Map)
        {
            var parts = field.Element.Split('|');
            var entry = new WireReader(reader.Bytes());
            var result = new JsonObject { ["k"] = "", ["v"] = null };
            while (entry.Next(out var n, out var w))
            {
                if (n == 1)
                {
                    result["k"] = Scalar(parts[0], ref entry, w)?.ToString() ?? "";
                }
                else if (n == 2)
                {
                    result["v"] = ReadKind(parts[1], parts.Length > 2 ? parts[2] : "", ref entry, w);
                }
                else
                {
                    entry.Skip(w);
                }
            }

            // A map value that is absent on the wire is the value type's zero.
            result["v"] ??= parts[1] switch
            {
                "string" => "",
                "bytes" => "",
                "quantity" => "0",
                "message" => EmptyMessage(parts.Length > 2 ? parts[2] : ""),
                "wrapped" => new JsonArray(),
                _ => null,
            };
            return result;
        }

        return ReadKind(field.Kind, field.Element, ref reader, wireType);
    }

    private static JsonNode? ReadKind(string kind, string element, ref WireReader reader, int wireType)
    {
        switch (kind)
        {
            case "message":
                var obj = new JsonObject();
                var bytes = reader.Bytes();
                if (ProtobufSchema.Message(element) is { } message)
                {
                    DecodeMessage(message, bytes, obj);
                }

                return obj;
            case "wrapped":
            {
                // A list carried as a message { repeated items = 1 } (map values such as ExtraValue).
                var inner = new WireReader(reader.Bytes());
                var itemKind = element.Split(':')[0];
                var array = new JsonArray();
                while (inner.Next(out var n, out var w))
                {
                    if (n == 1) array.Add(ReadKind(itemKind, "", ref inner, w));
                    else inner.Skip(w);
                }

                return array;
            }

            case "time":
            case "microtime":
            {
                var inner = new WireReader(reader.Bytes());
                long seconds = 0, nanos = 0;
                while (inner.Next(out var n, out var w))
                {
                    if (n == 1) seconds = (long)inner.Varint();
                    else if (n == 2) nanos = (int)inner.Varint();
                    else inner.Skip(w);
                }

                // metav1.Time marshals the zero time as an empty message; Go's zero time is year 1.
                if ((seconds == 0 && nanos == 0) || seconds == GoZeroTimeUnixSeconds)
                {
                    return null;
                }

                var time = DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanos / 100);
                return kind == "time"
                    ? time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
                    : time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
            }

            case "duration":
            {
                var inner = new WireReader(reader.Bytes());
                long ns = 0;
                while (inner.Next(out var n, out var w))
                {
                    if (n == 1) ns = (long)inner.Varint();
                    else inner.Skip(w);
                }

                return GoDuration(ns);
            }

            case "quantity":
            {
                var inner = new WireReader(reader.Bytes());
                var text = "0";
                while (inner.Next(out var n, out var w))
                {
                    if (n == 1 && w == 2) text = Encoding.UTF8.GetString(inner.Bytes());
                    else inner.Skip(w);
                }

                return text;
            }

            case "intorstring":
            {
                var inner = new WireReader(reader.Bytes());
                long type = 0;
                long intVal = 0;
                var strVal = "";
                while (inner.Next(out var n, out var w))
                {
                    if (n == 1) type = (long)inner.Varint();
                    else if (n == 2) intVal = (int)inner.Varint();
                    else if (n == 3 && w == 2) strVal = Encoding.UTF8.GetString(inner.Bytes());
                    else inner.Skip(w);
                }

                return type == 1 ? strVal : intVal;
            }

            case "rawext":
            case "fieldsv1":
            {
                var inner = new WireReader(reader.Bytes());
                JsonNode? result = null;
                while (inner.Next(out var n, out var w))
                {
                    if (n == 1 && w == 2)
                    {
                        var raw = inner.Bytes();
                        try
                        {
                            result = raw.Length == 0 ? null : JsonNode.Parse(raw);
                        }
                        catch (JsonException e)
                        {
                            throw new ProtobufDecodeException($"embedded object is not JSON: {e.Message}");
                        }
                    }
                    else
                    {
                        inner.Skip(w);
                    }
                }

                return result;
            }

            default:
                return Scalar(kind, ref reader, wireType);
        }
    }

    private static JsonNode? Scalar(string kind, ref WireReader reader, int wireType) => kind switch
    {
        "string" => Encoding.UTF8.GetString(reader.Bytes()),
        "bytes" => Convert.ToBase64String(reader.Bytes()),
        // Integers are held as long whatever their width, so zero checks and comparisons are uniform.
        "int32" => (long)(int)reader.Varint(),
        "int64" => (long)reader.Varint(),
        "uint64" => JsonValue.Create(reader.Varint()),
        "bool" => reader.Varint() != 0,
        "double" => wireType == 1 ? BitConverter.Int64BitsToDouble((long)reader.Fixed64()) : throw new ProtobufDecodeException("a double must be a fixed64"),
        _ => throw new ProtobufDecodeException($"unexpected field kind {kind}"),
    };

    /// <summary>Go's time.Duration.String(): "1h2m3s", "1.5s", "300ms", "0s".</summary>
    internal static string GoDuration(long nanoseconds)
    {
        if (nanoseconds == 0)
        {
            return "0s";
        }

        var negative = nanoseconds < 0;
        var d = (ulong)Math.Abs(nanoseconds);
        string text;
        if (d < 1_000_000_000)
        {
            text = d < 1_000 ? $"{d}ns" : d < 1_000_000 ? $"{Fraction(d, 1_000)}µs" : $"{Fraction(d, 1_000_000)}ms";
        }
        else
        {
            var hours = d / 3_600_000_000_000;
            var minutes = d / 60_000_000_000 % 60;
            var seconds = Fraction(d % 60_000_000_000, 1_000_000_000);
            text = hours > 0 ? $"{hours}h{minutes}m{seconds}s" : minutes > 0 ? $"{minutes}m{seconds}s" : $"{seconds}s";
        }

        return negative ? "-" + text : text;

        static string Fraction(ulong value, ulong unit)
        {
            var whole = value / unit;
            var rest = value % unit;
            if (rest == 0)
            {
                return whole.ToString(CultureInfo.InvariantCulture);
            }

            var digits = unit.ToString(CultureInfo.InvariantCulture).Length - 1;
            return $"{whole}.{rest.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0').TrimEnd('0')}";
        }
    }

    /// <summary>A forward-only reader of protobuf wire format.</summary>
    private ref struct WireReader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _data = data;

        public readonly bool AtEnd => _data.IsEmpty;

        public bool Next(out int number, out int wireType)
        {
            if (_data.IsEmpty)
            {
                number = wireType = 0;
                return false;
            }

            var tag = Varint();
            number = (int)(tag >> 3);
            wireType = (int)(tag & 7);
            if (number <= 0)
            {
                throw new ProtobufDecodeException("invalid field number 0");
            }

            return true;
        }

        public ulong Varint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_data.IsEmpty)
                {
                    throw new ProtobufDecodeException("unexpected end of data in a varint");
                }

                var b = _data[0];
                _data = _data[1..];
                result |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return result;
                }
            }

            throw new ProtobufDecodeException("varint too long");
        }

        public ulong Fixed64()
        {
            Need(8);
            var value = BinaryPrimitives.ReadUInt64LittleEndian(_data);
            _data = _data[8..];
            return value;
        }

        public ReadOnlySpan<byte> Bytes()
        {
            var length = Varint();
            if (length > (ulong)_data.Length)
            {
                throw new ProtobufDecodeException("length-delimited field runs past the end of the data");
            }

            var bytes = _data[..(int)length];
            _data = _data[(int)length..];
            return bytes;
        }

        public void Skip(int wireType)
        {
            switch (wireType)
            {
                case 0: Varint(); break;
                case 1: Need(8); _data = _data[8..]; break;
                case 2: Bytes(); break;
                case 5: Need(4); _data = _data[4..]; break;
                default: throw new ProtobufDecodeException($"unsupported wire type {wireType}");
            }
        }

        private readonly void Need(int n)
        {
            if (_data.Length < n)
            {
                throw new ProtobufDecodeException("unexpected end of data");
            }
        }
    }
}

public sealed class ProtobufDecodeException(string message) : FormatException(message);
