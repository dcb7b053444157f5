namespace ApiMachinery.Wait;

/// <summary>
/// An exponential, jittered, capped backoff (k8s.io/apimachinery pkg/util/wait's Backoff): the n-th
/// consecutive failure waits <see cref="Initial"/> × <see cref="Factor"/>^(n-1), capped at
/// <see cref="Cap"/>, plus up to <see cref="Jitter"/> of that again at random, so loops that failed
/// together (etcd went away) do not all come back at the same moment.
/// </summary>
public sealed record Backoff(TimeSpan Initial, TimeSpan Cap, double Factor = 2, double Jitter = 0.2)
{
    /// <summary>What background loops use: 200 ms, doubling, at most 30 s (plus jitter).</summary>
    public static readonly Backoff Default = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30));

    /// <param name="failures">consecutive failures so far, at least 1.</param>
    /// <param name="random">a number in [0, 1): where in the jitter range this wait falls.</param>
    public TimeSpan Delay(int failures, double random)
    {
        var steps = Math.Clamp(failures, 1, 64) - 1;
        var ticks = Math.Min(Initial.Ticks * Math.Pow(Factor, steps), Cap.Ticks);
        return TimeSpan.FromTicks((long)(ticks * (1 + (Jitter * random))));
    }
}
