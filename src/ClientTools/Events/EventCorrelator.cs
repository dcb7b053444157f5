using ClientTools.Client;
using k8s.Models;

namespace ClientTools.Events;

/// <summary>What the correlator made of a recorded event: the event to write, and whether it updates an earlier one.</summary>
/// <param name="Event">The event to write (its name is the earlier event's when <paramref name="IsUpdate"/>).</param>
/// <param name="IsUpdate">True when an Event with this name was written before: patch its count, lastTimestamp and message.</param>
public sealed record CorrelatedEvent(Corev1Event Event, bool IsUpdate);

/// <summary>
/// client-go's event correlator (tools/record), which every kube component's recorder runs before
/// writing, so that a controller creating 1,000 pods writes a few dozen Events rather than 1,000:
/// <list type="bullet">
/// <item>aggregation: once 10 events about one object that differ only in their message (same source,
/// type and reason) are seen within 10 minutes, further ones become one event whose message is
/// "(combined from similar events): " and the latest message, counted up;</item>
/// <item>counting: an event identical to an earlier one (message included) updates that event's count
/// and lastTimestamp instead of being written anew;</item>
/// <item>spam filter: one source may write 25 events about one object, then one more every 5 minutes
/// (a token bucket per source and object); events beyond that are dropped, though still counted, so
/// the next update written carries the full count.</item>
/// </list>
/// State is kept per key and pruned by age (every window here is at most a few hours), not by an LRU
/// of 4,096 entries as client-go's: what it remembers only decides between writing and updating.
/// </summary>
public sealed class EventCorrelator(TimeProvider? time = null)
{
    /// <summary>Similar events (differing only in message) about one object before they are combined.</summary>
    public const int AggregateMaxEvents = 10;

    /// <summary>Events one source may write about one object at once.</summary>
    public const int SpamBurst = 25;

    /// <summary>The rate at which that allowance refills: one event every 5 minutes.</summary>
    public const double SpamQps = 1.0 / 300;

    public const string AggregatePrefix = "(combined from similar events): ";

    /// <summary>How long similar events count towards aggregation, and how long an identical event updates the earlier one.</summary>
    public static readonly TimeSpan AggregateInterval = TimeSpan.FromMinutes(10);

    private const int PruneAbove = 4096;
    private static readonly TimeSpan SpamRefill = TimeSpan.FromSeconds(SpamBurst / SpamQps);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Aggregate> _aggregates = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Observation> _observations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Allowance> _allowances = new(StringComparer.Ordinal);

    /// <summary>
    /// The event to write for <paramref name="ev"/> (a new Event with count 1, name and timestamps set),
    /// or null when the spam filter drops it.
    /// </summary>
    public CorrelatedEvent? Correlate(Corev1Event ev)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow().UtcDateTime;
            var (aggregated, cacheKey) = Aggregated(ev, now);
            var observed = Observe(aggregated, cacheKey, now, out var isUpdate);
            if (!Allowed(observed, now))
            {
                return null;
            }

