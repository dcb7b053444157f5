using System.Text.Json;
using System.Text.Json.Serialization;
using Conformance.Components;
using Conformance.Infrastructure;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Conformance.CustomResources;

/// <summary>
/// Custom resources through the official C# client (KubernetesClient): its GenericClient for typed
/// CRUD and watch, CustomObjectsApi for the status subresource and lists, and its error for an
/// object the CRD's names do not cover.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class CustomResourceClientTests(ClusterFixture cluster)
{
    public sealed class Widget : IKubernetesObject<V1ObjectMeta>
    {
        [JsonPropertyName("apiVersion")]
        public string ApiVersion { get; set; } = "";

        [JsonPropertyName("kind")]
        public string Kind { get; set; } = "Widget";

        [JsonPropertyName("metadata")]
        public V1ObjectMeta Metadata { get; set; } = new();

        [JsonPropertyName("spec")]
        public WidgetSpec? Spec { get; set; }

        [JsonPropertyName("status")]
        public WidgetStatus? Status { get; set; }
    }

    public sealed class WidgetSpec
    {
        [JsonPropertyName("color")]
        public string? Color { get; set; }

        [JsonPropertyName("size")]
        public int? Size { get; set; }
    }

    public sealed class WidgetStatus
    {
        [JsonPropertyName("size")]
        public int? Size { get; set; }
    }

    public sealed class WidgetList : IKubernetesObject<V1ListMeta>, IItems<Widget>
    {
        [JsonPropertyName("apiVersion")]
        public string ApiVersion { get; set; } = "";

        [JsonPropertyName("kind")]
        public string Kind { get; set; } = "";

        [JsonPropertyName("metadata")]
        public V1ListMeta Metadata { get; set; } = new();

        [JsonPropertyName("items")]
        public IList<Widget> Items { get; set; } = [];
    }

    [Fact]
    public async Task GenericClient_CreatesReadsListsReplacesWatchesAndDeletes_AndStatusGoesThroughItsSubresource()
    {
        var group = $"cs{Guid.NewGuid().ToString("N")[..6]}.example.com";
        await CustomResourceDefinitionTests.ApplyCrdAsync(cluster, CustomResourceDefinitionTests.WidgetCrd(group), "widgets." + group);
        var ns = await cluster.CreateNamespaceAsync("csclient");
        using var client = ComponentClients.For(cluster, cluster.Admin, "crd-client-test");
        using var widgets = new GenericClient(client, group, "v1", "widgets", disposeClient: false);

        var created = await widgets.CreateNamespacedAsync(new Widget
        {
            ApiVersion = $"{group}/v1",
            Metadata = new V1ObjectMeta { Name = "cs", Labels = new Dictionary<string, string> { ["client"] = "csharp" } },
            Spec = new WidgetSpec { Color = "red", Size = 1 },
        }, ns);
        Assert.False(string.IsNullOrEmpty(created.Metadata.Uid));
        Assert.Equal(1, created.Metadata.Generation);

        // A watch (no resourceVersion: the current objects first, as ADDED) sees everything below.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var events = new List<(WatchEventType Type, Widget Object)>();
        var watching = Task.Run(async () =>
        {
            try
            {
                await foreach (var change in widgets.WatchNamespacedAsync<Widget>(ns, cancel: stop.Token))
                {
                    lock (events)
                    {
                        events.Add(change);
                    }

                    if (change.Item1 == WatchEventType.Deleted)
                    {
                        return;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            lock (events)
            {
                if (events.Count > 0)
                {
                    break;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, "the watch never started");
            await Task.Delay(50);
        }

        var read = await widgets.ReadNamespacedAsync<Widget>(ns, "cs");
        Assert.Equal("red", read.Spec!.Color);
        var list = await widgets.ListNamespacedAsync<WidgetList>(ns, labelSelector: "client=csharp");
        Assert.Equal(["cs"], list.Items.Select(w => w.Metadata.Name));
        Assert.Equal("WidgetList", list.Kind);

        read.Spec.Color = "blue";
        var replaced = await widgets.ReplaceNamespacedAsync(read, ns, "cs");
        Assert.Equal("blue", replaced.Spec!.Color);
        Assert.Equal(2, replaced.Metadata.Generation);

        // The status subresource through CustomObjectsApi: status changes, generation does not.
        var patch = new V1Patch("""{"status":{"size":7}}""", V1Patch.PatchType.MergePatch);
        await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(patch, group, "v1", ns, "widgets", "cs");
        var withStatus = await widgets.ReadNamespacedAsync<Widget>(ns, "cs");
        Assert.Equal(7, withStatus.Status!.Size);
        Assert.Equal(2, withStatus.Metadata.Generation);
        var untyped = (JsonElement)await client.CustomObjects.ListNamespacedCustomObjectAsync(group, "v1", ns, "widgets");
        Assert.Equal(1, untyped.GetProperty("items").GetArrayLength());

        // A conflict and a missing object are the client's HttpOperationExceptions with kube's codes.
        withStatus.Metadata.ResourceVersion = "1";
        var conflict = await Assert.ThrowsAsync<HttpOperationException>(() => widgets.ReplaceNamespacedAsync(withStatus, ns, "cs"));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, conflict.Response.StatusCode);

        // A custom resource's delete answers a Status, as kube-apiserver's does.
        var deleted = await widgets.DeleteNamespacedAsync<V1Status>(ns, "cs");
        Assert.Equal("Success", deleted.Status);
        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => widgets.ReadNamespacedAsync<Widget>(ns, "cs"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.Response.StatusCode);

        await watching.WaitAsync(TimeSpan.FromSeconds(60));
        List<WatchEventType> types;
        lock (events)
        {
            types = events.Select(e => e.Type).ToList();
        }

        Assert.Equal(WatchEventType.Added, types[0]);
        Assert.Contains(WatchEventType.Modified, types);
        Assert.Equal(WatchEventType.Deleted, types[^1]);
        Assert.Equal(7, events.Last(e => e.Type == WatchEventType.Modified).Object.Status!.Size);
    }
}
