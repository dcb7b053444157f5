using System.Text.Json.Nodes;
using ApiMachinery.Protobuf;
using ApiMachinery.Serialization;
using static ApiMachinery.Tests.Protobuf.Pb;

namespace ApiMachinery.Tests.Protobuf;

/// <summary>
/// Objects as kube-apiserver 1.32 writes them in JSON (`kubectl get -o json` of a kind cluster's
/// objects) survive Encode then Decode unchanged: every field, its order, its zero values.
/// </summary>
public sealed class KubeProtobufRoundTripTests
{
    private const string Pod = """
        {"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-7d4b9c8f6d-x2x9k","generateName":"web-7d4b9c8f6d-","namespace":"default","uid":"0b6a5d3e-6f0e-4a43-9d1c-2f1f8f0e5c11","resourceVersion":"1234","creationTimestamp":"2024-05-01T10:00:00Z","labels":{"app":"web","pod-template-hash":"7d4b9c8f6d"},"annotations":{"kubectl.kubernetes.io/restartedAt":"2024-05-01T09:59:58Z"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7d4b9c8f6d","uid":"5e0c8a3b-1f2d-4c5e-8a9b-0c1d2e3f4a5b","controller":true,"blockOwnerDeletion":true}],"managedFields":[{"manager":"kube-controller-manager","operation":"Update","apiVersion":"v1","time":"2024-05-01T10:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:generateName":{},"f:labels":{".":{},"f:app":{}}}}}]},"spec":{"volumes":[{"name":"kube-api-access-abcde","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},{"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}],"defaultMode":420}},{"name":"cache","emptyDir":{"sizeLimit":"1Gi"}}],"containers":[{"name":"nginx","image":"nginx:1.27","command":["nginx"],"args":["-g","daemon off;"],"ports":[{"name":"http","containerPort":80,"protocol":"TCP"}],"env":[{"name":"MODE","value":"prod"},{"name":"POD_IP","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"status.podIP"}}}],"resources":{"limits":{"cpu":"500m","memory":"128Mi"},"requests":{"cpu":"250m","memory":"64Mi"}},"volumeMounts":[{"name":"kube-api-access-abcde","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"},{"name":"cache","mountPath":"/cache"}],"livenessProbe":{"httpGet":{"path":"/healthz","port":"http","scheme":"HTTP"},"initialDelaySeconds":3,"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3},"readinessProbe":{"tcpSocket":{"port":80},"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent","securityContext":{"capabilities":{"drop":["ALL"]},"runAsNonRoot":true,"allowPrivilegeEscalation":false}}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","nodeSelector":{"kubernetes.io/os":"linux"},"serviceAccountName":"default","serviceAccount":"default","nodeName":"kind-worker","securityContext":{"runAsUser":1000,"fsGroup":2000},"affinity":{"podAntiAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":100,"podAffinityTerm":{"labelSelector":{"matchExpressions":[{"key":"app","operator":"In","values":["web"]}]},"topologyKey":"kubernetes.io/hostname"}}]}},"schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},"status":{"phase":"Running","conditions":[{"type":"PodReadyToStartContainers","status":"True","lastProbeTime":null,"lastTransitionTime":"2024-05-01T10:00:02Z"},{"type":"Initialized","status":"True","lastProbeTime":null,"lastTransitionTime":"2024-05-01T10:00:00Z"},{"type":"Ready","status":"True","lastProbeTime":null,"lastTransitionTime":"2024-05-01T10:00:05Z"}],"hostIP":"172.18.0.3","hostIPs":[{"ip":"172.18.0.3"}],"podIP":"10.244.1.7","podIPs":[{"ip":"10.244.1.7"}],"startTime":"2024-05-01T10:00:00Z","containerStatuses":[{"name":"nginx","state":{"running":{"startedAt":"2024-05-01T10:00:02Z"}},"lastState":{},"ready":true,"restartCount":0,"image":"docker.io/library/nginx:1.27","imageID":"docker.io/library/nginx@sha256:0123abcd","containerID":"containerd://4f5e6d7c","started":true,"volumeMounts":[{"name":"kube-api-access-abcde","mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","readOnly":true,"recursiveReadOnly":"Disabled"}]}],"qosClass":"Burstable"}}
        """;

