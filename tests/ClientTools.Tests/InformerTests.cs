using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ClientTools.Cache;
using k8s;
using k8s.Models;

namespace ClientTools.Tests;

/// <summary>The informer's list+watch loop against a scripted lister/watcher.</summary>
public sealed class InformerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static readonly InformerOptions Fast = new() { InitialBackoff = TimeSpan.FromMilliseconds(1), MaxBackoff = TimeSpan.FromMilliseconds(5), MinWatchTimeout = TimeSpan.FromSeconds(300) };

    [Fact]
    public async Task Lists_from_the_cache_then_watches_from_the_lists_resourceVersion()
    {
        var fake = new FakeListerWatcher { Items = [Cm("a", "10")], ListResourceVersion = "12" };
        var (informer, log, cts) = Start(fake);
        await informer.WaitForSyncAsync(default).WaitAsync(Wait);
        var watch = await fake.NextWatch.WaitAsync(Wait);
        Assert.Equal("0", fake.Lists.Single().ResourceVersion);
        Assert.Equal("12", watch.Options.ResourceVersion);
        Assert.True(watch.Options.AllowWatchBookmarks);
        Assert.InRange(watch.Options.TimeoutSeconds!.Value, 300, 600);

        await watch.Send(WatchEventType.Added, Cm("b", "13"));
        await watch.Send(WatchEventType.Modified, Cm("a", "14"));
        await watch.Send(WatchEventType.Deleted, Cm("b", "15"));
        await watch.Send(WatchEventType.Bookmark, Cm("", "20"));
        await WaitUntil(() => informer.LastSyncResourceVersion == "20");
        Assert.Equal(["add a initial", "add b", "update a 10->14", "delete b"], log.Lines);
        Assert.Equal(["default/a"], informer.Store.ListKeys());
        Assert.Equal("14", informer.Store.Get("default", "a")!.Metadata.ResourceVersion);
        await cts.CancelAsync();
    }

    [Fact]
    public async Task A_watch_that_ends_is_resumed_from_the_last_resourceVersion_without_a_relist()
    {
        var fake = new FakeListerWatcher { ListResourceVersion = "5" };
        var (informer, log, cts) = Start(fake);
        var first = await fake.NextWatch.WaitAsync(Wait);
        await first.Send(WatchEventType.Added, Cm("a", "6"));
        first.End();
        var second = await fake.NextWatch.WaitAsync(Wait);
        Assert.Equal("6", second.Options.ResourceVersion);
        second.Fail(new HttpRequestException("connection refused"));
        var third = await fake.NextWatch.WaitAsync(Wait);
        Assert.Equal("6", third.Options.ResourceVersion);
        Assert.Single(fake.Lists);
        Assert.Equal(1, informer.ListCount);
        Assert.Equal(["add a"], log.Lines);
        await cts.CancelAsync();
    }

    [Fact]
    public async Task A_410_makes_a_consistent_paged_relist_that_reports_what_changed_meanwhile()
    {
        var fake = new FakeListerWatcher { Items = [Cm("a", "1"), Cm("b", "2"), Cm("c", "3")], ListResourceVersion = "3" };
        var (informer, log, cts) = Start(fake, Fast with { PageSize = 2 });
        var watch = await fake.NextWatch.WaitAsync(Wait);

        // While disconnected: a was deleted, b changed, d was added, c stayed.
        fake.Items = [Cm("b", "7"), Cm("c", "3"), Cm("d", "8")];
        fake.ListResourceVersion = "9";
        watch.Fail(new ResourceExpiredException(new V1Status { Code = 410, Reason = "Expired", Message = "too old resource version: 3 (8)" }));
        var after = await fake.NextWatch.WaitAsync(Wait);

        Assert.Equal("9", after.Options.ResourceVersion);
        var relist = fake.Lists.Skip(1).ToList();
        Assert.Equal([null, null], relist.Select(l => l.ResourceVersion));
        Assert.Equal([2, 2], relist.Select(l => l.Limit));
        Assert.Equal([null, "page-2"], relist.Select(l => l.Continue));
        Assert.Equal(["add a initial", "add b initial", "add c initial", "update b 2->7", "add d", "delete a"], log.Lines);
        Assert.Equal(["default/b", "default/c", "default/d"], informer.Store.ListKeys().Order());
        await cts.CancelAsync();
    }

    [Fact]
    public async Task A_failed_list_is_retried_and_sync_waits_for_it()
    {
        var fake = new FakeListerWatcher { ListFailures = 2, Items = [Cm("a", "1")], ListResourceVersion = "1" };
        var (informer, _, cts) = Start(fake);
        await informer.WaitForSyncAsync(default).WaitAsync(Wait);
        Assert.Equal(3, fake.Lists.Count);
        await cts.CancelAsync();
    }

    [Fact]
    public async Task A_handler_added_after_sync_first_gets_the_cached_objects()
    {
        var fake = new FakeListerWatcher { Items = [Cm("a", "1")], ListResourceVersion = "1" };
        var (informer, _, cts) = Start(fake);
        await informer.WaitForSyncAsync(default).WaitAsync(Wait);
        var late = new Log();
        informer.AddEventHandler(late.Handler());
        var watch = await fake.NextWatch.WaitAsync(Wait);
        await watch.Send(WatchEventType.Added, Cm("b", "2"));
        await WaitUntil(() => late.Lines.Count == 2);
        Assert.Equal(["add a initial", "add b"], late.Lines);
        await cts.CancelAsync();
    }

    [Fact]
    public async Task Indexes_follow_changes()
    {
        var fake = new FakeListerWatcher { Items = [Cm("a", "1", "x"), Cm("b", "2", "x")], ListResourceVersion = "2" };
        var (informer, _, cts) = Start(fake, configure: i => i.AddIndexer("label", o => o.Metadata.Labels is { } l && l.TryGetValue("k", out var v) ? [v] : []));
        await informer.WaitForSyncAsync(default).WaitAsync(Wait);
        Assert.Equal(2, informer.Store.ByIndex("label", "x").Count);
        var watch = await fake.NextWatch.WaitAsync(Wait);
        await watch.Send(WatchEventType.Modified, Cm("a", "3", "y"));
        await WaitUntil(() => informer.LastSyncResourceVersion == "3");
        Assert.Equal(["b"], informer.Store.ByIndex("label", "x").Select(o => o.Metadata.Name));
        Assert.Equal(["a"], informer.Store.ByIndex("label", "y").Select(o => o.Metadata.Name));
        Assert.Equal(2, informer.Store.ByIndex(Indexers.Namespace, "default").Count);
        await cts.CancelAsync();
    }

    private static (SharedIndexInformer<V1ConfigMap> Informer, Log Log, CancellationTokenSource Cts) Start(
        FakeListerWatcher fake, InformerOptions? options = null, Action<SharedIndexInformer<V1ConfigMap>>? configure = null)
    {
        var informer = new SharedIndexInformer<V1ConfigMap>(fake, "*v1.ConfigMap", options ?? Fast);
        configure?.Invoke(informer);
        var log = new Log();
        informer.AddEventHandler(log.Handler());
        var cts = new CancellationTokenSource();
        _ = informer.RunAsync(cts.Token);
        return (informer, log, cts);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(5);
        }
    }

    private static V1ConfigMap Cm(string name, string rv, string? label = null) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = name.Length > 0 ? "default" : null,
            ResourceVersion = rv,
            Labels = label is null ? null : new Dictionary<string, string> { ["k"] = label },
        },
    };

    private sealed class Log
    {
        public List<string> Lines { get; } = [];

        public ResourceEventHandler<V1ConfigMap> Handler() => new()
        {
            OnAdd = (o, initial) => Add($"add {o.Metadata.Name}{(initial ? " initial" : "")}"),
            OnUpdate = (o, n) => Add($"update {n.Metadata.Name} {o.Metadata.ResourceVersion}->{n.Metadata.ResourceVersion}"),
            OnDelete = o => Add($"delete {o.Metadata.Name}"),
        };

        private void Add(string line)
        {
            lock (Lines)
            {
                Lines.Add(line);
            }
        }
    }

    private sealed class FakeWatch(ListOptions options)
    {
        public ListOptions Options { get; } = options;

        public Channel<object> Events { get; } = Channel.CreateUnbounded<object>();

        public async Task Send(WatchEventType type, V1ConfigMap obj) => await Events.Writer.WriteAsync((type, obj));

        public void End() => Events.Writer.Complete();

        public void Fail(Exception e) => Events.Writer.TryWrite(e);
    }

    private sealed class FakeListerWatcher : IListerWatcher<V1ConfigMap>
    {
        private readonly Channel<FakeWatch> _watches = Channel.CreateUnbounded<FakeWatch>();

        public List<V1ConfigMap> Items { get; set; } = [];

        public string ListResourceVersion { get; set; } = "1";

        public int ListFailures { get; set; }

        public List<ListOptions> Lists { get; } = [];

        public Task<FakeWatch> NextWatch => _watches.Reader.ReadAsync().AsTask();

        public Task<ListPage<V1ConfigMap>> ListAsync(ListOptions options, CancellationToken cancellationToken)
        {
            Lists.Add(options);
            if (ListFailures-- > 0)
            {
                throw new HttpRequestException("connection refused");
            }

            if (options.Limit is { } limit)
            {
                var start = options.Continue is null ? 0 : int.Parse(options.Continue["page-".Length..]) - 1;
                var page = Items.Skip(start * limit).Take(limit).ToList();
                var more = (start + 1) * limit < Items.Count;
                return Task.FromResult(new ListPage<V1ConfigMap>(page, ListResourceVersion, more ? $"page-{start + 2}" : null));
            }

            return Task.FromResult(new ListPage<V1ConfigMap>([.. Items], ListResourceVersion, null));
        }

        public async IAsyncEnumerable<(WatchEventType Type, V1ConfigMap Object)> WatchAsync(ListOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var watch = new FakeWatch(options);
            await _watches.Writer.WriteAsync(watch, cancellationToken);
            await foreach (var item in watch.Events.Reader.ReadAllAsync(cancellationToken))
            {
                if (item is Exception e)
                {
                    throw e;
                }

                yield return ((WatchEventType, V1ConfigMap))item;
            }
        }
    }
}
