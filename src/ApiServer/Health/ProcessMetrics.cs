using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace ApiServer.Health;

/// <summary>
/// /metrics with the process and runtime series an operator (and bench/) reads to size a server:
/// resident memory and CPU as Prometheus' process collector names them (kube-apiserver exports the
/// same), and the .NET GC's counterparts of Go's memstats (bytes allocated so far, heap size,
/// collections), how long the watch caches took to fill, and how many lists they answered
/// (apiserver_cache_list_total, as kube names it). kube-apiserver's other request and storage metrics
/// are not exported yet.
/// </summary>
internal static class ProcessMetrics
{
    public static async Task WriteAsync(HttpContext context, Storage.Cacher.CacheReflector reflector)
    {
        var text = new StringBuilder();
        void Metric(string name, string type, string help, double value, string labels = "")
        {
            text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            text.Append(name).Append(labels).Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }

        using var process = System.Diagnostics.Process.GetCurrentProcess();
        var gc = GC.GetGCMemoryInfo();
        Metric("process_resident_memory_bytes", "gauge", "Physical memory this process occupies (working set), in bytes.", process.WorkingSet64);
        Metric("process_cpu_seconds_total", "counter", "CPU seconds this process has used, user plus system.", process.TotalProcessorTime.TotalSeconds);
        Metric("dotnet_gc_allocated_bytes_total", "counter", "Bytes allocated on the managed heap since the process started.", GC.GetTotalAllocatedBytes());
        Metric("dotnet_gc_heap_size_bytes", "gauge", "Managed heap size after the last garbage collection.", gc.HeapSizeBytes);
        Metric("dotnet_gc_committed_bytes", "gauge", "Memory committed by the garbage collector.", gc.TotalCommittedBytes);
        text.Append("# HELP dotnet_gc_collections_total Garbage collections by generation.\n# TYPE dotnet_gc_collections_total counter\n");
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
        {
            text.Append(CultureInfo.InvariantCulture, $"dotnet_gc_collections_total{{generation=\"{generation}\"}} {GC.CollectionCount(generation)}\n");
        }

        Metric("watch_cache_initial_fill_seconds", "gauge", "How long the last fill of the watch caches took (etcd's pages to the caches' swap).", reflector.LastFillSeconds);
        text.Append("# HELP apiserver_cache_list_total Number of lists the watch cache answered, by resource and the index it used.\n# TYPE apiserver_cache_list_total counter\n");
        foreach (var cache in reflector.Caches)
        {
            foreach (var (index, count) in cache.ListsServed)
            {
                text.Append(CultureInfo.InvariantCulture, $"apiserver_cache_list_total{{group=\"{cache.GroupResource.Group}\",index=\"{index}\",resource=\"{cache.GroupResource.Resource}\"}} {count}\n");
            }
        }

        Metric("dotnet_gc_server", "gauge", "1 when the server garbage collector is in use.", System.Runtime.GCSettings.IsServerGC ? 1 : 0);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await context.Response.WriteAsync(text.ToString(), context.RequestAborted).ConfigureAwait(false);
    }
}
