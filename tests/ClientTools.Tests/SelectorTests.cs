using ClientTools.Selectors;
using k8s.Models;

namespace ClientTools.Tests;

/// <summary>The shared label, node and toleration matching the scheduler and the controller manager both use.</summary>
public sealed class SelectorTests
{
    private static V1Node Node(string name, Dictionary<string, string> labels) => new() { Metadata = new V1ObjectMeta { Name = name, Labels = labels } };

    private static V1NodeSelectorTerm Term(string key, string op, params string[] values) =>
        new() { MatchExpressions = [new V1NodeSelectorRequirement { Key = key, OperatorProperty = op, Values = values }] };

    [Fact]
    public void LabelSelectors_MatchExpressionsAndEmpty()
    {
        var labels = new Dictionary<string, string> { ["app"] = "web", ["env"] = "prod" };
        Assert.True(LabelSelectors.Matches(new V1LabelSelector(), labels));
        Assert.False(LabelSelectors.Matches(null, labels));
        Assert.True(LabelSelectors.Matches(new V1LabelSelector { MatchExpressions = [new V1LabelSelectorRequirement { Key = "env", OperatorProperty = "In", Values = ["prod", "dev"] }] }, labels));
        Assert.False(LabelSelectors.Matches(new V1LabelSelector { MatchExpressions = [new V1LabelSelectorRequirement { Key = "app", OperatorProperty = "DoesNotExist" }] }, labels));
        Assert.True(LabelSelectors.Matches(new V1LabelSelector { MatchExpressions = [new V1LabelSelectorRequirement { Key = "tier", OperatorProperty = "NotIn", Values = ["db"] }] }, labels));
        Assert.False(LabelSelectors.Matches(new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "db" } }, labels));
        Assert.False(LabelSelectors.Matches(new V1LabelSelector { MatchExpressions = [new V1LabelSelectorRequirement { Key = "app", OperatorProperty = "Gt", Values = ["1"] }] }, labels));
    }

    [Fact]
    public void LabelSelectors_EmptinessAndQueryForm()
    {
        Assert.True(LabelSelectors.IsEmpty(new V1LabelSelector { MatchLabels = new Dictionary<string, string>() }));
        Assert.False(LabelSelectors.IsEmpty(null));
        var selector = new V1LabelSelector
        {
            MatchLabels = new Dictionary<string, string> { ["app"] = "web" },
            MatchExpressions =
            [
                new V1LabelSelectorRequirement { Key = "env", OperatorProperty = "In", Values = ["a", "b"] },
                new V1LabelSelectorRequirement { Key = "gpu", OperatorProperty = "Exists" },
                new V1LabelSelectorRequirement { Key = "old", OperatorProperty = "DoesNotExist" },
            ],
        };
        Assert.Equal("app=web,env in (a,b),gpu,!old", LabelSelectors.ToQuery(selector));
    }

    [Fact]
    public void NodeSelectors_TermsAreOredTheirRequirementsAnded()
    {
        var node = Node("n1", new Dictionary<string, string> { ["zone"] = "a", ["cores"] = "8" });
        Assert.True(NodeSelectors.Matches(new V1NodeSelector { NodeSelectorTerms = [Term("zone", "In", "b"), Term("zone", "In", "a")] }, node));
        Assert.False(NodeSelectors.Matches(new V1NodeSelector { NodeSelectorTerms = [] }, node));
        Assert.False(NodeSelectors.Matches(new V1NodeSelectorTerm(), node));
        Assert.True(NodeSelectors.Matches(Term("cores", "Gt", "4"), node));
        Assert.False(NodeSelectors.Matches(Term("cores", "Lt", "4"), node));
        Assert.False(NodeSelectors.Matches(Term("cores", "Gt", "x"), node));
        Assert.True(NodeSelectors.Matches(Term("gpu", "DoesNotExist"), node));
        Assert.True(NodeSelectors.Matches(Term("zone", "NotIn", "b"), node));
        var byName = new V1NodeSelectorTerm { MatchFields = [new V1NodeSelectorRequirement { Key = NodeSelectors.NameField, OperatorProperty = "In", Values = ["n1"] }] };
        Assert.True(NodeSelectors.Matches(byName, node));
        Assert.False(NodeSelectors.Matches(byName, Node("n2", new Dictionary<string, string>())));
    }

    [Fact]
    public void NodeSelectors_PodNeedsItsNodeSelectorAndRequiredAffinity()
    {
        var node = Node("n1", new Dictionary<string, string> { ["zone"] = "a", ["disk"] = "ssd" });
        Assert.True(NodeSelectors.PodMatchesNode(new V1PodSpec(), node));
        Assert.True(NodeSelectors.PodMatchesNode(null, node));
        Assert.True(NodeSelectors.PodMatchesNode(new V1PodSpec { NodeSelector = new Dictionary<string, string> { ["disk"] = "ssd" } }, node));
        Assert.False(NodeSelectors.PodMatchesNode(new V1PodSpec { NodeSelector = new Dictionary<string, string> { ["disk"] = "hdd" } }, node));
        var affinity = new V1Affinity { NodeAffinity = new V1NodeAffinity { RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector { NodeSelectorTerms = [Term("zone", "In", "b")] } } };
        Assert.False(NodeSelectors.PodMatchesNode(new V1PodSpec { Affinity = affinity }, node));
    }

    [Fact]
    public void Tolerations_AsKubesToleratesTaint()
    {
        var taint = new V1Taint { Key = "node.kubernetes.io/unreachable", Effect = "NoExecute" };
        Assert.True(Tolerations.Tolerates(new V1Toleration { OperatorProperty = "Exists" }, taint));
        Assert.True(Tolerations.Tolerates(new V1Toleration { Key = taint.Key, OperatorProperty = "Exists", Effect = "NoExecute" }, taint));
        Assert.False(Tolerations.Tolerates(new V1Toleration { Key = taint.Key, OperatorProperty = "Exists", Effect = "NoSchedule" }, taint));
        Assert.True(Tolerations.Tolerates(new V1Toleration { Key = taint.Key }, taint));
        Assert.False(Tolerations.Tolerates(new V1Toleration { Key = taint.Key, Value = "x" }, taint));
        Assert.False(Tolerations.Tolerates(new V1Toleration { Key = "other", OperatorProperty = "Exists" }, taint));
        var noSchedule = new V1Taint { Key = "dedicated", Value = "gpu", Effect = "NoSchedule" };
        var prefer = new V1Taint { Key = "soft", Effect = "PreferNoSchedule" };
        Assert.Same(noSchedule, Tolerations.FirstUntoleratedTaint([prefer, noSchedule], []));
        Assert.Null(Tolerations.FirstUntoleratedTaint([prefer, noSchedule], [new V1Toleration { Key = "dedicated", OperatorProperty = "Equal", Value = "gpu" }]));
    }
}
