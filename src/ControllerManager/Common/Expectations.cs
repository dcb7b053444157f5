namespace ControllerManager.Common;

/// <summary>
/// kube's (UID-tracking) ControllerExpectations: after a controller asks for N creations or a set of
/// deletions, it does not act on the same owner again until the informer has shown it those changes
/// (or five minutes pass), so a burst of syncs never creates or deletes twice from a stale cache.
/// </summary>
internal sealed class ControllerExpectations(TimeProvider time)
{
    /// <summary>kube's ExpectationsTimeout: a lost watch event cannot block an owner forever.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public bool Satisfied(string key)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                return true;
            }

            return (entry.Adds <= 0 && entry.Deletes.Count == 0) || time.GetUtcNow() - entry.SetAt > Timeout;
        }
    }

    public void ExpectCreations(string key, int count)
    {
        lock (_lock)
        {
            _entries[key] = new Entry(count, [], time.GetUtcNow());
        }
    }

    /// <summary>Creations and deletions at once (the DaemonSet controller's SetExpectations).</summary>
    public void Expect(string key, int creations, IEnumerable<string> podKeys)
    {
        lock (_lock)
        {
            _entries[key] = new Entry(creations, [.. podKeys], time.GetUtcNow());
        }
    }

    public void ExpectDeletions(string key, IEnumerable<string> podKeys)
    {
        lock (_lock)
        {
            _entries[key] = new Entry(0, [.. podKeys], time.GetUtcNow());
        }
    }

    /// <summary>A creation seen (or one that failed and will never be seen).</summary>
    public void CreationObserved(string key)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var entry))
            {
                entry.Adds--;
            }
        }
    }

    public void DeletionObserved(string key, string podKey)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var entry))
            {
                entry.Deletes.Remove(podKey);
            }
        }
    }

    public void Delete(string key)
    {
        lock (_lock)
        {
            _entries.Remove(key);
        }
    }

    private sealed class Entry(int adds, HashSet<string> deletes, DateTimeOffset setAt)
    {
        public int Adds { get; set; } = adds;

        public HashSet<string> Deletes { get; } = deletes;

        public DateTimeOffset SetAt { get; } = setAt;
    }
}
