using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApiMachinery.Serialization;

namespace ApiMachinery.Protobuf;

/// <summary>
/// Writes JSON as gogo writes the Go value Go's encoding/json would read from it: fields by number,
/// non-pointer fields always (zero values included), pointers only when not null, slices and maps
/// element by element (map keys sorted), so a Go client decodes exactly the object the JSON describes.
/// JSON fields the schema does not know are dropped, as Go drops them.
/// </summary>
internal static class ProtobufJsonEncoder
{
    private const int MaxDepth = 64;

    public static void EncodeMessage(ProtoMessage message, JsonObject? obj, ProtoWriter writer, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ArgumentException($"{message.Name}: objects nested more than {MaxDepth} deep");
        }

        foreach (var field in message.WireOrder)
        {
            if (field.IsInline)
            {
                // The embedded struct's fields sit in this same JSON object.
                writer.WriteTag(field.Number, 2);
                var inline = writer.BeginLength();
                EncodeMessage(field.Type.Message!, obj, writer, depth + 1);
                writer.EndLength(inline);
                continue;
            }

            JsonNode? node = null;
            if (field.JsonName is { } name && obj is not null)
            {
                obj.TryGetPropertyValue(name, out node);
            }

            if (field.IsMap)
            {
                WriteMap(message, field, node, writer, depth);
            }
            else if (field.IsRepeated)
            {
                if (node is null)
                {
                    continue;
                }

                if (node is not JsonArray array)
                {
                    throw Mismatch(message, field, "an array", node);
                }

                foreach (var item in array)
                {
                    WriteValue(message, field, field.Type, field.Number, item, writer, depth, always: true);
                }
            }
            else if (node is not null || !field.IsPointer)
            {
                WriteValue(message, field, field.Type, field.Number, node, writer, depth, always: false);
            }
        }
    }

    private static void WriteMap(ProtoMessage message, ProtoField field, JsonNode? node, ProtoWriter writer, int depth)
    {
        if (node is null)
        {
            return;
        }

        if (node is not JsonObject map)
        {
            throw Mismatch(message, field, "an object", node);
        }

        var keys = new string[map.Count];
        var i = 0;
        foreach (var (key, _) in map)
        {
            keys[i++] = key;
        }

        Array.Sort(keys, Utf8Order.Comparer);
        foreach (var key in keys)
        {
            writer.WriteTag(field.Number, 2);
            var entry = writer.BeginLength();
            writer.WriteTag(1, 2);
            writer.WriteString(key);
            // gogo writes every map value, but a nil []byte value not at all.
            WriteValue(message, field, field.Type, 2, map[key], writer, depth, always: true);
            writer.EndLength(entry);
        }
    }

    /// <summary>
    /// Writes one value with its tag. <paramref name="always"/> is set for slice elements and map
    /// values, where gogo writes even a nil named slice (as an empty message).
    /// </summary>
    private static void WriteValue(ProtoMessage message, ProtoField field, ProtoType type, int number, JsonNode? node, ProtoWriter writer, int depth, bool always)
    {
        switch (type.Kind)
        {
            case ProtoKind.String:
                writer.WriteTag(number, 2);
                writer.WriteString(node is null ? "" : String(message, field, node));
                return;
            case ProtoKind.Bytes:
                // A nil []byte is not written; JSON null is nil.
                if (node is null)
                {
                    return;
                }

                byte[] bytes;
                try
                {
                    bytes = Convert.FromBase64String(String(message, field, node));
                }
                catch (FormatException)
                {
                    throw Mismatch(message, field, "base64", node);
                }

                writer.WriteTag(number, 2);
                writer.WriteBytes(bytes);
                return;
            case ProtoKind.Bool:
                writer.WriteTag(number, 0);
                writer.WriteVarint(node is null ? 0UL : node.GetValueKind() switch
                {
                    JsonValueKind.True => 1UL,
                    JsonValueKind.False => 0UL,
                    _ => throw Mismatch(message, field, "a boolean", node),
                });
                return;
            case ProtoKind.Int32:
                writer.WriteTag(number, 0);
                // A negative int32 goes out sign-extended to ten bytes, as gogo's uint64(int32) does.
                writer.WriteVarint((ulong)(long)checked((int)Integer(message, field, node, int.MinValue, int.MaxValue)));
                return;
            case ProtoKind.Int64:
                writer.WriteTag(number, 0);
                writer.WriteVarint((ulong)Integer(message, field, node, long.MinValue, long.MaxValue));
                return;
            case ProtoKind.UInt32:
                writer.WriteTag(number, 0);
                writer.WriteVarint((ulong)Integer(message, field, node, 0, uint.MaxValue));
                return;
            case ProtoKind.UInt64:
                writer.WriteTag(number, 0);
                writer.WriteVarint(UnsignedInteger(message, field, node));
                return;
            case ProtoKind.Double:
                writer.WriteTag(number, 1);
                writer.WriteFixed64(BitConverter.DoubleToUInt64Bits(Float(message, field, node)));
                return;
            case ProtoKind.Float:
                writer.WriteTag(number, 5);
                writer.WriteFixed32(BitConverter.SingleToUInt32Bits((float)Float(message, field, node)));
                return;
            case ProtoKind.Wrapped:
                // A nil named slice field is not written; as a map value or element it is, empty.
                if (node is null && !always)
                {
                    return;
                }

                break;
        }

        writer.WriteTag(number, 2);
        var start = writer.BeginLength();
        switch (type.Kind)
        {
            case ProtoKind.Message:
                if (node is not null and not JsonObject)
                {
                    throw Mismatch(message, field, "an object", node);
                }

                EncodeMessage(type.Message!, (JsonObject?)node, writer, depth + 1);
                break;
            case ProtoKind.Time:
            case ProtoKind.MicroTime:
                WriteTime(message, field, type.Kind, node, writer);
                break;
            case ProtoKind.Duration:
            {
                long nanoseconds = 0;
                if (node is not null && !GoFormats.TryParseDuration(String(message, field, node), out nanoseconds))
                {
                    throw Mismatch(message, field, "a Go duration", node);
                }

                writer.WriteTag(1, 0);
                writer.WriteVarint((ulong)nanoseconds);
                break;
            }

            case ProtoKind.Quantity:
                // Quantity accepts a JSON number too; its text travels as written.
                writer.WriteTag(1, 2);
                writer.WriteString(node switch
                {
                    null => "0",
                    _ when node.GetValueKind() == JsonValueKind.Number => node.ToJsonString(),
                    _ => String(message, field, node),
                });
                break;
            case ProtoKind.IntOrString:
            {
                var isString = node is not null && node.GetValueKind() == JsonValueKind.String;
                writer.WriteTag(1, 0);
                writer.WriteVarint(isString ? 1UL : 0UL);
                writer.WriteTag(2, 0);
                writer.WriteVarint(isString ? 0UL : (ulong)(long)(int)Integer(message, field, node, int.MinValue, int.MaxValue));
                writer.WriteTag(3, 2);
                writer.WriteString(isString ? node!.GetValue<string>() : "");
                break;
            }

            case ProtoKind.RawExtension:
            case ProtoKind.FieldsV1:
                if (node is not null)
                {
                    // The raw JSON as kube-apiserver would hold it: compact, escaped as Go escapes.
                    var json = new ArrayBufferWriter<byte>();
                    using (var jsonWriter = new Utf8JsonWriter(json, GoJsonEncoder.WriterOptions))
                    {
                        node.WriteTo(jsonWriter);
                    }

                    writer.WriteTag(1, 2);
                    writer.WriteBytes(json.WrittenSpan);
                }

                break;
            case ProtoKind.Wrapped:
                if (node is not null and not JsonArray)
                {
                    throw Mismatch(message, field, "an array", node);
                }

                foreach (var item in (JsonArray?)node ?? [])
                {
                    WriteValue(message, field, type.Item!, 1, item, writer, depth, always: true);
                }

                break;
            default:
                throw new InvalidOperationException($"{type} is not length-delimited");
        }

        writer.EndLength(start);
    }

    private static void WriteTime(ProtoMessage message, ProtoField field, ProtoKind kind, JsonNode? node, ProtoWriter writer)
    {
        // Go's zero time (null in JSON) marshals as an empty message.
        if (node is null)
        {
            return;
        }

        if (!GoFormats.TryParseRfc3339(String(message, field, node), out var seconds, out var nanos))
        {
            throw Mismatch(message, field, "an RFC3339 time", node);
        }

        if (seconds == GoFormats.ZeroTimeUnixSeconds && (kind == ProtoKind.Time || nanos < 1000))
        {
            return;
        }

        // Time sends whole seconds and a zero nanos field; MicroTime its microseconds.
        writer.WriteTag(1, 0);
        writer.WriteVarint((ulong)seconds);
        writer.WriteTag(2, 0);
        writer.WriteVarint(kind == ProtoKind.Time ? 0UL : (ulong)(nanos - (nanos % 1000)));
    }

    private static string String(ProtoMessage message, ProtoField field, JsonNode node) =>
        node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : throw Mismatch(message, field, "a string", node);

    private static long Integer(ProtoMessage message, ProtoField field, JsonNode? node, long min, long max)
    {
        if (node is null)
        {
            return 0;
        }

        if (node.GetValueKind() == JsonValueKind.Number && node is JsonValue value)
        {
            if (value.TryGetValue<long>(out var l) && l >= min && l <= max)
            {
                return l;
            }

            if (value.TryGetValue<int>(out var i) && i >= min && i <= max)
            {
                return i;
            }

            if (value.TryGetValue<uint>(out var u) && u <= max)
            {
                return u;
            }

            // Numbers parsed from JSON text, or held as other CLR types, pass through their text.
            if (long.TryParse(value.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out l) && l >= min && l <= max)
            {
                return l;
            }
        }

        throw Mismatch(message, field, $"an integer from {min} to {max}", node);
    }

    private static ulong UnsignedInteger(ProtoMessage message, ProtoField field, JsonNode? node)
    {
        if (node is null)
        {
            return 0;
        }

        if (node.GetValueKind() == JsonValueKind.Number
            && ulong.TryParse(node.ToJsonString(), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        throw Mismatch(message, field, "an unsigned integer", node);
    }

    private static double Float(ProtoMessage message, ProtoField field, JsonNode? node)
    {
        if (node is null)
        {
            return 0;
        }

        if (node.GetValueKind() == JsonValueKind.Number
            && double.TryParse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        throw Mismatch(message, field, "a number", node);
    }

    private static ArgumentException Mismatch(ProtoMessage message, ProtoField field, string expected, JsonNode? node) =>
        new($"{message.Name}.{field.JsonName}: expected {expected}, got {(node is null ? "null" : node.ToJsonString())}");
}
