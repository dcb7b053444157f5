namespace Storage.Cacher;

/// <summary>
/// The recent events of one resource in revision order, as a ring buffer. Everything of the resource
/// after <see cref="StartRevision"/> is in it; a watch from an older revision cannot be served here.
/// Not thread-safe: the reflector's lock guards it.
/// </summary>
internal sealed class EventWindow(CacherOptions options)
{
    private (StorageWatchEvent Event, long Timestamp)[] _buffer = new (StorageWatchEvent, long)[16];
    private int _head;

    public int Count { get; private set; }

    /// <summary>Every event after this revision is in the window.</summary>
    public long StartRevision { get; private set; }

    public void Reset(long revision)
    {
        Array.Clear(_buffer);
        _head = 0;
        Count = 0;
        StartRevision = revision;
    }

    public void Add(StorageWatchEvent change)
    {
        var now = options.Time.GetTimestamp();
        while (TryEvictOldest(now))
        {
        }

        if (Count >= options.MaximumEvents)
        {
            EvictOldest();
        }

        if (Count == _buffer.Length)
        {
            Grow();
        }

        _buffer[(_head + Count) % _buffer.Length] = (change, now);
        Count++;
    }

    /// <summary>The events after <paramref name="revision"/> under <paramref name="keyPrefix"/> (or of that exact key).</summary>
    public List<StorageWatchEvent> EventsAfter(long revision, string keyPrefix)
    {
        var result = new List<StorageWatchEvent>();
        // Binary search for the first event after the revision.
        int low = 0, high = Count;
        while (low < high)
        {
            var mid = (low + high) / 2;
            if (At(mid).Object.ModRevision <= revision)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        for (var i = low; i < Count; i++)
        {
            var change = At(i);
            if (KeyFilter.Matches(keyPrefix, change.Object.Key))
            {
                result.Add(change);
            }
        }

        return result;
    }

    private StorageWatchEvent At(int index) => _buffer[(_head + index) % _buffer.Length].Event;

    /// <summary>Drops the oldest event when the window is over its minimum and that event is older than the retention.</summary>
    private bool TryEvictOldest(long now)
    {
        if (Count <= options.MinimumEvents || Count == 0)
        {
            return false;
        }

        if (options.Time.GetElapsedTime(_buffer[_head].Timestamp, now) < options.EventRetention)
        {
            return false;
        }

        EvictOldest();
        return true;
    }

    private void EvictOldest()
    {
        StartRevision = _buffer[_head].Event.Object.ModRevision;
        _buffer[_head] = default;
        _head = (_head + 1) % _buffer.Length;
        Count--;
    }

    private void Grow()
    {
        var bigger = new (StorageWatchEvent, long)[Math.Max(Count + 1, Math.Min(_buffer.Length * 2, options.MaximumEvents))];
        for (var i = 0; i < Count; i++)
        {
            bigger[i] = _buffer[(_head + i) % _buffer.Length];
        }

        _buffer = bigger;
        _head = 0;
    }
}

/// <summary>Which keys a watch or list covers: a prefix ending in '/', or exactly one key.</summary>
internal static class KeyFilter
{
    public static bool Matches(string keyPrefix, string key) =>
        keyPrefix.EndsWith('/') ? key.StartsWith(keyPrefix, StringComparison.Ordinal) : key == keyPrefix;
}
