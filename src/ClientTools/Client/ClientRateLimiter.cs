namespace ClientTools.Client;

/// <summary>
/// client-go's client-side throttle (flowcontrol.NewTokenBucketRateLimiter): at most
/// <c>qps</c> requests per second on average, bursts of up to <c>burst</c>. Every request
/// takes a token, as client-go's REST client does (watches included); a request without a
/// token waits for one. A non-positive qps disables throttling, as a negative QPS does in client-go.
/// </summary>
public sealed class ClientRateLimiter : DelegatingHandler
{
    private readonly TokenBucket? _bucket;

    public ClientRateLimiter(double qps, int burst, TimeProvider? time = null)
    {
        if (qps > 0)
        {
            _bucket = new TokenBucket(qps, Math.Max(1, burst), time ?? TimeProvider.System);
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (_bucket is not null)
        {
            var wait = _bucket.Reserve();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }
        }

        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>
/// A token bucket as golang.org/x/time/rate's Limiter.Reserve: taking a token never fails, it
/// says how long to wait before acting (the debt is booked at once, so waiters are served in order).
/// </summary>
public sealed class TokenBucket(double ratePerSecond, int burst, TimeProvider time)
{
    private readonly Lock _lock = new();
    private double _tokens = burst;
    private long _last = time.GetTimestamp();

    public double RatePerSecond { get; } = ratePerSecond;

    public int Burst { get; } = burst;

    /// <summary>Takes one token; the delay before the caller may proceed.</summary>
    public TimeSpan Reserve()
    {
        lock (_lock)
        {
            Refill();
            _tokens -= 1;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / RatePerSecond);
        }
    }

    /// <summary>Takes one token if one is there now (client-go's TryAccept); never waits, never goes into debt.</summary>
    public bool TryTake()
    {
        lock (_lock)
        {
            Refill();
            if (_tokens < 1)
            {
                return false;
            }

            _tokens -= 1;
            return true;
        }
    }

    private void Refill()
    {
        var now = time.GetTimestamp();
        var elapsed = time.GetElapsedTime(_last, now).TotalSeconds;
        _last = now;
        _tokens = Math.Min(Burst, _tokens + (elapsed * RatePerSecond));
    }
}