    private const string Deployment = """
        {"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web","namespace":"default","uid":"9f8e7d6c-5b4a-4321-8765-0fedcba98765","resourceVersion":"2345","generation":3,"creationTimestamp":"2024-05-01T09:00:00Z","labels":{"app":"web"},"annotations":{"deployment.kubernetes.io/revision":"2"}},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.27","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","securityContext":{},"schedulerName":"default-scheduler"}},"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":"25%"}},"revisionHistoryLimit":10,"progressDeadlineSeconds":600},"status":{"observedGeneration":3,"replicas":3,"updatedReplicas":3,"readyReplicas":3,"availableReplicas":3,"conditions":[{"type":"Available","status":"True","lastUpdateTime":"2024-05-01T09:00:10Z","lastTransitionTime":"2024-05-01T09:00:10Z","reason":"MinimumReplicasAvailable","message":"Deployment has minimum availability."},{"type":"Progressing","status":"True","lastUpdateTime":"2024-05-01T10:00:05Z","lastTransitionTime":"2024-05-01T09:00:00Z","reason":"NewReplicaSetAvailable","message":"ReplicaSet \"web-7d4b9c8f6d\" has successfully progressed."}]}}
        """;

    private const string Service = """
        {"kind":"Service","apiVersion":"v1","metadata":{"name":"web","namespace":"default","uid":"1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d","resourceVersion":"3456","creationTimestamp":"2024-05-01T09:00:00Z","labels":{"app":"web"}},"spec":{"ports":[{"name":"http","protocol":"TCP","port":80,"targetPort":"http","nodePort":31080},{"name":"metrics","protocol":"TCP","appProtocol":"http","port":9090,"targetPort":9090,"nodePort":31090}],"selector":{"app":"web"},"clusterIP":"10.96.12.34","clusterIPs":["10.96.12.34"],"type":"LoadBalancer","sessionAffinity":"None","externalTrafficPolicy":"Cluster","ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack","allocateLoadBalancerNodePorts":true,"internalTrafficPolicy":"Cluster"},"status":{"loadBalancer":{"ingress":[{"ip":"172.18.0.100","ipMode":"VIP"}]}}}
        """;

    private const string Node = """
        {"kind":"Node","apiVersion":"v1","metadata":{"name":"kind-worker","uid":"77aa88bb-99cc-4ddd-8eee-ff0011223344","resourceVersion":"4567","creationTimestamp":"2024-05-01T08:00:00Z","labels":{"beta.kubernetes.io/arch":"amd64","beta.kubernetes.io/os":"linux","kubernetes.io/arch":"amd64","kubernetes.io/hostname":"kind-worker","kubernetes.io/os":"linux"},"annotations":{"node.alpha.kubernetes.io/ttl":"0","volumes.kubernetes.io/controller-managed-attach-detach":"true"}},"spec":{"podCIDR":"10.244.1.0/24","podCIDRs":["10.244.1.0/24"],"providerID":"kind://docker/kind/kind-worker","taints":[{"key":"dedicated","value":"web","effect":"NoSchedule"}]},"status":{"capacity":{"cpu":"8","ephemeral-storage":"102626232Ki","hugepages-2Mi":"0","memory":"16318412Ki","pods":"110"},"allocatable":{"cpu":"8","ephemeral-storage":"102626232Ki","hugepages-2Mi":"0","memory":"16318412Ki","pods":"110"},"conditions":[{"type":"MemoryPressure","status":"False","lastHeartbeatTime":"2024-05-01T10:05:00Z","lastTransitionTime":"2024-05-01T08:00:00Z","reason":"KubeletHasSufficientMemory","message":"kubelet has sufficient memory available"},{"type":"Ready","status":"True","lastHeartbeatTime":"2024-05-01T10:05:00Z","lastTransitionTime":"2024-05-01T08:00:20Z","reason":"KubeletReady","message":"kubelet is posting ready status"}],"addresses":[{"type":"InternalIP","address":"172.18.0.3"},{"type":"Hostname","address":"kind-worker"}],"daemonEndpoints":{"kubeletEndpoint":{"Port":10250}},"nodeInfo":{"machineID":"0123456789abcdef","systemUUID":"fedcba98-7654-3210","bootID":"b00710d0-0000-4000-8000-000000000001","kernelVersion":"6.8.0","osImage":"Debian GNU/Linux 12 (bookworm)","containerRuntimeVersion":"containerd://1.7.18","kubeletVersion":"v1.32.0","kubeProxyVersion":"v1.32.0","operatingSystem":"linux","architecture":"amd64"},"images":[{"names":["docker.io/library/nginx@sha256:0123abcd","docker.io/library/nginx:1.27"],"sizeBytes":71000000}],"volumesInUse":["kubernetes.io/csi/hostpath^vol-1"],"runtimeHandlers":[{"name":"runc","features":{"recursiveReadOnlyMounts":true,"userNamespaces":true}},{"name":"","features":{"recursiveReadOnlyMounts":true,"userNamespaces":true}}],"features":{"supplementalGroupsPolicy":true}}}
        """;

