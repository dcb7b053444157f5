using System.Text.Json.Nodes;
using ApiMachinery.Validation;
using ApiServer.Registry;
using ApiServer.Registry.Defaulting;
using ApiServer.Registry.Validation;

namespace ApiServer.Tests.Validation;

/// <summary>
/// kube's validation rules, kind by kind, as tables: an object (defaulted as the server defaults it)
/// and the error text kube gives for it (field path and message, as in "is invalid: ...").
/// </summary>
public sealed class KindValidationTests
{
    private static readonly ResourceTable Table = ResourceTable.LoadBuiltin();

    private const string PodSpec = """{"containers":[{"name":"c","image":"busybox"}]}""";

    private static string Template(string labels = """{"app":"web"}""", string spec = PodSpec) =>
        """{"metadata":{"labels":@L@},"spec":@S@}""".Replace("@L@", labels).Replace("@S@", spec);

    private const string NeverSpec = """{"restartPolicy":"Never","containers":[{"name":"c","image":"i"}]}""";

    /// <summary>Fills the placeholders of a case: @T@ a pod template, @N@ one whose pods restart Never, @V2@ and @XY@ templates with more labels.</summary>
    private static string J(string json) => json
        .Replace("@T@", Template()).Replace("@N@", Template(spec: NeverSpec))
        .Replace("@V2@", Template("""{"app":"web","v":"2"}""")).Replace("@XY@", Template("""{"app":"web","x":"y"}"""))
        .Replace("@P@", PodSpec);

