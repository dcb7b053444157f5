using System.Text.Json.Nodes;
using Admission.Plugins;
using ApiMachinery.Errors;

namespace Admission.Webhooks;

/// <summary>
/// Whether a request is for a webhook (k8s.io/apiserver pkg/admission/plugin/webhook predicates):
/// its rules (operations, groups, versions, resources with subresources and "*", scope, with
/// matchPolicy Equivalent matching other versions of the same resource), then its namespace and
/// object selectors.
/// </summary>
public sealed class WebhookMatcher(INamespaceLookup namespaces)
{
    public static bool MatchesRules(WebhookDefinition hook, AdmissionAttributes a)
    {
        if (hook.Rules.Any(r => Matches(r, a, anyVersion: false)))
        {
            return true;
        }

        // matchPolicy Equivalent: the same resource requested through another version is the same
        // object; this server serves one version per resource, so any listed version is equivalent.
        return !hook.MatchExact && hook.Rules.Any(r => Matches(r, a, anyVersion: true));
    }

    private static bool Matches(WebhookRule rule, AdmissionAttributes a, bool anyVersion)
    {
        var operation = OperationName(a.Operation);
        if (!rule.Operations.Any(o => o == "*" || o == operation))
        {
            return false;
        }

        if (!rule.ApiGroups.Any(g => g == "*" || g == a.Group))
        {
            return false;
        }

        if (!anyVersion && !rule.ApiVersions.Any(v => v == "*" || v == a.Version))
        {
            return false;
        }

        if (anyVersion && rule.ApiVersions.Count == 0)
        {
            return false;
        }

        var isNamespaceObject = a.Group.Length == 0 && a.Resource == "namespaces";
        var scopeOk = rule.Scope switch
        {
            "Cluster" => a.Namespace.Length == 0 || isNamespaceObject,
            "Namespaced" => !isNamespaceObject && a.Namespace.Length > 0,
            _ => true,
        };
        if (!scopeOk)
        {
            return false;
        }

        foreach (var entry in rule.Resources)
        {
            var slash = entry.IndexOf('/', StringComparison.Ordinal);
            var (resource, sub) = slash < 0 ? (entry, "") : (entry[..slash], entry[(slash + 1)..]);
            if ((resource == "*" || resource == a.Resource) && (sub == "*" || sub == a.Subresource))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A cluster-scoped object other than a namespace is never exempted by a namespace selector.</summary>
    public async ValueTask<bool> MatchesNamespaceAsync(WebhookDefinition hook, AdmissionAttributes a, CancellationToken cancellationToken)
    {
        if (hook.NamespaceSelector.IsEmpty)
        {
            return true;
        }

        var isNamespaceObject = a.Group.Length == 0 && a.Resource == "namespaces";
        if (a.Namespace.Length == 0 && !isNamespaceObject)
        {
            return true;
        }

        IReadOnlyDictionary<string, string> labels;
        if (isNamespaceObject && a.Subresource.Length == 0 && a.Operation is AdmissionOperation.Create or AdmissionOperation.Update)
        {
            labels = PodJson.Labels(a.Object);
        }
        else
        {
            var name = isNamespaceObject ? a.Name : a.Namespace;
            var state = await namespaces.GetAsync(name, false, cancellationToken).ConfigureAwait(false)
                ?? throw StatusException.NewNotFound("", "namespaces", name);
            labels = state.Labels ?? new Dictionary<string, string>();
        }

        return hook.NamespaceSelector.Matches(labels);
    }

    /// <summary>The object selector matches the new object or the old one.</summary>
    public static bool MatchesObject(WebhookDefinition hook, AdmissionAttributes a)
    {
        if (hook.ObjectSelector.IsEmpty)
        {
            return true;
        }

        return Matches(hook, a.Object) || Matches(hook, a.OldObject);

        static bool Matches(WebhookDefinition hook, JsonObject? obj) => obj is not null && hook.ObjectSelector.Matches(PodJson.Labels(obj));
    }

    public static string OperationName(AdmissionOperation operation) => operation switch
    {
        AdmissionOperation.Create => "CREATE",
        AdmissionOperation.Update => "UPDATE",
        AdmissionOperation.Delete => "DELETE",
        _ => "CONNECT",
    };
}
