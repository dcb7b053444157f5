using System.Globalization;
using k8s.Models;

namespace ClientTools.Selectors;

/// <summary>
/// A pod's required node affinity against a node (component-helpers' nodeaffinity.GetRequiredNodeAffinity
/// and its Match): the nodeSelector map and requiredDuringSchedulingIgnoredDuringExecution's terms
/// (ORed; a term's label expressions and metadata.name fields ANDed). Shared by the scheduler's
/// NodeAffinity plugin and the DaemonSet controller.
/// </summary>
public static class NodeSelectors
{
    public const string NameField = "metadata.name";

    /// <summary>The pod's nodeSelector and required node affinity both match the node.</summary>
    public static bool PodMatchesNode(V1PodSpec? spec, V1Node node)
    {
        if (!MatchesMap(spec?.NodeSelector, node.Metadata?.Labels))
        {
            return false;
        }

        var required = spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution;
        return required is null || Matches(required, node);
    }

    /// <summary>A nodeSelector map: every pair must be among the labels; an empty or missing map matches every node.</summary>
    public static bool MatchesMap(IDictionary<string, string>? selector, IDictionary<string, string>? labels)
    {
        if (selector is null || selector.Count == 0)
        {
            return true;
        }

        labels ??= new Dictionary<string, string>();
        return selector.All(pair => labels.TryGetValue(pair.Key, out var value) && value == pair.Value);
    }

    /// <summary>A NodeSelector: the terms are ORed; an empty or missing list matches no node.</summary>
    public static bool Matches(V1NodeSelector? selector, V1Node node) =>
        selector?.NodeSelectorTerms is { Count: > 0 } terms && terms.Any(t => Matches(t, node));

    /// <summary>One NodeSelectorTerm: its expressions and fields are ANDed; a term with neither matches nothing.</summary>
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
