using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ApiMachinery.Protobuf;

/// <summary>
/// Turns a gogo-encoded message into the JSON Go's encoding/json writes for the same Go value:
/// fields in struct order, pointers present even when zero, omitempty dropping zero scalars and
/// empty slices and maps but never structs, nil slices and maps as null, embedded structs flattened,
/// and Time, Quantity, IntOrString, RawExtension in their own JSON forms.
/// </summary>
internal static class ProtobufJsonDecoder
{
    /// <summary>Guards the recursion; the built-in types nest far less deeply.</summary>
    private const int MaxDepth = 64;

    public static void DecodeInto(ProtoMessage message, ReadOnlySpan<byte> data, JsonObject target, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ProtobufDecodeException($"{message.Name}: messages nested more than {MaxDepth} deep");
        }

        var count = message.Fields.Length;
        var slots = ArrayPool<Slot>.Shared.Rent(count);
        Array.Clear(slots, 0, count);
        try
        {
            Collect(message, data, slots, depth);
            Emit(message, data, slots, target, depth);
        }
        finally
        {
            // Slots hold nodes and buffers: clear them so the pool keeps nothing alive.
            Array.Clear(slots, 0, count);
            ArrayPool<Slot>.Shared.Return(slots);
        }
    }

    /// <summary>
    /// One pass over the wire: singular values are remembered (the last wins; a message seen twice
    /// merges, as protobuf specifies, by decoding the concatenation), repeated and map values are
    /// decoded as they come.
    /// </summary>
    private static void Collect(ProtoMessage message, ReadOnlySpan<byte> data, Slot[] slots, int depth)
    {
        var reader = new ProtoReader(data);
        while (reader.Next(out var number, out var wireType))
        {
            var index = message.IndexOf(number);
            if (index < 0)
            {
                reader.Skip(number, wireType);
                continue;
            }

            var field = message.Fields[index];
            ref var slot = ref slots[index];
            var type = field.Type;
            if (field.IsMap)
            {
                ExpectWireType(message, field, wireType, 2);
                var entry = reader.ReadBytes();
                slot.Entries ??= [];
                slot.Entries.Add(ReadMapEntry(message, field, entry, depth));
                continue;
            }

            if (field.IsRepeated)
            {
                if (type.IsNumeric && wireType == 2)
                {
                    // A packed run of numbers: gogo writes proto2 repeated numbers unpacked but reads both.
                    var packed = new ProtoReader(reader.ReadBytes());
                    while (!packed.AtEnd)
                    {
                        (slot.Items ??= new JsonArray()).Add(Number(type, packed.ReadNumber(type.WireType)));
                    }

                    continue;
                }

                ExpectWireType(message, field, wireType, type.WireType);
                var item = type.IsNumeric ? Number(type, reader.ReadNumber(wireType)) : Delimited(type, reader.ReadBytes(), depth);
                (slot.Items ??= new JsonArray()).Add(item);
                continue;
            }

            ExpectWireType(message, field, wireType, type.WireType);
            if (type.IsNumeric)
            {
                slot.Bits = reader.ReadNumber(wireType);
            }
            else
            {
                var bytes = reader.ReadBytes(out var start);
                if (slot.Present && (type.Merges || field.IsInline))
                {
                    slot.Merged = [.. SlotBytes(in slot, data), .. bytes];
                }
                else
                {
                    slot.Start = start;
                    slot.Length = bytes.Length;
                    slot.Merged = null;
                }
            }

            slot.Present = true;
        }
    }

    private static void Emit(ProtoMessage message, ReadOnlySpan<byte> data, Slot[] slots, JsonObject target, int depth)
    {
        var fields = message.Fields;
        for (var i = 0; i < fields.Length; i++)
        {
            var field = fields[i];
            if (field.JsonName is not { } name)
            {
                continue;
            }

            ref var slot = ref slots[i];
            if (field.IsInline)
            {
                // Go omits the fields of a nil embedded pointer, and writes a value's fields in place.
                if (slot.Present || !field.IsPointer)
                {
                    DecodeInto(field.Type.Message!, slot.Present ? SlotBytes(in slot, data) : default, target, depth + 1);
                }

                continue;
            }

            if (field.IsMap)
            {
                if (slot.Entries is { Count: > 0 } entries)
                {
                    target[name] = SortedObject(entries);
                }
                else if (!field.IsOmitEmpty)
                {
                    target[name] = null;
                }

                continue;
            }

            if (field.IsRepeated)
            {
                if (slot.Items is { Count: > 0 } items)
                {
                    target[name] = items;
                }
                else if (!field.IsOmitEmpty)
                {
                    target[name] = null;
                }

                continue;
            }

            var type = field.Type;
            if (!slot.Present)
            {
                if (field.IsPointer)
                {
                    if (!field.IsOmitEmpty)
                    {
                        target[name] = null;
                    }
                }
                else if (!(field.IsOmitEmpty && (type.IsOmittable || type.Kind == ProtoKind.Wrapped)))
                {
                    target[name] = ZeroValue(type, depth);
                }

                continue;
            }

            if (type.IsNumeric)
            {
                if (field.IsPointer || !field.IsOmitEmpty || !IsZeroNumber(type, slot.Bits))
                {
                    target[name] = Number(type, slot.Bits);
                }

                continue;
            }

            var bytes = SlotBytes(in slot, data);
            if (!field.IsPointer && field.IsOmitEmpty && bytes.IsEmpty && type.Kind is ProtoKind.String or ProtoKind.Bytes)
            {
                continue;
            }

            var value = Delimited(type, bytes, depth);
            if (!field.IsPointer && field.IsOmitEmpty && type.Kind == ProtoKind.Wrapped && value is JsonArray { Count: 0 })
            {
                continue;
            }

            target[name] = value;
        }
    }

    /// <summary>Go's omitempty test on the value gogo would hold: an int32 keeps only the varint's low bits, and -0.0 is zero.</summary>
    private static bool IsZeroNumber(ProtoType type, ulong bits) => type.Kind switch
    {
        ProtoKind.Int32 or ProtoKind.UInt32 => (uint)bits == 0,
        ProtoKind.Double => BitConverter.UInt64BitsToDouble(bits) == 0,
        ProtoKind.Float => BitConverter.UInt32BitsToSingle((uint)bits) == 0,
        _ => bits == 0,
    };

    private static ReadOnlySpan<byte> SlotBytes(in Slot slot, ReadOnlySpan<byte> data) =>
        slot.Merged ?? data.Slice(slot.Start, slot.Length);

    /// <summary>The JSON of a Go zero value of a type, as an absent non-pointer field has it.</summary>
    private static JsonNode? ZeroValue(ProtoType type, int depth) => type.Kind switch
    {
        ProtoKind.String => "",
        ProtoKind.Bool => false,
        ProtoKind.Int32 or ProtoKind.Int64 or ProtoKind.UInt32 or ProtoKind.UInt64 => 0,
        ProtoKind.Double or ProtoKind.Float => 0,
        ProtoKind.Duration => "0s",
        ProtoKind.Quantity => "0",
        ProtoKind.IntOrString => 0,
        ProtoKind.Message => Delimited(type, default, depth),
        // nil byte slices, nil named slices, zero times and empty raw extensions are null.
        _ => null,
    };

    /// <summary>A map value absent from its entry: gogo starts from a fresh zero value, and for []byte an empty one.</summary>
    private static JsonNode? ZeroMapValue(ProtoType type, int depth) => type.Kind switch
    {
        ProtoKind.Bytes => "",
        ProtoKind.Wrapped => new JsonArray(),
        _ => ZeroValue(type, depth),
    };

    private static JsonNode Number(ProtoType type, ulong bits) => type.Kind switch
    {
        ProtoKind.Bool => JsonValue.Create(bits != 0),
        // gogo reads an int32 as the low 32 bits of the varint.
        ProtoKind.Int32 => JsonValue.Create((int)bits),
        ProtoKind.Int64 => JsonValue.Create((long)bits),
        ProtoKind.UInt32 => JsonValue.Create((uint)bits),
        ProtoKind.UInt64 => JsonValue.Create(bits),
        ProtoKind.Double => JsonValue.Create(BitConverter.UInt64BitsToDouble(bits)),
        ProtoKind.Float => JsonValue.Create((double)BitConverter.UInt32BitsToSingle((uint)bits)),
        _ => throw new InvalidOperationException($"{type} is not a number"),
    };

    /// <summary>Decodes a length-delimited value of a type.</summary>
    private static JsonNode? Delimited(ProtoType type, ReadOnlySpan<byte> bytes, int depth)
    {
        switch (type.Kind)
        {
            case ProtoKind.String:
                return JsonValue.Create(Encoding.UTF8.GetString(bytes));
            case ProtoKind.Bytes:
                return JsonValue.Create(Convert.ToBase64String(bytes));
            case ProtoKind.Message:
                var obj = new JsonObject();
                DecodeInto(type.Message!, bytes, obj, depth + 1);
                return obj;
            case ProtoKind.Time:
            case ProtoKind.MicroTime:
                return TimeValue(type.Kind, bytes);
            case ProtoKind.Duration:
            {
                long nanoseconds = 0;
                var reader = new ProtoReader(bytes);
                while (reader.Next(out var n, out var w))
                {
                    if (n == 1 && w == 0) nanoseconds = (long)reader.ReadVarint();
                    else reader.Skip(n, w);
                }

                return GoFormats.FormatDuration(nanoseconds);
            }

            case ProtoKind.Quantity:
            {
                // Quantity reads its text with ParseQuantity, which refuses an empty one.
                string? text = null;
                var reader = new ProtoReader(bytes);
                while (reader.Next(out var n, out var w))
                {
                    if (n == 1 && w == 2) text = Encoding.UTF8.GetString(reader.ReadBytes());
                    else reader.Skip(n, w);
                }

                if (text is "")
                {
                    throw new ProtobufDecodeException("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
                }

                return text ?? "0";
            }

            case ProtoKind.IntOrString:
            {
                ulong kind = 0;
                var intValue = 0;
                var stringValue = "";
                var reader = new ProtoReader(bytes);
                while (reader.Next(out var n, out var w))
                {
                    if (n == 1 && w == 0) kind = reader.ReadVarint();
                    else if (n == 2 && w == 0) intValue = (int)reader.ReadVarint();
                    else if (n == 3 && w == 2) stringValue = Encoding.UTF8.GetString(reader.ReadBytes());
                    else reader.Skip(n, w);
                }

                return kind switch
                {
                    0 => JsonValue.Create(intValue),
                    1 => JsonValue.Create(stringValue),
                    _ => throw new ProtobufDecodeException($"impossible IntOrString.Type {kind}"),
                };
            }

            case ProtoKind.RawExtension:
            case ProtoKind.FieldsV1:
            {
                var found = false;
                ReadOnlySpan<byte> raw = default;
                var reader = new ProtoReader(bytes);
                while (reader.Next(out var n, out var w))
                {
                    if (n == 1 && w == 2)
                    {
                        raw = reader.ReadBytes();
                        found = true;
                    }
                    else
                    {
                        reader.Skip(n, w);
                    }
                }

                // Go writes the raw bytes as they are, so they must already be JSON.
                if (!found || raw.IsEmpty)
                {
                    return null;
                }

                try
                {
                    return JsonNode.Parse(raw);
                }
                catch (JsonException e)
                {
                    throw new ProtobufDecodeException($"an embedded {(type.Kind == ProtoKind.FieldsV1 ? "FieldsV1" : "RawExtension")} is not JSON: {e.Message}");
                }
            }

            case ProtoKind.Wrapped:
            {
                var item = type.Item!;
                var array = new JsonArray();
                var reader = new ProtoReader(bytes);
                while (reader.Next(out var n, out var w))
                {
                    if (n != 1)
                    {
                        reader.Skip(n, w);
                    }
                    else if (item.IsNumeric)
                    {
                        array.Add(Number(item, reader.ReadNumber(w)));
                    }
                    else if (w == 2)
                    {
                        array.Add(Delimited(item, reader.ReadBytes(), depth));
                    }
                    else
                    {
                        throw new ProtobufDecodeException($"proto: wrong wireType = {w} for the items of {type}");
                    }
                }

                return array;
            }

            default:
                throw new InvalidOperationException($"{type} is not length-delimited");
        }
    }

    private static JsonNode? TimeValue(ProtoKind kind, ReadOnlySpan<byte> bytes)
    {
        // metav1.Time marshals its zero as an empty message, and unmarshals an empty one as zero.
        if (bytes.IsEmpty)
        {
            return null;
        }

        long seconds = 0, nanos = 0;
        var reader = new ProtoReader(bytes);
        while (reader.Next(out var n, out var w))
        {
            if (n == 1 && w == 0) seconds = (long)reader.ReadVarint();
            else if (n == 2 && w == 0) nanos = (int)reader.ReadVarint();
            else reader.Skip(n, w);
        }

        if (kind == ProtoKind.Time)
        {
            // Time keeps whole seconds only; a non-empty message is a real instant, even 1970-01-01.
            return seconds == GoFormats.ZeroTimeUnixSeconds ? null : GoFormats.FormatTime(seconds);
        }

        // MicroTime truncates to microseconds; time.Unix folds nanoseconds outside [0, 1e9) into seconds.
        nanos -= nanos % 1000;
        seconds += Math.DivRem(nanos, 1_000_000_000, out nanos);
        if (nanos < 0)
        {
            seconds--;
            nanos += 1_000_000_000;
        }

        return seconds == GoFormats.ZeroTimeUnixSeconds && nanos == 0 ? null : GoFormats.FormatMicroTime(seconds, (int)nanos);
    }

    private static KeyValuePair<string, JsonNode?> ReadMapEntry(ProtoMessage message, ProtoField field, ReadOnlySpan<byte> entry, int depth)
    {
        string? key = null;
        JsonNode? value = null;
        var hasValue = false;
        var type = field.Type;
        var reader = new ProtoReader(entry);
        while (reader.Next(out var n, out var w))
        {
            if (n == 1)
            {
                if (w != 2 || field.Key!.Kind != ProtoKind.String)
                {
                    throw new ProtobufDecodeException($"proto: wrong wireType = {w} for the key of {message.Name}.{field.JsonName}");
                }

                key = Encoding.UTF8.GetString(reader.ReadBytes());
            }
            else if (n == 2)
            {
                if (w != type.WireType && !(type.IsNumeric && w == 2))
                {
                    throw new ProtobufDecodeException($"proto: wrong wireType = {w} for the values of {message.Name}.{field.JsonName}");
                }

                value = type.IsNumeric ? Number(type, reader.ReadNumber(w)) : Delimited(type, reader.ReadBytes(), depth);
                hasValue = true;
            }
            else
            {
                reader.Skip(n, w);
            }
        }

        return new(key ?? "", hasValue ? value : ZeroMapValue(type, depth));
    }

    /// <summary>Go writes map keys sorted by their bytes; gogo already sends them so, so sorting is rare.</summary>
    private static JsonObject SortedObject(List<KeyValuePair<string, JsonNode?>> entries)
    {
        var sorted = true;
        for (var i = 1; i < entries.Count && sorted; i++)
        {
            sorted = Utf8Order.Compare(entries[i - 1].Key, entries[i].Key) < 0;
        }

        if (!sorted)
        {
            // Stable, so that of repeated keys the last (the one a Go map keeps) ends each run.
            var ordered = entries.Select((e, i) => (Entry: e, Index: i))
                .OrderBy(p => p.Entry.Key, Utf8Order.Comparer).ThenBy(p => p.Index)
                .Select(p => p.Entry).ToList();
            entries.Clear();
            foreach (var entry in ordered)
            {
                if (entries.Count > 0 && entries[^1].Key == entry.Key)
                {
                    entries[^1] = entry;
                }
                else
                {
                    entries.Add(entry);
                }
            }
        }

        var obj = new JsonObject();
        foreach (var (key, value) in entries)
        {
            obj.Add(key, value);
        }

        return obj;
    }

    private static void ExpectWireType(ProtoMessage message, ProtoField field, int actual, int expected)
    {
        if (actual != expected)
        {
            throw new ProtobufDecodeException($"proto: wrong wireType = {actual} for field {message.Name}.{field.JsonName ?? field.Number.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }
    }

    /// <summary>What one field collected from the wire.</summary>
    private struct Slot
    {
        public bool Present;
        public int Start;
        public int Length;
        public ulong Bits;
        public byte[]? Merged;
        public JsonArray? Items;
        public List<KeyValuePair<string, JsonNode?>>? Entries;
    }
}
