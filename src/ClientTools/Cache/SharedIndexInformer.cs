using ClientTools.Logging;
using k8s;
using k8s.Models;

namespace ClientTools.Cache;

/// <summary>
/// What an informer tells its users. Handlers run one at a time, in event order, on the informer's
/// loop: they should be quick (typically they put a key on a work queue) and must not modify the
/// objects they get. <see cref="OnDelete"/> receives the last state the informer knew; when the
/// deletion happened while the informer was disconnected, that state may be older than the object's last.
/// </summary>
public sealed class ResourceEventHandler<T>
{
    /// <summary>A new object; the flag says whether it came with the initial list.</summary>
    public Action<T, bool>? OnAdd { get; init; }

    /// <summary>An object changed (old, new).</summary>
    public Action<T, T>? OnUpdate { get; init; }

    public Action<T>? OnDelete { get; init; }
}

/// <summary>Tunables of an informer's list+watch loop (client-go's reflector defaults).</summary>
public sealed record InformerOptions
{
    /// <summary>Watches ask the server to end them after a random time between this and twice this (client-go: 5 min).</summary>
    public TimeSpan MinWatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The page size of a consistent list (after a 410); the first list reads the server's cache.</summary>
    public int PageSize { get; init; } = 500;

    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(800);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// client-go's shared index informer for one resource: lists (from the server's cache first,
/// resourceVersion=0), then watches from the list's resourceVersion with bookmarks; when the watch
/// ends (its timeout, a dropped connection, a server restart) it watches again from the last
/// resourceVersion it saw, and only when the server answers 410 Gone does it list again
/// (consistently, in pages), telling its handlers what changed meanwhile, deletions included.
/// The local cache (<see cref="Store"/>) is indexed; any number of handlers may be added, before or
/// after it starts (late ones first get the cached objects as adds).
/// </summary>
public sealed class SharedIndexInformer<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly IListerWatcher<T> _listerWatcher;
    private readonly InformerOptions _options;
    private readonly Lock _dispatchLock = new();
    private readonly List<ResourceEventHandler<T>> _handlers = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _started;
    private long _lists;
    private long _watches;

    public SharedIndexInformer(IListerWatcher<T> listerWatcher, string description, InformerOptions? options = null)
    {
        _listerWatcher = listerWatcher;
        Description = description;
        _options = options ?? new InformerOptions();
        Store.AddIndexer(Indexers.Namespace, o => Indexers.ByNamespace(o));
    }

    /// <summary>What is watched, for logs (e.g. "*v1.Pod").</summary>
    public string Description { get; }

    public Indexer<T> Store { get; } = new();

    public bool HasSynced => _synced.Task.IsCompleted;

    /// <summary>The resourceVersion of the last list, event or bookmark applied.</summary>
    public string LastSyncResourceVersion { get; private set; } = "";

    /// <summary>How many lists (first list and relists) this informer has made; for tests and logs.</summary>
    public long ListCount => Interlocked.Read(ref _lists);

    /// <summary>How many watches it has opened.</summary>
    public long WatchCount => Interlocked.Read(ref _watches);

    public void AddIndexer(string name, Func<T, IEnumerable<string>> indexFunc) => Store.AddIndexer(name, indexFunc);

    public void AddEventHandler(ResourceEventHandler<T> handler)
    {
        lock (_dispatchLock)
        {
            _handlers.Add(handler);
            if (HasSynced)
            {
                foreach (var item in Store.List())
                {
                    Invoke(() => handler.OnAdd?.Invoke(item, true));
                }
            }
        }
    }

    public Task WaitForSyncAsync(CancellationToken cancellationToken) => _synced.Task.WaitAsync(cancellationToken);

    /// <summary>Runs the list+watch loop until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) == 1)
        {
            throw new InvalidOperationException($"informer for {Description} already started");
        }

        var needList = true;
        var consistent = false;
        var backoff = _options.InitialBackoff;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (needList)
                {
                    await ListAsync(consistent, cancellationToken).ConfigureAwait(false);
                    needList = false;
                    consistent = false;
                }

