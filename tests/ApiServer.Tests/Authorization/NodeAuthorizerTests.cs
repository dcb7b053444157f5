using ApiMachinery.Authentication;
using ApiServer.Authorization;
using ApiServer.Authorization.Rbac;

namespace ApiServer.Tests.Authorization;

/// <summary>
/// The Node mode: a kubelet (system:node:&lt;name&gt; in system:nodes) gets the system:node role's
/// permissions; anyone else gets no opinion, and rule listing says it is incomplete for kubelets.
/// </summary>
public sealed class NodeAuthorizerTests
{
    private sealed class Policy : IRbacPolicySource
    {
        private static readonly RoleObject NodeRole = new("", "system:node",
            [new PolicyRule(["get", "list", "watch"], [""], ["pods"], [], []), new PolicyRule(["create", "update", "patch"], [""], ["nodes/status"], [], [])],
            new Dictionary<string, string>(), null);

        public bool HasSynced => true;

        public IEnumerable<RoleObject> ClusterRoles => [NodeRole];

        public IEnumerable<BindingObject> ClusterRoleBindings => [];

        public event Action? ClusterRolesChanged { add { } remove { } }

        public RoleObject? GetRole(string ns, string name) => null;

        public RoleObject? GetClusterRole(string name) => name == NodeRole.Name ? NodeRole : null;

        public IEnumerable<BindingObject> RoleBindings(string ns) => [];
    }

    private static readonly UserInfo Kubelet = new("system:node:n1", [NodeAuthorizer.NodesGroup, UserInfo.AllAuthenticated]);

    private static AuthorizationAttributes Request(UserInfo user, string verb, string resource, string subresource = "") => new()
    {
        User = user,
        Verb = verb,
        IsResourceRequest = true,
        Resource = resource,
        Subresource = subresource,
        Namespace = resource == "pods" ? "ns" : "",
    };

    [Theory]
    [InlineData("get", "pods", "", true)]
    [InlineData("watch", "pods", "", true)]
    [InlineData("delete", "pods", "", false)]
    [InlineData("patch", "nodes", "status", true)]
    [InlineData("get", "secrets", "", false)]
    public async Task Kubelet_GetsTheSystemNodeRole(string verb, string resource, string subresource, bool allowed) =>
        Assert.Equal(allowed ? AuthorizationDecision.Allow : AuthorizationDecision.NoOpinion,
            (await new NodeAuthorizer(new Policy()).AuthorizeAsync(Request(Kubelet, verb, resource, subresource), default)).Decision);

    [Theory]
    [InlineData("system:node:n1", "someone-else")]
    [InlineData("alice", NodeAuthorizer.NodesGroup)]
    [InlineData("system:node:", NodeAuthorizer.NodesGroup)]
    public async Task NotAKubelet_NoOpinion(string name, string group) =>
        Assert.Equal(AuthorizationDecision.NoOpinion,
            (await new NodeAuthorizer(new Policy()).AuthorizeAsync(Request(new UserInfo(name, [group]), "get", "pods"), default)).Decision);

    [Fact]
    public void RulesFor_KubeletIsIncomplete_OthersNothing()
    {
        var authorizer = new NodeAuthorizer(new Policy());
        Assert.True(authorizer.RulesFor(Kubelet, "ns").Incomplete);
        Assert.False(authorizer.RulesFor(new UserInfo("alice", []), "ns").Incomplete);
    }
}
