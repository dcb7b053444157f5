using System.Globalization;
using System.Text;

namespace ClientTools.WorkQueue;

/// <summary>
/// client-go's work queue metrics (workqueue_depth, workqueue_adds_total, workqueue_retries_total by
/// queue name) over every queue this process made, for a component's /metrics.
/// </summary>
public static class WorkQueueMetrics
{
    private static readonly Lock Gate = new();
    private static readonly List<(string Name, WeakReference<object> Queue, Func<object, (int Depth, long Adds, long Retries)> Read)> Queues = [];

    internal static void Register<T>(RateLimitingQueue<T> queue)
        where T : notnull
    {
        lock (Gate)
        {
            Queues.RemoveAll(q => !q.Queue.TryGetTarget(out _));
            Queues.Add((queue.Name, new WeakReference<object>(queue), o =>
            {
                var q = (RateLimitingQueue<T>)o;
                return (q.Length, q.Adds, q.Retries);
            }));
        }
    }

    /// <summary>The three series in Prometheus' text format; queues sharing a name are added up.</summary>
    public static void WriteTo(StringBuilder text)
    {
        var totals = new SortedDictionary<string, (int Depth, long Adds, long Retries)>(StringComparer.Ordinal);
        lock (Gate)
        {
            foreach (var (name, reference, read) in Queues)
            {
                if (reference.TryGetTarget(out var queue))
                {
                    var (depth, adds, retries) = read(queue);
                    totals.TryGetValue(name, out var sum);
                    totals[name] = (sum.Depth + depth, sum.Adds + adds, sum.Retries + retries);
                }
            }
        }

        void Series(string metric, string type, string help, Func<(int Depth, long Adds, long Retries), long> value)
        {
            text.Append("# HELP ").Append(metric).Append(' ').Append(help).Append('\n');
            text.Append("# TYPE ").Append(metric).Append(' ').Append(type).Append('\n');
            foreach (var (name, counts) in totals)
            {
                text.Append(CultureInfo.InvariantCulture, $"{metric}{{name=\"{name}\"}} {value(counts)}\n");
            }
        }

        Series("workqueue_depth", "gauge", "Keys waiting in each controller's work queue.", c => c.Depth);
        Series("workqueue_adds_total", "counter", "Keys added to each controller's work queue since start.", c => c.Adds);
        Series("workqueue_retries_total", "counter", "Keys put back into each controller's work queue after a failed sync, since start.", c => c.Retries);
    }
}
