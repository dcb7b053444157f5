using k8s;
using k8s.Models;

namespace Conformance.ControllerManager;

/// <summary>
/// Job's podFailurePolicy and backoffLimitPerIndex through kubectl: the test plays the kubelet, failing
/// pods with an exit code (FinishPodAsync's Failed is exit code 1).
/// </summary>
[Collection(ControllerManagerCollection.Name)]
public sealed class JobPolicyTests(ControllerManagerFixture fixture)
{
    private readonly Kubernetes _admin = fixture.Admin;

    [Fact]
    public async Task PodFailurePolicy_FailJobOnExitCode_FailsTheJobAtOnce()
    {
        var cluster = fixture.Cluster;
        var ns = await cluster.CreateNamespaceAsync("job-pfp");
        await ApplyAsync($$"""
            apiVersion: batch/v1
            kind: Job
            metadata: {name: strict, namespace: {{ns}}}
            spec:
              backoffLimit: 6
              podFailurePolicy:
                rules:
                - action: FailJob
                  onExitCodes: {containerName: main, operator: In, values: [1]}
              template:
                spec:
                  restartPolicy: Never
                  containers: [{name: main, image: busybox}]
            """);
        var pod = await fixture.EventuallyAsync(async () => (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items.SingleOrDefault(), "the Job's pod");
        await fixture.FinishPodAsync(pod, "Failed");

        await cluster.KubectlOkAsync("wait", "--for=condition=failed", "job/strict", "-n", ns, "--timeout=60s");
        var job = await _admin.BatchV1.ReadNamespacedJobAsync("strict", ns);
        var failed = Assert.Single(job.Status.Conditions, c => c.Type == "Failed");
        Assert.Equal(("PodFailurePolicy", $"Container main for pod {ns}/{pod.Metadata.Name} failed with exit code 1 matching FailJob rule at index 0"), (failed.Reason, failed.Message));
        Assert.Single((await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items); // not retried despite backoffLimit 6
    }

    [Fact]
    public async Task BackoffLimitPerIndex_FailsOneIndex_TheOthersComplete_ThenFailedIndexes()
    {
        var cluster = fixture.Cluster;
        var ns = await cluster.CreateNamespaceAsync("job-idx");
        await ApplyAsync($$"""
            apiVersion: batch/v1
            kind: Job
            metadata: {name: indexed, namespace: {{ns}}}
            spec:
              completions: 2
              parallelism: 2
              completionMode: Indexed
              backoffLimitPerIndex: 0
              template:
                spec:
                  restartPolicy: Never
                  containers: [{name: main, image: busybox}]
            """);
        var pods = await fixture.EventuallyAsync(async () =>
        {
            var items = (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items;
            return items.Count == 2 ? items : null;
        }, "one pod per index");
        Assert.All(pods, p => Assert.Equal("0", p.Metadata.Annotations["batch.kubernetes.io/job-index-failure-count"]));
        var first = pods.Single(p => p.Metadata.Annotations["batch.kubernetes.io/job-completion-index"] == "0");
        var second = pods.Single(p => p.Metadata.Annotations["batch.kubernetes.io/job-completion-index"] == "1");

        await fixture.FinishPodAsync(first, "Failed");
        await fixture.EventuallyAsync(async () => (await _admin.BatchV1.ReadNamespacedJobAsync("indexed", ns)).Status?.FailedIndexes == "0" ? "" : null, "failedIndexes 0");
        await fixture.FinishPodAsync(second, "Succeeded");
        await cluster.KubectlOkAsync("wait", "--for=condition=failed", "job/indexed", "-n", ns, "--timeout=60s");
        var job = await _admin.BatchV1.ReadNamespacedJobAsync("indexed", ns);
        Assert.Equal(("1", "0"), (job.Status.CompletedIndexes, job.Status.FailedIndexes));
        Assert.Equal("FailedIndexes", job.Status.Conditions.Single(c => c.Type == "Failed").Reason);
        Assert.Equal(2, (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items.Count); // index 0 was not made again
    }

    private async Task ApplyAsync(string yaml)
    {
        var applied = await fixture.Cluster.KubectlWithInputAsync(yaml, "apply", "-f", "-");
        Assert.True(applied.ExitCode == 0, applied.StdErr);
    }
}
