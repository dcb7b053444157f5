using System.Collections.Frozen;
using Admission;
using ApiServer.CustomResources;
using ApiServer.Options;
using ApiServer.Registry.Strategies;
using Storage;
using Storage.Cacher;

namespace ApiServer.Registry;

/// <summary>
/// One <see cref="GenericStore"/> per served resource. With the watch cache on (--watch-cache, the
/// default), each resource's storage is its watch cache in front of etcd, as kube-apiserver
/// decorates its etcd3 store with a cacher per resource. Where the watch cache is off, the resources
/// admission reads (<see cref="AdmissionReads"/>) still get a cache, one that answers admission
/// alone, as kube's admission plugins read informers.
/// The built-in resources are fixed at start; custom resources come and go with their CRDs
/// (<see cref="SetCustomResources"/>). What is served is one immutable snapshot (the table and its
/// stores) swapped atomically, so a request, discovery and OpenAPI each see one consistent state.
/// </summary>
internal sealed class RegistryCatalog
{
    private readonly ResourceTable _builtinTable;
    private readonly FrozenDictionary<(string Group, string Version, string Plural), GenericStore> _builtinStores;
    private readonly IStorage _storage;
    private readonly StorageKeys _keys;
    private readonly AdmissionChain _admission;
    private readonly TimeProvider _time;
    private readonly WatchCacheOptions _watchCache;
    private readonly CacheReflector? _reflector;
    private readonly Admission.Webhooks.WebhookClient? _webhooks;
    private readonly Lock _updateLock = new();

    // The custom resources' caches, one per storage prefix (all versions of a CRD share it), with
    // what their views were made from: a CRD change that alters that replaces the cache.
    private Dictionary<string, CustomCache> _customCaches = new(StringComparer.Ordinal);
    private volatile Snapshot _current;

