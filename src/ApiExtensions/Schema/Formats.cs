using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace ApiExtensions.Schema;

/// <summary>
/// The string formats kube-apiserver checks in custom resources (kube-openapi's strfmt registry, limited to the
/// formats apiextensions supports); other formats are dropped from the schema and never checked.
/// </summary>
internal static partial class Formats
{
    /// <summary>Format names as strfmt normalizes them (dashes removed), with their checks.</summary>
    private static readonly Dictionary<string, Func<string, bool>> Checks = new(StringComparer.Ordinal)
    {
        ["bsonobjectid"] = s => s.Length == 24 && s.All(Uri.IsHexDigit),
        ["uri"] = IsRequestUri,
        ["email"] = IsEmail,
        ["hostname"] = IsHostname,
        ["ipv4"] = s => s.Contains('.', StringComparison.Ordinal) && ParseIPSloppy(s) is not null,
        ["ipv6"] = s => s.Contains(':', StringComparison.Ordinal) && IPAddress.TryParse(s, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !s.Contains('%', StringComparison.Ordinal),
        ["cidr"] = IsCidr,
        ["mac"] = IsMac,
        ["uuid"] = s => UuidRegex().IsMatch(s),
        ["uuid3"] = s => Uuid3Regex().IsMatch(s),
        ["uuid4"] = s => Uuid4Regex().IsMatch(s),
        ["uuid5"] = s => Uuid5Regex().IsMatch(s),
        ["isbn"] = s => IsIsbn10(s) || IsIsbn13(s),
        ["isbn10"] = IsIsbn10,
        ["isbn13"] = IsIsbn13,
        ["creditcard"] = IsCreditCard,
        ["ssn"] = s => SsnRegex().IsMatch(s),
        ["hexcolor"] = s => HexColorRegex().IsMatch(s),
        ["rgbcolor"] = s => RgbColorRegex().IsMatch(s),
        ["byte"] = IsBase64,
        ["password"] = _ => true,
        ["date"] = s => DateTime.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        ["duration"] = IsDuration,
        ["datetime"] = IsDateTime,
        ["k8sshortname"] = s => s.Length <= 63 && ShortNameRegex().IsMatch(s),
        ["k8slongname"] = s => s.Length <= 253 && LongNameRegex().IsMatch(s),
    };

    /// <summary>The normalized name of a format kube checks on strings, or null when it is not checked.</summary>
    public static string? Supported(string format)
    {
        var normalized = format.Replace("-", "", StringComparison.Ordinal);
        return Checks.ContainsKey(normalized) ? normalized : null;
    }

    public static bool IsValid(string normalizedFormat, string value) =>
        Checks.TryGetValue(normalizedFormat, out var check) && check(value);

    // Go's net/url.ParseRequestURI: an absolute URI, or an absolute path.
    private static bool IsRequestUri(string s)
    {
        if (s.Length == 0)
        {
            return false;
        }
        if (s[0] == '/')
        {
            return !s.Any(char.IsControl) && !s.Contains(' ', StringComparison.Ordinal);
        }
        var colon = s.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !char.IsAsciiLetter(s[0]))
        {
            return false;
        }
        for (var i = 1; i < colon; i++)
        {
            if (!(char.IsAsciiLetterOrDigit(s[i]) || s[i] is '+' or '-' or '.'))
            {
                return false;
            }
        }
        return !s.Any(c => char.IsControl(c) || c == ' ');
    }

