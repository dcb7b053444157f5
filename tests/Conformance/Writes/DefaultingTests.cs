using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Writes;

/// <summary>The defaults kube-apiserver fills in, visible to kubectl as they are on a real cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class DefaultingTests(ClusterFixture cluster)
{
    private async Task<JsonNode> CreateAndGetAsync(string ns, string yaml, string what)
    {
        var created = await cluster.KubectlWithInputAsync(yaml, "create", "-n", ns, "-f", "-");
        Assert.True(created.ExitCode == 0, created.ToString());
        return JsonNode.Parse(await cluster.KubectlOkAsync("get", what, "-n", ns, "-o", "json"))!;
    }

    [Fact]
    public async Task Pod_GetsPodAndContainerDefaults()
    {
        var ns = await cluster.CreateNamespaceAsync("defaults-pod");
        var pod = await CreateAndGetAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
            spec:
              containers:
              - name: tagged
                image: nginx:1.27
                ports:
                - containerPort: 80
                readinessProbe:
                  httpGet:
                    port: 80
              - name: latest
                image: busybox
            """, "pod/web");
        var spec = pod["spec"]!;
        Assert.Equal("Always", spec["restartPolicy"]!.GetValue<string>());
        Assert.Equal("ClusterFirst", spec["dnsPolicy"]!.GetValue<string>());
        Assert.Equal("default-scheduler", spec["schedulerName"]!.GetValue<string>());
        Assert.Equal(30, spec["terminationGracePeriodSeconds"]!.GetValue<int>());
        Assert.True(spec["enableServiceLinks"]!.GetValue<bool>());
        Assert.NotNull(spec["securityContext"]);
        var tagged = spec["containers"]![0]!;
        Assert.Equal("IfNotPresent", tagged["imagePullPolicy"]!.GetValue<string>());
        Assert.Equal("/dev/termination-log", tagged["terminationMessagePath"]!.GetValue<string>());
        Assert.Equal("File", tagged["terminationMessagePolicy"]!.GetValue<string>());
        Assert.Equal("TCP", tagged["ports"]![0]!["protocol"]!.GetValue<string>());
        var probe = tagged["readinessProbe"]!;
        Assert.Equal((1, 10, 1, 3), (probe["timeoutSeconds"]!.GetValue<int>(), probe["periodSeconds"]!.GetValue<int>(), probe["successThreshold"]!.GetValue<int>(), probe["failureThreshold"]!.GetValue<int>()));
        Assert.Equal("HTTP", probe["httpGet"]!["scheme"]!.GetValue<string>());
        Assert.Equal("Always", spec["containers"]![1]!["imagePullPolicy"]!.GetValue<string>());

        // As printed by kubectl get -o yaml.
        var yaml = await cluster.KubectlOkAsync("get", "pod", "web", "-n", ns, "-o", "yaml");
        Assert.Contains("    imagePullPolicy: IfNotPresent\n", yaml);
        Assert.Contains("  schedulerName: default-scheduler\n", yaml);
    }

    [Fact]
    public async Task Workloads_AndServices_GetTheirDefaults()
    {
        var ns = await cluster.CreateNamespaceAsync("defaults-apps");
        await cluster.KubectlOkAsync("create", "deployment", "web", "-n", ns, "--image=nginx:1.27");
        var deployment = JsonNode.Parse(await cluster.KubectlOkAsync("get", "deployment", "web", "-n", ns, "-o", "json"))!["spec"]!;
        Assert.Equal(1, deployment["replicas"]!.GetValue<int>());
        Assert.Equal("RollingUpdate", deployment["strategy"]!["type"]!.GetValue<string>());
        Assert.Equal("25%", deployment["strategy"]!["rollingUpdate"]!["maxSurge"]!.GetValue<string>());
        Assert.Equal(10, deployment["revisionHistoryLimit"]!.GetValue<int>());
        Assert.Equal(600, deployment["progressDeadlineSeconds"]!.GetValue<int>());
        Assert.Equal("Always", deployment["template"]!["spec"]!["restartPolicy"]!.GetValue<string>());

        await cluster.KubectlOkAsync("create", "job", "once", "-n", ns, "--image=busybox:1.36");
        var job = JsonNode.Parse(await cluster.KubectlOkAsync("get", "job", "once", "-n", ns, "-o", "json"))!["spec"]!;
        Assert.Equal((1, 1, 6), (job["completions"]!.GetValue<int>(), job["parallelism"]!.GetValue<int>(), job["backoffLimit"]!.GetValue<int>()));
        Assert.Equal("NonIndexed", job["completionMode"]!.GetValue<string>());

        await cluster.KubectlOkAsync("create", "cronjob", "tick", "-n", ns, "--image=busybox:1.36", "--schedule=*/5 * * * *");
        var cron = JsonNode.Parse(await cluster.KubectlOkAsync("get", "cronjob", "tick", "-n", ns, "-o", "json"))!["spec"]!;
        Assert.Equal("Allow", cron["concurrencyPolicy"]!.GetValue<string>());
        Assert.Equal((3, 1), (cron["successfulJobsHistoryLimit"]!.GetValue<int>(), cron["failedJobsHistoryLimit"]!.GetValue<int>()));

        await cluster.KubectlOkAsync("create", "service", "clusterip", "web", "-n", ns, "--tcp=80:8080");
        var service = JsonNode.Parse(await cluster.KubectlOkAsync("get", "service", "web", "-n", ns, "-o", "json"))!["spec"]!;
        Assert.Equal("ClusterIP", service["type"]!.GetValue<string>());
        Assert.Equal("None", service["sessionAffinity"]!.GetValue<string>());
        Assert.Equal("Cluster", service["internalTrafficPolicy"]!.GetValue<string>());
        Assert.Equal("SingleStack", service["ipFamilyPolicy"]!.GetValue<string>());
        Assert.Equal("TCP", service["ports"]![0]!["protocol"]!.GetValue<string>());

        var statefulSet = await CreateAndGetAsync(ns, """
            apiVersion: apps/v1
            kind: StatefulSet
            metadata:
              name: db
            spec:
              serviceName: db
              selector:
                matchLabels:
                  app: db
              template:
                metadata:
                  labels:
                    app: db
                spec:
                  containers:
                  - name: db
                    image: postgres:17
            """, "statefulset/db");
        Assert.Equal("OrderedReady", statefulSet["spec"]!["podManagementPolicy"]!.GetValue<string>());
        Assert.Equal(0, statefulSet["spec"]!["updateStrategy"]!["rollingUpdate"]!["partition"]!.GetValue<int>());

        // A field the client set is kept.
        await cluster.KubectlOkAsync("patch", "deployment", "web", "-n", ns, "--type=merge", "-p", """{"spec":{"revisionHistoryLimit":2}}""");
        Assert.Equal("2", await cluster.KubectlOkAsync("get", "deployment", "web", "-n", ns, "-o", "jsonpath={.spec.revisionHistoryLimit}"));
    }

    [Fact]
    public async Task LessCommonKinds_GetTheirDefaults()
    {
        var ns = await cluster.CreateNamespaceAsync("defaults-more");

        // A pod's requests default to its limits.
        var pod = await CreateAndGetAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata:
              name: limited
            spec:
              containers:
              - name: app
                image: nginx:1.27
                resources:
                  limits:
                    cpu: 200m
                    memory: 64Mi
            """, "pod/limited");
        Assert.Equal("""{"cpu":"200m","memory":"64Mi"}""", pod["spec"]!["containers"]![0]!["resources"]!["requests"]!.ToJsonString());

        // Container limit ranges: default from max, defaultRequest from default.
        var limits = await CreateAndGetAsync(ns, """
            apiVersion: v1
            kind: LimitRange
            metadata:
              name: caps
            spec:
              limits:
              - type: Container
                max:
                  cpu: "1"
            """, "limitrange/caps");
        var item = limits["spec"]!["limits"]![0]!;
        Assert.Equal("1", item["default"]!["cpu"]!.GetValue<string>());
        Assert.Equal("1", item["defaultRequest"]!["cpu"]!.GetValue<string>());

        // Binding subjects and role references are in the RBAC group unless they say otherwise.
        var binding = await CreateAndGetAsync(ns, """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata:
              name: readers
            roleRef:
              kind: ClusterRole
              name: view
            subjects:
            - kind: User
              name: ann
            - kind: ServiceAccount
              name: default
            """, "rolebinding/readers");
        Assert.Equal("rbac.authorization.k8s.io", binding["roleRef"]!["apiGroup"]!.GetValue<string>());
        Assert.Equal("rbac.authorization.k8s.io", binding["subjects"]![0]!["apiGroup"]!.GetValue<string>());
        Assert.Null(binding["subjects"]![1]!["apiGroup"]);

        // autoscaling/v2 targets 80% CPU when no metric is given.
        var hpa = await CreateAndGetAsync(ns, """
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            metadata:
              name: web
            spec:
              scaleTargetRef:
                apiVersion: apps/v1
                kind: Deployment
                name: web
              maxReplicas: 4
            """, "hpa/web");
        Assert.Equal(80, hpa["spec"]!["metrics"]![0]!["resource"]!["target"]!["averageUtilization"]!.GetValue<int>());
        Assert.Equal(1, hpa["spec"]!["minReplicas"]!.GetValue<int>());

        // Webhook configurations get kube's defaults.
        var name = "defaults-" + ns;
        var created = await cluster.KubectlWithInputAsync($$"""
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingWebhookConfiguration
            metadata:
              name: {{name}}
            webhooks:
            - name: check.example.com
              sideEffects: None
              admissionReviewVersions: ["v1"]
              clientConfig:
                service:
                  namespace: {{ns}}
                  name: hook
              rules:
              - apiGroups: [""]
                apiVersions: ["v1"]
                operations: ["CREATE"]
                resources: ["configmaps"]
              namespaceSelector:
                matchLabels:
                  never: match
            """, "create", "-f", "-");
        Assert.True(created.ExitCode == 0, created.ToString());
        var webhook = JsonNode.Parse(await cluster.KubectlOkAsync("get", "validatingwebhookconfiguration", name, "-o", "json"))!["webhooks"]![0]!;
        await cluster.KubectlOkAsync("delete", "validatingwebhookconfiguration", name);
        Assert.Equal("Fail", webhook["failurePolicy"]!.GetValue<string>());
        Assert.Equal("Equivalent", webhook["matchPolicy"]!.GetValue<string>());
        Assert.Equal(10, webhook["timeoutSeconds"]!.GetValue<int>());
        Assert.Equal("{}", webhook["objectSelector"]!.ToJsonString());
        Assert.Equal("*", webhook["rules"]![0]!["scope"]!.GetValue<string>());
        Assert.Equal(443, webhook["clientConfig"]!["service"]!["port"]!.GetValue<int>());
    }
}
