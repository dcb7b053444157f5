using System.Text.Json.Nodes;

namespace ApiServer.Registry.Defaulting;

/// <summary>
/// The defaults kube-apiserver fills in when it decodes a built-in object (the SetDefaults_* functions
/// of k8s.io/kubernetes pkg/apis/*/v1), written by hand from the API's documented defaults. Run on
/// every create and update before admission, so clients, admission webhooks and controllers see the
/// same object kube-apiserver would store. A field the client set is never changed.
/// </summary>
internal static class BuiltinDefaults
{
    /// <summary>The kind's defaults, from its registration (<see cref="BuiltinKinds"/>); kinds without any keep the object as it is.</summary>
    public static void Apply(ResourceDefinition resource, JsonObject obj) => BuiltinKinds.Find(resource)?.Defaults?.Invoke(resource, obj);

    // ---------------------------------------------------------------- one entry point per kind (BuiltinKinds points here)

    /// <summary>Pod (core).</summary>
    public static void Pod(ResourceDefinition resource, JsonObject obj)
    {
        Pod(Object(obj, "spec"));
    }

    /// <summary>LimitRange (core).</summary>
    public static void LimitRange(ResourceDefinition resource, JsonObject obj)
    {
        foreach (var item in Items(obj["spec"]?["limits"]))
        {
            LimitRangeItem(item);
        }
    }

    /// <summary>Node (core).</summary>
    public static void Node(ResourceDefinition resource, JsonObject obj)
    {
        if (obj["status"] is JsonObject nodeStatus && nodeStatus["capacity"] is JsonObject capacity && nodeStatus["allocatable"] is null)
        {
            nodeStatus["allocatable"] = capacity.DeepClone();
        }
    }

    /// <summary>PodTemplate (core).</summary>
    public static void PodTemplate(ResourceDefinition resource, JsonObject obj)
    {
        PodTemplate(obj["template"] as JsonObject);
    }

    /// <summary>ReplicationController (core).</summary>
    public static void ReplicationController(ResourceDefinition resource, JsonObject obj)
    {
        ReplicationController(obj);
    }

    /// <summary>Service (core).</summary>
    public static void Service(ResourceDefinition resource, JsonObject obj)
    {
        Service(Object(obj, "spec"));
    }

    /// <summary>Secret (core).</summary>
    public static void Secret(ResourceDefinition resource, JsonObject obj)
    {
        SetIfMissing(obj, "type", "Opaque");
    }

    /// <summary>PersistentVolumeClaim (core).</summary>
    public static void PersistentVolumeClaim(ResourceDefinition resource, JsonObject obj)
    {
        SetIfMissing(Object(obj, "spec"), "volumeMode", "Filesystem");
        SetIfMissing(Object(obj, "status"), "phase", "Pending");
    }

    /// <summary>PersistentVolume (core).</summary>
    public static void PersistentVolume(ResourceDefinition resource, JsonObject obj)
    {
        var pv = Object(obj, "spec");
        SetIfMissing(pv, "persistentVolumeReclaimPolicy", "Retain");
        SetIfMissing(pv, "volumeMode", "Filesystem");
        SetIfMissing(Object(obj, "status"), "phase", "Pending");
    }

    /// <summary>Endpoints (core).</summary>
    public static void Endpoints(ResourceDefinition resource, JsonObject obj)
    {
        foreach (var subset in Items(obj["subsets"]))
        {
            Ports(subset["ports"], "protocol");
        }
    }

    /// <summary>Deployment (apps).</summary>
    public static void Deployment(ResourceDefinition resource, JsonObject obj)
    {
        Deployment(Object(obj, "spec"));
    }

    /// <summary>ReplicaSet (apps).</summary>
    public static void ReplicaSet(ResourceDefinition resource, JsonObject obj)
    {
        SetIfMissing(Object(obj, "spec"), "replicas", 1);
        PodTemplate(obj["spec"]?["template"] as JsonObject);
    }

    /// <summary>StatefulSet (apps).</summary>
    public static void StatefulSet(ResourceDefinition resource, JsonObject obj)
    {
        StatefulSet(Object(obj, "spec"));
    }

