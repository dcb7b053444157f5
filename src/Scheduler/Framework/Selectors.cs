using System.Globalization;
using k8s.Models;

namespace Scheduler.Framework;

/// <summary>Label selectors, node selectors and tolerations, with apimachinery's and component-helpers' semantics.</summary>
public static class Selectors
{
    private static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>();

    /// <summary>metav1.LabelSelector: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist). A null selector matches nothing; an empty one everything.</summary>
    public static bool Matches(V1LabelSelector? selector, IDictionary<string, string>? labels)
    {
        if (selector is null)
        {
            return false;
        }

        labels ??= new Dictionary<string, string>();
        foreach (var (key, value) in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }

        foreach (var requirement in selector.MatchExpressions ?? [])
        {
            var has = labels.TryGetValue(requirement.Key, out var actual);
            var ok = requirement.OperatorProperty switch
            {
                "In" => has && (requirement.Values ?? []).Contains(actual!),
                "NotIn" => !has || !(requirement.Values ?? []).Contains(actual!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A map selector (nodeSelector): every pair must be present.</summary>
    public static bool MatchesMap(IDictionary<string, string>? selector, IDictionary<string, string>? labels)
    {
        if (selector is null || selector.Count == 0)
        {
            return true;
        }

        labels ??= new Dictionary<string, string>();
        return selector.All(pair => labels.TryGetValue(pair.Key, out var value) && value == pair.Value);
    }

    /// <summary>NodeSelector: the terms are ORed; an empty or missing list matches no node.</summary>
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
        foreach (var requirement in expressions)
        {
            if (!Matches(requirement, labels.TryGetValue(requirement.Key, out var v) ? v : null))
            {
                return false;
            }
        }

        foreach (var requirement in fields)
        {
            if (requirement.Key != "metadata.name" || !Matches(requirement, node.Metadata?.Name))
            {
                return false;
            }
        }

        return true;
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
                if (value is null || values.Count != 1 ||
                    !long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var actual) ||
                    !long.TryParse(values[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var bound))
                {
                    return false;
                }

                return requirement.OperatorProperty == "Gt" ? actual > bound : actual < bound;
            default:
                return false;
        }
    }

    /// <summary>
    /// Whether a toleration tolerates a taint (v1 Toleration.ToleratesTaint): effects match when the
    /// toleration's is empty or equal; an empty key with Exists tolerates every key; Equal (the
    /// default operator) compares values, Exists ignores them.
    /// </summary>
    public static bool Tolerates(V1Toleration toleration, V1Taint taint)
    {
        if (!string.IsNullOrEmpty(toleration.Effect) && toleration.Effect != taint.Effect)
        {
            return false;
        }

        if (!string.IsNullOrEmpty(toleration.Key) && toleration.Key != taint.Key)
        {
            return false;
        }

        return toleration.OperatorProperty switch
        {
            "Exists" => true,
            null or "" or "Equal" => (toleration.Value ?? "") == (taint.Value ?? ""),
            _ => false,
        };
    }

    public static bool Tolerates(IEnumerable<V1Toleration>? tolerations, V1Taint taint) =>
        (tolerations ?? []).Any(t => Tolerates(t, taint));

    /// <summary>The first NoSchedule or NoExecute taint none of the tolerations tolerates, if any.</summary>
    public static V1Taint? FirstUntoleratedTaint(IEnumerable<V1Taint>? taints, IList<V1Toleration>? tolerations) =>
        (taints ?? []).FirstOrDefault(t => t.Effect is "NoSchedule" or "NoExecute" && !Tolerates(tolerations, t));

    public static IReadOnlyDictionary<string, string> Labels(V1Pod pod) =>
        pod.Metadata?.Labels is { } l ? l.AsReadOnly() : NoLabels;
}
