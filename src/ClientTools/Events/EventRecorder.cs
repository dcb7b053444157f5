using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Threading.Channels;
using ClientTools.Logging;
using k8s;
using k8s.Models;

namespace ClientTools.Events;

/// <summary>Event types (core/v1 Event.type).</summary>
public static class EventTypes
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";
}

/// <summary>
/// Records core/v1 Events about objects, as client-go's event recorder does for kube's components:
/// <c>name = &lt;object&gt;.&lt;hex nanoseconds&gt;</c> in the object's namespace (default for
/// cluster-scoped objects), <c>involvedObject</c> referring to it, <c>source</c> and
/// <c>reportingComponent</c>/<c>reportingInstance</c> naming this component and host, first and last
/// timestamps and a count. The same event (object, reason, message, type) again within ten minutes
/// is not a new Event: the existing one's count goes up and its lastTimestamp moves (client-go's
/// correlator), which <c>kubectl describe</c> shows as "(x3 over 2m)". Recording never blocks the
/// caller: events are written in the background and dropped when the queue is full, as upstream.
/// (client-go's aggregation of many similar events into "combined from similar events" and its
/// per-object spam filter are not reproduced.)
/// </summary>
public sealed class EventRecorder
{
    private static readonly TimeSpan CorrelationWindow = TimeSpan.FromMinutes(10);
    private static readonly ConcurrentDictionary<Type, (string ApiVersion, string Kind)> TypeMetas = new();

    private readonly IKubernetes _client;
    private readonly TimeProvider _time;
    private readonly Channel<Corev1Event> _queue;
    private readonly ConcurrentDictionary<string, Recorded> _recent = new(StringComparer.Ordinal);
    private long _dropped;
    private long _pending;

    public EventRecorder(IKubernetes client, string component, string? host = null, int queueSize = 1000, TimeProvider? time = null)
    {
        _client = client;
        Component = component;
        Host = host ?? Environment.MachineName;
        _time = time ?? TimeProvider.System;
        _queue = Channel.CreateBounded<Corev1Event>(new BoundedChannelOptions(queueSize) { FullMode = BoundedChannelFullMode.DropWrite });
    }

    public string Component { get; }

    public string Host { get; }

