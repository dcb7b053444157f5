namespace ControllerManager.Infrastructure;

/// <summary>
/// kube-controller-manager's controller names (cmd/kube-controller-manager/names) and the short
/// aliases its --controllers flag still accepts, and kube's rule for which ones run.
/// </summary>
internal static class ControllerNames
{
    public const string ReplicaSet = "replicaset-controller";
    public const string ReplicationController = "replicationcontroller-controller";
    public const string Deployment = "deployment-controller";
    public const string GarbageCollector = "garbage-collector-controller";
    public const string NodeLifecycle = "node-lifecycle-controller";
    public const string TaintEviction = "taint-eviction-controller";
    public const string PodGarbageCollector = "pod-garbage-collector-controller";
    public const string Endpoints = "endpoints-controller";
    public const string EndpointSlice = "endpointslice-controller";
    public const string EndpointSliceMirroring = "endpointslice-mirroring-controller";
    public const string ServiceAccount = "serviceaccount-controller";
    public const string RootCaPublisher = "root-ca-certificate-publisher-controller";
    public const string Job = "job-controller";
    public const string CronJob = "cronjob-controller";
    public const string DaemonSet = "daemonset-controller";
    public const string StatefulSet = "statefulset-controller";
    public const string TtlAfterFinished = "ttl-after-finished-controller";
    public const string Disruption = "disruption-controller";
    public const string Namespace = "namespace-controller";
    public const string ResourceQuota = "resourcequota-controller";

    /// <summary>The aliases kube keeps for the names before 1.29 (e.g. "replicaset", "nodelifecycle", "podgc").</summary>
    public static readonly IReadOnlyDictionary<string, string> Aliases = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["replicaset"] = ReplicaSet,
        ["replicationcontroller"] = ReplicationController,
        ["deployment"] = Deployment,
        ["garbagecollector"] = GarbageCollector,
        ["nodelifecycle"] = NodeLifecycle,
        ["taint-eviction-controller"] = TaintEviction,
        ["podgc"] = PodGarbageCollector,
        ["endpoint"] = Endpoints,
        ["endpointslice"] = EndpointSlice,
        ["endpointslicemirroring"] = EndpointSliceMirroring,
        ["serviceaccount"] = ServiceAccount,
        ["root-ca-cert-publisher"] = RootCaPublisher,
        ["job"] = Job,
        ["cronjob"] = CronJob,
        ["daemonset"] = DaemonSet,
        ["statefulset"] = StatefulSet,
        ["ttl-after-finished"] = TtlAfterFinished,
        ["disruption"] = Disruption,
        ["namespace"] = Namespace,
        ["resourcequota"] = ResourceQuota,
    };

    /// <summary>The canonical name for <paramref name="name"/> (an alias or a name).</summary>
    public static string Canonical(string name) => Aliases.TryGetValue(name, out var canonical) ? canonical : name;

    /// <summary>
    /// kube's IsControllerEnabled: the first entry naming the controller ("foo" or "-foo") decides;
    /// otherwise "*" turns on every controller that is not off by default, and without "*" nothing else runs.
    /// </summary>
    public static bool IsEnabled(string name, IReadOnlyList<string> controllers, ISet<string> disabledByDefault)
    {
        var hasStar = false;
        foreach (var entry in controllers)
        {
            if (entry == "*")
            {
                hasStar = true;
                continue;
            }

            var off = entry.StartsWith('-');
            if (Canonical(off ? entry[1..] : entry) == name)
            {
                return !off;
            }
        }

        return hasStar && !disabledByDefault.Contains(name);
    }

    /// <summary>Entries that name no known controller (kube refuses them at start).</summary>
    public static IEnumerable<string> Unknown(IReadOnlyList<string> controllers, ISet<string> known) =>
        controllers.Where(c => c != "*" && !known.Contains(Canonical(c.TrimStart('-'))));
}