    private static bool IsEmail(string s)
    {
        // The common bare address takes the fast path; display names and quoting go to the full parser.
        var at = s.IndexOf('@', StringComparison.Ordinal);
        if (at > 0 && at < s.Length - 1 && s.IndexOf('@', at + 1) < 0 && s.AsSpan().IndexOfAny(" <>\"(),;:[]\\") < 0 && !s.Contains("..", StringComparison.Ordinal) && s[0] != '.' && s[^1] != '.')
        {
            return true;
        }
        try
        {
            var addr = new System.Net.Mail.MailAddress(s);
            return addr.Address.Length > 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static bool IsHostname(string s)
    {
        if (s.Length > 255 || !HostnameRegex().IsMatch(s))
        {
            return false;
        }
        return s.Split('.').All(p => p.Length <= 63);
    }

    /// <summary>netutils.ParseIPSloppy: IPv4 with leading zeros allowed (read as decimal), or IPv6.</summary>
    internal static IPAddress? ParseIPSloppy(string s)
    {
        if (s.Contains(':', StringComparison.Ordinal))
        {
            return !s.Contains('%', StringComparison.Ordinal) && IPAddress.TryParse(s, out var v6) ? v6 : null;
        }
        var parts = s.Split('.');
        if (parts.Length != 4)
        {
            return null;
        }
        var bytes = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            if (parts[i].Length is 0 or > 3 || !parts[i].All(char.IsAsciiDigit))
            {
                return null;
            }
            var v = int.Parse(parts[i], CultureInfo.InvariantCulture);
            if (v > 255)
            {
                return null;
            }
            bytes[i] = (byte)v;
        }
        return new IPAddress(bytes);
    }

    private static bool IsCidr(string s)
    {
        var slash = s.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || ParseIPSloppy(s[..slash]) is not { } ip)
        {
            return false;
        }
        var bits = s[(slash + 1)..];
        if (bits.Length == 0 || bits.Length > 3 || !bits.All(char.IsAsciiDigit))
        {
            return false;
        }
        var n = int.Parse(bits, CultureInfo.InvariantCulture);
        return n <= (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
    }

    // net.ParseMAC: 6, 8 or 20 octets separated by ':' or '-', or dotted groups of four hex digits.
    private static bool IsMac(string s) => MacRegex().IsMatch(s);

    private static bool IsIsbn10(string s)
    {
        var digits = s.Replace("-", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
        if (!Isbn10Regex().IsMatch(digits))
        {
            return false;
        }
        var sum = 0;
        for (var i = 0; i < 9; i++)
        {
            sum += (i + 1) * (digits[i] - '0');
        }
        sum += digits[9] == 'X' ? 100 : 10 * (digits[9] - '0');
        return sum % 11 == 0;
    }

    private static bool IsIsbn13(string s)
    {
        var digits = s.Replace("-", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
        if (digits.Length != 13 || !digits.All(char.IsAsciiDigit))
        {
            return false;
        }
        var sum = 0;
        for (var i = 0; i < 12; i++)
        {
            sum += (i % 2 == 0 ? 1 : 3) * (digits[i] - '0');
        }
        return (10 - sum % 10) % 10 == digits[12] - '0';
    }

    private static bool IsCreditCard(string s)
    {
        var digits = new string(s.Where(char.IsAsciiDigit).ToArray());
        if (!CreditCardRegex().IsMatch(digits))
        {
            return false;
        }
        var sum = 0;
        var alternate = false;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i] - '0';
            if (alternate)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }
            sum += d;
            alternate = !alternate;
        }
        return sum % 10 == 0;
    }

    private static bool IsBase64(string s)
    {
        if (s.Length % 4 != 0)
        {
            return false;
        }
        Span<byte> buffer = s.Length <= 1024 ? stackalloc byte[s.Length] : new byte[s.Length];
        return Convert.TryFromBase64String(s, buffer, out _);
    }

    // strfmt.ParseDuration: Go's time.ParseDuration, or "<n> <unit>" groups with long unit names.
    private static bool IsDuration(string s)
    {
        if (GoDuration.TryParse(s, out _))
        {
            return true;
        }
        var matches = DurationRegex().Matches(s);
        if (matches.Count == 0)
        {
            return false;
        }
        foreach (Match m in matches)
        {
            if (!DurationUnits.Contains(m.Groups[3].Value))
            {
                return false;
            }
        }
        return true;
    }

    private static readonly HashSet<string> DurationUnits = new(StringComparer.Ordinal)
    {
        "ns", "us", "µs", "ms", "s", "m", "h", "d", "w",
        "nanosecond", "nanoseconds", "microsecond", "microseconds", "millisecond", "milliseconds",
        "second", "seconds", "sec", "secs", "minute", "minutes", "min", "mins", "hour", "hours", "hr", "hrs",
        "day", "days", "week", "weeks",
    };

