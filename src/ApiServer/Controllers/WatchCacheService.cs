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
        reflector.Relisting += (e, delay) => LogRelisting(logger, delay, e);
        loops.Track(reflector.Status);
        reflector.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await reflector.DisposeAsync().ConfigureAwait(false);

    [LoggerMessage(EventId = LogEvents.WatchCacheFilled, Level = LogLevel.Information, Message = "watch cache filled {Count} resources at revision {Revision}")]
    private static partial void LogFilled(ILogger logger, int count, long revision);

    [LoggerMessage(EventId = LogEvents.WatchCacheRelisting, Level = LogLevel.Warning, Message = "watch cache relisting in {Delay}")]
    private static partial void LogRelisting(ILogger logger, TimeSpan delay, Exception exception);
}
