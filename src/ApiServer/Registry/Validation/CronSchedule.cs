using System.Globalization;
using ApiMachinery.Text;

namespace ApiServer.Registry.Validation;

/// <summary>
/// The check kube makes of a CronJob's schedule: robfig/cron v3's ParseStandard (five fields
/// minute hour day-of-month month day-of-week, names for months and weekdays, <c>*</c> and <c>?</c>,
/// ranges, steps, lists; the descriptors <c>@yearly</c> ... <c>@hourly</c> and <c>@every &lt;duration&gt;</c>;
/// an optional <c>TZ=</c>/<c>CRON_TZ=</c> prefix), answering its error text, or null when the schedule parses.
/// </summary>
internal static class CronSchedule
{
    private sealed record Bounds(uint Min, uint Max, IReadOnlyDictionary<string, uint>? Names = null);

    private static readonly Bounds Minutes = new(0, 59);
    private static readonly Bounds Hours = new(0, 23);
    private static readonly Bounds DaysOfMonth = new(1, 31);

    private static readonly Bounds Months = new(1, 12, new Dictionary<string, uint>
    {
        ["jan"] = 1, ["feb"] = 2, ["mar"] = 3, ["apr"] = 4, ["may"] = 5, ["jun"] = 6,
        ["jul"] = 7, ["aug"] = 8, ["sep"] = 9, ["oct"] = 10, ["nov"] = 11, ["dec"] = 12,
    });

    private static readonly Bounds DaysOfWeek = new(0, 6, new Dictionary<string, uint>
    {
        ["sun"] = 0, ["mon"] = 1, ["tue"] = 2, ["wed"] = 3, ["thu"] = 4, ["fri"] = 5, ["sat"] = 6,
    });

    private static readonly string[] Descriptors = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

