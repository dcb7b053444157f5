using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiMachinery.Validation;
using ApiServer.Registry.Validation;

namespace ApiServer.Registry.Services;

/// <summary>
/// The Service REST's allocation around the generic store (kube's pkg/registry/core/service/storage):
/// before validation a create gets its IP-family fields and cluster IPs (the ones asked for, or
/// picked ones), an update allocates or frees what a type or family change calls for, and a
/// deleted Service's addresses are given back. Allocation cannot join etcd's write of the Service,
/// so it is a transaction of its own: what was taken for a write that then failed is released,
/// what an update frees is freed only once the update is stored.
/// </summary>
internal sealed class ServiceAllocations(ClusterIPAllocator allocator) : IStoreWriteHooks
{
    private static readonly FieldPath Spec = FieldPath.New("spec");

    public async Task<IWriteTransaction> BeginCreateAsync(JsonObject service, bool dryRun, CancellationToken cancellationToken)
    {
        var spec = SpecOf(service);
        NormalizeClusterIPs(spec);
        InitIPFamilyFields(service, spec, null);
        var txn = new Transaction(allocator, Owner(service), dryRun);
        if (spec.GetString("type") == "ExternalName" || !HasParseableIPs(spec))
        {
            return txn;
        }

        await AllocateMissingAsync(service, spec, txn, cancellationToken).ConfigureAwait(false);
        return txn;
    }

    public async Task<IWriteTransaction> BeginUpdateAsync(JsonObject service, JsonObject old, bool dryRun, CancellationToken cancellationToken)
    {
        var spec = SpecOf(service);
        var oldSpec = old["spec"] as JsonObject ?? [];
        var type = spec.GetString("type") ?? "";
        var oldType = oldSpec.GetString("type") ?? "";
        var txn = new Transaction(allocator, Owner(service), dryRun);
        if (type == "ExternalName" && oldType != "ExternalName")
        {
            // kube's dropTypeDependentFields: IP fields the client left as they were go with the type
            // change (a client changing only the type cannot be expected to clear them).
            foreach (var field in new[] { "clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy" })
            {
                if (JsonNode.DeepEquals(spec[field], oldSpec[field]))
                {
                    spec.Remove(field);
                }
            }
        }

        NormalizeClusterIPs(spec);
        InitIPFamilyFields(service, spec, oldSpec);
        if (!HasParseableIPs(spec))
        {
            return txn;
        }

        var oldIPs = Strings(oldSpec["clusterIPs"]);
        var oldFamilies = Strings(oldSpec["ipFamilies"]);
        if (oldType == "ExternalName" && type != "ExternalName")
        {
            await AllocateMissingAsync(service, spec, txn, cancellationToken).ConfigureAwait(false);
            return txn;
        }

        if (oldIPs.Count > 0 && oldIPs[0] == "None")
        {
            return txn;
        }

        if (oldType != "ExternalName" && type == "ExternalName")
        {
            txn.ReleaseOnCommit.AddRange(oldIPs.Where(ip => ip.Length > 0));
            return txn;
        }

        var families = Strings(spec["ipFamilies"]);
        if (oldFamilies.Count == 1 && families.Count == 2)
        {
            // Upgraded to dual-stack: the secondary family's address is new.
            await AllocateMissingAsync(service, spec, txn, cancellationToken, held: 1).ConfigureAwait(false);
        }
        else if (oldFamilies.Count == 2 && families.Count == 1 && oldIPs.Count == 2)
        {
            txn.ReleaseOnCommit.Add(oldIPs[1]);
        }

        return txn;
    }

