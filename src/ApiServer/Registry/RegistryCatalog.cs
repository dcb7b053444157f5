using System.Collections.Frozen;
using Admission;
using ApiServer.Options;
using ApiServer.Registry.Strategies;
using Storage;
using Storage.Cacher;

namespace ApiServer.Registry;

/// <summary>
/// One <see cref="GenericStore"/> per served resource, built once from the resource table. With the
/// watch cache on (--watch-cache, the default), each resource's storage is its watch cache in front
/// of etcd, as kube-apiserver decorates its etcd3 store with a cacher per resource. Where the watch
/// cache is off, the resources admission reads (<see cref="AdmissionReads"/>) still get a cache, one
/// that answers admission alone, as kube's admission plugins read informers.
/// </summary>
internal sealed class RegistryCatalog
{
    private readonly FrozenDictionary<(string Group, string Version, string Plural), GenericStore> _stores;

    public RegistryCatalog(
        ResourceTable table,
        IStorage storage,
        StorageKeys keys,
        AdmissionChain admission,
        TimeProvider time,
        ApiServerOptions? options = null,
        CacheReflector? reflector = null)
    {
        Table = table;
        var watchCache = options?.WatchCache ?? new WatchCacheOptions { Enabled = false };
        // Versions of one resource share their keys, so they share one cache.
        var caches = new Dictionary<string, (Cacher Cache, OwnWriteViews Views)>(StringComparer.Ordinal);
        _stores = table.All.ToFrozenDictionary(
            r => (r.Group, r.Version, r.Plural),
            r =>
            {
                var strategy = StrategyFactory.For(r);
                var resourceStorage = storage;
                OwnWriteViews? views = null;
                if (reflector is not null && !ResourceTable.IsVirtual(r))
                {
                    var prefix = keys.ListPrefix(r, null);
                    if (caches.TryGetValue(prefix, out var cached))
                    {
                        (resourceStorage, views) = cached;
                    }
                    else
                    {
                        var ownWrites = new OwnWriteViews(strategy);
                        var cacherOptions = watchCache.Enabled ? CacherOptionsFor(r, ownWrites.Decorate, watchCache, time) : null;
                        if (cacherOptions is null && AdmissionReads.Resources.Contains((r.Group, r.Plural)))
                        {
                            cacherOptions = AdmissionOnly(ownWrites.Decorate, time);
                        }

                        if (cacherOptions is not null)
                        {
                            var cache = reflector.Register(prefix, cacherOptions);
                            caches.Add(prefix, (cache, ownWrites));
                            (resourceStorage, views) = (cache, ownWrites);
                        }
                    }
                }

                return new GenericStore(r, strategy, resourceStorage, keys, admission, time, views)
                {
                    GarbageCollection = options?.Etcd.EnableGarbageCollector ?? true,
                };
            });
        Caches = caches.Values.Select(c => c.Cache).ToArray();
    }

    public ResourceTable Table { get; }

    /// <summary>The resources' watch caches; with --watch-cache=false, only the admission-only ones.</summary>
    public IReadOnlyList<Cacher> Caches { get; }

    public IEnumerable<GenericStore> Stores => _stores.Values;

    public GenericStore? Find(string group, string version, string plural) =>
        _stores.TryGetValue((group, version, plural), out var store) ? store : null;

    public GenericStore Namespaces => Find("", "v1", "namespaces") ?? throw new InvalidOperationException("namespaces are not served");

    /// <summary>
    /// A cache that answers admission's reads alone (clients read etcd), for what admission reads
    /// when the watch cache is off for it; it keeps no history for watchers.
    /// </summary>
    private static CacherOptions AdmissionOnly(Func<StoredObject, ICachedView?> decorate, TimeProvider time) =>
        new() { Decorate = decorate, OwnWritesReadsOnly = true, MinimumEvents = 1, MaximumEvents = 1, EventRetention = TimeSpan.Zero, Time = time };

    /// <summary>null when --watch-cache-sizes turns the resource's cache off (size 0).</summary>
    private static CacherOptions? CacherOptionsFor(ResourceDefinition resource, Func<StoredObject, ICachedView?> decorate, WatchCacheOptions watchCache, TimeProvider time)
    {
        if (watchCache.Sizes.TryGetValue(resource.QualifiedResource, out var size))
        {
            // An explicit size is a fixed window of that many events.
            return size == 0
                ? null
                : new CacherOptions { Decorate = decorate, MinimumEvents = size, MaximumEvents = size, EventRetention = TimeSpan.Zero, Time = time, BookmarkInterval = watchCache.BookmarkInterval };
        }

        return new CacherOptions { Decorate = decorate, MinimumEvents = Math.Max(watchCache.DefaultSize, 1), Time = time, BookmarkInterval = watchCache.BookmarkInterval };
    }
}
