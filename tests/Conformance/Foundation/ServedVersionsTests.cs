using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;
using k8s;
using k8s.Models;

namespace Conformance.Foundation;

/// <summary>
/// Group/versions kube-apiserver 1.35 serves over another version's storage (autoscaling/v1 over v2,
/// events.k8s.io/v1 over core v1 Events), componentstatuses, and discovery's storageVersionHash.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ServedVersionsTests(ClusterFixture cluster)
{
    [Fact]
    public async Task KubectlAutoscale_WritesAutoscalingV1_ThatV2ReadsAsTheSameObject()
    {
        var ns = await cluster.CreateNamespaceAsync("autoscale");
        await cluster.KubectlOkAsync("create", "deployment", "web", "-n", ns, "--image=nginx:1.27");
        Assert.Contains("horizontalpodautoscaler.autoscaling/web autoscaled",
            await cluster.KubectlOkAsync("autoscale", "deployment", "web", "-n", ns, "--min=2", "--max=5", "--cpu-percent=70"));

        var v1 = await cluster.GetJsonAsync($"/apis/autoscaling/v1/namespaces/{ns}/horizontalpodautoscalers/web");
        Assert.Equal("autoscaling/v1", v1["apiVersion"]!.GetValue<string>());
        Assert.Equal(70, v1["spec"]!["targetCPUUtilizationPercentage"]!.GetValue<int>());
        var v2 = await cluster.GetJsonAsync($"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers/web");
        Assert.Equal(v1["metadata"]!["uid"]!.GetValue<string>(), v2["metadata"]!["uid"]!.GetValue<string>());
        Assert.Equal(2, v2["spec"]!["minReplicas"]!.GetValue<int>());
        Assert.Equal("""[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":70}}}]""", v2["spec"]!["metrics"]!.ToJsonString());

        // etcd holds the storage version, autoscaling/v2.
        Assert.Contains("\"apiVersion\":\"autoscaling/v2\"", cluster.Etcdctl("get", $"/registry/horizontalpodautoscalers/{ns}/web", "--print-value-only"));

        // What v1 cannot say travels in kube's annotation, so a v1 read-modify-write keeps it.
        var pods = new JsonObject
        {
            ["type"] = "Pods",
            ["pods"] = new JsonObject
            {
                ["metric"] = new JsonObject { ["name"] = "requests_per_second" },
                ["target"] = new JsonObject { ["type"] = "AverageValue", ["averageValue"] = "10" },
            },
        };
        v2["spec"]!["metrics"]!.AsArray().Add(pods);
        using (var put = await cluster.Http.PutAsync($"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers/web", ClusterFixture.Json(v2.ToJsonString())))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        v1 = await cluster.GetJsonAsync($"/apis/autoscaling/v1/namespaces/{ns}/horizontalpodautoscalers/web");
        Assert.Equal("""[{"type":"Pods","pods":{"metricName":"requests_per_second","targetAverageValue":"10"}}]""",
            v1["metadata"]!["annotations"]!["autoscaling.alpha.kubernetes.io/metrics"]!.GetValue<string>());
        v1["metadata"]!["labels"] = new JsonObject { ["via"] = "v1" };
        using (var put = await cluster.Http.PutAsync($"/apis/autoscaling/v1/namespaces/{ns}/horizontalpodautoscalers/web", ClusterFixture.Json(v1.ToJsonString())))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        v2 = await cluster.GetJsonAsync($"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers/web");
        Assert.Equal("v1", v2["metadata"]!["labels"]!["via"]!.GetValue<string>());
        Assert.Null(v2["metadata"]!["annotations"]?["autoscaling.alpha.kubernetes.io/metrics"]);
        Assert.Equal(["Pods", "Resource"], v2["spec"]!["metrics"]!.AsArray().Select(m => m!["type"]!.GetValue<string>()));

        // A v1 autoscaler without a target means 80% CPU; validation speaks of the v2 form, as kube's does.
        using (var bad = await cluster.Http.PostAsync($"/apis/autoscaling/v1/namespaces/{ns}/horizontalpodautoscalers", ClusterFixture.Json(
            """{"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"bad"},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},"maxReplicas":0}}""")))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
            Assert.Contains("spec.maxReplicas: Invalid value: 0: must be greater than 0", await bad.Content.ReadAsStringAsync());
        }

        // kubectl lists them through the preferred version, v2.
        Assert.Contains("web", await cluster.KubectlOkAsync("get", "hpa", "-n", ns));
        var group = await cluster.GetJsonAsync("/apis/autoscaling");
        Assert.Equal("autoscaling/v2", group["preferredVersion"]!["groupVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task EventsV1_AndCoreEvents_AreOneStorage_ThroughTheCSharpClient()
    {
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(cluster.Kubeconfig));
        var ns = await cluster.CreateNamespaceAsync("eventsv1");
        var created = await client.EventsV1.CreateNamespacedEventAsync(new Eventsv1Event
        {
            Metadata = new V1ObjectMeta { Name = "started" },
            EventTime = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            ReportingController = "example.com/tester",
            ReportingInstance = "tester-1",
            Action = "Start",
            Reason = "Started",
            Note = "it began",
            Type = "Normal",
            Regarding = new V1ObjectReference { Kind = "Pod", Name = "p", NamespaceProperty = ns },
        }, ns);
        Assert.Equal("it began", created.Note);

        var core = await client.CoreV1.ReadNamespacedEventAsync("started", ns);
        Assert.Equal(("it began", "example.com/tester", "p"), (core.Message, core.ReportingComponent, core.InvolvedObject.Name));
        Assert.Equal(created.Metadata.Uid, core.Metadata.Uid);

        // A core event reads as events.k8s.io/v1, deprecated fields and all.
        await client.CoreV1.CreateNamespacedEventAsync(new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = "legacy" },
            InvolvedObject = new V1ObjectReference { Kind = "Pod", Name = "q", NamespaceProperty = ns },
            Reason = "Pulled",
            Message = "image pulled",
            Count = 3,
            Source = new V1EventSource { Component = "kubelet" },
        }, ns);
        var legacy = await client.EventsV1.ReadNamespacedEventAsync("legacy", ns);
        Assert.Equal(("image pulled", 3, "kubelet", "q"), (legacy.Note, legacy.DeprecatedCount, legacy.DeprecatedSource.Component, legacy.Regarding.Name));
        Assert.Equal(2, (await client.EventsV1.ListNamespacedEventAsync(ns)).Items.Count);

        // events.k8s.io/v1 is strict where core v1 is lenient (kube's ValidateEventCreate for the new API).
        using var strict = await cluster.Http.PostAsync($"/apis/events.k8s.io/v1/namespaces/{ns}/events", ClusterFixture.Json(
            """{"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"name":"sloppy"},"reason":"R","type":"Odd","deprecatedCount":2}"""));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, strict.StatusCode);
        var message = JsonNode.Parse(await strict.Content.ReadAsStringAsync())!["message"]!.GetValue<string>();
        Assert.Contains("eventTime: Required value", message);
        Assert.Contains("type: Invalid value: \"\": has invalid value: Odd", message);
        Assert.Contains("count: Invalid value: \"\": needs to be unset", message);

        Assert.Contains("started", await cluster.KubectlOkAsync("get", "events.v1.events.k8s.io", "-n", ns));
    }

    [Fact]
    public async Task KubectlGetComponentStatuses_AsksTheComponents_WithKubesDeprecationWarning()
    {
        var result = await cluster.KubectlAsync("get", "componentstatuses");
        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Contains("Warning: v1 ComponentStatus is deprecated in v1.19+", result.StdErr);
        var etcd = result.StdOut.Split('\n').Single(l => l.StartsWith("etcd-0", StringComparison.Ordinal));
        Assert.Matches(@"^etcd-0\s+Healthy\s+ok", etcd);
        Assert.Contains("scheduler", result.StdOut);
        Assert.Contains("controller-manager", result.StdOut);

        var list = await cluster.GetJsonAsync("/api/v1/componentstatuses");
        Assert.Equal(["controller-manager", "scheduler", "etcd-0"], list["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()));
        Assert.Equal("Healthy", list["items"]![2]!["conditions"]![0]!["type"]!.GetValue<string>());
        using var missing = await cluster.Http.GetAsync("/api/v1/componentstatuses/nothing");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var write = await cluster.Http.PostAsync("/api/v1/componentstatuses", ClusterFixture.Json("""{"metadata":{"name":"x"}}"""));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, write.StatusCode);
    }

    [Fact]
    public async Task Discovery_CarriesKubesStorageVersionHash_OfTheStorageVersion()
    {
        static string? Hash(JsonNode list, string name) =>
            list["resources"]!.AsArray().Single(r => r!["name"]!.GetValue<string>() == name)!["storageVersionHash"]?.GetValue<string>();

        var core = await cluster.GetJsonAsync("/api/v1");
        Assert.Equal("xPOwRZ+Yhw8=", Hash(core, "pods"));
        Assert.Equal("r2yiGXH7wu8=", Hash(core, "events"));
        Assert.Null(Hash(core, "bindings"));
        Assert.Null(Hash(core, "pods/status"));
        Assert.Null(Hash(core, "componentstatuses"));
        Assert.Equal("r2yiGXH7wu8=", Hash(await cluster.GetJsonAsync("/apis/events.k8s.io/v1"), "events"));
        Assert.Equal("qwQve8ut294=", Hash(await cluster.GetJsonAsync("/apis/autoscaling/v1"), "horizontalpodautoscalers"));
        Assert.Equal("qwQve8ut294=", Hash(await cluster.GetJsonAsync("/apis/autoscaling/v2"), "horizontalpodautoscalers"));
        Assert.Null(Hash(await cluster.GetJsonAsync("/apis/authorization.k8s.io/v1"), "subjectaccessreviews"));
    }
}
