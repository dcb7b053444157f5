namespace ControllerManager.Endpoints;

/// <summary>
/// kube's endpointSliceTracker, by name, for the EndpointSlice and mirroring controllers: slices a
/// controller created that its informer has not shown yet, and slices it deleted that the informer
/// still shows. Until both are empty for a Service the cache is behind the controller's own writes.
/// An expectation the informer never meets (the slice came and went between two lists) lapses after a minute.
/// </summary>
internal sealed class SliceTracker(Func<string, string, bool> inCache, TimeProvider time)
{
    private static readonly TimeSpan Lapse = TimeSpan.FromMinutes(1);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Dictionary<string, (bool Exists, DateTimeOffset At)>> _pending = new(StringComparer.Ordinal);

    public void Wrote(string service, string ns, string slice, bool exists)
    {
        lock (_lock)
        {
            // Under the lock, as Observed: the informer fills its cache before it tells the handlers,
            // so either the cache shows the write already or Observed comes after this.
            if (inCache(ns, slice) == exists)
            {
                return;
            }

            if (!_pending.TryGetValue(service, out var slices))
            {
                _pending[service] = slices = new Dictionary<string, (bool, DateTimeOffset)>(StringComparer.Ordinal);
            }

            slices[slice] = (exists, time.GetUtcNow());
        }
    }

    public void Observed(string service, string slice, bool exists)
    {
        lock (_lock)
        {
            if (_pending.TryGetValue(service, out var slices) && slices.TryGetValue(slice, out var expected) && expected.Exists == exists)
            {
                slices.Remove(slice);
                if (slices.Count == 0)
                {
                    _pending.Remove(service);
                }
            }
        }
    }

    public bool CaughtUp(string service)
    {
        lock (_lock)
        {
            if (!_pending.TryGetValue(service, out var slices))
            {
                return true;
            }

            var now = time.GetUtcNow();
            foreach (var (name, expected) in slices.ToList())
            {
                if (now - expected.At > Lapse)
                {
                    slices.Remove(name);
                }
            }

            if (slices.Count == 0)
            {
                _pending.Remove(service);
                return true;
            }

            return false;
        }
    }
}