    public static TheoryData<string, string, string, string> Invalid() => new()
    {
        // core
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"busybox","ports":[{"containerPort":-1}]}]}}""",
            "spec.containers[0].ports[0].containerPort: Invalid value: -1: must be between 1 and 65535, inclusive" },
        { "", "Pod", """{"spec":{"containers":[]}}""", "spec.containers: Required value" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":""}]}}""", "spec.containers[0].image: Required value" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i"},{"name":"c","image":"i"}]}}""", "spec.containers[1].name: Duplicate value: \"c\"" },
        { "", "Pod", """{"spec":{"restartPolicy":"Sometimes","containers":[{"name":"c","image":"i"}]}}""",
            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i","volumeMounts":[{"name":"missing","mountPath":"/m"}]}]}}""",
            "spec.containers[0].volumeMounts[0].name: Not found: \"missing\"" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i","resources":{"requests":{"cpu":"2"},"limits":{"cpu":"1"}}}]}}""",
            "spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i"}],"tolerations":[{"key":"k","operator":"Exists","value":"v"}]}}""",
            "value must be empty when `operator` is 'Exists'" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i","env":[{"name":"A","valueFrom":{}}]}]}}""",
            "spec.containers[0].env[0].valueFrom: Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i","livenessProbe":{"successThreshold":2,"exec":{"command":["true"]}}}]}}""",
            "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1" },
        { "", "ConfigMap", """{"data":{"bad key!":"v"}}""",
            "data[bad key!]: Invalid value: \"bad key!\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')" },
        { "", "ConfigMap", """{"data":{"big":"@BIGTEXT@"}}""", ": Too long: may not be more than 1048576 bytes" },
        { "", "Secret", """{"data":{"big":"@BIGBYTES@"}}""", "data: Too long: may not be more than 1048576 bytes" },
        { "", "Secret", """{"type":"kubernetes.io/basic-auth","data":{}}""", "data[%s][username]: Required value" },
        { "", "Service", """{"spec":{}}""", "spec.ports: Required value" },
        { "", "Service", """{"spec":{"ports":[{"port":80},{"port":81}]}}""", "spec.ports[0].name: Required value" },
        { "", "Service", """{"spec":{"type":"ExternalName"}}""", "spec.externalName: Required value" },
        { "", "Service", """{"spec":{"type":"ClusterIP","ports":[{"port":80,"nodePort":30000}]}}""",
            "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'" },
        { "", "PersistentVolume", """{"spec":{"accessModes":["ReadWriteOnce"],"capacity":{"storage":"1Gi"}}}""", "spec: Required value: must specify a volume type" },
        { "", "PersistentVolumeClaim", """{"spec":{"accessModes":["ReadWriteOnce"]}}""", "spec.resources[storage]: Required value" },
        { "", "ReplicationController", """{"spec":{"selector":{"app":"other"},"template":@T@}}""",
            "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`" },
        { "", "ResourceQuota", """{"spec":{"hard":{"pods":"-1"}}}""", "spec.hard[pods]: Invalid value: \"-1\": must be greater than or equal to 0" },

        // apps
        { "apps", "Deployment", """{"spec":{"selector":{"matchLabels":{"app":"other"}},"template":@T@}}""",
            "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`" },
        { "apps", "Deployment", """{"spec":{"template":@T@}}""", "spec.selector: Required value" },
        { "apps", "Deployment", """{"spec":{"selector":{"matchLabels":{}},"template":@T@}}""",
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment" },
        { "apps", "Deployment", """{"spec":{"selector":{"matchLabels":{"app":"web"}},"template":@N@}}""",
            "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"" },
        { "apps", "Deployment", """{"spec":{"replicas":-1,"selector":{"matchLabels":{"app":"web"}},"template":@T@}}""",
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0" },
        { "apps", "Deployment", """{"spec":{"strategy":{"rollingUpdate":{"maxUnavailable":0,"maxSurge":0}},"selector":{"matchLabels":{"app":"web"}},"template":@T@}}""",
            "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0" },
        { "apps", "StatefulSet", """{"spec":{"template":@T@}}""", "spec.selector: Required value" },
        { "apps", "DaemonSet", """{"spec":{"selector":{"matchLabels":{"app":"x"}},"template":@T@}}""", "`selector` does not match template `labels`" },

        // batch
        { "batch", "CronJob", """{"spec":{"schedule":"not a schedule","jobTemplate":{"spec":{"template":@N@}}}}""",
            "spec.schedule: Invalid value: \"not a schedule\": expected exactly 5 fields, found 3: [not a schedule]" },
        { "batch", "CronJob", """{"spec":{"schedule":"TZ=UTC * * * * *","jobTemplate":{"spec":{"template":@N@}}}}""",
            "spec.schedule: Invalid value: \"TZ=UTC * * * * *\": cannot use TZ or CRON_TZ in schedule, use timeZone field instead" },
        { "batch", "CronJob", """{"spec":{"schedule":"@daily","timeZone":"Mars/Olympus","jobTemplate":{"spec":{"template":@N@}}}}""",
            "spec.timeZone: Invalid value: \"Mars/Olympus\": unknown time zone Mars/Olympus" },
        { "batch", "Job", """{"spec":{"template":@T@}}""",
            "spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\"" },
        { "batch", "Job", """{"spec":{"manualSelector":true,"template":@N@}}""",
            "spec.selector: Required value" },

        // rbac
        { "rbac.authorization.k8s.io", "RoleBinding", """{"subjects":[{"kind":"User","name":"a"}]}""", "roleRef.name: Required value" },
        { "rbac.authorization.k8s.io", "ClusterRoleBinding", """{"roleRef":{"kind":"Role","name":"r"}}""",
            "roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\"" },
        { "rbac.authorization.k8s.io", "ClusterRoleBinding", """{"roleRef":{"kind":"ClusterRole","name":"r"},"subjects":[{"kind":"ServiceAccount","name":"sa"}]}""",
            "subjects[0].namespace: Required value" },
        { "rbac.authorization.k8s.io", "Role", """{"rules":[{"verbs":["get"],"nonResourceURLs":["/healthz"]}]}""",
            "rules[0].nonResourceURLs: Invalid value: []string{\"/healthz\"}: namespaced rules cannot apply to non-resource URLs" },

        // networking, storage, the rest
        { "networking.k8s.io", "Ingress", """{"spec":{"rules":[{"host":"1.2.3.4"}]}}""", "spec.rules[0].host: Invalid value: \"1.2.3.4\": must be a DNS name, not an IP address" },
        { "networking.k8s.io", "Ingress", """{"spec":{"rules":[{"http":{"paths":[{"path":"/","backend":{"service":{"name":"s","port":{"number":80}}}}]}}]}}""",
            "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified" },
        { "networking.k8s.io", "NetworkPolicy", """{"spec":{"podSelector":{},"ingress":[{"from":[{}]}]}}""", "spec.ingress[0].from[0]: Required value: must specify a peer" },
        { "storage.k8s.io", "StorageClass", "{}", "provisioner: Required value" },
        { "storage.k8s.io", "StorageClass", """{"provisioner":"p","reclaimPolicy":"Recycle"}""", "reclaimPolicy: Unsupported value: \"Recycle\": supported values: \"Delete\", \"Retain\"" },
        { "policy", "PodDisruptionBudget", """{"spec":{"minAvailable":"150%"}}""", "spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"150%\"}: must not be greater than 100%" },
        { "scheduling.k8s.io", "PriorityClass", """{"value":1}""", "" },
        { "admissionregistration.k8s.io", "ValidatingWebhookConfiguration", """{"webhooks":[{"name":"short","clientConfig":{"url":"http://x"},"sideEffects":"None","admissionReviewVersions":["v1"]}]}""",
            "webhooks[0].name: Invalid value: \"short\": should be a domain with at least three segments separated by dots" },
        { "admissionregistration.k8s.io", "ValidatingWebhookConfiguration", """{"webhooks":[{"name":"a.b.c","clientConfig":{"url":"http://x"},"sideEffects":"None","admissionReviewVersions":["v1"]}]}""",
            "webhooks[0].clientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL scheme; desired format: https://host[/path]" },
        { "coordination.k8s.io", "Lease", """{"spec":{"leaseTransitions":-1}}""", "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0" },
        { "autoscaling", "HorizontalPodAutoscaler", """{"spec":{"scaleTargetRef":{"kind":"Deployment","name":"d"},"minReplicas":3,"maxReplicas":2}}""",
            "spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`" },
        { "certificates.k8s.io", "CertificateSigningRequest", """{"spec":{"request":"","signerName":"example","usages":["client auth"]}}""",
            "spec.signerName: Invalid value: \"example\": must be a fully qualified domain and path of the form 'example.com/signer-name'" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Create_InvalidObject_KubesError(string group, string kind, string json, string expected)
    {
        var errors = ValidateCreate(group, kind, json);
        if (expected.Length == 0)
        {
            Assert.Empty(errors);
            return;
        }

        Assert.Contains(errors, e => e.ToString().Contains(expected, StringComparison.Ordinal));
    }

    public static TheoryData<string, string, string, string, string> InvalidUpdates() => new()
    {
        { "apps", "Deployment", """{"spec":{"selector":{"matchLabels":{"app":"web"}},"template":@T@}}""",
            """{"spec":{"selector":{"matchLabels":{"app":"web","v":"2"}},"template":@V2@}}""",
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"v\":\"2\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable" },
        { "apps", "ReplicaSet", """{"spec":{"selector":{"matchLabels":{"app":"web"}},"template":@T@}}""",
            """{"spec":{"selector":{"matchExpressions":[{"key":"app","operator":"In","values":["web"]}]},"template":@T@}}""",
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:\"app\", Operator:\"In\", Values:[]string{\"web\"}}}}: field is immutable" },
        { "apps", "StatefulSet", """{"spec":{"serviceName":"a","selector":{"matchLabels":{"app":"web"}},"template":@T@}}""",
            """{"spec":{"serviceName":"b","selector":{"matchLabels":{"app":"web"}},"template":@T@}}""",
            "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden" },
        { "apps", "DaemonSet", """{"spec":{"selector":{"matchLabels":{"app":"web"}},"template":@T@}}""",
            """{"spec":{"selector":{"matchLabels":{"app":"web","x":"y"}},"template":@XY@}}""",
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"x\":\"y\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":80}]}]}}""",
            """{"spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":81}]}]}}""",
            "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative),`spec.containers[*].resources` (for CPU/memory only)" },
        { "", "Pod", """{"spec":{"containers":[{"name":"c","image":"i"}]}}""",
            """{"spec":{"containers":[{"name":"c","image":"i"},{"name":"d","image":"i"}]}}""",
            "spec.containers: Forbidden: pod updates may not add or remove containers" },
        { "", "ConfigMap", """{"immutable":true,"data":{"a":"1"}}""", """{"immutable":true,"data":{"a":"2"}}""",
            "data: Forbidden: field is immutable when `immutable` is set" },
        { "", "Secret", """{"type":"Opaque"}""", """{"type":"kubernetes.io/tls","data":{"tls.crt":"","tls.key":""}}""",
            "type: Invalid value: \"kubernetes.io/tls\": field is immutable" },
        { "rbac.authorization.k8s.io", "RoleBinding", """{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"}}""",
            """{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"edit"}}""",
            "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", Name:\"edit\"}: cannot change roleRef" },
        { "storage.k8s.io", "StorageClass", """{"provisioner":"a"}""", """{"provisioner":"b"}""", "provisioner: Forbidden: updates to provisioner are forbidden." },
        { "scheduling.k8s.io", "PriorityClass", """{"value":1}""", """{"value":2}""", "value: Forbidden: may not be changed in an update." },
    };

    [Theory]
    [MemberData(nameof(InvalidUpdates))]
    public void Update_ChangesKubeForbids_KubesError(string group, string kind, string oldJson, string newJson, string expected)
    {
        var validation = KindValidations.For(group, kind)!;
        var old = Defaulted(group, kind, oldJson);
        var now = Defaulted(group, kind, newJson);
        Assert.Contains(validation.ValidateUpdate(now, old), e => e.ToString().Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("apps", "Deployment")]
    [InlineData("", "Pod")]
    [InlineData("", "ConfigMap")]
    [InlineData("rbac.authorization.k8s.io", "RoleBinding")]
    public void Update_SameObject_IsValid(string group, string kind)
    {
        var json = (group, kind) switch
        {
            ("apps", _) => """{"spec":{"selector":{"matchLabels":{"app":"web"}},"template":@T@}}""",
            ("", "Pod") => """{"spec":@P@}""",
            ("", _) => """{"data":{"a":"b"}}""",
            _ => """{"roleRef":{"kind":"ClusterRole","name":"view"}}""",
        };
        var obj = Defaulted(group, kind, json);
        Assert.Empty(KindValidations.For(group, kind)!.ValidateUpdate((JsonObject)obj.DeepClone(), obj));
    }

    [Fact]
    public void Pod_ImageChange_IsAllowed()
    {
        var old = Defaulted("", "Pod", """{"spec":{"containers":[{"name":"c","image":"a:1"}]}}""");
        var now = (JsonObject)old.DeepClone();
        now["spec"]!["containers"]![0]!["image"] = "a:2";
        Assert.Empty(KindValidations.For("", "Pod")!.ValidateUpdate(now, old));
    }

    [Fact]
    public void Validate_ReportsEveryErrorAtOnce()
    {
        var errors = ValidateCreate("", "Pod", """{"spec":{"restartPolicy":"Bad","containers":[{"name":"Bad_Name","image":"","ports":[{"containerPort":70000}]}]}}""");
        Assert.Contains(errors, e => e.Field == "spec.restartPolicy");
        Assert.Contains(errors, e => e.Field == "spec.containers[0].name");
        Assert.Contains(errors, e => e.Field == "spec.containers[0].image");
        Assert.Contains(errors, e => e.Field == "spec.containers[0].ports[0].containerPort");
    }

    [Fact]
    public void EveryStoredKind_HasValidation_OrIsMetadataOnly()
    {
        foreach (var resource in Table.All.Where(r => r.Supports("create") && r.Supports("get")))
        {
            var known = KindValidations.For(resource.Group, resource.Kind) is not null
                || KindValidations.MetadataOnly.Contains((resource.Group, resource.Kind))
                || resource.Group == "apiextensions.k8s.io";
            Assert.True(known, $"{resource.Group}/{resource.Kind} has no entry in KindValidations");
        }
    }

    private static List<FieldError> ValidateCreate(string group, string kind, string json) =>
        KindValidations.For(group, kind)!.ValidateCreate(Defaulted(group, kind, json));

    private static string Big(string json) => json
        .Replace("@BIGTEXT@", new string('x', (1024 * 1024) + 1))
        .Replace("@BIGBYTES@", Convert.ToBase64String(new byte[(1024 * 1024) + 1]));

    /// <summary>The object as validation sees it: with kube's defaults applied.</summary>
    private static JsonObject Defaulted(string group, string kind, string json)
    {
        var obj = JsonNode.Parse(Big(J(json)))!.AsObject();
        obj["metadata"] = new JsonObject { ["name"] = "x", ["namespace"] = "ns", ["uid"] = "u" };
        var resource = Table.All.First(r => r.Group == group && r.Kind == kind);
        BuiltinDefaults.Apply(resource, obj);
        return obj;
    }
}
