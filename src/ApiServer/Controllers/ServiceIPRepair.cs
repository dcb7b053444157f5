using System.Globalization;
using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiServer.Health;
using ApiServer.Registry;
using ApiServer.Registry.Services;
using Microsoft.Extensions.Hosting;

namespace ApiServer.Controllers;

/// <summary>
/// Keeps Services and IPAddresses agreeing, as kube-apiserver's repair-ip controller does, for what
/// allocation's own bookkeeping cannot cover: a server that stopped between taking an address and
/// storing its Service (the address is held by no one), a release that failed, an IPAddress deleted
/// by hand while its Service still uses it, or Services stored before this server allocated. Every
/// 10 seconds it compares the two lists: an address a Service uses without an IPAddress gets one;
/// an IPAddress of this allocator that no Service holds is deleted once it has been seen so on two
/// passes and is older than <see cref="OrphanAge"/> (so a create in flight, whose address exists a
/// moment before its Service, is never touched).
/// </summary>
internal sealed class ServiceIPRepair(RegistryCatalog registry, StartupState startup, BackgroundLoops loops, TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    /// <summary>How old an unheld address must be before it is freed.</summary>
    private static readonly TimeSpan OrphanAge = TimeSpan.FromSeconds(30);

    /// <summary>Addresses (by name and uid) seen unheld on the previous pass.</summary>
    private HashSet<(string Name, string Uid)> _suspects = [];

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        loops.RunAsync("controller/repair-ip", async (status, ct) =>
        {
            if (startup.NamespacesBootstrapped)
            {
                await RepairOnceAsync(ct).ConfigureAwait(false);
                status.Succeeded();
            }

            await Task.Delay(Interval, ct).ConfigureAwait(false);
        }, stoppingToken);

    internal async Task RepairOnceAsync(CancellationToken cancellationToken)
    {
        var services = registry.Find("", "v1", "services");
        var addresses = registry.Find("networking.k8s.io", "v1", "ipaddresses");
        if (services is null || addresses is null)
        {
            return;
        }

        // Addresses first: an IPAddress created after this list, for a Service listed below, is simply not seen yet.
        var addressList = await addresses.ListAsync("", new ListQuery(null, null) { AfterOwnWrites = true }, cancellationToken).ConfigureAwait(false);
        var serviceList = await services.ListAsync("", new ListQuery(null, null) { AfterOwnWrites = true }, cancellationToken).ConfigureAwait(false);
        var held = new Dictionary<string, ServiceOwner>(StringComparer.Ordinal);
        foreach (var service in serviceList.Items)
        {
            if (service["spec"] is not JsonObject spec || spec.GetString("type") == "ExternalName")
            {
                continue;
            }

            foreach (var ip in (spec["clusterIPs"] as JsonArray ?? []).Select(n => n.AsString() ?? ""))
            {
                if (ServiceIPRange.ParseAddress(ip) is { } parsed)
                {
                    held.TryAdd(parsed.Canonical, new ServiceOwner(ObjectMeta.Namespace(service), ObjectMeta.Name(service)));
                }
            }
        }

        var existing = addressList.Items.ToDictionary(ObjectMeta.Name, a => a, StringComparer.Ordinal);
        foreach (var (ip, owner) in held)
        {
            if (!existing.ContainsKey(ip))
            {
                await RecreateAsync(ip, owner, cancellationToken).ConfigureAwait(false);
            }
        }

        var suspects = new HashSet<(string Name, string Uid)>();
        var now = time.GetUtcNow();
        foreach (var address in addressList.Items)
        {
            var name = ObjectMeta.Name(address);
            if (address["metadata"]?["labels"]?[ClusterIPAllocator.ManagedByLabel].AsString() != ClusterIPAllocator.ManagedBy
                || (held.TryGetValue(name, out var owner) && ClusterIPAllocator.IsOwnedBy(address, owner)))
            {
                continue;
            }

            var key = (name, ObjectMeta.Uid(address));
            var created = DateTimeOffset.TryParse(ObjectMeta.CreationTimestamp(address), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : now;
            if (!_suspects.Contains(key) || now - created < OrphanAge)
            {
                suspects.Add(key);
                continue;
            }

            try
            {
                await addresses.DeleteAsync(RequestScope.Loopback, "", name, new DeleteOptions(PreconditionUid: key.Item2), cancellationToken).ConfigureAwait(false);
            }
            catch (StatusException e) when (e.Code is 404 or 409)
            {
            }
        }

        _suspects = suspects;
    }

    /// <summary>Gives a Service's address its IPAddress back, if the address is in a range this server allocates from.</summary>
    private async Task RecreateAsync(string ip, ServiceOwner owner, CancellationToken cancellationToken)
    {
        try
        {
            await registry.ClusterIPs.AllocateAsync(ip, owner, dryRun: false, cancellationToken).ConfigureAwait(false);
        }
        catch (ClusterIPAllocationException)
        {
            // Outside every range now, or taken meanwhile: kube reports these as events; nothing to mend here.
        }
    }
}
