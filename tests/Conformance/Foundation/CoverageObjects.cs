using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using ApiServer.Registry;

namespace Conformance.Foundation;

/// <summary>
/// For every stored built-in kind: the smallest object kube-apiserver accepts, and one object it
/// refuses with the 422 message it gives. <see cref="ResourceCoverageTests"/> drives both through
/// the HTTP API; a kind added to the resource table without a row here fails that test.
/// </summary>
internal static class CoverageObjects
{
    /// <summary>A name the kind accepts: most kinds take any DNS label; IP addresses and API services are named by what they are.</summary>
    public static string NameFor(ResourceDefinition resource, string suffix) => (resource.Group, resource.Kind) switch
    {
        ("networking.k8s.io", "IPAddress") => $"10.{Octet(suffix, 0)}.{Octet(suffix, 1)}.{Octet(suffix, 2)}",
        ("apiregistration.k8s.io", "APIService") => $"v1.{suffix}.example.com",
        ("apiextensions.k8s.io", "CustomResourceDefinition") => $"{suffix}s.example.com",
        _ => suffix,
    };

    /// <summary>The spec-level fields of a valid object (metadata is added by the caller).</summary>
    public static JsonObject Valid(ResourceDefinition resource, string name, string ns)
    {
        var body = (resource.Group, resource.Kind) switch
        {
            ("", "Pod") => """{"spec":{"containers":[{"name":"c","image":"busybox"}]}}""",
            ("", "PodTemplate") => """{"template":{"metadata":{"labels":{"app":"@NAME@"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}""",
            ("", "ReplicationController") => """{"spec":{"replicas":0,"selector":{"app":"@NAME@"},"template":{"metadata":{"labels":{"app":"@NAME@"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}""",
            ("", "Service") => """{"spec":{"ports":[{"port":80}]}}""",
            ("", "Event") => """{"involvedObject":{"kind":"Pod","name":"p","namespace":"@NS@"},"reason":"Covered","message":"m"}""",
            ("", "PersistentVolume") => """{"spec":{"accessModes":["ReadWriteOnce"],"capacity":{"storage":"1Gi"},"hostPath":{"path":"/tmp/cov"}}}""",
            ("", "PersistentVolumeClaim") => """{"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}""",
            ("apps", "DaemonSet") => """{"spec":{"selector":{"matchLabels":{"app":"@NAME@"}},"template":{"metadata":{"labels":{"app":"@NAME@"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}""",
            ("apps", "Deployment" or "ReplicaSet") => """{"spec":{"replicas":0,"selector":{"matchLabels":{"app":"@NAME@"}},"template":{"metadata":{"labels":{"app":"@NAME@"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}""",
            ("apps", "StatefulSet") => """{"spec":{"replicas":0,"serviceName":"s","selector":{"matchLabels":{"app":"@NAME@"}},"template":{"metadata":{"labels":{"app":"@NAME@"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}""",
            ("apps", "ControllerRevision") => """{"data":{},"revision":1}""",
            ("batch", "Job") => """{"spec":{"suspend":true,"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox"}]}}}}""",
            ("batch", "CronJob") => """{"spec":{"schedule":"*/5 * * * *","suspend":true,"jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox"}]}}}}}}""",
            ("autoscaling", "HorizontalPodAutoscaler") when resource.Version == "v1" =>
                """{"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"d"},"maxReplicas":2,"targetCPUUtilizationPercentage":50}}""",
            ("events.k8s.io", "Event") =>
                """{"eventTime":"2026-01-01T00:00:00.000000Z","reportingController":"example.com/cov","reportingInstance":"i","action":"Covered","reason":"Covered","type":"Normal","regarding":{"kind":"Pod","name":"p","namespace":"@NS@"}}""",
            ("autoscaling", "HorizontalPodAutoscaler") => """{"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"d"},"maxReplicas":2}}""",
            ("rbac.authorization.k8s.io", "RoleBinding") => """{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"User","name":"alice"}]}""",
            ("rbac.authorization.k8s.io", "ClusterRoleBinding") => """{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"Group","name":"readers"}]}""",
            ("rbac.authorization.k8s.io", "Role" or "ClusterRole") => """{"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]}""",
            ("networking.k8s.io", "Ingress") => """{"spec":{"defaultBackend":{"service":{"name":"web","port":{"number":80}}}}}""",
            ("networking.k8s.io", "IngressClass") => """{"spec":{"controller":"example.com/ingress"}}""",
            ("networking.k8s.io", "NetworkPolicy") => """{"spec":{"podSelector":{}}}""",
            ("networking.k8s.io", "IPAddress") => """{"spec":{"parentRef":{"group":"","resource":"services","namespace":"default","name":"s"}}}""",
            ("networking.k8s.io", "ServiceCIDR") => """{"spec":{"cidrs":["10.@O0@.@O1@.0/24"]}}""",
            ("storage.k8s.io", "StorageClass") => """{"provisioner":"example.com/cov"}""",
            ("storage.k8s.io", "CSIDriver") => "{\"spec\":{}}",
            ("storage.k8s.io", "CSINode") => """{"spec":{"drivers":[{"name":"cov.example.com","nodeID":"n1"}]}}""",
            ("storage.k8s.io", "CSIStorageCapacity") => """{"storageClassName":"standard","capacity":"1Gi"}""",
            ("storage.k8s.io", "VolumeAttachment") => """{"spec":{"attacher":"cov.example.com","source":{"persistentVolumeName":"pv"},"nodeName":"n1"}}""",
            ("storage.k8s.io", "VolumeAttributesClass") => """{"driverName":"cov.example.com","parameters":{"iops":"100"}}""",
            ("policy", "PodDisruptionBudget") => """{"spec":{"minAvailable":1,"selector":{"matchLabels":{"app":"x"}}}}""",
            ("coordination.k8s.io", "Lease") => """{"spec":{"holderIdentity":"me","leaseDurationSeconds":15}}""",
            ("scheduling.k8s.io", "PriorityClass") => """{"value":1000}""",
            ("node.k8s.io", "RuntimeClass") => """{"handler":"runc"}""",
            ("discovery.k8s.io", "EndpointSlice") => """{"addressType":"IPv4","endpoints":[{"addresses":["10.1.2.3"]}],"ports":[{"name":"http","port":80}]}""",
            ("certificates.k8s.io", "CertificateSigningRequest") => """{"spec":{"request":"@CSR@","signerName":"example.com/cov","usages":["client auth"]}}""",
            ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration" or "MutatingWebhookConfiguration") =>
                """{"webhooks":[{"name":"cov.example.com","clientConfig":{"url":"https://127.0.0.1:1/cov"},"rules":[{"operations":["CREATE"],"apiGroups":["example.com"],"apiVersions":["v1"],"resources":["nothings"]}],"sideEffects":"None","admissionReviewVersions":["v1"],"failurePolicy":"Ignore"}]}""",
            ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy") =>
                """{"spec":{"matchConstraints":{"resourceRules":[{"operations":["CREATE"],"apiGroups":["example.com"],"apiVersions":["v1"],"resources":["nothings"]}]},"validations":[{"expression":"true"}]}}""",
            ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding") => """{"spec":{"policyName":"cov","validationActions":["Deny"]}}""",
            ("apiregistration.k8s.io", "APIService") => """{"spec":{"group":"@GROUP@","version":"v1","groupPriorityMinimum":100,"versionPriority":10}}""",
            ("apiextensions.k8s.io", "CustomResourceDefinition") => """
                {"spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"@PLURAL@","singular":"@SINGULAR@","kind":"Cov@SINGULAR@"},
                 "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object"}}}]}}
                """,
            ("flowcontrol.apiserver.k8s.io", "FlowSchema") => """{"spec":{"priorityLevelConfiguration":{"name":"global-default"},"matchingPrecedence":5000}}""",
            ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration") => """{"spec":{"type":"Limited","limited":{"limitResponse":{"type":"Reject"}}}}""",
            ("resource.k8s.io", "DeviceClass") => """{"spec":{"selectors":[{"cel":{"expression":"true"}}]}}""",
            ("resource.k8s.io", "ResourceClaim") => """{"spec":{"devices":{"requests":[{"name":"gpu","exactly":{"deviceClassName":"gpu.example.com"}}]}}}""",
            ("resource.k8s.io", "ResourceClaimTemplate") => """{"spec":{"spec":{"devices":{"requests":[{"name":"gpu","exactly":{"deviceClassName":"gpu.example.com"}}]}}}}""",
            ("resource.k8s.io", "ResourceSlice") => """{"spec":{"driver":"cov.example.com","pool":{"name":"p","resourceSliceCount":1},"allNodes":true}}""",
            _ => "{}",
        };
        var plural = name.Split('.')[0];
        body = body.Replace("@NAME@", name).Replace("@NS@", ns).Replace("@O0@", Octet(name, 0).ToString())
            .Replace("@O1@", Octet(name, 1).ToString()).Replace("@GROUP@", name.Length > 3 ? name[3..] : name)
            .Replace("@PLURAL@", plural).Replace("@SINGULAR@", plural[..^1]);
        if (body.Contains("@CSR@", StringComparison.Ordinal))
        {
            body = body.Replace("@CSR@", CertificateRequest());
        }

        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>
    /// A change to the valid object that kube refuses, and a part of kube's message for it (what
    /// kubectl prints after "is invalid: "). Null for kinds kube validates by metadata only.
    /// </summary>
    public static (Action<JsonObject> Break, string Message)? Invalid(ResourceDefinition resource) => (resource.Group, resource.Kind) switch
    {
        ("", "Pod") => (o => o["spec"]!["containers"]![0]!["ports"] = Json("""[{"containerPort":-1}]"""),
            "spec.containers[0].ports[0].containerPort: Invalid value: -1: must be between 1 and 65535, inclusive"),
        ("", "PodTemplate") => (o => o["template"]!["spec"]!["containers"] = new JsonArray(),
            "template.spec.containers: Required value"),
        ("", "ReplicationController") => (o => o["spec"]!["selector"] = Json("""{"app":"other"}"""),
            "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":"),
        ("", "ConfigMap") => (o => o["data"] = Json("""{"bad key!":"v"}"""),
            "data[bad key!]: Invalid value: \"bad key!\": a valid config key must consist of alphanumeric characters, '-', '_' or '.'"),
        ("", "Secret") => (o => o["type"] = "kubernetes.io/tls",
            "data[tls.crt]: Required value"),
        ("", "Service") => (o => o["spec"]!.AsObject().Remove("ports"), "spec.ports: Required value"),
        ("", "Endpoints") => (o => o["subsets"] = Json("""[{"addresses":[{"ip":"not-an-ip"}]}]"""),
            "subsets[0].addresses[0].ip: Invalid value: \"not-an-ip\": must be a valid IP address"),
        ("", "Namespace") => (o => o["spec"] = Json("""{"finalizers":["not-qualified"]}"""),
            "spec.finalizers[0]: Invalid value: \"not-qualified\": name is neither a standard finalizer name nor is it fully qualified"),
        ("", "Node") => (o => o["spec"] = Json("""{"taints":[{"key":"k","effect":"Sometimes"}]}"""),
            "spec.taints[0].effect: Unsupported value: \"Sometimes\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\""),
        ("", "PersistentVolume") => (o => o["spec"]!.AsObject().Remove("capacity"), "spec.capacity: Required value"),
        ("", "PersistentVolumeClaim") => (o => o["spec"]!.AsObject().Remove("accessModes"),
            "spec.accessModes: Required value: at least 1 access mode is required"),
        ("", "LimitRange") => (o => o["spec"] = Json("""{"limits":[{"type":"Container","min":{"cpu":"2"},"max":{"cpu":"1"}}]}"""),
            "spec.limits[0].min[cpu]: Invalid value: \"2\": min value 2 is greater than max value 1"),
        ("", "ResourceQuota") => (o => o["spec"] = Json("""{"hard":{"widgets":"1"}}"""),
            "spec.hard[widgets]: Invalid value: \"widgets\": must be a standard resource for quota"),
        ("events.k8s.io", "Event") => (o => o.Remove("eventTime"), "eventTime: Required value"),
        ("", "Event") => (o => o["involvedObject"]!["namespace"] = "elsewhere",
            "involvedObject.namespace: Invalid value: \"elsewhere\": does not match event.namespace"),
        ("apps", "Deployment" or "ReplicaSet" or "DaemonSet") => (o => o["spec"]!["template"]!["metadata"]!["labels"] = Json("""{"app":"other"}"""),
            "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`"),
        ("apps", "StatefulSet") => (o => o["spec"]!.AsObject().Remove("selector"), "spec.selector: Required value"),
        ("apps", "ControllerRevision") => (o => o["revision"] = -1,
            "revision: Invalid value: -1: must be greater than or equal to 0"),
        ("batch", "Job") => (o => o["spec"]!["template"]!["spec"]!["restartPolicy"] = "Always",
            "spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\""),
        ("batch", "CronJob") => (o => o["spec"]!["schedule"] = "not a schedule",
            "spec.schedule: Invalid value: \"not a schedule\": expected exactly 5 fields, found 3: [not a schedule]"),
        ("autoscaling", "HorizontalPodAutoscaler") => (o => o["spec"]!["maxReplicas"] = 0,
            "spec.maxReplicas: Invalid value: 0: must be greater than 0"),
        // Without a roleRef, Go's decode leaves the struct's zero value and rbac/v1's defaults fill in its
        // apiGroup (SetDefaults_RoleBinding), so kube names the kind and the name, not the group.
        ("rbac.authorization.k8s.io", "RoleBinding" or "ClusterRoleBinding") => (o => o.Remove("roleRef"),
            "roleRef.name: Required value"),
        ("rbac.authorization.k8s.io", "Role" or "ClusterRole") => (o => o["rules"]![0]!.AsObject().Remove("verbs"),
            "rules[0].verbs: Required value: verbs must contain at least one value"),
        ("networking.k8s.io", "Ingress") => (o => o["spec"] = new JsonObject(),
            "spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified"),
        ("networking.k8s.io", "IngressClass") => (o => o["spec"] = new JsonObject(), "spec.controller: Required value"),
        ("networking.k8s.io", "NetworkPolicy") => (o => o["spec"]!["policyTypes"] = Json("""["Sideways"]"""),
            "spec.policyTypes[0]: Unsupported value: \"Sideways\": supported values: \"Ingress\", \"Egress\""),
        ("networking.k8s.io", "IPAddress") => (o => o["spec"] = new JsonObject(), "spec.parentRef: Required value"),
        ("networking.k8s.io", "ServiceCIDR") => (o => o["spec"] = Json("""{"cidrs":["not-a-cidr"]}"""),
            "spec.cidrs[0]: Invalid value: \"not-a-cidr\""),
        ("storage.k8s.io", "StorageClass") => (o => o.Remove("provisioner"), "provisioner: Required value"),
        ("storage.k8s.io", "CSIDriver") => (o => o["spec"] = Json("""{"fsGroupPolicy":"Sometimes"}"""),
            "spec.fsGroupPolicy: Unsupported value: \"Sometimes\""),
        ("storage.k8s.io", "CSINode") => (o => o["spec"]!["drivers"]![0]!["nodeID"] = "",
            "spec.drivers[0].nodeID: Required value: nodeID must be provided"),
        ("storage.k8s.io", "CSIStorageCapacity") => (o => o.Remove("storageClassName"), "storageClassName: Required value"),
        ("storage.k8s.io", "VolumeAttachment") => (o => o["spec"]!.AsObject().Remove("nodeName"), "spec.nodeName: Required value"),
        ("storage.k8s.io", "VolumeAttributesClass") => (o => o.Remove("driverName"), "driverName: Required value"),
        ("policy", "PodDisruptionBudget") => (o => o["spec"]!["maxUnavailable"] = 1,
            "spec: Invalid value: policy.PodDisruptionBudgetSpec{...}: minAvailable and maxUnavailable cannot be both set"),
        ("coordination.k8s.io", "Lease") => (o => o["spec"]!["leaseDurationSeconds"] = 0,
            "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"),
        ("scheduling.k8s.io", "PriorityClass") => (o => o["value"] = 2_000_000_000,
            "value: Forbidden: maximum allowed value of a user defined priority is 1000000000"),
        ("node.k8s.io", "RuntimeClass") => (o => o["handler"] = "Not_A_Label",
            "handler: Invalid value: \"Not_A_Label\": a lowercase RFC 1123 label must consist of"),
        ("discovery.k8s.io", "EndpointSlice") => (o => o["endpoints"]![0]!["addresses"] = Json("""["::1"]"""),
            "endpoints[0].addresses[0]: Invalid value: \"::1\": must be a valid IPv4 address"),
        ("certificates.k8s.io", "CertificateSigningRequest") => (o => o["spec"]!["request"] = Convert.ToBase64String("not a request"u8.ToArray()),
            "spec.request: Invalid value: []byte{0x6e, 0x6f, 0x74, 0x20, 0x61, 0x20, 0x72, 0x65, 0x71, 0x75, 0x65, 0x73, 0x74}: PEM block type must be CERTIFICATE REQUEST"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration" or "MutatingWebhookConfiguration") =>
            (o => o["webhooks"]![0]!.AsObject().Remove("sideEffects"), "webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy") => (o => o["spec"]!.AsObject().Remove("validations"),
            "spec.validations: Required value: validations or auditAnnotations must contain at least one item"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding") => (o => o["spec"]!["validationActions"] = new JsonArray(),
            "spec.validationActions: Required value: at least one validation action is required"),
        ("apiregistration.k8s.io", "APIService") => (o => o["spec"]!["groupPriorityMinimum"] = 0,
            "spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema") => (o => o["spec"]!["matchingPrecedence"] = 20000,
            "spec.matchingPrecedence: Invalid value: 20000: must be between 1 and 10000, inclusive"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration") => (o => o["spec"]!["type"] = "Sometimes",
            "spec.type: Unsupported value: \"Sometimes\": supported values: \"Exempt\", \"Limited\""),
        ("resource.k8s.io", "DeviceClass") => (o => o["spec"]!["selectors"] = Json("""[{}]"""), "spec.selectors[0].cel: Required value"),
        ("resource.k8s.io", "ResourceClaim") => (o => o["spec"]!["devices"]!["requests"]![0]!["name"] = "Not_A_Label",
            "spec.devices.requests[0].name: Invalid value: \"Not_A_Label\""),
        ("resource.k8s.io", "ResourceClaimTemplate") => (o => o["spec"]!["spec"]!["devices"]!["requests"]![0]!["name"] = "Not_A_Label",
            "spec.spec.devices.requests[0].name: Invalid value: \"Not_A_Label\""),
        ("resource.k8s.io", "ResourceSlice") => (o => o["spec"]!["allNodes"] = false,
            "exactly one of `nodeName`, `nodeSelector`, `allNodes`, `perDeviceNodeSelection` is required"),
        _ => null,
    };

    /// <summary>A PEM certificate request signed by a fresh key, base64 as the API carries bytes.</summary>
    private static string CertificateRequest()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=cov", key, HashAlgorithmName.SHA256);
        return Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(request.CreateSigningRequestPem()));
    }

    private static int Octet(string seed, int index) => (Math.Abs(seed.GetHashCode()) >> (index * 8) & 0xff) % 250 + 1;

    private static JsonNode Json(string json) => JsonNode.Parse(json)!;
}
