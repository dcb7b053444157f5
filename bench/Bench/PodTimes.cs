using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http;
using System.Text.Json;

namespace Bench;

/// <summary>
/// When each pod of a namespace is first seen, first seen bound to a node and first seen Running, in
/// seconds of one clock, from a watch of the namespace's pods (the scheduling and deployment rows).
/// </summary>
internal sealed class PodTimes
{
    public ConcurrentDictionary<string, double> Seen { get; } = new();

    public ConcurrentDictionary<string, double> Bound { get; } = new();

    public ConcurrentDictionary<string, double> Running { get; } = new();

    /// <summary>Watches <paramref name="ns"/>'s pods from now until <paramref name="ct"/> ends it, recording the times from <paramref name="clock"/>.</summary>
    public async Task WatchAsync(Cluster cluster, string ns, Stopwatch clock, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/namespaces/{ns}/pods?watch=1&allowWatchBookmarks=false");
        using var response = await cluster.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            var now = clock.Elapsed.TotalSeconds;
            using var doc = JsonDocument.Parse(line);
            var pod = doc.RootElement.GetProperty("object");
            var name = pod.GetProperty("metadata").GetProperty("name").GetString()!;
            Seen.TryAdd(name, now);
            if (pod.TryGetProperty("spec", out var spec) && spec.TryGetProperty("nodeName", out var node) && node.GetString() is { Length: > 0 })
            {
                Bound.TryAdd(name, now);
            }

            if (pod.TryGetProperty("status", out var status) && status.TryGetProperty("phase", out var phase) && phase.GetString() == "Running")
            {
                Running.TryAdd(name, now);
            }
        }
    }
}
