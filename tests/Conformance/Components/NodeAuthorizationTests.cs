using System.Net;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Components;

/// <summary>
/// What the Node authorizer lets a kubelet (system:node:&lt;name&gt; in system:nodes) do, with kube
/// 1.35's selector rules and graph, and what the bootstrap roles let the scheduler do — through the
/// very certificates the simulated nodes and the scheduler use.
/// </summary>
[Collection(ComponentsCollection.Name)]
public sealed class NodeAuthorizationTests(ComponentsFixture components)
{
    private ClusterFixture Cluster => components.Cluster;

    [Fact]
    public async Task AKubelet_ReadsOnlyItsOwnNode_AndListsOnlyItsOwnPods()
    {
        using var node1 = Cluster.CreateHttpClient(components.NodeCertificates["node-1"]);
        await AssertForbiddenAsync(node1, "/api/v1/pods", "User \"system:node:node-1\" cannot list resource \"pods\" in API group \"\" at the cluster scope: can only list/watch pods with spec.nodeName field selector");
        await AssertOkAsync(node1, "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1");
        await AssertForbiddenAsync(node1, "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-2", "can only list/watch pods with spec.nodeName field selector");
        await AssertOkAsync(node1, "/api/v1/nodes/node-1");
        await AssertOkAsync(node1, "/api/v1/nodes?fieldSelector=metadata.name%3Dnode-1");
        await AssertForbiddenAsync(node1, "/api/v1/nodes/node-2", "node 'node-1' cannot read 'node-2', only its own Node object");
        await AssertForbiddenAsync(node1, "/api/v1/nodes", "node 'node-1' cannot read all nodes, only its own Node object");
        await AssertOkAsync(node1, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-1");
        await AssertForbiddenAsync(node1, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-2", "can only access node lease with the same name as the requesting node");
        await AssertForbiddenAsync(node1, "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler", "can only access leases in the \"kube-node-lease\" system namespace");
    }

    [Fact]
    public async Task AKubelet_GetsASecretOnlyWhenAPodBoundToItUsesIt()
    {
        var ns = await Cluster.CreateNamespaceAsync("graph");
        await Cluster.KubectlWithInputAsync($$$"""
            apiVersion: v1
            kind: Secret
            metadata: {name: used, namespace: {{{ns}}}}
            stringData: {k: v}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: unused, namespace: {{{ns}}}}
            stringData: {k: v}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: consumer, namespace: {{{ns}}}}
            spec:
              nodeName: node-2
              containers: [{name: c, image: nginx, envFrom: [{secretRef: {name: used}}]}]
            """, "apply", "-f", "-");
        using var node2 = Cluster.CreateHttpClient(components.NodeCertificates["node-2"]);
        using var node1 = Cluster.CreateHttpClient(components.NodeCertificates["node-1"]);
        await Poll.UntilAsync(async () =>
        {
            using var response = await node2.GetAsync($"/api/v1/namespaces/{ns}/secrets/used");
            return response.IsSuccessStatusCode ? "ok" : null;
        }, "node-2 to read the secret its pod uses", components.Logs);
        await AssertOkAsync(node2, $"/api/v1/namespaces/{ns}/pods/consumer");
        await AssertForbiddenAsync(node2, $"/api/v1/namespaces/{ns}/secrets/unused", "no relationship found between node 'node-2' and this object");
        await AssertForbiddenAsync(node1, $"/api/v1/namespaces/{ns}/secrets/used", "no relationship found between node 'node-1' and this object");
        await AssertForbiddenAsync(node1, $"/api/v1/namespaces/{ns}/pods/consumer", "no relationship found between node 'node-1' and this object");
        await AssertForbiddenAsync(node2, $"/api/v1/namespaces/{ns}/secrets", "No Object name found");
    }

    [Fact]
    public async Task TheScheduler_MayBindAndReadWhatItNeeds_ButNotCreatePodsOrReadSecrets()
    {
        using var scheduler = Cluster.CreateHttpClient(components.SchedulerCertificate);
        await AssertOkAsync(scheduler, "/api/v1/pods?fieldSelector=status.phase%21%3DSucceeded%2Cstatus.phase%21%3DFailed");
        await AssertOkAsync(scheduler, "/api/v1/nodes");
        await AssertOkAsync(scheduler, "/apis/policy/v1/poddisruptionbudgets");
        await AssertOkAsync(scheduler, "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler");
        await AssertForbiddenAsync(scheduler, "/api/v1/secrets", "User \"system:kube-scheduler\" cannot list resource \"secrets\"");
        var created = await scheduler.PostAsync("/api/v1/namespaces/default/pods", ClusterFixture.Json("""{"metadata":{"name":"nope"},"spec":{"containers":[{"name":"c","image":"nginx"}]}}"""));
        Assert.Equal(HttpStatusCode.Forbidden, created.StatusCode);
    }

    private static async Task AssertOkAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task AssertForbiddenAsync(HttpClient client, string path, string message)
    {
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"GET {path}: {(int)response.StatusCode} {body}");
        Assert.Contains(message, JsonNode.Parse(body)!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
