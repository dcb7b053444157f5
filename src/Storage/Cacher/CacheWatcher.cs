using System.Threading.Channels;

namespace Storage.Cacher;

/// <summary>
/// One watch served from the cache: the events it missed (from the window) and then live ones,
/// through a bounded buffer. The reflector never waits for it: when the buffer is full the watcher
/// is ended, and its client resumes from the last revision it saw (kube's cacher does the same).
/// </summary>
internal sealed class CacheWatcher(string keyPrefix, int bufferSize, BookmarkTimes? bookmarks = null)
{
    private readonly Channel<StorageWatchEvent> _events = Channel.CreateBounded<StorageWatchEvent>(new BoundedChannelOptions(bufferSize)
    {
        SingleReader = true,
        SingleWriter = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    public string KeyPrefix { get; } = keyPrefix;

    /// <summary>True once the watcher was ended for falling behind.</summary>
    public bool Overflowed { get; private set; }

    public ChannelReader<StorageWatchEvent> Reader => _events.Reader;

    /// <summary>When this watcher's periodic bookmarks are due; null when it asked for none.</summary>
    public BookmarkTimes? Bookmarks { get; } = bookmarks;

    /// <summary>
    /// Offers a bookmark without waiting. Unlike an event, a bookmark that does not fit is simply
    /// not sent (false): the watcher is behind anyway, and its next event carries a newer revision.
    /// </summary>
    public bool TryOfferBookmark(StorageWatchEvent bookmark) => _events.Writer.TryWrite(bookmark);

    /// <summary>Offers an event without waiting; false (and the watcher ended) when its buffer is full.</summary>
    public bool TryDeliver(StorageWatchEvent change)
    {
        if (_events.Writer.TryWrite(change))
        {
            return true;
        }

        Overflowed = true;
        _events.Writer.TryComplete();
        return false;
    }

    /// <summary>Ends the stream after what is already buffered.</summary>
    public void End() => _events.Writer.TryComplete();
}
