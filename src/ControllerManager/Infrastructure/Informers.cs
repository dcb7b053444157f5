using ClientTools.Cache;
using k8s;
using k8s.Models;

namespace ControllerManager.Infrastructure;

/// <summary>
/// Shared informers (all namespaces) for the resources the controllers watch beyond those ClientTools'
/// factory names; each is one list+watch per process whichever controllers ask for it.
/// </summary>
internal static class Informers
{
    public static SharedIndexInformer<V1ReplicaSet> ReplicaSets(this SharedInformerFactory factory) =>
        factory.For("replicasets", "*v1.ReplicaSet", () => new ListerWatcher<V1ReplicaSet, V1ReplicaSetList>(
            (o, ct) => factory.Client.AppsV1.ListReplicaSetForAllNamespacesAsync(continueParameter: o.Continue, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct),
            (o, onError, ct) => factory.Client.AppsV1.WatchListReplicaSetForAllNamespacesAsync(allowWatchBookmarks: o.AllowWatchBookmarks, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct)));

    public static SharedIndexInformer<V1ReplicationController> ReplicationControllers(this SharedInformerFactory factory) =>
        factory.For("replicationcontrollers", "*v1.ReplicationController", () => new ListerWatcher<V1ReplicationController, V1ReplicationControllerList>(
            (o, ct) => factory.Client.CoreV1.ListReplicationControllerForAllNamespacesAsync(continueParameter: o.Continue, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct),
            (o, onError, ct) => factory.Client.CoreV1.WatchListReplicationControllerForAllNamespacesAsync(allowWatchBookmarks: o.AllowWatchBookmarks, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct)));

    public static SharedIndexInformer<V1Deployment> Deployments(this SharedInformerFactory factory) =>
        factory.For("deployments", "*v1.Deployment", () => new ListerWatcher<V1Deployment, V1DeploymentList>(
            (o, ct) => factory.Client.AppsV1.ListDeploymentForAllNamespacesAsync(continueParameter: o.Continue, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct),
            (o, onError, ct) => factory.Client.AppsV1.WatchListDeploymentForAllNamespacesAsync(allowWatchBookmarks: o.AllowWatchBookmarks, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct)));

    public static SharedIndexInformer<V1DaemonSet> DaemonSets(this SharedInformerFactory factory) =>
        factory.For("daemonsets", "*v1.DaemonSet", () => new ListerWatcher<V1DaemonSet, V1DaemonSetList>(
            (o, ct) => factory.Client.AppsV1.ListDaemonSetForAllNamespacesAsync(continueParameter: o.Continue, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct),
            (o, onError, ct) => factory.Client.AppsV1.WatchListDaemonSetForAllNamespacesAsync(allowWatchBookmarks: o.AllowWatchBookmarks, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct)));

    public static SharedIndexInformer<V1StatefulSet> StatefulSets(this SharedInformerFactory factory) =>
        factory.For("statefulsets", "*v1.StatefulSet", () => new ListerWatcher<V1StatefulSet, V1StatefulSetList>(
            (o, ct) => factory.Client.AppsV1.ListStatefulSetForAllNamespacesAsync(continueParameter: o.Continue, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct),
            (o, onError, ct) => factory.Client.AppsV1.WatchListStatefulSetForAllNamespacesAsync(allowWatchBookmarks: o.AllowWatchBookmarks, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct)));

    public static SharedIndexInformer<V1ControllerRevision> ControllerRevisions(this SharedInformerFactory factory) =>
        factory.For("controllerrevisions", "*v1.ControllerRevision", () => new ListerWatcher<V1ControllerRevision, V1ControllerRevisionList>(
            (o, ct) => factory.Client.AppsV1.ListControllerRevisionForAllNamespacesAsync(continueParameter: o.Continue, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct),
            (o, onError, ct) => factory.Client.AppsV1.WatchListControllerRevisionForAllNamespacesAsync(allowWatchBookmarks: o.AllowWatchBookmarks, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct)));

    public static SharedIndexInformer<V1Job> Jobs(this SharedInformerFactory factory) =>
        factory.For("jobs", "*v1.Job", () => new ListerWatcher<V1Job, V1JobList>(
            (o, ct) => factory.Client.BatchV1.ListJobForAllNamespacesAsync(continueParameter: o.Continue, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct),
            (o, onError, ct) => factory.Client.BatchV1.WatchListJobForAllNamespacesAsync(allowWatchBookmarks: o.AllowWatchBookmarks, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct)));

