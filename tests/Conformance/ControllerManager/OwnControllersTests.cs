using Conformance.Infrastructure;
using k8s;
using k8s.Models;

namespace Conformance.ControllerManager;

/// <summary>
/// A server with its built-in namespace, resourcequota and serviceaccount controllers turned off
/// (--builtin-controllers=) and the controller manager running its own copies
/// (--controllers=*,namespace,resourcequota,serviceaccount), as kube runs them.
/// </summary>
public sealed class OwnControllersFixture() : ControllerManagerFixture(new ClusterFixture("--builtin-controllers="), "*,namespace,resourcequota,serviceaccount");

[CollectionDefinition(Name)]
public sealed class OwnControllersCollection : ICollectionFixture<OwnControllersFixture>
{
    public const string Name = "controller-manager-own-controllers";
}

[Collection(OwnControllersCollection.Name)]
public sealed class OwnControllersTests(OwnControllersFixture fixture)
{
    private readonly Kubernetes _admin = fixture.Admin;

    [Fact]
    public async Task NewNamespace_GetsItsDefaultServiceAccount_FromTheControllerManager_AgainWhenDeleted()
    {
        var cluster = fixture.Cluster;
        var ns = await cluster.CreateNamespaceAsync("sa");
        await fixture.EventuallyAsync(async () => (await cluster.KubectlAsync("get", "serviceaccount", "default", "-n", ns)).ExitCode == 0 ? "there" : null, "the default ServiceAccount");
        await cluster.KubectlOkAsync("delete", "serviceaccount", "default", "-n", ns);
        await fixture.EventuallyAsync(async () => (await cluster.KubectlAsync("get", "serviceaccount", "default", "-n", ns)).ExitCode == 0 ? "there" : null, "the default ServiceAccount made again");

        // Made by the controller manager's serviceaccount controller (the server's is off).
        Assert.Contains($"created ServiceAccount {ns}/default", fixture.ControllerManager.Log, StringComparison.Ordinal);

        // The bootstrap namespaces got theirs too, though the server made none.
        await fixture.EventuallyAsync(async () => (await cluster.KubectlAsync("get", "serviceaccount", "default", "-n", "kube-system")).ExitCode == 0 ? "there" : null, "kube-system's default ServiceAccount");
    }

    [Fact]
    public async Task DeletedNamespaceWithContent_IsEmptiedAndGoes_ByTheControllerManager()
    {
        var cluster = fixture.Cluster;
        var ns = await cluster.CreateNamespaceAsync("nsdel");
        await fixture.EventuallyAsync(async () => (await cluster.KubectlAsync("get", "serviceaccount", "default", "-n", ns)).ExitCode == 0 ? "there" : null, "the default ServiceAccount");
        await cluster.KubectlOkAsync("create", "configmap", "settings", "-n", ns, "--from-literal=a=b");
        await cluster.KubectlOkAsync("create", "secret", "generic", "token", "-n", ns, "--from-literal=a=b");
        await cluster.KubectlOkAsync("run", "web", "--image=nginx", "-n", ns);
        await cluster.KubectlOkAsync("create", "deployment", "app", "--image=nginx", "--replicas=2", "-n", ns);
        await cluster.KubectlOkAsync("create", "configmap", "held", "-n", ns);
        await cluster.KubectlOkAsync("patch", "configmap", "held", "-n", ns, "--type=merge", "-p", """{"metadata":{"finalizers":["example.com/hold"]}}""");

        await cluster.KubectlOkAsync("delete", "namespace", ns, "--wait=false");

        // Everything but the held ConfigMap goes; the namespace says what remains and why.
        var remaining = await fixture.EventuallyAsync(async () =>
        {
            var namespaceObject = await _admin.CoreV1.ReadNamespaceAsync(ns);
            var finalizers = namespaceObject.Status?.Conditions?.FirstOrDefault(c => c.Type == "NamespaceFinalizersRemaining");
            return finalizers?.Status == "True" && (await _admin.CoreV1.ListNamespacedPodAsync(ns)).Items.Count == 0 ? namespaceObject : null;
        }, "the namespace emptied but for the held ConfigMap");
        Assert.Equal("Terminating", remaining.Status.Phase);
        Assert.Contains("example.com/hold in 1 resource instances", remaining.Status.Conditions.Single(c => c.Type == "NamespaceFinalizersRemaining").Message, StringComparison.Ordinal);
        Assert.Contains("configmaps has 1 resource instances", remaining.Status.Conditions.Single(c => c.Type == "NamespaceContentRemaining").Message, StringComparison.Ordinal);
        Assert.Equal(["held"], (await _admin.CoreV1.ListNamespacedConfigMapAsync(ns)).Items.Select(c => c.Metadata.Name));
        Assert.Empty((await _admin.AppsV1.ListNamespacedDeploymentAsync(ns)).Items);
        Assert.Empty((await _admin.CoreV1.ListNamespacedSecretAsync(ns)).Items);

        await cluster.KubectlOkAsync("patch", "configmap", "held", "-n", ns, "--type=json", "-p", """[{"op":"remove","path":"/metadata/finalizers"}]""");
        await fixture.EventuallyAsync(async () => (await cluster.KubectlAsync("get", "namespace", ns)).ExitCode != 0 ? "gone" : null, "the namespace gone");
        // The controller manager logs after its finalize call returns, which can be after the namespace is
        // seen gone: wait for the line rather than read the log once.
        var logged = await fixture.EventuallyAsync(
            () => Task.FromResult(fixture.ControllerManager.Log.Contains($"namespace {ns} emptied and finalized", StringComparison.Ordinal) ? "logged" : null),
            "the controller manager's log line");
        Assert.Equal("logged", logged);
    }

