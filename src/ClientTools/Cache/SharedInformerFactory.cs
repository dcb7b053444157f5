using k8s;
using k8s.Models;

namespace ClientTools.Cache;

/// <summary>
/// One informer per resource (and selector) per process, shared by every controller or plugin that
/// asks for it, as client-go's SharedInformerFactory: ask for informers, then <see cref="Start"/>
/// them all and <see cref="WaitForCacheSyncAsync"/> before acting on their caches.
/// </summary>
public sealed class SharedInformerFactory(IKubernetes client, InformerOptions? options = null)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, object> _informers = new(StringComparer.Ordinal);
    private readonly List<Func<CancellationToken, Task>> _runners = [];
    private readonly List<Func<CancellationToken, Task>> _syncs = [];
    private readonly List<Task> _running = [];
    private int _startedCount;

    public IKubernetes Client { get; } = client;

    public InformerOptions Options { get; } = options ?? new InformerOptions();

    /// <summary>Pods, in all namespaces unless <paramref name="ns"/> is given; indexed by namespace and spec.nodeName.</summary>
    public SharedIndexInformer<V1Pod> Pods(string? ns = null, string? fieldSelector = null, string? labelSelector = null) =>
        For($"pods|{ns}|{fieldSelector}|{labelSelector}", "*v1.Pod", () => ListWatches.Pods(Client, ns, fieldSelector, labelSelector),
            informer => informer.AddIndexer(Indexers.PodNodeName, Indexers.ByNodeName));

    public SharedIndexInformer<V1Node> Nodes(string? fieldSelector = null) =>
        For($"nodes|{fieldSelector}", "*v1.Node", () => ListWatches.Nodes(Client, fieldSelector));

    public SharedIndexInformer<V1Namespace> Namespaces() =>
        For("namespaces", "*v1.Namespace", () => ListWatches.Namespaces(Client));

    public SharedIndexInformer<V1Lease> Leases(string? ns = null) =>
        For($"leases|{ns}", "*v1.Lease", () => ListWatches.Leases(Client, ns));

    public SharedIndexInformer<V1PodDisruptionBudget> PodDisruptionBudgets() =>
        For("poddisruptionbudgets", "*v1.PodDisruptionBudget", () => ListWatches.PodDisruptionBudgets(Client));

    /// <summary>The informer registered under <paramref name="key"/>, made on first use.</summary>
    public SharedIndexInformer<T> For<T>(string key, string description, Func<IListerWatcher<T>> listerWatcher, Action<SharedIndexInformer<T>>? configure = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_lock)
        {
            if (_informers.TryGetValue(key, out var existing))
            {
                return (SharedIndexInformer<T>)existing;
            }

            var informer = new SharedIndexInformer<T>(listerWatcher(), description, Options);
            configure?.Invoke(informer);
            _informers[key] = informer;
            _runners.Add(informer.RunAsync);
            _syncs.Add(informer.WaitForSyncAsync);
            return informer;
        }
    }

    /// <summary>Starts every informer asked for so far that is not running yet.</summary>
    public void Start(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            for (; _startedCount < _runners.Count; _startedCount++)
            {
                var run = _runners[_startedCount];
                _running.Add(Task.Run(() => run(cancellationToken), CancellationToken.None));
            }
        }
    }

    /// <summary>Waits until every started informer has listed once.</summary>
    public Task WaitForCacheSyncAsync(CancellationToken cancellationToken)
    {
        List<Func<CancellationToken, Task>> syncs;
        lock (_lock)
        {
            syncs = [.. _syncs.Take(_startedCount)];
        }

        return Task.WhenAll(syncs.Select(s => s(cancellationToken)));
    }

    /// <summary>Completes when every started informer's loop has ended (after cancellation).</summary>
    public Task StoppedAsync()
    {
        lock (_lock)
        {
            return Task.WhenAll(_running);
        }
    }
}
