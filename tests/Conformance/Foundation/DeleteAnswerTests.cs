using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;
using k8s;
using k8s.Models;

namespace Conformance.Foundation;

/// <summary>
/// What a DELETE answers, as kube-apiserver answers it: the deleted object for the registries kube
/// builds with ReturnDeletedObject (every served kind is checked in ResourceCoverageTests), parsed by
/// the official C# client's typed deletes; the object (with its deletionTimestamp) while it waits for
/// finalizers, and 202 when the client asked orphanDependents=false of an object that stays.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class DeleteAnswerTests(ClusterFixture cluster)
{
    /// <summary>
    /// The resources whose DELETE kube answers with the deleted object: the registries kube builds with
    /// genericregistry.Store{ReturnDeletedObject: true} (k8s.io/kubernetes pkg/registry/core/{namespace,pod,
    /// service,persistentvolume,persistentvolumeclaim,resourcequota,serviceaccount,podtemplate},
    /// storage/{storageclass,volumeattachment,csidriver,csinode,volumeattributesclass},
    /// resource/{deviceclass,resourceclaim,resourceclaimtemplate,resourceslice}). Written out here from
    /// kube's sources, not read from the server; ResourceCoverageTests checks every served kind against it.
    /// </summary>
    public static readonly HashSet<(string Group, string Plural)> ReturnsDeletedObject =
    [
        ("", "namespaces"), ("", "pods"), ("", "services"), ("", "persistentvolumes"), ("", "persistentvolumeclaims"),
        ("", "resourcequotas"), ("", "serviceaccounts"), ("", "podtemplates"),
        ("storage.k8s.io", "storageclasses"), ("storage.k8s.io", "volumeattachments"), ("storage.k8s.io", "csidrivers"),
        ("storage.k8s.io", "csinodes"), ("storage.k8s.io", "volumeattributesclasses"),
        ("resource.k8s.io", "deviceclasses"), ("resource.k8s.io", "resourceclaims"), ("resource.k8s.io", "resourceclaimtemplates"),
        ("resource.k8s.io", "resourceslices"),
    ];

    [Fact]
    public async Task TypedClient_DeletesParseAsTheirKinds()
    {
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(cluster.Kubeconfig));
        var ns = await cluster.CreateNamespaceAsync("delans-cs");
        var claim = await client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(new V1PersistentVolumeClaim
        {
            Metadata = new V1ObjectMeta { Name = "data" },
            Spec = new V1PersistentVolumeClaimSpec
            {
                AccessModes = ["ReadWriteOnce"],
                Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") } },
            },
        }, ns);
        var deletedClaim = await client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync("data", ns);
        Assert.Equal(claim.Metadata.Uid, deletedClaim.Metadata.Uid);
        Assert.Equal("1Gi", deletedClaim.Spec.Resources.Requests["storage"].ToString());

        var account = await client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "robot" } }, ns);
        var deletedAccount = await client.CoreV1.DeleteNamespacedServiceAccountAsync("robot", ns);
        Assert.Equal(account.Metadata.Uid, deletedAccount.Metadata.Uid);

        // The namespace stays Terminating while the namespace controller empties it: the answer is the
        // namespace (the C# client's DeleteNamespaceAsync declares a V1Status, so read it as JSON).
        using var terminating = await cluster.Http.DeleteAsync($"/api/v1/namespaces/{ns}");
        var answer = JsonNode.Parse(await terminating.Content.ReadAsStringAsync())!;
        Assert.Equal(("Namespace", ns, "Terminating"),
            (answer["kind"]!.GetValue<string>(), answer["metadata"]!["name"]!.GetValue<string>(), answer["status"]!["phase"]!.GetValue<string>()));
    }

    [Fact]
    public async Task AnObjectThatStays_IsTheAnswer_And202WhenOrphanDependentsIsFalse()
    {
        var ns = await cluster.CreateNamespaceAsync("delans-stay");
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        foreach (var name in new[] { "held", "held2" })
        {
            var body = $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}","finalizers":["example.com/hold"]}}""";
            using var created = await cluster.Http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        // A finalizer holds it: the answer is the object with its deletionTimestamp, 200.
        using var held = await cluster.Http.DeleteAsync($"{path}/held");
        var heldText = await held.Content.ReadAsStringAsync();
        Assert.True(held.StatusCode == HttpStatusCode.OK, heldText);
        Assert.Equal("ConfigMap", JsonNode.Parse(heldText)!["kind"]!.GetValue<string>());
        Assert.NotNull(JsonNode.Parse(heldText)!["metadata"]!["deletionTimestamp"]);

        // kube's delete handler answers 202 Accepted when the client said orphanDependents=false and the object stays.
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"{path}/held2")
        {
            Content = new StringContent("""{"kind":"DeleteOptions","apiVersion":"v1","orphanDependents":false}""", Encoding.UTF8, "application/json"),
        };
        using var accepted = await cluster.Http.SendAsync(request);
        var acceptedText = await accepted.Content.ReadAsStringAsync();
        Assert.True(accepted.StatusCode == HttpStatusCode.Accepted, $"{(int)accepted.StatusCode} {acceptedText}");
        Assert.Equal("held2", JsonNode.Parse(acceptedText)!["metadata"]!["name"]!.GetValue<string>());

        foreach (var name in new[] { "held", "held2" })
        {
            using var release = new HttpRequestMessage(HttpMethod.Patch, $"{path}/{name}")
            {
                Content = new StringContent("""{"metadata":{"finalizers":null}}""", Encoding.UTF8, "application/merge-patch+json"),
            };
            using var released = await cluster.Http.SendAsync(release);
            Assert.Equal(HttpStatusCode.OK, released.StatusCode);
        }
    }
}