            Prune(now);
            return new CorrelatedEvent(observed, isUpdate);
        }
    }

    private (Corev1Event Event, string CacheKey) Aggregated(Corev1Event ev, DateTime now)
    {
        var aggregateKey = string.Join('\u0000', SpamKey(ev), ev.Type, ev.Reason, ev.ReportingComponent, ev.ReportingInstance);
        if (!_aggregates.TryGetValue(aggregateKey, out var record) || now - record.LastSeen > AggregateInterval)
        {
            record = new Aggregate();
            _aggregates[aggregateKey] = record;
        }

        record.Messages.Add(ev.Message ?? "");
        record.LastSeen = now;
        if (record.Messages.Count < AggregateMaxEvents)
        {
            return (ev, EventKey(ev));
        }

        // Keep the set below the threshold, so every further similar event is combined too.
        record.Messages.Remove(record.Messages.First());
        var combined = new Corev1Event
        {
            ApiVersion = ev.ApiVersion,
            Kind = ev.Kind,
            Metadata = new V1ObjectMeta { Name = EventRecorder.NameFor(ev.InvolvedObject.Name, now), NamespaceProperty = ev.Metadata.NamespaceProperty },
            InvolvedObject = ev.InvolvedObject,
            Reason = ev.Reason,
            Message = AggregatePrefix + ev.Message,
            Type = ev.Type,
            FirstTimestamp = now,
            LastTimestamp = now,
            Count = 1,
            Source = ev.Source,
            ReportingComponent = ev.ReportingComponent,
            ReportingInstance = ev.ReportingInstance,
            Action = ev.Action,
        };
        return (combined, aggregateKey);
    }

    private Corev1Event Observe(Corev1Event ev, string cacheKey, DateTime now, out bool isUpdate)
    {
        isUpdate = _observations.TryGetValue(cacheKey, out var last) && now - last.LastSeen < AggregateInterval;
        if (isUpdate)
        {
            last!.Count++;
            last.LastSeen = now;
            ev.Metadata.Name = last.Name;
            ev.Metadata.NamespaceProperty = last.Namespace;
            ev.FirstTimestamp = last.FirstTimestamp;
            ev.Count = last.Count;
        }
        else
        {
            _observations[cacheKey] = new Observation(ev.Metadata.Name, ev.Metadata.NamespaceProperty) { Count = ev.Count ?? 1, FirstTimestamp = ev.FirstTimestamp ?? now, LastSeen = now };
        }

        return ev;
    }

    private bool Allowed(Corev1Event ev, DateTime now)
    {
        var key = SpamKey(ev);
        if (!_allowances.TryGetValue(key, out var allowance))
        {
            allowance = new Allowance(new TokenBucket(SpamQps, SpamBurst, _time));
            _allowances[key] = allowance;
        }

        allowance.LastSeen = now;
        return allowance.Bucket.TryTake();
    }

    private void Prune(DateTime now)
    {
        if (_observations.Count + _aggregates.Count + _allowances.Count <= 3 * PruneAbove)
        {
            return;
        }

        foreach (var (key, o) in _observations.Where(p => now - p.Value.LastSeen >= AggregateInterval).ToList())
        {
            _observations.Remove(key);
        }

        foreach (var (key, a) in _aggregates.Where(p => now - p.Value.LastSeen > AggregateInterval).ToList())
        {
            _aggregates.Remove(key);
        }

        // A bucket untouched for as long as it takes to refill is as good as a new one.
        foreach (var (key, a) in _allowances.Where(p => now - p.Value.LastSeen >= SpamRefill).ToList())
        {
            _allowances.Remove(key);
        }
    }

    /// <summary>Source and involved object: the spam filter's unit.</summary>
    private static string SpamKey(Corev1Event ev) => string.Join('\u0000',
        ev.Source?.Component, ev.Source?.Host, ev.InvolvedObject.Kind, ev.InvolvedObject.NamespaceProperty,
        ev.InvolvedObject.Name, ev.InvolvedObject.Uid, ev.InvolvedObject.ApiVersion);

    /// <summary>Everything that makes two events the same event (client-go's getEventKey).</summary>
    private static string EventKey(Corev1Event ev) => string.Join('\u0000',
        SpamKey(ev), ev.InvolvedObject.FieldPath, ev.Type, ev.Reason, ev.Message);

    private sealed class Aggregate
    {
        public HashSet<string> Messages { get; } = new(StringComparer.Ordinal);

        public DateTime LastSeen { get; set; }
    }

    private sealed class Observation(string name, string ns)
    {
        public string Name { get; } = name;

        public string Namespace { get; } = ns;

        public int Count { get; set; }

        public DateTime FirstTimestamp { get; set; }

        public DateTime LastSeen { get; set; }
    }

    private sealed class Allowance(TokenBucket bucket)
    {
        public TokenBucket Bucket { get; } = bucket;

        public DateTime LastSeen { get; set; }
    }
}
