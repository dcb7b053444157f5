using System.Text.Json.Nodes;
using Conformance.Infrastructure;
using k8s;
using k8s.Models;

namespace Conformance.Components;

/// <summary>
/// The seeds' pod flow across separate programs: kubectl → the API server → the scheduler (filter,
/// score, bind) → a simulated node (start the pod, report status), each step proved by what kubectl and
/// the official C# client show.
/// </summary>
[Collection(ComponentsCollection.Name)]
public sealed class SchedulingFlowTests(ComponentsFixture components)
{
    private ClusterFixture Cluster => components.Cluster;

    [Fact]
    public async Task KubectlRun_IsScheduled_ThenRunsOnANode_WithAnIp()
    {
        var ns = await Cluster.CreateNamespaceAsync("run");
        await Cluster.KubectlOkAsync("run", "nginx", "--image=nginx", "-n", ns);
        var pod = await WaitForPodAsync(ns, "nginx", p => Poll.Str(p["status"]?["phase"]) == "Running" && p["status"]?["podIP"] is not null);
        var node = Poll.Str(pod["spec"]!["nodeName"])!;
        var ip = Poll.Str(pod["status"]!["podIP"])!;
        Assert.Contains(node, ComponentsFixture.NodeNames);
        Assert.StartsWith("10.244.", ip, StringComparison.Ordinal);

        var wide = await Cluster.KubectlOkAsync("get", "pods", "-n", ns, "-o", "wide", "--no-headers");
        Assert.Matches($@"^nginx\s+1/1\s+Running\s+0\s+\S+\s+{ip.Replace(".", "\\.", StringComparison.Ordinal)}\s+{node}\s", wide);

        // The events prove who did what: the scheduler assigned it, the node's kubelet started it.
        var events = await WaitForEventsAsync(ns, "nginx", e => e.Any(l => l.StartsWith("Started", StringComparison.Ordinal)));
        Assert.Contains($"Scheduled default-scheduler Successfully assigned {ns}/nginx to {node}", events);
        Assert.Contains("Started kubelet Started container nginx", events);
        Assert.Contains("Created kubelet Created container: nginx", events);

        var conditions = pod["status"]!["conditions"]!.AsArray().ToDictionary(c => Poll.Str(c!["type"])!, c => Poll.Str(c!["status"]));
        Assert.Equal("True", conditions["PodScheduled"]);
        Assert.Equal("True", conditions["Ready"]);
        Assert.Equal("True", conditions["PodReadyToStartContainers"]);
        var container = pod["status"]!["containerStatuses"]![0]!;
        Assert.Equal("docker.io/library/nginx:latest", Poll.Str(container["image"]));
        Assert.True(container["started"]!.GetValue<bool>());
        Assert.NotNull(container["state"]!["running"]!["startedAt"]);
    }

    [Fact]
    public async Task APodAskingForMoreCpuThanAnyNode_StaysPending_WithKubesFailedSchedulingMessage()
    {
        var ns = await Cluster.CreateNamespaceAsync("big");
        await Cluster.KubectlOkAsync("run", "big", "--image=nginx", "-n", ns, "--overrides", """{"spec":{"containers":[{"name":"big","image":"nginx","resources":{"requests":{"cpu":"100"}}}]}}""");
        var pod = await WaitForPodAsync(ns, "big", p => p["status"]?["conditions"]?.AsArray().Any(c => Poll.Str(c!["reason"]) == "Unschedulable") == true);
        const string message = "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.";
        var condition = pod["status"]!["conditions"]!.AsArray().Single(c => Poll.Str(c!["type"]) == "PodScheduled")!;
        Assert.Equal(("False", "Unschedulable", message), (Poll.Str(condition["status"]), Poll.Str(condition["reason"]), Poll.Str(condition["message"])));
        Assert.Equal("Pending", Poll.Str(pod["status"]!["phase"]));
        var described = await Cluster.KubectlOkAsync("describe", "pod", "big", "-n", ns);
        Assert.Matches(@"Warning\s+FailedScheduling\s+.*default-scheduler\s+0/3 nodes are available: 3 Insufficient cpu\.", described);
    }

