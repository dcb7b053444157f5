using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ClientTools.Cache;
using ControllerManager.Common;
using k8s.Models;

namespace ControllerManager.Endpoints;

/// <summary>
/// What the endpoints and EndpointSlice controllers both read from a Service and its pods, as kube's
/// pkg/controller/util/endpoint and podutil do: which pods count, which of a pod's IPs a Service uses,
/// which port a service port's targetPort names, and which Services select a pod.
/// </summary>
internal static class ServicePods
{
    /// <summary>The label kube puts on a headless Service's Endpoints and EndpointSlices.</summary>
    public const string HeadlessLabel = "service.kubernetes.io/headless";

    /// <summary>The Services these controllers manage: those with a selector, other than ExternalName.</summary>
    public static bool IsManaged(V1Service service) =>
        service.Spec?.Selector is not null && service.Spec.Type != "ExternalName";

    /// <summary>
    /// The pods a Service's selector picks in its namespace (kube's labels.Set(selector) selector: every
    /// label must match; an empty selector picks every pod).
    /// </summary>
    public static IEnumerable<V1Pod> Selected(V1Service service, Indexer<V1Pod> pods) =>
        pods.ByIndex(Indexers.Namespace, service.Metadata.NamespaceProperty)
            .Where(p => Selects(service.Spec.Selector, p.Metadata.Labels));

    public static bool Selects(IDictionary<string, string>? selector, IDictionary<string, string>? labels) =>
        selector is not null && selector.All(s => labels is not null && labels.TryGetValue(s.Key, out var v) && v == s.Value);

    /// <summary>
    /// kube's ShouldPodBeInEndpoints: terminal pods and pods without an IP never are; terminating pods
    /// only when <paramref name="includeTerminating"/>.
    /// </summary>
    public static bool ShouldBeInEndpoints(V1Pod pod, bool includeTerminating)
    {
        if (Pods.IsTerminal(pod))
        {
            return false;
        }

        if (string.IsNullOrEmpty(pod.Status?.PodIP) && (pod.Status?.PodIPs is null || pod.Status.PodIPs.Count == 0))
        {
            return false;
        }

        return includeTerminating || pod.Metadata.DeletionTimestamp is null;
    }

    /// <summary>The address family ("IPv4" or "IPv6") a Service's endpoints use: its first ipFamily, else its clusterIP's, else IPv4.</summary>
    public static IReadOnlyList<string> AddressTypes(V1Service service)
    {
        if (service.Spec?.IpFamilies is { Count: > 0 } families)
        {
            return [.. families.Distinct()];
        }

        if (IPAddress.TryParse(service.Spec?.ClusterIP, out var ip))
        {
            return [ip.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4"];
        }

        return ["IPv4"];
    }

    /// <summary>The pod's IP of <paramref name="addressType"/>'s family, or null (kube's podToEndpointAddressForService).</summary>
    public static string? PodIp(V1Pod pod, string addressType)
    {
        var ips = (pod.Status?.PodIPs ?? []).Select(i => i.Ip).Prepend(pod.Status?.PodIP).Where(i => !string.IsNullOrEmpty(i));
        foreach (var ip in ips)
        {
            if (IPAddress.TryParse(ip, out var parsed) && (parsed.AddressFamily == AddressFamily.InterNetworkV6) == (addressType == "IPv6"))
            {
                return ip;
            }
        }

        return null;
    }

    /// <summary>The pod's hostname when it sits in the Service's subdomain (spec.hostname and spec.subdomain == service name).</summary>
    public static string? Hostname(V1Pod pod, V1Service service) =>
        !string.IsNullOrEmpty(pod.Spec?.Hostname) && pod.Spec.Subdomain == service.Metadata.Name && pod.Metadata.NamespaceProperty == service.Metadata.NamespaceProperty
            ? pod.Spec.Hostname
            : null;

    public static bool IsHeadless(V1Service service) => service.Spec?.ClusterIP == "None";

    /// <summary>
    /// kube's podutil.FindPort: a numeric targetPort is the port; a named one is the containerPort of that
    /// name and the service port's protocol in the pod's containers (and restartable init containers);
    /// null when the pod has no such port. An unset targetPort is the service port itself.
    /// </summary>
    public static int? FindPort(V1Pod pod, V1ServicePort servicePort)
    {
        var target = servicePort.TargetPort?.Value;
        if (string.IsNullOrEmpty(target))
        {
            return servicePort.Port;
        }

        if (int.TryParse(target, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        var protocol = servicePort.Protocol ?? "TCP";
        var containers = (pod.Spec?.Containers ?? []).Concat((pod.Spec?.InitContainers ?? []).Where(c => c.RestartPolicy == "Always"));
        foreach (var container in containers)
        {
            foreach (var port in container.Ports ?? [])
            {
                if (port.Name == target && (port.Protocol ?? "TCP") == protocol)
                {
                    return port.ContainerPort;
                }
            }
        }

        return null;
    }

    /// <summary>The labels kube gives a Service's Endpoints and EndpointSlices: the Service's, plus the headless label when it has no cluster IP.</summary>
    public static Dictionary<string, string> Labels(V1Service service)
    {
        var labels = new Dictionary<string, string>(service.Metadata.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        labels.Remove(HeadlessLabel);
        if (IsHeadless(service))
        {
            labels[HeadlessLabel] = "";
        }

        return labels;
    }

    /// <summary>Keys of the managed Services in <paramref name="pod"/>'s namespace whose selector picks it.</summary>
    public static IEnumerable<string> ServicesSelecting(V1Pod pod, Indexer<V1Service> services) =>
        services.ByIndex(Indexers.Namespace, pod.Metadata.NamespaceProperty)
            .Where(s => IsManaged(s) && Selects(s.Spec.Selector, pod.Metadata.Labels))
            .Select(ObjectKeys.KeyOf);

    /// <summary>
    /// Whether a pod update can change any Service's endpoints (kube's podEndpointsChanged plus label
    /// changes): IPs, readiness, deletion, node, hostname, phase, or container ports.
    /// </summary>
    public static bool EndpointsRelevantChange(V1Pod old, V1Pod updated) =>
        old.Status?.PodIP != updated.Status?.PodIP
        || Pods.IsReady(old) != Pods.IsReady(updated)
        || (old.Metadata.DeletionTimestamp is null) != (updated.Metadata.DeletionTimestamp is null)
        || old.Spec?.NodeName != updated.Spec?.NodeName
        || old.Spec?.Hostname != updated.Spec?.Hostname
        || old.Spec?.Subdomain != updated.Spec?.Subdomain
        || old.Status?.Phase != updated.Status?.Phase
        || !LabelsEqual(old.Metadata.Labels, updated.Metadata.Labels)
        || (old.Status?.PodIPs?.Count ?? 0) != (updated.Status?.PodIPs?.Count ?? 0);

    private static bool LabelsEqual(IDictionary<string, string>? a, IDictionary<string, string>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a ?? new Dictionary<string, string>()).All(kv => b!.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
