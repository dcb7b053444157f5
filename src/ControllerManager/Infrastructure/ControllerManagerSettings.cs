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
        var rs = flags.Int("concurrent-replicaset-syncs", d.ConcurrentReplicaSetSyncs, "Workers of the ReplicaSet controller: how many ReplicaSets it reconciles at once.");
        var rc = flags.Int("concurrent-rc-syncs", d.ConcurrentRcSyncs, "Workers of the ReplicationController controller (the ReplicaSet controller's logic run over ReplicationControllers).");
        var deploy = flags.Int("concurrent-deployment-syncs", d.ConcurrentDeploymentSyncs, "Workers of the Deployment controller: how many Deployments it rolls out at once.");
        var gc = flags.Int("concurrent-gc-syncs", d.ConcurrentGcSyncs, "Workers of the garbage collector that examine owner references and delete or orphan dependents.");
        var ep = flags.Int("concurrent-endpoint-syncs", d.ConcurrentEndpointSyncs, "Workers of the Endpoints controller: how many Services' Endpoints objects it rewrites at once.");
        var eps = flags.Int("concurrent-service-endpoint-syncs", d.ConcurrentServiceEndpointSyncs, "Workers of the EndpointSlice controller: how many Services' EndpointSlices it rewrites at once.");
        var sa = flags.Int("concurrent-serviceaccount-token-syncs", d.ConcurrentServiceAccountSyncs, "Taken for compatibility and unused: this controller manager has no token controller (no legacy service-account token Secrets are made).");
        var perSlice = flags.Int("max-endpoints-per-slice", d.MaxEndpointsPerSlice, "Most endpoints the EndpointSlice controller puts in one slice (1 to 1000); a Service with more gets several slices.");
        var mirroringSyncs = flags.Int("mirroring-concurrent-service-endpoint-syncs", d.MirroringConcurrentServiceEndpointSyncs, "Workers of the EndpointSlice mirroring controller, which copies hand-made Endpoints into EndpointSlices.");
        var mirroringMax = flags.Int("mirroring-max-endpoints-per-subset", d.MirroringMaxEndpointsPerSubset, "Most endpoints the mirroring controller copies from one Endpoints subset into slices (1 to 1000); the rest are skipped, with a warning event.");
        flags.Accept("changes are mirrored as they come (no batching)", "mirroring-endpointslice-updates-batch-period");
        var job = flags.Int("concurrent-job-syncs", d.ConcurrentJobSyncs, "Workers of the Job controller: how many Jobs it reconciles at once.");
        var cron = flags.Int("concurrent-cron-job-syncs", d.ConcurrentCronJobSyncs, "Workers of the CronJob controller: how many CronJobs it checks at once.");
        var ds = flags.Int("concurrent-daemonset-syncs", d.ConcurrentDaemonSetSyncs, "Workers of the DaemonSet controller: how many DaemonSets it reconciles at once.");
        var sts = flags.Int("concurrent-statefulset-syncs", d.ConcurrentStatefulSetSyncs, "Workers of the StatefulSet controller: how many StatefulSets it reconciles at once.");
        var ttl = flags.Int("concurrent-ttl-after-finished-syncs", d.ConcurrentTtlSyncs, "Workers of the TTL-after-finished controller, which deletes finished Jobs whose ttlSecondsAfterFinished has run out.");
        var ns = flags.Int("concurrent-namespace-syncs", d.ConcurrentNamespaceSyncs, "Workers of the namespace controller (when it runs here): how many terminating namespaces it empties at once.");
        var quota = flags.Int("concurrent-resource-quota-syncs", d.ConcurrentResourceQuotaSyncs, "Workers of the resource quota controller (when it runs here): how many ResourceQuotas it recounts at once.");
        var quotaPeriod = flags.Duration("resource-quota-sync-period", d.ResourceQuotaSyncPeriod, "How often the resource quota controller recounts every quota's usage in full, besides reacting to changes.");
        var enableGc = flags.Bool("enable-garbage-collector", d.EnableGarbageCollector, "Run the garbage collector (owner references, cascading deletion). Turn it off only together with the API server's flag of the same name.");
        var monitor = flags.Duration("node-monitor-period", d.NodeMonitorPeriod, "How often the node lifecycle controller looks at every node's heartbeat.");
        var grace = flags.Duration("node-monitor-grace-period", d.NodeMonitorGracePeriod, "How long a node that was Ready may go without a heartbeat (Lease or status) before its Ready condition becomes Unknown.");
        var startup = flags.Duration("node-startup-grace-period", d.NodeStartupGracePeriod, "Like --node-monitor-grace-period, for a node that has never reported Ready yet.");
        var podGc = flags.Int("terminated-pod-gc-threshold", d.TerminatedPodGcThreshold, "How many terminated (Succeeded or Failed) pods may exist; the pod garbage collector deletes the oldest beyond that. 0 or less: no limit.");
        var rootCa = flags.String("root-ca-file", d.RootCaFile, "PEM CA bundle the root CA publisher writes into each namespace's kube-root-ca.crt ConfigMap (default: the CA of --kubeconfig).");
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
