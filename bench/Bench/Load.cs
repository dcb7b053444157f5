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
    public static Task<Measurement> RunAsync(Cluster cluster, int concurrency, TimeSpan duration, Func<int, long, Task<Outcome>> operation) =>
        new Side(concurrency).RunAsync(cluster, duration, operation);

    /// <summary>
    /// The server and raw etcd doing the same work, in alternating slices (server, etcd, server, ...)
    /// that add up to <paramref name="duration"/> each. On a shared machine the speed drifts over
    /// seconds; interleaving makes both sides see the same drift, so their ratio holds still where
    /// two back-to-back runs could differ by 0.2. <paramref name="beforeServer"/> runs before every
    /// server slice (unmeasured).
    /// </summary>
    public static async Task<(Measurement Server, Measurement Etcd)> CompareAsync(
        Cluster cluster, int concurrency, TimeSpan duration, int slices, Func<Task> beforeServer,
        Func<int, long, Task<Outcome>> server, Func<int, long, Task<Outcome>> etcd)
    {
        var serverSide = new Side(concurrency);
        var etcdSide = new Side(concurrency);
        var slice = duration / slices;
        for (var i = 0; i < slices; i++)
        {
            await beforeServer();
            await serverSide.RunAsync(cluster, slice, server);
            await etcdSide.RunAsync(cluster, slice, etcd);
        }

        return (serverSide.Total(), etcdSide.Total());
    }

    /// <summary>One side's workers and what they measured, over one or more slices of time.</summary>
    private sealed class Side(int concurrency)
    {
        private readonly List<double>[] _latencies = Enumerable.Range(0, concurrency).Select(_ => new List<double>()).ToArray();
        // Each worker's next operation number carries on across slices (operations name objects by it).
        private readonly long[] _next = new long[concurrency];
        private long _errors;
        private long _conflicts;
        private double _seconds;
        private double _serverCpu;
        private double _etcdCpu;

        public async Task<Measurement> RunAsync(Cluster cluster, TimeSpan duration, Func<int, long, Task<Outcome>> operation)
        {
            var serverCpu = ProcStats.CpuSeconds(cluster.ServerPid);
            var etcdCpu = ProcStats.CpuSeconds(cluster.EtcdPid);
            var clock = Stopwatch.StartNew();
            var workers = Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
            {
                var mine = _latencies[worker];
                while (clock.Elapsed < duration)
                {
                    var i = _next[worker]++;
                    var started = Stopwatch.GetTimestamp();
                    var outcome = await operation(worker, i);
                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    if (outcome == Outcome.Error)
                    {
                        Interlocked.Increment(ref _errors);
                    }
                    else if (outcome == Outcome.Conflict)
                    {
                        Interlocked.Increment(ref _conflicts);
                    }
                }
            })).ToArray();
            await Task.WhenAll(workers);
            _seconds += clock.Elapsed.TotalSeconds;
            _serverCpu += ProcStats.CpuSeconds(cluster.ServerPid) - serverCpu;
            _etcdCpu += ProcStats.CpuSeconds(cluster.EtcdPid) - etcdCpu;
            return Total();
        }

        public Measurement Total()
        {
            var all = _latencies.SelectMany(l => l).ToArray();
            return new Measurement(all.Length, _errors, _conflicts, _seconds, Percentile(all, 0.50), Percentile(all, 0.99), _serverCpu, _etcdCpu);
        }
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
