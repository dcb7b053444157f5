using ApiMachinery.Authentication;
using ApiMachinery.Text;

namespace ApiServer.Authorization.Rbac;

/// <summary>
/// The RBAC mode (k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac): a request is allowed when a
/// rule of a role bound to the user (by a ClusterRoleBinding, or a RoleBinding in the request's
/// namespace) covers it. RBAC never denies: otherwise it has no opinion, with the resolution errors
/// (a binding to a missing role) as the reason.
/// </summary>
internal sealed class RbacAuthorizer(IRbacPolicySource policy) : IAuthorizer, IRuleResolver
{
    private delegate bool Visitor(Func<string>? source, PolicyRule? rule, string? error);

    public ValueTask<AuthorizationResult> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken)
    {
        string? allowedBy = null;
        var errors = new List<string>();
        VisitRulesFor(attributes.User, attributes.Namespace, (source, rule, error) =>
        {
            if (rule is not null && Allows(attributes, rule))
            {
                allowedBy = source!();
                return false;
            }

            if (error is not null)
            {
                errors.Add(error);
            }

            return true;
        });

        if (allowedBy is not null)
        {
            return ValueTask.FromResult(AuthorizationResult.Allow("RBAC: allowed by " + allowedBy));
        }

        return ValueTask.FromResult(AuthorizationResult.NoOpinion(errors.Count > 0 ? "RBAC: " + Aggregate(errors) : ""));
    }

    public RulesResult RulesFor(UserInfo user, string ns)
    {
        var (rules, errors) = RuleListFor(user, ns);
        var resource = new List<ResourceRuleInfo>();
        var nonResource = new List<NonResourceRuleInfo>();
        foreach (var rule in rules)
        {
            if (rule.Resources.Count > 0)
            {
                resource.Add(new ResourceRuleInfo(rule.Verbs, rule.ApiGroups, rule.Resources, rule.ResourceNames));
            }

            if (rule.NonResourceUrls.Count > 0)
            {
                nonResource.Add(new NonResourceRuleInfo(rule.Verbs, rule.NonResourceUrls));
            }
        }

        return new RulesResult(resource, nonResource, errors.Count > 0, errors.Count > 0 ? Aggregate(errors) : "");
    }

    /// <summary>Every rule that applies to <paramref name="user"/> in <paramref name="ns"/> (cluster-wide ones included).</summary>
    public (List<PolicyRule> Rules, List<string> Errors) RuleListFor(UserInfo user, string ns)
    {
        var rules = new List<PolicyRule>();
        var errors = new List<string>();
        VisitRulesFor(user, ns, (_, rule, error) =>
        {
            if (rule is not null)
            {
                rules.Add(rule);
            }

            if (error is not null)
            {
                errors.Add(error);
            }

            return true;
        });
        return (rules, errors);
    }

    /// <summary>The rules a role reference grants, for escalation checks (GetRoleReferenceRules).</summary>
    public (IReadOnlyList<PolicyRule>? Rules, string? Error) RulesOf(RoleRef roleRef, string bindingNamespace) => roleRef.Kind switch
    {
        "ClusterRole" => policy.GetClusterRole(roleRef.Name) is { } cr ? (cr.Rules, null) : (null, NotFound("clusterrole", roleRef.Name)),
        "Role" => policy.GetRole(bindingNamespace, roleRef.Name) is { } r ? (r.Rules, null) : (null, NotFound("role", roleRef.Name)),
        _ => (null, $"unsupported role reference kind: \"{roleRef.Kind}\""),
    };

    public static bool Allows(AuthorizationAttributes attributes, PolicyRule rule) => attributes.IsResourceRequest
        ? rule.AllowsResource(attributes.Verb, attributes.ApiGroup, attributes.Resource, attributes.Subresource, attributes.Name)
        : rule.AllowsPath(attributes.Verb, attributes.Path);

    private void VisitRulesFor(UserInfo user, string ns, Visitor visit)
    {
        foreach (var binding in policy.ClusterRoleBindings)
        {
            var subject = binding.Subjects.FirstOrDefault(s => s.AppliesTo(user, ""));
            if (subject is null)
            {
                continue;
            }

            var (rules, error) = RulesOf(binding.RoleRef, "");
            if (error is not null)
            {
                if (!visit(null, null, error))
                {
                    return;
                }

                continue;
            }

            string Source() => $"ClusterRoleBinding {GoText.Quote(binding.Name)} of {binding.RoleRef.Kind} {GoText.Quote(binding.RoleRef.Name)} to {subject.Describe("")}";
            foreach (var rule in rules!)
            {
                if (!visit(Source, rule, null))
                {
                    return;
                }
            }
        }

        if (ns.Length == 0)
        {
            return;
        }

        foreach (var binding in policy.RoleBindings(ns))
        {
            var subject = binding.Subjects.FirstOrDefault(s => s.AppliesTo(user, ns));
            if (subject is null)
            {
                continue;
            }

            var (rules, error) = RulesOf(binding.RoleRef, ns);
            if (error is not null)
            {
                if (!visit(null, null, error))
                {
                    return;
                }

                continue;
            }

            string Source() => $"RoleBinding {GoText.Quote(binding.Name + "/" + ns)} of {binding.RoleRef.Kind} {GoText.Quote(binding.RoleRef.Name)} to {subject.Describe(ns)}";
            foreach (var rule in rules!)
            {
                if (!visit(Source, rule, null))
                {
                    return;
                }
            }
        }
    }

    private static string NotFound(string resource, string name) => $"{resource}.rbac.authorization.k8s.io {GoText.Quote(name)} not found";

    private static string Aggregate(List<string> errors) => errors.Count == 1 ? errors[0] : "[" + string.Join(", ", errors) + "]";
}