    [Fact]
    public async Task Taints_Tolerations_NodeSelector_AndAffinity_PlacePodsWhereTheyMustGo()
    {
        var ns = await Cluster.CreateNamespaceAsync("place");
        await Cluster.KubectlOkAsync("taint", "node", "node-1", "dedicated=infra:NoSchedule");
        await Cluster.KubectlOkAsync("label", "node", "node-2", "disk=ssd");
        try
        {
            await Cluster.KubectlWithInputAsync($$"""
                apiVersion: v1
                kind: Pod
                metadata: {name: on-ssd, namespace: {{ns}}}
                spec:
                  nodeSelector: {disk: ssd}
                  containers: [{name: c, image: nginx}]
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: infra, namespace: {{ns}}}
                spec:
                  tolerations: [{key: dedicated, operator: Equal, value: infra, effect: NoSchedule}]
                  affinity:
                    nodeAffinity:
                      requiredDuringSchedulingIgnoredDuringExecution:
                        nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [node-1]}]}]
                  containers: [{name: c, image: nginx}]
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: intolerant, namespace: {{ns}}}
                spec:
                  affinity:
                    nodeAffinity:
                      requiredDuringSchedulingIgnoredDuringExecution:
                        nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [node-1]}]}]
                  containers: [{name: c, image: nginx}]
                """, "apply", "-f", "-");
            Assert.Equal("node-2", Poll.Str((await WaitForPodAsync(ns, "on-ssd", Bound))["spec"]!["nodeName"]));
            Assert.Equal("node-1", Poll.Str((await WaitForPodAsync(ns, "infra", Bound))["spec"]!["nodeName"]));
            var intolerant = await WaitForPodAsync(ns, "intolerant", p => p["status"]?["conditions"]?.AsArray().Any(c => Poll.Str(c!["reason"]) == "Unschedulable") == true);
            Assert.Equal(
                "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
                Poll.Str(intolerant["status"]!["conditions"]!.AsArray().Single(c => Poll.Str(c!["type"]) == "PodScheduled")!["message"]));

            // Taking the taint away lets the waiting pod in (the scheduler retries on node changes).
            await Cluster.KubectlOkAsync("taint", "node", "node-1", "dedicated=infra:NoSchedule-");
            Assert.Equal("node-1", Poll.Str((await WaitForPodAsync(ns, "intolerant", Bound))["spec"]!["nodeName"]));
        }
        finally
        {
            await Cluster.KubectlAsync("taint", "node", "node-1", "dedicated=infra:NoSchedule-");
            await Cluster.KubectlAsync("label", "node", "node-2", "disk-");
        }
    }

    [Fact]
    public async Task CordonAndDrain_KeepNewPodsOffTheNode()
    {
        var ns = await Cluster.CreateNamespaceAsync("cordon");
        await Cluster.KubectlOkAsync("run", "before", "--image=nginx", "-n", ns, "--overrides", """{"spec":{"nodeSelector":{"kubernetes.io/hostname":"node-3"}}}""");
        await WaitForPodAsync(ns, "before", p => Poll.Str(p["status"]?["phase"]) == "Running");
        await Cluster.KubectlOkAsync("cordon", "node-1");
        await Cluster.KubectlOkAsync("cordon", "node-2");
        try
        {
            Assert.Contains("SchedulingDisabled", await Cluster.KubectlOkAsync("get", "node", "node-1"));
            for (var i = 0; i < 3; i++)
            {
                await Cluster.KubectlOkAsync("run", $"after-{i}", "--image=nginx", "-n", ns);
            }

            for (var i = 0; i < 3; i++)
            {
                Assert.Equal("node-3", Poll.Str((await WaitForPodAsync(ns, $"after-{i}", Bound))["spec"]!["nodeName"]));
            }

            // drain: cordon, then delete the node's pods (kubectl's --disable-eviction path: this server has
            // no pods/eviction yet); the node finishes each graceful deletion, so drain sees them gone.
            await Cluster.KubectlOkAsync("uncordon", "node-1");
            var drained = await Cluster.KubectlAsync("drain", "node-3", "--force", "--disable-eviction", "--ignore-daemonsets", "--timeout=60s");
            Assert.True(drained.ExitCode == 0, drained + components.Logs());
            Assert.Contains("node/node-3 drained", drained.StdOut);
            await Cluster.KubectlOkAsync("run", "later", "--image=nginx", "-n", ns);
            Assert.Equal("node-1", Poll.Str((await WaitForPodAsync(ns, "later", Bound))["spec"]!["nodeName"]));
            Assert.Empty((await Cluster.GetJsonAsync($"/api/v1/namespaces/{ns}/pods?fieldSelector=spec.nodeName=node-3"))["items"]!.AsArray());
        }
        finally
        {
            await Cluster.KubectlAsync("uncordon", "node-1");
            await Cluster.KubectlAsync("uncordon", "node-2");
            await Cluster.KubectlAsync("uncordon", "node-3");
        }
    }

