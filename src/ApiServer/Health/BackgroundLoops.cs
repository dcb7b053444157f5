using System.Collections.Concurrent;
using ApiMachinery.Wait;
using Microsoft.Extensions.Logging;

namespace ApiServer.Health;

/// <summary>
/// Every background loop of the server (watch caches, informers, controllers, compaction) runs
/// through here: a failure is logged whole (exception and stack) and retried after a jittered,
/// capped backoff (<see cref="BackgroundLoop"/>), and each loop's <see cref="LoopStatus"/> becomes a
/// /readyz and /healthz check of its name that fails while the loop keeps failing, as kube-apiserver's
/// post-start hooks and checks show what is not working. Post-start hooks that run once
/// (<see cref="RunUntilDoneAsync"/>) have their own "not finished" checks.
/// </summary>
internal sealed partial class BackgroundLoops(ILogger<BackgroundLoops> logger, TimeProvider time)
{
    /// <summary>A loop shows as failing after this many failures in a row ...</summary>
    internal const int FailuresBeforeUnhealthy = 3;

    /// <summary>... the first of them at least this long ago: etcd restarting is not a failing server.</summary>
    internal static readonly TimeSpan FailingFor = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, LoopStatus> _checked = new(StringComparer.Ordinal);

    /// <summary>The loops with a health check, by name.</summary>
    public IEnumerable<LoopStatus> Checked => _checked.Values.OrderBy(s => s.Name, StringComparer.Ordinal);

    /// <summary>The status of the loop <paramref name="name"/>, with its health check (one per name).</summary>
    public LoopStatus Status(string name) => _checked.GetOrAdd(name, n => new LoopStatus(n, time));

    /// <summary>Adds a status made elsewhere (a storage loop's) to the health checks.</summary>
    public void Track(LoopStatus status) => _checked.TryAdd(status.Name, status);

    /// <summary>The health check of one loop: fails while it keeps failing, with its last error for the log.</summary>
    public static HealthCheck CheckOf(LoopStatus status) => new(status.Name, _ =>
        status.KeepsFailing(FailuresBeforeUnhealthy, FailingFor)
            ? throw new InvalidOperationException($"failed {status.ConsecutiveFailures} times in a row, last: {status.LastError?.Message}")
            : Task.CompletedTask);

    /// <summary>
    /// Runs <paramref name="body"/> until the server stops (see <see cref="BackgroundLoop.RunAsync"/>);
    /// the body reports its progress with <see cref="LoopStatus.Succeeded"/>.
    /// </summary>
    public Task RunAsync(string name, Func<LoopStatus, CancellationToken, Task> body, CancellationToken cancellationToken, Backoff? backoff = null)
    {
        var status = Status(name);
        return BackgroundLoop.RunAsync(status, ct => body(status, ct), Reporter(name), cancellationToken, backoff, time);
    }

    /// <summary>Runs a post-start hook's <paramref name="body"/> until it completes once, retrying failures.</summary>
    public Task RunUntilDoneAsync(string name, Func<CancellationToken, Task> body, CancellationToken cancellationToken) =>
        BackgroundLoop.RunUntilDoneAsync(new LoopStatus(name, time), body, Reporter(name), cancellationToken, null, time);

    /// <summary>
    /// For a failure a loop handles itself (one item of its work fails): counts it on the loop's
    /// status, logs it, and waits the backoff it earns. False when the server stopped meanwhile.
    /// </summary>
    public Task<bool> FailedAsync(string name, Exception failure, CancellationToken cancellationToken) =>
        BackgroundLoop.WaitAfterFailureAsync(Status(name), failure, Reporter(name), null, time, cancellationToken);

    /// <summary>Logs a loop's failure with its exception (what failed, and where).</summary>
    public Action<Exception, TimeSpan> Reporter(string name) => (failure, delay) => LogFailed(logger, name, delay, failure);

    [LoggerMessage(EventId = LogEvents.BackgroundLoopFailed, Level = LogLevel.Warning, Message = "{Loop} failed, retrying in {Delay}")]
    private static partial void LogFailed(ILogger logger, string loop, TimeSpan delay, Exception exception);
}