    /// <summary>DaemonSet (apps).</summary>
    public static void DaemonSet(ResourceDefinition resource, JsonObject obj)
    {
        DaemonSet(Object(obj, "spec"));
    }

    /// <summary>Job (batch).</summary>
    public static void Job(ResourceDefinition resource, JsonObject obj)
    {
        JobSpec(Object(obj, "spec"));
    }

    /// <summary>CronJob (batch).</summary>
    public static void CronJob(ResourceDefinition resource, JsonObject obj)
    {
        CronJob(Object(obj, "spec"));
    }

    /// <summary>HorizontalPodAutoscaler (autoscaling).</summary>
    public static void HorizontalPodAutoscaler(ResourceDefinition resource, JsonObject obj)
    {
        var hpa = Object(obj, "spec");
        SetIfMissing(hpa, "minReplicas", 1);
        if (resource.Version == "v2" && hpa["metrics"] is not JsonArray { Count: > 0 })
        {
            // autoscaling/v2: no metrics means 80% average CPU utilization.
            hpa["metrics"] = JsonNode.Parse(
                """[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":80}}}]""");
        }
    }

    /// <summary>NetworkPolicy (networking.k8s.io).</summary>
    public static void NetworkPolicy(ResourceDefinition resource, JsonObject obj)
    {
        NetworkPolicy(Object(obj, "spec"));
    }

    /// <summary>PriorityClass (scheduling.k8s.io).</summary>
    public static void PriorityClass(ResourceDefinition resource, JsonObject obj)
    {
        SetIfMissing(obj, "preemptionPolicy", "PreemptLowerPriority");
    }

    /// <summary>StorageClass (storage.k8s.io).</summary>
    public static void StorageClass(ResourceDefinition resource, JsonObject obj)
    {
        SetIfMissing(obj, "reclaimPolicy", "Delete");
        SetIfMissing(obj, "volumeBindingMode", "Immediate");
    }

    /// <summary>CSIDriver (storage.k8s.io).</summary>
    public static void CsiDriver(ResourceDefinition resource, JsonObject obj)
    {
        CsiDriver(Object(obj, "spec"));
    }

    /// <summary>RoleBinding or ClusterRoleBinding (rbac.authorization.k8s.io).</summary>
    public static void RoleBinding(ResourceDefinition resource, JsonObject obj)
    {
        RoleBinding(obj);
    }

    /// <summary>ValidatingWebhookConfiguration or MutatingWebhookConfiguration (admissionregistration.k8s.io).</summary>
    public static void WebhookConfiguration(ResourceDefinition resource, JsonObject obj)
    {
        foreach (var webhook in Items(obj["webhooks"]))
        {
            Webhook(webhook, mutating: resource.Kind == "MutatingWebhookConfiguration");
        }
    }

    /// <summary>ValidatingAdmissionPolicy or MutatingAdmissionPolicy (admissionregistration.k8s.io).</summary>
    public static void AdmissionPolicy(ResourceDefinition resource, JsonObject obj)
    {
        var policy = Object(obj, "spec");
        SetIfMissing(policy, "failurePolicy", "Fail");
        if (policy["matchConstraints"] is JsonObject constraints)
        {
            MatchResources(constraints);
        }
    }

    /// <summary>ValidatingAdmissionPolicyBinding or MutatingAdmissionPolicyBinding (admissionregistration.k8s.io).</summary>
    public static void AdmissionPolicyBinding(ResourceDefinition resource, JsonObject obj)
    {
        if (obj["spec"]?["matchResources"] is JsonObject bindingMatch)
        {
            MatchResources(bindingMatch);
        }
    }

    /// <summary>APIService (apiregistration.k8s.io).</summary>
    public static void ApiService(ResourceDefinition resource, JsonObject obj)
    {
        if (obj["spec"]?["service"] is JsonObject apiService)
        {
            SetIfMissing(apiService, "port", 443);
        }
    }

    /// <summary>EndpointSlice (discovery.k8s.io).</summary>
    public static void EndpointSlice(ResourceDefinition resource, JsonObject obj)
    {
        foreach (var port in Items(obj["ports"]))
        {
            SetIfMissing(port, "name", "");
            SetIfMissing(port, "protocol", "TCP");
        }
    }

