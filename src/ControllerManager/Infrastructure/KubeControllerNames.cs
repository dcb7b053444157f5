namespace ControllerManager.Infrastructure;

/// <summary>
/// kube-controller-manager's controllers that this one does not have (cloud, IPAM, volumes, certificates,
/// tokens, ...): naming them in --controllers is accepted with a warning, as kubeadm's manifest
/// names bootstrapsigner and tokencleaner.
/// </summary>
internal static class KubeControllerNames
{
    private static readonly HashSet<string> NotImplemented = new(StringComparer.Ordinal)
    {
        "bootstrap-signer-controller", "bootstrapsigner", "token-cleaner-controller", "tokencleaner",
        "certificatesigningrequest-approving-controller", "csrapproving", "certificatesigningrequest-cleaner-controller", "csrcleaner",
        "certificatesigningrequest-signing-controller", "csrsigning", "cloud-node-lifecycle-controller", "cloud-node-lifecycle",
        "clusterrole-aggregation-controller", "clusterrole-aggregation",
        "ephemeral-volume-controller", "ephemeral-volume", "horizontal-pod-autoscaler-controller", "horizontalpodautoscaling",
        "legacy-serviceaccount-token-cleaner-controller", "legacy-service-account-token-cleaner", "node-ipam-controller", "nodeipam",
        "node-route-controller", "route", "persistentvolume-attach-detach-controller", "attachdetach",
        "persistentvolume-binder-controller", "persistentvolume-binder", "persistentvolume-expander-controller", "persistentvolume-expander",
        "persistentvolume-protection-controller", "pv-protection", "persistentvolumeclaim-protection-controller", "pvc-protection",
        "resourceclaim-controller", "resource-claim-controller", "service-cidr-controller", "service-lb-controller", "service",
        "serviceaccount-token-controller", "serviceaccount-token", "storageversion-garbage-collector-controller", "storage-version-gc",
        "ttl-controller", "ttl", "validatingadmissionpolicy-status-controller", "selinux-warning-controller",
        "kube-apiserver-serving-clustertrustbundle-publisher-controller", "device-taint-eviction-controller",
    };

    public static bool IsKubes(string name) => NotImplemented.Contains(name.TrimStart('-'));
}
