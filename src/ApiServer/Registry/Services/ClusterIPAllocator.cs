using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.Json;
using ApiMachinery.Meta;

namespace ApiServer.Registry.Services;

/// <summary>Why an address could not be had; the message is kube's allocator error text.</summary>
internal sealed class ClusterIPAllocationException(string message, bool full = false) : Exception(message)
{
    /// <summary>No free address was left (kube answers 500 for that; the other cases are the client's 422).</summary>
    public bool Full { get; } = full;
}

/// <summary>The Service an allocated address belongs to (IPAddress.spec.parentRef).</summary>
internal sealed record ServiceOwner(string Namespace, string Name);

/// <summary>
/// Hands out Service cluster IPs the way kube-apiserver has since MultiCIDRServiceAllocator became
/// the default: every allocated address is a networking.k8s.io/v1 IPAddress object named by the
/// address, pointing at its Service. Creating that object is the allocation: etcd refuses a second
/// create of one key, so two requests (or two servers sharing the etcd) can never be given the same
/// address, and after a restart the objects in etcd are all there is to know — no in-memory state
/// needs rebuilding. The ranges are --service-cluster-ip-range's plus those of any ServiceCIDR
/// objects an administrator added.
/// </summary>
internal sealed class ClusterIPAllocator(IReadOnlyList<ServiceIPRange> configured, Func<GenericStore?> ipAddresses, Func<GenericStore?> serviceCidrs)
{
    /// <summary>IPAddress labels kube's allocator sets (networking.k8s.io/v1 LabelIPAddressFamily, LabelManagedBy).</summary>
    public const string FamilyLabel = "ipaddress.kubernetes.io/ip-family";

    public const string ManagedByLabel = "ipaddress.kubernetes.io/managed-by";

    /// <summary>The manager name kube's allocator writes into <see cref="ManagedByLabel"/>.</summary>
    public const string ManagedBy = "ipallocator.k8s.io";

    /// <summary>kube-apiserver's default --service-cluster-ip-range.</summary>
    public const string DefaultRange = "10.0.0.0/24";

    /// <summary>The ranges of --service-cluster-ip-range, primary first.</summary>
    public IReadOnlyList<ServiceIPRange> Configured { get; } = configured;

    /// <summary>The family of the primary range: what a Service without ipFamilies gets.</summary>
    public string DefaultFamily => Configured[0].Family;

    public bool IsConfigured(string family) => Configured.Any(r => r.Family == family);

    public bool DualStack => Configured.Select(r => r.Family).Distinct().Count() > 1;

    /// <summary>
    /// Reserves <paramref name="ip"/> for <paramref name="owner"/>. Out of every range: "the provided
    /// network does not match the current range"; the network's own address: "provided IP ... is
    /// not in the valid range"; held by another: "provided IP is already allocated" (kube's texts).
    /// A dry run checks the range only, as kube's does.
    /// </summary>
    public async Task AllocateAsync(string ip, ServiceOwner owner, bool dryRun, CancellationToken cancellationToken)
    {
        var parsed = ServiceIPRange.ParseAddress(ip) ?? throw new ClusterIPAllocationException($"ParseAddr(\"{ip}\"): unable to parse IP");
        var ranges = await RangesAsync(parsed.Family, cancellationToken).ConfigureAwait(false);
        var covering = ranges.FirstOrDefault(r => r.Covers(parsed.Number, parsed.Family))
            ?? throw new ClusterIPAllocationException("the provided network does not match the current range");
        if (!covering.Contains(parsed.Number, parsed.Family))
        {
            throw new ClusterIPAllocationException($"provided IP {parsed.Canonical} is not in the valid range");
        }

        if (dryRun)
        {
            return;
        }

        if (!await TryCreateAsync(parsed.Canonical, parsed.Family, owner, cancellationToken).ConfigureAwait(false))
        {
            throw new ClusterIPAllocationException("provided IP is already allocated");
        }
    }

    /// <summary>
    /// Picks a free address of <paramref name="family"/>: from a random point of a range's upper
    /// band onward (wrapping), then the lower band the same way, so addresses clients choose
    /// (usually low ones) seldom collide with picked ones. A dry run answers the network address
    /// without looking, as kube's does.
    /// </summary>
    public async Task<string> AllocateNextAsync(string family, ServiceOwner owner, bool dryRun, CancellationToken cancellationToken)
    {
        var ranges = await RangesAsync(family, cancellationToken).ConfigureAwait(false);
        if (dryRun)
        {
            return ranges.Count > 0 ? ranges[0].NetworkAddress : throw new ClusterIPAllocationException("range is full", full: true);
        }

        HashSet<UInt128>? taken = null;
        foreach (var range in ranges)
        {
            var lower = (UInt128)(uint)range.LowerBand;
            var bands = lower > 0
                ? new[] { (range.First + lower, range.Last), (range.First, range.First + lower - 1) }
                : new[] { (range.First, range.Last) };
            foreach (var (first, last) in bands)
            {
                if (last < first)
                {
                    continue;
                }

                var size = last - first + 1;
                var start = first + RandomBelow(size);
                var candidate = start;
                // Each step either finds a free address or passes one known to be taken, so the walk
                // ends within min(band size, addresses taken + 1) steps.
                for (UInt128 step = 0; step < size; step++)
                {
                    if (taken is null || !taken.Contains(candidate))
                    {
                        var name = range.Format(candidate);
                        if (await TryCreateAsync(name, family, owner, cancellationToken).ConfigureAwait(false))
                        {
                            return name;
                        }

                        // Taken: learn every taken address once, so the walk skips them without a write each.
                        taken ??= await TakenAsync(cancellationToken).ConfigureAwait(false);
                        taken.Add(candidate);
                    }

                    candidate = candidate == last ? first : candidate + 1;
                }
            }
        }

        throw new ClusterIPAllocationException("range is full", full: true);
    }

