namespace ApiMachinery.Protobuf;

/// <summary>
/// Orders strings as their UTF-8 bytes compare, the order Go sorts map keys in (encoding/json and
/// gogo's marshalers). UTF-16 code units agree with it except that surrogates, which stand for code
/// points above U+FFFF, sort below U+E000 to U+FFFF; lifting them restores the byte order.
/// </summary>
internal sealed class Utf8Order : IComparer<string>
{
    public static readonly Utf8Order Comparer = new();

    public static int Compare(string? x, string? y)
    {
        if (x is null || y is null)
        {
            return x is null ? (y is null ? 0 : -1) : 1;
        }

        var length = Math.Min(x.Length, y.Length);
        for (var i = 0; i < length; i++)
        {
            if (x[i] != y[i])
            {
                return Rank(x[i]) - Rank(y[i]);
            }
        }

        return x.Length - y.Length;
    }

    int IComparer<string>.Compare(string? x, string? y) => Compare(x, y);

    private static int Rank(char c) => c switch
    {
        >= '\uD800' and <= '\uDFFF' => c + 0x2000,
        >= '\uE000' => c - 0x800,
        _ => c,
    };
}
