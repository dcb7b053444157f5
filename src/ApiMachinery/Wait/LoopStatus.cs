namespace ApiMachinery.Wait;

/// <summary>
/// How one background loop (a watch, a controller, compaction) is doing, as a health check sees it:
/// the loop reports each success (a list that arrived, a pass that completed) and each failure, and
/// the check fails while the loop <see cref="KeepsFailing">keeps failing</see>. Thread-safe.
/// </summary>
public sealed class LoopStatus(string name, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private int _failures;
    private DateTimeOffset? _failingSince;
    private Exception? _lastError;
    private long _successes;

    /// <summary>The loop's name, which is also its health check's (e.g. "controller/namespace").</summary>
    public string Name { get; } = name;

    /// <summary>Failures since the last success.</summary>
    public int ConsecutiveFailures
    {
        get
        {
            lock (_lock)
            {
                return _failures;
            }
        }
    }

    /// <summary>Successes reported so far (a loop's run uses it to tell whether it made progress).</summary>
    public long Successes => Interlocked.Read(ref _successes);

    public Exception? LastError
    {
        get
        {
            lock (_lock)
            {
                return _lastError;
            }
        }
    }

    public void Succeeded()
    {
        Interlocked.Increment(ref _successes);
        lock (_lock)
        {
            _failures = 0;
            _failingSince = null;
            _lastError = null;
        }
    }

    /// <returns>the number of consecutive failures, this one included.</returns>
    public int Failed(Exception error)
    {
        lock (_lock)
        {
            _failingSince ??= _time.GetUtcNow();
            _lastError = error;
            return ++_failures;
        }
    }

    /// <summary>
    /// True when the loop has failed at least <paramref name="failures"/> times in a row, the first of
    /// them at least <paramref name="grace"/> ago: a blip (etcd restarting) is retried quietly, a loop
    /// that cannot get anywhere shows.
    /// </summary>
    public bool KeepsFailing(int failures, TimeSpan grace)
    {
        lock (_lock)
        {
            return _failures >= failures && _failingSince is { } since && _time.GetUtcNow() - since >= grace;
        }
    }
}