    // strfmt.IsDateTime: a full date, 'T', then a time with an optional fraction and a zone.
    private static bool IsDateTime(string s)
    {
        if (s.Length < 20)
        {
            return false;
        }
        var t = s.IndexOfAny(['T', 't']);
        if (t != 10)
        {
            return false;
        }
        if (!DateTime.TryParseExact(s[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            return false;
        }
        var m = DateTimeRegex().Match(s[11..]);
        if (!m.Success)
        {
            return false;
        }
        var hour = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        var minute = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        var second = int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
        return hour <= 23 && minute <= 59 && second <= 59;
    }

    [GeneratedRegex(@"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UuidRegex();

    [GeneratedRegex(@"^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Uuid3Regex();

    [GeneratedRegex(@"^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Uuid4Regex();

    [GeneratedRegex(@"^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Uuid5Regex();

    [GeneratedRegex(@"^\d{3}[- ]?\d{2}[- ]?\d{4}$")]
    private static partial Regex SsnRegex();

    [GeneratedRegex(@"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")]
    private static partial Regex HexColorRegex();

    [GeneratedRegex(@"^rgb\(\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*\)$")]
    private static partial Regex RgbColorRegex();

    [GeneratedRegex(@"^(?:[0-9]{9}X|[0-9]{10})$")]
    private static partial Regex Isbn10Regex();

    [GeneratedRegex(@"^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|(222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|2720)[0-9]{12}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11}|6[27][0-9]{14})$")]
    private static partial Regex CreditCardRegex();

    [GeneratedRegex(@"^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9\-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$")]
    private static partial Regex HostnameRegex();

    [GeneratedRegex(@"^(?:[0-9a-fA-F]{2}(?:[:-][0-9a-fA-F]{2}){5}|[0-9a-fA-F]{2}(?:[:-][0-9a-fA-F]{2}){7}|[0-9a-fA-F]{2}(?:[:-][0-9a-fA-F]{2}){19}|[0-9a-fA-F]{4}(?:\.[0-9a-fA-F]{4}){2}|[0-9a-fA-F]{4}(?:\.[0-9a-fA-F]{4}){3}|[0-9a-fA-F]{4}(?:\.[0-9a-fA-F]{4}){9})$")]
    private static partial Regex MacRegex();

    [GeneratedRegex(@"((\d+)\s*([A-Za-zµ]+))")]
    private static partial Regex DurationRegex();

    [GeneratedRegex(@"^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|Z|([+-][0-9]{2}:[0-9]{2}))$")]
    private static partial Regex DateTimeRegex();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex ShortNameRegex();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex LongNameRegex();
}

/// <summary>Go's time.ParseDuration ("300ms", "-1.5h", "2h45m"), to nanoseconds.</summary>
internal static class GoDuration
{
    public static bool TryParse(string s, out long nanos)
    {
        nanos = 0;
        var i = 0;
        var negative = false;
        if (i < s.Length && s[i] is '-' or '+')
        {
            negative = s[i] == '-';
            i++;
        }
        if (s[i..] == "0")
        {
            return true;
        }
        if (i >= s.Length)
        {
            return false;
        }
        decimal total = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }
            var intPart = s[start..i];
            var fracPart = "";
            if (i < s.Length && s[i] == '.')
            {
                i++;
                var fs = i;
                while (i < s.Length && char.IsAsciiDigit(s[i]))
                {
                    i++;
                }
                fracPart = s[fs..i];
            }
            if (intPart.Length == 0 && fracPart.Length == 0)
            {
                return false;
            }
            var us = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.')
            {
                i++;
            }
            var unit = s[us..i];
            decimal scale = unit switch
            {
                "ns" => 1m,
                "us" or "µs" or "μs" => 1_000m,
                "ms" => 1_000_000m,
                "s" => 1_000_000_000m,
                "m" => 60_000_000_000m,
                "h" => 3_600_000_000_000m,
                _ => -1m,
            };
            if (scale < 0)
            {
                return false;
            }
            decimal value = intPart.Length > 0 ? decimal.Parse(intPart.Length > 20 ? "99999999999999999999" : intPart, CultureInfo.InvariantCulture) : 0;
            if (fracPart.Length > 0)
            {
                value += decimal.Parse("0." + (fracPart.Length > 27 ? fracPart[..27] : fracPart), CultureInfo.InvariantCulture);
            }
            total += value * scale;
            if (total > long.MaxValue)
            {
                return false;
            }
        }
        nanos = (long)decimal.Truncate(negative ? -total : total);
        return true;
    }
}
