namespace Storage.Cacher;

/// <summary>
/// A watcher's wish for periodic bookmarks (kube's allowWatchBookmarks): the watch cache then sends
/// it, in order with its events, a bookmark carrying the cache's revision about every
/// <see cref="CacherOptions.BookmarkInterval"/>, and one shortly before <paramref name="Deadline"/>
/// (when the server will end the watch), so that an idle watcher resumes from a recent revision
/// instead of relisting.
/// </summary>
public sealed record WatchBookmarks(DateTimeOffset Deadline);

/// <summary>
/// When one watcher's bookmarks are due, as kube's cacheWatcher.nextBookmarkTime decides: an interval
/// after the last one, or 2 s before the deadline if that comes first; none once that moment is past.
/// </summary>
internal sealed class BookmarkTimes(TimeSpan interval, DateTimeOffset deadline)
{
    /// <summary>How long before the watch's deadline its last bookmark goes out.</summary>
    internal static readonly TimeSpan BeforeDeadline = TimeSpan.FromSeconds(2);

    /// <summary>The next bookmark's time; null when no more are due.</summary>
    public DateTimeOffset? Next { get; private set; }

    /// <summary>Schedules the bookmark after one sent (or the watch's start) at <paramref name="now"/>.</summary>
    public void ScheduleAfter(DateTimeOffset now)
    {
        var next = now + interval;
        var last = deadline - BeforeDeadline;
        if (last < next)
        {
            next = last;
        }

        Next = next <= now ? null : next;
    }

    public bool IsDue(DateTimeOffset now) => Next is { } next && next <= now;
}
