using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiServer.Health;
using ApiServer.Options;
using ApiServer.Registry;
using Microsoft.Extensions.Hosting;

namespace ApiServer.Controllers;

/// <summary>
/// The two objects kube-apiserver keeps for the cluster's own address. First the default ServiceCIDR
/// `kubernetes`, made from --service-cluster-ip-range and marked Ready (kube's
/// start-kubernetes-service-cidr-controller post-start hook: /readyz waits for it, since Services
/// cannot get addresses outside it... here the flag's ranges serve as well, but clients list it).
/// Then, every 10 seconds as kube's bootstrap controller does, the `kubernetes` Service in
/// `default` (the range's first address, port 443 named https to --secure-port) is created if
/// missing, and its Endpoints and EndpointSlice are set to this server's advertised address. One
/// advertised address per cluster is assumed (kube keeps a lease per server and lists them all).
/// </summary>
internal sealed class KubernetesService(RegistryCatalog registry, ApiServerOptions options, StartupState startup, BackgroundLoops loops) : BackgroundService
{
    public const string Name = "kubernetes";

    public const string Namespace = "default";

    /// <summary>kube's DefaultEndpointReconcilerInterval.</summary>
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await loops.RunUntilDoneAsync("poststarthook/start-kubernetes-service-cidr-controller", async ct =>
        {
            await EnsureServiceCidrAsync(ct).ConfigureAwait(false);
            startup.ServiceCidrReady = true;
        }, stoppingToken).ConfigureAwait(false);

