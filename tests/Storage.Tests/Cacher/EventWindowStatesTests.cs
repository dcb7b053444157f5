using System.Collections.Immutable;
using Microsoft.Extensions.Time.Testing;
using Storage.Cacher;

namespace Storage.Tests.Cacher;

/// <summary>
/// The event window's bookkeeping of the cache's past contents: which state answers which revision,
/// and that states leave with their events (by count and by age) and on a relist.
/// </summary>
public sealed class EventWindowStatesTests
{
    private static readonly ImmutableDictionary<string, ImmutableSortedSet<string>> NoSets =
        ImmutableDictionary.Create<string, ImmutableSortedSet<string>>(StringComparer.Ordinal);

    /// <summary>A state holding one marker object, so tests can tell states apart.</summary>
    private static CacheState State(string marker) => new(
        ImmutableSortedDictionary.Create<string, StoredObject>(StringComparer.Ordinal).Add(marker, new StoredObject(marker, Array.Empty<byte>(), 1, 1)),
        NoSets,
        NoSets);

    private static StorageWatchEvent Event(long revision) =>
        new(WatchEventType.Added, new StoredObject($"/p/k{revision}", Array.Empty<byte>(), revision, revision), null);

    private static string? Marker(CacheState? state) => state?.Objects.Keys.Single();

    [Fact]
    public void EachRevision_IsAnsweredByTheNewestStateAtOrBelowIt()
    {
        var window = new EventWindow(new CacherOptions { MinimumEvents = 10, MaximumEvents = 10 });
        window.Reset(100, State("fill"));
        window.Add(Event(105), State("after 105"));
        window.Add(Event(110), State("after 110"));

        Assert.Null(window.StateAt(99));
        Assert.Equal("fill", Marker(window.StateAt(100)));
        Assert.Equal("fill", Marker(window.StateAt(104)));
        Assert.Equal("after 105", Marker(window.StateAt(105)));
        Assert.Equal("after 105", Marker(window.StateAt(109)));
        Assert.Equal("after 110", Marker(window.StateAt(110)));
        // Later revisions (other resources' events) changed nothing here.
        Assert.Equal("after 110", Marker(window.StateAt(500)));
        Assert.Equal(3, window.States);
    }

    [Fact]
    public void EventsOfOneRevision_AnswerWithTheStateAfterTheLastOfThem()
    {
        var window = new EventWindow(new CacherOptions { MinimumEvents = 10, MaximumEvents = 10 });
        window.Reset(1, State("fill"));
        window.Add(Event(7), State("first of 7"));
        window.Add(Event(7), State("second of 7"));

        Assert.Equal("second of 7", Marker(window.StateAt(7)));
    }

    [Fact]
    public void AFullWindow_DropsTheOldestState_WithItsEvent()
    {
        var window = new EventWindow(new CacherOptions { MinimumEvents = 3, MaximumEvents = 3 });
        window.Reset(10, State("fill"));
        for (var revision = 11; revision <= 15; revision++)
        {
            window.Add(Event(revision), State($"after {revision}"));
        }

        // Events 11 and 12 left: the window starts at 12, whose state it still has.
        Assert.Equal(12, window.StartRevision);
        Assert.Null(window.StateAt(11));
        Assert.Equal("after 12", Marker(window.StateAt(12)));
        Assert.Equal("after 15", Marker(window.StateAt(15)));
        Assert.Equal(4, window.States); // bounded: the window's 3 events and its start
    }

    [Fact]
    public void StatesOlderThanTheRetention_LeaveBeyondTheMinimum()
    {
        var time = new FakeTimeProvider();
        var window = new EventWindow(new CacherOptions { MinimumEvents = 1, MaximumEvents = 100, EventRetention = TimeSpan.FromSeconds(75), Time = time });
        window.Reset(1, State("fill"));
        window.Add(Event(2), State("after 2"));
        window.Add(Event(3), State("after 3"));
        window.Add(Event(4), State("after 4"));
        time.Advance(TimeSpan.FromSeconds(76));

        window.Add(Event(5), State("after 5"));

        // Events 2 and 3 left (the minimum of one stayed): the window starts at 3.
        Assert.Equal(3, window.StartRevision);
        Assert.Null(window.StateAt(2));
        Assert.Equal("after 3", Marker(window.StateAt(3)));
        Assert.Equal("after 4", Marker(window.StateAt(4)));
        Assert.Equal(3, window.States);
    }

    [Fact]
    public void ARelist_ForgetsEveryState()
    {
        var window = new EventWindow(new CacherOptions { MinimumEvents = 10, MaximumEvents = 10 });
        window.Reset(1, State("fill"));
        window.Add(Event(2), State("after 2"));

        window.Reset(50, State("refill"));

        Assert.Null(window.StateAt(2));
        Assert.Equal("refill", Marker(window.StateAt(50)));
        Assert.Equal(1, window.States);
    }

    [Fact]
    public void WithoutStates_EveryPastRevisionIsEtcds()
    {
        var window = new EventWindow(new CacherOptions());
        window.Reset(1);
        window.Add(Event(2));

        Assert.Null(window.StateAt(1));
        Assert.Null(window.StateAt(2));
    }
}
