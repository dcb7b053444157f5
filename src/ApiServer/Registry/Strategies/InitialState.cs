using System.Text.Json.Nodes;

namespace ApiServer.Registry.Strategies;

/// <summary>
/// What kube's strategies set on create (PrepareForCreate): the status an object starts with — the
/// zero value of its Go status struct as kube serializes it (fields without omitempty are written,
/// non-pointer structs are {}), plus what defaulting fills in on the way back from storage (a
/// PersistentVolume's and claim's Pending phase) — and which kinds start at generation 1.
/// </summary>
internal static class InitialState
{
    private static readonly Dictionary<(string Group, string Kind), string> Statuses = new()
    {
        [("", "Service")] = """{"loadBalancer":{}}""",
        [("", "PersistentVolume")] = """{"phase":"Pending"}""",
        [("", "PersistentVolumeClaim")] = """{"phase":"Pending"}""",
        [("", "ReplicationController")] = """{"replicas":0}""",
        [("", "ResourceQuota")] = "{}",
        [("apps", "Deployment")] = "{}",
        [("apps", "ReplicaSet")] = """{"replicas":0}""",
        [("apps", "StatefulSet")] = """{"replicas":0,"availableReplicas":0}""",
        [("apps", "DaemonSet")] = """{"currentNumberScheduled":0,"numberMisscheduled":0,"desiredNumberScheduled":0,"numberReady":0}""",
        [("batch", "Job")] = "{}",
        [("batch", "CronJob")] = "{}",
        [("autoscaling", "HorizontalPodAutoscaler")] = """{"desiredReplicas":0}""",
        [("policy", "PodDisruptionBudget")] = """{"disruptionsAllowed":0,"currentHealthy":0,"desiredHealthy":0,"expectedPods":0}""",
        [("networking.k8s.io", "Ingress")] = """{"loadBalancer":{}}""",
        [("networking.k8s.io", "ServiceCIDR")] = "{}",
        [("certificates.k8s.io", "CertificateSigningRequest")] = "{}",
        [("storage.k8s.io", "VolumeAttachment")] = """{"attached":false}""",
        [("resource.k8s.io", "ResourceClaim")] = "{}",
        [("admissionregistration.k8s.io", "ValidatingAdmissionPolicy")] = "{}",
        [("apiregistration.k8s.io", "APIService")] = "{}",
        [("flowcontrol.apiserver.k8s.io", "FlowSchema")] = "{}",
        [("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration")] = "{}",
    };

    /// <summary>Kinds whose strategies set metadata.generation = 1 on create and bump it when the spec changes.</summary>
    private static readonly HashSet<(string Group, string Kind)> Generation =
    [
        ("", "Pod"), ("", "ReplicationController"),
        ("apps", "Deployment"), ("apps", "ReplicaSet"), ("apps", "StatefulSet"), ("apps", "DaemonSet"),
        ("batch", "Job"), ("batch", "CronJob"),
        ("policy", "PodDisruptionBudget"),
        ("networking.k8s.io", "Ingress"), ("networking.k8s.io", "IngressClass"), ("networking.k8s.io", "NetworkPolicy"),
        ("discovery.k8s.io", "EndpointSlice"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"), ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"), ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"), ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("resource.k8s.io", "DeviceClass"), ("resource.k8s.io", "ResourceSlice"),
    ];

    /// <summary>A fresh copy of the kind's initial status, or null when the kind starts without one.</summary>
    public static JsonObject? Status(string group, string kind) =>
        Statuses.TryGetValue((group, kind), out var json) ? (JsonObject)JsonNode.Parse(json)! : null;

    public static bool TracksGeneration(string group, string kind) => Generation.Contains((group, kind));
}
