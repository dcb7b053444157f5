using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Conformance.Writes;

/// <summary>
/// The pod subresources kube-apiserver has beyond status and binding: eviction (policy/v1, honouring
/// PodDisruptionBudgets as kube's eviction REST does; `kubectl drain`, the official C# client),
/// ephemeralcontainers (`kubectl debug`) and resize (only container resources change).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PodSubresourceTests(ClusterFixture cluster)
{
    private Kubernetes Client() => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(cluster.Kubeconfig));

    [Fact]
    public async Task KubectlDrain_EvictsThroughTheDisruptionBudget_AndRetriesWhileItForbids()
    {
        var ns = await cluster.CreateNamespaceAsync("drain");
        var node = "drain-node-" + Guid.NewGuid().ToString("N")[..6];
        await cluster.KubectlWithInputAsync($"""
            apiVersion: v1
            kind: Node
            metadata:
              name: {node}
            """, "create", "-f", "-");
        try
        {
            foreach (var pod in new[] { "a", "b" })
            {
                await CreateRunningPodAsync(ns, pod, node);
            }

            await CreateBudgetAsync(ns, "guard", disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1);

            var drain = await cluster.KubectlAsync("drain", node, "--force", "--grace-period=0", "--timeout=12s", "--ignore-daemonsets");
            var output = drain.StdOut + drain.StdErr;
            Assert.NotEqual(0, drain.ExitCode);
            Assert.Contains("Cannot evict pod as it would violate the pod's disruption budget.", output);
            Assert.Equal("true", (await cluster.KubectlOkAsync("get", "node", node, "-o", "jsonpath={.spec.unschedulable}")).Trim());

            // One pod spent the budget's only disruption; the other is still there.
            var left = (await cluster.KubectlOkAsync("get", "pods", "-n", ns, "-o", "jsonpath={.items[*].metadata.name}")).Trim();
            Assert.True(left is "a" or "b", $"pods left: '{left}'\n{output}");
            var evicted = left == "a" ? "b" : "a";
            var budget = await cluster.GetJsonAsync($"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/guard");
            Assert.Equal(0, budget["status"]!["disruptionsAllowed"]!.GetValue<int>());
            Assert.NotNull(budget["status"]!["disruptedPods"]![evicted]);
            var condition = budget["status"]!["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == "DisruptionAllowed")!;
            Assert.Equal("False", condition["status"]!.GetValue<string>());
            Assert.Equal("InsufficientPods", condition["reason"]!.GetValue<string>());
        }
        finally
        {
            await cluster.KubectlAsync("delete", "node", node);
        }
    }

    [Fact]
    public async Task Eviction_ThroughTheCSharpClient_FollowsKubesEvictionRest()
    {
        using var client = Client();
        var ns = await cluster.CreateNamespaceAsync("evict");

        // No budget: the pod gets DisruptionTarget and is deleted (a finalizer keeps it to look at).
        await CreateRunningPodAsync(ns, "held", null, finalizer: "example.com/hold");
        await client.CoreV1.CreateNamespacedPodEvictionAsync(new V1Eviction { Metadata = new V1ObjectMeta { Name = "held", NamespaceProperty = ns } }, "held", ns);
        var held = await client.CoreV1.ReadNamespacedPodAsync("held", ns);
        Assert.NotNull(held.Metadata.DeletionTimestamp);
        var target = held.Status.Conditions.Single(c => c.Type == "DisruptionTarget");
        Assert.Equal(("True", "EvictionByEvictionAPI", "Eviction API: evicting"), (target.Status, target.Reason, target.Message));
        await cluster.KubectlOkAsync("patch", "pod", "held", "-n", ns, "--type=json", "-p", """[{"op":"remove","path":"/metadata/finalizers"}]""");

        // A budget that allows nothing: 429 with kube's message and a DisruptionBudget cause; the pod stays.
        await CreateRunningPodAsync(ns, "busy", null);
        await CreateBudgetAsync(ns, "strict", disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1);
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() =>
            client.CoreV1.CreateNamespacedPodEvictionAsync(new V1Eviction { Metadata = new V1ObjectMeta { Name = "busy", NamespaceProperty = ns } }, "busy", ns));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(refused.Response.Content);
        Assert.Equal(("TooManyRequests", 429), (status.Reason, status.Code));
        Assert.Equal("Cannot evict pod as it would violate the pod's disruption budget.", status.Message);
        var cause = Assert.Single(status.Details.Causes);
        Assert.Equal("DisruptionBudget", cause.Reason);
        Assert.Equal("The disruption budget strict needs 1 healthy pods and has 1 currently", cause.Message);
        Assert.Null(status.Details.RetryAfterSeconds);
        Assert.Null((await client.CoreV1.ReadNamespacedPodAsync("busy", ns)).Metadata.DeletionTimestamp);

        // A pending pod has disrupted nothing yet: evicted whatever the budget says.
        await cluster.KubectlWithInputAsync(PodManifest(ns, "pending", null, null), "create", "-f", "-");
        await client.CoreV1.CreateNamespacedPodEvictionAsync(new V1Eviction { Metadata = new V1ObjectMeta { Name = "pending", NamespaceProperty = ns } }, "pending", ns);
        Assert.Contains("NotFound", (await cluster.KubectlAsync("get", "pod", "pending", "-n", ns)).StdErr);

        // A budget the disruption controller has not seen yet (observedGeneration behind): retry in 10 s.
        await cluster.KubectlOkAsync("delete", "pdb", "strict", "-n", ns);
        await cluster.KubectlWithInputAsync(BudgetManifest(ns, "fresh"), "create", "-f", "-");
        var unseen = await Assert.ThrowsAsync<HttpOperationException>(() =>
            client.CoreV1.CreateNamespacedPodEvictionAsync(new V1Eviction { Metadata = new V1ObjectMeta { Name = "busy", NamespaceProperty = ns } }, "busy", ns));
        var stillProcessing = KubernetesJson.Deserialize<V1Status>(unseen.Response.Content);
        Assert.Equal(10, stillProcessing.Details.RetryAfterSeconds);
        Assert.Equal("The disruption budget fresh is still being processed by the server.", stillProcessing.Details.Causes.Single().Message);

        // Two budgets: kube's eviction answers a Failure Status it does not support.
        await cluster.KubectlOkAsync("delete", "pdb", "fresh", "-n", ns);
        await CreateBudgetAsync(ns, "one", 1, 1, 0);
        await CreateBudgetAsync(ns, "two", 1, 1, 0);
        var two = await Assert.ThrowsAsync<HttpOperationException>(() =>
            client.CoreV1.CreateNamespacedPodEvictionAsync(new V1Eviction { Metadata = new V1ObjectMeta { Name = "busy", NamespaceProperty = ns } }, "busy", ns));
        Assert.Equal(HttpStatusCode.InternalServerError, two.Response.StatusCode);
        Assert.Contains("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.", two.Response.Content);
        await cluster.KubectlOkAsync("delete", "pdb", "two", "-n", ns);

        // A dry run checks and changes nothing; then the real one spends the budget.
        await client.CoreV1.CreateNamespacedPodEvictionAsync(new V1Eviction { Metadata = new V1ObjectMeta { Name = "busy", NamespaceProperty = ns } }, "busy", ns, dryRun: "All");
        Assert.Null((await client.CoreV1.ReadNamespacedPodAsync("busy", ns)).Metadata.DeletionTimestamp);
        Assert.Equal(1, (await client.PolicyV1.ReadNamespacedPodDisruptionBudgetAsync("one", ns)).Status.DisruptionsAllowed);
        using (var raw = await cluster.Http.PostAsync($"/api/v1/namespaces/{ns}/pods/busy/eviction",
            ClusterFixture.Json($$$"""{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"busy","namespace":"{{{ns}}}"}}""")))
        {
            Assert.Equal(HttpStatusCode.Created, raw.StatusCode);
            var success = JsonNode.Parse(await raw.Content.ReadAsStringAsync())!;
            Assert.Equal(("Status", "Success", 201), (success["kind"]!.GetValue<string>(), success["status"]!.GetValue<string>(), success["code"]!.GetValue<int>()));
        }

        var spent = await client.PolicyV1.ReadNamespacedPodDisruptionBudgetAsync("one", ns);
        Assert.Equal(0, spent.Status.DisruptionsAllowed);
        Assert.True(spent.Status.DisruptedPods.ContainsKey("busy"));

        // The eviction names the pod it evicts.
        using var mismatch = await cluster.Http.PostAsync($"/api/v1/namespaces/{ns}/pods/busy/eviction",
            ClusterFixture.Json("""{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"other"}}"""));
        Assert.Equal(HttpStatusCode.BadRequest, mismatch.StatusCode);
        Assert.Contains("name in URL does not match name in Eviction object", await mismatch.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task KubectlDebug_AddsAnEphemeralContainer_ThroughTheEphemeralContainersSubresource()
    {
        var ns = await cluster.CreateNamespaceAsync("debug");
        await cluster.KubectlWithInputAsync(PodManifest(ns, "app", null, null), "create", "-f", "-");

        var debug = await cluster.KubectlAsync("debug", "app", "-n", ns, "--image=busybox:1.36", "-c", "dbg", "--target=c");
        Assert.True(debug.ExitCode == 0, debug.StdOut + debug.StdErr);

        var pod = await cluster.GetJsonAsync($"/api/v1/namespaces/{ns}/pods/app");
        var ephemeral = pod["spec"]!["ephemeralContainers"]!.AsArray().Single()!;
        Assert.Equal("dbg", ephemeral["name"]!.GetValue<string>());
        Assert.Equal("busybox:1.36", ephemeral["image"]!.GetValue<string>());
        Assert.Equal("c", ephemeral["targetContainerName"]!.GetValue<string>());
        Assert.Equal("File", ephemeral["terminationMessagePolicy"]!.GetValue<string>());
        Assert.Equal(2, pod["metadata"]!["generation"]!.GetValue<int>());
        Assert.Equal(pod.ToJsonString(), (await cluster.GetJsonAsync($"/api/v1/namespaces/{ns}/pods/app/ephemeralcontainers")).ToJsonString());

        // Existing ephemeral containers never change; the subresource changes nothing else.
        var changed = (JsonObject)pod.DeepClone();
        changed["spec"]!["ephemeralContainers"]![0]!["image"] = "busybox:1.37";
        using (var put = await cluster.Http.PutAsync($"/api/v1/namespaces/{ns}/pods/app/ephemeralcontainers", ClusterFixture.Json(changed.ToJsonString())))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, put.StatusCode);
            Assert.Contains("existing ephemeral containers \\\"dbg\\\" may not be changed", await put.Content.ReadAsStringAsync());
        }

        using (var other = await cluster.Http.PatchAsync($"/api/v1/namespaces/{ns}/pods/app/ephemeralcontainers", new StringContent(
            """{"metadata":{"labels":{"x":"y"}},"spec":{"activeDeadlineSeconds":5,"ephemeralContainers":[{"name":"dbg2","image":"busybox","ports":[{"containerPort":80}]}]}}""",
            Encoding.UTF8, "application/strategic-merge-patch+json")))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
            Assert.Contains("spec.ephemeralContainers[1].ports: Forbidden: cannot be set for an Ephemeral Container", await other.Content.ReadAsStringAsync());
        }

        using (var added = await cluster.Http.PatchAsync($"/api/v1/namespaces/{ns}/pods/app/ephemeralcontainers", new StringContent(
            """{"metadata":{"labels":{"x":"y"}},"spec":{"activeDeadlineSeconds":5,"ephemeralContainers":[{"name":"dbg2","image":"busybox"}]}}""",
            Encoding.UTF8, "application/strategic-merge-patch+json")))
        {
            Assert.Equal(HttpStatusCode.OK, added.StatusCode);
            var after = JsonNode.Parse(await added.Content.ReadAsStringAsync())!;
            Assert.Equal(2, after["spec"]!["ephemeralContainers"]!.AsArray().Count);
            Assert.Null(after["spec"]!["activeDeadlineSeconds"]);
            Assert.Null(after["metadata"]!["labels"]?["x"]);
        }

        // The main resource cannot add them.
        var viaMain = await cluster.GetJsonAsync($"/api/v1/namespaces/{ns}/pods/app");
        viaMain["spec"]!["ephemeralContainers"]!.AsArray().Add(new JsonObject { ["name"] = "dbg3", ["image"] = "busybox", ["terminationMessagePolicy"] = "File", ["imagePullPolicy"] = "Always" });
        using var main = await cluster.Http.PutAsync($"/api/v1/namespaces/{ns}/pods/app", ClusterFixture.Json(viaMain.ToJsonString()));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, main.StatusCode);
    }

    [Fact]
    public async Task Resize_ChangesOnlyContainerResources_WithinKubesRules()
    {
        var ns = await cluster.CreateNamespaceAsync("resize");
        await cluster.KubectlWithInputAsync(PodManifest(ns, "app", null, null, resources: true), "create", "-f", "-");
        var path = $"/api/v1/namespaces/{ns}/pods/app/resize";

        // kubectl 1.32 patches the resize subresource like any other.
        var patched = await cluster.KubectlAsync("patch", "pod", "app", "-n", ns, "--subresource=resize", "--type=strategic", "-p",
            """{"spec":{"containers":[{"name":"c","image":"busybox:9","resources":{"requests":{"cpu":"200m"},"limits":{"cpu":"200m"}}}]}}""");
        Assert.True(patched.ExitCode == 0, patched.StdOut + patched.StdErr);
        var pod = await cluster.GetJsonAsync($"/api/v1/namespaces/{ns}/pods/app");
        var container = pod["spec"]!["containers"]![0]!;
        Assert.Equal("200m", container["resources"]!["requests"]!["cpu"]!.GetValue<string>());
        Assert.Equal("busybox:1.36", container["image"]!.GetValue<string>());
        Assert.Equal(2, pod["metadata"]!["generation"]!.GetValue<int>());

        async Task<string> RefusedAsync(string patch)
        {
            using var response = await cluster.Http.PatchAsync(path, new StringContent(patch, Encoding.UTF8, "application/strategic-merge-patch+json"));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            return await response.Content.ReadAsStringAsync();
        }

        Assert.Contains("spec.containers[0].resources.limits[memory]: Forbidden: memory limits cannot be decreased unless resizePolicy is RestartContainer",
            await RefusedAsync("""{"spec":{"containers":[{"name":"c","resources":{"requests":{"memory":"32Mi"},"limits":{"memory":"32Mi"}}}]}}"""));
        Assert.Contains("Pod QOS Class may not change as a result of resizing",
            await RefusedAsync("""{"spec":{"containers":[{"name":"c","resources":{"requests":{"cpu":"100m"}}}]}}"""));
        using (var removed = await cluster.Http.PatchAsync(path, new StringContent(
            """[{"op":"remove","path":"/spec/containers/0/resources/requests/ephemeral-storage"}]""", Encoding.UTF8, "application/json-patch+json")))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, removed.StatusCode);
            Assert.Contains("spec.containers[0].resources.requests: Forbidden: resource requests cannot be removed", await removed.Content.ReadAsStringAsync());
        }

        // The resize policy itself is not resized.
        Assert.Contains("spec: Forbidden: only cpu and memory resources are mutable",
            await RefusedAsync("""{"spec":{"containers":[{"name":"c","resizePolicy":[{"resourceName":"memory","restartPolicy":"RestartContainer"}]}]}}"""));

        // With RestartContainer for memory, the limit may go down.
        await cluster.KubectlWithInputAsync($$$"""
            apiVersion: v1
            kind: Pod
            metadata:
              name: restarts
              namespace: {{{ns}}}
            spec:
              containers:
              - name: c
                image: busybox:1.36
                resizePolicy: [{resourceName: memory, restartPolicy: RestartContainer}]
                resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 100m, memory: 64Mi}}
            """, "create", "-f", "-");
        using var restart = await cluster.Http.PatchAsync($"/api/v1/namespaces/{ns}/pods/restarts/resize", new StringContent(
            """{"spec":{"containers":[{"name":"c","resources":{"requests":{"memory":"32Mi"},"limits":{"memory":"32Mi"}}}]}}""",
            Encoding.UTF8, "application/strategic-merge-patch+json"));
        Assert.True(restart.StatusCode == HttpStatusCode.OK, await restart.Content.ReadAsStringAsync());
    }

    private async Task CreateRunningPodAsync(string ns, string name, string? node, string? finalizer = null)
    {
        await cluster.KubectlWithInputAsync(PodManifest(ns, name, node, finalizer), "create", "-f", "-");
        // What a kubelet reports for a running, ready pod.
        var status = """{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}""";
        using var patched = await cluster.Http.PatchAsync($"/api/v1/namespaces/{ns}/pods/{name}/status", new StringContent(status, Encoding.UTF8, "application/merge-patch+json"));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
    }

    /// <summary>A budget over app=guarded whose status is what the disruption controller would have written.</summary>
    private async Task CreateBudgetAsync(string ns, string name, int disruptionsAllowed, int currentHealthy, int desiredHealthy)
    {
        await cluster.KubectlWithInputAsync(BudgetManifest(ns, name), "create", "-f", "-");
        var status = $$$"""{"status":{"observedGeneration":1,"disruptionsAllowed":{{{disruptionsAllowed}}},"currentHealthy":{{{currentHealthy}}},"desiredHealthy":{{{desiredHealthy}}},"expectedPods":{{{currentHealthy}}}}}""";
        using var patched = await cluster.Http.PatchAsync($"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/{name}/status", new StringContent(status, Encoding.UTF8, "application/merge-patch+json"));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
    }

    private static string BudgetManifest(string ns, string name) => $"""
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata:
          name: {name}
          namespace: {ns}
        spec:
          minAvailable: 1
          selector:
            matchLabels:
              app: guarded
        """;

    private static string PodManifest(string ns, string name, string? node, string? finalizer, bool resources = false) => $"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: {name}
          namespace: {ns}
          labels:
            app: guarded
        {(finalizer is null ? "" : $"  finalizers: [{finalizer}]")}
        spec:
        {(node is null ? "" : $"  nodeName: {node}")}
          containers:
          - name: c
            image: busybox:1.36
        {(resources ? "    resources: {requests: {cpu: 100m, memory: 64Mi, ephemeral-storage: 1Gi}, limits: {cpu: 100m, memory: 64Mi}}" : "")}
        """;
}
