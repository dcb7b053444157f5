using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;
using k8s;
using k8s.Autorest;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using k8s.Models;

namespace Conformance.Clients;

/// <summary>
/// The official C# client (KubernetesClient, as NuGet serves it): typed CRUD of built-in kinds, every
/// patch type, server-side apply conflicts, watches across server timeouts and 410s, leader election on
/// a Lease, and errors as <see cref="HttpOperationException"/> carrying kube's Status.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class CSharpClientTests(ClusterFixture cluster)
{
    private Kubernetes Client() => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(cluster.Kubeconfig));

    [Fact]
    public async Task TypedCrud_OfBuiltInKinds_WithTheStructsKubeAlwaysSends()
    {
        using var client = Client();
        var ns = await cluster.CreateNamespaceAsync("csharp");

        // A Node as a kubelet's first registration sends it: ordinary code reads spec and status.
        var nodeName = "csharp-node-" + Guid.NewGuid().ToString("N")[..6];
        var created = await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = nodeName } });
        try
        {
            var node = await client.CoreV1.ReadNodeAsync(nodeName);
            Assert.NotNull(created.Spec);
            Assert.Null(node.Spec.Unschedulable);
            Assert.Equal(0, node.Status.DaemonEndpoints.KubeletEndpoint.Port);
            Assert.Equal("", node.Status.NodeInfo.MachineID);
        }
        finally
        {
            await client.CoreV1.DeleteNodeAsync(nodeName);
        }

        var deployment = await client.AppsV1.CreateNamespacedDeploymentAsync(new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "web" },
            Spec = new V1DeploymentSpec
            {
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "web" } },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "web", Image = "nginx" }] },
                },
            },
        }, ns);
        Assert.NotNull(deployment.Status);
        Assert.NotNull(deployment.Spec.Template.Spec.Containers[0].Resources);

        // Services are deleted with the object as the answer (kube's ReturnDeletedObject).
        var service = await client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "web" },
            Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 80 }], Selector = new Dictionary<string, string> { ["app"] = "web" } },
        }, ns);
        Assert.NotNull(service.Status.LoadBalancer);
        // Go decodes the absent targetPort as 0, which kube's defaulting reads as unset: it becomes the port.
        Assert.Equal("80", service.Spec.Ports[0].TargetPort.Value);
        Assert.Equal("TCP", service.Spec.Ports[0].Protocol);
        var deletedService = await client.CoreV1.DeleteNamespacedServiceAsync("web", ns);
        Assert.Equal(service.Metadata.Uid, deletedService.Metadata.Uid);

        var map = await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "settings", Labels = new Dictionary<string, string> { ["client"] = "csharp" } },
            Data = new Dictionary<string, string> { ["mode"] = "a" },
        }, ns);
        var listed = await client.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: "client=csharp");
        Assert.Equal(["settings"], listed.Items.Select(i => i.Metadata.Name));

        // A replace with resourceVersion "0" is unconditional, as with kube.
        map.Metadata.ResourceVersion = "0";
        map.Data["mode"] = "b";
        var replaced = await client.CoreV1.ReplaceNamespacedConfigMapAsync(map, "settings", ns);
        Assert.Equal("b", replaced.Data["mode"]);
        Assert.NotEqual("0", replaced.Metadata.ResourceVersion);

        var status = await client.CoreV1.DeleteNamespacedConfigMapAsync("settings", ns);
        Assert.Equal("Success", status.Status);
    }

    [Fact]
    public async Task PlainNumbersGoDecodesAsZero_StillGetKubesDefaults()
    {
        using var client = Client();
        var name = "csharp-plc-" + Guid.NewGuid().ToString("N")[..6];
        // QueuingConfiguration's numbers are plain int32s in Go: absent is 0, and kube's defaulting fills 0.
        var level = await client.FlowcontrolApiserverV1.CreatePriorityLevelConfigurationAsync(new V1PriorityLevelConfiguration
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1PriorityLevelConfigurationSpec
            {
                Type = "Limited",
                Limited = new V1LimitedPriorityLevelConfiguration
                {
                    NominalConcurrencyShares = 5,
                    LimitResponse = new V1LimitResponse { Type = "Queue", Queuing = new V1QueuingConfiguration() },
                },
            },
        });
        try
        {
            var queuing = level.Spec.Limited.LimitResponse.Queuing;
            Assert.Equal(64, queuing.Queues);
            Assert.Equal(8, queuing.HandSize);
            Assert.Equal(50, queuing.QueueLengthLimit);
        }
        finally
        {
            await client.FlowcontrolApiserverV1.DeletePriorityLevelConfigurationAsync(name);
        }
    }

    [Fact]
    public async Task Secrets_StringDataIsMergedIntoData()
    {
        using var client = Client();
        var ns = await cluster.CreateNamespaceAsync("csharp-secret");
        var secret = await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "creds" },
            Data = new Dictionary<string, byte[]> { ["user"] = "old"u8.ToArray(), ["keep"] = "k"u8.ToArray() },
            StringData = new Dictionary<string, string> { ["user"] = "admin", ["password"] = "s3cr3t" },
        }, ns);
        Assert.Null(secret.StringData);
        Assert.Equal("admin", Encoding.UTF8.GetString(secret.Data["user"]));
        Assert.Equal("s3cr3t", Encoding.UTF8.GetString(secret.Data["password"]));
        Assert.Equal("k", Encoding.UTF8.GetString(secret.Data["keep"]));

        var patched = await client.CoreV1.PatchNamespacedSecretAsync(
            new V1Patch("""{"stringData":{"password":"changed"}}""", V1Patch.PatchType.MergePatch), "creds", ns);
        Assert.Null(patched.StringData);
        Assert.Equal("changed", Encoding.UTF8.GetString(patched.Data["password"]));
        var stored = await client.CoreV1.ReadNamespacedSecretAsync("creds", ns);
        Assert.Null(stored.StringData);
        Assert.Equal(3, stored.Data.Count);
    }

    [Fact]
    public async Task EveryPatchType_AndServerSideApplyConflictsAsV1Status()
    {
        using var client = Client();
        var ns = await cluster.CreateNamespaceAsync("csharp-patch");
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "p" }, Data = new Dictionary<string, string> { ["a"] = "1" } }, ns);

        var json = await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""[{"op":"add","path":"/data/b","value":"2"}]""", V1Patch.PatchType.JsonPatch), "p", ns);
        var merge = await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"c":"3"}}""", V1Patch.PatchType.MergePatch), "p", ns);
        var strategic = await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"d":"4"}}""", V1Patch.PatchType.StrategicMergePatch), "p", ns);
        Assert.Equal("2", json.Data["b"]);
        Assert.Equal("3", merge.Data["c"]);
        Assert.Equal(["a", "b", "c", "d"], strategic.Data.Keys.Order());

        const string apply = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"p"},"data":{"a":"from-alice"}}""";
        var applied = await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(apply, V1Patch.PatchType.ApplyPatch), "p", ns, fieldManager: "alice", force: true);
        Assert.Equal("from-alice", applied.Data["a"]);

        var conflict = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch(apply.Replace("from-alice", "from-bob"), V1Patch.PatchType.ApplyPatch), "p", ns, fieldManager: "bob"));
        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(conflict.Response.Content);
        Assert.Equal("Conflict", status.Reason);
        Assert.Equal(409, status.Code);
        var cause = Assert.Single(status.Details.Causes);
        Assert.Equal("FieldManagerConflict", cause.Reason);
        Assert.Equal(".data.a", cause.Field);
        Assert.Contains("conflict with \"alice\"", status.Message);
    }

    [Fact]
    public async Task ServerSideApply_ConflictsWithFieldsClientSideApplySet()
    {
        using var client = Client();
        var ns = await cluster.CreateNamespaceAsync("csa");
        var applied = await cluster.KubectlWithInputAsync("""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: shared
            data:
              owner: kubectl
            """, "apply", "-n", ns, "-f", "-");
        Assert.True(applied.ExitCode == 0, applied.ToString());
        var map = await client.CoreV1.ReadNamespacedConfigMapAsync("shared", ns);
        Assert.Contains(map.Metadata.ManagedFields, m => m.Manager == "kubectl-client-side-apply");

        // Another manager's apply that changes what client-side apply set: 409, naming its manager.
        var conflict = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"shared"},"data":{"owner":"operator"}}""", V1Patch.PatchType.ApplyPatch),
            "shared", ns, fieldManager: "operator"));
        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(conflict.Response.Content);
        Assert.Equal("Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using v1: .data.owner", status.Message);

        // kubectl's own server-side apply moves from client-side apply without a conflict, as with kube.
        var moved = await cluster.KubectlWithInputAsync("""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: shared
            data:
              owner: kubectl-ssa
            """, "apply", "--server-side", "-n", ns, "-f", "-");
        Assert.True(moved.ExitCode == 0, moved.ToString());
    }

    [Fact]
    public async Task Errors_AreHttpOperationExceptions_WithKubesStatus()
    {
        using var client = Client();
        var ns = await cluster.CreateNamespaceAsync("csharp-err");

        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReadNamespacedConfigMapAsync("nope", ns));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
        var notFound = KubernetesJson.Deserialize<V1Status>(missing.Response.Content);
        Assert.Equal(("NotFound", "configmaps \"nope\" not found", "nope", "configmaps"), (notFound.Reason, notFound.Message, notFound.Details.Name, notFound.Details.Kind));

        var invalid = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "Not_Valid" } }, ns));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(invalid.Response.Content);
        Assert.Equal("Invalid", status.Reason);
        Assert.Equal("metadata.name", Assert.Single(status.Details.Causes).Field);

        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "once" } }, ns);
        var exists = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "once" } }, ns));
        Assert.Equal("AlreadyExists", KubernetesJson.Deserialize<V1Status>(exists.Response.Content).Reason);
    }

    [Fact]
    public async Task Watch_EndsOnTheServersTimeout_ResumesFromItsResourceVersion_AndReports410()
    {
        using var client = Client();
        var ns = await cluster.CreateNamespaceAsync("csharp-watch");
        var list = await client.CoreV1.ListNamespacedConfigMapAsync(ns);
        var start = list.Metadata.ResourceVersion;
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "w1" } }, ns);

        // WatchAsync: the server ends the watch after timeoutSeconds and the enumeration completes.
        var seen = new List<(WatchEventType, string)>();
        var lastVersion = start;
        await foreach (var (type, item) in client.CoreV1.WatchListNamespacedConfigMapAsync(ns, resourceVersion: start, timeoutSeconds: 2))
        {
            seen.Add((type, item.Metadata.Name));
            lastVersion = item.Metadata.ResourceVersion;
        }

        Assert.Equal([(WatchEventType.Added, "w1")], seen);

        // Watch (callbacks) resumes from the last version it saw: only what happened since.
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "w2" } }, ns);
        var events = new List<(WatchEventType, string)>();
        var closed = new TaskCompletionSource();
        using (client.CoreV1.WatchListNamespacedConfigMap(ns, resourceVersion: lastVersion, timeoutSeconds: 2,
                   onEvent: (type, item) => events.Add((type, item.Metadata.Name)), onError: _ => { }, onClosed: () => closed.TrySetResult()))
        {
            await closed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.Equal([(WatchEventType.Added, "w2")], events);

        // Push `start` out of the configmaps' watch window and compact etcd past it: the watch reports
        // 410 Gone as a Status the client hands to onError.
        for (var i = 0; i <= ClusterFixture.ConfigMapWatchWindow; i++)
        {
            await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch($$$"""{"data":{"i":"{{{i}}}"}}""", V1Patch.PatchType.MergePatch), "w2", ns);
        }

        cluster.Etcdctl("compact", (await client.CoreV1.ListNamespacedConfigMapAsync(ns)).Metadata.ResourceVersion);
        var errors = new List<Exception>();
        var gone = new TaskCompletionSource();
        using (client.CoreV1.WatchListNamespacedConfigMap(ns, resourceVersion: start, timeoutSeconds: 5,
                   onEvent: (_, _) => { }, onError: e => errors.Add(e), onClosed: () => gone.TrySetResult()))
        {
            await gone.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }

        var error = Assert.IsType<KubernetesException>(Assert.Single(errors));
        Assert.Equal(410, error.Status.Code);
        Assert.Equal("Expired", error.Status.Reason);
    }

    [Fact]
    public async Task LeaseLock_LeaderElection_HandsOverWhenTheLeaderStops()
    {
        using var client = Client();
        var ns = await cluster.CreateNamespaceAsync("csharp-lease");
        LeaderElector Elector(string identity) => new(new LeaderElectionConfig(new LeaseLock(client, ns, "leader", identity))
        {
            LeaseDuration = TimeSpan.FromSeconds(3),
            RenewDeadline = TimeSpan.FromSeconds(2),
            RetryPeriod = TimeSpan.FromMilliseconds(300),
        });

        using var first = Elector("first");
        using var firstStop = new CancellationTokenSource();
        var firstLeads = new TaskCompletionSource();
        first.OnStartedLeading += () => firstLeads.TrySetResult();
        var firstRun = first.RunUntilLeadershipLostAsync(firstStop.Token);
        await firstLeads.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var lease = await client.CoordinationV1.ReadNamespacedLeaseAsync("leader", ns);
        Assert.Equal("first", lease.Spec.HolderIdentity);

        using var second = Elector("second");
        using var secondStop = new CancellationTokenSource();
        var secondLeads = new TaskCompletionSource();
        second.OnStartedLeading += () => secondLeads.TrySetResult();
        var secondRun = second.RunUntilLeadershipLostAsync(secondStop.Token);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(secondLeads.Task.IsCompleted);

        // The leader stops renewing; the second takes the lease once it has expired.
        firstStop.Cancel();
        await Task.WhenAny(firstRun, Task.Delay(TimeSpan.FromSeconds(10)));
        await secondLeads.Task.WaitAsync(TimeSpan.FromSeconds(30));
        lease = await client.CoordinationV1.ReadNamespacedLeaseAsync("leader", ns);
        Assert.Equal("second", lease.Spec.HolderIdentity);
        Assert.True(lease.Spec.LeaseTransitions >= 1);
        secondStop.Cancel();
        await Task.WhenAny(secondRun, Task.Delay(TimeSpan.FromSeconds(10)));
    }
}
