using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Validation;

namespace ApiServer.Registry.Validation;

/// <summary>
/// admissionregistration.k8s.io/v1 (kube's pkg/apis/admissionregistration/validation): webhook
/// configurations fully (names, rules, policies, client config, review versions); admission
/// policies and bindings in their required fields and enumerations (their CEL is not compiled here).
/// </summary>
internal static class AdmissionRegistrationValidation
{
    private static readonly string[] Operations = ["*", "CONNECT", "CREATE", "DELETE", "UPDATE"];

    public static void ValidatingWebhookConfiguration(JsonObject config, List<FieldError> errs) => Webhooks(errs, config, mutating: false);

    public static void MutatingWebhookConfiguration(JsonObject config, List<FieldError> errs) => Webhooks(errs, config, mutating: true);

    private static void Webhooks(List<FieldError> errs, JsonObject config, bool mutating)
    {
        var hooks = Read.Items(config, "webhooks");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < hooks.Count; i++)
        {
            var hook = hooks[i];
            var path = FieldPath.New("webhooks").Index(i);
            Webhook(errs, hook, path, mutating);
            var versions = Read.Strings(hook, "admissionReviewVersions");
            if (versions.Count == 0)
            {
                errs.Add(FieldError.Required(path.Child("admissionReviewVersions"), "must specify one of v1, v1beta1"));
            }
            else
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                for (var j = 0; j < versions.Count; j++)
                {
                    if (!seen.Add(versions[j]))
                    {
                        errs.Add(FieldError.Invalid(path.Child("admissionReviewVersions").Index(j), versions[j], "duplicate version"));
                    }
                    errs.AddRange(NameValidation.IsDNS1035Label(versions[j]).Select(m => FieldError.Invalid(path.Child("admissionReviewVersions").Index(j), versions[j], m)));
                }
                if (!versions.Any(v => v is "v1" or "v1beta1"))
                {
                    errs.Add(FieldError.Invalid(path.Child("admissionReviewVersions"), new GoValue(Common.GoStringSlice(versions)), "must include at least one of v1, v1beta1"));
                }
            }
            var name = hook.GetString("name") ?? "";
            if (name.Length > 0 && !names.Add(name))
            {
                errs.Add(FieldError.Duplicate(path.Child("name"), name));
            }
        }
    }

    private static void Webhook(List<FieldError> errs, JsonObject hook, FieldPath path, bool mutating)
    {
        FullyQualifiedName(errs, hook.GetString("name") ?? "", path.Child("name"));
        var rules = Read.Items(hook, "rules");
        for (var i = 0; i < rules.Count; i++)
        {
            RuleWithOperations(errs, rules[i], path.Child("rules").Index(i));
        }
        if (hook.GetString("failurePolicy") is { } failure && failure is not ("Fail" or "Ignore"))
        {
            errs.Add(FieldError.NotSupported(path.Child("failurePolicy"), failure, ["Fail", "Ignore"]));
        }
        if (hook.GetString("matchPolicy") is { } match && match is not ("Equivalent" or "Exact"))
        {
            errs.Add(FieldError.NotSupported(path.Child("matchPolicy"), match, ["Equivalent", "Exact"]));
        }
        var sideEffects = hook.GetString("sideEffects");
        if (sideEffects is null)
        {
            errs.Add(FieldError.Required(path.Child("sideEffects"), "must specify one of None, NoneOnDryRun"));
        }
        else if (sideEffects is not ("None" or "NoneOnDryRun"))
        {
            errs.Add(FieldError.NotSupported(path.Child("sideEffects"), sideEffects, ["None", "NoneOnDryRun"]));
        }
        if (Read.IntOrNull(hook, "timeoutSeconds") is { } timeout && timeout is > 30 or < 1)
        {
            errs.Add(FieldError.Invalid(path.Child("timeoutSeconds"), timeout, "the timeout value must be between 1 and 30 seconds"));
        }
        Common.LabelSelector(errs, Read.Obj(hook, "namespaceSelector"), path.Child("namespaceSelector"));
        Common.LabelSelector(errs, Read.Obj(hook, "objectSelector"), path.Child("objectSelector"));
        if (mutating && hook.GetString("reinvocationPolicy") is { } reinvocation && reinvocation is not ("Never" or "IfNeeded"))
        {
            errs.Add(FieldError.NotSupported(path.Child("reinvocationPolicy"), reinvocation, ["IfNeeded", "Never"]));
        }
        ClientConfig(errs, Read.Obj(hook, "clientConfig"), path.Child("clientConfig"));
        var conditions = Read.Items(hook, "matchConditions");
        var conditionNames = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < conditions.Count; i++)
        {
            var conditionPath = path.Child("matchConditions").Index(i);
            var conditionName = conditions[i].GetString("name") ?? "";
            if (conditionName.Length == 0)
            {
                errs.Add(FieldError.Required(conditionPath.Child("name"), ""));
            }
            else
            {
                Common.QualifiedName(errs, conditionName, conditionPath.Child("name"));
                if (!conditionNames.Add(conditionName))
                {
                    errs.Add(FieldError.Duplicate(conditionPath.Child("name"), conditionName));
                }
            }
            if ((conditions[i].GetString("expression") ?? "").Length == 0)
            {
                errs.Add(FieldError.Required(conditionPath.Child("expression"), ""));
            }
        }
    }

    private static void ClientConfig(List<FieldError> errs, JsonObject? config, FieldPath path)
    {
        var url = config.GetString("url");
        var service = Read.Obj(config, "service");
        if ((url is null) == (service is null))
        {
            errs.Add(FieldError.Required(path, "exactly one of url or service is required"));
            return;
        }
        const string form = "; desired format: https://host[/path]";
        if (url is not null)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
            {
                errs.Add(FieldError.Invalid(path.Child("url"), "", "host must be specified" + form));
                return;
            }
            if (uri.Scheme != "https")
            {
                errs.Add(FieldError.Invalid(path.Child("url"), uri.Scheme, "'https' is the only allowed URL scheme" + form));
            }
            if (uri.Host.Length == 0)
            {
                errs.Add(FieldError.Invalid(path.Child("url"), uri.Host, "host must be specified" + form));
            }
            if (uri.UserInfo.Length > 0)
            {
                errs.Add(FieldError.Invalid(path.Child("url"), uri.UserInfo, "user information is not permitted in the URL"));
            }
            if (uri.Fragment.Length > 0)
            {
                errs.Add(FieldError.Invalid(path.Child("url"), uri.Fragment.TrimStart('#'), "fragments are not permitted in the URL"));
            }
            if (uri.Query.Length > 0)
            {
                errs.Add(FieldError.Invalid(path.Child("url"), uri.Query.TrimStart('?'), "query parameters are not permitted in the URL"));
            }
            return;
        }
        var servicePath = path.Child("service");
        if ((service.GetString("name") ?? "").Length == 0)
        {
            errs.Add(FieldError.Required(servicePath.Child("name"), "service name is required"));
        }
        if ((service.GetString("namespace") ?? "").Length == 0)
        {
            errs.Add(FieldError.Required(servicePath.Child("namespace"), "service namespace is required"));
        }
        var port = Read.IntOrNull(service, "port") ?? 443;
        if (ValueValidation.IsValidPortNum(port) is { Count: > 0 } portErrors)
        {
            errs.Add(FieldError.Invalid(servicePath.Child("port"), port, "port is not valid: " + string.Join(", ", portErrors)));
        }
        if (service.GetString("path") is { Length: > 0 } urlPath && urlPath != "/")
        {
            if (urlPath == "//")
            {
                errs.Add(FieldError.Invalid(servicePath.Child("path"), urlPath, "segment[0] may not be empty"));
            }
            else if (!urlPath.StartsWith('/'))
            {
                errs.Add(FieldError.Invalid(servicePath.Child("path"), urlPath, "must start with a '/'"));
            }
        }
    }

    private static void RuleWithOperations(List<FieldError> errs, JsonObject rule, FieldPath path)
    {
        var operations = Read.Strings(rule, "operations");
        if (operations.Count == 0)
        {
            errs.Add(FieldError.Required(path.Child("operations"), ""));
        }
        if (operations.Count > 1 && operations.Contains("*"))
        {
            errs.Add(FieldError.Invalid(path.Child("operations"), new GoValue(Common.GoStringSlice(operations)), "if '*' is present, must not specify other operations"));
        }
        for (var i = 0; i < operations.Count; i++)
        {
            if (!Operations.Contains(operations[i]))
            {
                errs.Add(FieldError.NotSupported(path.Child("operations").Index(i), operations[i], Operations));
            }
        }
        Rule(errs, rule, path);
    }

    /// <summary>validateRule: groups, versions and resources present, wildcards alone, a known scope.</summary>
    public static void Rule(List<FieldError> errs, JsonObject rule, FieldPath path)
    {
        var groups = Read.Strings(rule, "apiGroups");
        var versions = Read.Strings(rule, "apiVersions");
        var resources = Read.Strings(rule, "resources");
        if (groups.Count == 0)
        {
            errs.Add(FieldError.Required(path.Child("apiGroups"), ""));
        }
        if (groups.Count > 1 && groups.Contains("*"))
        {
            errs.Add(FieldError.Invalid(path.Child("apiGroups"), new GoValue(Common.GoStringSlice(groups)), "if '*' is present, must not specify other API groups"));
        }
        if (versions.Count == 0)
        {
            errs.Add(FieldError.Required(path.Child("apiVersions"), ""));
        }
        if (versions.Count > 1 && versions.Contains("*"))
        {
            errs.Add(FieldError.Invalid(path.Child("apiVersions"), new GoValue(Common.GoStringSlice(versions)), "if '*' is present, must not specify other API versions"));
        }
        for (var i = 0; i < versions.Count; i++)
        {
            if (versions[i].Length == 0)
            {
                errs.Add(FieldError.Required(path.Child("apiVersions").Index(i), ""));
            }
        }
        var resourcesPath = path.Child("resources");
        if (resources.Count == 0)
        {
            errs.Add(FieldError.Required(resourcesPath, ""));
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < resources.Count; i++)
        {
            var resource = resources[i];
            if (resource.Length == 0)
            {
                errs.Add(FieldError.Required(resourcesPath.Index(i), ""));
            }
            if (!seen.Add(resource))
            {
                errs.Add(FieldError.Duplicate(resourcesPath.Index(i), resource));
            }
            if (resource.Contains('/', StringComparison.Ordinal) && resource.Split('/').Length != 2)
            {
                errs.Add(FieldError.Invalid(resourcesPath.Index(i), resource, "resource contains more than one slash"));
            }
        }
        if (resources.Contains("*") && resources.Count > 1 && resources.Any(r => r != "*" && !r.StartsWith("*/", StringComparison.Ordinal)))
        {
            errs.Add(FieldError.Invalid(resourcesPath, new GoValue(Common.GoStringSlice(resources)), "if '*' is present, must not specify other resources without subresources"));
        }
        if (rule.GetString("scope") is { } scope && scope is not ("*" or "Cluster" or "Namespaced"))
        {
            errs.Add(FieldError.NotSupported(path.Child("scope"), scope, ["*", "Cluster", "Namespaced"]));
        }
    }

    /// <summary>IsFullyQualifiedName: a DNS subdomain of at least three segments.</summary>
    private static void FullyQualifiedName(List<FieldError> errs, string name, FieldPath path)
    {
        if (name.Length == 0)
        {
            errs.Add(FieldError.Required(path, ""));
            return;
        }
        name = name.TrimEnd('.');
        var problems = NameValidation.IsDNS1123Subdomain(name);
        if (problems.Count > 0)
        {
            errs.Add(FieldError.Invalid(path, name, string.Join(",", problems)));
        }
        else if (name.Split('.').Length < 3)
        {
            errs.Add(FieldError.Invalid(path, name, "should be a domain with at least three segments separated by dots"));
        }
    }

    // ------------------------------------------------------------------ policies

    public static void ValidatingAdmissionPolicy(JsonObject policy, List<FieldError> errs)
    {
        var spec = Read.Obj(policy, "spec") ?? [];
        var path = FieldPath.New("spec");
        if (spec.GetString("failurePolicy") is { } failure && failure is not ("Fail" or "Ignore"))
        {
            errs.Add(FieldError.NotSupported(path.Child("failurePolicy"), failure, ["Fail", "Ignore"]));
        }
        if (Read.Count(spec, "validations") == 0 && Read.Count(spec, "auditAnnotations") == 0)
        {
            errs.Add(FieldError.Required(path.Child("validations"), "validations or auditAnnotations must contain at least one item"));
        }
        var validations = Read.Items(spec, "validations");
        for (var i = 0; i < validations.Count; i++)
        {
            if ((validations[i].GetString("expression") ?? "").Trim().Length == 0)
            {
                errs.Add(FieldError.Required(path.Child("validations").Index(i).Child("expression"), "expression is not specified"));
            }
            if (validations[i].GetString("reason") is { } reason && reason is not ("Unauthorized" or "Forbidden" or "Invalid" or "RequestEntityTooLarge"))
            {
                errs.Add(FieldError.NotSupported(path.Child("validations").Index(i).Child("reason"), reason, ["Forbidden", "Invalid", "RequestEntityTooLarge", "Unauthorized"]));
            }
        }
        if (Read.Obj(spec, "matchConstraints") is not { } constraints)
        {
            errs.Add(FieldError.Required(path.Child("matchConstraints"), ""));
        }
        else
        {
            MatchResources(errs, constraints, path.Child("matchConstraints"), requireRules: true);
        }
    }

    public static void ValidatingAdmissionPolicyBinding(JsonObject binding, List<FieldError> errs)
    {
        var spec = Read.Obj(binding, "spec") ?? [];
        var path = FieldPath.New("spec");
        if ((spec.GetString("policyName") ?? "").Length == 0)
        {
            errs.Add(FieldError.Required(path.Child("policyName"), ""));
        }
        else
        {
            Common.NameReference(errs, spec.GetString("policyName") ?? "", path.Child("policyName"), NameValidation.NameIsDNSSubdomain);
        }
        var actions = Read.Strings(spec, "validationActions");
        if (actions.Count == 0)
        {
            errs.Add(FieldError.Required(path.Child("validationActions"), "at least one validation action is required"));
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < actions.Count; i++)
        {
            if (actions[i] is not ("Deny" or "Warn" or "Audit"))
            {
                errs.Add(FieldError.NotSupported(path.Child("validationActions").Index(i), actions[i], ["Audit", "Deny", "Warn"]));
            }
            if (!seen.Add(actions[i]))
            {
                errs.Add(FieldError.Duplicate(path.Child("validationActions").Index(i), actions[i]));
            }
        }
        if (seen.Contains("Deny") && seen.Contains("Warn"))
        {
            errs.Add(FieldError.Invalid(path.Child("validationActions"), new GoValue(Common.GoStringSlice(actions)), "must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)"));
        }
        if (Read.Obj(spec, "matchResources") is { } match)
        {
            MatchResources(errs, match, path.Child("matchResources"), requireRules: false);
        }
    }

    private static void MatchResources(List<FieldError> errs, JsonObject match, FieldPath path, bool requireRules)
    {
        if (match.GetString("matchPolicy") is { } policy && policy is not ("Equivalent" or "Exact"))
        {
            errs.Add(FieldError.NotSupported(path.Child("matchPolicy"), policy, ["Equivalent", "Exact"]));
        }
        Common.LabelSelector(errs, Read.Obj(match, "namespaceSelector"), path.Child("namespaceSelector"));
        Common.LabelSelector(errs, Read.Obj(match, "objectSelector"), path.Child("objectSelector"));
        var rules = Read.Items(match, "resourceRules");
        if (requireRules && rules.Count == 0)
        {
            errs.Add(FieldError.Required(path.Child("resourceRules"), ""));
        }
        for (var i = 0; i < rules.Count; i++)
        {
            RuleWithOperations(errs, rules[i], path.Child("resourceRules").Index(i));
        }
        var excluded = Read.Items(match, "excludeResourceRules");
        for (var i = 0; i < excluded.Count; i++)
        {
            RuleWithOperations(errs, excluded[i], path.Child("excludeResourceRules").Index(i));
        }
    }
}
