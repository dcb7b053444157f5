using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Text;
using ApiMachinery.Validation;

namespace ApiServer.Registry.Validation;

/// <summary>
/// rbac.authorization.k8s.io/v1 (kube's pkg/apis/rbac/validation): rules need verbs and either
/// resources with API groups or non-resource URLs (cluster roles only); bindings need a roleRef,
/// which never changes, and well-formed subjects.
/// </summary>
internal static class RbacValidation
{
    private const string Group = "rbac.authorization.k8s.io";

    public static void Role(JsonObject role, List<FieldError> errs) => Rules(errs, role, namespaced: true);

    public static void ClusterRole(JsonObject role, List<FieldError> errs)
    {
        Rules(errs, role, namespaced: false);
        if (Read.Obj(role, "aggregationRule") is { } aggregation)
        {
            var selectors = Read.Items(aggregation, "clusterRoleSelectors");
            var path = FieldPath.New("aggregationRule", "clusterRoleSelectors");
            if (selectors.Count == 0)
            {
                errs.Add(FieldError.Required(path, "at least one clusterRoleSelector required if aggregationRule is non-nil"));
            }
            for (var i = 0; i < selectors.Count; i++)
            {
                Common.LabelSelector(errs, selectors[i], path.Index(i));
                if (Common.AsSelector(selectors[i]) is null)
                {
                    errs.Add(FieldError.Invalid(path.Index(i), Common.SelectorValue(selectors[i]), "invalid label selector."));
                }
            }
        }
    }

    private static void Rules(List<FieldError> errs, JsonObject role, bool namespaced)
    {
        var rules = Read.Items(role, "rules");
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            var path = FieldPath.New("rules").Index(i);
            if (Read.Count(rule, "verbs") == 0)
            {
                errs.Add(FieldError.Required(path.Child("verbs"), "verbs must contain at least one value"));
            }
            var urls = Read.Strings(rule, "nonResourceURLs");
            if (urls.Count > 0)
            {
                var printed = new GoValue(Common.GoStringSlice(urls));
                if (namespaced)
                {
                    errs.Add(FieldError.Invalid(path.Child("nonResourceURLs"), printed, "namespaced rules cannot apply to non-resource URLs"));
                }
                if (Read.Count(rule, "apiGroups") > 0 || Read.Count(rule, "resources") > 0 || Read.Count(rule, "resourceNames") > 0)
                {
                    errs.Add(FieldError.Invalid(path.Child("nonResourceURLs"), printed, "rules cannot apply to both regular resources and non-resource URLs"));
                }
                continue;
            }
            if (Read.Count(rule, "apiGroups") == 0)
            {
                errs.Add(FieldError.Required(path.Child("apiGroups"), "resource rules must supply at least one api group"));
            }
            if (Read.Count(rule, "resources") == 0)
            {
                errs.Add(FieldError.Required(path.Child("resources"), "resource rules must supply at least one resource"));
            }
        }
    }

    public static void RoleBinding(JsonObject binding, List<FieldError> errs) => Binding(errs, binding, namespaced: true);

    public static void ClusterRoleBinding(JsonObject binding, List<FieldError> errs) => Binding(errs, binding, namespaced: false);

    /// <summary>Binding updates: the binding must be valid and its roleRef unchanged.</summary>
    public static void BindingUpdate(JsonObject binding, JsonObject old, List<FieldError> errs, bool namespaced)
    {
        Binding(errs, binding, namespaced);
        var roleRef = Read.Obj(binding, "roleRef");
        var oldRef = Read.Obj(old, "roleRef");
        if ((roleRef.GetString("apiGroup") ?? "") != (oldRef.GetString("apiGroup") ?? "") || (roleRef.GetString("kind") ?? "") != (oldRef.GetString("kind") ?? "")
            || (roleRef.GetString("name") ?? "") != (oldRef.GetString("name") ?? ""))
        {
            errs.Add(FieldError.Invalid(FieldPath.New("roleRef"), new GoValue(
                $"rbac.RoleRef{{APIGroup:{GoText.Quote(roleRef.GetString("apiGroup") ?? "")}, Kind:{GoText.Quote(roleRef.GetString("kind") ?? "")}, Name:{GoText.Quote(roleRef.GetString("name") ?? "")}}}"),
                "cannot change roleRef"));
        }
    }

    private static void Binding(List<FieldError> errs, JsonObject binding, bool namespaced)
    {
        var roleRef = Read.Obj(binding, "roleRef");
        var refPath = FieldPath.New("roleRef");
        var apiGroup = roleRef.GetString("apiGroup") ?? "";
        if (apiGroup != Group)
        {
            errs.Add(FieldError.NotSupported(refPath.Child("apiGroup"), apiGroup, [Group]));
        }
        var kind = roleRef.GetString("kind") ?? "";
        if (namespaced ? kind is not ("Role" or "ClusterRole") : kind != "ClusterRole")
        {
            errs.Add(FieldError.NotSupported(refPath.Child("kind"), kind, namespaced ? ["Role", "ClusterRole"] : ["ClusterRole"]));
        }
        var name = roleRef.GetString("name") ?? "";
        if (name.Length == 0)
        {
            errs.Add(FieldError.Required(refPath.Child("name"), ""));
        }
        else
        {
            errs.AddRange(NameValidation.IsValidPathSegmentName(name).Select(m => FieldError.Invalid(refPath.Child("name"), name, m)));
        }
        var subjects = Read.Items(binding, "subjects");
        for (var i = 0; i < subjects.Count; i++)
        {
            Subject(errs, subjects[i], namespaced, FieldPath.New("subjects").Index(i));
        }
    }

    private static void Subject(List<FieldError> errs, JsonObject subject, bool namespaced, FieldPath path)
    {
        var name = subject.GetString("name") ?? "";
        if (name.Length == 0)
        {
            errs.Add(FieldError.Required(path.Child("name"), ""));
        }
        var apiGroup = subject.GetString("apiGroup") ?? "";
        switch (subject.GetString("kind") ?? "")
        {
            case "ServiceAccount":
                if (name.Length > 0)
                {
                    errs.AddRange(NameValidation.NameIsDNSSubdomain(name, false).Select(m => FieldError.Invalid(path.Child("name"), name, m)));
                }
                if (apiGroup.Length > 0)
                {
                    errs.Add(FieldError.NotSupported(path.Child("apiGroup"), apiGroup, [""]));
                }
                if (!namespaced && (subject.GetString("namespace") ?? "").Length == 0)
                {
                    errs.Add(FieldError.Required(path.Child("namespace"), ""));
                }
                break;
            case "User" or "Group":
                if (apiGroup != Group)
                {
                    errs.Add(FieldError.NotSupported(path.Child("apiGroup"), apiGroup, [Group]));
                }
                break;
            default:
                errs.Add(FieldError.NotSupported(path.Child("kind"), subject.GetString("kind") ?? "", ["ServiceAccount", "User", "Group"]));
                break;
        }
    }
}
