using k8s;
using k8s.Models;

namespace Conformance.ControllerManager;

/// <summary>Every namespace gets the kube-root-ca.crt ConfigMap with the cluster's CA, and keeps it.</summary>
[Collection(ControllerManagerCollection.Name)]
public sealed class RootCaPublisherTests(ControllerManagerFixture fixture)
{
    private readonly Kubernetes _admin = fixture.Admin;

    [Fact]
    public async Task NewNamespace_GetsKubeRootCaConfigMap_RecreatedWhenDeleted_RestoredWhenChanged()
    {
        var cluster = fixture.Cluster;
        var ca = Squeeze(await File.ReadAllTextAsync(cluster.Pki.CaCertificatePath));
        var ns = await cluster.CreateNamespaceAsync("rootca");

        async Task<string?> PublishedAsync()
        {
            var text = await cluster.KubectlAsync("get", "configmap", "kube-root-ca.crt", "-n", ns, "-o", @"jsonpath={.data.ca\.crt}");
            return text.ExitCode == 0 && Squeeze(text.StdOut) == ca ? text.StdOut : null;
        }

        await fixture.EventuallyAsync(PublishedAsync, "kube-root-ca.crt with the cluster's CA");
        await cluster.KubectlOkAsync("delete", "configmap", "kube-root-ca.crt", "-n", ns);
        await fixture.EventuallyAsync(PublishedAsync, "kube-root-ca.crt made again after its deletion");

        var changed = await _admin.CoreV1.ReadNamespacedConfigMapAsync("kube-root-ca.crt", ns);
        changed.Data["ca.crt"] = "not a CA";
        await _admin.CoreV1.ReplaceNamespacedConfigMapAsync(changed, "kube-root-ca.crt", ns);
        await fixture.EventuallyAsync(PublishedAsync, "kube-root-ca.crt put back after a change");
    }

    private static string Squeeze(string pem) => string.Concat(pem.Where(c => !char.IsWhiteSpace(c)));
}