    private const string Lease = """
        {"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{"name":"kind-worker","namespace":"kube-node-lease","uid":"12121212-3434-4545-8686-979797979797","resourceVersion":"5678","creationTimestamp":"2024-05-01T08:00:00Z","ownerReferences":[{"apiVersion":"v1","kind":"Node","name":"kind-worker","uid":"77aa88bb-99cc-4ddd-8eee-ff0011223344"}]},"spec":{"holderIdentity":"kind-worker","leaseDurationSeconds":40,"renewTime":"2024-05-01T10:05:07.123456Z"}}
        """;

    private const string Secret = """
        {"kind":"Secret","apiVersion":"v1","metadata":{"name":"tls","namespace":"default","uid":"abababab-cdcd-4efe-8a8a-010101010101","resourceVersion":"6789","creationTimestamp":"2024-05-01T08:00:00Z"},"immutable":true,"data":{"tls.crt":"LS0tLS1CRUdJTg==","tls.key":""},"type":"kubernetes.io/tls"}
        """;

    private const string EventV1 = """
        {"kind":"Event","apiVersion":"events.k8s.io/v1","metadata":{"name":"web.17c1","namespace":"default","uid":"cdcdcdcd-0000-4000-8000-000000000002","resourceVersion":"7890","creationTimestamp":"2024-05-01T10:00:01Z"},"eventTime":"2024-05-01T10:00:01.000001Z","reportingController":"default-scheduler","reportingInstance":"default-scheduler-kind-control-plane","action":"Binding","reason":"Scheduled","regarding":{"kind":"Pod","namespace":"default","name":"web-7d4b9c8f6d-x2x9k","uid":"0b6a5d3e-6f0e-4a43-9d1c-2f1f8f0e5c11","apiVersion":"v1","resourceVersion":"1230"},"note":"Successfully assigned default/web-7d4b9c8f6d-x2x9k to kind-worker","type":"Normal","deprecatedSource":{},"deprecatedFirstTimestamp":null,"deprecatedLastTimestamp":null}
        """;

    public static TheoryData<string> Objects => [Pod, Deployment, Service, Node, Lease, Secret, EventV1];

