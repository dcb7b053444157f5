using ClientTools.CommandLine;
using Cronos;

namespace ControllerManager.CronJob;

/// <summary>
/// A CronJob schedule as kube reads it (robfig/cron's ParseStandard): five cron fields, names, steps
/// and the @yearly ... @hourly macros (parsed by Cronos), or <c>@every &lt;Go duration&gt;</c>, which
/// kube accepts too: a constant delay (at least a second, whole seconds) counted from the CronJob's
/// last start, or its creation.
/// </summary>
internal sealed class CronSchedule
{
    private const string Every = "@every ";

    private readonly CronExpression? _cron;
    private readonly TimeSpan _delay;

    private CronSchedule(CronExpression? cron, TimeSpan delay)
    {
        _cron = cron;
        _delay = delay;
    }

    /// <exception cref="FormatException">the schedule is not one robfig/cron parses (the message says why).</exception>
    public static CronSchedule Parse(string text)
    {
        if (text.StartsWith(Every, StringComparison.Ordinal))
        {
            var duration = text[Every.Length..].Trim();
            if (!GoDuration.TryParse(duration, out var delay))
            {
                throw new FormatException($"failed to parse duration {text}: time: invalid duration \"{duration}\"");
            }

            // robfig's Every: under a second is a second; the rest is cut to whole seconds.
            delay = delay < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(Math.Floor(delay.TotalSeconds));
            return new CronSchedule(null, delay);
        }

        try
        {
            return new CronSchedule(CronExpression.Parse(text, CronFormat.Standard), TimeSpan.Zero);
        }
        catch (CronFormatException e)
        {
            throw new FormatException(e.Message, e);
        }
    }

    /// <summary>The first start time after <paramref name="fromUtc"/> (robfig's Next), in UTC.</summary>
    public DateTime? GetNextOccurrence(DateTime fromUtc, TimeZoneInfo zone)
    {
        fromUtc = DateTime.SpecifyKind(fromUtc, DateTimeKind.Utc);
        if (_cron is not null)
        {
            return _cron.GetNextOccurrence(fromUtc, zone);
        }

        // ConstantDelaySchedule.Next: the time cut to its second, plus the delay.
        var second = new DateTime(fromUtc.Ticks - (fromUtc.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        return second + _delay;
    }

    /// <summary>The last start time in [<paramref name="occurrence"/>, <paramref name="now"/>], given that <paramref name="occurrence"/> is one.</summary>
    public DateTime LastAtOrBefore(DateTime occurrence, DateTime now, TimeZoneInfo zone)
    {
        if (_cron is not null)
        {
            var from = now.AddDays(-1) > occurrence ? now.AddDays(-1) : occurrence;
            var last = _cron.GetOccurrences(DateTime.SpecifyKind(from, DateTimeKind.Utc), DateTime.SpecifyKind(now, DateTimeKind.Utc), zone, fromInclusive: true, toInclusive: true).LastOrDefault();
            return last == default ? occurrence : last;
        }

        var steps = (now - occurrence).Ticks / _delay.Ticks;
        return occurrence + TimeSpan.FromTicks(steps * _delay.Ticks);
    }
}
