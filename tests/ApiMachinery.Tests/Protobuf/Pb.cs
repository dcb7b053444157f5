using System.Text;

namespace ApiMachinery.Tests.Protobuf;

/// <summary>Builds protobuf wire bytes by hand, field by field, for decoder test cases.</summary>
internal static class Pb
{
    public static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        bytes.Add((byte)value);
        return [.. bytes];
    }

    public static byte[] Tag(int number, int wireType) => Varint(((ulong)number << 3) | (uint)wireType);

    /// <summary>A varint field; negative values sign-extend to ten bytes as Go's uint64(int) does.</summary>
    public static byte[] V(int number, long value) => [.. Tag(number, 0), .. Varint((ulong)value)];

    public static byte[] S(int number, string value) => B(number, Encoding.UTF8.GetBytes(value));

    public static byte[] B(int number, byte[] value) => [.. Tag(number, 2), .. Varint((ulong)value.Length), .. value];

    /// <summary>A length-delimited field holding the concatenation of other fields (a nested message).</summary>
    public static byte[] L(int number, params byte[][] fields) => B(number, M(fields));

    public static byte[] M(params byte[][] fields) => [.. fields.SelectMany(f => f)];

    /// <summary>A map entry {key = 1, value = 2} in field <paramref name="number"/>.</summary>
    public static byte[] Entry(int number, string key, string value) => L(number, S(1, key), S(2, value));

    /// <summary>"k8s\0" and a runtime.Unknown around <paramref name="raw"/>, as client-go writes it.</summary>
    public static byte[] Envelope(string apiVersion, string kind, byte[] raw) =>
        [.. "k8s\0"u8, .. L(1, S(1, apiVersion), S(2, kind)), .. B(2, raw), .. S(3, ""), .. S(4, "")];
}
