using System.Globalization;
using System.Text;
using ClientTools.WorkQueue;

namespace ClientTools.Runtime;

/// <summary>
/// What a component's /metrics says (Prometheus text format): the process series Prometheus' process
/// collector names (as kube's components and our API server export them), the .NET GC's, client-go's
/// work queue series, and whatever gauges the component adds (e.g. leader_election_master_status).
/// </summary>
public sealed class ComponentMetrics
{
    private readonly Lock _lock = new();
    private readonly List<(string Name, string Help, string Labels, Func<double> Value)> _gauges = [];

    /// <summary>Adds a gauge read at every scrape; <paramref name="labels"/> is the series' label set, e.g. <c>{name="x"}</c>.</summary>
    public void Gauge(string name, string help, string labels, Func<double> value)
    {
        lock (_lock)
        {
            _gauges.Add((name, help, labels, value));
        }
    }

    public string Render()
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
        Metric("process_start_time_seconds", "gauge", "When this process started, as Unix time in seconds.", new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0);
        Metric("dotnet_gc_allocated_bytes_total", "counter", "Bytes allocated on the managed heap since the process started.", GC.GetTotalAllocatedBytes());
        Metric("dotnet_gc_heap_size_bytes", "gauge", "Managed heap size after the last garbage collection.", gc.HeapSizeBytes);
        WorkQueueMetrics.WriteTo(text);
        List<(string Name, string Help, string Labels, Func<double> Value)> gauges;
        lock (_lock)
        {
            gauges = [.. _gauges];
        }

        foreach (var (name, help, labels, value) in gauges)
        {
            Metric(name, "gauge", help, value(), labels);
        }

        return text.ToString();
    }
}