    /// <summary>Events dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Records an event about <paramref name="obj"/>; <paramref name="action"/> is what the component did (events.k8s.io's action).</summary>
    public void Event<T>(T obj, string type, string reason, string message, string? action = null, string? fieldPath = null)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        var (apiVersion, kind) = TypeMetaOf(obj);
        var reference = new V1ObjectReference
        {
            ApiVersion = apiVersion,
            Kind = kind,
            Name = obj.Metadata?.Name,
            NamespaceProperty = obj.Metadata?.NamespaceProperty,
            Uid = obj.Metadata?.Uid,
            ResourceVersion = obj.Metadata?.ResourceVersion,
            FieldPath = fieldPath,
        };
        Event(reference, type, reason, message, action);
    }

    public void Event(V1ObjectReference reference, string type, string reason, string message, string? action = null)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var ns = string.IsNullOrEmpty(reference.NamespaceProperty) ? "default" : reference.NamespaceProperty;
        var ev = new Corev1Event
        {
            ApiVersion = "v1",
            Kind = "Event",
            Metadata = new V1ObjectMeta
            {
                Name = $"{reference.Name}.{(now - DateTime.UnixEpoch).Ticks * 100:x}",
                NamespaceProperty = ns,
            },
            InvolvedObject = reference,
            Reason = reason,
            Message = message,
            Type = type,
            FirstTimestamp = now,
            LastTimestamp = now,
            Count = 1,
            Source = new V1EventSource { Component = Component, Host = Host },
            ReportingComponent = Component,
            ReportingInstance = Host,
            Action = action,
        };
        Interlocked.Increment(ref _pending);
        if (!_queue.Writer.TryWrite(ev))
        {
            Interlocked.Decrement(ref _pending);
            Interlocked.Increment(ref _dropped);
            Klog.Warning($"event queue is full, dropping event: {reason} {message}");
        }
    }

    /// <summary>Writes queued events until cancelled, with <paramref name="parallelism"/> writers.</summary>
    public Task RunAsync(CancellationToken cancellationToken, int parallelism = 4) =>
        Task.WhenAll(Enumerable.Range(0, parallelism).Select(_ => Task.Run(async () =>
        {
            try
            {
                await foreach (var ev in _queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    try
                    {
                        await WriteAsync(ev, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception e)
                    {
                        Klog.Warning($"unable to write event {ev.Metadata.NamespaceProperty}/{ev.Metadata.Name} ({ev.Reason}): {e.GetBaseException().Message}");
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _pending);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None)));

    /// <summary>Waits until every event recorded so far has been written or given up on (for tests and shutdown).</summary>
    public async Task FlushAsync(TimeSpan timeout)
    {
        var deadline = _time.GetTimestamp() + (long)(timeout.TotalSeconds * _time.TimestampFrequency);
        while (Interlocked.Read(ref _pending) > 0 && _time.GetTimestamp() < deadline)
        {
            await Task.Delay(10).ConfigureAwait(false);
        }
    }

    private async Task WriteAsync(Corev1Event ev, CancellationToken cancellationToken)
    {
        var key = string.Join('\u0000', ev.Source.Component, ev.Source.Host, ev.InvolvedObject.Kind, ev.InvolvedObject.NamespaceProperty,
            ev.InvolvedObject.Name, ev.InvolvedObject.Uid, ev.InvolvedObject.FieldPath, ev.Type, ev.Reason, ev.Message);
        var now = ev.LastTimestamp!.Value;
        if (_recent.TryGetValue(key, out var previous) && now - previous.LastSeen < CorrelationWindow)
        {
            var count = Interlocked.Increment(ref previous.Count);
            previous.LastSeen = now;
            var patch = new V1Patch(
                $$"""{"count":{{count.ToString(CultureInfo.InvariantCulture)}},"lastTimestamp":"{{now.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}}","message":{{System.Text.Json.JsonSerializer.Serialize(ev.Message)}}}""",
                V1Patch.PatchType.StrategicMergePatch);
            try
            {
                await _client.CoreV1.PatchNamespacedEventAsync(patch, previous.Name, previous.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                // The earlier event is gone (expired by its TTL): record this one anew.
            }
        }

        var created = await _client.CoreV1.CreateNamespacedEventAsync(ev, ev.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        _recent[key] = new Recorded(created.Metadata.Name, created.Metadata.NamespaceProperty) { LastSeen = now };
        if (_recent.Count > 4096)
        {
            foreach (var (k, v) in _recent)
            {
                if (now - v.LastSeen >= CorrelationWindow)
                {
                    _recent.TryRemove(k, out _);
                }
            }
        }
    }

    private static (string ApiVersion, string Kind) TypeMetaOf<T>(T obj)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        if (!string.IsNullOrEmpty(obj.Kind) && !string.IsNullOrEmpty(obj.ApiVersion))
        {
            return (obj.ApiVersion, obj.Kind);
        }

        return TypeMetas.GetOrAdd(obj.GetType(), type =>
        {
            // The official client's models carry their kind and group/version as constants.
            string? Constant(string name) => type.GetField(name, BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as string;
            var group = Constant("KubeGroup") ?? "";
            var version = Constant("KubeApiVersion") ?? "v1";
            return (group.Length > 0 ? $"{group}/{version}" : version, Constant("KubeKind") ?? type.Name);
        });
    }

    private sealed class Recorded(string name, string ns)
    {
        public long Count = 1;

        public string Name { get; } = name;

        public string Namespace { get; } = ns;

        public DateTime LastSeen { get; set; }
    }
}
