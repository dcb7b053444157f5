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

    /// <summary>
    /// The same loop for a handler that only acts on changes (deletions, updates) and never needs the
    /// objects already there: it watches from etcd's current revision, without listing the resource.
    /// A list of a big resource at start is the whole resource in memory, and while the watch cache
    /// fills it goes to etcd as one range (issue 19: the replenishment watches' lists of 100,000
    /// ConfigMaps left a 64 MiB receive buffer the size of the resource in the pool). Changes while the
    /// watch restarts are missed; the handler's owner must resync (the quota controller does, every 5 minutes).
    /// </summary>
    public static Task RunFromNowAsync(BackgroundLoops loops, string name, GenericStore store, Func<ObjectEvent, Task> handle, CancellationToken stoppingToken) =>
        loops.RunAsync(name, async (status, ct) =>
        {
            var revision = await store.CurrentRevisionAsync(ct).ConfigureAwait(false);
            var from = Everything with { ResourceVersion = revision.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            status.Succeeded();
            await foreach (var change in store.WatchAsync("", "", from, sendInitialEvents: false, ct).ConfigureAwait(false))
            {
                if (change.Kind is WatchEventKind.Bookmark or WatchEventKind.Progress)
                {
                    continue;
                }

                await handle(change).ConfigureAwait(false);
            }
        }, stoppingToken);
}
