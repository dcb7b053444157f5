using k8s.Models;

namespace ClientTools.Selectors;

/// <summary>
/// metav1.LabelSelector matching as apimachinery's LabelSelectorAsSelector: matchLabels and
/// matchExpressions (In, NotIn, Exists, DoesNotExist), ANDed. An empty selector matches everything,
/// a null one nothing. Shared by the scheduler and the controller manager.
/// </summary>
public static class LabelSelectors
{
    public static bool IsEmpty(V1LabelSelector? selector) =>
        selector is not null && (selector.MatchLabels is null || selector.MatchLabels.Count == 0) && (selector.MatchExpressions is null || selector.MatchExpressions.Count == 0);

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
            var values = requirement.Values ?? [];
            var ok = requirement.OperatorProperty switch
            {
                "In" => has && values.Contains(actual!),
                "NotIn" => !has || !values.Contains(actual!),
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

    /// <summary>The selector in the query-string form (matchLabels as key=value; expressions in kube's syntax).</summary>
    public static string ToQuery(V1LabelSelector selector)
    {
        var parts = new List<string>();
        foreach (var (key, value) in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            parts.Add($"{key}={value}");
        }

        foreach (var r in selector.MatchExpressions ?? [])
        {
            parts.Add(r.OperatorProperty switch
            {
                "In" => $"{r.Key} in ({string.Join(',', r.Values ?? [])})",
                "NotIn" => $"{r.Key} notin ({string.Join(',', r.Values ?? [])})",
                "Exists" => r.Key,
                _ => "!" + r.Key,
            });
        }

        return string.Join(',', parts);
    }
}