    [Fact]
    public async Task KubectlLogs_AnswersFromTheNodesKubeletEndpoint()
    {
        var ns = await Cluster.CreateNamespaceAsync("logs");
        await Cluster.KubectlWithInputAsync($$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: probed, namespace: {{ns}}}
            spec:
              containers:
              - name: web
                image: nginx
                readinessProbe: {httpGet: {path: /healthz, port: 80}, periodSeconds: 1}
            """, "apply", "-f", "-");
        await WaitForPodAsync(ns, "probed", p => Poll.Str(p["status"]?["phase"]) == "Running");
        await Task.Delay(1500);
        var logs = await Cluster.KubectlOkAsync("logs", "probed", "-n", ns);
        Assert.Contains("container web started on node-", logs);
        Assert.Contains("readiness probe succeeded: HTTP GET HTTP :80/healthz 200 OK", logs);
        var last = await Cluster.KubectlOkAsync("logs", "probed", "-n", ns, "--tail=1", "--timestamps");
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z \[node-simulator\] readiness probe succeeded", last);
        var wrong = await Cluster.KubectlAsync("logs", "probed", "-n", ns, "-c", "nope");
        Assert.NotEqual(0, wrong.ExitCode);

        var pending = await Cluster.CurlAsync(Cluster.Admin, "-w", "\n%{http_code}", $"{Cluster.ServerUrl}/api/v1/namespaces/{ns}/pods/probed/log?container=nope");
        Assert.EndsWith("400", pending.StdOut.TrimEnd(), StringComparison.Ordinal);
        Assert.Contains("container nope is not valid for pod probed", pending.StdOut);
    }

    [Fact]
    public async Task PodsThatFinish_EndSucceededOrFailed_AndDeletedPodsAreStoppedThenRemovedByTheNode()
    {
        var ns = await Cluster.CreateNamespaceAsync("finish");
        await Cluster.KubectlOkAsync("run", "ok", "--image=busybox", "--restart=Never", "-n", ns, "--", "sh", "-c", "sleep 1");
        await Cluster.KubectlOkAsync("run", "bad", "--image=busybox", "--restart=Never", "-n", ns, "--", "sh", "-c", "sleep 1; exit 3");
        var ok = await WaitForPodAsync(ns, "ok", p => Poll.Str(p["status"]?["phase"]) == "Succeeded");
        Assert.Equal(0, ok["status"]!["containerStatuses"]![0]!["state"]!["terminated"]!["exitCode"]!.GetValue<int>());
        var bad = await WaitForPodAsync(ns, "bad", p => Poll.Str(p["status"]?["phase"]) == "Failed");
        Assert.Equal(3, bad["status"]!["containerStatuses"]![0]!["state"]!["terminated"]!["exitCode"]!.GetValue<int>());
        Assert.Contains("Error", await Cluster.KubectlOkAsync("get", "pod", "bad", "-n", ns));

        await Cluster.KubectlOkAsync("run", "server", "--image=nginx", "-n", ns);
        await WaitForPodAsync(ns, "server", p => Poll.Str(p["status"]?["phase"]) == "Running");
        var deleted = await Cluster.KubectlAsync("delete", "pod", "server", "-n", ns, "--timeout=60s");
        Assert.True(deleted.ExitCode == 0, deleted + components.Logs());
        var events = await WaitForEventsAsync(ns, "server", e => e.Any(l => l.StartsWith("Killing", StringComparison.Ordinal)));
        Assert.Contains("Killing kubelet Stopping container server", events);
    }

    [Fact]
    public async Task OfficialCSharpClient_WatchesAddedPending_ThenModifiedRunning()
    {
        var ns = await Cluster.CreateNamespaceAsync("csharp");
        using var client = ComponentClients.For(Cluster, Cluster.Admin, "csharp-watch-test");
        var seen = new List<(WatchEventType Type, string Phase, string Node)>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var watching = Task.Run(async () =>
        {
            await foreach (var (type, pod) in client.CoreV1.WatchListNamespacedPodAsync(ns, fieldSelector: "metadata.name=watched", cancellationToken: cts.Token))
            {
                lock (seen)
                {
                    seen.Add((type, pod.Status?.Phase ?? "", pod.Spec?.NodeName ?? ""));
                }

                if (pod.Status?.Phase == "Running")
                {
                    return;
                }
            }
        });
        await Task.Delay(500);
        await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "watched" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "nginx" }] },
        }, ns);
        await watching.WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Equal((WatchEventType.Added, "Pending", ""), seen[0]);
        var running = seen[^1];
        Assert.Equal(WatchEventType.Modified, running.Type);
        Assert.Equal("Running", running.Phase);
        Assert.Contains(running.Node, ComponentsFixture.NodeNames);
        Assert.Contains(seen, e => e.Type == WatchEventType.Modified && e.Phase == "Pending" && e.Node.Length > 0); // bound, not yet started
    }

    [Fact]
    public async Task AHigherPriorityPod_PreemptsALowerPriorityOne_WhenNothingFits()
    {
        var ns = await Cluster.CreateNamespaceAsync("preempt");
        await Cluster.KubectlWithInputAsync($$"""
            apiVersion: scheduling.k8s.io/v1
            kind: PriorityClass
            metadata:
              name: {{ns}}-high
            value: 100000
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: low
              namespace: {{ns}}
            spec:
              nodeSelector: {kubernetes.io/hostname: node-2}
              containers:
              - name: c
                image: nginx
                resources:
                  requests: {cpu: "3"}
            """, "apply", "-f", "-");
        await WaitForPodAsync(ns, "low", p => Poll.Str(p["status"]?["phase"]) == "Running");
        await Cluster.KubectlWithInputAsync($$"""
            apiVersion: v1
            kind: Pod
            metadata:
              name: high
              namespace: {{ns}}
            spec:
              priorityClassName: {{ns}}-high
              nodeSelector: {kubernetes.io/hostname: node-2}
              containers:
              - name: c
                image: nginx
                resources:
                  requests: {cpu: "3"}
            """, "apply", "-f", "-");
        var high = await WaitForPodAsync(ns, "high", p => Poll.Str(p["status"]?["phase"]) == "Running", TimeSpan.FromSeconds(90));
        Assert.Equal("node-2", Poll.Str(high["spec"]!["nodeName"]));
        using var gone = await Cluster.Http.GetAsync($"/api/v1/namespaces/{ns}/pods/low");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.StatusCode);
        var events = await WaitForEventsAsync(ns, "low", e => e.Any(l => l.StartsWith("Preempted", StringComparison.Ordinal)));
        Assert.Contains($"Preempted default-scheduler Preempted by pod {Poll.Str(high["metadata"]!["uid"])} on node node-2", events);
        var highEvents = await WaitForEventsAsync(ns, "high", e => e.Any(l => l.StartsWith("Scheduled", StringComparison.Ordinal)));
        Assert.Contains("FailedScheduling default-scheduler 0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector.", highEvents);
        await Cluster.KubectlAsync("delete", "priorityclass", $"{ns}-high");
    }

    private static bool Bound(JsonObject pod) => Poll.Str(pod["spec"]?["nodeName"]) is { Length: > 0 };

    private Task<JsonObject> WaitForPodAsync(string ns, string name, Func<JsonObject, bool> condition, TimeSpan? timeout = null) =>
        Poll.UntilAsync(async () =>
        {
            using var response = await Cluster.Http.GetAsync($"/api/v1/namespaces/{ns}/pods/{name}");
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var pod = (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            return condition(pod) ? pod : null;
        }, $"pod {ns}/{name}", components.Logs, timeout);

    /// <summary>"reason component message" per event about the object, once <paramref name="condition"/> holds for them.</summary>
    private Task<List<string>> WaitForEventsAsync(string ns, string name, Func<List<string>, bool> condition) =>
        Poll.UntilAsync(async () =>
        {
            var list = await Cluster.GetJsonAsync($"/api/v1/namespaces/{ns}/events?fieldSelector=involvedObject.name={name}");
            var lines = list["items"]!.AsArray()
                .Select(e => $"{Poll.Str(e!["reason"])} {Poll.Str(e["source"]?["component"])} {Poll.Str(e["message"])}")
                .ToList();
            return condition(lines) ? lines : null;
        }, $"events of {ns}/{name}", components.Logs);
}
