using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.ControllerManager;

/// <summary>
/// The endpointslice-mirroring controller, through kubectl: a Service without a selector and an
/// Endpoints object written by hand get mirrored EndpointSlices (managed-by
/// endpointslicemirroring-controller.k8s.io, the Endpoints' labels and annotations, owned by it) that
/// follow the Endpoints, and lose them when the Endpoints is labelled skip-mirror or the Service gains a selector.
/// </summary>
[Collection(ControllerManagerCollection.Name)]
public sealed class EndpointSliceMirroringTests(ControllerManagerFixture fixture)
{
    private const string ManagedBy = "endpointslice.kubernetes.io/managed-by";

    private static string Endpoints(string ns, string subsets) => """
        {"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"external","namespace":"NS",
         "labels":{"team":"db"},"annotations":{"owner":"ops"}},
         "subsets":SUBSETS}
        """.Replace("NS", ns, StringComparison.Ordinal).Replace("SUBSETS", subsets, StringComparison.Ordinal);

    private async Task<JsonArray> SlicesAsync(string ns) =>
        JsonNode.Parse(await fixture.Cluster.KubectlOkAsync("get", "endpointslices", "-n", ns, "-l", "kubernetes.io/service-name=external", "-o", "json"))!["items"]!.AsArray();

    private async Task ApplyAsync(string json)
    {
        var result = await fixture.Cluster.KubectlWithInputAsync(json, "apply", "-f", "-");
        Assert.True(result.ExitCode == 0, result.StdErr);
    }

    [Fact]
    public async Task EndpointsOfAServiceWithoutSelector_AreMirrored_FollowChanges_AndStopOnSkipMirror()
    {
        var cluster = fixture.Cluster;
        var ns = await cluster.CreateNamespaceAsync("mirror");
        // A Service for custom endpoints has no selector (kubectl create service would set one, and the
        // endpoints controller would then own the Endpoints).
        await ApplyAsync($$$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"external","namespace":"{{{ns}}}"},"spec":{"ports":[{"port":80,"targetPort":8080}]}}""");
        await ApplyAsync(Endpoints(ns, """
            [{"addresses":[{"ip":"10.9.0.1"},{"ip":"10.9.0.2","hostname":"b"}],"notReadyAddresses":[{"ip":"10.9.0.3"}],
              "ports":[{"name":"http","port":8080,"protocol":"TCP"}]}]
            """));

        var slice = await fixture.EventuallyAsync(async () =>
        {
            var slices = await SlicesAsync(ns);
            return slices.Count == 1 && slices[0]!["endpoints"]?.AsArray().Count == 3 ? slices[0] : null;
        }, "one mirrored EndpointSlice with 3 endpoints");
        Assert.Equal("endpointslicemirroring-controller.k8s.io", (string?)slice!["metadata"]!["labels"]![ManagedBy]);
        Assert.Equal("db", (string?)slice["metadata"]!["labels"]!["team"]);
        Assert.Equal("ops", (string?)slice["metadata"]!["annotations"]!["owner"]);
        Assert.Equal("Endpoints", (string?)slice["metadata"]!["ownerReferences"]![0]!["kind"]);
        Assert.Equal("IPv4", (string?)slice["addressType"]);
        Assert.Equal(8080, (int)slice["ports"]![0]!["port"]!);
        Assert.Equal("http", (string?)slice["ports"]![0]!["name"]);
        var ready = slice["endpoints"]!.AsArray().ToDictionary(e => (string)e!["addresses"]![0]!, e => (bool)e!["conditions"]!["ready"]!);
        Assert.Equal(new Dictionary<string, bool> { ["10.9.0.1"] = true, ["10.9.0.2"] = true, ["10.9.0.3"] = false }, ready);
        Assert.Contains(slice["endpoints"]!.AsArray(), e => (string?)e!["hostname"] == "b");

        // The Endpoints changes (one address left, an IPv6 one added): the IPv4 slice follows, an IPv6 slice appears.
        await ApplyAsync(Endpoints(ns, """
            [{"addresses":[{"ip":"10.9.0.1"},{"ip":"fd00::5"}],"ports":[{"name":"http","port":8080,"protocol":"TCP"}]}]
            """));
        await fixture.EventuallyAsync(async () =>
        {
            var slices = await SlicesAsync(ns);
            var shape = slices.Select(s => $"{s!["addressType"]}:{string.Join(",", (s["endpoints"]?.AsArray() ?? []).Select(e => (string)e!["addresses"]![0]!))}").Order().ToList();
            return shape.SequenceEqual(["IPv4:10.9.0.1", "IPv6:fd00::5"]) ? "" : null;
        }, "an IPv4 slice with 10.9.0.1 and an IPv6 slice with fd00::5");

        // skip-mirror: the mirrored slices go.
        await cluster.KubectlOkAsync("label", "endpoints", "external", "-n", ns, "endpointslice.kubernetes.io/skip-mirror=true");
        await fixture.EventuallyAsync(async () => (await SlicesAsync(ns)).Count == 0 ? "" : null, "the mirrored slices deleted after skip-mirror");

        // Mirrored again without the label; then the Service gains a selector and they go again.
        await cluster.KubectlOkAsync("label", "endpoints", "external", "-n", ns, "endpointslice.kubernetes.io/skip-mirror-");
        await fixture.EventuallyAsync(async () => (await SlicesAsync(ns)).Count == 2 ? "" : null, "the slices mirrored again");
        await cluster.KubectlOkAsync("patch", "service", "external", "-n", ns, "-p", """{"spec":{"selector":{"app":"nothing"}}}""");
        await fixture.EventuallyAsync(async () =>
            (await SlicesAsync(ns)).All(s => (string?)s!["metadata"]!["labels"]![ManagedBy] != "endpointslicemirroring-controller.k8s.io") ? "" : null,
            "no mirrored slice once the Service has a selector");
    }
}
