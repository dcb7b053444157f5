namespace ApiMachinery.Wait;

/// <summary>
/// The one way the server runs a background loop (kube's wait.BackoffUntil with
/// utilruntime.HandleError): the body runs until cancelled; a failure is handed to
/// <c>onFailure</c> whole (the caller logs the exception, not just its message) and counted on the
/// loop's <see cref="LoopStatus"/>, and the body runs again after a jittered, capped backoff that
/// grows with consecutive failures and starts over once the body reports a success.
/// </summary>
public static class BackgroundLoop
{
    /// <summary>
    /// Runs <paramref name="body"/> again and again until <paramref name="cancellationToken"/> fires.
    /// A body that returns is started again at once if it reported a success meanwhile (a watch that
    /// ended after making progress), else that counts as a failure (so a body that ends at once
    /// cannot spin).
    /// </summary>
    /// <param name="onFailure">receives each failure and the wait before the next run (to log them).</param>
    public static async Task RunAsync(
        LoopStatus status,
        Func<CancellationToken, Task> body,
        Action<Exception, TimeSpan> onFailure,
        CancellationToken cancellationToken,
        Backoff? backoff = null,
        TimeProvider? time = null)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var before = status.Successes;
            Exception? failure;
            try
            {
                await body(cancellationToken).ConfigureAwait(false);
                failure = status.Successes > before ? null : new LoopEndedException(status.Name);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                failure = e;
            }

            if (failure is not null && !await WaitAfterFailureAsync(status, failure, onFailure, backoff, time, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> until it completes once (a post-start hook: bootstrap objects),
    /// retrying failures as <see cref="RunAsync"/> does; its completion counts as the loop's success.
    /// </summary>
    public static async Task RunUntilDoneAsync(
        LoopStatus status,
        Func<CancellationToken, Task> body,
        Action<Exception, TimeSpan> onFailure,
        CancellationToken cancellationToken,
        Backoff? backoff = null,
        TimeProvider? time = null)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await body(cancellationToken).ConfigureAwait(false);
                status.Succeeded();
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                if (!await WaitAfterFailureAsync(status, e, onFailure, backoff, time, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Counts a failure, reports it, and waits the backoff it earns; false when cancelled meanwhile.
    /// For loops that handle their own failures inside a longer body (a work queue's item).
    /// </summary>
    public static async Task<bool> WaitAfterFailureAsync(
        LoopStatus status, Exception failure, Action<Exception, TimeSpan> onFailure, Backoff? backoff, TimeProvider? time, CancellationToken cancellationToken)
    {
        var failures = status.Failed(failure);
        var delay = (backoff ?? Backoff.Default).Delay(failures, Random.Shared.NextDouble());
        onFailure(failure, delay);
        try
        {
            await Task.Delay(delay, time ?? TimeProvider.System, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}

/// <summary>A loop's body returned without reporting any progress.</summary>
public sealed class LoopEndedException(string loop) : Exception($"{loop} ended without making progress");
