using ClientTools.Logging;

namespace ClientTools.WorkQueue;

/// <summary>
/// client-go's rate-limited work queue. An item (typically a "namespace/name" key) added many times
/// before a worker takes it is processed once; an item is never handed to two workers at once: added
/// while being processed, it is queued again when the worker calls <see cref="Done"/>. Failed items
/// come back after the rate limiter's delay (<see cref="AddRateLimited"/>); <see cref="AddAfter"/>
/// schedules an item, keeping the earliest time when scheduled twice.
/// </summary>
public sealed class RateLimitingQueue<T> : IDisposable
    where T : notnull
{
    private readonly Lock _lock = new();
    private readonly Queue<T> _queue = new();
    private readonly HashSet<T> _dirty = [];
    private readonly HashSet<T> _processing = [];
    private readonly Dictionary<T, (long ReadyAt, ITimer Timer)> _waiting = [];
    private readonly Queue<TaskCompletionSource<bool>> _getters = new();
    private readonly IRateLimiter<T> _rateLimiter;
    private readonly TimeProvider _time;
    private bool _shuttingDown;
    private long _adds;
    private long _retries;

    public RateLimitingQueue(string name, IRateLimiter<T>? rateLimiter = null, TimeProvider? time = null)
    {
        Name = name;
        _time = time ?? TimeProvider.System;
        _rateLimiter = rateLimiter ?? RateLimiters.DefaultController<T>(_time);
        WorkQueueMetrics.Register(this);
    }

    /// <summary>Items queued so far (client-go's workqueue_adds_total).</summary>
    public long Adds => Interlocked.Read(ref _adds);

    /// <summary>Rate-limited re-adds so far (workqueue_retries_total).</summary>
    public long Retries => Interlocked.Read(ref _retries);

    public string Name { get; }

    /// <summary>Items ready for a worker (not counting those being processed or waiting for their delay).</summary>
    public int Length
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    public bool ShuttingDown
    {
        get
        {
            lock (_lock)
            {
                return _shuttingDown;
            }
        }
    }

    public void Add(T item)
    {
        TaskCompletionSource<bool>? wake = null;
        lock (_lock)
        {
            if (_shuttingDown || !_dirty.Add(item))
            {
                return;
            }

            if (_processing.Contains(item))
            {
                return;
            }

            _queue.Enqueue(item);
            _adds++;
            wake = TakeGetter();
        }

        wake?.TrySetResult(true);
    }

    public void AddAfter(T item, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(item);
            return;
        }

        lock (_lock)
        {
            if (_shuttingDown)
            {
                return;
            }

            var readyAt = _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency);
            if (_waiting.TryGetValue(item, out var existing))
            {
                if (existing.ReadyAt <= readyAt)
                {
                    return;
                }

                existing.Timer.Dispose();
            }

            var timer = _time.CreateTimer(_ => Fire(item, readyAt), null, delay, Timeout.InfiniteTimeSpan);
            _waiting[item] = (readyAt, timer);
        }
    }

    /// <summary>Queues the item again after the rate limiter's delay for it (one more failure).</summary>
    public void AddRateLimited(T item)
    {
        Interlocked.Increment(ref _retries);
        AddAfter(item, _rateLimiter.When(item));
    }

    /// <summary>The item succeeded: its failure count starts over.</summary>
    public void Forget(T item) => _rateLimiter.Forget(item);

    public int NumRequeues(T item) => _rateLimiter.NumRequeues(item);

    /// <summary>The next item; false once the queue is shut down and drained.</summary>
    public async ValueTask<(bool Ok, T Item)> GetAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            TaskCompletionSource<bool> waiter;
            lock (_lock)
            {
                if (_queue.TryDequeue(out var item))
                {
                    _processing.Add(item);
                    _dirty.Remove(item);
                    return (true, item);
                }

                if (_shuttingDown)
                {
                    return (false, default!);
                }

                waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                _getters.Enqueue(waiter);
            }

            using (cancellationToken.Register(() => waiter.TrySetCanceled(cancellationToken)))
            {
                await waiter.Task.ConfigureAwait(false);
            }
        }
    }

    /// <summary>A worker finished with the item; if it was added meanwhile, it is queued again now.</summary>
    public void Done(T item)
    {
        TaskCompletionSource<bool>? wake = null;
        lock (_lock)
        {
            _processing.Remove(item);
            if (_dirty.Contains(item))
            {
                _queue.Enqueue(item);
                wake = TakeGetter();
            }
        }

        wake?.TrySetResult(true);
    }

    /// <summary>New items are ignored from now on; workers drain what is queued and then stop.</summary>
    public void ShutDown()
    {
        List<TaskCompletionSource<bool>> wake;
        lock (_lock)
        {
            _shuttingDown = true;
            foreach (var (_, waiting) in _waiting)
            {
                waiting.Timer.Dispose();
            }

            _waiting.Clear();
            wake = [.. _getters];
            _getters.Clear();
        }

        foreach (var getter in wake)
        {
            getter.TrySetResult(false);
        }
    }

    public void Dispose() => ShutDown();

    /// <summary>
    /// Runs <paramref name="workers"/> workers until the queue shuts down or <paramref name="cancellationToken"/>
    /// is cancelled: each takes an item, calls <paramref name="process"/>, forgets the item's failures when it
    /// succeeds and retries it rate-limited when it throws (client-go's processNextWorkItem).
    /// </summary>
    public Task RunWorkersAsync(int workers, Func<T, CancellationToken, Task> process, CancellationToken cancellationToken)
    {
        cancellationToken.Register(ShutDown);
        return Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                (bool Ok, T Item) next;
                try
                {
                    next = await GetAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                if (!next.Ok)
                {
                    return;
                }

                try
                {
                    await process(next.Item, cancellationToken).ConfigureAwait(false);
                    Forget(next.Item);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                }
                catch (Exception e)
                {
                    Klog.Warning($"{Name}: error syncing {next.Item}, requeuing: {e.GetBaseException().Message}");
                    AddRateLimited(next.Item);
                }
                finally
                {
                    Done(next.Item);
                }
            }
        }, CancellationToken.None)));
    }

    private void Fire(T item, long readyAt)
    {
        lock (_lock)
        {
            if (!_waiting.TryGetValue(item, out var entry) || entry.ReadyAt != readyAt)
            {
                return;
            }

            _waiting.Remove(item);
            entry.Timer.Dispose();
        }

        Add(item);
    }

    private TaskCompletionSource<bool>? TakeGetter()
    {
        while (_getters.TryDequeue(out var getter))
        {
            if (!getter.Task.IsCompleted)
            {
                return getter;
            }
        }

        return null;
    }
}
