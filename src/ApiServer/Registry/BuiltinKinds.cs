using ApiMachinery.Validation;
using ApiServer.Printing;
using ApiServer.Registry.Defaulting;
using ApiServer.Registry.Strategies;
using ApiServer.Registry.Validation;

namespace ApiServer.Registry;

/// <summary>
/// One <see cref="KindRegistration"/> per built-in resource the server serves, grouped by API group
/// as kube's pkg/registry is. This is the one place a kind's behaviour is looked up: the strategy
/// (<see cref="StrategyFactory"/>), defaults (<see cref="BuiltinDefaults.Apply"/>), validation
/// (<see cref="KindValidations"/>), initial status and generation, the DELETE answer, the
/// garbage-collection default and the table columns all read it. BuiltinKindsTests fails when a
/// resource the table serves has no registration, or a registration names a resource not served.
/// </summary>
internal static class BuiltinKinds
{
    public static readonly IReadOnlyList<KindRegistration> All =
    [
        // core
        new("", "bindings", "Binding"),
        new("", "componentstatuses", "ComponentStatus")
        {
            Columns = MoreColumns.ComponentStatuses,
        },
        new("", "configmaps", "ConfigMap")
        {
            Validation = new(CoreValidation.ConfigMap, CoreValidation.ConfigMapUpdate),
            Columns = TableConvertor.ConfigMaps,
        },
        new("", "endpoints", "Endpoints")
        {
            Defaults = BuiltinDefaults.Endpoints,
            Validation = new(CoreValidation.Endpoints),
            Columns = MoreColumns.Endpoints,
        },
        new("", "events", "Event")
        {
            Strategy = (r, _) => new EventStrategy(r),
            Validation = new(CoreValidation.Event, Name: NameValidation.ValidatePathSegmentName, Coverage: ValidationCoverage.Partial),
            GarbageCollection = GarbageCollectionPolicy.Unsupported,
            Columns = MoreColumns.Events,
        },
        new("", "limitranges", "LimitRange")
        {
            Defaults = BuiltinDefaults.LimitRange,
            Validation = new(CoreValidation.LimitRange),
            Columns = PolicyAndClusterColumns.NameAndCreation,
        },
        new("", "namespaces", "Namespace")
        {
            Strategy = (r, _) => new NamespaceStrategy(r),
            Validation = new(CoreValidation.Namespace, StatusUpdate: CoreValidation.NamespaceStatusUpdate, Name: NameValidation.NameIsDNSLabel),
            ReturnDeletedObject = true,
            Columns = TableConvertor.Namespaces,
        },
        new("", "nodes", "Node")
        {
            Strategy = (r, _) => new NodeStrategy(r),
            Defaults = BuiltinDefaults.Node,
            Validation = new(CoreValidation.Node, CoreValidation.NodeUpdate, (n, o, e) => CoreValidation.Node(n, e), Coverage: ValidationCoverage.Partial),
            Columns = MoreColumns.Nodes,
        },
        new("", "persistentvolumeclaims", "PersistentVolumeClaim")
        {
            Defaults = BuiltinDefaults.PersistentVolumeClaim,
            Validation = new(CoreValidation.PersistentVolumeClaim, CoreValidation.PersistentVolumeClaimUpdate, Coverage: ValidationCoverage.Partial),
            InitialStatus = """{"phase":"Pending"}""",
            ReturnDeletedObject = true,
            Columns = MoreColumns.PersistentVolumeClaims,
        },
        new("", "persistentvolumes", "PersistentVolume")
        {
            Defaults = BuiltinDefaults.PersistentVolume,
            Validation = new(CoreValidation.PersistentVolume, CoreValidation.PersistentVolumeUpdate, CoreValidation.PersistentVolumeStatusUpdate, Coverage: ValidationCoverage.Partial),
            InitialStatus = """{"phase":"Pending"}""",
            ReturnDeletedObject = true,
            Columns = MoreColumns.PersistentVolumes,
        },
        new("", "pods", "Pod")
        {
            Strategy = (r, _) => new PodStrategy(r),
            Defaults = BuiltinDefaults.Pod,
            Validation = new(PodValidation.Pod, PodValidation.PodUpdate, PodValidation.PodStatusUpdate, Coverage: ValidationCoverage.Partial),
            TracksGeneration = true,
            ReturnDeletedObject = true,
            Columns = PodColumns.All,
        },
        new("", "podtemplates", "PodTemplate")
        {
            Defaults = BuiltinDefaults.PodTemplate,
            Validation = new(PodValidation.PodTemplate, Coverage: ValidationCoverage.Partial),
            ReturnDeletedObject = true,
            Columns = PolicyAndClusterColumns.PodTemplates,
        },
        new("", "replicationcontrollers", "ReplicationController")
        {
            Strategy = (r, _) => new FieldSelectableStrategy(r, "status.replicas"),
            Defaults = BuiltinDefaults.ReplicationController,
            Validation = new(CoreValidation.ReplicationController, StatusUpdate: CoreValidation.ReplicationControllerStatusUpdate),
            InitialStatus = """{"replicas":0}""",
            TracksGeneration = true,
            GarbageCollection = GarbageCollectionPolicy.OrphanDependents,
            Columns = MoreColumns.ReplicaSets,
        },
        new("", "resourcequotas", "ResourceQuota")
        {
            Validation = new(CoreValidation.ResourceQuota, StatusUpdate: CoreValidation.ResourceQuotaStatusUpdate),
            InitialStatus = "{}",
            ReturnDeletedObject = true,
            Columns = PolicyAndClusterColumns.ResourceQuotas,
        },
        new("", "secrets", "Secret")
        {
            Strategy = (r, _) => new SecretStrategy(r),
            Defaults = BuiltinDefaults.Secret,
            Validation = new(CoreValidation.Secret, CoreValidation.SecretUpdate),
            Columns = TableConvertor.Secrets,
        },
        new("", "serviceaccounts", "ServiceAccount")
        {
            ValidatesMetadataOnly = true,
            ReturnDeletedObject = true,
            Columns = TableConvertor.ServiceAccounts,
        },
        new("", "services", "Service")
        {
            Strategy = (r, _) => new ServiceStrategy(r),
            Defaults = BuiltinDefaults.Service,
            Validation = new(CoreValidation.Service, CoreValidation.ServiceUpdate, CoreValidation.ServiceStatusUpdate, NameValidation.NameIsDNS1035Label, ValidationCoverage.Partial),
            InitialStatus = """{"loadBalancer":{}}""",
            ReturnDeletedObject = true,
            Columns = TableConvertor.Services,
        },

        // apps
        new("apps", "controllerrevisions", "ControllerRevision")
        {
            Validation = new(AppsValidation.ControllerRevision, AppsValidation.ControllerRevisionUpdate),
            Columns = PolicyAndClusterColumns.ControllerRevisions,
        },
        new("apps", "daemonsets", "DaemonSet")
        {
            Strategy = (r, _) => new DaemonSetStrategy(r),
            Defaults = BuiltinDefaults.DaemonSet,
            Validation = new(AppsValidation.DaemonSet, AppsValidation.DaemonSetUpdate, AppsValidation.DaemonSetStatusUpdate),
            InitialStatus = """{"currentNumberScheduled":0,"numberMisscheduled":0,"desiredNumberScheduled":0,"numberReady":0}""",
            TracksGeneration = true,
            Columns = MoreColumns.DaemonSets,
        },
        new("apps", "deployments", "Deployment")
        {
            Strategy = (r, _) => new DeploymentStrategy(r),
            Defaults = BuiltinDefaults.Deployment,
            Validation = new(AppsValidation.Deployment, AppsValidation.DeploymentUpdate, AppsValidation.DeploymentStatusUpdate),
            InitialStatus = "{}",
            TracksGeneration = true,
            Columns = MoreColumns.Deployments,
        },
        new("apps", "replicasets", "ReplicaSet")
        {
            Strategy = (r, _) => new FieldSelectableStrategy(r, "status.replicas"),
            Defaults = BuiltinDefaults.ReplicaSet,
            Validation = new(AppsValidation.ReplicaSet, AppsValidation.ReplicaSetUpdate, AppsValidation.ReplicaSetStatusUpdate),
            InitialStatus = """{"replicas":0}""",
            TracksGeneration = true,
            Columns = MoreColumns.ReplicaSets,
        },
        new("apps", "statefulsets", "StatefulSet")
        {
            Defaults = BuiltinDefaults.StatefulSet,
            Validation = new(AppsValidation.StatefulSet, AppsValidation.StatefulSetUpdate, AppsValidation.StatefulSetStatusUpdate, NameValidation.NameIsDNSLabel),
            InitialStatus = """{"replicas":0,"availableReplicas":0}""",
            TracksGeneration = true,
            Columns = MoreColumns.StatefulSets,
        },

        // batch
        new("batch", "cronjobs", "CronJob")
        {
            Defaults = BuiltinDefaults.CronJob,
            Validation = new(BatchValidation.CronJob, BatchValidation.CronJobUpdate),
            InitialStatus = "{}",
            TracksGeneration = true,
            Columns = MoreColumns.CronJobs,
        },
        new("batch", "jobs", "Job")
        {
            Strategy = (r, _) => new JobStrategy(r),
            Defaults = BuiltinDefaults.Job,
            Validation = new(BatchValidation.Job, BatchValidation.JobUpdate, BatchValidation.JobStatusUpdate, Coverage: ValidationCoverage.Partial),
            InitialStatus = "{}",
            TracksGeneration = true,
            GarbageCollection = GarbageCollectionPolicy.OrphanDependents,
            Columns = MoreColumns.Jobs,
        },

        // autoscaling
        new("autoscaling", "horizontalpodautoscalers", "HorizontalPodAutoscaler")
        {
            Defaults = BuiltinDefaults.HorizontalPodAutoscaler,
            Validation = new(AutoscalingValidation.HorizontalPodAutoscaler, StatusUpdate: AutoscalingValidation.HorizontalPodAutoscalerStatusUpdate, Coverage: ValidationCoverage.Partial),
            InitialStatus = """{"desiredReplicas":0}""",
            Columns = PolicyAndClusterColumns.HorizontalPodAutoscalers,
        },

        // policy
        new("policy", "poddisruptionbudgets", "PodDisruptionBudget")
        {
            Validation = new(PolicyValidation.PodDisruptionBudget, StatusUpdate: PolicyValidation.PodDisruptionBudgetStatusUpdate),
            InitialStatus = """{"disruptionsAllowed":0,"currentHealthy":0,"desiredHealthy":0,"expectedPods":0}""",
            TracksGeneration = true,
            Columns = PolicyAndClusterColumns.PodDisruptionBudgets,
        },

        // networking.k8s.io
        new("networking.k8s.io", "ingressclasses", "IngressClass")
        {
            Defaults = BuiltinDefaults.IngressClass,
            Validation = new(NetworkingValidation.IngressClass, NetworkingValidation.IngressClassUpdate),
            TracksGeneration = true,
            Columns = PolicyAndClusterColumns.IngressClasses,
        },
        new("networking.k8s.io", "ingresses", "Ingress")
        {
            Validation = new(NetworkingValidation.Ingress, StatusUpdate: NetworkingValidation.IngressStatusUpdate),
            InitialStatus = """{"loadBalancer":{}}""",
            TracksGeneration = true,
            Columns = MoreColumns.Ingresses,
        },
        new("networking.k8s.io", "ipaddresses", "IPAddress")
        {
            Validation = new(NetworkingValidation.IPAddress, NetworkingValidation.IPAddressUpdate, Name: NetworkingValidation.IPAddressName, Coverage: ValidationCoverage.Partial),
            Columns = PolicyAndClusterColumns.IpAddresses,
        },
        new("networking.k8s.io", "networkpolicies", "NetworkPolicy")
        {
            Defaults = BuiltinDefaults.NetworkPolicy,
            Validation = new(NetworkingValidation.NetworkPolicy, Coverage: ValidationCoverage.Partial),
            TracksGeneration = true,
            Columns = PolicyAndClusterColumns.NetworkPolicies,
        },
        new("networking.k8s.io", "servicecidrs", "ServiceCIDR")
        {
            Validation = new(NetworkingValidation.ServiceCIDR, NetworkingValidation.ServiceCIDRUpdate, Coverage: ValidationCoverage.Partial),
            InitialStatus = "{}",
            Columns = PolicyAndClusterColumns.ServiceCidrs,
        },

        // discovery.k8s.io
        new("discovery.k8s.io", "endpointslices", "EndpointSlice")
        {
            Defaults = BuiltinDefaults.EndpointSlice,
            Validation = new(DiscoveryValidation.EndpointSlice, DiscoveryValidation.EndpointSliceUpdate, Coverage: ValidationCoverage.Partial),
            TracksGeneration = true,
            Columns = PolicyAndClusterColumns.EndpointSlices,
        },

        // storage.k8s.io
        new("storage.k8s.io", "csidrivers", "CSIDriver")
        {
            Defaults = BuiltinDefaults.CsiDriver,
            Validation = new(StorageValidation.CsiDriver, StorageValidation.CsiDriverUpdate, Name: StorageValidation.CsiDriverName, Coverage: ValidationCoverage.Partial),
            ReturnDeletedObject = true,
            Columns = PolicyAndClusterColumns.CsiDrivers,
        },
        new("storage.k8s.io", "csinodes", "CSINode")
        {
            Validation = new(StorageValidation.CsiNode, Coverage: ValidationCoverage.Partial),
            ReturnDeletedObject = true,
            Columns = PolicyAndClusterColumns.CsiNodes,
        },
        new("storage.k8s.io", "csistoragecapacities", "CSIStorageCapacity")
        {
            Validation = new(StorageValidation.CsiStorageCapacity, Coverage: ValidationCoverage.Partial),
            Columns = PolicyAndClusterColumns.CsiStorageCapacities,
        },
        new("storage.k8s.io", "storageclasses", "StorageClass")
        {
            Defaults = BuiltinDefaults.StorageClass,
            Validation = new(StorageValidation.StorageClass, StorageValidation.StorageClassUpdate),
            ReturnDeletedObject = true,
            Columns = MoreColumns.StorageClasses,
        },
        new("storage.k8s.io", "volumeattachments", "VolumeAttachment")
        {
            Validation = new(StorageValidation.VolumeAttachment, StorageValidation.VolumeAttachmentUpdate, StorageValidation.VolumeAttachmentStatusUpdate, Coverage: ValidationCoverage.Partial),
            InitialStatus = """{"attached":false}""",
            ReturnDeletedObject = true,
            Columns = PolicyAndClusterColumns.VolumeAttachments,
        },
        new("storage.k8s.io", "volumeattributesclasses", "VolumeAttributesClass")
        {
            Validation = new(StorageValidation.VolumeAttributesClass, StorageValidation.VolumeAttributesClassUpdate),
            ReturnDeletedObject = true,
            Columns = PolicyAndClusterColumns.VolumeAttributesClasses,
        },

        // node.k8s.io
        new("node.k8s.io", "runtimeclasses", "RuntimeClass")
        {
            Validation = new(NodeValidation.RuntimeClass, NodeValidation.RuntimeClassUpdate, Coverage: ValidationCoverage.Partial),
            Columns = PolicyAndClusterColumns.RuntimeClasses,
        },

        // scheduling.k8s.io
        new("scheduling.k8s.io", "priorityclasses", "PriorityClass")
        {
            Defaults = BuiltinDefaults.PriorityClass,
            Validation = new(SchedulingValidation.PriorityClass, SchedulingValidation.PriorityClassUpdate),
            Columns = MoreColumns.PriorityClasses,
        },

        // coordination.k8s.io
        new("coordination.k8s.io", "leases", "Lease")
        {
            Validation = new(CoordinationValidation.Lease),
            Columns = MoreColumns.Leases,
        },

        // rbac.authorization.k8s.io
        new("rbac.authorization.k8s.io", "clusterrolebindings", "ClusterRoleBinding")
        {
            Defaults = BuiltinDefaults.RoleBinding,
            Validation = new(RbacValidation.ClusterRoleBinding, (b, o, e) => RbacValidation.BindingUpdate(b, o, e, namespaced: false), Name: NameValidation.ValidatePathSegmentName),
            Columns = MoreColumns.RoleBindings,
        },
        new("rbac.authorization.k8s.io", "clusterroles", "ClusterRole")
        {
            Validation = new(RbacValidation.ClusterRole, Name: NameValidation.ValidatePathSegmentName),
            Columns = PolicyAndClusterColumns.NameAndCreation,
        },
        new("rbac.authorization.k8s.io", "rolebindings", "RoleBinding")
        {
            Defaults = BuiltinDefaults.RoleBinding,
            Validation = new(RbacValidation.RoleBinding, (b, o, e) => RbacValidation.BindingUpdate(b, o, e, namespaced: true), Name: NameValidation.ValidatePathSegmentName),
            Columns = MoreColumns.RoleBindings,
        },
        new("rbac.authorization.k8s.io", "roles", "Role")
        {
            Validation = new(RbacValidation.Role, Name: NameValidation.ValidatePathSegmentName),
            Columns = PolicyAndClusterColumns.NameAndCreation,
        },

        // certificates.k8s.io
        new("certificates.k8s.io", "certificatesigningrequests", "CertificateSigningRequest")
        {
            Strategy = (r, _) => new CertificateSigningRequestStrategy(r),
            Validation = new(CertificatesValidation.CertificateSigningRequest, CertificatesValidation.CertificateSigningRequestUpdate, CertificatesValidation.CertificateSigningRequestStatusUpdate, Coverage: ValidationCoverage.Partial),
            InitialStatus = "{}",
            Columns = PolicyAndClusterColumns.CertificateSigningRequests,
        },

        // admissionregistration.k8s.io
        new("admissionregistration.k8s.io", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration")
        {
            Defaults = BuiltinDefaults.WebhookConfiguration,
            Validation = new(AdmissionRegistrationValidation.MutatingWebhookConfiguration),
            TracksGeneration = true,
            Columns = PolicyAndClusterColumns.WebhookConfigurations,
        },
        new("admissionregistration.k8s.io", "validatingadmissionpolicies", "ValidatingAdmissionPolicy")
        {
            Defaults = BuiltinDefaults.AdmissionPolicy,
            Validation = new(AdmissionRegistrationValidation.ValidatingAdmissionPolicy, Coverage: ValidationCoverage.Partial),
            InitialStatus = "{}",
            TracksGeneration = true,
            Columns = PolicyAndClusterColumns.ValidatingAdmissionPolicies,
        },
        new("admissionregistration.k8s.io", "validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding")
        {
            Defaults = BuiltinDefaults.AdmissionPolicyBinding,
            Validation = new(AdmissionRegistrationValidation.ValidatingAdmissionPolicyBinding, Coverage: ValidationCoverage.Partial),
            TracksGeneration = true,
            Columns = PolicyAndClusterColumns.ValidatingAdmissionPolicyBindings,
        },
        new("admissionregistration.k8s.io", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration")
        {
            Defaults = BuiltinDefaults.WebhookConfiguration,
            Validation = new(AdmissionRegistrationValidation.ValidatingWebhookConfiguration),
            TracksGeneration = true,
            Columns = PolicyAndClusterColumns.WebhookConfigurations,
        },

        // apiextensions.k8s.io
        new("apiextensions.k8s.io", "customresourcedefinitions", "CustomResourceDefinition")
        {
            Strategy = (r, time) => new CustomResources.CustomResourceDefinitionStrategy(r, time),
            TracksGeneration = true,
            Columns = PolicyAndClusterColumns.NameAndCreation,
        },

        // apiregistration.k8s.io
        new("apiregistration.k8s.io", "apiservices", "APIService")
        {
            Defaults = BuiltinDefaults.ApiService,
            Validation = new(ApiRegistrationValidation.ApiService, Name: ApiRegistrationValidation.ApiServiceName, Coverage: ValidationCoverage.Partial),
            InitialStatus = "{}",
            Columns = PolicyAndClusterColumns.ApiServices,
        },

        // flowcontrol.apiserver.k8s.io
        new("flowcontrol.apiserver.k8s.io", "flowschemas", "FlowSchema")
        {
            Defaults = BuiltinDefaults.FlowSchema,
            Validation = new(FlowControlValidation.FlowSchema, Coverage: ValidationCoverage.Partial),
            InitialStatus = "{}",
            TracksGeneration = true,
            Columns = PolicyAndClusterColumns.FlowSchemas,
        },
        new("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations", "PriorityLevelConfiguration")
        {
            Defaults = BuiltinDefaults.PriorityLevelConfiguration,
            Validation = new(FlowControlValidation.PriorityLevelConfiguration, Coverage: ValidationCoverage.Partial),
            InitialStatus = "{}",
            TracksGeneration = true,
            Columns = PolicyAndClusterColumns.PriorityLevelConfigurations,
        },

        // resource.k8s.io
        new("resource.k8s.io", "deviceclasses", "DeviceClass")
        {
            Validation = new(ResourceValidation.DeviceClass, Coverage: ValidationCoverage.Partial),
            TracksGeneration = true,
            ReturnDeletedObject = true,
            Columns = PolicyAndClusterColumns.NameAndAge,
        },
        new("resource.k8s.io", "resourceclaims", "ResourceClaim")
        {
            Defaults = BuiltinDefaults.ResourceClaim,
            Validation = new(ResourceValidation.ResourceClaim, ResourceValidation.ResourceClaimUpdate, Coverage: ValidationCoverage.Partial),
            InitialStatus = "{}",
            ReturnDeletedObject = true,
            Columns = PolicyAndClusterColumns.ResourceClaims,
        },
        new("resource.k8s.io", "resourceclaimtemplates", "ResourceClaimTemplate")
        {
            Defaults = BuiltinDefaults.ResourceClaimTemplate,
            Validation = new(ResourceValidation.ResourceClaimTemplate, ResourceValidation.ResourceClaimTemplateUpdate, Coverage: ValidationCoverage.Partial),
            ReturnDeletedObject = true,
            Columns = PolicyAndClusterColumns.NameAndAge,
        },
        new("resource.k8s.io", "resourceslices", "ResourceSlice")
        {
            Validation = new(ResourceValidation.ResourceSlice, ResourceValidation.ResourceSliceUpdate, Coverage: ValidationCoverage.Partial),
            TracksGeneration = true,
            ReturnDeletedObject = true,
            Columns = PolicyAndClusterColumns.ResourceSlices,
        },

        // events.k8s.io
        new("events.k8s.io", "events", "Event")
        {
            Strategy = (r, _) => new EventsV1Strategy(r),
            Validation = new(EventsValidation.Create, EventsValidation.Update),
            GarbageCollection = GarbageCollectionPolicy.Unsupported,
        },

        // authentication.k8s.io
        new("authentication.k8s.io", "selfsubjectreviews", "SelfSubjectReview"),
        new("authentication.k8s.io", "tokenreviews", "TokenReview"),

        // authorization.k8s.io
        new("authorization.k8s.io", "localsubjectaccessreviews", "LocalSubjectAccessReview"),
        new("authorization.k8s.io", "selfsubjectaccessreviews", "SelfSubjectAccessReview"),
        new("authorization.k8s.io", "selfsubjectrulesreviews", "SelfSubjectRulesReview"),
        new("authorization.k8s.io", "subjectaccessreviews", "SubjectAccessReview"),
    ];

    private static readonly Dictionary<(string Group, string Plural), KindRegistration> ByResource =
        All.ToDictionary(k => (k.Group, k.Plural));

    private static readonly Dictionary<(string Group, string Kind), KindRegistration> ByKind =
        All.ToDictionary(k => (k.Group, k.Kind));

    /// <summary>The registration of a built-in resource; null for custom resources and resources not registered.</summary>
    public static KindRegistration? Find(ResourceDefinition resource) =>
        resource.Custom is null ? Find(resource.Group, resource.Plural) : null;

    public static KindRegistration? Find(string group, string plural) => ByResource.GetValueOrDefault((group, plural));

    public static KindRegistration? FindKind(string group, string kind) => ByKind.GetValueOrDefault((group, kind));
}