    /// <summary>ResourceClaim (resource.k8s.io).</summary>
    public static void ResourceClaim(ResourceDefinition resource, JsonObject obj)
    {
        DeviceRequests(obj["spec"] as JsonObject);
    }

    /// <summary>ResourceClaimTemplate (resource.k8s.io).</summary>
    public static void ResourceClaimTemplate(ResourceDefinition resource, JsonObject obj)
    {
        DeviceRequests(obj["spec"]?["spec"] as JsonObject);
    }

    /// <summary>IngressClass (networking.k8s.io).</summary>
    public static void IngressClass(ResourceDefinition resource, JsonObject obj)
    {
        if (obj["spec"]?["parameters"] is JsonObject parameters)
        {
            SetIfMissing(parameters, "scope", "Cluster");
        }
    }

    /// <summary>FlowSchema (flowcontrol.apiserver.k8s.io).</summary>
    public static void FlowSchema(ResourceDefinition resource, JsonObject obj)
    {
        // An unset (or zero) precedence is 1000.
        if (obj["spec"] is JsonObject flowSchema
            && !(flowSchema["matchingPrecedence"] is JsonValue precedence && precedence.TryGetValue<long>(out var value) && value != 0))
        {
            flowSchema["matchingPrecedence"] = 1000;
        }
    }

    /// <summary>PriorityLevelConfiguration (flowcontrol.apiserver.k8s.io).</summary>
    public static void PriorityLevelConfiguration(ResourceDefinition resource, JsonObject obj)
    {
        PriorityLevel(Object(obj, "spec"));
    }

    /// <summary>SetDefaults_Pod: what a pod gets beyond its spec's defaults (templates do not).</summary>
    private static void Pod(JsonObject spec)
    {
        foreach (var container in Items(spec["containers"]).Concat(Items(spec["initContainers"])))
        {
            // Requests default to limits, resource by resource.
            if (container["resources"]?["limits"] is JsonObject limits)
            {
                var requests = Object(Object(container, "resources"), "requests");
                foreach (var (name, value) in limits)
                {
                    SetIfMissing(requests, name, value?.DeepClone());
                }
            }

            // On the host's network, a container port is also the host port.
            if (spec["hostNetwork"] is JsonValue hostNetwork && hostNetwork.TryGetValue<bool>(out var onHost) && onHost)
            {
                foreach (var port in Items(container["ports"]))
                {
                    if (port["hostPort"] is null && port["containerPort"] is { } containerPort)
                    {
                        port["hostPort"] = containerPort.DeepClone();
                    }
                }
            }
        }

        PodSpec(spec);
    }

    /// <summary>Container limits: default from max, defaultRequest from default, then from min.</summary>
    private static void LimitRangeItem(JsonObject item)
    {
        if (item["type"]?.GetValue<string>() != "Container")
        {
            return;
        }

        var defaults = item["default"] as JsonObject ?? [];
        var requests = item["defaultRequest"] as JsonObject ?? [];
        foreach (var (name, value) in item["max"] as JsonObject ?? [])
        {
            SetIfMissing(defaults, name, value?.DeepClone());
        }

        foreach (var (name, value) in defaults)
        {
            SetIfMissing(requests, name, value?.DeepClone());
        }

        foreach (var (name, value) in item["min"] as JsonObject ?? [])
        {
            SetIfMissing(requests, name, value?.DeepClone());
        }

        // Empty maps are not written, as Go omits them.
        if (defaults.Count > 0 && item["default"] is null)
        {
            item["default"] = defaults;
        }

        if (requests.Count > 0 && item["defaultRequest"] is null)
        {
            item["defaultRequest"] = requests;
        }
    }

