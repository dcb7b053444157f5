using ApiServer.Health;
using ApiServer.Registry;

namespace ApiServer.Controllers;

/// <summary>
/// The informer loop controllers share: watch a resource from a fresh list (every current object
/// arrives as ADDED, then the end of the initial events marks the watch as working), hand each
/// event over, and start again when the watch breaks, through <see cref="BackgroundLoops"/> (the
/// failure logged, a backoff, and a health check named <paramref name="name"/>).
/// </summary>
internal static class WatchLoop
{
    private static readonly ListQuery Everything = new(null, null);

    /// <param name="name">the loop's name and health check, e.g. "controller/namespace".</param>
    /// <param name="restart">called before each fresh list, so state built from the last one can be dropped.</param>
    public static Task RunAsync(BackgroundLoops loops, string name, GenericStore store, Action? restart, Func<ObjectEvent, Task> handle, CancellationToken stoppingToken) =>
        loops.RunAsync(name, async (status, ct) =>
        {
            restart?.Invoke();
            await foreach (var change in store.WatchAsync("", "", Everything, sendInitialEvents: true, ct).ConfigureAwait(false))
            {
                if (change.Kind == WatchEventKind.Bookmark)
                {
                    // The initial list is in: the watch works.
                    status.Succeeded();
                    continue;
                }

                await handle(change).ConfigureAwait(false);
            }
        }, stoppingToken);
}
