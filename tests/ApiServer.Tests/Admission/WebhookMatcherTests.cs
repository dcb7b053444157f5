using System.Text.Json.Nodes;
using Admission;
using Admission.Plugins;
using Admission.Webhooks;
using ApiMachinery.Authentication;

namespace ApiServer.Tests.Admission;

/// <summary>
/// Which requests a webhook sees (k8s.io/apiserver's webhook predicates, cases after its
/// rules_test.go): operations, groups, versions, resources with subresources and wildcards, scope,
/// matchPolicy, and the namespace and object selectors.
/// </summary>
public sealed class WebhookMatcherTests
{
    private static WebhookDefinition Hook(string rules, string extra = "") =>
        WebhookDefinition.FromConfiguration(JsonNode.Parse($$"""
            {"metadata":{"name":"cfg"},"webhooks":[{"name":"hook.example.com","clientConfig":{"url":"https://127.0.0.1/"},"rules":{{rules}}{{extra}}}]}
            """)!.AsObject()).Single();

    private static AdmissionAttributes Request(AdmissionOperation operation, string group, string version, string resource, string subresource = "", string ns = "ns", JsonObject? obj = null) => new()
    {
        Operation = operation,
        Group = group,
        Version = version,
        Kind = "Kind",
        Resource = resource,
        Subresource = subresource,
        Namespace = ns,
        Name = "n",
        Object = obj,
        UserInfo = new UserInfo("u", []),
    };

    public static TheoryData<string, AdmissionOperation, string, string, string, string, string, bool> RuleCases() => new()
    {
        // rules, operation, group, version, resource, subresource, namespace, matches
        { """[{"operations":["CREATE"],"apiGroups":[""],"apiVersions":["v1"],"resources":["pods"]}]""", AdmissionOperation.Create, "", "v1", "pods", "", "ns", true },
        { """[{"operations":["CREATE"],"apiGroups":[""],"apiVersions":["v1"],"resources":["pods"]}]""", AdmissionOperation.Update, "", "v1", "pods", "", "ns", false },
        { """[{"operations":["*"],"apiGroups":["*"],"apiVersions":["*"],"resources":["*"]}]""", AdmissionOperation.Delete, "apps", "v1", "deployments", "", "ns", true },
        { """[{"operations":["*"],"apiGroups":["*"],"apiVersions":["*"],"resources":["*"]}]""", AdmissionOperation.Update, "", "v1", "pods", "status", "ns", false },
        { """[{"operations":["*"],"apiGroups":["*"],"apiVersions":["*"],"resources":["*/*"]}]""", AdmissionOperation.Update, "", "v1", "pods", "status", "ns", true },
        { """[{"operations":["*"],"apiGroups":["*"],"apiVersions":["*"],"resources":["pods/*"]}]""", AdmissionOperation.Update, "", "v1", "pods", "status", "ns", true },
        // "pods/*" splits into pods and "*", and "*" matches the main resource's empty subresource too (kube's Matcher.resource).
        { """[{"operations":["*"],"apiGroups":["*"],"apiVersions":["*"],"resources":["pods/*"]}]""", AdmissionOperation.Update, "", "v1", "pods", "", "ns", true },
        { """[{"operations":["*"],"apiGroups":["*"],"apiVersions":["*"],"resources":["*/status"]}]""", AdmissionOperation.Update, "apps", "v1", "deployments", "status", "ns", true },
        { """[{"operations":["*"],"apiGroups":["*"],"apiVersions":["*"],"resources":["*/status"]}]""", AdmissionOperation.Update, "apps", "v1", "deployments", "scale", "ns", false },
        { """[{"operations":["CREATE"],"apiGroups":["apps"],"apiVersions":["v1"],"resources":["deployments"]}]""", AdmissionOperation.Create, "", "v1", "deployments", "", "ns", false },
        { """[{"operations":["CREATE"],"apiGroups":["*"],"apiVersions":["*"],"resources":["*"],"scope":"Cluster"}]""", AdmissionOperation.Create, "", "v1", "pods", "", "ns", false },
        { """[{"operations":["CREATE"],"apiGroups":["*"],"apiVersions":["*"],"resources":["*"],"scope":"Cluster"}]""", AdmissionOperation.Create, "", "v1", "nodes", "", "", true },
        { """[{"operations":["CREATE"],"apiGroups":["*"],"apiVersions":["*"],"resources":["*"],"scope":"Cluster"}]""", AdmissionOperation.Create, "", "v1", "namespaces", "", "n", true },
        { """[{"operations":["CREATE"],"apiGroups":["*"],"apiVersions":["*"],"resources":["*"],"scope":"Namespaced"}]""", AdmissionOperation.Create, "", "v1", "namespaces", "", "n", false },
        { """[{"operations":["CREATE"],"apiGroups":["*"],"apiVersions":["*"],"resources":["*"],"scope":"Namespaced"}]""", AdmissionOperation.Create, "", "v1", "pods", "", "ns", true },
        { """[{"operations":["CREATE"],"apiGroups":["*"],"apiVersions":["*"],"resources":["*"],"scope":"Namespaced"}]""", AdmissionOperation.Create, "", "v1", "nodes", "", "", false },
    };

