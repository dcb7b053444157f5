using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Validation;

namespace ApiServer.Registry.Validation;

/// <summary>
/// apps/v1 (kube's pkg/apis/apps/validation and pkg/registry/apps/*/strategy.go): Deployment,
/// ReplicaSet, StatefulSet, DaemonSet, ControllerRevision. Selectors are required, must match the
/// template's labels and are immutable in apps/v1.
/// </summary>
internal static class AppsValidation
{
    // ------------------------------------------------------------------ Deployment

    public static void Deployment(JsonObject deployment, List<FieldError> errs)
    {
        var spec = Read.Obj(deployment, "spec") ?? [];
        var path = FieldPath.New("spec");
        Common.NonNegative(errs, Read.Int(spec, "replicas"), path.Child("replicas"));
        var selector = Selector(errs, spec, path, "deployment");
        if (selector is not null)
        {
            PodValidation.TemplateForController(errs, Read.Obj(spec, "template"), selector, path.Child("template"), "ReplicaSet");
        }
        DeploymentStrategy(errs, Read.Obj(spec, "strategy") ?? [], path.Child("strategy"));
        var minReady = Read.Int(spec, "minReadySeconds");
        Common.NonNegative(errs, minReady, path.Child("minReadySeconds"));
        if (Read.IntOrNull(spec, "revisionHistoryLimit") is { } history)
        {
            Common.NonNegative(errs, history, path.Child("revisionHistoryLimit"));
        }
        if (Read.IntOrNull(spec, "progressDeadlineSeconds") is { } deadline)
        {
            Common.NonNegative(errs, deadline, path.Child("progressDeadlineSeconds"));
            if (deadline <= minReady)
            {
                errs.Add(FieldError.Invalid(path.Child("progressDeadlineSeconds"), deadline, "must be greater than minReadySeconds"));
            }
        }
    }

    public static void DeploymentUpdate(JsonObject deployment, JsonObject old, List<FieldError> errs)
    {
        Deployment(deployment, errs);
        ImmutableSelector(errs, deployment, old);
    }

    public static void DeploymentStatusUpdate(JsonObject deployment, JsonObject old, List<FieldError> errs)
    {
        var status = Read.Obj(deployment, "status");
        var path = FieldPath.New("status");
        Common.NonNegative(errs, Read.Int(status, "observedGeneration"), path.Child("observedGeneration"));
        foreach (var field in new[] { "replicas", "updatedReplicas", "availableReplicas", "unavailableReplicas", "readyReplicas" })
        {
            Common.NonNegative(errs, Read.Int(status, field), path.Child(field));
        }
        if (Read.IntOrNull(status, "terminatingReplicas") is { } terminating)
        {
            Common.NonNegative(errs, terminating, path.Child("terminatingReplicas"));
        }
        if (Read.IntOrNull(status, "collisionCount") is { } collisions)
        {
            Common.NonNegative(errs, collisions, path.Child("collisionCount"));
        }
        const string msg = "cannot be greater than status.replicas";
        var replicas = Read.Int(status, "replicas");
        if (Read.Int(status, "updatedReplicas") > replicas)
        {
            errs.Add(FieldError.Invalid(path.Child("updatedReplicas"), Read.Int(status, "updatedReplicas"), msg));
        }
        if (Read.Int(status, "readyReplicas") > replicas)
        {
            errs.Add(FieldError.Invalid(path.Child("readyReplicas"), Read.Int(status, "readyReplicas"), msg));
        }
        if (Read.Int(status, "availableReplicas") > replicas)
        {
            errs.Add(FieldError.Invalid(path.Child("availableReplicas"), Read.Int(status, "availableReplicas"), msg));
        }
        if (Read.Int(status, "availableReplicas") > Read.Int(status, "readyReplicas"))
        {
            errs.Add(FieldError.Invalid(path.Child("availableReplicas"), Read.Int(status, "availableReplicas"), "cannot be greater than readyReplicas"));
        }
        CollisionCountNotDecremented(errs, deployment, old);
    }