    /// <summary>
    /// Gives <paramref name="ip"/> back: deletes its IPAddress, only while it still names
    /// <paramref name="owner"/> (a stale release must not free another Service's address). Absent
    /// is released already.
    /// </summary>
    public async Task ReleaseAsync(string ip, ServiceOwner owner, CancellationToken cancellationToken)
    {
        var store = ipAddresses();
        if (store is null || ServiceIPRange.ParseAddress(ip) is not { } parsed)
        {
            return;
        }

        JsonObject current;
        try
        {
            current = await store.GetAsync("", parsed.Canonical, cancellationToken).ConfigureAwait(false);
        }
        catch (StatusException e) when (e.Code == 404)
        {
            return;
        }

        if (!IsOwnedBy(current, owner))
        {
            return;
        }

        try
        {
            await store.DeleteAsync(RequestScope.Loopback, "", parsed.Canonical, new DeleteOptions(PreconditionUid: ObjectMeta.Uid(current)), cancellationToken).ConfigureAwait(false);
        }
        catch (StatusException e) when (e.Code is 404 or 409)
        {
            // Gone already, or replaced by another allocation since we looked.
        }
    }

    /// <summary>Whether the IPAddress is this server's allocation for <paramref name="owner"/>.</summary>
    public static bool IsOwnedBy(JsonObject address, ServiceOwner owner) =>
        address["spec"]?["parentRef"] is JsonObject parent
        && (parent.GetString("group") ?? "") == ""
        && parent.GetString("resource") == "services"
        && (parent.GetString("namespace") ?? "") == owner.Namespace
        && parent.GetString("name") == owner.Name;

    /// <summary>The ranges addresses of <paramref name="family"/> may come from: the flag's first, then ServiceCIDR objects' (ready and not being deleted).</summary>
    public async Task<IReadOnlyList<ServiceIPRange>> RangesAsync(string family, CancellationToken cancellationToken)
    {
        var ranges = Configured.Where(r => r.Family == family).ToList();
        if (serviceCidrs() is not { } store)
        {
            return ranges;
        }

        var list = await store.ListAsync("", new ListQuery(null, null, ResourceVersion: "0"), cancellationToken).ConfigureAwait(false);
        foreach (var cidr in list.Items)
        {
            if (ObjectMeta.Metadata(cidr)["deletionTimestamp"] is not null || !IsReady(cidr))
            {
                continue;
            }

            foreach (var text in (cidr["spec"]?["cidrs"] as JsonArray ?? []).Select(n => n.AsString() ?? ""))
            {
                if (ServiceIPRange.TryParse(text) is { } range && range.Family == family && ranges.All(r => r.Cidr != range.Cidr))
                {
                    ranges.Add(range);
                }
            }
        }

        return ranges;
    }

    /// <summary>A ServiceCIDR without a Ready condition counts as ready (kube's allocator assumes so when no controller manager set one).</summary>
    private static bool IsReady(JsonObject cidr)
    {
        foreach (var condition in cidr["status"]?["conditions"] as JsonArray ?? [])
        {
            if (condition.GetString("type") == "Ready")
            {
                return condition.GetString("status") == "True";
            }
        }

        return true;
    }

    private async Task<bool> TryCreateAsync(string name, string family, ServiceOwner owner, CancellationToken cancellationToken)
    {
        var store = ipAddresses() ?? throw new InvalidOperationException("networking.k8s.io/v1 ipaddresses is not served");
        var address = new JsonObject
        {
            ["kind"] = "IPAddress",
            ["apiVersion"] = "networking.k8s.io/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["labels"] = new JsonObject { [FamilyLabel] = family, [ManagedByLabel] = ManagedBy },
            },
            ["spec"] = new JsonObject
            {
                ["parentRef"] = new JsonObject
                {
                    ["group"] = "",
                    ["resource"] = "services",
                    ["namespace"] = owner.Namespace,
                    ["name"] = owner.Name,
                },
            },
        };
        try
        {
            await store.CreateAsync(RequestScope.Loopback, "", address, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (StatusException e) when (e.Reason == "AlreadyExists")
        {
            return false;
        }
    }

    private async Task<HashSet<UInt128>> TakenAsync(CancellationToken cancellationToken)
    {
        var taken = new HashSet<UInt128>();
        if (ipAddresses() is not { } store)
        {
            return taken;
        }

        var list = await store.ListAsync("", new ListQuery(null, null) { AfterOwnWrites = true }, cancellationToken).ConfigureAwait(false);
        foreach (var item in list.Items)
        {
            if (ServiceIPRange.ParseAddress(ObjectMeta.Name(item)) is { } parsed)
            {
                taken.Add(parsed.Number);
            }
        }

        return taken;
    }

    private static UInt128 RandomBelow(UInt128 bound)
    {
        if (bound <= 1)
        {
            return 0;
        }

        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(bytes) % bound;
    }
}
