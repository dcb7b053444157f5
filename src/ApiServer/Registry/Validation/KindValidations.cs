using System.Text.Json.Nodes;
using ApiMachinery.Validation;

namespace ApiServer.Registry.Validation;

/// <summary>How much of kube's validation of a kind this server applies (the README lists both kinds).</summary>
internal enum ValidationCoverage
{
    /// <summary>kube's rules for the kind, with its field paths and messages.</summary>
    Full,

    /// <summary>kube's main rules (required fields, enumerations, immutability); see the group's file for what is left out.</summary>
    Partial,
}

/// <summary>
/// One kind's validation beyond object metadata (which the generic store checks for every kind):
/// on create, on a main-resource update, on a status update; plus the kind's name rule when it is
/// not a DNS subdomain.
/// </summary>
internal sealed record KindValidation(
    Action<JsonObject, List<FieldError>> Create,
    Action<JsonObject, JsonObject, List<FieldError>>? Update = null,
    Action<JsonObject, JsonObject, List<FieldError>>? StatusUpdate = null,
    ValidateNameFunc? Name = null,
    ValidationCoverage Coverage = ValidationCoverage.Full)
{
    public List<FieldError> ValidateCreate(JsonObject obj)
    {
        var errs = new List<FieldError>();
        Create(obj, errs);
        return errs;
    }

    /// <summary>kube's ValidateXUpdate: the new object's own validation plus what may not change.</summary>
    public List<FieldError> ValidateUpdate(JsonObject obj, JsonObject old)
    {
        var errs = new List<FieldError>();
        if (Update is not null)
        {
            Update(obj, old, errs);
        }
        else
        {
            Create(obj, errs);
        }
        return errs;
    }

    public List<FieldError> ValidateStatusUpdate(JsonObject obj, JsonObject old)
    {
        var errs = new List<FieldError>();
        StatusUpdate?.Invoke(obj, old, errs);
        return errs;
    }
}

