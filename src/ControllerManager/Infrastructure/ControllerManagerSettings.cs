using ClientTools.CommandLine;

namespace ControllerManager.Infrastructure;

/// <summary>kube-controller-manager's flags for its controllers, with kube 1.35's defaults.</summary>
internal sealed record ControllerManagerSettings
{
    public int ConcurrentReplicaSetSyncs { get; init; } = 5;

    public int ConcurrentRcSyncs { get; init; } = 5;

    public int ConcurrentDeploymentSyncs { get; init; } = 5;

    public int ConcurrentGcSyncs { get; init; } = 20;

    public int ConcurrentEndpointSyncs { get; init; } = 5;

    public int ConcurrentServiceEndpointSyncs { get; init; } = 5;

    public int ConcurrentServiceAccountSyncs { get; init; } = 5;

    public int MaxEndpointsPerSlice { get; init; } = 100;

    public int MirroringConcurrentServiceEndpointSyncs { get; init; } = 5;

    public int MirroringMaxEndpointsPerSubset { get; init; } = 1000;

    public int ConcurrentJobSyncs { get; init; } = 5;

    public int ConcurrentCronJobSyncs { get; init; } = 5;

    public int ConcurrentDaemonSetSyncs { get; init; } = 2;

    public int ConcurrentStatefulSetSyncs { get; init; } = 5;

    public int ConcurrentTtlSyncs { get; init; } = 5;

    public int ConcurrentNamespaceSyncs { get; init; } = 10;

    public int ConcurrentResourceQuotaSyncs { get; init; } = 5;

    public TimeSpan ResourceQuotaSyncPeriod { get; init; } = TimeSpan.FromMinutes(5);

    public bool EnableGarbageCollector { get; init; } = true;

