using ClientTools.Events;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;

namespace ClientTools.Tests;

public sealed class EventCorrelatorTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void A_repeated_event_updates_the_first_one_with_its_count()
    {
        var correlator = new EventCorrelator(_time);
        var first = correlator.Correlate(Event("rs", "SuccessfulCreate", "Created pod: a"))!;
        _time.Advance(TimeSpan.FromSeconds(5));
        var second = correlator.Correlate(Event("rs", "SuccessfulCreate", "Created pod: a"))!;

        Assert.False(first.IsUpdate);
        Assert.True(second.IsUpdate);
        Assert.Equal(first.Event.Metadata.Name, second.Event.Metadata.Name);
        Assert.Equal(2, second.Event.Count);
        Assert.Equal(first.Event.FirstTimestamp, second.Event.FirstTimestamp);
        Assert.Equal(_time.GetUtcNow().UtcDateTime, second.Event.LastTimestamp);
    }

    [Fact]
    public void The_tenth_similar_event_about_an_object_starts_a_combined_event_that_later_ones_update()
    {
        var correlator = new EventCorrelator(_time);
        var results = Enumerable.Range(1, 12).Select(i => Later(() => correlator.Correlate(Event("rs", "SuccessfulCreate", $"Created pod: p{i}"))!)).ToList();

        Assert.All(results.Take(9), r => Assert.False(r.IsUpdate));
        Assert.Equal(9, results.Take(9).Select(r => r.Event.Metadata.Name).Distinct().Count());
        Assert.Equal("(combined from similar events): Created pod: p10", results[9].Event.Message);
        Assert.False(results[9].IsUpdate);
        Assert.True(results[10].IsUpdate);
        Assert.Equal(results[9].Event.Metadata.Name, results[11].Event.Metadata.Name);
        Assert.Equal("(combined from similar events): Created pod: p12", results[11].Event.Message);
        Assert.Equal(3, results[11].Event.Count);

        // Another reason, or another object, is not combined with them.
        Assert.Equal("Deleted pod: p1", correlator.Correlate(Event("rs", "SuccessfulDelete", "Deleted pod: p1"))!.Event.Message);
        Assert.Equal("Created pod: q1", correlator.Correlate(Event("other", "SuccessfulCreate", "Created pod: q1"))!.Event.Message);
    }

    [Fact]
    public void Similar_events_ten_minutes_apart_are_not_combined()
    {
        var correlator = new EventCorrelator(_time);
        for (var i = 1; i <= 9; i++)
        {
            correlator.Correlate(Event("rs", "SuccessfulCreate", $"Created pod: p{i}"));
        }

        _time.Advance(EventCorrelator.AggregateInterval + TimeSpan.FromSeconds(1));
        Assert.Equal("Created pod: p10", correlator.Correlate(Event("rs", "SuccessfulCreate", "Created pod: p10"))!.Event.Message);
    }

    [Fact]
    public void One_source_writes_25_events_about_an_object_then_one_every_five_minutes_and_the_count_includes_the_dropped()
    {
        var correlator = new EventCorrelator(_time);
        var written = Enumerable.Range(1, 40).Select(i => Later(() => correlator.Correlate(Event("rs", "SuccessfulCreate", $"Created pod: p{i}")))).ToList();

        Assert.Equal(EventCorrelator.SpamBurst, written.Count(w => w is not null));
        Assert.All(written.Skip(EventCorrelator.SpamBurst), Assert.Null);
        // Another object's allowance is its own.
        Assert.NotNull(correlator.Correlate(Event("other", "SuccessfulCreate", "Created pod: q1")));

        _time.Advance(TimeSpan.FromSeconds(299));
        Assert.Null(correlator.Correlate(Event("rs", "SuccessfulCreate", "Created pod: p41")));
        _time.Advance(TimeSpan.FromSeconds(2));
        var next = correlator.Correlate(Event("rs", "SuccessfulCreate", "Created pod: p42"))!;
        Assert.True(next.IsUpdate);
        // The combined event began with p10; p10..p42 are 33 occurrences, those dropped included.
        Assert.Equal(33, next.Event.Count);
        Assert.Equal(written[9]!.Event.Metadata.Name, next.Event.Metadata.Name);
    }

    /// <summary>One millisecond on (events recorded at distinct times have distinct names), then <paramref name="record"/>.</summary>
    private T Later<T>(Func<T> record)
    {
        _time.Advance(TimeSpan.FromMilliseconds(1));
        return record();
    }

    private Corev1Event Event(string owner, string reason, string message)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return new Corev1Event
        {
            ApiVersion = "v1",
            Kind = "Event",
            Metadata = new V1ObjectMeta { Name = EventRecorder.NameFor(owner, now), NamespaceProperty = "ns" },
            InvolvedObject = new V1ObjectReference { ApiVersion = "apps/v1", Kind = "ReplicaSet", Name = owner, NamespaceProperty = "ns", Uid = "uid-" + owner },
            Reason = reason,
            Message = message,
            Type = "Normal",
            FirstTimestamp = now,
            LastTimestamp = now,
            Count = 1,
            Source = new V1EventSource { Component = "replicaset-controller", Host = "host" },
            ReportingComponent = "replicaset-controller",
            ReportingInstance = "host",
        };
    }
}
