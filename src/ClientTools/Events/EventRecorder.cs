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
/// timestamps and a count. Every event passes client-go's correlator first (<see cref="EventCorrelator"/>):
/// a repeat updates the earlier Event's count ("(x3 over 2m)" in <c>kubectl describe</c>), ten similar
/// events about one object are combined into one, and one source writes at most 25 events about one
/// object at once (then one every 5 minutes). Recording never blocks the caller: events are written in
/// the background and dropped when the queue is full, as upstream.
/// </summary>
public sealed class EventRecorder
{
    private static readonly ConcurrentDictionary<Type, (string ApiVersion, string Kind)> TypeMetas = new();

    private readonly IKubernetes _client;
    private readonly TimeProvider _time;
    // One queue per writer, an Event always in the same one (by namespace/name): its create and the count
    // updates after it are written in the order they were recorded, as client-go's single writer does,
    // while different Events are written in parallel (one writer was the controller manager's bottleneck).
    private readonly Channel<CorrelatedEvent>[] _queues;
    private readonly EventCorrelator _correlator;
    private readonly Lock _order = new();
    private long _dropped;
    private long _filtered;
    private long _pending;

    /// <param name="writers">how many events are written at once (each Event's writes stay in order).</param>
    public EventRecorder(IKubernetes client, string component, string? host = null, int queueSize = 1000, TimeProvider? time = null, int writers = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(writers, 1);
        _client = client;
        Component = component;
        Host = host ?? Environment.MachineName;
        _time = time ?? TimeProvider.System;
        _correlator = new EventCorrelator(_time);
        _queues = [.. Enumerable.Range(0, writers).Select(_ => Channel.CreateBounded<CorrelatedEvent>(
            new BoundedChannelOptions(Math.Max(1, queueSize / writers)) { FullMode = BoundedChannelFullMode.DropWrite }))];
    }

    public string Component { get; }

    public string Host { get; }

    /// <summary>Events dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Events the correlator's spam filter kept from the server (counted in the next update written).</summary>
    public long Filtered => Interlocked.Read(ref _filtered);

    /// <summary>An Event's name: the object's, a dot and the time in hex nanoseconds (client-go's).</summary>
    public static string NameFor(string objectName, DateTime now) => $"{objectName}.{(now - DateTime.UnixEpoch).Ticks * 100:x}";

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
                Name = NameFor(reference.Name, now),
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
        // Correlated and queued under one lock: two threads recording about one object cannot queue its
        // count updates in the opposite order to the counts.
        bool queued;
        lock (_order)
        {
            if (_correlator.Correlate(ev) is not { } correlated)
            {
                Interlocked.Increment(ref _filtered);
                return;
            }

            Interlocked.Increment(ref _pending);
            var key = $"{correlated.Event.Metadata.NamespaceProperty}/{correlated.Event.Metadata.Name}";
            queued = _queues[(int)((uint)StringComparer.Ordinal.GetHashCode(key) % (uint)_queues.Length)].Writer.TryWrite(correlated);
        }

        if (!queued)
        {
            Interlocked.Decrement(ref _pending);
            Interlocked.Increment(ref _dropped);
            Klog.Warning($"event queue is full, dropping event: {reason} {message}");
        }
    }

    /// <summary>Writes queued events until cancelled, one writer per queue.</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_queues.Select(queue => Task.Run(async () =>
        {
            try
            {
                await foreach (var ev in queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
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
                        Klog.Warning($"unable to write event {ev.Event.Metadata.NamespaceProperty}/{ev.Event.Metadata.Name} ({ev.Event.Reason}): {e.GetBaseException().Message}");
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

    private async Task WriteAsync(CorrelatedEvent correlated, CancellationToken cancellationToken)
    {
        var ev = correlated.Event;
        if (correlated.IsUpdate)
        {
            var patch = new V1Patch(
                $$"""{"count":{{(ev.Count ?? 1).ToString(CultureInfo.InvariantCulture)}},"lastTimestamp":"{{ev.LastTimestamp!.Value.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}}","message":{{System.Text.Json.JsonSerializer.Serialize(ev.Message)}}}""",
                V1Patch.PatchType.StrategicMergePatch);
            try
            {
                await _client.CoreV1.PatchNamespacedEventAsync(patch, ev.Metadata.Name, ev.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                // The earlier event is gone (expired by its TTL, or its create not yet through): write it, count and all.
            }
        }

        try
        {
            await _client.CoreV1.CreateNamespacedEventAsync(ev, ev.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // An update that overtook this create wrote the event already (client-go does not retry this either).
            Klog.Info(4, $"event {ev.Metadata.NamespaceProperty}/{ev.Metadata.Name} exists already");
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
}
