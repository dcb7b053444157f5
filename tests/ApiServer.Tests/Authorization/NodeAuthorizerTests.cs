using ApiMachinery.Authentication;
using ApiMachinery.Selectors;
using ApiServer.Authorization;
using ApiServer.Authorization.Node;
using ApiServer.Health;
using ApiServer.Options;
using ApiServer.Registry;
using Microsoft.Extensions.Logging.Abstractions;

namespace ApiServer.Tests.Authorization;

/// <summary>
/// The Node mode: a kubelet (system:node:&lt;name&gt; in system:nodes) gets the system:node role's static
/// rules, its own Node and Lease, and pods only through spec.nodeName=&lt;its name&gt;; objects the graph
/// would link to it (secrets, pods by name) need the graph, which here is empty and unsynced, so they are
/// refused; anyone else gets no opinion, and rule listing says it is incomplete for kubelets. The graph's
/// paths are exercised against a real server in Conformance's NodeAuthorizationTests.
/// </summary>
public sealed class NodeAuthorizerTests
{
    private static readonly UserInfo Kubelet = new("system:node:n1", [NodeAuthorizer.NodesGroup, UserInfo.AllAuthenticated]);

    private static NodeAuthorizer NewAuthorizer()
    {
        var options = new ApiServerOptions();
        options.Authorization.Modes.Add("Node");
        // Never started: no watches run, so the graph holds nothing and has not synced.
        var graph = new NodeGraph(new Lazy<RegistryCatalog>(() => throw new InvalidOperationException("no registry in unit tests")),
            options, new BackgroundLoops(NullLogger<BackgroundLoops>.Instance, TimeProvider.System));
        return new NodeAuthorizer(graph);
    }

    private static AuthorizationAttributes Request(UserInfo user, string verb, string resource, string subresource = "", string name = "",
        string ns = "", string group = "", string fieldSelector = "") => new()
    {
        User = user,
        Verb = verb,
        IsResourceRequest = true,
        ApiGroup = group,
        Resource = resource,
        Subresource = subresource,
        Name = name,
        Namespace = ns,
        FieldSelector = fieldSelector.Length == 0 ? [] : FieldSelector.Parse(fieldSelector).Requirements,
    };

    public static TheoryData<string, string, string, string, string, string, string, bool> KubeletRequests => new()
    {
        // verb, group, resource, subresource, namespace, name, field selector, allowed
        { "watch", "", "pods", "", "", "", "spec.nodeName=n1", true },
        { "list", "", "pods", "", "ns", "", "spec.nodeName=n1", true },
        { "list", "", "pods", "", "", "", "spec.nodeName=n2", false },
        { "list", "", "pods", "", "", "", "", false },
        { "get", "", "pods", "", "ns", "p", "", false },
        { "patch", "", "pods", "status", "ns", "p", "", true },
        { "delete", "", "pods", "", "ns", "p", "", true },
        { "get", "", "nodes", "", "", "n1", "", true },
        { "get", "", "nodes", "", "", "n2", "", false },
        { "patch", "", "nodes", "status", "", "n1", "", true },
        { "update", "coordination.k8s.io", "leases", "", "kube-node-lease", "n1", "", true },
        { "update", "coordination.k8s.io", "leases", "", "kube-node-lease", "n2", "", false },
        { "update", "coordination.k8s.io", "leases", "", "kube-system", "n1", "", false },
        { "create", "", "events", "", "ns", "", "", true },
        { "get", "", "secrets", "", "ns", "s", "", false },
        { "list", "", "secrets", "", "ns", "", "", false },
        { "delete", "", "services", "", "ns", "s", "", false },
    };

    [Theory]
    [MemberData(nameof(KubeletRequests))]
    public void Kubelet_GetsWhatKubesNodeAuthorizerGives(string verb, string group, string resource, string subresource, string ns, string name,
        string fieldSelector, bool allowed) =>
        Assert.Equal(allowed ? AuthorizationDecision.Allow : AuthorizationDecision.NoOpinion,
            NewAuthorizer().Authorize(Request(Kubelet, verb, resource, subresource, name, ns, group, fieldSelector)).Decision);

    [Theory]
    [InlineData("system:node:n1", "someone-else")]
    [InlineData("alice", NodeAuthorizer.NodesGroup)]
    [InlineData("system:node:", NodeAuthorizer.NodesGroup)]
    public async Task NotAKubelet_NoOpinion(string name, string group) =>
        Assert.Equal(AuthorizationDecision.NoOpinion,
            (await NewAuthorizer().AuthorizeAsync(Request(new UserInfo(name, [group]), "get", "pods", ns: "ns", name: "p"), default)).Decision);

    [Fact]
    public void RulesFor_KubeletIsIncomplete_OthersNothing()
    {
        var authorizer = NewAuthorizer();
        Assert.True(authorizer.RulesFor(Kubelet, "ns").Incomplete);
        Assert.False(authorizer.RulesFor(new UserInfo("alice", []), "ns").Incomplete);
    }
}
