namespace ApiServer.Authorization.Rbac;

/// <summary>
/// Whether one set of rules grants everything another does (rbac validation.Covers): each rule
/// asked for is broken down to one verb on one group/resource/name (or one verb on one URL), and
/// each piece must be allowed by some rule held. Used by escalation prevention and reconciliation.
/// </summary>
internal static class RuleCoverage
{
    public static bool Covers(IReadOnlyList<PolicyRule> owner, IReadOnlyList<PolicyRule> servant) =>
        Uncovered(owner, servant).Count == 0;

    /// <summary>The pieces of <paramref name="servant"/> no rule of <paramref name="owner"/> covers.</summary>
    public static List<PolicyRule> Uncovered(IReadOnlyList<PolicyRule> owner, IReadOnlyList<PolicyRule> servant)
    {
        var missing = new List<PolicyRule>();
        foreach (var piece in servant.SelectMany(BreakDown))
        {
            if (!owner.Any(o => RuleCovers(o, piece)))
            {
                missing.Add(piece);
            }
        }

        return missing;
    }

    /// <summary>
    /// Merges pieces that differ only in their verb, so that a message lists
    /// <c>{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}</c> once.
    /// </summary>
    public static List<PolicyRule> Compact(IEnumerable<PolicyRule> rules)
    {
        var result = new List<PolicyRule>();
        foreach (var rule in rules)
        {
            var index = result.FindIndex(r => r.ApiGroups.SequenceEqual(rule.ApiGroups) && r.Resources.SequenceEqual(rule.Resources)
                && r.ResourceNames.SequenceEqual(rule.ResourceNames) && r.NonResourceUrls.SequenceEqual(rule.NonResourceUrls));
            if (index < 0)
            {
                result.Add(rule);
            }
            else if (!result[index].Verbs.Intersect(rule.Verbs).Any())
            {
                result[index] = result[index] with { Verbs = [.. result[index].Verbs, .. rule.Verbs] };
            }
        }

        return result;
    }

    private static IEnumerable<PolicyRule> BreakDown(PolicyRule rule)
    {
        foreach (var group in rule.ApiGroups)
        {
            foreach (var resource in rule.Resources)
            {
                foreach (var verb in rule.Verbs)
                {
                    if (rule.ResourceNames.Count == 0)
                    {
                        yield return new PolicyRule([verb], [group], [resource], [], []);
                    }
                    else
                    {
                        foreach (var name in rule.ResourceNames)
                        {
                            yield return new PolicyRule([verb], [group], [resource], [name], []);
                        }
                    }
                }
            }
        }

        foreach (var url in rule.NonResourceUrls)
        {
            foreach (var verb in rule.Verbs)
            {
                yield return new PolicyRule([verb], [], [], [], [url]);
            }
        }
    }

    private static bool RuleCovers(PolicyRule owner, PolicyRule piece)
    {
        if (!owner.Verbs.Contains(PolicyRule.All) && !piece.Verbs.All(owner.Verbs.Contains))
        {
            return false;
        }

        if (piece.NonResourceUrls.Count > 0)
        {
            return piece.NonResourceUrls.All(url => owner.NonResourceUrls.Any(o =>
                o == PolicyRule.All || o == url || (o.EndsWith('*') && url.StartsWith(o[..^1], StringComparison.Ordinal))));
        }

        if (!owner.ApiGroups.Contains(PolicyRule.All) && !piece.ApiGroups.All(owner.ApiGroups.Contains))
        {
            return false;
        }

        foreach (var resource in piece.Resources)
        {
            if (owner.Resources.Contains(PolicyRule.All) || owner.Resources.Contains(resource))
            {
                continue;
            }

            var slash = resource.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0 || !owner.Resources.Contains("*/" + resource[(slash + 1)..]))
            {
                return false;
            }
        }

        return owner.ResourceNames.Count == 0 || (piece.ResourceNames.Count > 0 && piece.ResourceNames.All(owner.ResourceNames.Contains));
    }
}
