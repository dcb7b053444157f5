namespace Storage.Cacher;

/// <summary>
/// The recent events of one resource in revision order, as a ring buffer. Everything of the resource
/// after <see cref="StartRevision"/> is in it; a watch from an older revision cannot be served here.
/// Beside each event it keeps the cache's contents right after it (<see cref="CacheState"/>), and
/// the contents at <see cref="StartRevision"/>, so a list at any revision the window covers is read
/// from memory (kube's ListFromCacheSnapshot). Those states leave the window with their events.
/// Not thread-safe: the reflector's lock guards it.
/// </summary>
internal sealed class EventWindow(CacherOptions options)
{
    private (StorageWatchEvent Event, long Timestamp, CacheState? State)[] _buffer = new (StorageWatchEvent, long, CacheState?)[16];
    private int _head;

    // The contents at StartRevision: what the last fill listed, or the state after the last event to leave.
    private CacheState? _startState;

    public int Count { get; private set; }

    /// <summary>Every event after this revision is in the window.</summary>
    public long StartRevision { get; private set; }

    /// <param name="state">the contents at <paramref name="revision"/> (null: lists at past revisions go to etcd).</param>
    public void Reset(long revision, CacheState? state = null)
    {
        Array.Clear(_buffer);
        _head = 0;
        Count = 0;
        StartRevision = revision;
        _startState = state;
    }

    /// <param name="state">the contents right after <paramref name="change"/>.</param>
    public void Add(StorageWatchEvent change, CacheState? state = null)
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

        _buffer[(_head + Count) % _buffer.Length] = (change, now, state);
        Count++;
    }

    /// <summary>
    /// The contents at <paramref name="revision"/>, which the caller knows the cache has reached: the
    /// state after the newest event at or below it (none of this resource's events came between), or
    /// the start's state. Null when the window no longer reaches back that far.
    /// </summary>
    public CacheState? StateAt(long revision)
    {
        if (revision < StartRevision)
        {
            return null;
        }

        var after = FirstAfter(revision);
        return after == 0 ? _startState : _buffer[(_head + after - 1) % _buffer.Length].State;
    }

    /// <summary>How many states the window holds (its events' and the start's).</summary>
    public int States
    {
        get
        {
            var count = _startState is null ? 0 : 1;
            for (var i = 0; i < Count; i++)
            {
                count += _buffer[(_head + i) % _buffer.Length].State is null ? 0 : 1;
            }

            return count;
        }
    }

    /// <summary>The events after <paramref name="revision"/> under <paramref name="keyPrefix"/> (or of that exact key).</summary>
    public List<StorageWatchEvent> EventsAfter(long revision, string keyPrefix)
    {
        var result = new List<StorageWatchEvent>();
        for (var i = FirstAfter(revision); i < Count; i++)
        {
            var change = At(i);
            if (KeyFilter.Matches(keyPrefix, change.Object.Key))
            {
                result.Add(change);
            }
        }

        return result;
    }

    /// <summary>The position of the first event after <paramref name="revision"/> (binary search; <see cref="Count"/> when none is).</summary>
    private int FirstAfter(long revision)
    {
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

        return low;
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
        _startState = _buffer[_head].State;
        _buffer[_head] = default;
        _head = (_head + 1) % _buffer.Length;
        Count--;
    }

    private void Grow()
    {
        var bigger = new (StorageWatchEvent, long, CacheState?)[Math.Max(Count + 1, Math.Min(_buffer.Length * 2, options.MaximumEvents))];
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