    public RegistryCatalog(
        ResourceTable table,
        IStorage storage,
        StorageKeys keys,
        AdmissionChain admission,
        TimeProvider time,
        ApiServerOptions? options = null,
        CacheReflector? reflector = null,
        Admission.Webhooks.WebhookClient? webhooks = null)
    {
        _builtinTable = table;
        _webhooks = webhooks;
        _storage = storage;
        _keys = keys;
        _admission = admission;
        _time = time;
        _reflector = reflector;
        _watchCache = options?.WatchCache ?? new WatchCacheOptions { Enabled = false };
        // Versions of one resource share their keys, so they share one cache.
        var caches = new Dictionary<string, (Cacher Cache, OwnWriteViews Views)>(StringComparer.Ordinal);
        _builtinStores = table.All.ToFrozenDictionary(
            r => (r.Group, r.Version, r.Plural),
            r =>
            {
                var strategy = StrategyFactory.For(r, time);
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
                        // The cache holds what etcd holds: its views are the storage version's.
                        var stored = Conversion.BuiltinConversions.StorageVersionOf(r) is { } sv
                            ? table.Find(sv.Group, sv.Version, r.Plural) ?? r
                            : r;
                        var ownWrites = new OwnWriteViews(stored == r ? strategy : StrategyFactory.For(stored, time));
                        var cacherOptions = _watchCache.Enabled ? CacherOptionsFor(stored, ownWrites.Decorate, _watchCache, time) : null;
                        if (cacherOptions is null && AdmissionReads.Resources.Contains((r.Group, r.Plural)))
                        {
                            cacherOptions = AdmissionOnly(ownWrites.Decorate, time);
                        }

                        if (cacherOptions is not null)
                        {
                            var cache = reflector.Register(prefix, cacherOptions with { GroupResource = (r.Group, r.Plural) });
                            caches.Add(prefix, (cache, ownWrites));
                            (resourceStorage, views) = (cache, ownWrites);
                        }
                    }
                }

                if (Conversion.BuiltinConversions.StorageVersionOf(r) is { } storageVersion)
                {
                    // A version stored as another one: the registry above sees its own version only.
                    resourceStorage = new Conversion.ConvertingStorage(resourceStorage, r, storageVersion);
                    views = null;
                }

                return new GenericStore(r, strategy, resourceStorage, keys, admission, time, views)
                {
                    GarbageCollection = options?.Etcd.EnableGarbageCollector ?? true,
                };
            });
        Caches = caches.Values.Select(c => c.Cache).ToArray();
        ClusterIPs = new Services.ClusterIPAllocator(
            options?.ServiceIPRanges ?? [Services.ServiceIPRange.TryParse(Services.ClusterIPAllocator.DefaultRange)!],
            () => Find("networking.k8s.io", "v1", "ipaddresses"),
            () => Find("networking.k8s.io", "v1", "servicecidrs"));
        if (_builtinStores.TryGetValue(("", "v1", "services"), out var services))
        {
            services.WriteHooks = new Services.ServiceAllocations(ClusterIPs);
        }
        _current = new Snapshot(table, _builtinStores);
    }

    /// <summary>Service cluster-IP allocation (the Service store's write hooks use it; so does the `kubernetes` Service's controller).</summary>
    public Services.ClusterIPAllocator ClusterIPs { get; }

    /// <summary>What is served now.</summary>
    public ResourceTable Table => _current.Table;

    /// <summary>The built-in resources' watch caches; with --watch-cache=false, only the admission-only ones.</summary>
    public IReadOnlyList<Cacher> Caches { get; }

    public IEnumerable<GenericStore> Stores => _current.Stores.Values;

    /// <summary>Raised after the served resources changed (a CRD came, went or changed).</summary>
    public event Action? Changed;

    public GenericStore? Find(string group, string version, string plural) =>
        _current.Stores.TryGetValue((group, version, plural), out var store) ? store : null;

    public GenericStore Namespaces => Find("", "v1", "namespaces") ?? throw new InvalidOperationException("namespaces are not served");

    /// <summary>
    /// Serves exactly these custom resources from now on (every served version of every CRD whose
    /// names are accepted). Stores of unchanged resources are kept; a resource that names a
    /// built-in one is ignored.
    /// </summary>
    public void SetCustomResources(IReadOnlyList<ResourceDefinition> customResources)
    {
        lock (_updateLock)
        {
            var stores = new Dictionary<(string, string, string), GenericStore>(_builtinStores);
            var served = new List<ResourceDefinition>();
            var caches = new Dictionary<string, CustomCache>(StringComparer.Ordinal);
            foreach (var group in customResources.Where(r => !_builtinStores.ContainsKey((r.Group, r.Version, r.Plural))).GroupBy(r => r.StorageSegment))
            {
                var definitions = group.ToArray();
                // The cache holds objects as stored: its views are defaulted by the storage version's schema when it is served.
                var cacheDefinition = definitions.FirstOrDefault(r => r.Version == r.Custom!.StorageVersion) ?? definitions[0];
                var custom = cacheDefinition.Custom!;
                var prefix = _keys.ListPrefix(cacheDefinition, null);
                var cacheStrategy = new CustomResourceStrategy(cacheDefinition, custom);
                var (storage, views) = CacheFor(prefix, custom, cacheStrategy, caches);
                var converter = new CustomResourceConverter(custom.Crd, _webhooks);
                foreach (var r in definitions)
                {
                    var strategy = new CustomResourceStrategy(r, r.Custom!);
                    // Versions other than the storage one, or defaults to apply to what etcd holds, need the converting storage.
                    var versionStorage = custom.Crd.Versions.Count > 1 || r.Custom!.Schema is { HasDefaults: true } || r.Version != custom.StorageVersion
                        ? new CustomResourceStorage(storage, r, converter)
                        : storage;
                    stores[(r.Group, r.Version, r.Plural)] = new GenericStore(r, strategy, versionStorage, _keys, _admission, _time, views);
                    served.Add(r);
                }
            }

            foreach (var (prefix, stale) in _customCaches)
            {
                if (!caches.TryGetValue(prefix, out var kept) || kept.Cache != stale.Cache)
                {
                    _reflector!.Unregister(stale.Cache);
                }
            }

            _customCaches = caches;
            _current = new Snapshot(new ResourceTable(_builtinTable.All.Concat(OrderCustom(served))), stores.ToFrozenDictionary());
        }

        Changed?.Invoke();
    }

    /// <summary>
    /// The watch cache of a custom resource: kept while what its views depend on (the CRD's uid,
    /// selectable fields and read defaults) is unchanged, else a new one (whose watchers start over,
    /// as kube-apiserver replaces a CRD's storage when the CRD changes).
    /// </summary>
    private (IStorage Storage, OwnWriteViews? Views) CacheFor(string prefix, CustomResourceVersion custom, CustomResourceStrategy strategy, Dictionary<string, CustomCache> caches)
    {
        if (_reflector is null || !_watchCache.Enabled)
        {
            return (_storage, null);
        }

        var identity = CacheIdentity(custom);
        if (_customCaches.TryGetValue(prefix, out var existing) && existing.Identity == identity)
        {
            caches[prefix] = existing;
            return (existing.Cache, existing.Views);
        }

        if (existing is not null)
        {
            // One cache per prefix: the old one goes first (its watchers end and come back to the new one).
            _reflector.Unregister(existing.Cache);
            _customCaches.Remove(prefix);
        }

        var views = new OwnWriteViews(strategy);
        var cache = _reflector.Register(prefix, new CacherOptions
        {
            Decorate = views.Decorate, MinimumEvents = Math.Max(_watchCache.DefaultSize, 1), Time = _time, GroupResource = (custom.Crd.Group, custom.Crd.Name.Split('.')[0]),
        });

        var entry = new CustomCache(cache, views, identity);
        caches[prefix] = entry;
        return (cache, views);
    }

    private static string CacheIdentity(CustomResourceVersion custom) =>
        custom.Crd.Uid + "|" + string.Join(",", custom.Crd.Versions.SelectMany(v => v.SelectableFields))
        + "|" + string.Join(",", custom.Crd.Versions.Select(v => v.Name + (v.Schema is { } s && CustomResourceDefinitionValidation.HasDefaults(s) ? ":" + s.ToJsonString() : "")));

    /// <summary>Custom groups after the built-in ones, by name (kube's CRD group priority is below every built-in group's).</summary>
    private static IEnumerable<ResourceDefinition> OrderCustom(IEnumerable<ResourceDefinition> resources) =>
        resources
            .OrderBy(r => r.Group, StringComparer.Ordinal)
            .ThenBy(r => r.Version, KubeVersionComparer.Instance)
            .ThenBy(r => r.Custom!.Crd.Name, StringComparer.Ordinal);

    private sealed record Snapshot(ResourceTable Table, FrozenDictionary<(string Group, string Version, string Plural), GenericStore> Stores);

    private sealed record CustomCache(Cacher Cache, OwnWriteViews Views, string Identity);

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
