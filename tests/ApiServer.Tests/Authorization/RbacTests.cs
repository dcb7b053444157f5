using ApiMachinery.Authentication;
using ApiServer.Authorization;
using ApiServer.Authorization.Rbac;

namespace ApiServer.Tests.Authorization;

public sealed class RuleCoverageTests
{
    private static PolicyRule Rule(string[] verbs, string group, string[] resources, string[]? names = null) => new(verbs, [group], resources, names ?? [], []);

    [Fact]
    public void Star_CoversEverything()
    {
        IReadOnlyList<PolicyRule> owner = [Rule(["*"], "*", ["*"])];
        Assert.True(RuleCoverage.Covers(owner, [Rule(["get", "delete"], "apps", ["deployments", "deployments/scale"])]));
    }

    [Fact]
    public void EachVerbAndResource_MustBeHeld()
    {
        IReadOnlyList<PolicyRule> owner = [Rule(["get", "list"], "", ["pods"])];
        var missing = RuleCoverage.Uncovered(owner, [Rule(["get", "list", "delete"], "", ["pods", "secrets"])]);
        Assert.Equal(
            ["{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\"]}", "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"list\" \"delete\"]}"],
            RuleCoverage.Compact(missing).Select(r => r.CompactString()).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void SubresourceWildcard_AndResourceNames()
    {
        IReadOnlyList<PolicyRule> owner = [Rule(["get"], "", ["*/status"]), Rule(["update"], "", ["configmaps"], ["a"])];
        Assert.True(RuleCoverage.Covers(owner, [Rule(["get"], "", ["pods/status"])]));
        Assert.False(RuleCoverage.Covers(owner, [Rule(["get"], "", ["pods"])]));
        Assert.True(RuleCoverage.Covers(owner, [Rule(["update"], "", ["configmaps"], ["a"])]));
        // A rule for every name is more than a rule for one.
        Assert.False(RuleCoverage.Covers(owner, [Rule(["update"], "", ["configmaps"])]));
    }

    [Fact]
    public void NonResourceUrls_MatchByPrefixStar()
    {
        IReadOnlyList<PolicyRule> owner = [new(["get"], [], [], [], ["/apis/*"])];
        Assert.True(RuleCoverage.Covers(owner, [new(["get"], [], [], [], ["/apis/apps/v1"])]));
        Assert.False(RuleCoverage.Covers(owner, [new(["get"], [], [], [], ["/api"])]));
    }
}

public sealed class RbacAuthorizerTests
{
    private sealed class FakePolicy(IEnumerable<RoleObject> roles, IEnumerable<BindingObject> bindings) : IRbacPolicySource
    {
        public bool HasSynced => true;

        public IEnumerable<RoleObject> ClusterRoles => roles.Where(r => r.Namespace.Length == 0);

        public IEnumerable<BindingObject> ClusterRoleBindings => bindings.Where(b => b.Namespace.Length == 0);

        public event Action? ClusterRolesChanged { add { } remove { } }

        public RoleObject? GetRole(string ns, string name) => roles.FirstOrDefault(r => r.Namespace == ns && r.Name == name);

        public RoleObject? GetClusterRole(string name) => GetRole("", name);

        public IEnumerable<BindingObject> RoleBindings(string ns) => bindings.Where(b => b.Namespace == ns);
    }

    private static readonly UserInfo Dave = new("dave", ["dev", UserInfo.AllAuthenticated]);

    private static RbacAuthorizer Authorizer() => new(new FakePolicy(
        [
            new RoleObject("team", "pod-reader", [new PolicyRule(["get", "list"], [""], ["pods"], [], [])], new Dictionary<string, string>(), null),
            new RoleObject("", "discovery", [new PolicyRule(["get"], [], [], [], ["/api", "/api/*"])], new Dictionary<string, string>(), null),
        ],
        [
            new BindingObject("team", "readers", new RoleRef("rbac.authorization.k8s.io", "Role", "pod-reader"), [new Subject("Group", "rbac.authorization.k8s.io", "dev", "")]),
            new BindingObject("", "everyone", new RoleRef("rbac.authorization.k8s.io", "ClusterRole", "discovery"), [new Subject("Group", "rbac.authorization.k8s.io", UserInfo.AllAuthenticated, "")]),
            new BindingObject("team", "broken", new RoleRef("rbac.authorization.k8s.io", "Role", "missing"), [new Subject("User", "rbac.authorization.k8s.io", "dave", "")]),
        ]));

    private static AuthorizationAttributes Resource(string verb, string resource, string ns) => new()
    {
        User = Dave,
        Verb = verb,
        IsResourceRequest = true,
        Resource = resource,
        Namespace = ns,
    };

    [Fact]
    public async Task RoleBinding_AllowsInItsNamespaceOnly_WithTheSourceAsReason()
    {
        var allowed = await Authorizer().AuthorizeAsync(Resource("list", "pods", "team"), default);
        Assert.Equal(AuthorizationDecision.Allow, allowed.Decision);
        Assert.Equal("RBAC: allowed by RoleBinding \"readers/team\" of Role \"pod-reader\" to Group \"dev\"", allowed.Reason);

        Assert.Equal(AuthorizationDecision.NoOpinion, (await Authorizer().AuthorizeAsync(Resource("list", "pods", "other"), default)).Decision);
        Assert.Equal(AuthorizationDecision.NoOpinion, (await Authorizer().AuthorizeAsync(Resource("delete", "pods", "team"), default)).Decision);
    }

    [Fact]
    public async Task BindingToAMissingRole_IsAResolutionErrorNotADenial()
    {
        var result = await Authorizer().AuthorizeAsync(Resource("list", "secrets", "team"), default);
        Assert.Equal(AuthorizationDecision.NoOpinion, result.Decision);
        Assert.Equal("RBAC: role.rbac.authorization.k8s.io \"missing\" not found", result.Reason);
    }

    [Fact]
    public async Task NonResourcePaths_FollowClusterRoleBindings()
    {
        var attributes = new AuthorizationAttributes { User = Dave, Verb = "get", Path = "/api/v1" };
        Assert.Equal(AuthorizationDecision.Allow, (await Authorizer().AuthorizeAsync(attributes, default)).Decision);
        Assert.Equal(AuthorizationDecision.NoOpinion, (await Authorizer().AuthorizeAsync(attributes with { Path = "/metrics" }, default)).Decision);
    }

    [Fact]
    public async Task Chain_AllowsSystemMastersFirst_AndJoinsReasons()
    {
        var chain = new AuthorizerChain([Authorizer()]);
        var admin = new UserInfo("root", [UserInfo.SystemPrivilegedGroup]);
        Assert.Equal(AuthorizationDecision.Allow, (await chain.AuthorizeAsync(Resource("delete", "nodes", "") with { User = admin }, default)).Decision);
        Assert.Equal(AuthorizationDecision.NoOpinion, (await chain.AuthorizeAsync(Resource("delete", "nodes", ""), default)).Decision);
    }

    [Fact]
    public void RulesFor_ListsClusterAndNamespaceRules()
    {
        var rules = Authorizer().RulesFor(Dave, "team");
        Assert.Contains(rules.ResourceRules, r => r.Resources.SequenceEqual(["pods"]) && r.Verbs.SequenceEqual(["get", "list"]));
        Assert.Contains(rules.NonResourceRules, r => r.NonResourceUrls.Contains("/api/*"));
        Assert.True(rules.Incomplete);
    }
}
