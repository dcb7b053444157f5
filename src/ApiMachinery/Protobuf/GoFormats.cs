using System.Globalization;

namespace ApiMachinery.Protobuf;

/// <summary>The JSON text forms Go gives metav1.Time, metav1.MicroTime and time.Duration.</summary>
internal static class GoFormats
{
    /// <summary>Unix seconds of Go's zero time (January 1, year 1, UTC), which JSON writes as null.</summary>
    public const long ZeroTimeUnixSeconds = -62135596800;

    private const long MaxUnixSeconds = 253402300799; // 9999-12-31T23:59:59Z

    /// <summary>
    /// metav1.Time: RFC3339 in UTC to the second. Go would write years past 9999 too; they are no
    /// real timestamps, so they are refused here rather than given an odd form.
    /// </summary>
    public static string FormatTime(long seconds) =>
        ToDateTime(seconds, 0).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>metav1.MicroTime: RFC3339 in UTC with exactly six fractional digits.</summary>
    public static string FormatMicroTime(long seconds, int nanos) =>
        ToDateTime(seconds, nanos).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// Parses RFC3339 as Go's time.Parse(time.RFC3339, s) does: "Z" or a ±hh:mm offset, and an optional
    /// fraction of a second.
    /// </summary>
    public static bool TryParseRfc3339(ReadOnlySpan<char> s, out long unixSeconds, out int nanos)
    {
        unixSeconds = 0;
        nanos = 0;
        if (s.Length < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':'
            || !Digits(s[..4], out var year) || !Digits(s.Slice(5, 2), out var month) || !Digits(s.Slice(8, 2), out var day)
            || !Digits(s.Slice(11, 2), out var hour) || !Digits(s.Slice(14, 2), out var minute) || !Digits(s.Slice(17, 2), out var second))
        {
            return false;
        }

        var rest = s[19..];
        if (rest[0] == '.' || rest[0] == ',')
        {
            var digits = 1;
            while (digits < rest.Length && char.IsAsciiDigit(rest[digits]))
            {
                if (digits <= 9)
                {
                    nanos = (nanos * 10) + (rest[digits] - '0');
                }

                digits++;
            }

            if (digits == 1)
            {
                return false;
            }

            for (var i = digits; i <= 9; i++)
            {
                nanos *= 10;
            }

            rest = rest[digits..];
        }

        var offsetSeconds = 0;
        if (rest is "Z")
        {
            // UTC
        }
        else if (rest.Length == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':'
                 && Digits(rest.Slice(1, 2), out var offsetHours) && Digits(rest.Slice(4, 2), out var offsetMinutes)
                 && offsetHours < 24 && offsetMinutes < 60)
        {
            offsetSeconds = ((offsetHours * 60) + offsetMinutes) * 60 * (rest[0] == '-' ? -1 : 1);
        }
        else
        {
            return false;
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc);
        unixSeconds = ((local.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond) - offsetSeconds;
        return true;

        static bool Digits(ReadOnlySpan<char> text, out int value)
        {
            value = 0;
            foreach (var c in text)
            {
                if (!char.IsAsciiDigit(c))
                {
                    return false;
                }

                value = (value * 10) + (c - '0');
            }

            return true;
        }
    }

    /// <summary>Go's time.Duration.String(): "1h2m3s", "1.5s", "300ms", "2µs", "0s".</summary>
    public static string FormatDuration(long nanoseconds)
    {
        Span<char> buffer = stackalloc char[32];
        var w = buffer.Length;
        var u = nanoseconds < 0 ? (ulong)-(nanoseconds + 1) + 1 : (ulong)nanoseconds;
        buffer[--w] = 's';
        if (u < 1_000_000_000)
        {
            int precision;
            w--;
            switch (u)
            {
                case 0:
                    buffer[w] = '0';
                    return new string(buffer[w..]);
                case < 1_000:
                    precision = 0;
                    buffer[w] = 'n';
                    break;
                case < 1_000_000:
                    precision = 3;
                    buffer[w] = '\u00B5';
                    break;
                default:
                    precision = 6;
                    buffer[w] = 'm';
                    break;
            }

            w = Fraction(buffer, w, ref u, precision);
            w = Integer(buffer, w, u);
        }
        else
        {
            w = Fraction(buffer, w, ref u, 9);
            w = Integer(buffer, w, u % 60);
            u /= 60;
            if (u > 0)
            {
                buffer[--w] = 'm';
                w = Integer(buffer, w, u % 60);
                u /= 60;
                if (u > 0)
                {
                    buffer[--w] = 'h';
                    w = Integer(buffer, w, u);
                }
            }
        }

        if (nanoseconds < 0)
        {
            buffer[--w] = '-';
        }

        return new string(buffer[w..]);

        // Writes the fraction of v / 10^precision before w, without trailing zeros or a lone point.
        static int Fraction(Span<char> buffer, int w, ref ulong v, int precision)
        {
            var print = false;
            for (var i = 0; i < precision; i++)
            {
                var digit = v % 10;
                print = print || digit != 0;
                if (print)
                {
                    buffer[--w] = (char)('0' + digit);
                }

                v /= 10;
            }

            if (print)
            {
                buffer[--w] = '.';
            }

            return w;
        }

        static int Integer(Span<char> buffer, int w, ulong v)
        {
            do
            {
                buffer[--w] = (char)('0' + (v % 10));
                v /= 10;
            }
            while (v > 0);
            return w;
        }
    }

    /// <summary>Go's time.ParseDuration: "[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+", or "0".</summary>
    public static bool TryParseDuration(ReadOnlySpan<char> s, out long nanoseconds)
    {
        nanoseconds = 0;
        var negative = false;
        if (!s.IsEmpty && (s[0] == '-' || s[0] == '+'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        if (s is "0")
        {
            return true;
        }

        if (s.IsEmpty)
        {
            return false;
        }

        ulong total = 0;
        const ulong Limit = 1UL << 63;
        while (!s.IsEmpty)
        {
            if (!(s[0] == '.' || char.IsAsciiDigit(s[0])))
            {
                return false;
            }

            ulong whole = 0;
            var i = 0;
            for (; i < s.Length && char.IsAsciiDigit(s[i]); i++)
            {
                if (whole > (Limit - 1) / 10)
                {
                    return false;
                }

                whole = (whole * 10) + (ulong)(s[i] - '0');
                if (whole > Limit)
                {
                    return false;
                }
            }

            var hasWhole = i > 0;
            s = s[i..];
            ulong fraction = 0;
            var scale = 1.0;
            var hasFraction = false;
            if (!s.IsEmpty && s[0] == '.')
            {
                s = s[1..];
                var overflow = false;
                for (i = 0; i < s.Length && char.IsAsciiDigit(s[i]); i++)
                {
                    if (overflow)
                    {
                        continue;
                    }

                    if (fraction > (long.MaxValue - 9) / 10)
                    {
                        overflow = true;
                        continue;
                    }

                    fraction = (fraction * 10) + (ulong)(s[i] - '0');
                    scale *= 10;
                }

                hasFraction = i > 0;
                s = s[i..];
            }

            if (!hasWhole && !hasFraction)
            {
                return false;
            }

            for (i = 0; i < s.Length && s[i] != '.' && !char.IsAsciiDigit(s[i]); i++)
            {
            }

            ulong unit = s[..i] switch
            {
                "ns" => 1,
                "us" or "\u00B5s" or "\u03BCs" => 1_000,
                "ms" => 1_000_000,
                "s" => 1_000_000_000,
                "m" => 60_000_000_000,
                "h" => 3_600_000_000_000,
                _ => 0,
            };
            if (unit == 0)
            {
                return false;
            }

            s = s[i..];
            if (whole > Limit / unit)
            {
                return false;
            }

            whole *= unit;
            if (fraction > 0)
            {
                whole += (ulong)(fraction * (unit / scale));
                if (whole > Limit)
                {
                    return false;
                }
            }

            total += whole;
            if (total > Limit)
            {
                return false;
            }
        }

        if (negative)
        {
            nanoseconds = total == Limit ? long.MinValue : -(long)total;
            return true;
        }

        if (total > long.MaxValue)
        {
            return false;
        }

        nanoseconds = (long)total;
        return true;
    }

    private static DateTime ToDateTime(long seconds, int nanos)
    {
        if (seconds < ZeroTimeUnixSeconds || seconds > MaxUnixSeconds)
        {
            throw new ProtobufDecodeException($"time {seconds}s since 1970 is outside years 1 to 9999");
        }

        return DateTime.UnixEpoch.AddTicks((seconds * TimeSpan.TicksPerSecond) + (nanos / 100));
    }
}
