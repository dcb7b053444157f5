using System.Globalization;
using k8s.Models;

namespace ControllerManager.Common;

/// <summary>
/// A pod's required node affinity against a node (component-helpers' nodeaffinity.GetRequiredNodeAffinity
/// and its Match): the nodeSelector map and requiredDuringSchedulingIgnoredDuringExecution's terms
/// (ORed; a term's label expressions and metadata.name fields ANDed).
/// </summary>
internal static class NodeSelectors
{
    public const string NameField = "metadata.name";

    public static bool PodMatchesNode(V1PodSpec spec, V1Node node)
    {
        var labels = node.Metadata?.Labels ?? new Dictionary<string, string>();
        foreach (var (key, value) in spec.NodeSelector ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }

        var required = spec.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution;
        return required is null || (required.NodeSelectorTerms ?? []).Any(t => Matches(t, node));
    }

    /// <summary>One term: a term with neither expressions nor fields matches nothing.</summary>
    public static bool Matches(V1NodeSelectorTerm term, V1Node node)
    {
        var expressions = term.MatchExpressions ?? [];
        var fields = term.MatchFields ?? [];
        if (expressions.Count == 0 && fields.Count == 0)
        {
            return false;
        }

        var labels = node.Metadata?.Labels ?? new Dictionary<string, string>();
        return expressions.All(r => Matches(r, labels.TryGetValue(r.Key, out var v) ? v : null))
            && fields.All(r => r.Key == NameField && Matches(r, node.Metadata?.Name));
    }

    private static bool Matches(V1NodeSelectorRequirement requirement, string? value)
    {
        var values = requirement.Values ?? [];
        switch (requirement.OperatorProperty)
        {
            case "In":
                return value is not null && values.Contains(value);
            case "NotIn":
                return value is null || !values.Contains(value);
            case "Exists":
                return value is not null;
            case "DoesNotExist":
                return value is null;
            case "Gt":
            case "Lt":
                if (value is null || values.Count != 1
                    || !long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var actual)
                    || !long.TryParse(values[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var bound))
                {
                    return false;
                }

                return requirement.OperatorProperty == "Gt" ? actual > bound : actual < bound;
            default:
                return false;
        }
    }
}