    /// <summary>The parser's error for a schedule, or null when it is valid.</summary>
    public static string? Error(string spec)
    {
        if (spec.Length == 0)
        {
            return "empty spec string";
        }
        if (spec.StartsWith("TZ=", StringComparison.Ordinal) || spec.StartsWith("CRON_TZ=", StringComparison.Ordinal))
        {
            var space = spec.IndexOf(' ', StringComparison.Ordinal);
            var eq = spec.IndexOf('=', StringComparison.Ordinal);
            var zone = space > eq ? spec[(eq + 1)..space] : spec[(eq + 1)..];
            if (TimeZoneError(zone) is { } zoneError)
            {
                return $"provided bad location {zone}: {zoneError}";
            }
            spec = space > eq ? spec[space..].Trim() : "";
        }
        if (spec.StartsWith('@'))
        {
            if (Descriptors.Contains(spec, StringComparer.Ordinal))
            {
                return null;
            }
            if (spec.StartsWith("@every ", StringComparison.Ordinal))
            {
                var duration = spec["@every ".Length..];
                return DurationError(duration) is { } durationError ? $"failed to parse duration {spec}: {durationError}" : null;
            }
            return $"unrecognized descriptor: {spec}";
        }
        var fields = spec.Split([' ', '\t', '\n', '\r', '\v', '\f'], StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
        {
            return string.Create(CultureInfo.InvariantCulture, $"expected exactly 5 fields, found {fields.Length}: [{string.Join(" ", fields)}]");
        }
        Bounds[] bounds = [Minutes, Hours, DaysOfMonth, Months, DaysOfWeek];
        for (var i = 0; i < 5; i++)
        {
            foreach (var expr in fields[i].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                if (RangeError(expr, bounds[i]) is { } error)
                {
                    return error;
                }
            }
        }
        return null;
    }

    /// <summary>Go's time.LoadLocation error for a zone name, or null when the zone exists.</summary>
    public static string? TimeZoneError(string zone)
    {
        if (zone is "" or "UTC" or "Local")
        {
            return null;
        }
        if (zone.StartsWith('/') || zone.Split('/').Any(p => p is "." or ".." || p.Length == 0))
        {
            return "unknown time zone " + zone;
        }
        try
        {
            TimeZoneInfo.FindSystemTimeZoneById(zone);
            return null;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
        {
            return "unknown time zone " + zone;
        }
    }

    private static string? RangeError(string expr, Bounds r)
    {
        var rangeAndStep = expr.Split('/');
        var lowAndHigh = rangeAndStep[0].Split('-');
        var singleDigit = lowAndHigh.Length == 1;
        uint start, end;
        if (lowAndHigh[0] is "*" or "?")
        {
            start = r.Min;
            end = r.Max;
        }
        else
        {
            if (IntOrName(lowAndHigh[0], r, out start) is { } startError)
            {
                return startError;
            }
            switch (lowAndHigh.Length)
            {
                case 1:
                    end = start;
                    break;
                case 2:
                    if (IntOrName(lowAndHigh[1], r, out end) is { } endError)
                    {
                        return endError;
                    }
                    break;
                default:
                    return $"too many hyphens: {expr}";
            }
        }
        uint step;
        switch (rangeAndStep.Length)
        {
            case 1:
                step = 1;
                break;
            case 2:
                if (ParseInt(rangeAndStep[1], out step) is { } stepError)
                {
                    return stepError;
                }
                if (singleDigit)
                {
                    end = r.Max;
                }
                break;
            default:
                return $"too many slashes: {expr}";
        }
        if (start < r.Min)
        {
            return string.Create(CultureInfo.InvariantCulture, $"beginning of range ({start}) below minimum ({r.Min}): {expr}");
        }
        if (end > r.Max)
        {
            return string.Create(CultureInfo.InvariantCulture, $"end of range ({end}) above maximum ({r.Max}): {expr}");
        }
        if (start > end)
        {
            return string.Create(CultureInfo.InvariantCulture, $"beginning of range ({start}) beyond end of range ({end}): {expr}");
        }
        if (step == 0)
        {
            return $"step of range should be a positive number: {expr}";
        }
        return null;
    }

    private static string? IntOrName(string expr, Bounds r, out uint value)
    {
        if (r.Names is not null && r.Names.TryGetValue(expr.ToLowerInvariant(), out value))
        {
            return null;
        }
        return ParseInt(expr, out value);
    }

    /// <summary>mustParseInt: strconv.Atoi, then no negatives.</summary>
    private static string? ParseInt(string expr, out uint value)
    {
        value = 0;
        var digits = expr.StartsWith('+') || expr.StartsWith('-') ? expr[1..] : expr;
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit))
        {
            return $"failed to parse int from {expr}: strconv.Atoi: parsing {GoText.Quote(expr)}: invalid syntax";
        }
        if (!long.TryParse(expr, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            return $"failed to parse int from {expr}: strconv.Atoi: parsing {GoText.Quote(expr)}: value out of range";
        }
        if (number < 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"negative number ({number}) not allowed: {expr}");
        }
        value = number > uint.MaxValue ? uint.MaxValue : (uint)number;
        return null;
    }

    /// <summary>Go's time.ParseDuration error, or null for a valid duration ("1h30m", "90s", "1.5h", "0").</summary>
    public static string? DurationError(string text)
    {
        var orig = text;
        var s = text;
        if (s.Length > 0 && s[0] is '+' or '-')
        {
            s = s[1..];
        }
        if (s == "0")
        {
            return null;
        }
        if (s.Length == 0)
        {
            return "time: invalid duration " + GoText.Quote(orig);
        }
        while (s.Length > 0)
        {
            var i = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }
            var hadDigits = i > 0;
            if (i < s.Length && s[i] == '.')
            {
                i++;
                var fracStart = i;
                while (i < s.Length && char.IsAsciiDigit(s[i]))
                {
                    i++;
                }
                hadDigits |= i > fracStart;
            }
            if (!hadDigits)
            {
                return "time: invalid duration " + GoText.Quote(orig);
            }
            s = s[i..];
            var u = 0;
            while (u < s.Length && s[u] != '.' && !char.IsAsciiDigit(s[u]))
            {
                u++;
            }
            if (u == 0)
            {
                return "time: missing unit in duration " + GoText.Quote(orig);
            }
            var unit = s[..u];
            if (unit is not ("ns" or "us" or "µs" or "μs" or "ms" or "s" or "m" or "h"))
            {
                return "time: unknown unit " + GoText.Quote(unit) + " in duration " + GoText.Quote(orig);
            }
            s = s[u..];
        }
        return null;
    }
}