    private static void DeploymentStrategy(List<FieldError> errs, JsonObject strategy, FieldPath path)
    {
        switch (strategy.GetString("type") ?? "")
        {
            case "Recreate":
                if (Read.Has(strategy, "rollingUpdate"))
                {
                    errs.Add(FieldError.Forbidden(path.Child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'"));
                }
                break;
            case "RollingUpdate":
                if (Read.Obj(strategy, "rollingUpdate") is not { } rolling)
                {
                    errs.Add(FieldError.Required(path.Child("rollingUpdate"), "this should be defaulted and never be nil"));
                    break;
                }
                var p = path.Child("rollingUpdate");
                PositiveIntOrPercent(errs, rolling["maxUnavailable"], p.Child("maxUnavailable"));
                PositiveIntOrPercent(errs, rolling["maxSurge"], p.Child("maxSurge"));
                if (IntOrPercentValue(rolling["maxUnavailable"]) == 0 && IntOrPercentValue(rolling["maxSurge"]) == 0)
                {
                    errs.Add(FieldError.Invalid(p.Child("maxUnavailable"), Common.Printable(rolling["maxUnavailable"]) ?? 0L, "may not be 0 when `maxSurge` is 0"));
                }
                NotMoreThan100Percent(errs, rolling["maxUnavailable"], p.Child("maxUnavailable"));
                break;
            default:
                errs.Add(FieldError.NotSupported(path, new GoValue($"apps.DeploymentStrategy{{Type:\"{strategy.GetString("type") ?? ""}\"}}"), ["Recreate", "RollingUpdate"]));
                break;
        }
    }

    // ------------------------------------------------------------------ ReplicaSet

    public static void ReplicaSet(JsonObject rs, List<FieldError> errs)
    {
        var spec = Read.Obj(rs, "spec") ?? [];
        var path = FieldPath.New("spec");
        Common.NonNegative(errs, Read.Int(spec, "replicas"), path.Child("replicas"));
        Common.NonNegative(errs, Read.Int(spec, "minReadySeconds"), path.Child("minReadySeconds"));
        var selector = Selector(errs, spec, path, "deployment");
        if (selector is not null)
        {
            PodValidation.TemplateForController(errs, Read.Obj(spec, "template"), selector, path.Child("template"), "ReplicaSet");
        }
    }

    public static void ReplicaSetUpdate(JsonObject rs, JsonObject old, List<FieldError> errs)
    {
        ReplicaSet(rs, errs);
        ImmutableSelector(errs, rs, old);
    }

    public static void ReplicaSetStatusUpdate(JsonObject rs, JsonObject old, List<FieldError> errs) =>
        ReplicaCounts(errs, Read.Obj(rs, "status"), FieldPath.New("status"));

    /// <summary>ValidateReplicaSetStatus / ValidateReplicationControllerStatus.</summary>
    public static void ReplicaCounts(List<FieldError> errs, JsonObject? status, FieldPath path)
    {
        foreach (var field in new[] { "replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas", "observedGeneration" })
        {
            Common.NonNegative(errs, Read.Int(status, field), path.Child(field));
        }
        const string msg = "cannot be greater than status.replicas";
        var replicas = Read.Int(status, "replicas");
        foreach (var field in new[] { "fullyLabeledReplicas", "readyReplicas", "availableReplicas" })
        {
            if (Read.Int(status, field) > replicas)
            {
                errs.Add(FieldError.Invalid(path.Child(field), Read.Int(status, field), msg));
            }
        }
        if (Read.Int(status, "availableReplicas") > Read.Int(status, "readyReplicas"))
        {
            errs.Add(FieldError.Invalid(path.Child("availableReplicas"), Read.Int(status, "availableReplicas"), "cannot be greater than readyReplicas"));
        }
    }

    // ------------------------------------------------------------------ StatefulSet

    public static void StatefulSet(JsonObject sts, List<FieldError> errs)
    {
        var spec = Read.Obj(sts, "spec") ?? [];
        var path = FieldPath.New("spec");
        var policy = spec.GetString("podManagementPolicy") ?? "";
        if (policy.Length == 0)
        {
            errs.Add(FieldError.Required(path.Child("podManagementPolicy"), ""));
        }
        else if (policy is not ("OrderedReady" or "Parallel"))
        {
            errs.Add(FieldError.Invalid(path.Child("podManagementPolicy"), policy, "must be 'OrderedReady' or 'Parallel'"));
        }
        var strategy = Read.Obj(spec, "updateStrategy") ?? [];
        switch (strategy.GetString("type") ?? "")
        {
            case "":
                errs.Add(FieldError.Required(path.Child("updateStrategy"), ""));
                break;
            case "OnDelete":
                if (Read.Has(strategy, "rollingUpdate"))
                {
                    errs.Add(FieldError.Invalid(path.Child("updateStrategy", "rollingUpdate"), new GoValue("apps.RollingUpdateStatefulSetStrategy{...}"), "only allowed for updateStrategy 'RollingUpdate'"));
                }
                break;
            case "RollingUpdate":
                if (Read.Obj(strategy, "rollingUpdate") is { } rolling)
                {
                    var p = path.Child("updateStrategy", "rollingUpdate");
                    Common.NonNegative(errs, Read.Int(rolling, "partition"), p.Child("partition"));
                    if (rolling["maxUnavailable"] is { } maxUnavailable)
                    {
                        PositiveIntOrPercent(errs, maxUnavailable, p.Child("maxUnavailable"));
                        if (IntOrPercentValue(maxUnavailable) == 0)
                        {
                            errs.Add(FieldError.Invalid(p.Child("maxUnavailable"), Common.Printable(maxUnavailable), "cannot be 0"));
                        }
                        NotMoreThan100Percent(errs, maxUnavailable, p.Child("maxUnavailable"));
                    }
                }
                break;
            default:
                errs.Add(FieldError.Invalid(path.Child("updateStrategy"), new GoValue($"apps.StatefulSetUpdateStrategy{{Type:\"{strategy.GetString("type") ?? ""}\"}}"), "must be 'RollingUpdate' or 'OnDelete'"));
                break;
        }
        if (Read.Obj(spec, "persistentVolumeClaimRetentionPolicy") is { } retention)
        {
            foreach (var field in new[] { "whenDeleted", "whenScaled" })
            {
                var value = retention.GetString(field) ?? "";
                if (value is not ("Retain" or "Delete"))
                {
                    errs.Add(FieldError.NotSupported(path.Child("persistentVolumeClaimRetentionPolicy", field), value, ["Retain", "Delete"]));
                }
            }
        }
        Common.NonNegative(errs, Read.Int(spec, "replicas"), path.Child("replicas"));
        Common.NonNegative(errs, Read.Int(spec, "minReadySeconds"), path.Child("minReadySeconds"));
        if (Read.Obj(spec, "ordinals") is { } ordinals)
        {
            Common.NonNegative(errs, Read.Int(ordinals, "start"), path.Child("ordinals.start"));
        }
        var selectorJson = Read.Obj(spec, "selector");
        if (selectorJson is null)
        {
            errs.Add(FieldError.Required(path.Child("selector"), ""));
        }
        else
        {
            Common.LabelSelector(errs, selectorJson, path.Child("selector"));
            if (Read.Count(selectorJson, "matchExpressions") + (Read.Obj(selectorJson, "matchLabels")?.Count ?? 0) == 0)
            {
                errs.Add(FieldError.Invalid(path.Child("selector"), Common.SelectorValue(selectorJson), "empty selector is invalid for statefulset"));
            }
        }
        var selector = Common.AsSelector(selectorJson);
        var templatePath = path.Child("template");
        if (selector is null)
        {
            errs.Add(FieldError.Invalid(path.Child("selector"), Common.SelectorValue(selectorJson), ""));
        }
        else if (Read.Obj(spec, "template") is not { } template)
        {
            errs.Add(FieldError.Required(templatePath, ""));
        }
        else
        {
            var labels = Read.Map(template["metadata"], "labels");
            if (!selector.IsEmpty && !selector.Matches(labels))
            {
                errs.Add(FieldError.Invalid(templatePath.Child("metadata", "labels"), new GoValue(Common.GoStringMap(labels)), "`selector` does not match template `labels`"));
            }
            // kube leaves the pod spec to the pods the controller creates (a TODO in its validation); labels and annotations here.
            Common.Labels(errs, labels, templatePath.Child("labels"));
            Common.Annotations(errs, Read.Map(template["metadata"], "annotations"), templatePath.Child("annotations"));
        }
        var restartPolicy = spec["template"]?["spec"].GetString("restartPolicy") ?? "";
        if (restartPolicy != "Always")
        {
            errs.Add(FieldError.NotSupported(templatePath.Child("spec", "restartPolicy"), restartPolicy, ["Always"]));
        }
        if (Read.Has(spec["template"]?["spec"], "activeDeadlineSeconds"))
        {
            errs.Add(FieldError.Forbidden(templatePath.Child("spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in StatefulSet is not Supported"));
        }
        var claims = Read.Items(spec, "volumeClaimTemplates");
        for (var i = 0; i < claims.Count; i++)
        {
            CoreValidation.ClaimSpec(errs, Read.Obj(claims[i], "spec") ?? [], path.Child("volumeClaimTemplates").Index(i).Child("spec"));
        }
    }

    public static void StatefulSetUpdate(JsonObject sts, JsonObject old, List<FieldError> errs)
    {
        StatefulSet(sts, errs);
        var spec = (Read.Obj(sts, "spec") ?? []).DeepClone().AsObject();
        var oldSpec = Read.Obj(old, "spec") ?? [];
        foreach (var mutable in new[] { "replicas", "template", "updateStrategy", "minReadySeconds", "ordinals", "persistentVolumeClaimRetentionPolicy" })
        {
            spec[mutable] = oldSpec[mutable]?.DeepClone();
        }
        // A claim template's status and metadata bookkeeping are not part of what is compared.
        if (!Read.DeepEquals(WithoutClaimStatus(spec), WithoutClaimStatus(oldSpec)))
        {
            errs.Add(FieldError.Forbidden(FieldPath.New("spec"),
                "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
        }
    }

    public static void StatefulSetStatusUpdate(JsonObject sts, JsonObject old, List<FieldError> errs)
    {
        var status = Read.Obj(sts, "status");
        var path = FieldPath.New("status");
        foreach (var field in new[] { "replicas", "readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas" })
        {
            Common.NonNegative(errs, Read.Int(status, field), path.Child(field));
        }
        foreach (var field in new[] { "observedGeneration", "collisionCount" })
        {
            if (Read.IntOrNull(status, field) is { } value)
            {
                Common.NonNegative(errs, value, path.Child(field));
            }
        }
        const string msg = "cannot be greater than status.replicas";
        var replicas = Read.Int(status, "replicas");
        foreach (var field in new[] { "readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas" })
        {
            if (Read.Int(status, field) > replicas)
            {
                errs.Add(FieldError.Invalid(path.Child(field), Read.Int(status, field), msg));
            }
        }
        if (Read.Int(status, "availableReplicas") > Read.Int(status, "readyReplicas"))
        {
            errs.Add(FieldError.Invalid(path.Child("availableReplicas"), Read.Int(status, "availableReplicas"), "cannot be greater than status.readyReplicas"));
        }
        CollisionCountNotDecremented(errs, sts, old);
    }

    private static JsonObject WithoutClaimStatus(JsonObject spec)
    {
        var copy = spec.DeepClone().AsObject();
        foreach (var claim in Read.Items(copy, "volumeClaimTemplates"))
        {
            claim.Remove("status");
        }
        return copy;
    }

    // ------------------------------------------------------------------ DaemonSet

    public static void DaemonSet(JsonObject ds, List<FieldError> errs)
    {
        var spec = Read.Obj(ds, "spec") ?? [];
        var path = FieldPath.New("spec");
        var selectorJson = Read.Obj(spec, "selector");
        Common.LabelSelector(errs, selectorJson, path.Child("selector"));
        var selector = Common.AsSelector(selectorJson);
        if (selector is { IsEmpty: true } || selectorJson is null)
        {
            errs.Add(FieldError.Invalid(path.Child("selector"), Common.SelectorValue(selectorJson), "empty selector is invalid for daemonset"));
        }
        if (selector is null)
        {
            errs.Add(FieldError.Invalid(path.Child("selector"), Common.SelectorValue(selectorJson), "invalid label selector"));
        }
        var template = Read.Obj(spec, "template");
        var templatePath = path.Child("template");
        if (selector is { IsEmpty: false } && template is not null && !selector.Matches(Read.Map(template["metadata"], "labels")))
        {
            errs.Add(FieldError.Invalid(templatePath.Child("metadata", "labels"), new GoValue(Common.GoStringMap(Read.Map(template["metadata"], "labels"))), "`selector` does not match template `labels`"));
        }
        if (template is not null)
        {
            PodValidation.TemplateSpec(errs, template, templatePath);
        }
        var restartPolicy = template?["spec"].GetString("restartPolicy") ?? "";
        if (restartPolicy != "Always")
        {
            errs.Add(FieldError.NotSupported(templatePath.Child("spec", "restartPolicy"), restartPolicy, ["Always"]));
        }
        if (Read.Has(template?["spec"], "activeDeadlineSeconds"))
        {
            errs.Add(FieldError.Invalid(templatePath.Child("spec", "activeDeadlineSeconds"), Read.Int(template?["spec"], "activeDeadlineSeconds"), "activeDeadlineSeconds in DaemonSet is not Supported"));
        }
        Common.NonNegative(errs, Read.Int(spec, "minReadySeconds"), path.Child("minReadySeconds"));
        Common.NonNegative(errs, Read.Int(spec, "templateGeneration"), path.Child("templateGeneration"));
        var strategy = Read.Obj(spec, "updateStrategy") ?? [];
        var strategyPath = path.Child("updateStrategy");
        switch (strategy.GetString("type") ?? "")
        {
            case "OnDelete":
                break;
            case "RollingUpdate":
                if (Read.Obj(strategy, "rollingUpdate") is not { } rolling)
                {
                    errs.Add(FieldError.Required(strategyPath.Child("rollingUpdate"), ""));
                    break;
                }
                var p = strategyPath.Child("rollingUpdate");
                PositiveIntOrPercent(errs, rolling["maxUnavailable"], p.Child("maxUnavailable"));
                PositiveIntOrPercent(errs, rolling["maxSurge"], p.Child("maxSurge"));
                NotMoreThan100Percent(errs, rolling["maxUnavailable"], p.Child("maxUnavailable"));
                NotMoreThan100Percent(errs, rolling["maxSurge"], p.Child("maxSurge"));
                var unavailable = IntOrPercentValue(rolling["maxUnavailable"]);
                var surge = IntOrPercentValue(rolling["maxSurge"]);
                if (unavailable == 0 && surge == 0)
                {
                    errs.Add(FieldError.Invalid(p.Child("maxUnavailable"), Common.Printable(rolling["maxUnavailable"]) ?? 0L, "may not be 0 when `maxSurge` is 0"));
                }
                else if (unavailable != 0 && surge != 0)
                {
                    errs.Add(FieldError.Invalid(p.Child("maxSurge"), Common.Printable(rolling["maxSurge"]) ?? 0L, "may not be set when maxUnavailable is non-zero"));
                }
                break;
            default:
                errs.Add(FieldError.NotSupported(strategyPath, new GoValue($"apps.DaemonSetUpdateStrategy{{Type:\"{strategy.GetString("type") ?? ""}\"}}"), ["OnDelete", "RollingUpdate"]));
                break;
        }
        if (Read.IntOrNull(spec, "revisionHistoryLimit") is { } history)
        {
            Common.NonNegative(errs, history, path.Child("revisionHistoryLimit"));
        }
    }

    public static void DaemonSetUpdate(JsonObject ds, JsonObject old, List<FieldError> errs)
    {
        DaemonSet(ds, errs);
        ImmutableSelector(errs, ds, old);
    }

    public static void DaemonSetStatusUpdate(JsonObject ds, JsonObject old, List<FieldError> errs)
    {
        var status = Read.Obj(ds, "status");
        var path = FieldPath.New("status");
        foreach (var field in new[] { "currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady", "observedGeneration", "updatedNumberScheduled", "numberAvailable", "numberUnavailable" })
        {
            Common.NonNegative(errs, Read.Int(status, field), path.Child(field));
        }
        if (Read.IntOrNull(status, "collisionCount") is { } collisions)
        {
            Common.NonNegative(errs, collisions, path.Child("collisionCount"));
        }
        CollisionCountNotDecremented(errs, ds, old);
    }

    // ------------------------------------------------------------------ ControllerRevision

    public static void ControllerRevision(JsonObject revision, List<FieldError> errs)
    {
        if (!Read.Has(revision, "data"))
        {
            errs.Add(FieldError.Required(FieldPath.New("data"), "data is mandatory"));
        }
        Common.NonNegative(errs, Read.Int(revision, "revision"), FieldPath.New("revision"));
    }

    public static void ControllerRevisionUpdate(JsonObject revision, JsonObject old, List<FieldError> errs)
    {
        ControllerRevision(revision, errs);
        Common.Immutable(errs, revision["data"], old["data"], FieldPath.New("data"), new GoValue("runtime.RawExtension{...}"));
    }

    // ------------------------------------------------------------------ shared

    /// <summary>The selector rules of Deployments and ReplicaSets; answers the selector when it converts.</summary>
    private static ApiMachinery.Selectors.LabelSelector? Selector(List<FieldError> errs, JsonObject spec, FieldPath path, string kindWord)
    {
        var selectorJson = Read.Obj(spec, "selector");
        if (selectorJson is null)
        {
            errs.Add(FieldError.Required(path.Child("selector"), ""));
        }
        else
        {
            Common.LabelSelector(errs, selectorJson, path.Child("selector"));
            if (Read.Count(selectorJson, "matchExpressions") + (Read.Obj(selectorJson, "matchLabels")?.Count ?? 0) == 0)
            {
                errs.Add(FieldError.Invalid(path.Child("selector"), Common.SelectorValue(selectorJson), $"empty selector is invalid for {kindWord}"));
            }
        }
        var selector = Common.AsSelector(selectorJson);
        if (selector is null)
        {
            errs.Add(FieldError.Invalid(path.Child("selector"), Common.SelectorValue(selectorJson), "invalid label selector"));
        }
        return selector;
    }

    /// <summary>apps/v1 refuses any change to spec.selector (kube's strategies' ValidateUpdate).</summary>
    private static void ImmutableSelector(List<FieldError> errs, JsonObject obj, JsonObject old)
    {
        var selector = obj["spec"]?["selector"];
        if (!Read.DeepEquals(selector, old["spec"]?["selector"]))
        {
            errs.Add(FieldError.Invalid(FieldPath.New("spec", "selector"), Common.SelectorValue(selector as JsonObject), Common.FieldImmutable));
        }
    }

    private static void CollisionCountNotDecremented(List<FieldError> errs, JsonObject obj, JsonObject old)
    {
        var now = Read.IntOrNull(obj["status"], "collisionCount");
        var before = Read.IntOrNull(old["status"], "collisionCount");
        if (before is { } b && (now is null || now < b))
        {
            errs.Add(FieldError.Invalid(FieldPath.New("status", "collisionCount"), now ?? 0, "cannot be decremented"));
        }
    }

    /// <summary>ValidatePositiveIntOrPercent: a percent string or a non-negative integer.</summary>
    public static void PositiveIntOrPercent(List<FieldError> errs, JsonNode? value, FieldPath path)
    {
        switch (Common.Printable(value))
        {
            case string s:
                errs.AddRange(ValueValidation.IsValidPercent(s).Select(m => FieldError.Invalid(path, new GoValue(IntOrStringText(value)), m)));
                break;
            case long n:
                Common.NonNegative(errs, n, path);
                break;
        }
    }

    /// <summary>IsNotMoreThan100Percent.</summary>
    public static void NotMoreThan100Percent(List<FieldError> errs, JsonNode? value, FieldPath path)
    {
        if (Common.Printable(value) is string s && ValueValidation.IsValidPercent(s).Count == 0
            && long.TryParse(s.TrimEnd('%'), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var percent) && percent > 100)
        {
            errs.Add(FieldError.Invalid(path, new GoValue(IntOrStringText(value)), "must not be greater than 100%"));
        }
    }

    /// <summary>The number an int-or-percent holds (percent strings count by their number).</summary>
    public static long IntOrPercentValue(JsonNode? value) => Common.Printable(value) switch
    {
        long n => n,
        string s when long.TryParse(s.TrimEnd('%'), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) => p,
        _ => 0,
    };

    /// <summary>An intstr.IntOrString as %#v prints it.</summary>
    public static string IntOrStringText(JsonNode? value) => Common.Printable(value) switch
    {
        string s => $"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{ApiMachinery.Text.GoText.Quote(s)}}}",
        long n => $"intstr.IntOrString{{Type:0, IntVal:{n}, StrVal:\"\"}}",
        _ => "intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}",
    };
}
