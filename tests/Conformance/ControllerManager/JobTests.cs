using k8s;
using k8s.Models;

namespace Conformance.ControllerManager;

/// <summary>
/// Jobs run to completion: the test plays the kubelet, finishing the pods the Job controller makes
/// (through pods/status), and kubectl and the official client see kube's status, conditions and events.
/// </summary>
[Collection(ControllerManagerCollection.Name)]
public sealed class JobTests(ControllerManagerFixture fixture)
{
    private readonly Kubernetes _admin = fixture.Admin;

    [Fact]
    public async Task KubectlCreateJob_PodSucceeds_KubectlWaitSeesComplete()
    {
        var cluster = fixture.Cluster;
        var ns = await cluster.CreateNamespaceAsync("job");
        await cluster.KubectlOkAsync("create", "job", "hello", "--image=busybox", "-n", ns, "--", "echo", "hi");

        var pod = await fixture.EventuallyAsync(async () => (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items.SingleOrDefault(), "the Job's pod");
        var owner = Assert.Single(pod.Metadata.OwnerReferences);
        Assert.Equal(("Job", "hello", true), (owner.Kind, owner.Name, owner.Controller == true));
        Assert.StartsWith("hello-", pod.Metadata.Name, StringComparison.Ordinal);
        Assert.Equal("hello", pod.Metadata.Labels["batch.kubernetes.io/job-name"]);
        await fixture.EventuallyAsync(async () => (await _admin.BatchV1.ReadNamespacedJobAsync("hello", ns)).Status?.Active == 1 ? "" : null, "status.active 1");

        await fixture.FinishPodAsync(pod, "Succeeded");
        await cluster.KubectlOkAsync("wait", "--for=condition=complete", "job/hello", "-n", ns, "--timeout=60s");
        var job = await _admin.BatchV1.ReadNamespacedJobAsync("hello", ns);
        Assert.Equal((1, 0), (job.Status.Succeeded, job.Status.Active ?? 0));
        Assert.NotNull(job.Status.CompletionTime);
        Assert.Contains(job.Status.Conditions, c => c.Type == "SuccessCriteriaMet" && c.Status == "True");
        Assert.Single((await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items);
        var table = await cluster.KubectlOkAsync("get", "job", "hello", "-n", ns);
        Assert.Contains("1/1", table, StringComparison.Ordinal);
        var events = await fixture.EventuallyAsync(async () =>
        {
            var reasons = await cluster.KubectlOkAsync("get", "events", "-n", ns, "--field-selector", "involvedObject.kind=Job", "-o", "jsonpath={.items[*].reason}");
            return reasons.Contains("Completed", StringComparison.Ordinal) ? reasons : null;
        }, "the Completed event");
        Assert.Contains("SuccessfulCreate", events, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompletionsAndParallelism_NeverMoreThanParallelismActive_CompleteAtCompletions()
    {
        var ns = await fixture.Cluster.CreateNamespaceAsync("job-par");
        await _admin.BatchV1.CreateNamespacedJobAsync(NewJob("batch", completions: 3, parallelism: 2), ns);
        var finished = 0;
        while (finished < 3)
        {
            var running = await fixture.EventuallyAsync(async () =>
            {
                var pods = (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items;
                var active = pods.Where(p => p.Status?.Phase is not ("Succeeded" or "Failed")).ToList();
                Assert.True(active.Count <= 2, $"{active.Count} pods active with parallelism 2");
                return active.Count == Math.Min(2, 3 - finished) ? active : null;
            }, $"{Math.Min(2, 3 - finished)} active pods after {finished} finished");
            await fixture.FinishPodAsync(running[0], "Succeeded");
            finished++;
        }

        var job = await fixture.EventuallyAsync(async () =>
        {
            var j = await _admin.BatchV1.ReadNamespacedJobAsync("batch", ns);
            return j.Status?.Conditions?.Any(c => c.Type == "Complete" && c.Status == "True") == true ? j : null;
        }, "the Job to complete");
        Assert.Equal(3, job.Status.Succeeded);
        Assert.Equal(3, (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items.Count);
    }

    [Fact]
    public async Task BackoffLimitZero_FailedPod_FailsTheJob()
    {
        var ns = await fixture.Cluster.CreateNamespaceAsync("job-fail");
        var spec = NewJob("fails", completions: 1, parallelism: 1);
        spec.Spec.BackoffLimit = 0;
        await _admin.BatchV1.CreateNamespacedJobAsync(spec, ns);
        var pod = await fixture.EventuallyAsync(async () => (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items.SingleOrDefault(), "the Job's pod");
        await fixture.FinishPodAsync(pod, "Failed");

        await fixture.Cluster.KubectlOkAsync("wait", "--for=condition=failed", "job/fails", "-n", ns, "--timeout=60s");
        var job = await _admin.BatchV1.ReadNamespacedJobAsync("fails", ns);
        var failed = Assert.Single(job.Status.Conditions, c => c.Type == "Failed");
        Assert.Equal(("True", "BackoffLimitExceeded"), (failed.Status, failed.Reason));
        Assert.Equal(1, job.Status.Failed);
        Assert.Single((await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items);
    }

    [Fact]
    public async Task IndexedJob_OnePodPerIndex_CompletedIndexes()
    {
        var ns = await fixture.Cluster.CreateNamespaceAsync("job-indexed");
        var spec = NewJob("indexed", completions: 2, parallelism: 2);
        spec.Spec.CompletionMode = "Indexed";
        await _admin.BatchV1.CreateNamespacedJobAsync(spec, ns);
        var pods = await fixture.EventuallyAsync(async () =>
        {
            var items = (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items;
            return items.Count == 2 ? items : null;
        }, "two pods");
        Assert.Equal(["0", "1"], pods.Select(p => p.Metadata.Annotations["batch.kubernetes.io/job-completion-index"]).Order());
        Assert.All(pods, p =>
        {
            var index = p.Metadata.Annotations["batch.kubernetes.io/job-completion-index"];
            Assert.Equal($"indexed-{index}", p.Spec.Hostname);
            Assert.StartsWith($"indexed-{index}-", p.Metadata.Name, StringComparison.Ordinal);
            Assert.Contains(p.Spec.Containers[0].Env, e => e.Name == "JOB_COMPLETION_INDEX");
        });

        foreach (var pod in pods)
        {
            await fixture.FinishPodAsync(pod, "Succeeded");
        }

        var job = await fixture.EventuallyAsync(async () =>
        {
            var j = await _admin.BatchV1.ReadNamespacedJobAsync("indexed", ns);
            return j.Status?.Conditions?.Any(c => c.Type == "Complete" && c.Status == "True") == true ? j : null;
        }, "the Indexed Job to complete");
        Assert.Equal("0-1", job.Status.CompletedIndexes);
    }

    [Fact]
    public async Task TtlSecondsAfterFinished_DeletesTheFinishedJobAndItsPods()
    {
        var ns = await fixture.Cluster.CreateNamespaceAsync("job-ttl");
        var spec = NewJob("short-lived", completions: 1, parallelism: 1);
        spec.Spec.TtlSecondsAfterFinished = 1;
        await _admin.BatchV1.CreateNamespacedJobAsync(spec, ns);
        var pod = await fixture.EventuallyAsync(async () => (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items.SingleOrDefault(), "the Job's pod");
        await fixture.FinishPodAsync(pod, "Succeeded");

        await fixture.EventuallyAsync(async () =>
        {
            var jobs = (await _admin.BatchV1.ListNamespacedJobAsync(ns)).Items;
            var pods = (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items;
            return jobs.Count == 0 && pods.Count == 0 ? "" : null;
        }, "the finished Job and its pod to be deleted");
    }

    private static V1Job NewJob(string name, int completions, int parallelism) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1JobSpec
        {
            Completions = completions,
            Parallelism = parallelism,
            Template = new V1PodTemplateSpec
            {
                Spec = new V1PodSpec { RestartPolicy = "Never", Containers = [new V1Container { Name = "work", Image = "busybox", Command = ["true"] }] },
            },
        },
    };

    [Theory]
    [InlineData("Failed", 1)]
    [InlineData("TerminatingOrFailed", 2)]
    public async Task PodReplacementPolicy_DecidesWhetherATerminatingPodIsReplacedAtOnce(string policy, int podsWhileTerminating)
    {
        var ns = await fixture.Cluster.CreateNamespaceAsync("replace");
        await _admin.BatchV1.CreateNamespacedJobAsync(new V1Job
        {
            Metadata = new V1ObjectMeta { Name = "work" },
            Spec = new V1JobSpec
            {
                PodReplacementPolicy = policy,
                Template = new V1PodTemplateSpec { Spec = new V1PodSpec { RestartPolicy = "Never", Containers = [new V1Container { Name = "c", Image = "busybox" }] } },
            },
        }, ns);
        var pod = await fixture.EventuallyAsync(async () => (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items.SingleOrDefault(), "the Job's pod");
        // Bound to a node no kubelet serves, the pod stays terminating after a graceful delete.
        await _admin.CoreV1.CreateNamespacedPodBindingAsync(new V1Binding { Metadata = new V1ObjectMeta { Name = pod.Metadata.Name }, Target = new V1ObjectReference { Kind = "Node", Name = "ghost" } }, pod.Metadata.Name, ns);
        await _admin.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, ns, gracePeriodSeconds: 300);

        // The sync that writes status.terminating has made its replacement decision.
        await fixture.EventuallyAsync(async () => (await _admin.BatchV1.ReadNamespacedJobAsync("work", ns)).Status?.Terminating == 1 ? "" : null, "status.terminating 1");
        await fixture.EventuallyAsync(async () => (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items.Count == podsWhileTerminating ? "" : null, $"{podsWhileTerminating} pod(s) while one terminates");
        Assert.Equal(podsWhileTerminating, (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items.Count);

        // Gone for good: now Failed replaces it too.
        await _admin.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, ns, gracePeriodSeconds: 0);
        var replacement = await fixture.EventuallyAsync(async () =>
            (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items.FirstOrDefault(p => p.Metadata.Name != pod.Metadata.Name), "a replacement pod");
        Assert.Null(replacement.Metadata.DeletionTimestamp);
    }
}
