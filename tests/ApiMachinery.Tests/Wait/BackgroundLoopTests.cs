using ApiMachinery.Wait;
using Microsoft.Extensions.Time.Testing;

namespace ApiMachinery.Tests.Wait;

/// <summary>The shared loop runner: backoff with jitter and a cap, whole failures reported, health from the failure streak.</summary>
public sealed class BackgroundLoopTests
{
    private static readonly Backoff Backoff = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(8), Factor: 2, Jitter: 0.5);

    [Fact]
    public void Backoff_DoublesPerFailure_UpToItsCap_PlusAtMostItsJitter()
    {
        Assert.Equal(new double[] { 1, 2, 4, 8, 8, 8 }, new[] { 1, 2, 3, 4, 5, 40 }.Select(n => Backoff.Delay(n, 0).TotalSeconds));
        Assert.InRange(Backoff.Delay(1, 0.999999).TotalSeconds, 1.499, 1.5);
        Assert.InRange(Backoff.Delay(9, 0.999999).TotalSeconds, 11.99, 12);
    }

    [Fact]
    public void LoopStatus_KeepsFailing_OnlyAfterEnoughFailuresForLongEnough_AndASuccessResetsIt()
    {
        var time = new FakeTimeProvider();
        var status = new LoopStatus("controller/test", time);
        status.Failed(new InvalidOperationException("one"));
        status.Failed(new InvalidOperationException("two"));
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.False(status.KeepsFailing(3, TimeSpan.FromSeconds(10)));

        Assert.Equal(3, status.Failed(new InvalidOperationException("three")));
        Assert.True(status.KeepsFailing(3, TimeSpan.FromSeconds(10)));
        Assert.Equal("three", status.LastError!.Message);

        status.Succeeded();
        Assert.Equal(0, status.ConsecutiveFailures);
        Assert.Null(status.LastError);
        for (var i = 0; i < 5; i++)
        {
            status.Failed(new InvalidOperationException("again"));
        }

        // A new streak counts from its own first failure.
        Assert.False(status.KeepsFailing(3, TimeSpan.FromSeconds(10)));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(status.KeepsFailing(3, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task RunAsync_RetriesFailuresAfterAGrowingBackoff_ReportsEachWhole_AndStartsOverAfterASuccess()
    {
        var time = new FakeTimeProvider();
        var status = new LoopStatus("informer/test", time);
        var reported = new List<(Exception Error, TimeSpan Delay)>();
        var runs = 0;
        using var stop = new CancellationTokenSource();
        var loop = BackgroundLoop.RunAsync(status, async ct =>
        {
            runs++;
            if (runs is 1 or 2 or 3 or 5)
            {
                throw new InvalidOperationException($"run {runs}");
            }

            status.Succeeded();
            await Task.Delay(Timeout.Infinite, ct);
        }, (e, delay) => reported.Add((e, delay)), stop.Token, Backoff with { Jitter = 0 }, time);

        await WaitUntilAsync(() => reported.Count == 1);
        Assert.Equal(1, runs);
        time.Advance(TimeSpan.FromMilliseconds(999));
        await Task.Delay(50);
        Assert.Equal(1, runs); // still waiting out the backoff

        time.Advance(TimeSpan.FromMilliseconds(1));
        await WaitUntilAsync(() => reported.Count == 2);
        time.Advance(TimeSpan.FromSeconds(2));
        await WaitUntilAsync(() => reported.Count == 3);
        time.Advance(TimeSpan.FromSeconds(4));
        await WaitUntilAsync(() => runs == 4);
        Assert.Equal(new double[] { 1, 2, 4 }, reported.Select(r => r.Delay.TotalSeconds));
        Assert.Equal(["run 1", "run 2", "run 3"], reported.Select(r => r.Error.Message));
        Assert.Equal(0, status.ConsecutiveFailures);

        await stop.CancelAsync();
        await loop; // ends quietly when cancelled
        Assert.Equal(4, runs);
    }

    [Fact]
    public async Task RunAsync_ABodyThatEndsWithoutProgress_CountsAsAFailure()
    {
        var time = new FakeTimeProvider();
        var status = new LoopStatus("controller/idle", time);
        var reported = new List<Exception>();
        using var stop = new CancellationTokenSource();
        var loop = BackgroundLoop.RunAsync(status, _ => Task.CompletedTask, (e, _) => reported.Add(e), stop.Token, Backoff, time);
        await WaitUntilAsync(() => reported.Count == 1);
        Assert.IsType<LoopEndedException>(reported[0]);
        Assert.Equal(1, status.ConsecutiveFailures);
        await stop.CancelAsync();
        await loop;
    }

    [Fact]
    public async Task RunUntilDoneAsync_RetriesUntilTheBodyCompletes_ThenStops()
    {
        var time = new FakeTimeProvider();
        var status = new LoopStatus("poststarthook/test", time);
        var runs = 0;
        var loop = BackgroundLoop.RunUntilDoneAsync(status, _ => ++runs < 3 ? throw new IOException("not yet") : Task.CompletedTask, (_, _) => { }, CancellationToken.None, Backoff, time);
        await WaitUntilAsync(() => runs == 1 && status.ConsecutiveFailures == 1);
        time.Advance(TimeSpan.FromSeconds(1.5));
        await WaitUntilAsync(() => runs == 2 && status.ConsecutiveFailures == 2);
        time.Advance(TimeSpan.FromSeconds(3));
        await loop;
        Assert.Equal(3, runs);
        Assert.Equal(0, status.ConsecutiveFailures);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }
}
