using System.Text.Json.Nodes;
using ApiServer.Registry;
using ApiServer.Registry.Defaulting;

namespace ApiServer.Tests.Registry;

/// <summary>
/// The defaults kube-apiserver fills in on decode, with the cases of kube's defaults_test.go
/// (pkg/apis/core/v1, apps/v1, batch/v1) written as data: an object in, one field's value out.
/// </summary>
public sealed class BuiltinDefaultsTests
{
    private static readonly ResourceTable Table = ResourceTable.LoadBuiltin();

    public static TheoryData<string, string, string, string, string> Cases() => new()
    {
        // group, kind, object, dotted path (numbers index lists), expected JSON
        // core/v1
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i"}],"volumes":[{"name":"v"}]}}""", "spec.volumes.0.emptyDir", "{}" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i"}],"volumes":[{"name":"v","hostPath":{"path":"/p"}}]}}""", "spec.volumes.0.hostPath.type", "\"\"" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i"}],"volumes":[{"name":"v","secret":{"secretName":"s"}}]}}""", "spec.volumes.0.secret.defaultMode", "420" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i"}],"volumes":[{"name":"v","projected":{"sources":[{"serviceAccountToken":{"path":"t"}}]}}]}}""",
            "spec.volumes.0.projected.sources.0.serviceAccountToken.expirationSeconds", "3600" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i"}],"volumes":[{"name":"v","downwardAPI":{"items":[{"path":"n","fieldRef":{"fieldPath":"metadata.name"}}]}}]}}""",
            "spec.volumes.0.downwardAPI.items.0.fieldRef.apiVersion", "\"v1\"" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i"}]}}""", "spec.restartPolicy", "\"Always\"" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i"}]}}""", "spec.dnsPolicy", "\"ClusterFirst\"" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i"}]}}""", "spec.terminationGracePeriodSeconds", "30" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i"}]}}""", "spec.schedulerName", "\"default-scheduler\"" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i"}]}}""", "spec.containers.0.imagePullPolicy", "\"Always\"" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i:1.0"}]}}""", "spec.containers.0.imagePullPolicy", "\"IfNotPresent\"" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i:latest"}]}}""", "spec.containers.0.imagePullPolicy", "\"Always\"" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i","livenessProbe":{"exec":{"command":["x"]}}}]}}""", "spec.containers.0.livenessProbe.periodSeconds", "10" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i","livenessProbe":{"exec":{"command":["x"]}}}]}}""", "spec.containers.0.livenessProbe.failureThreshold", "3" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i","resources":{"limits":{"cpu":"1"}}}]}}""", "spec.containers.0.resources.requests.cpu", "\"1\"" },
        { "", "Pod", """{"spec":{"hostNetwork":true,"containers":[{"name":"c","image":"i","ports":[{"containerPort":80}]}]}}""", "spec.containers.0.ports.0.hostPort", "80" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i","env":[{"name":"N","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]}]}}""",
            "spec.containers.0.env.0.valueFrom.fieldRef.apiVersion", "\"v1\"" },
        { "", "Secret", "{}", "type", "\"Opaque\"" },
        { "", "Service", """{"spec":{"ports":[{"port":80}]}}""", "spec.type", "\"ClusterIP\"" },
        { "", "Service", """{"spec":{"ports":[{"port":80}]}}""", "spec.sessionAffinity", "\"None\"" },
        { "", "Service", """{"spec":{"ports":[{"port":80}]}}""", "spec.ports.0.targetPort", "80" },
        { "", "Service", """{"spec":{"ports":[{"port":80}]}}""", "spec.ports.0.protocol", "\"TCP\"" },
        { "", "Service", """{"spec":{"sessionAffinity":"ClientIP","ports":[{"port":80}]}}""", "spec.sessionAffinityConfig.clientIP.timeoutSeconds", "10800" },
        { "", "Service", """{"spec":{"type":"NodePort","ports":[{"port":80}]}}""", "spec.externalTrafficPolicy", "\"Cluster\"" },
        { "", "PersistentVolume", "{}", "spec.persistentVolumeReclaimPolicy", "\"Retain\"" },
        { "", "PersistentVolume", "{}", "spec.volumeMode", "\"Filesystem\"" },
        { "", "PersistentVolumeClaim", "{}", "spec.volumeMode", "\"Filesystem\"" },
        { "", "Endpoints", """{"subsets":[{"ports":[{"port":80}]}]}""", "subsets.0.ports.0.protocol", "\"TCP\"" },
        { "", "ReplicationController", """{"spec":{"template":{"metadata":{"labels":{"a":"b"}}}}}""", "spec.replicas", "1" },
        { "", "ReplicationController", """{"spec":{"template":{"metadata":{"labels":{"a":"b"}}}}}""", "spec.selector", """{"a":"b"}""" },
        { "", "ReplicationController", """{"spec":{"template":{"metadata":{"labels":{"a":"b"}}}}}""", "metadata.labels", """{"a":"b"}""" },
        { "", "Node", """{"status":{"capacity":{"cpu":"2"}}}""", "status.allocatable", """{"cpu":"2"}""" },
        { "", "LimitRange", """{"spec":{"limits":[{"type":"Container","max":{"cpu":"2"}}]}}""", "spec.limits.0.default.cpu", "\"2\"" },
        { "", "LimitRange", """{"spec":{"limits":[{"type":"Container","max":{"cpu":"2"}}]}}""", "spec.limits.0.defaultRequest.cpu", "\"2\"" },

        // apps/v1
        { "apps", "Deployment", "{}", "spec.replicas", "1" },
        { "apps", "Deployment", "{}", "spec.strategy.rollingUpdate.maxUnavailable", "\"25%\"" },
        { "apps", "Deployment", "{}", "spec.strategy.rollingUpdate.maxSurge", "\"25%\"" },
        { "apps", "Deployment", "{}", "spec.revisionHistoryLimit", "10" },
        { "apps", "Deployment", "{}", "spec.progressDeadlineSeconds", "600" },
        { "apps", "DaemonSet", "{}", "spec.updateStrategy.rollingUpdate.maxUnavailable", "1" },
        { "apps", "DaemonSet", "{}", "spec.updateStrategy.rollingUpdate.maxSurge", "0" },
        { "apps", "StatefulSet", "{}", "spec.podManagementPolicy", "\"OrderedReady\"" },
        { "apps", "StatefulSet", "{}", "spec.updateStrategy.rollingUpdate.partition", "0" },
        { "apps", "StatefulSet", "{}", "spec.persistentVolumeClaimRetentionPolicy", """{"whenDeleted":"Retain","whenScaled":"Retain"}""" },
        { "apps", "ReplicaSet", "{}", "spec.replicas", "1" },

        // batch/v1
        { "batch", "Job", "{}", "spec.completions", "1" },
        { "batch", "Job", "{}", "spec.parallelism", "1" },
        { "batch", "Job", """{"spec":{"completions":2}}""", "spec.parallelism", "1" },
        { "batch", "Job", """{"spec":{"parallelism":2}}""", "spec.completions", "null" },
        { "batch", "Job", "{}", "spec.backoffLimit", "6" },
        { "batch", "Job", "{}", "spec.completionMode", "\"NonIndexed\"" },
        { "batch", "Job", "{}", "spec.suspend", "false" },
        { "batch", "Job", "{}", "spec.podReplacementPolicy", "\"TerminatingOrFailed\"" },
        { "batch", "Job", """{"spec":{"podFailurePolicy":{"rules":[]}}}""", "spec.podReplacementPolicy", "\"Failed\"" },
        { "batch", "CronJob", "{}", "spec.concurrencyPolicy", "\"Allow\"" },
        { "batch", "CronJob", "{}", "spec.successfulJobsHistoryLimit", "3" },
        { "batch", "CronJob", "{}", "spec.failedJobsHistoryLimit", "1" },

        // the rest
        { "rbac.authorization.k8s.io", "RoleBinding", """{"roleRef":{"kind":"Role","name":"r"},"subjects":[{"kind":"User","name":"u"}]}""", "subjects.0.apiGroup", "\"rbac.authorization.k8s.io\"" },
        { "storage.k8s.io", "StorageClass", "{}", "reclaimPolicy", "\"Delete\"" },
        { "storage.k8s.io", "StorageClass", "{}", "volumeBindingMode", "\"Immediate\"" },
        { "scheduling.k8s.io", "PriorityClass", "{}", "preemptionPolicy", "\"PreemptLowerPriority\"" },
        { "networking.k8s.io", "NetworkPolicy", """{"spec":{"egress":[{}]}}""", "spec.policyTypes", """["Ingress","Egress"]""" },
        { "autoscaling", "HorizontalPodAutoscaler", "{}", "spec.minReplicas", "1" },
        { "resource.k8s.io", "ResourceClaim", """{"spec":{"devices":{"requests":[{"name":"r","exactly":{"deviceClassName":"c"}}]}}}""", "spec.devices.requests.0.exactly.count", "1" },
        { "admissionregistration.k8s.io", "ValidatingWebhookConfiguration", """{"webhooks":[{"name":"a.b.c","rules":[{}]}]}""", "webhooks.0.timeoutSeconds", "10" },
        { "admissionregistration.k8s.io", "ValidatingWebhookConfiguration", """{"webhooks":[{"name":"a.b.c","rules":[{}]}]}""", "webhooks.0.rules.0.scope", "\"*\"" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Apply_FillsKubesDefault(string group, string kind, string json, string path, string expected)
    {
        var obj = JsonNode.Parse(json)!.AsObject();
        BuiltinDefaults.Apply(Table.All.First(r => r.Group == group && r.Kind == kind), obj);
        JsonNode? node = obj;
        foreach (var part in path.Split('.'))
        {
            node = int.TryParse(part, out var index) ? node?[index] : node?[part];
        }

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), node), $"{path}: expected {expected}, got {node?.ToJsonString() ?? "null"}");
    }

    [Fact]
    public void Apply_NeverChangesWhatTheClientSet()
    {
        var obj = JsonNode.Parse("""{"spec":{"restartPolicy":"Never","dnsPolicy":"Default","containers":[{"name":"c","image":"i","imagePullPolicy":"Never"}],"volumes":[{"name":"v","configMap":{"name":"m","defaultMode":256}}]}}""")!.AsObject();
        BuiltinDefaults.Apply(Table.Find("", "v1", "pods")!, obj);
        Assert.Equal("Never", obj["spec"]!["restartPolicy"]!.GetValue<string>());
        Assert.Equal("Default", obj["spec"]!["dnsPolicy"]!.GetValue<string>());
        Assert.Equal("Never", obj["spec"]!["containers"]![0]!["imagePullPolicy"]!.GetValue<string>());
        Assert.Equal(256, obj["spec"]!["volumes"]![0]!["configMap"]!["defaultMode"]!.GetValue<int>());
        Assert.Null(obj["spec"]!["volumes"]![0]!["emptyDir"]);
    }
}
