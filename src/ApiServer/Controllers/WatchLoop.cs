using ApiServer.Health;
using ApiServer.Registry;

namespace ApiServer.Controllers;

/// <summary>
/// The one informer loop of the server's own watchers (built-in controllers, the RBAC and Node
/// authorizers' caches, the webhook configurations, the CRD controller): watch a resource from a
/// fresh list (every current object arrives as ADDED, then the end of the initial events marks the
/// watch as working), hand each event over, and start again when the watch breaks, through
/// <see cref="BackgroundLoops"/> (the failure logged, a backoff, and a health check named
/// <c>name</c>). Client programs share src/ClientTools' informer instead.
/// </summary>
internal static class WatchLoop
{
    private static readonly ListQuery Everything = new(null, null);

    /// <param name="name">the loop's name and health check, e.g. "controller/namespace".</param>
    /// <param name="restart">called before each fresh list, so state built from the last one can be dropped.</param>
    /// <param name="handle">each ADDED, MODIFIED and DELETED event, the initial list's included.</param>
    public static Task RunAsync(BackgroundLoops loops, string name, GenericStore store, Action? restart, Func<ObjectEvent, Task> handle, CancellationToken stoppingToken) =>
        RunAsync(loops, name, () => store, restart, handle, synced: null, stoppingToken);

    /// <param name="store">resolved at each start (the registry may be built after the loop).</param>
    /// <param name="synced">called once per fresh list, when all of its objects have been handed over
    /// (the watch's end-of-initial-events bookmark), before any later change.</param>
    public static Task RunAsync(
        BackgroundLoops loops, string name, Func<GenericStore> store, Action? restart, Func<ObjectEvent, Task> handle, Action? synced, CancellationToken stoppingToken) =>
        loops.RunAsync(name, async (status, ct) =>
        {
            restart?.Invoke();
            var listing = true;
            await foreach (var change in store().WatchAsync("", "", Everything, sendInitialEvents: true, ct).ConfigureAwait(false))
            {
                switch (change.Kind)
                {
                    case WatchEventKind.Bookmark:
                        if (listing)
                        {
                            // The initial list is in: the watch works.
                            listing = false;
                            synced?.Invoke();
                            status.Succeeded();
                        }

                        break;
                    case WatchEventKind.Added or WatchEventKind.Modified or WatchEventKind.Deleted:
                        await handle(change).ConfigureAwait(false);
                        break;
                }
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