    [Theory]
    [MemberData(nameof(Objects))]
    public void EncodeThenDecode_KubeApiserverJson_IsUnchanged(string json)
    {
        var expected = JsonNode.Parse(json)!.ToJsonString(GoJsonEncoder.SerializerOptions);

        var bytes = KubeProtobuf.Encode(JsonNode.Parse(json)!.AsObject());
        var actual = KubeProtobuf.Decode(bytes).ToJsonString(GoJsonEncoder.SerializerOptions);

        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(Objects))]
    public void Encode_SameObjectTwice_GivesTheSameBytes(string json)
    {
        var once = KubeProtobuf.Encode(JsonNode.Parse(json)!.AsObject());
        var twice = KubeProtobuf.Encode(KubeProtobuf.Decode(once));

        Assert.Equal(once, twice);
    }

    [Fact]
    public void Encode_NonPointerZeroFields_AreWrittenAsGogoDoes()
    {
        var bytes = KubeProtobuf.Encode(new JsonObject { ["kind"] = "Namespace", ["apiVersion"] = "v1", ["metadata"] = new JsonObject { ["name"] = "x" } });

        // Every string and the generation of ObjectMeta, an empty creationTimestamp, empty spec and status{phase: ""}.
        byte[] raw = [.. L(1, S(1, "x"), S(2, ""), S(3, ""), S(4, ""), S(5, ""), S(6, ""), V(7, 0), L(8)), .. L(2), .. L(3, S(1, ""))];
        Assert.Equal(Envelope("v1", "Namespace", raw), bytes);
    }

    [Fact]
    public void Encode_TimesQuantitiesIntOrStrings_AsTheirProtobufMessages()
    {
        var bytes = KubeProtobuf.Encode(JsonNode.Parse("""
            {"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{"creationTimestamp":"2023-11-14T23:13:20+01:00"},
             "spec":{"renewTime":"2023-11-14T22:13:20.1234567Z","leaseDurationSeconds":-1}}
            """)!.AsObject());
        byte[] meta = L(1, S(1, ""), S(2, ""), S(3, ""), S(4, ""), S(5, ""), S(6, ""), V(7, 0), L(8, V(1, 1700000000), V(2, 0)));
        byte[] spec = L(2, V(2, -1), L(4, V(1, 1700000000), V(2, 123_456_000)));

        Assert.Equal(Envelope("coordination.k8s.io/v1", "Lease", [.. meta, .. spec]), bytes);
    }

    [Fact]
    public void Encode_MapKeys_SortedByTheirUtf8Bytes()
    {
        var bytes = KubeProtobuf.Encode(JsonNode.Parse("""{"kind":"ConfigMap","apiVersion":"v1","data":{"b":"2","\uE000":"p","a":"1","😀":"e"}}""")!.AsObject());
        var decoded = KubeProtobuf.Decode(bytes);

        Assert.Equal(["a", "b", "\uE000", "😀"], decoded["data"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void Encode_UnknownJsonFields_AreDropped()
    {
        var bytes = KubeProtobuf.Encode(JsonNode.Parse("""{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x","bogus":1},"bogus":{"a":1},"data":{"k":"v"}}""")!.AsObject());

        Assert.Equal("""{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x","creationTimestamp":null},"data":{"k":"v"}}""", KubeProtobuf.Decode(bytes).ToJsonString());
    }

    [Fact]
    public void Encode_QuantityAsJsonNumber_TravelsAsItsText()
    {
        var bytes = KubeProtobuf.Encode(JsonNode.Parse("""{"kind":"ResourceQuota","apiVersion":"v1","spec":{"hard":{"pods":10,"cpu":1.5}}}""")!.AsObject());

        Assert.Equal("""{"cpu":"1.5","pods":"10"}""", KubeProtobuf.Decode(bytes)["spec"]!["hard"]!.ToJsonString());
    }

    public static TheoryData<string, string> BadObjects => new()
    {
        { """{"apiVersion":"v1"}""", "the object has no kind" },
        { """{"kind":"Pod"}""", "the object has no apiVersion" },
        { """{"kind":"Widget","apiVersion":"example.com/v1"}""", "no protobuf form is known for example.com/v1, Kind=Widget" },
        { """{"kind":"Deployment","apiVersion":"apps/v1","spec":{"replicas":"3"}}""", "apps/v1.DeploymentSpec.replicas: expected an integer" },
        { """{"kind":"Deployment","apiVersion":"apps/v1","spec":{"replicas":3000000000}}""", "apps/v1.DeploymentSpec.replicas: expected an integer" },
        { """{"kind":"Deployment","apiVersion":"apps/v1","spec":{"replicas":1.5}}""", "expected an integer" },
        { """{"kind":"ConfigMap","apiVersion":"v1","data":["a"]}""", "core/v1.ConfigMap.data: expected an object" },
        { """{"kind":"Secret","apiVersion":"v1","data":{"k":"not base64!"}}""", "core/v1.Secret.data: expected base64" },
        { """{"kind":"Namespace","apiVersion":"v1","metadata":{"creationTimestamp":"yesterday"}}""", "expected an RFC3339 time" },
        { """{"kind":"Namespace","apiVersion":"v1","metadata":{"finalizers":"x"}}""", "meta/v1.ObjectMeta.finalizers: expected an array" },
        { """{"kind":"Namespace","apiVersion":"v1","spec":[]}""", "core/v1.Namespace.spec: expected an object" },
        { """{"kind":"Pod","apiVersion":"v1","spec":{"hostNetwork":"yes"}}""", "core/v1.PodSpec.hostNetwork: expected a boolean" },
    };

    [Theory]
    [MemberData(nameof(BadObjects))]
    public void Encode_ObjectItCannotRepresent_ThrowsArgumentException(string json, string message)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => KubeProtobuf.Encode(JsonNode.Parse(json)!.AsObject()));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
