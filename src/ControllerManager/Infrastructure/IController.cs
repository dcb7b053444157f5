using ClientTools.Logging;
using ClientTools.WorkQueue;

namespace ControllerManager.Infrastructure;

/// <summary>A controller: made (and its informers asked for) before the informers start, run once they have synced.</summary>
internal interface IController
{
    string Name { get; }

    Task RunAsync(CancellationToken cancellationToken);
}

/// <summary>
/// kube's controller shape: event handlers put "namespace/name" keys on a rate-limited queue, workers
/// take keys and call <see cref="SyncAsync"/>, which reads the informer caches and writes through the
/// API. A failed key comes back after the queue's backoff; one key is never synced by two workers at once.
/// </summary>
internal abstract class QueueController : IController
{
    protected QueueController(string name, int workers, TimeProvider? time = null)
    {
        Name = name;
        Workers = Math.Max(1, workers);
        Queue = new RateLimitingQueue<string>(name, time: time);
    }

    public string Name { get; }

    public int Workers { get; }

    public RateLimitingQueue<string> Queue { get; }

    public virtual async Task RunAsync(CancellationToken cancellationToken)
    {
        Klog.Info($"Starting {Name}");
        try
        {
            await Task.WhenAll(Queue.RunWorkersAsync(Workers, TimedSyncAsync, cancellationToken), RunExtraAsync(cancellationToken)).ConfigureAwait(false);
        }
        finally
        {
            Klog.Info($"Shutting down {Name}");
        }
    }

    /// <summary>Reconciles the object named by <paramref name="key"/>; throwing retries it later.</summary>
    public abstract Task SyncAsync(string key, CancellationToken cancellationToken);

    /// <summary>kube's controllers log each sync's duration at verbosity 4 ("Finished syncing").</summary>
    private async Task TimedSyncAsync(string key, CancellationToken cancellationToken)
    {
        if (!Klog.V(4))
        {
            await SyncAsync(key, cancellationToken).ConfigureAwait(false);
            return;
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await SyncAsync(key, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Klog.Info(4, $"Finished syncing {Name} \"{key}\" ({System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:0.000} ms)");
        }
    }

    /// <summary>Periodic work beside the workers (monitors, resyncs); none by default.</summary>
    protected virtual Task RunExtraAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected void Enqueue(string key) => Queue.Add(key);
}
