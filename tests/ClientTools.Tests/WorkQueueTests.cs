using ClientTools.Client;
using ClientTools.WorkQueue;
using Microsoft.Extensions.Time.Testing;

namespace ClientTools.Tests;

public sealed class WorkQueueTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task An_item_added_many_times_is_handed_out_once()
    {
        using var queue = new RateLimitingQueue<string>("test");
        queue.Add("ns/a");
        queue.Add("ns/b");
        queue.Add("ns/a");
        Assert.Equal(2, queue.Length);
        Assert.Equal("ns/a", (await queue.GetAsync(default)).Item);
        Assert.Equal("ns/b", (await queue.GetAsync(default)).Item);
        Assert.Equal(0, queue.Length);
    }

    [Fact]
    public async Task An_item_added_while_processing_waits_for_Done_and_is_never_handed_to_two_workers()
    {
        using var queue = new RateLimitingQueue<string>("test");
        queue.Add("k");
        var (_, first) = await queue.GetAsync(default);
        queue.Add("k");
        queue.Add("k");
        Assert.Equal(0, queue.Length);
        var second = queue.GetAsync(default).AsTask();
        await Task.Delay(50);
        Assert.False(second.IsCompleted);

        queue.Done(first);
        Assert.Equal("k", (await second.WaitAsync(Wait)).Item);
        queue.Done("k");
        Assert.Equal(0, queue.Length);
    }

    [Fact]
    public async Task ShutDown_drains_then_reports_the_end()
    {
        var queue = new RateLimitingQueue<string>("test");
        queue.Add("a");
        var waiting = new RateLimitingQueue<string>("other");
        var blocked = waiting.GetAsync(default).AsTask();
        queue.ShutDown();
        waiting.ShutDown();
        queue.Add("b");
        Assert.Equal((true, "a"), await queue.GetAsync(default));
        Assert.False((await queue.GetAsync(default)).Ok);
        Assert.False((await blocked.WaitAsync(Wait)).Ok);
    }

    [Fact]
    public async Task AddAfter_waits_for_the_delay_and_keeps_the_earliest_time()
    {
        var time = new FakeTimeProvider();
        using var queue = new RateLimitingQueue<string>("test", time: time);
        queue.AddAfter("k", TimeSpan.FromSeconds(10));
        queue.AddAfter("k", TimeSpan.FromSeconds(3));
        queue.AddAfter("k", TimeSpan.FromSeconds(20));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, queue.Length);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, queue.Length);
        Assert.Equal("k", (await queue.GetAsync(default)).Item);
        queue.Done("k");
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(0, queue.Length);
    }

    [Fact]
    public void Exponential_backoff_doubles_per_failure_up_to_the_cap_and_Forget_resets_it()
    {
        var limiter = new ItemExponentialFailureRateLimiter<string>(TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1));
        Assert.Equal([5, 10, 20, 40], Enumerable.Range(0, 4).Select(_ => limiter.When("a").TotalMilliseconds));
        Assert.Equal(5, limiter.When("b").TotalMilliseconds);
        Assert.Equal(4, limiter.NumRequeues("a"));
        for (var i = 0; i < 20; i++)
        {
            limiter.When("a");
        }

        Assert.Equal(TimeSpan.FromSeconds(1), limiter.When("a"));
        limiter.Forget("a");
        Assert.Equal(0, limiter.NumRequeues("a"));
        Assert.Equal(5, limiter.When("a").TotalMilliseconds);
    }

    [Fact]
    public void The_default_controller_limiter_also_bounds_the_overall_rate()
    {
        var time = new FakeTimeProvider();
        var limiter = RateLimiters.DefaultController<string>(time);
        // The bucket holds 100 tokens; each distinct item's first failure costs 5 ms on its own.
        var delays = Enumerable.Range(0, 101).Select(i => limiter.When($"item-{i}")).ToList();
        Assert.All(delays.Take(100), d => Assert.Equal(TimeSpan.FromMilliseconds(5), d));
        Assert.Equal(TimeSpan.FromMilliseconds(100), delays[100]);
    }

    [Fact]
    public void The_token_bucket_refills_at_its_rate()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(10, 2, time);
        Assert.Equal(TimeSpan.Zero, bucket.Reserve());
        Assert.Equal(TimeSpan.Zero, bucket.Reserve());
        Assert.Equal(TimeSpan.FromMilliseconds(100), bucket.Reserve());
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.Zero, bucket.Reserve());
    }

    [Fact]
    public async Task Workers_retry_failures_rate_limited_and_forget_successes()
    {
        using var queue = new RateLimitingQueue<string>("test",
            new ItemExponentialFailureRateLimiter<string>(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(10)));
        var attempts = new Dictionary<string, int>();
        var concurrent = 0;
        var maxConcurrentPerKey = 0;
        var done = new TaskCompletionSource();
        using var cts = new CancellationTokenSource();
        var workers = queue.RunWorkersAsync(4, async (key, _) =>
        {
            var now = Interlocked.Increment(ref concurrent);
            maxConcurrentPerKey = Math.Max(maxConcurrentPerKey, now);
            await Task.Delay(5);
            Interlocked.Decrement(ref concurrent);
            int n;
            lock (attempts)
            {
                n = attempts[key] = attempts.GetValueOrDefault(key) + 1;
            }

            if (n < 3)
            {
                throw new InvalidOperationException("not yet");
            }

            done.TrySetResult();
        }, cts.Token);
        queue.Add("only");
        await done.Task.WaitAsync(Wait);
        await cts.CancelAsync();
        await workers.WaitAsync(Wait);
        Assert.Equal(3, attempts["only"]);
        Assert.Equal(1, maxConcurrentPerKey);
        Assert.Equal(0, queue.NumRequeues("only"));
    }
}
