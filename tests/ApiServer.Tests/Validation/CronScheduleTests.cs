using ApiServer.Registry.Validation;

namespace ApiServer.Tests.Validation;

/// <summary>A CronJob's schedule, checked as kube's cron library (robfig/cron v3, ParseStandard) checks it.</summary>
public sealed class CronScheduleTests
{
    [Theory]
    [InlineData("*/5 * * * *")]
    [InlineData("0 0 * * 0")]
    [InlineData("15 3 1-15/2 jan-mar mon,wed,FRI")]
    [InlineData("? * * * *")]
    [InlineData("0 12 * * sun")]
    [InlineData("@hourly")]
    [InlineData("@daily")]
    [InlineData("@midnight")]
    [InlineData("@weekly")]
    [InlineData("@monthly")]
    [InlineData("@yearly")]
    [InlineData("@annually")]
    [InlineData("@every 1h30m")]
    [InlineData("@every 90s")]
    [InlineData("@every 1.5h")]
    [InlineData("TZ=UTC 0 * * * *")]
    [InlineData("CRON_TZ=Europe/Berlin 0 * * * *")]
    public void Error_ValidSchedule_IsNull(string schedule) => Assert.Null(CronSchedule.Error(schedule));

    [Theory]
    [InlineData("not a schedule", "expected exactly 5 fields, found 3: [not a schedule]")]
    [InlineData("* * * *", "expected exactly 5 fields, found 4: [* * * *]")]
    [InlineData("* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]")]
    [InlineData("60 * * * *", "end of range (60) above maximum (59): 60")]
    [InlineData("* 24 * * *", "end of range (24) above maximum (23): 24")]
    [InlineData("* * 0 * *", "beginning of range (0) below minimum (1): 0")]
    [InlineData("* * * 13 *", "end of range (13) above maximum (12): 13")]
    [InlineData("* * * * 7", "end of range (7) above maximum (6): 7")]
    [InlineData("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1")]
    [InlineData("*/0 * * * *", "step of range should be a positive number: */0")]
    [InlineData("1-2-3 * * * *", "too many hyphens: 1-2-3")]
    [InlineData("*/2/3 * * * *", "too many slashes: */2/3")]
    [InlineData("x * * * *", "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax")]
    [InlineData("* * * foo *", "failed to parse int from foo: strconv.Atoi: parsing \"foo\": invalid syntax")]
    [InlineData("@often", "unrecognized descriptor: @often")]
    [InlineData("@every soon", "failed to parse duration @every soon: time: invalid duration \"soon\"")]
    [InlineData("@every 5", "failed to parse duration @every 5: time: missing unit in duration \"5\"")]
    [InlineData("@every 5y", "failed to parse duration @every 5y: time: unknown unit \"y\" in duration \"5y\"")]
    [InlineData("TZ=Mars/Olympus 0 * * * *", "provided bad location Mars/Olympus: unknown time zone Mars/Olympus")]
    [InlineData("", "empty spec string")]
    public void Error_InvalidSchedule_IsTheParsersMessage(string schedule, string expected) =>
        Assert.Equal(expected, CronSchedule.Error(schedule));
}
