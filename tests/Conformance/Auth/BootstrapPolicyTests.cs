using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Auth;

/// <summary>The bootstrap RBAC policy exists whatever --authorization-mode says, as kube-apiserver creates it.</summary>
[Collection(KubeDefaultsCollection.Name)]
public sealed class BootstrapPolicyTests(KubeDefaultsCluster defaults)
{
    private ClusterFixture Cluster => defaults.Cluster;

    [Fact]
    public async Task UnderAlwaysAllow_TheBootstrapRolesAndBindingsExist_AndReadyzWaitsForThem()
    {
        var role = JsonNode.Parse(await Cluster.KubectlOkAsync("get", "clusterrole", "cluster-admin", "-o", "json"))!;
        Assert.Equal("true", role["metadata"]!["annotations"]!["rbac.authorization.kubernetes.io/autoupdate"]!.GetValue<string>());
        Assert.Contains(role["rules"]!.AsArray(), r => r!["verbs"]!.AsArray().Any(v => v!.GetValue<string>() == "*"));

        var binding = JsonNode.Parse(await Cluster.KubectlOkAsync("get", "clusterrolebinding", "cluster-admin", "-o", "json"))!;
        Assert.Equal("system:masters", binding["subjects"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("system:basic-user", JsonNode.Parse(await Cluster.KubectlOkAsync("get", "clusterrole", "system:basic-user", "-o", "json"))!["metadata"]!["name"]!.GetValue<string>());
        // Aggregated roles get their rules too (admin aggregates edit and view).
        var admin = JsonNode.Parse(await Cluster.KubectlOkAsync("get", "clusterrole", "admin", "-o", "json"))!;
        Assert.NotEmpty(admin["rules"]!.AsArray());
        Assert.NotEmpty(await Cluster.KubectlOkAsync("get", "rolebinding", "-n", "kube-system", "system::leader-locking-kube-scheduler", "-o", "name"));

        var hook = await Cluster.CurlAsync(null, $"{Cluster.ServerUrl}/readyz/poststarthook/rbac/bootstrap-roles");
        Assert.Equal("ok", hook.StdOut);
    }
}