    public static SharedIndexInformer<V1CronJob> CronJobs(this SharedInformerFactory factory) =>
        factory.For("cronjobs", "*v1.CronJob", () => new ListerWatcher<V1CronJob, V1CronJobList>(
            (o, ct) => factory.Client.BatchV1.ListCronJobForAllNamespacesAsync(continueParameter: o.Continue, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct),
            (o, onError, ct) => factory.Client.BatchV1.WatchListCronJobForAllNamespacesAsync(allowWatchBookmarks: o.AllowWatchBookmarks, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct)));

    public static SharedIndexInformer<V1Service> Services(this SharedInformerFactory factory) =>
        factory.For("services", "*v1.Service", () => new ListerWatcher<V1Service, V1ServiceList>(
            (o, ct) => factory.Client.CoreV1.ListServiceForAllNamespacesAsync(continueParameter: o.Continue, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct),
            (o, onError, ct) => factory.Client.CoreV1.WatchListServiceForAllNamespacesAsync(allowWatchBookmarks: o.AllowWatchBookmarks, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct)));

    public static SharedIndexInformer<V1Endpoints> Endpoints(this SharedInformerFactory factory) =>
        factory.For("endpoints", "*v1.Endpoints", () => new ListerWatcher<V1Endpoints, V1EndpointsList>(
            (o, ct) => factory.Client.CoreV1.ListEndpointsForAllNamespacesAsync(continueParameter: o.Continue, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct),
            (o, onError, ct) => factory.Client.CoreV1.WatchListEndpointsForAllNamespacesAsync(allowWatchBookmarks: o.AllowWatchBookmarks, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct)));

    public static SharedIndexInformer<V1EndpointSlice> EndpointSlices(this SharedInformerFactory factory) =>
        factory.For("endpointslices", "*v1.EndpointSlice", () => new ListerWatcher<V1EndpointSlice, V1EndpointSliceList>(
            (o, ct) => factory.Client.DiscoveryV1.ListEndpointSliceForAllNamespacesAsync(continueParameter: o.Continue, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct),
            (o, onError, ct) => factory.Client.DiscoveryV1.WatchListEndpointSliceForAllNamespacesAsync(allowWatchBookmarks: o.AllowWatchBookmarks, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct)));

    public static SharedIndexInformer<V1ServiceAccount> ServiceAccounts(this SharedInformerFactory factory) =>
        factory.For("serviceaccounts", "*v1.ServiceAccount", () => new ListerWatcher<V1ServiceAccount, V1ServiceAccountList>(
            (o, ct) => factory.Client.CoreV1.ListServiceAccountForAllNamespacesAsync(continueParameter: o.Continue, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct),
            (o, onError, ct) => factory.Client.CoreV1.WatchListServiceAccountForAllNamespacesAsync(allowWatchBookmarks: o.AllowWatchBookmarks, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct)));

    public static SharedIndexInformer<V1ConfigMap> ConfigMaps(this SharedInformerFactory factory) =>
        factory.For("configmaps", "*v1.ConfigMap", () => new ListerWatcher<V1ConfigMap, V1ConfigMapList>(
            (o, ct) => factory.Client.CoreV1.ListConfigMapForAllNamespacesAsync(continueParameter: o.Continue, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct),
            (o, onError, ct) => factory.Client.CoreV1.WatchListConfigMapForAllNamespacesAsync(allowWatchBookmarks: o.AllowWatchBookmarks, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct)));

    public static SharedIndexInformer<V1PersistentVolumeClaim> PersistentVolumeClaims(this SharedInformerFactory factory) =>
        factory.For("persistentvolumeclaims", "*v1.PersistentVolumeClaim", () => new ListerWatcher<V1PersistentVolumeClaim, V1PersistentVolumeClaimList>(
            (o, ct) => factory.Client.CoreV1.ListPersistentVolumeClaimForAllNamespacesAsync(continueParameter: o.Continue, limit: o.Limit, resourceVersion: o.ResourceVersion, resourceVersionMatch: o.ResourceVersionMatch, cancellationToken: ct),
            (o, onError, ct) => factory.Client.CoreV1.WatchListPersistentVolumeClaimForAllNamespacesAsync(allowWatchBookmarks: o.AllowWatchBookmarks, resourceVersion: o.ResourceVersion, timeoutSeconds: o.TimeoutSeconds, onError: onError, cancellationToken: ct)));
}