    /// <summary>roleRef and User/Group subjects are in the RBAC group unless they say otherwise.</summary>
    private static void RoleBinding(JsonObject binding)
    {
        if (binding["roleRef"] is JsonObject roleRef)
        {
            SetIfEmpty(roleRef, "apiGroup", "rbac.authorization.k8s.io");
        }

        foreach (var subject in Items(binding["subjects"]))
        {
            if (subject["kind"]?.GetValue<string>() is "User" or "Group")
            {
                SetIfEmpty(subject, "apiGroup", "rbac.authorization.k8s.io");
            }
        }
    }

    private static void Webhook(JsonObject webhook, bool mutating)
    {
        SetIfMissing(webhook, "failurePolicy", "Fail");
        SetIfMissing(webhook, "matchPolicy", "Equivalent");
        SetIfMissing(webhook, "namespaceSelector", new JsonObject());
        SetIfMissing(webhook, "objectSelector", new JsonObject());
        SetIfMissing(webhook, "timeoutSeconds", 10);
        if (mutating)
        {
            SetIfMissing(webhook, "reinvocationPolicy", "Never");
        }

        foreach (var rule in Items(webhook["rules"]))
        {
            SetIfMissing(rule, "scope", "*");
        }

        if (webhook["clientConfig"]?["service"] is JsonObject service)
        {
            SetIfMissing(service, "port", 443);
        }
    }

    private static void MatchResources(JsonObject match)
    {
        SetIfMissing(match, "namespaceSelector", new JsonObject());
        SetIfMissing(match, "objectSelector", new JsonObject());
        SetIfMissing(match, "matchPolicy", "Equivalent");
    }

    private static void CsiDriver(JsonObject spec)
    {
        SetIfMissing(spec, "attachRequired", true);
        SetIfMissing(spec, "podInfoOnMount", false);
        SetIfMissing(spec, "storageCapacity", false);
        SetIfMissing(spec, "fsGroupPolicy", "ReadWriteOnceWithFSType");
        SetIfMissing(spec, "volumeLifecycleModes", new JsonArray("Persistent"));
        SetIfMissing(spec, "requiresRepublish", false);
        SetIfMissing(spec, "seLinuxMount", false);
    }

    /// <summary>Limited priority levels: 30 nominal shares, nothing lent, and queuing of 64 queues, hand size 8, 50 per queue.</summary>
    private static void PriorityLevel(JsonObject spec)
    {
        if (spec["type"]?.GetValue<string>() != "Limited" || spec["limited"] is not JsonObject limited)
        {
            return;
        }

        SetIfMissing(limited, "nominalConcurrencyShares", 30);
        SetIfMissing(limited, "lendablePercent", 0);
        var response = Object(limited, "limitResponse");
        if (response["type"]?.GetValue<string>() == "Queue")
        {
            var queuing = Object(response, "queuing");
            // Go holds these as plain int32s (no omitempty): 0 is what an absent one decodes to.
            SetIfZero(queuing, "queues", 64);
            SetIfZero(queuing, "handSize", 8);
            SetIfZero(queuing, "queueLengthLimit", 50);
        }
    }

    private static void PodTemplate(JsonObject? template)
    {
        if (template is not null)
        {
            PodSpec(Object(template, "spec"));
        }
    }

    /// <summary>SetDefaults_PodSpec and the defaults of what it holds.</summary>
    public static void PodSpec(JsonObject spec)
    {
        SetIfMissing(spec, "restartPolicy", "Always");
        SetIfMissing(spec, "terminationGracePeriodSeconds", 30);
        SetIfMissing(spec, "dnsPolicy", "ClusterFirst");
        SetIfMissing(spec, "securityContext", new JsonObject());
        SetIfMissing(spec, "schedulerName", "default-scheduler");
        SetIfMissing(spec, "enableServiceLinks", true);
        foreach (var list in new[] { "initContainers", "containers", "ephemeralContainers" })
        {
            foreach (var container in Items(spec[list]))
            {
                Container(container);
            }
        }

        foreach (var volume in Items(spec["volumes"]))
        {
            Volume(volume);
        }
    }

