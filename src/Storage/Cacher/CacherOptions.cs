namespace Storage.Cacher;

/// <summary>How one resource's watch cache behaves (kube-apiserver: --watch-cache-sizes, --default-watch-cache-size).</summary>
public sealed record CacherOptions
{
    /// <summary>
    /// Derives the registry's view of each object version once, when the cache first sees it
    /// (decoded labels and fields, the bytes clients get). Every reader and watcher shares it.
    /// </summary>
    public Func<StoredObject, ICachedView?>? Decorate { get; init; }

    /// <summary>The resource's API group and plural name: kube labels its watch-cache metrics with them.</summary>
    public (string Group, string Resource) GroupResource { get; init; } = ("", "");

    /// <summary>Recent events always kept, whatever their age (--default-watch-cache-size; kube's default is 100).</summary>
    public int MinimumEvents { get; init; } = 100;

    /// <summary>Recent events never exceed this many (kube's dynamic sizing stops at 100 * 1024).</summary>
    public int MaximumEvents { get; init; } = 100 * 1024;

    /// <summary>
    /// Beyond <see cref="MinimumEvents"/>, events are kept this long so a watcher that reconnects
    /// resumes instead of relisting (kube's watch cache aims at 75 seconds of history).
    /// </summary>
    public TimeSpan EventRetention { get; init; } = TimeSpan.FromSeconds(75);

    /// <summary>
    /// Events one watcher may have waiting; a watcher that falls further behind is ended (and
    /// resumes from its last revision), so it never holds up the others or grows without bound.
    /// </summary>
    public int WatcherBufferSize { get; init; } = 1024;

    /// <summary>How long a read waits for the cache to reach a revision before giving up on it.</summary>
    public TimeSpan FreshnessTimeout { get; init; } = TimeSpan.FromSeconds(3);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// How often a watcher that allows bookmarks gets one when nothing else reaches it (kube's
    /// cacher: defaultBookmarkFrequency, a minute; not a kube-apiserver flag).
    /// </summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Answers only reads of this server's own writes (<see cref="ReadMode.OwnWrites"/>, what
    /// admission reads) from memory; every other read and every watch goes to etcd. With
    /// --watch-cache=false clients read etcd, but admission still reads from memory, as kube's
    /// plugins read informers whatever the watch cache does.
    /// </summary>
    public bool OwnWritesReadsOnly { get; init; }
}