        await loops.RunAsync("controller/kubernetes-service", async (status, ct) =>
        {
            // The Service lives in `default`, which the bootstrap hook creates.
            if (startup.NamespacesBootstrapped)
            {
                await EnsureServiceCidrAsync(ct).ConfigureAwait(false);
                await EnsureServiceAsync(ct).ConfigureAwait(false);
                await ReconcileEndpointsAsync(ct).ConfigureAwait(false);
                status.Succeeded();
            }

            await Task.Delay(startup.NamespacesBootstrapped ? Interval : TimeSpan.FromMilliseconds(100), ct).ConfigureAwait(false);
        }, stoppingToken).ConfigureAwait(false);
    }

    private IReadOnlyList<string> Cidrs => options.ServiceIPRanges.Select(r => r.Cidr).ToList();

    /// <summary>Creates the default ServiceCIDR if missing and marks it Ready unless someone says otherwise (a differing one is left as it is).</summary>
    private async Task EnsureServiceCidrAsync(CancellationToken cancellationToken)
    {
        var store = registry.Find("networking.k8s.io", "v1", "servicecidrs");
        if (store is null)
        {
            return;
        }

        JsonObject current;
        try
        {
            current = await store.GetAsync("", Name, cancellationToken).ConfigureAwait(false);
        }
        catch (StatusException e) when (e.Code == 404)
        {
            var cidr = new JsonObject
            {
                ["kind"] = "ServiceCIDR",
                ["apiVersion"] = "networking.k8s.io/v1",
                ["metadata"] = new JsonObject { ["name"] = Name },
                ["spec"] = new JsonObject { ["cidrs"] = new JsonArray(Cidrs.Select(c => (JsonNode?)c).ToArray()) },
            };
            try
            {
                current = await store.CreateAsync(RequestScope.Loopback, "", cidr, cancellationToken).ConfigureAwait(false);
            }
            catch (StatusException conflict) when (conflict.Code == 409)
            {
                current = await store.GetAsync("", Name, cancellationToken).ConfigureAwait(false);
            }
        }

        var sameConfig = (current["spec"]?["cidrs"] as JsonArray ?? []).Select(n => n.AsString()).SequenceEqual(Cidrs);
        if (!sameConfig || ObjectMeta.Metadata(current)["deletionTimestamp"] is not null
            || (current["status"]?["conditions"] as JsonArray ?? []).Any(c => c.GetString("type") == "Ready" && c.GetString("status") != "Unknown"))
        {
            return;
        }

        await store.ApplyUpdateAsync(RequestScope.Loopback, "", Name, "status", obj =>
        {
            var status = obj["status"] as JsonObject ?? [];
            obj["status"] = status;
            var conditions = status["conditions"] as JsonArray ?? [];
            status["conditions"] = conditions;
            foreach (var stale in conditions.Where(c => c.GetString("type") == "Ready").ToList())
            {
                conditions.Remove(stale);
            }

            conditions.Add(new JsonObject
            {
                ["type"] = "Ready",
                ["status"] = "True",
                ["lastTransitionTime"] = ObjectMeta.FormatTime(DateTimeOffset.UtcNow),
                ["reason"] = "",
                ["message"] = "Kubernetes default Service CIDR is ready",
            });
            return obj;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates the `kubernetes` Service if it is missing; an existing one is left as it is (as kube's controller does since 1.17).</summary>
    private async Task EnsureServiceAsync(CancellationToken cancellationToken)
    {
        var store = registry.Find("", "v1", "services") ?? throw new InvalidOperationException("services are not served");
        try
        {
            await store.GetAsync(Namespace, Name, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (StatusException e) when (e.Code == 404)
        {
        }

        var service = new JsonObject
        {
            ["kind"] = "Service",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = Name,
                ["namespace"] = Namespace,
                ["labels"] = new JsonObject { ["provider"] = "kubernetes", ["component"] = "apiserver" },
            },
            ["spec"] = new JsonObject
            {
                ["ports"] = new JsonArray(new JsonObject
                {
                    ["name"] = "https",
                    ["protocol"] = "TCP",
                    ["port"] = 443,
                    ["targetPort"] = options.SecureServing.SecurePort,
                }),
                ["clusterIP"] = options.ServiceIPRanges[0].FirstAddress,
                ["ipFamilyPolicy"] = "SingleStack",
                ["sessionAffinity"] = "None",
                ["type"] = "ClusterIP",
            },
        };
        try
        {
            await store.CreateAsync(RequestScope.Loopback, Namespace, service, cancellationToken).ConfigureAwait(false);
        }
        catch (StatusException e) when (e.Code == 409)
        {
            // Another server sharing this etcd made it first.
        }
    }

    /// <summary>
    /// The Endpoints (labelled so the mirroring controller leaves it alone) and the EndpointSlice of
    /// the `kubernetes` Service list this server's address and secure port; rewritten when they differ.
    /// </summary>
    private async Task ReconcileEndpointsAsync(CancellationToken cancellationToken)
    {
        if (AdvertisedAddress() is not { } address)
        {
            return;
        }

        var port = options.SecureServing.SecurePort;
        var endpoints = registry.Find("", "v1", "endpoints");
        if (endpoints is not null)
        {
            var desired = new JsonObject
            {
                ["labels"] = new JsonObject { ["endpointslice.kubernetes.io/skip-mirror"] = "true" },
                ["subsets"] = new JsonArray(new JsonObject
                {
                    ["addresses"] = new JsonArray(new JsonObject { ["ip"] = address.ToString() }),
                    ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = port, ["protocol"] = "TCP" }),
                }),
            };
            await EnsureAsync(endpoints, "Endpoints", "v1", desired, obj =>
            {
                ObjectMeta.Metadata(obj)["labels"] = desired["labels"]!.DeepClone();
                obj["subsets"] = desired["subsets"]!.DeepClone();
            }, obj => JsonNode.DeepEquals(obj["subsets"], desired["subsets"]) && JsonNode.DeepEquals(ObjectMeta.Metadata(obj)["labels"], desired["labels"]), cancellationToken).ConfigureAwait(false);
        }

        var slices = registry.Find("discovery.k8s.io", "v1", "endpointslices");
        if (slices is not null)
        {
            var desired = new JsonObject
            {
                ["labels"] = new JsonObject { ["kubernetes.io/service-name"] = Name },
                ["addressType"] = address.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4",
                ["endpoints"] = new JsonArray(new JsonObject
                {
                    ["addresses"] = new JsonArray(address.ToString()),
                    ["conditions"] = new JsonObject { ["ready"] = true },
                }),
                ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["protocol"] = "TCP", ["port"] = port }),
            };
            await EnsureAsync(slices, "EndpointSlice", "discovery.k8s.io/v1", desired, obj =>
            {
                ObjectMeta.Metadata(obj)["labels"] = desired["labels"]!.DeepClone();
                obj["addressType"] = desired["addressType"]!.DeepClone();
                obj["endpoints"] = desired["endpoints"]!.DeepClone();
                obj["ports"] = desired["ports"]!.DeepClone();
            }, obj => JsonNode.DeepEquals(ObjectMeta.Metadata(obj)["labels"], desired["labels"])
                && obj.GetString("addressType") == desired.GetString("addressType")
                && SameEndpoints(obj["endpoints"], desired["endpoints"])
                && SamePorts(obj["ports"], desired["ports"]), cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task EnsureAsync(GenericStore store, string kind, string apiVersion, JsonObject desired, Action<JsonObject> apply, Func<JsonObject, bool> matches, CancellationToken cancellationToken)
    {
        JsonObject? current = null;
        try
        {
            current = await store.GetAsync(Namespace, Name, cancellationToken).ConfigureAwait(false);
        }
        catch (StatusException e) when (e.Code == 404)
        {
        }

        if (current is null)
        {
            var created = new JsonObject
            {
                ["kind"] = kind,
                ["apiVersion"] = apiVersion,
                ["metadata"] = new JsonObject { ["name"] = Name, ["namespace"] = Namespace },
            };
            apply(created);
            try
            {
                await store.CreateAsync(RequestScope.Loopback, Namespace, created, cancellationToken).ConfigureAwait(false);
            }
            catch (StatusException e) when (e.Code == 409)
            {
                // Created meanwhile; the next round compares it.
            }

            return;
        }

        if (matches(current))
        {
            return;
        }

        await store.ApplyUpdateAsync(RequestScope.Loopback, Namespace, Name, "", obj =>
        {
            apply(obj);
            return obj;
        }, cancellationToken).ConfigureAwait(false);
    }

    // The stored slice carries the defaults validation adds; compare only what this controller sets.
    private static bool SameEndpoints(JsonNode? stored, JsonNode? desired) =>
        stored is JsonArray { Count: 1 } s && desired is JsonArray d
        && JsonNode.DeepEquals(s[0]?["addresses"], d[0]?["addresses"])
        && s[0]?["conditions"]?["ready"]?.GetValue<bool>() == true;

    private static bool SamePorts(JsonNode? stored, JsonNode? desired) =>
        stored is JsonArray { Count: 1 } s && desired is JsonArray d
        && s[0].GetString("name") == d[0].GetString("name")
        && s[0].GetString("protocol") == d[0].GetString("protocol")
        && s[0]?["port"]?.GetValue<int>() == d[0]?["port"]?.GetValue<int>();

    /// <summary>
    /// --advertise-address; without it the bind address unless that is loopback or unspecified, then
    /// the address of the interface holding the default route (kube's ResolveBindAddress). Null when
    /// the host has none.
    /// </summary>
    private IPAddress? AdvertisedAddress()
    {
        if (options.AdvertiseAddress.Length > 0 && IPAddress.TryParse(options.AdvertiseAddress, out var advertised))
        {
            return advertised;
        }

        var bind = options.SecureServing.BindAddress;
        if (!IPAddress.IsLoopback(bind) && !bind.Equals(IPAddress.Any) && !bind.Equals(IPAddress.IPv6Any))
        {
            return bind;
        }

        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback)
            {
                continue;
            }

            var properties = nic.GetIPProperties();
            if (properties.GatewayAddresses.Count == 0)
            {
                continue;
            }

            if (properties.UnicastAddresses.FirstOrDefault(a => a.Address.AddressFamily == AddressFamily.InterNetwork)?.Address is { } address)
            {
                return address;
            }
        }

        return null;
    }
}
