using System.Buffers.Binary;

namespace ApiMachinery.Protobuf;

/// <summary>A forward-only reader of the protobuf wire format over one message's bytes.</summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly bool AtEnd => _position >= _data.Length;

    /// <summary>Reads the next tag; false at the end of the message.</summary>
    public bool Next(out int number, out int wireType)
    {
        if (_position >= _data.Length)
        {
            number = wireType = 0;
            return false;
        }

        var tag = ReadVarint();
        wireType = (int)(tag & 7);
        var n = tag >> 3;
        if (n == 0 || n > int.MaxValue)
        {
            throw new ProtobufDecodeException($"proto: illegal field number {n} at offset {_position}");
        }

        number = (int)n;
        return true;
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length)
            {
                throw new ProtobufDecodeException("unexpected EOF in a varint");
            }

            var b = _data[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw new ProtobufDecodeException("proto: integer overflow in a varint");
    }

    public ulong ReadFixed64()
    {
        Need(8);
        var value = BinaryPrimitives.ReadUInt64LittleEndian(_data[_position..]);
        _position += 8;
        return value;
    }

    public uint ReadFixed32()
    {
        Need(4);
        var value = BinaryPrimitives.ReadUInt32LittleEndian(_data[_position..]);
        _position += 4;
        return value;
    }

    /// <summary>Reads a length-delimited value; <paramref name="start"/> is its offset in this reader's data.</summary>
    public ReadOnlySpan<byte> ReadBytes(out int start)
    {
        var length = ReadVarint();
        if (length > (ulong)(_data.Length - _position))
        {
            throw new ProtobufDecodeException("unexpected EOF: a length-delimited field runs past the end of its message");
        }

        start = _position;
        _position += (int)length;
        return _data.Slice(start, (int)length);
    }

    public ReadOnlySpan<byte> ReadBytes() => ReadBytes(out _);

    /// <summary>Reads a value of the given wire type into a number (varint, fixed64, fixed32).</summary>
    public ulong ReadNumber(int wireType) => wireType switch
    {
        0 => ReadVarint(),
        1 => ReadFixed64(),
        5 => ReadFixed32(),
        _ => throw new ProtobufDecodeException($"proto: wire type {wireType} where a number belongs"),
    };

    /// <summary>Skips a field this schema does not know, as gogo's generated skip function does.</summary>
    public void Skip(int number, int wireType, int depth = 0)
    {
        switch (wireType)
        {
            case 0:
                ReadVarint();
                break;
            case 1:
                Need(8);
                _position += 8;
                break;
            case 2:
                ReadBytes();
                break;
            case 3:
                // A group: skip to its end-group tag.
                if (depth > 64)
                {
                    throw new ProtobufDecodeException("proto: groups nested too deeply");
                }

                while (true)
                {
                    if (!Next(out var inner, out var innerWire))
                    {
                        throw new ProtobufDecodeException("unexpected EOF in a group");
                    }

                    if (innerWire == 4)
                    {
                        if (inner != number)
                        {
                            throw new ProtobufDecodeException("proto: mismatched end group");
                        }

                        return;
                    }

                    Skip(inner, innerWire, depth + 1);
                }

            case 5:
                Need(4);
                _position += 4;
                break;
            default:
                throw new ProtobufDecodeException($"proto: illegal wireType {wireType}");
        }
    }

    private readonly void Need(int count)
    {
        if (_data.Length - _position < count)
        {
            throw new ProtobufDecodeException("unexpected EOF");
        }
    }
}
