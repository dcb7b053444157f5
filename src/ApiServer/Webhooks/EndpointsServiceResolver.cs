using System.Text.Json.Nodes;
using Admission;
using Admission.Webhooks;

namespace ApiServer.Webhooks;

/// <summary>
/// Resolves a webhook's service reference without cluster DNS or a service proxy, as
/// kube-apiserver does with --enable-aggregator-routing: the service port's target port on the
/// first ready address of the service's Endpoints. A service with no endpoints but a cluster IP
/// is dialled at that IP (reachable only where kube-proxy runs).
/// </summary>
internal sealed class EndpointsServiceResolver(IAdmissionObjects objects) : IWebhookServiceResolver
{
    public async ValueTask<(string Host, int Port)?> ResolveAsync(string ns, string name, int port, CancellationToken cancellationToken)
    {
        var service = await objects.GetAsync("", "services", ns, name, cancellationToken).ConfigureAwait(false);
        if (service is null)
        {
            return null;
        }

        var servicePort = (service["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>()
            .FirstOrDefault(p => p["port"] is JsonValue v && v.TryGetValue<int>(out var n) && n == port);
        if (servicePort is null)
        {
            return null;
        }

        var portName = servicePort["name"]?.ToString() ?? "";
        var endpoints = await objects.GetAsync("", "endpoints", ns, name, cancellationToken).ConfigureAwait(false);
        foreach (var subset in (endpoints?["subsets"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var address = (subset["addresses"] as JsonArray ?? []).OfType<JsonObject>().Select(a => a["ip"]?.ToString()).FirstOrDefault(ip => !string.IsNullOrEmpty(ip));
            if (address is null)
            {
                continue;
            }

            var ports = (subset["ports"] as JsonArray ?? []).OfType<JsonObject>().ToArray();
            var match = ports.FirstOrDefault(p => (p["name"]?.ToString() ?? "") == portName) ?? (ports.Length == 1 ? ports[0] : null);
            if (match?["port"] is JsonValue pv && pv.TryGetValue<int>(out var endpointPort))
            {
                return (address, endpointPort);
            }
        }

        var clusterIp = service["spec"]?["clusterIP"]?.ToString();
        if (!string.IsNullOrEmpty(clusterIp) && clusterIp != "None")
        {
            return (clusterIp, port);
        }

        return null;
    }
}