    public async Task AfterDeleteAsync(JsonObject deleted, CancellationToken cancellationToken)
    {
        var spec = deleted["spec"] as JsonObject ?? [];
        if (spec.GetString("type") == "ExternalName")
        {
            return;
        }

        foreach (var ip in Strings(spec["clusterIPs"]).Where(ip => ip.Length > 0 && ip != "None"))
        {
            try
            {
                await allocator.ReleaseAsync(ip, Owner(deleted), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The Service is gone either way; the IPAddress repair loop frees what this missed.
            }
        }
    }

    /// <summary>
    /// Fills every family's missing address: asked-for ones reserved, empty ones picked. Any failure
    /// gives back what this call took and answers kube's 422 on spec.clusterIPs (500 when a range is full).
    /// </summary>
    /// <param name="held">how many leading addresses the Service already holds (an update's kept primary).</param>
    private async Task AllocateMissingAsync(JsonObject service, JsonObject spec, Transaction txn, CancellationToken cancellationToken, int held = 0)
    {
        var families = Strings(spec["ipFamilies"]);
        var ips = Strings(spec["clusterIPs"]);
        if (ips.Count > 0 && ips[0] == "None")
        {
            return;
        }

        var requested = ips.ToList();
        while (ips.Count < families.Count)
        {
            ips.Add("");
        }

        var owner = Owner(service);
        var taken = new List<string>();
        try
        {
            for (var i = 0; i < families.Count; i++)
            {
                if (ips[i].Length == 0)
                {
                    ips[i] = await allocator.AllocateNextAsync(families[i], owner, txn.DryRun, cancellationToken).ConfigureAwait(false);
                    taken.Add(ips[i]);
                }
                else if (i >= held)
                {
                    try
                    {
                        await allocator.AllocateAsync(ips[i], owner, txn.DryRun, cancellationToken).ConfigureAwait(false);
                        taken.Add(ips[i]);
                    }
                    catch (ClusterIPAllocationException e) when (!e.Full)
                    {
                        throw StatusException.NewInvalid("", "Service", ObjectMeta.Name(service),
                            [FieldError.Invalid(Spec.Child("clusterIPs"), new GoValue(Common.GoStringSlice(requested)), $"failed to allocate IP {ips[i]}: {e.Message}")]);
                    }
                }
            }
        }
        catch (ClusterIPAllocationException e)
        {
            await txn.ReleaseAsync(taken).ConfigureAwait(false);
            throw StatusException.NewInternalError($"failed to allocate a serviceIP: {e.Message}");
        }
        catch
        {
            await txn.ReleaseAsync(taken).ConfigureAwait(false);
            throw;
        }

        txn.ReleaseOnRevert.AddRange(taken);
        spec["clusterIPs"] = new JsonArray(ips.Select(ip => (JsonNode?)ip).ToArray());
        if (ips.Count > 0)
        {
            spec["clusterIP"] = ips[0];
        }
    }

    /// <summary>
    /// kube's initIPFamilyFields: ipFamilyPolicy defaults (the old one on update; RequireDualStack for
    /// a headless Service without a selector; SingleStack otherwise), ipFamilies inferred from the
    /// cluster IPs, then the cluster's default family, with the family checks' 422s.
    /// </summary>
    private void InitIPFamilyFields(JsonObject service, JsonObject spec, JsonObject? oldSpec)
    {
        if (spec.GetString("type") == "ExternalName")
        {
            return;
        }

        var ips = Strings(spec["clusterIPs"]);
        var headless = spec.GetString("clusterIP") == "None";
        var selectorless = spec["selector"] is not JsonObject { Count: > 0 };
        if (spec.GetString("ipFamilyPolicy") is null)
        {
            spec["ipFamilyPolicy"] = oldSpec?.GetString("ipFamilyPolicy") is { } oldPolicy ? oldPolicy
                : headless && selectorless ? "RequireDualStack"
                : "SingleStack";
        }

        if (!HasParseableIPs(spec))
        {
            // Validation reports the malformed address.
            return;
        }

        var policy = spec.GetString("ipFamilyPolicy")!;
        var families = Strings(spec["ipFamilies"]);
        var errors = new List<FieldError>();
        if (oldSpec is not null)
        {
            var oldIPs = Strings(oldSpec["clusterIPs"]);
            var oldFamilies = Strings(oldSpec["ipFamilies"]);
            if (policy == "SingleStack")
            {
                // Going single-stack with the same lists is the request to drop the secondary.
                if (ips.SequenceEqual(oldIPs) && ips.Count > 1)
                {
                    ips = ips.Take(1).ToList();
                    spec["clusterIPs"] = new JsonArray(ips.Select(ip => (JsonNode?)ip).ToArray());
                }

                if (families.SequenceEqual(oldFamilies) && families.Count > 1)
                {
                    families = families.Take(1).ToList();
                    spec["ipFamilies"] = new JsonArray(families.Select(f => (JsonNode?)f).ToArray());
                }
            }
            else
            {
                if (ips.Count < oldIPs.Count && ips.Count > 0)
                {
                    errors.Add(FieldError.Invalid(Spec.Child("ipFamilyPolicy"), policy, "must be 'SingleStack' to release the secondary cluster IP"));
                }

                if (families.Count < oldFamilies.Count && families.Count > 0)
                {
                    errors.Add(FieldError.Invalid(Spec.Child("ipFamilyPolicy"), policy, "must be 'SingleStack' to release the secondary IP family"));
                }
            }
        }

        if (policy == "SingleStack")
        {
            if (ips.Count == 2)
            {
                errors.Add(FieldError.Invalid(Spec.Child("ipFamilyPolicy"), policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"));
            }

            if (families.Count == 2)
            {
                errors.Add(FieldError.Invalid(Spec.Child("ipFamilyPolicy"), policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"));
            }
        }

        for (var i = 0; i < ips.Count && ips[i] != "None"; i++)
        {
            if (i < families.Count || ips[i].Length == 0 || ServiceIPRange.ParseAddress(ips[i]) is not { } parsed)
            {
                continue;
            }

            if (!allocator.IsConfigured(parsed.Family))
            {
                errors.Add(FieldError.Invalid(Spec.Child("clusterIPs").Index(i), new GoValue(Common.GoStringSlice(ips)), $"{parsed.Family} is not configured on this cluster"));
            }
            else
            {
                families.Add(parsed.Family);
            }
        }

        ThrowIfAny(service, errors);
        if (headless && selectorless)
        {
            if (families.Count == 0)
            {
                families.Add(allocator.DefaultFamily);
            }

            // A headless Service without a selector may name both families even on a single-stack cluster.
            if (families.Count < 2 && policy != "SingleStack")
            {
                families.Add(families[0] == "IPv4" ? "IPv6" : "IPv4");
            }

            spec["ipFamilies"] = new JsonArray(families.Select(f => (JsonNode?)f).ToArray());
            return;
        }

        if (policy == "RequireDualStack" && !allocator.DualStack)
        {
            errors.Add(FieldError.Invalid(Spec.Child("ipFamilyPolicy"), policy, "this cluster is not configured for dual-stack services"));
        }

        for (var i = 0; i < families.Count; i++)
        {
            if (families[i] is "IPv4" or "IPv6" && !allocator.IsConfigured(families[i]))
            {
                errors.Add(FieldError.Invalid(Spec.Child("ipFamilies").Index(i), families[i], "not configured on this cluster"));
            }
        }

        ThrowIfAny(service, errors);
        if (families.Count == 0)
        {
            families.Add(allocator.DefaultFamily);
        }

        if (policy != "SingleStack" && families.Count == 1 && allocator.DualStack)
        {
            families.Add(families[0] == "IPv4" ? "IPv6" : "IPv4");
        }

        spec["ipFamilies"] = new JsonArray(families.Select(f => (JsonNode?)f).ToArray());
    }

    /// <summary>clusterIP and clusterIPs[0] say the same, whichever of them the client set (kube's normalizeClusterIPs).</summary>
    private static void NormalizeClusterIPs(JsonObject spec)
    {
        var clusterIP = spec.GetString("clusterIP") ?? "";
        var ips = Strings(spec["clusterIPs"]);
        if (ips.Count == 0 && clusterIP.Length > 0)
        {
            spec["clusterIPs"] = new JsonArray(clusterIP);
        }
        else if (clusterIP.Length == 0 && ips.Count > 0 && ips[0].Length > 0)
        {
            spec["clusterIP"] = ips[0];
        }
    }

    /// <summary>Every requested address is empty, None or an IP; otherwise validation answers for it and nothing is allocated.</summary>
    private static bool HasParseableIPs(JsonObject spec) =>
        Strings(spec["clusterIPs"]).All(ip => ip.Length == 0 || ip == "None" || ServiceIPRange.ParseAddress(ip) is not null)
        && (spec.GetString("clusterIP") ?? "") is var single && (single.Length == 0 || single == "None" || ServiceIPRange.ParseAddress(single) is not null);

    private static void ThrowIfAny(JsonObject service, List<FieldError> errors)
    {
        if (errors.Count > 0)
        {
            throw StatusException.NewInvalid("", "Service", ObjectMeta.Name(service), errors);
        }
    }

    private static JsonObject SpecOf(JsonObject service)
    {
        if (service["spec"] is not JsonObject spec)
        {
            spec = [];
            service["spec"] = spec;
        }

        return spec;
    }

    private static ServiceOwner Owner(JsonObject service) => new(ObjectMeta.Namespace(service), ObjectMeta.Name(service));

    private static List<string> Strings(JsonNode? node) =>
        node is JsonArray array ? array.Select(n => n.AsString() ?? "").ToList() : [];

    private sealed class Transaction(ClusterIPAllocator allocator, ServiceOwner owner, bool dryRun) : IWriteTransaction
    {
        public bool DryRun { get; } = dryRun;

        /// <summary>Addresses this write took: given back if it fails.</summary>
        public List<string> ReleaseOnRevert { get; } = [];

        /// <summary>Addresses the stored Service no longer holds: freed once it is stored.</summary>
        public List<string> ReleaseOnCommit { get; } = [];

        public Task CommitAsync() => ReleaseAsync(ReleaseOnCommit);

        public Task RevertAsync() => ReleaseAsync(ReleaseOnRevert);

        public async Task ReleaseAsync(IEnumerable<string> ips)
        {
            if (DryRun)
            {
                return;
            }

            foreach (var ip in ips.ToList())
            {
                try
                {
                    await allocator.ReleaseAsync(ip, owner, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Left for the IPAddress repair loop, which frees addresses no Service holds.
                }
            }
        }
    }
}
