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
    public static void Apply(ResourceDefinition resource, JsonObject obj)
    {
        switch ((resource.Group, resource.Kind))
        {
            case ("", "Pod"):
                PodSpec(Object(obj, "spec"));
                break;
            case ("", "PodTemplate"):
                PodTemplate(obj["template"] as JsonObject);
                break;
            case ("", "ReplicationController"):
                ReplicationController(obj);
                break;
            case ("", "Service"):
                Service(Object(obj, "spec"));
                break;
            case ("", "Secret"):
                SetIfMissing(obj, "type", "Opaque");
                break;
            case ("", "PersistentVolumeClaim"):
                SetIfMissing(Object(obj, "spec"), "volumeMode", "Filesystem");
                break;
            case ("", "PersistentVolume"):
                var pv = Object(obj, "spec");
                SetIfMissing(pv, "persistentVolumeReclaimPolicy", "Retain");
                SetIfMissing(pv, "volumeMode", "Filesystem");
                break;
            case ("", "Endpoints"):
                foreach (var subset in Items(obj["subsets"]))
                {
                    Ports(subset["ports"], "protocol");
                }

                break;
            case ("apps", "Deployment"):
                Deployment(Object(obj, "spec"));
                break;
            case ("apps", "ReplicaSet"):
                SetIfMissing(Object(obj, "spec"), "replicas", 1);
                PodTemplate(obj["spec"]?["template"] as JsonObject);
                break;
            case ("apps", "StatefulSet"):
                StatefulSet(Object(obj, "spec"));
                break;
            case ("apps", "DaemonSet"):
                DaemonSet(Object(obj, "spec"));
                break;
            case ("batch", "Job"):
                JobSpec(Object(obj, "spec"));
                break;
            case ("batch", "CronJob"):
                CronJob(Object(obj, "spec"));
                break;
            case ("autoscaling", "HorizontalPodAutoscaler"):
                SetIfMissing(Object(obj, "spec"), "minReplicas", 1);
                break;
            case ("networking.k8s.io", "NetworkPolicy"):
                NetworkPolicy(Object(obj, "spec"));
                break;
            case ("scheduling.k8s.io", "PriorityClass"):
                SetIfMissing(obj, "preemptionPolicy", "PreemptLowerPriority");
                break;
            case ("storage.k8s.io", "StorageClass"):
                SetIfMissing(obj, "reclaimPolicy", "Delete");
                SetIfMissing(obj, "volumeBindingMode", "Immediate");
                break;
            default:
                break;
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

    private static void Volume(JsonObject volume)
    {
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
            SetIfMissing(spec, "ipFamilyPolicy", "SingleStack");
            SetIfMissing(spec, "ipFamilies", new JsonArray("IPv4"));
        }

        if (type is "NodePort" or "LoadBalancer")
        {
            SetIfMissing(spec, "externalTrafficPolicy", "Cluster");
        }

        if (type == "LoadBalancer")
        {
            SetIfMissing(spec, "allocateLoadBalancerNodePorts", true);
        }

        foreach (var port in Items(spec["ports"]))
        {
            SetIfMissing(port, "protocol", "TCP");
            if (port["port"] is { } number)
            {
                SetIfMissing(port, "targetPort", number.DeepClone());
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

    private static void SetIfMissing(JsonObject obj, string name, JsonNode value)
    {
        if (obj[name] is null)
        {
            obj[name] = value;
        }
    }
}
