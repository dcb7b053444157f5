using ControllerManager.CronJob;
using ControllerManager.DaemonSet;
using ControllerManager.Deployment;
using ControllerManager.Disruption;
using ControllerManager.Endpoints;
using ControllerManager.GarbageCollector;
using ControllerManager.Job;
using ControllerManager.NodeLifecycle;
using ControllerManager.PodGC;
using ControllerManager.ReplicaSet;
using ControllerManager.StatefulSet;

namespace ControllerManager.Infrastructure;

/// <summary>One controller kube-controller-manager can run: its name, whether "*" includes it, how to make it.</summary>
internal sealed record ControllerDescriptor(string Name, Func<ControllerContext, IController> Create, bool DisabledByDefault = false);

/// <summary>
/// The controllers this controller manager has (kube's NewControllerDescriptors). The namespace,
/// resource-quota and service-account controllers also run inside our API server (so it is useful
/// alone); they are off by default here and run only when named (--controllers=*,namespace,...), with
/// the server's copies turned off (its --builtin-controllers), so the two never act on one object.
/// </summary>
internal static class ControllerRegistry
{
    public static IReadOnlyList<ControllerDescriptor> All { get; } =
    [
        new(ControllerNames.ReplicaSet, ReplicaSetController.ForReplicaSets),
        new(ControllerNames.ReplicationController, ReplicaSetController.ForReplicationControllers),
        new(ControllerNames.Deployment, DeploymentController.Create),
        new(ControllerNames.GarbageCollector, c => new GarbageCollector.GarbageCollector(c)),
        new(ControllerNames.NodeLifecycle, c => new NodeLifecycleController(c)),
        new(ControllerNames.TaintEviction, c => new TaintEvictionController(c)),
        new(ControllerNames.PodGarbageCollector, c => new PodGcController(c)),
        new(ControllerNames.Endpoints, c => new EndpointsController(c)),
        new(ControllerNames.EndpointSlice, c => new EndpointSliceController(c)),
        new(ControllerNames.EndpointSliceMirroring, c => new EndpointSliceMirroringController(c)),
        new(ControllerNames.Job, c => new JobController(c)),
        new(ControllerNames.CronJob, c => new CronJobController(c)),
        new(ControllerNames.DaemonSet, c => new DaemonSetController(c)),
        new(ControllerNames.StatefulSet, c => new StatefulSetController(c)),
        new(ControllerNames.TtlAfterFinished, c => new TtlAfterFinishedController(c)),
        new(ControllerNames.RootCaPublisher, c => new RootCaPublisher.RootCaPublisher(c, c.Settings.RootCaPem)),
        new(ControllerNames.Disruption, c => new DisruptionController(c)),
        new(ControllerNames.Namespace, c => new Namespace.NamespaceController(c), DisabledByDefault: true),
        new(ControllerNames.ResourceQuota, c => new ResourceQuota.ResourceQuotaController(c), DisabledByDefault: true),
        new(ControllerNames.ServiceAccount, c => new ServiceAccount.ServiceAccountsController(c), DisabledByDefault: true),
    ];

    public static ISet<string> DisabledByDefault { get; } = All.Where(d => d.DisabledByDefault).Select(d => d.Name).ToHashSet(StringComparer.Ordinal);

    public static ISet<string> Known { get; } = All.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);

    public static IEnumerable<ControllerDescriptor> Enabled(IReadOnlyList<string> controllers) =>
        All.Where(d => ControllerNames.IsEnabled(d.Name, controllers, DisabledByDefault));
}
