using ClientTools.Client;
using Conformance.Infrastructure;
using k8s;
using TestSupport;

namespace Conformance.Components;

/// <summary>The official C# client as a component builds it: from a kubeconfig file with a client certificate.</summary>
internal static class ComponentClients
{
    public static Kubernetes For(ClusterFixture cluster, PemCertificate user, string userAgent)
    {
        var path = Path.Combine(cluster.WorkDirectory, $"{Path.GetFileNameWithoutExtension(user.CertificatePath)}-{Guid.NewGuid():N}.kubeconfig");
        File.WriteAllText(path, cluster.KubeconfigFor(user));
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(path);
        return (Kubernetes)ClientFactory.Create(config, userAgent, qps: 0, burst: 0);
    }
}
