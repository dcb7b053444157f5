using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.Meta;
using ApiMachinery.Selectors;
using ApiServer.Health;
using ApiServer.Registry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ApiServer.Authorization.Rbac;

/// <summary>
/// kube-apiserver's rbac/bootstrap-roles post-start hook: creates the bootstrap roles and bindings
/// that are missing, and adds back rules and subjects that were removed from those still marked
/// <c>rbac.authorization.kubernetes.io/autoupdate: "true"</c> (reconciliation never removes what
/// an administrator added). /readyz waits for it and for the authorizer's cache to hold the result.
/// As in kube-apiserver, it runs whatever --authorization-mode says: the policy is data in the API
/// (cluster-admin exists under AlwaysAllow too), ready for when RBAC is turned on.
/// </summary>
internal sealed partial class RbacBootstrap(Lazy<RegistryCatalog> registry, IRbacPolicySource policy, StartupState startup, BackgroundLoops loops, ILogger<RbacBootstrap> logger) : BackgroundService
{
    private const string Group = "rbac.authorization.k8s.io";

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        loops.RunUntilDoneAsync("poststarthook/rbac/bootstrap-roles", async ct =>
        {
            // Roles in kube-system need the namespace to exist.
            while (!startup.NamespacesBootstrapped)
            {
                await Task.Delay(50, ct).ConfigureAwait(false);
            }

            foreach (var role in BootstrapPolicy.ClusterRoles)
            {
                await EnsureRoleAsync("clusterroles", role, ct).ConfigureAwait(false);
            }

            foreach (var binding in BootstrapPolicy.ClusterRoleBindings)
            {
                await EnsureBindingAsync("clusterrolebindings", binding, ct).ConfigureAwait(false);
            }

            foreach (var role in BootstrapPolicy.Roles)
            {
                await EnsureRoleAsync("roles", role, ct).ConfigureAwait(false);
            }

            foreach (var binding in BootstrapPolicy.RoleBindings)
            {
                await EnsureBindingAsync("rolebindings", binding, ct).ConfigureAwait(false);
            }

            // Ready once the authorizer's cache holds what was just written.
            while (!policy.HasSynced || !policy.ClusterRoleBindings.Any(b => b.Name == "system:public-info-viewer"))
            {
                await Task.Delay(20, ct).ConfigureAwait(false);
            }

            startup.RbacBootstrapped = true;
            LogDone(logger);
        }, stoppingToken);

    private GenericStore Store(string plural) =>
        registry.Value.Find(Group, "v1", plural) ?? throw new InvalidOperationException($"{plural}.{Group} are not served");

