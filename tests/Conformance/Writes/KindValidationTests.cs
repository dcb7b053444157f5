using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Writes;

/// <summary>
/// kube's per-kind validation, strategies and defaults as users meet them: kubectl prints the 422's
/// message ("The Deployment "x" is invalid: ..."), the Python client gets the Status, and new objects
/// come back with kube's initial status and generated fields.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class KindValidationTests(ClusterFixture cluster)
{
    private const string Python = "/usr/bin/python3";

    private static string Deployment(string name, string selector, string labels) => $"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {name}
        spec:
          selector:
            matchLabels: {selector}
          template:
            metadata:
              labels: {labels}
            spec:
              containers:
              - name: web
                image: nginx:1.27
        """;

    private async Task<string> ApplyFailsAsync(string ns, string yaml)
    {
        var result = await cluster.KubectlWithInputAsync(yaml, "apply", "-n", ns, "-f", "-");
        Assert.True(result.ExitCode != 0, result.ToString());
        return result.StdErr;
    }

    [Fact]
    public async Task Kubectl_DeploymentSelectorNotMatchingTemplate_IsInvalid()
    {
        var ns = await cluster.CreateNamespaceAsync("val-deploy");
        var error = await ApplyFailsAsync(ns, Deployment("web", "{app: web}", "{app: other}"));
        Assert.Contains("The Deployment \"web\" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`", error);
    }

    [Fact]
    public async Task Kubectl_ChangingADeploymentsSelector_FieldIsImmutable()
    {
        var ns = await cluster.CreateNamespaceAsync("val-immutable");
        var created = await cluster.KubectlWithInputAsync(Deployment("web", "{app: web}", "{app: web}"), "apply", "-n", ns, "-f", "-");
        Assert.True(created.ExitCode == 0, created.ToString());
        var error = await ApplyFailsAsync(ns, Deployment("web", "{app: web, tier: front}", "{app: web, tier: front}"));
        Assert.Contains("spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"tier\":\"front\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable", error);
    }

    [Fact]
    public async Task Kubectl_PodUpdateBeyondImage_IsForbidden_ImageChangeIsNot()
    {
        var ns = await cluster.CreateNamespaceAsync("val-pod");
        const string pod = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
            spec:
              containers:
              - name: web
                image: nginx:1.27
                ports:
                - containerPort: 80
            """;
        Assert.Equal(0, (await cluster.KubectlWithInputAsync(pod, "apply", "-n", ns, "-f", "-")).ExitCode);
        var error = await ApplyFailsAsync(ns, pod.Replace("containerPort: 80", "containerPort: 81"));
        Assert.Contains("The Pod \"web\" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`", error);
        var imageChange = await cluster.KubectlWithInputAsync(pod.Replace("nginx:1.27", "nginx:1.28"), "apply", "-n", ns, "-f", "-");
        Assert.True(imageChange.ExitCode == 0, imageChange.ToString());
    }

    [Fact]
    public async Task Kubectl_RoleBindingRoleRefChange_CannotChangeRoleRef()
    {
        var ns = await cluster.CreateNamespaceAsync("val-rbac");
        const string binding = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata:
              name: readers
            roleRef:
              apiGroup: rbac.authorization.k8s.io
              kind: ClusterRole
              name: view
            subjects:
            - kind: User
              name: alice
            """;
        Assert.Equal(0, (await cluster.KubectlWithInputAsync(binding, "apply", "-n", ns, "-f", "-")).ExitCode);
        var error = await ApplyFailsAsync(ns, binding.Replace("name: view", "name: edit"));
        Assert.Contains("roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", Name:\"edit\"}: cannot change roleRef", error);
    }

    [Fact]
    public async Task Kubectl_ConfigMapBadKeyAndServiceWithoutPorts_ListEveryError()
    {
        var ns = await cluster.CreateNamespaceAsync("val-core");
        var error = await ApplyFailsAsync(ns, """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: settings
            data:
              "bad key!": "v"
              "..hidden": "w"
            """);
        Assert.Contains("data[bad key!]: Invalid value: \"bad key!\": a valid config key must consist of alphanumeric characters, '-', '_' or '.'", error);
        Assert.Contains("data[..hidden]: Invalid value: \"..hidden\": must not start with '..'", error);

        var service = await ApplyFailsAsync(ns, """
            apiVersion: v1
            kind: Service
            metadata:
              name: web
            spec:
              selector:
                app: web
            """);
        Assert.Contains("The Service \"web\" is invalid: spec.ports: Required value", service);
    }

    [Fact]
    public async Task PythonClient_CronJobBadScheduleIs422_NewObjectsHaveKubesInitialState()
    {
        var ns = await cluster.CreateNamespaceAsync("val-py");
        const string script = """
            import json, sys
            from kubernetes import client, config
            from kubernetes.client.rest import ApiException
            config.load_kube_config(config_file=sys.argv[1])
            ns = sys.argv[2]
            out = {}
            batch = client.BatchV1Api()
            container = client.V1Container(name="c", image="busybox")
            template = client.V1PodTemplateSpec(spec=client.V1PodSpec(containers=[container], restart_policy="Never"))
            cron = client.V1CronJob(metadata=client.V1ObjectMeta(name="nightly"),
                spec=client.V1CronJobSpec(schedule="not a schedule", job_template=client.V1JobTemplateSpec(spec=client.V1JobSpec(template=template))))
            try:
                batch.create_namespaced_cron_job(ns, cron)
            except ApiException as e:
                out["cron"] = {"status": e.status, "body": json.loads(e.body)}
            job = batch.create_namespaced_job(ns, client.V1Job(metadata=client.V1ObjectMeta(name="once"), spec=client.V1JobSpec(suspend=True, template=template)))
            out["jobSelector"] = job.spec.selector.match_labels
            out["jobLabels"] = job.spec.template.metadata.labels
            out["jobUid"] = job.metadata.uid
            out["manualSelector"] = job.spec.manual_selector
            v1 = client.CoreV1Api()
            svc = v1.create_namespaced_service(ns, client.V1Service(metadata=client.V1ObjectMeta(name="web"), spec=client.V1ServiceSpec(ports=[client.V1ServicePort(port=80)])))
            out["serviceLoadBalancer"] = svc.status.load_balancer is not None
            pvc = v1.create_namespaced_persistent_volume_claim(ns, client.V1PersistentVolumeClaim(metadata=client.V1ObjectMeta(name="data"),
                spec=client.V1PersistentVolumeClaimSpec(access_modes=["ReadWriteOnce"], resources=client.V1ResourceRequirements(requests={"storage": "1Gi"}))))
            out["pvcPhase"] = pvc.status.phase
            pod = v1.create_namespaced_pod(ns, client.V1Pod(metadata=client.V1ObjectMeta(name="scratch"),
                spec=client.V1PodSpec(containers=[container], volumes=[client.V1Volume(name="tmp")])))
            out["volume"] = client.ApiClient().sanitize_for_serialization(pod.spec.volumes[0])
            print(json.dumps(out))
            """;
        var scriptPath = Path.Combine(cluster.WorkDirectory, "validation.py");
        await File.WriteAllTextAsync(scriptPath, script);
        var result = await ProcessRunner.RunAsync(Python, [scriptPath, cluster.Kubeconfig, ns]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var output = JsonNode.Parse(result.StdOut)!;

        Assert.Equal(422, output["cron"]!["status"]!.GetValue<int>());
        Assert.Equal("Invalid", output["cron"]!["body"]!["reason"]!.GetValue<string>());
        Assert.Equal("CronJob.batch \"nightly\" is invalid: spec.schedule: Invalid value: \"not a schedule\": expected exactly 5 fields, found 3: [not a schedule]",
            output["cron"]!["body"]!["message"]!.GetValue<string>());

        var uid = output["jobUid"]!.GetValue<string>();
        Assert.Equal(uid, output["jobSelector"]!["batch.kubernetes.io/controller-uid"]!.GetValue<string>());
        foreach (var (label, value) in new[] { ("batch.kubernetes.io/controller-uid", uid), ("controller-uid", uid), ("batch.kubernetes.io/job-name", "once"), ("job-name", "once") })
        {
            Assert.Equal(value, output["jobLabels"]![label]!.GetValue<string>());
        }

        Assert.False(output["manualSelector"]!.GetValue<bool>());
        Assert.True(output["serviceLoadBalancer"]!.GetValue<bool>());
        Assert.Equal("Pending", output["pvcPhase"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"name":"tmp","emptyDir":{}}"""), output["volume"]), output["volume"]!.ToJsonString());
    }

    [Fact]
    public async Task Curl_ReplicationControllerStartsWithZeroReplicasInStatus()
    {
        var ns = await cluster.CreateNamespaceAsync("val-rc");
        var response = await cluster.Http.PostAsync($"/api/v1/namespaces/{ns}/replicationcontrollers", ClusterFixture.Json("""
            {"apiVersion":"v1","kind":"ReplicationController","metadata":{"name":"rc"},
             "spec":{"replicas":0,"template":{"metadata":{"labels":{"app":"rc"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}
            """));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.IsSuccessStatusCode, body.ToJsonString());
        Assert.Equal(0, body["status"]!["replicas"]!.GetValue<int>());
        Assert.Equal(1, body["metadata"]!["generation"]!.GetValue<int>());
        Assert.Equal("rc", body["spec"]!["selector"]!["app"]!.GetValue<string>());
    }
}
