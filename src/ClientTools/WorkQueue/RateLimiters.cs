using ClientTools.Client;

namespace ClientTools.WorkQueue;

/// <summary>How long an item waits before it is retried (client-go's workqueue.TypedRateLimiter).</summary>
public interface IRateLimiter<in T>
{
    /// <summary>The delay before the item's next try; each call counts as one more failure.</summary>
    TimeSpan When(T item);

    /// <summary>The item succeeded: forget its failures.</summary>
    void Forget(T item);

    int NumRequeues(T item);
}

/// <summary>base × 2^failures, capped at max, per item (client-go's ItemExponentialFailureRateLimiter).</summary>
public sealed class ItemExponentialFailureRateLimiter<T>(TimeSpan baseDelay, TimeSpan maxDelay) : IRateLimiter<T>
    where T : notnull
{
    private readonly Lock _lock = new();
    private readonly Dictionary<T, int> _failures = [];

    public TimeSpan When(T item)
    {
        int exponent;
        lock (_lock)
        {
            exponent = _failures.GetValueOrDefault(item);
            _failures[item] = exponent + 1;
        }

        var delay = baseDelay.Ticks * Math.Pow(2, exponent);
        return delay >= maxDelay.Ticks ? maxDelay : TimeSpan.FromTicks((long)delay);
    }

    public void Forget(T item)
    {
        lock (_lock)
        {
            _failures.Remove(item);
        }
    }

    public int NumRequeues(T item)
    {
        lock (_lock)
        {
            return _failures.GetValueOrDefault(item);
        }
    }
}

/// <summary>One token bucket for all items: bounds the overall retry rate (client-go's BucketRateLimiter).</summary>
public sealed class BucketRateLimiter<T>(TokenBucket bucket) : IRateLimiter<T>
{
    public TimeSpan When(T item) => bucket.Reserve();

    public void Forget(T item)
    {
    }

    public int NumRequeues(T item) => 0;
}

/// <summary>The longest delay any of the limiters asks for (client-go's MaxOfRateLimiter).</summary>
public sealed class MaxOfRateLimiter<T>(params IRateLimiter<T>[] limiters) : IRateLimiter<T>
{
    public TimeSpan When(T item)
    {
        var max = TimeSpan.Zero;
        foreach (var limiter in limiters)
        {
            var delay = limiter.When(item);
            if (delay > max)
            {
                max = delay;
            }
        }

        return max;
    }

    public void Forget(T item)
    {
        foreach (var limiter in limiters)
        {
            limiter.Forget(item);
        }
    }

    public int NumRequeues(T item) => limiters.Max(l => l.NumRequeues(item));
}

public static class RateLimiters
{
    /// <summary>
    /// client-go's DefaultTypedControllerRateLimiter: per item 5 ms doubling up to 1000 s, and
    /// overall 10 retries per second with bursts of 100.
    /// </summary>
    public static IRateLimiter<T> DefaultController<T>(TimeProvider? time = null)
        where T : notnull =>
        new MaxOfRateLimiter<T>(
            new ItemExponentialFailureRateLimiter<T>(TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1000)),
            new BucketRateLimiter<T>(new TokenBucket(10, 100, time ?? TimeProvider.System)));
}
