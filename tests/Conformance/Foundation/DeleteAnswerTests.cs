using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;
using k8s;
using k8s.Models;

namespace Conformance.Foundation;

/// <summary>
/// What a DELETE answers, kind by kind, as kube-apiserver answers it: the deleted object for the
/// registries kube builds with ReturnDeletedObject, a Success Status for the rest, the object (with
/// its deletionTimestamp) while it waits for finalizers, and 202 when the client asked
/// orphanDependents=false of an object that stays.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class DeleteAnswerTests(ClusterFixture cluster)
{
    /// <summary>
    /// (collection, kind, a valid object's fields, whether kube answers with the object). The "true" rows
    /// are kube's genericregistry.Store{ReturnDeletedObject: true} registries (pkg/registry/core/{pod,
    /// service,persistentvolume,persistentvolumeclaim,resourcequota,serviceaccount,podtemplate},
    /// storage/{storageclass,volumeattachment,csidriver,csinode,volumeattributesclass},
    /// resource/{deviceclass,resourceclaim,resourceclaimtemplate,resourceslice}); the "false" rows some of the rest.
    /// </summary>
    public static TheoryData<string, string, string, bool> Kinds() => new()
    {
        { "/api/v1/namespaces/{ns}/pods", "Pod", """{"spec":{"containers":[{"name":"c","image":"busybox"}]}}""", true },
        { "/api/v1/namespaces/{ns}/services", "Service", """{"spec":{"ports":[{"port":80}]}}""", true },
        { "/api/v1/namespaces/{ns}/persistentvolumeclaims", "PersistentVolumeClaim", """{"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}""", true },
        { "/api/v1/persistentvolumes", "PersistentVolume", """{"spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"],"hostPath":{"path":"/tmp/delete-answer"}}}""", true },
        { "/api/v1/namespaces/{ns}/resourcequotas", "ResourceQuota", """{"spec":{"hard":{"pods":"10"}}}""", true },
        { "/api/v1/namespaces/{ns}/serviceaccounts", "ServiceAccount", "{}", true },
        { "/api/v1/namespaces/{ns}/podtemplates", "PodTemplate", """{"template":{"spec":{"containers":[{"name":"c","image":"busybox"}]}}}""", true },
        { "/apis/storage.k8s.io/v1/storageclasses", "StorageClass", """{"provisioner":"example.com/disk"}""", true },
        { "/apis/storage.k8s.io/v1/volumeattachments", "VolumeAttachment", """{"spec":{"attacher":"example.com","nodeName":"n1","source":{"persistentVolumeName":"pv1"}}}""", true },
        { "/apis/storage.k8s.io/v1/csidrivers", "CSIDriver", """{"spec":{}}""", true },
        { "/apis/storage.k8s.io/v1/csinodes", "CSINode", """{"spec":{"drivers":[]}}""", true },
        { "/apis/storage.k8s.io/v1/volumeattributesclasses", "VolumeAttributesClass", """{"driverName":"example.com"}""", true },
        { "/apis/resource.k8s.io/v1/deviceclasses", "DeviceClass", """{"spec":{}}""", true },
        { "/apis/resource.k8s.io/v1/namespaces/{ns}/resourceclaims", "ResourceClaim", """{"spec":{}}""", true },
        { "/apis/resource.k8s.io/v1/namespaces/{ns}/resourceclaimtemplates", "ResourceClaimTemplate", """{"spec":{"spec":{}}}""", true },
        { "/apis/resource.k8s.io/v1/resourceslices", "ResourceSlice", """{"spec":{"driver":"example.com","nodeName":"n1","pool":{"name":"p","generation":1,"resourceSliceCount":1}}}""", true },
        { "/api/v1/namespaces/{ns}/configmaps", "ConfigMap", """{"data":{"a":"b"}}""", false },
        { "/api/v1/namespaces/{ns}/secrets", "Secret", """{"data":{"a":"Yg=="}}""", false },
        { "/api/v1/namespaces/{ns}/limitranges", "LimitRange", """{"spec":{"limits":[{"type":"Container","max":{"cpu":"1"}}]}}""", false },
        { "/api/v1/nodes", "Node", "{}", false },
        { "/apis/rbac.authorization.k8s.io/v1/clusterroles", "ClusterRole", """{"rules":[]}""", false },
        { "/apis/scheduling.k8s.io/v1/priorityclasses", "PriorityClass", """{"value":100}""", false },
        { "/apis/networking.k8s.io/v1/ipaddresses", "IPAddress", """{"spec":{"parentRef":{"resource":"services","name":"s","namespace":"default"}}}""", false },
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Delete_AnswersTheObjectExactlyWhereKubesRegistryDoes(string collection, string kind, string fields, bool answersObject)
    {
        var ns = await cluster.CreateNamespaceAsync("delans");
        var path = collection.Replace("{ns}", ns, StringComparison.Ordinal);
        var name = kind == "IPAddress" ? $"10.{Random.Shared.Next(1, 250)}.{Random.Shared.Next(1, 250)}.{Random.Shared.Next(1, 250)}" : "del-" + Guid.NewGuid().ToString("N")[..8];
        var obj = JsonNode.Parse(fields)!.AsObject();
        obj["apiVersion"] = path.StartsWith("/api/", StringComparison.Ordinal) ? "v1" : string.Join('/', path.Split('/')[2..4]);
        obj["kind"] = kind;
        obj["metadata"] = new JsonObject { ["name"] = name };

        using var create = await cluster.Http.PostAsync(path, new StringContent(obj.ToJsonString(), Encoding.UTF8, "application/json"));
        var createdText = await create.Content.ReadAsStringAsync();
        Assert.True(create.StatusCode == HttpStatusCode.Created, $"{kind}: {(int)create.StatusCode} {createdText}");
        var uid = JsonNode.Parse(createdText)!["metadata"]!["uid"]!.GetValue<string>();

        // No grace period: the object goes at once, so the answer is the registry's own choice.
        using var delete = await cluster.Http.DeleteAsync($"{path}/{Uri.EscapeDataString(name)}?gracePeriodSeconds=0");
        var text = await delete.Content.ReadAsStringAsync();
        Assert.True(delete.StatusCode == HttpStatusCode.OK, $"{kind}: {(int)delete.StatusCode} {text}");
        var answer = JsonNode.Parse(text)!.AsObject();
        if (answersObject)
        {
            Assert.True(answer["kind"]!.GetValue<string>() == kind, $"{kind}: expected the object, got {text}");
            Assert.Equal(uid, answer["metadata"]!["uid"]!.GetValue<string>());
        }
        else
        {
            Assert.True(answer["kind"]!.GetValue<string>() == "Status", $"{kind}: expected a Status, got {text}");
            Assert.Equal("Success", answer["status"]!.GetValue<string>());
            Assert.Equal(name, answer["details"]!["name"]!.GetValue<string>());
            Assert.Equal(uid, answer["details"]!["uid"]!.GetValue<string>());
        }

        using var gone = await cluster.Http.GetAsync($"{path}/{Uri.EscapeDataString(name)}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

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