    [Theory]
    [MemberData(nameof(RuleCases))]
    public void MatchesRules_KubesPredicates(string rules, AdmissionOperation operation, string group, string version, string resource, string subresource, string ns, bool matches) =>
        Assert.Equal(matches, WebhookMatcher.MatchesRules(Hook(rules), Request(operation, group, version, resource, subresource, ns)));

    [Theory]
    [InlineData("Equivalent", true)]
    [InlineData("Exact", false)]
    public void MatchPolicy_OtherVersionOfTheResource_OnlyWhenEquivalent(string policy, bool matches)
    {
        var hook = Hook("""[{"operations":["CREATE"],"apiGroups":["autoscaling"],"apiVersions":["v1"],"resources":["horizontalpodautoscalers"]}]""", $$""","matchPolicy":"{{policy}}" """);
        Assert.Equal(matches, WebhookMatcher.MatchesRules(hook, Request(AdmissionOperation.Create, "autoscaling", "v2", "horizontalpodautoscalers")));
    }

    [Theory]
    [InlineData("""{"matchLabels":{"team":"a"}}""", "a", true)]
    [InlineData("""{"matchLabels":{"team":"a"}}""", "b", false)]
    [InlineData("""{"matchExpressions":[{"key":"team","operator":"NotIn","values":["b"]}]}""", "a", true)]
    [InlineData("{}", "b", true)]
    public async Task NamespaceSelector_MatchesTheNamespacesLabels(string selector, string team, bool matches)
    {
        var hook = Hook("""[{"operations":["*"],"apiGroups":["*"],"apiVersions":["*"],"resources":["*"]}]""", $$""","namespaceSelector":{{selector}}""");
        var matcher = new WebhookMatcher(new Namespaces(new NamespaceState("ns", false, new Dictionary<string, string> { ["team"] = team })));
        Assert.Equal(matches, await matcher.MatchesNamespaceAsync(hook, Request(AdmissionOperation.Create, "", "v1", "pods"), default));
    }

    [Fact]
    public async Task NamespaceSelector_ClusterScopedObjectsOtherThanNamespaces_AlwaysMatch()
    {
        var hook = Hook("""[{"operations":["*"],"apiGroups":["*"],"apiVersions":["*"],"resources":["*"]}]""", ""","namespaceSelector":{"matchLabels":{"team":"a"}}""");
        var matcher = new WebhookMatcher(new Namespaces());
        Assert.True(await matcher.MatchesNamespaceAsync(hook, Request(AdmissionOperation.Create, "", "v1", "nodes", ns: ""), default));
    }

    [Theory]
    [InlineData("""{"app":"web"}""", null, true)]
    [InlineData("""{"app":"db"}""", null, false)]
    [InlineData("""{"app":"db"}""", """{"app":"web"}""", true)]
    public void ObjectSelector_MatchesTheNewOrTheOldObject(string labels, string? oldLabels, bool matches)
    {
        var hook = Hook("""[{"operations":["*"],"apiGroups":["*"],"apiVersions":["*"],"resources":["*"]}]""", ""","objectSelector":{"matchLabels":{"app":"web"}}""");
        var request = Request(AdmissionOperation.Update, "", "v1", "pods", obj: new JsonObject { ["metadata"] = new JsonObject { ["labels"] = JsonNode.Parse(labels) } });
        request = new AdmissionAttributes
        {
            Operation = request.Operation, Group = request.Group, Version = request.Version, Kind = request.Kind, Resource = request.Resource,
            Namespace = request.Namespace, Name = request.Name, Object = request.Object, UserInfo = request.UserInfo,
            OldObject = oldLabels is null ? null : new JsonObject { ["metadata"] = new JsonObject { ["labels"] = JsonNode.Parse(oldLabels) } },
        };
        Assert.Equal(matches, WebhookMatcher.MatchesObject(hook, request));
    }

    [Fact]
    public void Definition_KubesDefaults_FailClosedEquivalentTenSecondsNeverReinvoke()
    {
        var hook = Hook("[]");
        Assert.False(hook.FailOpen);
        Assert.False(hook.MatchExact);
        Assert.Equal(10, hook.TimeoutSeconds);
        Assert.False(hook.ReinvokeIfNeeded);
        Assert.Equal("cfg/hook.example.com/0", hook.Uid);
        Assert.True(Hook("[]", ""","reinvocationPolicy":"IfNeeded" """).ReinvokeIfNeeded);
    }

    private sealed class Namespaces(params NamespaceState[] known) : INamespaceLookup
    {
        public ValueTask<NamespaceState?> GetAsync(string name, bool live, CancellationToken cancellationToken) =>
            ValueTask.FromResult(known.FirstOrDefault(n => n.Name == name));
    }
}