    [Fact]
    public async Task QuotaUsage_IsCountedAndReplenished_ByTheControllerManager()
    {
        var cluster = fixture.Cluster;
        var ns = await cluster.CreateNamespaceAsync("quota");
        await fixture.EventuallyAsync(async () => (await cluster.KubectlAsync("get", "serviceaccount", "default", "-n", ns)).ExitCode == 0 ? "there" : null, "the default ServiceAccount");
        foreach (var pod in new[] { "a", "b" })
        {
            var created = await cluster.KubectlWithInputAsync($$"""
                apiVersion: v1
                kind: Pod
                metadata: {name: {{pod}}, namespace: {{ns}}}
                spec:
                  containers: [{name: c, image: nginx, resources: {requests: {cpu: 100m} } }]
                """, "apply", "-f", "-");
            Assert.True(created.ExitCode == 0, created.StdErr);
        }

        await cluster.KubectlOkAsync("create", "secret", "generic", "s1", "-n", ns);

        // Objects made before the quota: only the controller can have counted them.
        await cluster.KubectlOkAsync("create", "quota", "limits", "-n", ns, "--hard=pods=5,requests.cpu=1,count/secrets=4");
        await QuotaAsync(ns, q => Used(q, "pods") == "2" && Used(q, "requests.cpu") == "200m" && Used(q, "count/secrets") == "1", "2 pods, 200m cpu and 1 secret used");
        var described = await cluster.KubectlOkAsync("describe", "quota", "limits", "-n", ns);
        Assert.Matches(@"pods\s+2\s+5", described);

        // A deleted pod is given back (admission only charges; the controller replenishes).
        await cluster.KubectlOkAsync("delete", "pod", "a", "-n", ns, "--wait=true");
        await QuotaAsync(ns, q => Used(q, "pods") == "1" && Used(q, "requests.cpu") == "100m", "1 pod and 100m cpu used after a deletion");
    }

    private static string? Used(V1ResourceQuota quota, string name) =>
        quota.Status?.Used is { } used && used.TryGetValue(name, out var q) ? q.ToString() : null;

    private Task<V1ResourceQuota> QuotaAsync(string ns, Func<V1ResourceQuota, bool> done, string what) =>
        fixture.EventuallyAsync(async () =>
        {
            var quota = await _admin.CoreV1.ReadNamespacedResourceQuotaAsync("limits", ns);
            return done(quota) ? quota : null;
        }, $"ResourceQuota {ns}/limits: {what}");
}
