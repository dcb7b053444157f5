using System.Diagnostics;
using ClientTools.Logging;

namespace ControllerManager.Common;

/// <summary>
/// kube's slowStartBatch: calls <paramref name="action"/> <paramref name="count"/> times in batches of
/// 1, 2, 4, ... run in parallel, stopping after the first batch with a failure, so a create that fails
/// (quota, admission) fails once instead of hundreds of times. Returns the successes and the first error.
/// </summary>
internal static class SlowStart
{
    public static async Task<(int Successes, Exception? Error)> BatchAsync(int count, int initialBatchSize, Func<Task> action)
    {
        var remaining = count;
        var successes = 0;
        for (var batch = Math.Min(remaining, initialBatchSize); batch > 0; batch = Math.Min(2 * batch, remaining))
        {
            var started = Stopwatch.GetTimestamp();
            var tasks = Enumerable.Range(0, batch).Select(_ => Run(action)).ToArray();
            var results = await Task.WhenAll(tasks).ConfigureAwait(false);
            Klog.Info(4, $"slow-start batch of {batch} done in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0.0} ms");
            successes += results.Count(r => r is null);
            var error = results.FirstOrDefault(r => r is not null);
            if (error is not null)
            {
                return (successes, error);
            }

            remaining -= batch;
        }

        return (successes, null);
    }

    private static async Task<Exception?> Run(Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return e;
        }
    }
}