/// <summary>
/// Where each built-in kind's validation lives: one line per kind, pointing into the file of its API
/// group (CoreValidation, PodValidation, AppsValidation, BatchValidation, ...). A kind not listed
/// has metadata validation only.
/// </summary>
internal static class KindValidations
{
    private static readonly Dictionary<(string Group, string Kind), KindValidation> Table = new()
    {
        // core/v1
        [("", "Pod")] = new(PodValidation.Pod, PodValidation.PodUpdate, PodValidation.PodStatusUpdate, Coverage: ValidationCoverage.Partial),
        [("", "PodTemplate")] = new(PodValidation.PodTemplate, Coverage: ValidationCoverage.Partial),
        [("", "ReplicationController")] = new(CoreValidation.ReplicationController, StatusUpdate: CoreValidation.ReplicationControllerStatusUpdate),
        [("", "ConfigMap")] = new(CoreValidation.ConfigMap, CoreValidation.ConfigMapUpdate),
        [("", "Secret")] = new(CoreValidation.Secret, CoreValidation.SecretUpdate),
        [("", "Service")] = new(CoreValidation.Service, CoreValidation.ServiceUpdate, CoreValidation.ServiceStatusUpdate, NameValidation.NameIsDNS1035Label, ValidationCoverage.Partial),
        [("", "Endpoints")] = new(CoreValidation.Endpoints),
        [("", "Namespace")] = new(CoreValidation.Namespace, StatusUpdate: CoreValidation.NamespaceStatusUpdate, Name: NameValidation.NameIsDNSLabel),
        [("", "Node")] = new(CoreValidation.Node, CoreValidation.NodeUpdate, (n, o, e) => CoreValidation.Node(n, e), Coverage: ValidationCoverage.Partial),
        [("", "PersistentVolume")] = new(CoreValidation.PersistentVolume, CoreValidation.PersistentVolumeUpdate, CoreValidation.PersistentVolumeStatusUpdate, Coverage: ValidationCoverage.Partial),
        [("", "PersistentVolumeClaim")] = new(CoreValidation.PersistentVolumeClaim, CoreValidation.PersistentVolumeClaimUpdate, Coverage: ValidationCoverage.Partial),
        [("", "LimitRange")] = new(CoreValidation.LimitRange),
        [("", "ResourceQuota")] = new(CoreValidation.ResourceQuota, StatusUpdate: CoreValidation.ResourceQuotaStatusUpdate),
        [("", "Event")] = new(CoreValidation.Event, Name: NameValidation.ValidatePathSegmentName, Coverage: ValidationCoverage.Partial),
        [("events.k8s.io", "Event")] = new(EventsValidation.Create, EventsValidation.Update),

        // apps/v1
        [("apps", "Deployment")] = new(AppsValidation.Deployment, AppsValidation.DeploymentUpdate, AppsValidation.DeploymentStatusUpdate),
        [("apps", "ReplicaSet")] = new(AppsValidation.ReplicaSet, AppsValidation.ReplicaSetUpdate, AppsValidation.ReplicaSetStatusUpdate),
        [("apps", "StatefulSet")] = new(AppsValidation.StatefulSet, AppsValidation.StatefulSetUpdate, AppsValidation.StatefulSetStatusUpdate, NameValidation.NameIsDNSLabel),
        [("apps", "DaemonSet")] = new(AppsValidation.DaemonSet, AppsValidation.DaemonSetUpdate, AppsValidation.DaemonSetStatusUpdate),
        [("apps", "ControllerRevision")] = new(AppsValidation.ControllerRevision, AppsValidation.ControllerRevisionUpdate),

        // batch/v1
        [("batch", "Job")] = new(BatchValidation.Job, BatchValidation.JobUpdate, BatchValidation.JobStatusUpdate, Coverage: ValidationCoverage.Partial),
        [("batch", "CronJob")] = new(BatchValidation.CronJob, BatchValidation.CronJobUpdate),

        // rbac.authorization.k8s.io/v1: names are path segments ("system:node").
        [("rbac.authorization.k8s.io", "Role")] = new(RbacValidation.Role, Name: NameValidation.ValidatePathSegmentName),
        [("rbac.authorization.k8s.io", "ClusterRole")] = new(RbacValidation.ClusterRole, Name: NameValidation.ValidatePathSegmentName),
        [("rbac.authorization.k8s.io", "RoleBinding")] = new(RbacValidation.RoleBinding, (b, o, e) => RbacValidation.BindingUpdate(b, o, e, namespaced: true), Name: NameValidation.ValidatePathSegmentName),
        [("rbac.authorization.k8s.io", "ClusterRoleBinding")] = new(RbacValidation.ClusterRoleBinding, (b, o, e) => RbacValidation.BindingUpdate(b, o, e, namespaced: false), Name: NameValidation.ValidatePathSegmentName),

        // networking.k8s.io/v1
        [("networking.k8s.io", "Ingress")] = new(NetworkingValidation.Ingress, StatusUpdate: NetworkingValidation.IngressStatusUpdate),
        [("networking.k8s.io", "IngressClass")] = new(NetworkingValidation.IngressClass, NetworkingValidation.IngressClassUpdate),
        [("networking.k8s.io", "NetworkPolicy")] = new(NetworkingValidation.NetworkPolicy, Coverage: ValidationCoverage.Partial),
        [("networking.k8s.io", "IPAddress")] = new(NetworkingValidation.IPAddress, NetworkingValidation.IPAddressUpdate, Name: NetworkingValidation.IPAddressName, Coverage: ValidationCoverage.Partial),
        [("networking.k8s.io", "ServiceCIDR")] = new(NetworkingValidation.ServiceCIDR, NetworkingValidation.ServiceCIDRUpdate, Coverage: ValidationCoverage.Partial),

        // storage.k8s.io/v1
        [("storage.k8s.io", "StorageClass")] = new(StorageValidation.StorageClass, StorageValidation.StorageClassUpdate),
        [("storage.k8s.io", "CSIDriver")] = new(StorageValidation.CsiDriver, StorageValidation.CsiDriverUpdate, Name: StorageValidation.CsiDriverName, Coverage: ValidationCoverage.Partial),
        [("storage.k8s.io", "CSINode")] = new(StorageValidation.CsiNode, Coverage: ValidationCoverage.Partial),
        [("storage.k8s.io", "CSIStorageCapacity")] = new(StorageValidation.CsiStorageCapacity, Coverage: ValidationCoverage.Partial),
        [("storage.k8s.io", "VolumeAttachment")] = new(StorageValidation.VolumeAttachment, StorageValidation.VolumeAttachmentUpdate, StorageValidation.VolumeAttachmentStatusUpdate, Coverage: ValidationCoverage.Partial),
        [("storage.k8s.io", "VolumeAttributesClass")] = new(StorageValidation.VolumeAttributesClass, StorageValidation.VolumeAttributesClassUpdate),

        // policy, coordination, scheduling, node
        [("policy", "PodDisruptionBudget")] = new(PolicyValidation.PodDisruptionBudget, StatusUpdate: PolicyValidation.PodDisruptionBudgetStatusUpdate),
        [("coordination.k8s.io", "Lease")] = new(CoordinationValidation.Lease),
        [("scheduling.k8s.io", "PriorityClass")] = new(SchedulingValidation.PriorityClass, SchedulingValidation.PriorityClassUpdate),
        [("node.k8s.io", "RuntimeClass")] = new(NodeValidation.RuntimeClass, NodeValidation.RuntimeClassUpdate, Coverage: ValidationCoverage.Partial),

        // admissionregistration.k8s.io/v1
        [("admissionregistration.k8s.io", "ValidatingWebhookConfiguration")] = new(AdmissionRegistrationValidation.ValidatingWebhookConfiguration),
        [("admissionregistration.k8s.io", "MutatingWebhookConfiguration")] = new(AdmissionRegistrationValidation.MutatingWebhookConfiguration),
        [("admissionregistration.k8s.io", "ValidatingAdmissionPolicy")] = new(AdmissionRegistrationValidation.ValidatingAdmissionPolicy, Coverage: ValidationCoverage.Partial),
        [("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding")] = new(AdmissionRegistrationValidation.ValidatingAdmissionPolicyBinding, Coverage: ValidationCoverage.Partial),

        // the rest
        [("certificates.k8s.io", "CertificateSigningRequest")] = new(CertificatesValidation.CertificateSigningRequest, CertificatesValidation.CertificateSigningRequestUpdate, CertificatesValidation.CertificateSigningRequestStatusUpdate, Coverage: ValidationCoverage.Partial),
        [("discovery.k8s.io", "EndpointSlice")] = new(DiscoveryValidation.EndpointSlice, DiscoveryValidation.EndpointSliceUpdate, Coverage: ValidationCoverage.Partial),
        [("autoscaling", "HorizontalPodAutoscaler")] = new(AutoscalingValidation.HorizontalPodAutoscaler, StatusUpdate: AutoscalingValidation.HorizontalPodAutoscalerStatusUpdate, Coverage: ValidationCoverage.Partial),
        [("flowcontrol.apiserver.k8s.io", "FlowSchema")] = new(FlowControlValidation.FlowSchema, Coverage: ValidationCoverage.Partial),
        [("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration")] = new(FlowControlValidation.PriorityLevelConfiguration, Coverage: ValidationCoverage.Partial),
        [("apiregistration.k8s.io", "APIService")] = new(ApiRegistrationValidation.ApiService, Name: ApiRegistrationValidation.ApiServiceName, Coverage: ValidationCoverage.Partial),
        [("resource.k8s.io", "DeviceClass")] = new(ResourceValidation.DeviceClass, Coverage: ValidationCoverage.Partial),
        [("resource.k8s.io", "ResourceClaim")] = new(ResourceValidation.ResourceClaim, ResourceValidation.ResourceClaimUpdate, Coverage: ValidationCoverage.Partial),
        [("resource.k8s.io", "ResourceClaimTemplate")] = new(ResourceValidation.ResourceClaimTemplate, ResourceValidation.ResourceClaimTemplateUpdate, Coverage: ValidationCoverage.Partial),
        [("resource.k8s.io", "ResourceSlice")] = new(ResourceValidation.ResourceSlice, ResourceValidation.ResourceSliceUpdate, Coverage: ValidationCoverage.Partial),
    };

    /// <summary>Kinds whose only rules are kube's metadata rules (kube validates nothing else of them).</summary>
    public static readonly IReadOnlySet<(string Group, string Kind)> MetadataOnly = new HashSet<(string, string)>
    {
        ("", "ServiceAccount"),
    };

    public static KindValidation? For(string group, string kind) => Table.GetValueOrDefault((group, kind));

    public static IEnumerable<((string Group, string Kind) Kind, KindValidation Validation)> All => Table.Select(p => (p.Key, p.Value));
}
