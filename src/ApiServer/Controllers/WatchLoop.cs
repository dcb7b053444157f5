using ApiServer.Registry;
using Microsoft.Extensions.Logging;

namespace ApiServer.Controllers;

/// <summary>
/// The informer loop controllers share: watch a resource from a fresh list (every current object
/// arrives as ADDED), hand each event over, and start again after a pause when the watch breaks.
/// </summary>
internal static partial class WatchLoop
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    /// <param name="restart">called before each fresh list, so state built from the last one can be dropped.</param>
    public static async Task RunAsync(GenericStore store, ILogger logger, Action? restart, Func<ObjectEvent, Task> handle, CancellationToken stoppingToken)
    {
        var all = new ListQuery(null, null);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                restart?.Invoke();
                await foreach (var change in store.WatchAsync("", "", all, sendInitialEvents: false, stoppingToken).ConfigureAwait(false))
                {
                    await handle(change).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogRestart(logger, store.Resource.Plural, e.Message);
                await Task.Delay(RetryDelay, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(EventId = LogEvents.ControllerWatchRestart, Level = LogLevel.Warning, Message = "Watch of {Resource} ended, restarting: {Error}")]
    private static partial void LogRestart(ILogger logger, string resource, string error);
}
