using System.Globalization;

namespace Admission.Quota;

/// <summary>How a quantity is written; sums keep the format of their left operand, as Go's do.</summary>
public enum QuantityFormat
{
    DecimalSI,
    BinarySI,
    DecimalExponent,
}

/// <summary>
/// A resource quantity (k8s.io/apimachinery resource.Quantity) as quota and limit ranges need it:
/// parse "500m", "1Gi", "2", "1e3"; compare; add; and print in the canonical form Go prints
/// ("2000" is "2k", "1024Mi" is "1Gi", "1.5" is "1500m").
/// </summary>
public readonly record struct Quantity(decimal Value, QuantityFormat Format) : IComparable<Quantity>
{
    private static readonly (string Suffix, int Exponent)[] DecimalSuffixes =
        [("n", -9), ("u", -6), ("m", -3), ("", 0), ("k", 3), ("M", 6), ("G", 9), ("T", 12), ("P", 15), ("E", 18)];

    private static readonly (string Suffix, int Power)[] BinarySuffixes =
        [("Ki", 1), ("Mi", 2), ("Gi", 3), ("Ti", 4), ("Pi", 5), ("Ei", 6)];

    public static readonly Quantity Zero = new(0, QuantityFormat.DecimalSI);

    public static Quantity Parse(string text) =>
        TryParse(text, out var q) ? q : throw new FormatException($"quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");

    public static bool TryParse(string? text, out Quantity quantity)
    {
        quantity = Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var end = 0;
        if (text[0] is '+' or '-')
        {
            end = 1;
        }

        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] == '.'))
        {
            end++;
        }

        if (!decimal.TryParse(text.AsSpan(0, end), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        var suffix = text[end..];
        try
        {
            foreach (var (s, power) in BinarySuffixes)
            {
                if (suffix == s)
                {
                    quantity = new Quantity(number * Pow(1024, power), QuantityFormat.BinarySI);
                    return true;
                }
            }

            foreach (var (s, exponent) in DecimalSuffixes)
            {
                if (suffix == s)
                {
                    quantity = new Quantity(number * Pow10(exponent), QuantityFormat.DecimalSI);
                    return true;
                }
            }

            if (suffix.Length > 1 && suffix[0] is 'e' or 'E'
                && int.TryParse(suffix.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var e) && e is >= -18 and <= 18)
            {
                quantity = new Quantity(number * Pow10(e), QuantityFormat.DecimalExponent);
                return true;
            }
        }
        catch (OverflowException)
        {
            return false;
        }

        return false;
    }

    public static Quantity operator +(Quantity a, Quantity b) => new(a.Value + b.Value, a.Format);

    public static Quantity operator -(Quantity a, Quantity b) => new(a.Value - b.Value, a.Format);

    public static bool operator <(Quantity a, Quantity b) => a.Value < b.Value;

    public static bool operator >(Quantity a, Quantity b) => a.Value > b.Value;

    public static bool operator <=(Quantity a, Quantity b) => a.Value <= b.Value;

    public static bool operator >=(Quantity a, Quantity b) => a.Value >= b.Value;

    public bool IsZero => Value == 0;

    public int CompareTo(Quantity other) => Value.CompareTo(other.Value);

    /// <summary>Go's Quantity.String(): the largest suffix that keeps the number whole.</summary>
    public override string ToString()
    {
        // Go rounds up to nano units.
        var value = Math.Ceiling(Value * 1_000_000_000m) / 1_000_000_000m;
        if (value == 0)
        {
            return "0";
        }

        if (Format == QuantityFormat.BinarySI && value == decimal.Truncate(value))
        {
            var power = 0;
            var mantissa = value;
            while (power < 6 && mantissa != 0 && mantissa % 1024 == 0)
            {
                mantissa /= 1024;
                power++;
            }

            if (power > 0 || Math.Abs(value) < 1024)
            {
                var suffix = power == 0 ? "" : BinarySuffixes[power - 1].Suffix;
                return mantissa.ToString("0", CultureInfo.InvariantCulture) + suffix;
            }
        }

        // Decimal: the largest exponent (a multiple of 3) that leaves a whole mantissa.
        var exponent = -9;
        var m = value * 1_000_000_000m;
        while (exponent < 18 && m % 1000 == 0)
        {
            m /= 1000;
            exponent += 3;
        }

        var text = m.ToString("0", CultureInfo.InvariantCulture);
        if (Format == QuantityFormat.DecimalExponent)
        {
            return exponent == 0 ? text : $"{text}e{exponent}";
        }

        return text + DecimalSuffixes.First(s => s.Exponent == exponent).Suffix;
    }

    private static decimal Pow(decimal b, int power)
    {
        var result = 1m;
        for (var i = 0; i < power; i++)
        {
            result *= b;
        }

        return result;
    }

    private static decimal Pow10(int exponent) => exponent >= 0 ? Pow(10, exponent) : 1m / Pow(10, -exponent);
}
