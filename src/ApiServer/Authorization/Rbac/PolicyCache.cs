using System.Collections.Immutable;
using System.Text.Json.Nodes;
using ApiMachinery.Meta;
using ApiServer.Controllers;
using ApiServer.Health;
using ApiServer.Registry;
using Microsoft.Extensions.Hosting;

namespace ApiServer.Authorization.Rbac;

/// <summary>
/// The RBAC objects authorization reads on every request. An interface so that the informer-like
/// cache below can give way to the watch cache without touching the authorizer.
/// </summary>
internal interface IRbacPolicySource
{
    /// <summary>True once every kind has been listed completely at least once.</summary>
    bool HasSynced { get; }

    RoleObject? GetRole(string ns, string name);

    RoleObject? GetClusterRole(string name);

    IEnumerable<RoleObject> ClusterRoles { get; }

    IEnumerable<BindingObject> ClusterRoleBindings { get; }

    IEnumerable<BindingObject> RoleBindings(string ns);

    /// <summary>Raised after ClusterRoles change (the aggregation controller listens).</summary>
    event Action? ClusterRolesChanged;
}

/// <summary>
/// A client-go style informer over the registry's watch (the server's shared <see cref="WatchLoop"/>):
/// lists (as the initial events of a watch with sendInitialEvents), then applies changes to an
/// immutable snapshot that readers take without locks. A watch that ends or fails is restarted and
/// the snapshot replaced when its new initial list is complete.
/// </summary>
internal sealed class ObjectInformer<T>(string resource, Func<GenericStore> store, Func<JsonObject, T> transform, BackgroundLoops loops, string user = "rbac")
    where T : class
{
    private volatile ImmutableDictionary<string, ImmutableDictionary<string, T>> _byNamespace = ImmutableDictionary<string, ImmutableDictionary<string, T>>.Empty;
    private volatile bool _synced;

    public bool HasSynced => _synced;

    public event Action? Changed;

    public T? Get(string ns, string name) =>
        _byNamespace.TryGetValue(ns, out var items) && items.TryGetValue(name, out var item) ? item : null;

    public IEnumerable<T> List(string ns) =>
        _byNamespace.TryGetValue(ns, out var items) ? items.Values : [];

    public IEnumerable<T> All => _byNamespace.Values.SelectMany(v => v.Values);

    /// <summary>Runs for the life of the server as the loop (and health check) "informer/{user}/{resource}" (user: rbac, node-authorizer).</summary>
    public Task RunAsync(CancellationToken cancellationToken)
    {
        // Each fresh list is gathered aside and replaces the snapshot only once complete.
        Dictionary<(string, string), T>? initial = null;
        return WatchLoop.RunAsync(loops, $"informer/{user}/{resource}", store, restart: () => initial = [], change =>
        {
            var obj = change.Object;
            var key = (ObjectMeta.Namespace(obj), ObjectMeta.Name(obj));
            var deleted = change.Kind == WatchEventKind.Deleted;
            if (initial is null)
            {
                Set(key, deleted ? null : transform(obj));
            }
            else if (deleted)
            {
                initial.Remove(key);
            }
            else
            {
                initial[key] = transform(obj);
            }

            return Task.CompletedTask;
        }, synced: () =>
        {
            _byNamespace = initial!
                .GroupBy(p => p.Key.Item1)
                .ToImmutableDictionary(g => g.Key, g => g.ToImmutableDictionary(p => p.Key.Item2, p => p.Value));
            initial = null;
            _synced = true;
            Changed?.Invoke();
        }, cancellationToken);
    }

    private void Set((string Namespace, string Name) key, T? value)
    {
        var current = _byNamespace;
        var items = current.TryGetValue(key.Namespace, out var existing) ? existing : ImmutableDictionary<string, T>.Empty;
        items = value is null ? items.Remove(key.Name) : items.SetItem(key.Name, value);
        _byNamespace = items.IsEmpty ? current.Remove(key.Namespace) : current.SetItem(key.Namespace, items);
        Changed?.Invoke();
    }
}

/// <summary>The four RBAC informers, run for the life of the server.</summary>
internal sealed class RbacPolicyCache : BackgroundService, IRbacPolicySource
{
    private readonly ObjectInformer<RoleObject> _roles;
    private readonly ObjectInformer<RoleObject> _clusterRoles;
    private readonly ObjectInformer<BindingObject> _roleBindings;
    private readonly ObjectInformer<BindingObject> _clusterRoleBindings;

    public RbacPolicyCache(Lazy<RegistryCatalog> registry, BackgroundLoops loops)
    {
        GenericStore Store(string plural) => registry.Value.Find("rbac.authorization.k8s.io", "v1", plural)
            ?? throw new InvalidOperationException($"{plural}.rbac.authorization.k8s.io are not served");
        _roles = new("roles", () => Store("roles"), RoleObject.Parse, loops);
        _clusterRoles = new("clusterroles", () => Store("clusterroles"), RoleObject.Parse, loops);
        _roleBindings = new("rolebindings", () => Store("rolebindings"), BindingObject.Parse, loops);
        _clusterRoleBindings = new("clusterrolebindings", () => Store("clusterrolebindings"), BindingObject.Parse, loops);
        _clusterRoles.Changed += () => ClusterRolesChanged?.Invoke();
    }

    public event Action? ClusterRolesChanged;

    public bool HasSynced => _roles.HasSynced && _clusterRoles.HasSynced && _roleBindings.HasSynced && _clusterRoleBindings.HasSynced;

    public IEnumerable<RoleObject> ClusterRoles => _clusterRoles.All;

    public IEnumerable<BindingObject> ClusterRoleBindings => _clusterRoleBindings.All;

    public RoleObject? GetRole(string ns, string name) => _roles.Get(ns, name);

    public RoleObject? GetClusterRole(string name) => _clusterRoles.Get("", name);

    public IEnumerable<BindingObject> RoleBindings(string ns) => _roleBindings.List(ns);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(
        _roles.RunAsync(stoppingToken),
        _clusterRoles.RunAsync(stoppingToken),
        _roleBindings.RunAsync(stoppingToken),
        _clusterRoleBindings.RunAsync(stoppingToken));
}
