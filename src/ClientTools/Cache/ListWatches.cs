using k8s;
using k8s.Models;

namespace ClientTools.Cache;

/// <summary>
/// List/watch pairs for the resources the components watch, over the official client. A resource
/// not listed here is one lambda pair away: <c>new ListerWatcher&lt;T, TList&gt;(list, watch)</c>.
/// A null namespace means all namespaces.
/// </summary>
public static class ListWatches
{
    public static IListerWatcher<V1Pod> Pods(IKubernetes client, string? ns = null, string? fieldSelector = null, string? labelSelector = null) =>
        new ListerWatcher<V1Pod, V1PodList>(
            (o, ct) => ns is null
                ? client.CoreV1.ListPodForAllNamespacesAsync(continueParameter: o.Continue, fieldSelector: fieldSelector, labelSelector: labelSelector, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct)
                : client.CoreV1.ListNamespacedPodAsync(ns, continueParameter: o.Continue, fieldSelector: fieldSelector, labelSelector: labelSelector, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct),
            (o, onError, ct) => ns is null
                ? client.CoreV1.WatchListPodForAllNamespacesAsync(allowWatchBookmarks: o.AllowWatchBookmarks, fieldSelector: fieldSelector, labelSelector: labelSelector, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct)
                : client.CoreV1.WatchListNamespacedPodAsync(ns, allowWatchBookmarks: o.AllowWatchBookmarks, fieldSelector: fieldSelector, labelSelector: labelSelector, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct));

    public static IListerWatcher<V1Node> Nodes(IKubernetes client, string? fieldSelector = null, string? labelSelector = null) =>
        new ListerWatcher<V1Node, V1NodeList>(
            (o, ct) => client.CoreV1.ListNodeAsync(continueParameter: o.Continue, fieldSelector: fieldSelector, labelSelector: labelSelector, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct),
            (o, onError, ct) => client.CoreV1.WatchListNodeAsync(allowWatchBookmarks: o.AllowWatchBookmarks, fieldSelector: fieldSelector, labelSelector: labelSelector, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct));

    public static IListerWatcher<V1Namespace> Namespaces(IKubernetes client, string? labelSelector = null) =>
        new ListerWatcher<V1Namespace, V1NamespaceList>(
            (o, ct) => client.CoreV1.ListNamespaceAsync(continueParameter: o.Continue, labelSelector: labelSelector, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct),
            (o, onError, ct) => client.CoreV1.WatchListNamespaceAsync(allowWatchBookmarks: o.AllowWatchBookmarks, labelSelector: labelSelector, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct));

    public static IListerWatcher<V1ConfigMap> ConfigMaps(IKubernetes client, string? ns = null, string? labelSelector = null) =>
        new ListerWatcher<V1ConfigMap, V1ConfigMapList>(
            (o, ct) => ns is null
                ? client.CoreV1.ListConfigMapForAllNamespacesAsync(continueParameter: o.Continue, labelSelector: labelSelector, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct)
                : client.CoreV1.ListNamespacedConfigMapAsync(ns, continueParameter: o.Continue, labelSelector: labelSelector, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct),
            (o, onError, ct) => ns is null
                ? client.CoreV1.WatchListConfigMapForAllNamespacesAsync(allowWatchBookmarks: o.AllowWatchBookmarks, labelSelector: labelSelector, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct)
                : client.CoreV1.WatchListNamespacedConfigMapAsync(ns, allowWatchBookmarks: o.AllowWatchBookmarks, labelSelector: labelSelector, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct));

    public static IListerWatcher<V1Lease> Leases(IKubernetes client, string? ns = null) =>
        new ListerWatcher<V1Lease, V1LeaseList>(
            (o, ct) => ns is null
                ? client.CoordinationV1.ListLeaseForAllNamespacesAsync(continueParameter: o.Continue, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct)
                : client.CoordinationV1.ListNamespacedLeaseAsync(ns, continueParameter: o.Continue, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct),
            (o, onError, ct) => ns is null
                ? client.CoordinationV1.WatchListLeaseForAllNamespacesAsync(allowWatchBookmarks: o.AllowWatchBookmarks, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct)
                : client.CoordinationV1.WatchListNamespacedLeaseAsync(ns, allowWatchBookmarks: o.AllowWatchBookmarks, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct));

    public static IListerWatcher<V1PodDisruptionBudget> PodDisruptionBudgets(IKubernetes client) =>
        new ListerWatcher<V1PodDisruptionBudget, V1PodDisruptionBudgetList>(
            (o, ct) => client.PolicyV1.ListPodDisruptionBudgetForAllNamespacesAsync(continueParameter: o.Continue, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct),
            (o, onError, ct) => client.PolicyV1.WatchListPodDisruptionBudgetForAllNamespacesAsync(allowWatchBookmarks: o.AllowWatchBookmarks, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct));
}
