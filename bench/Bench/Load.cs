using System.Diagnostics;

namespace Bench;

/// <summary>What one side (server or raw etcd) did in one workload.</summary>
internal sealed record Measurement(long Ops, long Errors, long Conflicts, double Seconds, double P50Ms, double P99Ms, double ServerCpu, double EtcdCpu)
{
    public double OpsPerSecond => Ops / Seconds;
}

/// <summary>Outcome of one operation: fine, a 409-style conflict, or a failure.</summary>
internal enum Outcome
{
    Ok,
    Conflict,
    Error,
}

/// <summary>
/// A closed-loop load: <c>concurrency</c> workers issue operations back to back for a fixed time;
/// every operation's latency is recorded. CPU time of the server and etcd is read around it.
/// </summary>
internal static class Load
{
    public static async Task<Measurement> RunAsync(Cluster cluster, int concurrency, TimeSpan duration, Func<int, long, Task<Outcome>> operation)
    {
        var latencies = new List<double>[concurrency];
        long errors = 0, conflicts = 0;
        var serverCpu = ProcStats.CpuSeconds(cluster.ServerPid);
        var etcdCpu = ProcStats.CpuSeconds(cluster.EtcdPid);
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var mine = latencies[worker] = [];
            for (long i = 0; clock.Elapsed < duration; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var outcome = await operation(worker, i);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (outcome == Outcome.Error)
                {
                    Interlocked.Increment(ref errors);
                }
                else if (outcome == Outcome.Conflict)
                {
                    Interlocked.Increment(ref conflicts);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var seconds = clock.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).ToArray();
        return new Measurement(all.Length, errors, conflicts, seconds, Percentile(all, 0.50), Percentile(all, 0.99),
            ProcStats.CpuSeconds(cluster.ServerPid) - serverCpu, ProcStats.CpuSeconds(cluster.EtcdPid) - etcdCpu);
    }

    /// <summary>The nearest-rank percentile (0 for no samples).</summary>
    public static double Percentile(double[] samples, double quantile)
    {
        if (samples.Length == 0)
        {
            return 0;
        }

        var sorted = (double[])samples.Clone();
        Array.Sort(sorted);
        var rank = (int)Math.Ceiling(quantile * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}