    private static void Container(JsonObject container)
    {
        SetIfMissing(container, "terminationMessagePath", "/dev/termination-log");
        SetIfMissing(container, "terminationMessagePolicy", "File");
        SetIfMissing(container, "imagePullPolicy", PullPolicyFor(container["image"]?.GetValue<string>() ?? ""));
        SetIfMissing(container, "resources", new JsonObject());
        Ports(container["ports"], "protocol");
        foreach (var probe in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
        {
            if (container[probe] is JsonObject p)
            {
                Probe(p);
            }
        }

        foreach (var env in Items(container["env"]))
        {
            if (env["valueFrom"]?["fieldRef"] is JsonObject fieldRef)
            {
                SetIfMissing(fieldRef, "apiVersion", "v1");
            }
        }
    }

    /// <summary>Always for :latest or no tag, IfNotPresent otherwise (a digest counts as a tag).</summary>
    internal static string PullPolicyFor(string image)
    {
        if (image.Contains('@', StringComparison.Ordinal))
        {
            return "IfNotPresent";
        }

        var lastSlash = image.LastIndexOf('/');
        var colon = image.IndexOf(':', lastSlash + 1);
        return colon < 0 || image[(colon + 1)..] == "latest" ? "Always" : "IfNotPresent";
    }

    private static void Probe(JsonObject probe)
    {
        SetIfMissing(probe, "timeoutSeconds", 1);
        SetIfMissing(probe, "periodSeconds", 10);
        SetIfMissing(probe, "successThreshold", 1);
        SetIfMissing(probe, "failureThreshold", 3);
        if (probe["httpGet"] is JsonObject httpGet)
        {
            SetIfMissing(httpGet, "path", "/");
            SetIfMissing(httpGet, "scheme", "HTTP");
        }
    }

    /// <summary>The volume sources a pod volume may name; a volume with none is an emptyDir (SetDefaults_Volume).</summary>
    private static readonly string[] VolumeSources =
    [
        "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs", "iscsi",
        "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI", "fc",
        "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "projected",
        "portworxVolume", "scaleIO", "storageos", "csi", "ephemeral", "image",
    ];

    private static void Volume(JsonObject volume)
    {
        if (!VolumeSources.Any(source => volume[source] is not null))
        {
            volume["emptyDir"] = new JsonObject();
        }

        foreach (var item in Items(volume["downwardAPI"]?["items"]))
        {
            DefaultFieldRefVersion(item);
        }

        foreach (var projection in Items(volume["projected"]?["sources"]))
        {
            if (projection["serviceAccountToken"] is JsonObject token)
            {
                SetIfMissing(token, "expirationSeconds", 3600);
            }

            foreach (var item in Items(projection["downwardAPI"]?["items"]))
            {
                DefaultFieldRefVersion(item);
            }
        }

        foreach (var source in new[] { "secret", "configMap", "downwardAPI", "projected" })
        {
            if (volume[source] is JsonObject s)
            {
                SetIfMissing(s, "defaultMode", 420);
            }
        }

        if (volume["hostPath"] is JsonObject hostPath)
        {
            SetIfMissing(hostPath, "type", "");
        }

        if (volume["iscsi"] is JsonObject iscsi)
        {
            SetIfMissing(iscsi, "iscsiInterface", "default");
        }
    }

    private static void DefaultFieldRefVersion(JsonObject item)
    {
        if (item["fieldRef"] is JsonObject fieldRef)
        {
            SetIfMissing(fieldRef, "apiVersion", "v1");
        }
    }

    private static void ReplicationController(JsonObject rc)
    {
        var spec = Object(rc, "spec");
        SetIfMissing(spec, "replicas", 1);
        var template = spec["template"] as JsonObject;
        if (template?["metadata"]?["labels"] is JsonObject templateLabels && templateLabels.Count > 0)
        {
            // The selector and the controller's own labels default to the template's labels.
            SetIfMissing(spec, "selector", templateLabels.DeepClone());
            var metadata = Object(rc, "metadata");
            if (metadata["labels"] is not JsonObject { Count: > 0 })
            {
                metadata["labels"] = templateLabels.DeepClone();
            }
        }

        PodTemplate(template);
    }

    private static void Service(JsonObject spec)
    {
        SetIfMissing(spec, "type", "ClusterIP");
        SetIfMissing(spec, "sessionAffinity", "None");
        var type = spec["type"]?.GetValue<string>();
        if (type != "ExternalName")
        {
            SetIfMissing(spec, "internalTrafficPolicy", "Cluster");
            // ipFamilyPolicy and ipFamilies are the cluster-IP allocator's to fill (Registry/Services), as in kube.
        }

        if (type is "NodePort" or "LoadBalancer")
        {
            SetIfMissing(spec, "externalTrafficPolicy", "Cluster");
        }

        if (type == "LoadBalancer")
        {
            SetIfMissing(spec, "allocateLoadBalancerNodePorts", true);
        }

        // ClientIP affinity sticks for three hours unless configured.
        if (spec["sessionAffinity"]?.GetValue<string>() == "ClientIP")
        {
            var clientIP = Object(Object(spec, "sessionAffinityConfig"), "clientIP");
            SetIfMissing(clientIP, "timeoutSeconds", 10800);
        }

        foreach (var port in Items(spec["ports"]))
        {
            SetIfMissing(port, "protocol", "TCP");
            // kube's SetDefaults_Service: a targetPort of 0 or "" (what Go decodes an absent one to) is unset.
            if (port["port"] is { } number && IsZeroIntOrString(port["targetPort"]))
            {
                port["targetPort"] = number.DeepClone();
            }
        }
    }

    private static void Deployment(JsonObject spec)
    {
        SetIfMissing(spec, "replicas", 1);
        var strategy = Object(spec, "strategy");
        SetIfMissing(strategy, "type", "RollingUpdate");
        if (strategy["type"]?.GetValue<string>() == "RollingUpdate")
        {
            var rolling = Object(strategy, "rollingUpdate");
            SetIfMissing(rolling, "maxUnavailable", "25%");
            SetIfMissing(rolling, "maxSurge", "25%");
        }

        SetIfMissing(spec, "revisionHistoryLimit", 10);
        SetIfMissing(spec, "progressDeadlineSeconds", 600);
        PodTemplate(spec["template"] as JsonObject);
    }

    private static void StatefulSet(JsonObject spec)
    {
        SetIfMissing(spec, "replicas", 1);
        SetIfMissing(spec, "podManagementPolicy", "OrderedReady");
        var strategy = Object(spec, "updateStrategy");
        SetIfMissing(strategy, "type", "RollingUpdate");
        if (strategy["type"]?.GetValue<string>() == "RollingUpdate")
        {
            SetIfMissing(Object(strategy, "rollingUpdate"), "partition", 0);
        }

        SetIfMissing(spec, "revisionHistoryLimit", 10);
        var retention = Object(spec, "persistentVolumeClaimRetentionPolicy");
        SetIfMissing(retention, "whenDeleted", "Retain");
        SetIfMissing(retention, "whenScaled", "Retain");
        foreach (var claim in Items(spec["volumeClaimTemplates"]))
        {
            SetIfMissing(Object(claim, "spec"), "volumeMode", "Filesystem");
        }

        PodTemplate(spec["template"] as JsonObject);
    }

    private static void DaemonSet(JsonObject spec)
    {
        var strategy = Object(spec, "updateStrategy");
        SetIfMissing(strategy, "type", "RollingUpdate");
        if (strategy["type"]?.GetValue<string>() == "RollingUpdate")
        {
            var rolling = Object(strategy, "rollingUpdate");
            SetIfMissing(rolling, "maxUnavailable", 1);
            SetIfMissing(rolling, "maxSurge", 0);
        }

        SetIfMissing(spec, "revisionHistoryLimit", 10);
        PodTemplate(spec["template"] as JsonObject);
    }

    private static void JobSpec(JsonObject spec)
    {
        // completions and parallelism default together: both 1 when neither is set.
        if (spec["completions"] is null && spec["parallelism"] is null)
        {
            spec["completions"] = 1;
            spec["parallelism"] = 1;
        }

        SetIfMissing(spec, "parallelism", 1);
        SetIfMissing(spec, "backoffLimit", spec["backoffLimitPerIndex"] is null ? 6 : int.MaxValue);
        SetIfMissing(spec, "completionMode", "NonIndexed");
        SetIfMissing(spec, "suspend", false);
        SetIfMissing(spec, "podReplacementPolicy", spec["podFailurePolicy"] is null ? "TerminatingOrFailed" : "Failed");
        PodTemplate(spec["template"] as JsonObject);
    }

    private static void CronJob(JsonObject spec)
    {
        SetIfMissing(spec, "concurrencyPolicy", "Allow");
        SetIfMissing(spec, "suspend", false);
        SetIfMissing(spec, "successfulJobsHistoryLimit", 3);
        SetIfMissing(spec, "failedJobsHistoryLimit", 1);
        if (spec["jobTemplate"]?["spec"] is JsonObject jobSpec)
        {
            JobSpec(jobSpec);
        }
    }

    /// <summary>An exact device request asks for one device unless it says otherwise (SetDefaults_ExactDeviceRequest).</summary>
    private static void DeviceRequests(JsonObject? claimSpec)
    {
        foreach (var request in Items(claimSpec?["devices"]?["requests"]))
        {
            var exact = request["exactly"] as JsonObject;
            foreach (var target in new[] { exact }.Concat(Items(request["firstAvailable"])))
            {
                if (target is null)
                {
                    continue;
                }

                SetIfMissing(target, "allocationMode", "ExactCount");
                if (target["allocationMode"]?.GetValue<string>() == "ExactCount")
                {
                    SetIfMissing(target, "count", 1);
                }

                foreach (var toleration in Items(target["tolerations"]))
                {
                    SetIfMissing(toleration, "operator", "Equal");
                }
            }
        }
    }

    private static void NetworkPolicy(JsonObject spec)
    {
        if (spec["policyTypes"] is not JsonArray { Count: > 0 })
        {
            var types = new JsonArray("Ingress");
            if (spec["egress"] is JsonArray { Count: > 0 })
            {
                types.Add("Egress");
            }

            spec["policyTypes"] = types;
        }

        foreach (var rule in Items(spec["ingress"]).Concat(Items(spec["egress"])))
        {
            Ports(rule["ports"], "protocol");
        }
    }

    private static void Ports(JsonNode? ports, string field)
    {
        foreach (var port in Items(ports))
        {
            SetIfMissing(port, field, "TCP");
        }
    }

    private static IEnumerable<JsonObject> Items(JsonNode? list) => list is JsonArray a ? a.OfType<JsonObject>() : [];

    private static JsonObject Object(JsonObject parent, string name)
    {
        if (parent[name] is JsonObject existing)
        {
            return existing;
        }

        var created = new JsonObject();
        parent[name] = created;
        return created;
    }

    /// <summary>An IntOrString Go holds as its zero value: absent, null, 0 or "".</summary>
    private static bool IsZeroIntOrString(JsonNode? value) =>
        value is null
        || (value is JsonValue v && ((v.TryGetValue<string>(out var text) && text.Length == 0) || IsZeroNumber(v)));

    /// <summary>A JSON number that is 0, whether parsed from a body or made in memory (an int JsonValue answers only TryGetValue&lt;int&gt;).</summary>
    private static bool IsZeroNumber(JsonValue value) =>
        value.GetValueKind() == System.Text.Json.JsonValueKind.Number
        && double.TryParse(value.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n) && n == 0;

    /// <summary>For numbers Go holds as values without omitempty (written as 0 when unset): missing, null or 0 get the default.</summary>
    private static void SetIfZero(JsonObject obj, string name, long value)
    {
        if (obj[name] is null || (obj[name] is JsonValue v && IsZeroNumber(v)))
        {
            obj[name] = value;
        }
    }

    private static void SetIfMissing(JsonObject obj, string name, JsonNode? value)
    {
        if (obj[name] is null && value is not null)
        {
            obj[name] = value;
        }
    }

    /// <summary>For fields Go leaves as "" when unset: missing or empty both get the default.</summary>
    private static void SetIfEmpty(JsonObject obj, string name, string value)
    {
        if (obj[name] is null || obj[name] is JsonValue v && v.TryGetValue<string>(out var text) && text.Length == 0)
        {
            obj[name] = value;
        }
    }
}
