using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace ApiMachinery.Protobuf;

/// <summary>
/// Writes the protobuf wire format into a pooled, growing buffer. A nested message's length is not
/// known until its fields are written, so one byte is reserved for it and the content is moved on in
/// the rare case (128 bytes or more) that the length needs a longer varint.
/// </summary>
internal sealed class ProtoWriter : IDisposable
{
    private byte[] _buffer;
    private int _position;

    public ProtoWriter(int capacity = 1024) => _buffer = ArrayPool<byte>.Shared.Rent(capacity);

    public int Length => _position;

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_position));
        _position += bytes.Length;
    }

    public void WriteTag(int number, int wireType) => WriteVarint(((ulong)(uint)number << 3) | (uint)wireType);

    public void WriteVarint(ulong value)
    {
        Ensure(10);
        while (value >= 0x80)
        {
            _buffer[_position++] = (byte)(value | 0x80);
            value >>= 7;
        }

        _buffer[_position++] = (byte)value;
    }

    public void WriteFixed64(ulong value)
    {
        Ensure(8);
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(_position), value);
        _position += 8;
    }

    public void WriteFixed32(uint value)
    {
        Ensure(4);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_position), value);
        _position += 4;
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        WriteVarint((ulong)bytes.Length);
        WriteRaw(bytes);
    }

    public void WriteString(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        WriteVarint((ulong)count);
        Ensure(count);
        _position += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_position));
    }

    /// <summary>Starts a length-delimited value; pass the result to <see cref="EndLength"/>.</summary>
    public int BeginLength()
    {
        Ensure(1);
        _position++;
        return _position;
    }

    public void EndLength(int contentStart)
    {
        var length = _position - contentStart;
        var size = VarintSize((ulong)length);
        if (size > 1)
        {
            Ensure(size - 1);
            _buffer.AsSpan(contentStart, length).CopyTo(_buffer.AsSpan(contentStart + size - 1));
            _position += size - 1;
        }

        var at = contentStart - 1;
        var value = (ulong)length;
        while (value >= 0x80)
        {
            _buffer[at++] = (byte)(value | 0x80);
            value >>= 7;
        }

        _buffer[at] = (byte)value;
    }

    public byte[] ToArray() => _buffer.AsSpan(0, _position).ToArray();

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int VarintSize(ulong value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    private void Ensure(int count)
    {
        if (_buffer.Length - _position >= count)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _position + count));
        _buffer.AsSpan(0, _position).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