                await WatchAsync(cancellationToken).ConfigureAwait(false);
                backoff = _options.InitialBackoff;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (ResourceExpiredException e)
            {
                // client-go: "watch of *v1.Pod ended with: too old resource version"; relist consistently.
                Klog.Info(2, $"watch of {Description} ended with: {e.Status.Message}; listing again");
                needList = true;
                consistent = true;
            }
            catch (Exception e)
            {
                Klog.Warning($"{(needList ? "failed to list" : "failed to watch")} {Description}: {Describe(e)}; retrying in {backoff.TotalMilliseconds:0} ms");
                try
                {
                    await Task.Delay(Jitter(backoff), cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
            }
        }
    }

    private async Task ListAsync(bool consistent, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _lists);
        var items = new List<T>();
        string? next = null;
        string resourceVersion;
        do
        {
            // The first list is served from the server's watch cache (resourceVersion=0, which ignores
            // paging); after a 410 the list must be at least as new as what was seen, so it is consistent.
            var page = await _listerWatcher.ListAsync(new ListOptions
            {
                ResourceVersion = consistent ? null : "0",
                Limit = consistent ? _options.PageSize : null,
                Continue = next,
            }, cancellationToken).ConfigureAwait(false);
            items.AddRange(page.Items);
            resourceVersion = page.ResourceVersion;
            next = string.IsNullOrEmpty(page.Continue) ? null : page.Continue;
        }
        while (next is not null);

        Replace(items, resourceVersion);
    }

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _watches);
        var timeout = (int)(_options.MinWatchTimeout.TotalSeconds * (1 + Random.Shared.NextDouble()));
        var options = new ListOptions
        {
            ResourceVersion = LastSyncResourceVersion,
            AllowWatchBookmarks = true,
            TimeoutSeconds = Math.Max(1, timeout),
        };
        await foreach (var (type, obj) in _listerWatcher.WatchAsync(options, cancellationToken).ConfigureAwait(false))
        {
            var resourceVersion = obj?.Metadata?.ResourceVersion;
            if (obj is null)
            {
                continue;
            }

            switch (type)
            {
                case WatchEventType.Added:
                case WatchEventType.Modified:
                    Apply(obj);
                    break;
                case WatchEventType.Deleted:
                    Delete(obj);
                    break;
                case WatchEventType.Bookmark:
                    break;
                default:
                    continue;
            }

            if (!string.IsNullOrEmpty(resourceVersion))
            {
                LastSyncResourceVersion = resourceVersion;
            }
        }
    }

    private void Replace(List<T> items, string resourceVersion)
    {
        var initial = !HasSynced;
        lock (_dispatchLock)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in items)
            {
                seen.Add(ObjectKeys.KeyOf(item));
                var old = Store.Upsert(item);
                if (old is null)
                {
                    Dispatch(h => h.OnAdd?.Invoke(item, initial));
                }
                else if (old.Metadata?.ResourceVersion != item.Metadata?.ResourceVersion)
                {
                    Dispatch(h => h.OnUpdate?.Invoke(old, item));
                }
            }

            foreach (var key in Store.ListKeys())
            {
                if (!seen.Contains(key) && Store.Remove(key) is { } gone)
                {
                    Dispatch(h => h.OnDelete?.Invoke(gone));
                }
            }

            LastSyncResourceVersion = resourceVersion;
        }

        _synced.TrySetResult();
    }

    private void Apply(T obj)
    {
        lock (_dispatchLock)
        {
            var old = Store.Upsert(obj);
            if (old is null)
            {
                Dispatch(h => h.OnAdd?.Invoke(obj, false));
            }
            else
            {
                Dispatch(h => h.OnUpdate?.Invoke(old, obj));
            }
        }
    }

    private void Delete(T obj)
    {
        lock (_dispatchLock)
        {
            Store.Remove(ObjectKeys.KeyOf(obj));
            Dispatch(h => h.OnDelete?.Invoke(obj));
        }
    }

    private void Dispatch(Action<ResourceEventHandler<T>> action)
    {
        foreach (var handler in _handlers)
        {
            Invoke(() => action(handler));
        }
    }

    private void Invoke(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            Klog.Error($"an event handler of the {Description} informer failed: {e}");
        }
    }

    private static TimeSpan Jitter(TimeSpan backoff) => backoff * (1 + (Random.Shared.NextDouble() * 0.5));

    private static string Describe(Exception e) => e switch
    {
        k8s.Autorest.HttpOperationException http => $"{(int)http.Response.StatusCode} {http.Response.Content}",
        _ => e.GetBaseException().Message,
    };
}
