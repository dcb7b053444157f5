namespace Admission;

/// <summary>
/// kube-apiserver's admission plugin registry: every plugin name it knows, in its recommended order
/// (kubernetes pkg/kubeapiserver/options/plugins.go, AllOrderedPlugins), and the ones that are on
/// unless disabled. --enable-admission-plugins and --disable-admission-plugins select from these
/// names; the order never depends on the order of the flags.
/// </summary>
public static class AdmissionPlugins
{
    public const string NamespaceLifecycle = "NamespaceLifecycle";
    public const string LimitRanger = "LimitRanger";
    public const string ServiceAccount = "ServiceAccount";
    public const string Priority = "Priority";
    public const string DefaultTolerationSeconds = "DefaultTolerationSeconds";
    public const string DefaultStorageClass = "DefaultStorageClass";
    public const string MutatingAdmissionWebhook = "MutatingAdmissionWebhook";
    public const string ValidatingAdmissionWebhook = "ValidatingAdmissionWebhook";
    public const string ResourceQuota = "ResourceQuota";
    public const string AlwaysAdmit = "AlwaysAdmit";
    public const string AlwaysDeny = "AlwaysDeny";

    /// <summary>Every plugin kube-apiserver 1.35 registers, in the order it runs them.</summary>
    public static readonly IReadOnlyList<string> RecommendedOrder =
    [
        AlwaysAdmit,
        "NamespaceAutoProvision",
        NamespaceLifecycle,
        "NamespaceExists",
        "LimitPodHardAntiAffinityTopology",
        LimitRanger,
        ServiceAccount,
        "NodeRestriction",
        "TaintNodesByCondition",
        "AlwaysPullImages",
        "ImagePolicyWebhook",
        "PodSecurity",
        "PodNodeSelector",
        Priority,
        DefaultTolerationSeconds,
        "PodTolerationRestriction",
        "EventRateLimit",
        "ExtendedResourceToleration",
        DefaultStorageClass,
        "StorageObjectInUseProtection",
        "OwnerReferencesPermissionEnforcement",
        "PersistentVolumeClaimResize",
        "RuntimeClass",
        "CertificateApproval",
        "CertificateSigning",
        "ClusterTrustBundleAttest",
        "CertificateSubjectRestriction",
        "DefaultIngressClass",
        "DenyServiceExternalIPs",
        "PodTopologyLabels",
        "MutatingAdmissionPolicy",
        // Webhooks, quota and deny go last, as in kube-apiserver.
        MutatingAdmissionWebhook,
        "ValidatingAdmissionPolicy",
        ValidatingAdmissionWebhook,
        ResourceQuota,
        AlwaysDeny,
    ];

    /// <summary>The plugins kube-apiserver enables when no flag says otherwise.</summary>
    public static readonly IReadOnlySet<string> DefaultOn = new HashSet<string>(StringComparer.Ordinal)
    {
        NamespaceLifecycle,
        LimitRanger,
        ServiceAccount,
        DefaultStorageClass,
        "PersistentVolumeClaimResize",
        DefaultTolerationSeconds,
        MutatingAdmissionWebhook,
        ValidatingAdmissionWebhook,
        ResourceQuota,
        "StorageObjectInUseProtection",
        Priority,
        "TaintNodesByCondition",
        "RuntimeClass",
        "CertificateApproval",
        "CertificateSigning",
        "ClusterTrustBundleAttest",
        "CertificateSubjectRestriction",
        "DefaultIngressClass",
        "PodSecurity",
        "PodTopologyLabels",
        "MutatingAdmissionPolicy",
        "ValidatingAdmissionPolicy",
    };

    /// <summary>
    /// The problems kube-apiserver reports for the admission flags (k8s.io/apiserver
    /// pkg/server/options/admission.go Validate), each as it words them.
    /// </summary>
    public static IReadOnlyList<string> Validate(IReadOnlyCollection<string> enable, IReadOnlyCollection<string> disable)
    {
        var errors = new List<string>();
        var known = RecommendedOrder.ToHashSet(StringComparer.Ordinal);
        errors.AddRange(enable.Where(n => !known.Contains(n)).Select(n => $"enable-admission-plugins plugin \"{n}\" is unknown"));
        errors.AddRange(disable.Where(n => !known.Contains(n)).Select(n => $"disable-admission-plugins plugin \"{n}\" is unknown"));
        var overlap = enable.Intersect(disable, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (overlap.Length > 0)
        {
            errors.Add($"[{string.Join(' ', overlap)}] in enable-admission-plugins and disable-admission-plugins overlapped");
        }

        return errors;
    }

    /// <summary>
    /// The enabled plugin names in run order: the default-on set plus <paramref name="enable"/>, minus
    /// <paramref name="disable"/>. With <paramref name="replace"/> (the deprecated --admission-control)
    /// exactly those plugins run.
    /// </summary>
    public static IReadOnlyList<string> Enabled(IReadOnlyCollection<string> enable, IReadOnlyCollection<string> disable, IReadOnlyCollection<string>? replace = null)
    {
        if (replace is { Count: > 0 })
        {
            return RecommendedOrder.Where(replace.Contains).ToArray();
        }

        var off = RecommendedOrder.Where(n => !DefaultOn.Contains(n)).Concat(disable).ToHashSet(StringComparer.Ordinal);
        off.ExceptWith(enable);
        return RecommendedOrder.Where(n => !off.Contains(n)).ToArray();
    }

    /// <summary>A plugin's place in the order; unknown names (test plugins) go after every known one.</summary>
    public static int OrderOf(string name)
    {
        for (var i = 0; i < RecommendedOrder.Count; i++)
        {
            if (RecommendedOrder[i] == name)
            {
                return i;
            }
        }

        return int.MaxValue;
    }
}