    private async Task EnsureRoleAsync(string plural, BootstrapPolicy.RoleSpec role, CancellationToken cancellationToken)
    {
        var store = Store(plural);
        var existing = await TryGetAsync(store, role.Namespace, role.Name, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            await CreateAsync(store, role.Namespace, BootstrapPolicy.ToObject(role), cancellationToken).ConfigureAwait(false);
            return;
        }

        // Aggregated roles get their rules from the aggregation controller, not from here.
        if (!AutoUpdates(existing) || role.AggregatesLabel is not null)
        {
            return;
        }

        var have = PolicyRule.ParseList(existing["rules"]);
        var missing = role.Rules.Where(wanted => !RuleCoverage.Covers(have, [wanted])).ToArray();
        if (missing.Length == 0)
        {
            return;
        }

        await store.ApplyUpdateAsync(RequestScope.Loopback, role.Namespace, role.Name, "", current =>
        {
            var rules = current["rules"] as JsonArray ?? [];
            foreach (var rule in missing)
            {
                rules.Add(rule.ToJson());
            }

            current["rules"] = rules.DeepClone();
            return current;
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task EnsureBindingAsync(string plural, BootstrapPolicy.BindingSpec binding, CancellationToken cancellationToken)
    {
        var store = Store(plural);
        var existing = await TryGetAsync(store, binding.Namespace, binding.Name, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            await CreateAsync(store, binding.Namespace, BootstrapPolicy.ToObject(binding), cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!AutoUpdates(existing))
        {
            return;
        }

        var have = BindingObject.Parse(existing).Subjects;
        var missing = binding.Subjects.Where(s => !have.Any(h => h.Kind == s.Kind && h.Name == s.Name && h.Namespace == s.Namespace)).ToArray();
        if (missing.Length == 0)
        {
            return;
        }

        var wanted = BootstrapPolicy.ToObject(binding)["subjects"]!.AsArray();
        await store.ApplyUpdateAsync(RequestScope.Loopback, binding.Namespace, binding.Name, "", current =>
        {
            var subjects = current["subjects"] as JsonArray ?? [];
            foreach (var subject in wanted.OfType<JsonObject>())
            {
                if (missing.Any(m => m.Name == subject["name"]?.GetValue<string>() && m.Kind == subject["kind"]?.GetValue<string>()))
                {
                    subjects.Add(subject.DeepClone());
                }
            }

            current["subjects"] = subjects.DeepClone();
            return current;
        }, cancellationToken).ConfigureAwait(false);
    }

    private static bool AutoUpdates(JsonObject obj) =>
        ObjectMeta.Annotations(obj).TryGetValue(BootstrapPolicy.AutoUpdateAnnotation, out var value) ? value != "false" : true;

    private static async Task<JsonObject?> TryGetAsync(GenericStore store, string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await store.GetAsync(ns, name, cancellationToken).ConfigureAwait(false);
        }
        catch (StatusException e) when (e.Code == 404)
        {
            return null;
        }
    }

    private static async Task CreateAsync(GenericStore store, string ns, JsonObject obj, CancellationToken cancellationToken)
    {
        try
        {
            await store.CreateAsync(RequestScope.Loopback, ns, obj, cancellationToken).ConfigureAwait(false);
        }
        catch (StatusException e) when (e.Code == 409)
        {
            // Another server sharing this etcd created it first.
        }
    }

    [LoggerMessage(EventId = LogEvents.RbacBootstrapDone, Level = LogLevel.Information, Message = "Bootstrap RBAC roles and bindings are in place")]
    private static partial void LogDone(ILogger logger);
}

/// <summary>
/// The clusterrole-aggregation controller: a ClusterRole with an aggregationRule gets, as its rules,
/// the rules of every other ClusterRole matching one of its selectors (in name order, duplicates
/// dropped). Runs whenever ClusterRoles change; chains (view into edit into admin) settle because
/// each write is itself a change.
/// </summary>
internal sealed class ClusterRoleAggregation(IRbacPolicySource policy, Lazy<RegistryCatalog> registry, BackgroundLoops loops) : BackgroundService
{
    private const string Loop = "controller/clusterrole-aggregation";

    private readonly SemaphoreSlim _changed = new(0, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        policy.ClusterRolesChanged += Signal;
        Signal();
        while (!stoppingToken.IsCancellationRequested)
        {
            await _changed.WaitAsync(stoppingToken).ConfigureAwait(false);
            if (!policy.HasSynced)
            {
                continue;
            }

            try
            {
                await AggregateAllAsync(stoppingToken).ConfigureAwait(false);
                loops.Status(Loop).Succeeded();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Logged whole; the pass runs again after the backoff.
                if (!await loops.FailedAsync(Loop, e, stoppingToken).ConfigureAwait(false))
                {
                    return;
                }

                Signal();
            }
        }
    }

    private void Signal()
    {
        try
        {
            _changed.Release();
        }
        catch (SemaphoreFullException)
        {
            // A pass is already pending; it will see this change too.
        }
    }

    private async Task AggregateAllAsync(CancellationToken cancellationToken)
    {
        var roles = policy.ClusterRoles.OrderBy(r => r.Name, StringComparer.Ordinal).ToArray();
        foreach (var role in roles.Where(r => r.AggregationSelectors is not null))
        {
            var selectors = role.AggregationSelectors!.OfType<JsonObject>().Select(LabelSelector.FromLabelSelectorJson).ToArray();
            var rules = new List<PolicyRule>();
            foreach (var source in roles)
            {
                if (source.Name == role.Name || !selectors.Any(s => s.Matches(source.Labels)))
                {
                    continue;
                }

                foreach (var rule in source.Rules)
                {
                    if (!rules.Any(r => Same(r, rule)))
                    {
                        rules.Add(rule);
                    }
                }
            }

            if (rules.Count == role.Rules.Count && rules.Zip(role.Rules).All(p => Same(p.First, p.Second)))
            {
                continue;
            }

            var store = registry.Value.Find("rbac.authorization.k8s.io", "v1", "clusterroles")!;
            await store.ApplyUpdateAsync(RequestScope.Loopback, "", role.Name, "", current =>
            {
                current["rules"] = new JsonArray(rules.Select(r => (JsonNode)r.ToJson()).ToArray());
                return current;
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool Same(PolicyRule a, PolicyRule b) =>
        a.Verbs.SequenceEqual(b.Verbs) && a.ApiGroups.SequenceEqual(b.ApiGroups) && a.Resources.SequenceEqual(b.Resources)
        && a.ResourceNames.SequenceEqual(b.ResourceNames) && a.NonResourceUrls.SequenceEqual(b.NonResourceUrls);
}
