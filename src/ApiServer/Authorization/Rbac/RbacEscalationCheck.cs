using System.Text.Json.Nodes;
using Admission;
using ApiMachinery.Authentication;
using ApiMachinery.Errors;
using ApiMachinery.Text;

namespace ApiServer.Authorization.Rbac;

/// <summary>
/// RBAC's escalation prevention (kube's policybased role and binding storage): nobody creates or
/// changes a Role or ClusterRole with rules they do not hold themselves, unless they may
/// <c>escalate</c> roles; nobody binds a role whose rules they do not hold, unless they may
/// <c>bind</c> it. Runs for every write of the four RBAC kinds whatever the authorization mode;
/// under AlwaysAllow everyone may escalate and bind, so it never refuses there.
/// </summary>
internal sealed class RbacEscalationCheck(AuthorizerChain authorizer, RbacAuthorizer rbac) : IValidatingAdmissionPlugin, IBuiltInAdmission
{
    private const string Group = "rbac.authorization.k8s.io";

    public string Name => "RBACEscalationPrevention";

    public bool Handles(AdmissionOperation operation) => operation is AdmissionOperation.Create or AdmissionOperation.Update;

    public async ValueTask ValidateAsync(AdmissionAttributes a, CancellationToken cancellationToken)
    {
        if (a.Group != Group || a.Subresource.Length > 0 || a.Object is null)
        {
            return;
        }

        switch (a.Resource)
        {
            case "roles" or "clusterroles":
                await CheckRoleAsync(a, cancellationToken).ConfigureAwait(false);
                break;
            case "rolebindings" or "clusterrolebindings":
                await CheckBindingAsync(a, cancellationToken).ConfigureAwait(false);
                break;
            default:
                break;
        }
    }

    private async Task CheckRoleAsync(AdmissionAttributes a, CancellationToken cancellationToken)
    {
        var rules = PolicyRule.ParseList(a.Object!["rules"]);
        var aggregates = a.Object["aggregationRule"] is JsonObject;
        if (a.OldObject is not null && JsonNode.DeepEquals(a.Object["rules"], a.OldObject["rules"])
            && JsonNode.DeepEquals(a.Object["aggregationRule"], a.OldObject["aggregationRule"]))
        {
            return;
        }

        if (await AllowedAsync(a.UserInfo, "escalate", a.Resource, a.Namespace, a.Name, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        if (aggregates)
        {
            // An aggregating role may end up with any rule; only those who hold every rule may make one.
            IReadOnlyList<PolicyRule> everything = [new PolicyRule(["*"], ["*"], ["*"], [], []), new PolicyRule(["*"], [], [], [], ["*"])];
            if (!RuleCoverage.Covers(rbac.RuleListFor(a.UserInfo, a.Namespace).Rules, everything))
            {
                throw StatusException.NewForbidden(Group, a.Resource, a.Name, "must have cluster-admin privileges to use the aggregationRule");
            }
        }

        ConfirmNoEscalation(a, rules);
    }

    private async Task CheckBindingAsync(AdmissionAttributes a, CancellationToken cancellationToken)
    {
        if (a.OldObject is not null && JsonNode.DeepEquals(a.Object!["subjects"], a.OldObject["subjects"])
            && JsonNode.DeepEquals(a.Object["roleRef"], a.OldObject["roleRef"]))
        {
            return;
        }

        var roleRef = RoleRef.Parse(a.Object!["roleRef"]);
        var roleResource = roleRef.Kind == "ClusterRole" ? "clusterroles" : "roles";
        // Asked in the binding's namespace, so that a Role granting bind on a ClusterRole counts there.
        if (await AllowedAsync(a.UserInfo, "bind", roleResource, a.Namespace, roleRef.Name, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var (rules, error) = rbac.RulesOf(roleRef, a.Namespace);
        if (rules is null)
        {
            throw StatusException.NewForbidden(Group, a.Resource, a.Name, error ?? "role not found");
        }

        ConfirmNoEscalation(a, rules);
    }

    private void ConfirmNoEscalation(AdmissionAttributes a, IReadOnlyList<PolicyRule> wanted)
    {
        var (held, errors) = rbac.RuleListFor(a.UserInfo, a.Namespace);
        var missing = RuleCoverage.Uncovered(held, wanted);
        if (missing.Count == 0)
        {
            return;
        }

        var groups = "[" + string.Join(" ", a.UserInfo.Groups.Select(GoText.Quote)) + "]";
        var message = $"user {GoText.Quote(a.UserInfo.Name)} (groups={groups}) is attempting to grant RBAC permissions not currently held:\n"
            + string.Join("\n", RuleCoverage.Compact(missing).Select(r => r.CompactString()));
        if (errors.Count > 0)
        {
            message += "; resolution errors: [" + string.Join(", ", errors) + "]";
        }

        throw StatusException.NewForbidden(Group, a.Resource, a.Name, message);
    }

    private async Task<bool> AllowedAsync(UserInfo user, string verb, string resource, string ns, string name, CancellationToken cancellationToken) =>
        await authorizer.IsAllowedAsync(new AuthorizationAttributes
        {
            User = user,
            Verb = verb,
            IsResourceRequest = true,
            ApiGroup = Group,
            ApiVersion = "v1",
            Resource = resource,
            Namespace = ns,
            Name = name,
        }, cancellationToken).ConfigureAwait(false);
}
