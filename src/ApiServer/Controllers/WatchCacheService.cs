using ApiServer.Health;
using ApiServer.Registry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Storage.Cacher;

namespace ApiServer.Controllers;

/// <summary>Starts the watch caches' reflector once every resource has registered its cache, and stops it at shutdown.</summary>
internal sealed partial class WatchCacheService(RegistryCatalog registry, CacheReflector reflector, BackgroundLoops loops, ILogger<WatchCacheService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (registry.Caches.Count == 0)
        {
            return Task.CompletedTask;
        }

        reflector.Listed += (count, revision) => LogFilled(logger, count, revision);
        reflector.Listed += (_, _) => ReturnFillGarbage();
        reflector.Relisting += (e, delay) => LogRelisting(logger, delay, e);
        loops.Track(reflector.Status);
        reflector.Start();
        return Task.CompletedTask;
    }

    private int _filled;

    /// <summary>
    /// Once, after the first fill: one compacting collection that gives the fill's garbage back to the
    /// system. A cold start allocates several times what the cache keeps (pages, etcd's messages, the
    /// parse) with every object surviving, and the GC otherwise keeps that memory committed for a long
    /// time (issue 19: RSS after a cold start, measured in docs/benchmarks.md). A collection of the
    /// filled cache takes a fraction of the fill's time, on the thread pool, while requests are served.
    /// </summary>
    private void ReturnFillGarbage()
    {
        if (Interlocked.Exchange(ref _filled, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(
                static _ => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true), null);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await reflector.DisposeAsync().ConfigureAwait(false);

    [LoggerMessage(EventId = LogEvents.WatchCacheFilled, Level = LogLevel.Information, Message = "watch cache filled {Count} resources at revision {Revision}")]
    private static partial void LogFilled(ILogger logger, int count, long revision);

    [LoggerMessage(EventId = LogEvents.WatchCacheRelisting, Level = LogLevel.Warning, Message = "watch cache relisting in {Delay}")]
    private static partial void LogRelisting(ILogger logger, TimeSpan delay, Exception exception);
}
