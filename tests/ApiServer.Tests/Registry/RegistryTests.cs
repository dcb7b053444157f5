using ApiMachinery.Errors;
using ApiServer.Discovery;
using ApiServer.Registry;

namespace ApiServer.Tests.Registry;

public sealed class ContinueTokenTests
{
    [Fact]
    public void EncodeDecode_RoundTripsRevisionAndKey()
    {
        var token = ContinueToken.Encode(42, "default/pod-7");
        Assert.DoesNotContain('=', token);
        Assert.Equal((42L, "default/pod-7"), ContinueToken.Decode(token));
    }

    [Fact]
    public void Encode_IsKubeApiServersFormat()
    {
        var json = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(PadBase64(ContinueToken.Encode(7, "a/b"))));
        Assert.Equal("{\"v\":\"meta.k8s.io/v1\",\"rv\":7,\"start\":\"a/b\\u0000\"}", json);
    }

    [Theory]
    [InlineData("not-base64!!")]
    [InlineData("eyJ2IjoieCIsInJ2IjoxLCJzdGFydCI6ImEifQ")] // {"v":"x","rv":1,"start":"a"}
    public void Decode_Garbage_IsBadRequest(string token) =>
        Assert.Equal(400, Assert.Throws<StatusException>(() => ContinueToken.Decode(token)).Code);

    private static string PadBase64(string s) => s.Replace('-', '+').Replace('_', '/').PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '=');
}

public sealed class StorageKeysTests
{
    private static readonly ResourceTable Table = ResourceTable.LoadBuiltin();

    [Theory]
    [InlineData("", "v1", "pods", "ns", "p", "/registry/pods/ns/p")]
    [InlineData("", "v1", "services", "ns", "s", "/registry/services/specs/ns/s")]
    [InlineData("", "v1", "endpoints", "ns", "s", "/registry/services/endpoints/ns/s")]
    [InlineData("", "v1", "nodes", "", "n", "/registry/minions/n")]
    [InlineData("", "v1", "replicationcontrollers", "ns", "r", "/registry/controllers/ns/r")]
    [InlineData("apps", "v1", "deployments", "ns", "d", "/registry/deployments/ns/d")]
    [InlineData("networking.k8s.io", "v1", "ingresses", "ns", "i", "/registry/ingress/ns/i")]
    [InlineData("", "v1", "namespaces", "", "default", "/registry/namespaces/default")]
    public void ObjectKey_FollowsKubeApiServersLayout(string group, string version, string plural, string ns, string name, string key) =>
        Assert.Equal(key, new StorageKeys("/registry").ObjectKey(Table.Find(group, version, plural)!, ns, name));
}

public sealed class ResourceTableTests
{
    private static readonly ResourceTable Table = ResourceTable.LoadBuiltin();

    [Fact]
    public void LoadBuiltin_ServesCoreAndAppsWithDiscoveryFacts()
    {
        var pods = Table.Find("", "v1", "pods")!;
        Assert.True(pods.Namespaced);
        Assert.Equal(["po"], pods.ShortNames);
        Assert.Equal(["all"], pods.Categories);
        Assert.Contains("status", pods.Subresources.Select(s => s.Name));
        Assert.NotNull(Table.Find("apps", "v1", "deployments"));
        Assert.False(Table.Find("", "v1", "namespaces")!.Supports("deletecollection"));
    }

    [Fact]
    public void EveryServedKind_HasTheGoStructFactsItsWritesAreShapedBy()
    {
        // Every write is shaped as kube's decode into the kind's Go struct shapes it: a kind without
        // facts would be stored and answered as the client sent it.
        var missing = Table.All.Where(r => ApiMachinery.Schema.GoTypes.Builtin.ForKind(r.Group, r.Version, r.Kind) is null)
            .Select(r => $"{r.Group}/{r.Version} {r.Kind}");
        Assert.Empty(missing);
    }

    [Fact]
    public void LoadBuiltin_LeavesOutPrereleaseAndUnansweredVirtualResources_ButServesTheReviews()
    {
        Assert.Equal(["create"], Table.Find("authorization.k8s.io", "v1", "subjectaccessreviews")!.Verbs);
        Assert.Equal(["create"], Table.Find("authentication.k8s.io", "v1", "selfsubjectreviews")!.Verbs);
        Assert.Equal(["create"], Table.Find("", "v1", "serviceaccounts")!.FindSubresource("token")!.Verbs);
        Assert.Equal(["get", "list"], Table.Find("", "v1", "componentstatuses")!.Verbs);
        // Versions stored as another one are served through conversion, the preferred version first.
        Assert.NotNull(Table.Find("autoscaling", "v1", "horizontalpodautoscalers"));
        Assert.NotNull(Table.Find("events.k8s.io", "v1", "events"));
        Assert.Equal(["v2", "v1"], Table.GroupVersions.Where(gv => gv.Group == "autoscaling").Select(gv => gv.Version));
        Assert.Equal(["create"], Table.Find("", "v1", "bindings")!.Verbs);
        Assert.DoesNotContain(Table.All, r => r.Version.Contains("beta", StringComparison.Ordinal) || r.Version.Contains("alpha", StringComparison.Ordinal));
    }
}

public sealed class DiscoveryNegotiationTests
{
    [Theory]
    [InlineData("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json", "v2")]
    [InlineData("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json", "v2beta1")]
    [InlineData("application/json", null)]
    [InlineData("", null)]
    public void PreferredAggregatedVersion_FollowsTheAcceptHeader(string accept, string? expected) =>
        Assert.Equal(expected, DiscoveryEndpoints.PreferredAggregatedVersion(accept));
}