    public TimeSpan NodeMonitorPeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>kube 1.35's default is 50 s (the seeds' 40 s was the default before 1.32).</summary>
    public TimeSpan NodeMonitorGracePeriod { get; init; } = TimeSpan.FromSeconds(50);

    public TimeSpan NodeStartupGracePeriod { get; init; } = TimeSpan.FromMinutes(1);

    public int TerminatedPodGcThreshold { get; init; } = 12500;

    /// <summary>How often pod GC looks (kube's gcCheckPeriod, 20 s; a hidden knob here for tests).</summary>
    public TimeSpan PodGcPeriod { get; init; } = TimeSpan.FromSeconds(20);

    public string RootCaFile { get; init; } = "";

    /// <summary>The cluster's CA bundle (PEM) the root CA publisher writes: --root-ca-file's, else the kubeconfig's CA.</summary>
    public string RootCaPem { get; init; } = "";

    /// <summary>Registers the flags on <paramref name="flags"/>; <see cref="From"/> reads them after parsing.</summary>
    public static Func<ControllerManagerSettings> Register(FlagSet flags)
    {
        var d = new ControllerManagerSettings();
        var rs = flags.Int("concurrent-replicaset-syncs", d.ConcurrentReplicaSetSyncs, "The number of replica sets that are allowed to sync concurrently.");
        var rc = flags.Int("concurrent-rc-syncs", d.ConcurrentRcSyncs, "The number of replication controllers that are allowed to sync concurrently.");
        var deploy = flags.Int("concurrent-deployment-syncs", d.ConcurrentDeploymentSyncs, "The number of deployment objects that are allowed to sync concurrently.");
        var gc = flags.Int("concurrent-gc-syncs", d.ConcurrentGcSyncs, "The number of garbage collector workers that are allowed to sync concurrently.");
        var ep = flags.Int("concurrent-endpoint-syncs", d.ConcurrentEndpointSyncs, "The number of endpoint syncing operations that will be done concurrently.");
        var eps = flags.Int("concurrent-service-endpoint-syncs", d.ConcurrentServiceEndpointSyncs, "The number of service endpoint syncing operations that will be done concurrently.");
        var sa = flags.Int("concurrent-serviceaccount-token-syncs", d.ConcurrentServiceAccountSyncs, "The number of service account token objects that are allowed to sync concurrently.");
        var perSlice = flags.Int("max-endpoints-per-slice", d.MaxEndpointsPerSlice, "The maximum number of endpoints that will be added to an EndpointSlice. More endpoints per slice will result in less endpoint slices, but larger resources. Defaults to 100.");
        var mirroringSyncs = flags.Int("mirroring-concurrent-service-endpoint-syncs", d.MirroringConcurrentServiceEndpointSyncs, "The number of service endpoint syncing operations that will be done concurrently by the endpointslice-mirroring-controller. Larger number = faster endpoint slice updating, but more CPU (and network) load. Defaults to 5.");
        var mirroringMax = flags.Int("mirroring-max-endpoints-per-subset", d.MirroringMaxEndpointsPerSubset, "The maximum number of endpoints that will be added to an EndpointSlice by the endpointslice-mirroring-controller. More endpoints per slice will result in less endpoint slices, but larger resources. Defaults to 100.");
        flags.Accept("changes are mirrored as they come (no batching)", "mirroring-endpointslice-updates-batch-period");
        var job = flags.Int("concurrent-job-syncs", d.ConcurrentJobSyncs, "The number of job objects that are allowed to sync concurrently.");
        var cron = flags.Int("concurrent-cron-job-syncs", d.ConcurrentCronJobSyncs, "The number of cron job objects that are allowed to sync concurrently.");
        var ds = flags.Int("concurrent-daemonset-syncs", d.ConcurrentDaemonSetSyncs, "The number of daemonset objects that are allowed to sync concurrently.");
        var sts = flags.Int("concurrent-statefulset-syncs", d.ConcurrentStatefulSetSyncs, "The number of statefulset objects that are allowed to sync concurrently.");
        var ttl = flags.Int("concurrent-ttl-after-finished-syncs", d.ConcurrentTtlSyncs, "The number of ttl-after-finished-controller workers that are allowed to sync concurrently.");
        var ns = flags.Int("concurrent-namespace-syncs", d.ConcurrentNamespaceSyncs, "The number of namespace objects that are allowed to sync concurrently.");
        var quota = flags.Int("concurrent-resource-quota-syncs", d.ConcurrentResourceQuotaSyncs, "The number of resource quotas that are allowed to sync concurrently. Larger number = more responsive quota management, but more CPU (and network) load");
        var quotaPeriod = flags.Duration("resource-quota-sync-period", d.ResourceQuotaSyncPeriod, "The period for syncing quota usage status in the system");
        var enableGc = flags.Bool("enable-garbage-collector", d.EnableGarbageCollector, "Enables the generic garbage collector. MUST be synced with the corresponding flag of the kube-apiserver.");
        var monitor = flags.Duration("node-monitor-period", d.NodeMonitorPeriod, "The period for syncing NodeStatus in cloud-node-lifecycle-controller.");
        var grace = flags.Duration("node-monitor-grace-period", d.NodeMonitorGracePeriod, "Amount of time which we allow running Node to be unresponsive before marking it unhealthy.");
        var startup = flags.Duration("node-startup-grace-period", d.NodeStartupGracePeriod, "Amount of time which we allow starting Node to be unresponsive before marking it unhealthy.");
        var podGc = flags.Int("terminated-pod-gc-threshold", d.TerminatedPodGcThreshold, "Number of terminated pods that can exist before the terminated pod garbage collector starts deleting terminated pods. If <= 0, the terminated pod garbage collector is disabled.");
        var rootCa = flags.String("root-ca-file", d.RootCaFile, "If set, this root certificate authority will be included in service account's token secret. This must be a valid PEM-encoded CA bundle.");
        return () => d with
        {
            ConcurrentReplicaSetSyncs = rs.Value,
            ConcurrentRcSyncs = rc.Value,
            ConcurrentDeploymentSyncs = deploy.Value,
            ConcurrentGcSyncs = gc.Value,
            ConcurrentEndpointSyncs = ep.Value,
            ConcurrentServiceEndpointSyncs = eps.Value,
            ConcurrentServiceAccountSyncs = sa.Value,
            MaxEndpointsPerSlice = Math.Clamp(perSlice.Value, 1, 1000),
            MirroringConcurrentServiceEndpointSyncs = mirroringSyncs.Value,
            MirroringMaxEndpointsPerSubset = Math.Clamp(mirroringMax.Value, 1, 1000),
            ConcurrentJobSyncs = job.Value,
            ConcurrentCronJobSyncs = cron.Value,
            ConcurrentDaemonSetSyncs = ds.Value,
            ConcurrentStatefulSetSyncs = sts.Value,
            ConcurrentTtlSyncs = ttl.Value,
            ConcurrentNamespaceSyncs = ns.Value,
            ConcurrentResourceQuotaSyncs = quota.Value,
            ResourceQuotaSyncPeriod = quotaPeriod.Value,
            EnableGarbageCollector = enableGc.Value,
            NodeMonitorPeriod = monitor.Value,
            NodeMonitorGracePeriod = grace.Value,
            NodeStartupGracePeriod = startup.Value,
            TerminatedPodGcThreshold = podGc.Value,
            RootCaFile = rootCa.Value,
        };
    }
}
