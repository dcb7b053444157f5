using Storage.Cacher;

namespace Storage.Tests.Cacher;

/// <summary>When a watcher's bookmarks are due (kube's cacheWatcher.nextBookmarkTime): every interval, and 2 s before the deadline.</summary>
public sealed class BookmarkTimesTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void EveryInterval_WhileTheDeadlineIsFar()
    {
        var times = new BookmarkTimes(TimeSpan.FromMinutes(1), Start.AddMinutes(30));
        times.ScheduleAfter(Start);
        Assert.Equal(Start.AddMinutes(1), times.Next);
        Assert.False(times.IsDue(Start.AddSeconds(59)));
        Assert.True(times.IsDue(Start.AddMinutes(1)));

        // Counted from when the last one went out, not from when it was due.
        times.ScheduleAfter(Start.AddSeconds(61));
        Assert.Equal(Start.AddSeconds(121), times.Next);
    }

    [Fact]
    public void TheLastOne_GoesTwoSecondsBeforeTheDeadline_ThenNoMore()
    {
        var deadline = Start.AddSeconds(90);
        var times = new BookmarkTimes(TimeSpan.FromMinutes(1), deadline);
        times.ScheduleAfter(Start);
        Assert.Equal(Start.AddMinutes(1), times.Next);

        times.ScheduleAfter(Start.AddMinutes(1));
        Assert.Equal(deadline.AddSeconds(-2), times.Next);

        times.ScheduleAfter(deadline.AddSeconds(-2));
        Assert.Null(times.Next);
        Assert.False(times.IsDue(deadline.AddHours(1)));
    }

    [Fact]
    public void AWatchShorterThanTwoSeconds_GetsNone()
    {
        var times = new BookmarkTimes(TimeSpan.FromMinutes(1), Start.AddSeconds(1));
        times.ScheduleAfter(Start);
        Assert.Null(times.Next);
    }
}
