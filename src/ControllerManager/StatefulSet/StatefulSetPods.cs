using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ControllerManager.Common;
using k8s;
using k8s.Models;

namespace ControllerManager.StatefulSet;

/// <summary>
/// A StatefulSet's pods and claims as kube's stateful_set_utils.go describes them: ordinal names
/// (&lt;set&gt;-N), the identity labels, hostname and subdomain, the claims from volumeClaimTemplates
/// (&lt;claim&gt;-&lt;set&gt;-N), the pod states the controller waits on, and the revision a pod was made from.
/// </summary>
internal static partial class StatefulSetPods
{
    /// <summary>apps.StatefulSetPodNameLabel.</summary>
    public const string PodNameLabel = "statefulset.kubernetes.io/pod-name";

    /// <summary>apps.PodIndexLabel (on by default since kube 1.28, GA in 1.32).</summary>
    public const string PodIndexLabel = "apps.kubernetes.io/pod-index";

    [GeneratedRegex("^(.*)-([0-9]+)$")]
    private static partial Regex OrdinalName();

    /// <summary>getParentNameAndOrdinal: the set's name and the ordinal, or ("", -1) for a name without one.</summary>
    public static (string Parent, int Ordinal) ParentAndOrdinal(V1Pod pod)
    {
        var match = OrdinalName().Match(pod.Metadata?.Name ?? "");
        return match.Success && int.TryParse(match.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var ordinal)
            ? (match.Groups[1].Value, ordinal)
            : ("", -1);
    }

    public static int Ordinal(V1Pod pod) => ParentAndOrdinal(pod).Ordinal;

    public static bool IsMemberOf(V1StatefulSet set, V1Pod pod) => ParentAndOrdinal(pod).Parent == set.Metadata.Name;

    public static string PodName(V1StatefulSet set, int ordinal) => $"{set.Metadata.Name}-{ordinal.ToString(CultureInfo.InvariantCulture)}";

    public static string ClaimName(V1StatefulSet set, V1PersistentVolumeClaim template, int ordinal) =>
        $"{template.Metadata.Name}-{set.Metadata.Name}-{ordinal.ToString(CultureInfo.InvariantCulture)}";

    public static int Replicas(V1StatefulSet set) => set.Spec.Replicas ?? 1;

    /// <summary>spec.ordinals.start (0 unless set).</summary>
    public static int StartOrdinal(V1StatefulSet set) => set.Spec.Ordinals?.Start ?? 0;

    public static int EndOrdinal(V1StatefulSet set) => StartOrdinal(set) + Replicas(set) - 1;

    public static bool InOrdinalRange(V1StatefulSet set, V1Pod pod)
    {
        var ordinal = Ordinal(pod);
        return ordinal >= StartOrdinal(set) && ordinal <= EndOrdinal(set);
    }

    public static bool AllowsBurst(V1StatefulSet set) => set.Spec.PodManagementPolicy == "Parallel";

    /// <summary>isCreated: the server has given the pod a phase.</summary>
    public static bool IsCreated(V1Pod pod) => !string.IsNullOrEmpty(pod.Status?.Phase);

    public static bool IsPending(V1Pod pod) => pod.Status?.Phase == "Pending";

    public static bool IsFailed(V1Pod pod) => pod.Status?.Phase == "Failed";

    public static bool IsSucceeded(V1Pod pod) => pod.Status?.Phase == "Succeeded";

    public static bool IsTerminating(V1Pod pod) => pod.Metadata.DeletionTimestamp is not null;

    public static bool IsRunningAndReady(V1Pod pod) => pod.Status?.Phase == "Running" && Pods.IsReady(pod);

    public static bool IsRunningAndAvailable(V1Pod pod, int minReadySeconds, DateTime now) =>
        pod.Status?.Phase == "Running" && Pods.IsAvailable(pod, minReadySeconds, now);

    /// <summary>isUnavailable: not running and available, or on its way out.</summary>
    public static bool IsUnavailable(V1Pod pod, int minReadySeconds, DateTime now) =>
        !IsRunningAndAvailable(pod, minReadySeconds, now) || IsTerminating(pod);

    public static string Revision(V1Pod pod) => pod.Metadata.Labels.ValueOf(ControllerRevisions.ControllerRevisionHashLabel) ?? "";

    /// <summary>identityMatches: the name, namespace and identity labels the pod's ordinal calls for.</summary>
    public static bool IdentityMatches(V1StatefulSet set, V1Pod pod)
    {
        var (parent, ordinal) = ParentAndOrdinal(pod);
        var labels = pod.Metadata.Labels;
        return ordinal >= 0 && parent == set.Metadata.Name && pod.Metadata.Name == PodName(set, ordinal)
            && pod.Metadata.NamespaceProperty == set.Metadata.NamespaceProperty
            && labels.ValueOf(PodNameLabel) == pod.Metadata.Name
            && labels.ValueOf(PodIndexLabel) == ordinal.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The identity labels a pod of <paramref name="ordinal"/> carries (updateIdentity).</summary>
    public static Dictionary<string, string> IdentityLabels(V1StatefulSet set, int ordinal) => new(StringComparer.Ordinal)
    {
        [PodNameLabel] = PodName(set, ordinal),
        [PodIndexLabel] = ordinal.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>getPersistentVolumeClaims: the claims of the pod at <paramref name="ordinal"/>, by template name, labelled with the set's selector.</summary>
    public static List<(string Volume, V1PersistentVolumeClaim Claim)> Claims(V1StatefulSet set, int ordinal)
    {
        var claims = new List<(string, V1PersistentVolumeClaim)>();
        foreach (var template in set.Spec.VolumeClaimTemplates ?? [])
        {
            var claim = ObjectCopy.Clone(template);
            claim.ApiVersion = "v1";
            claim.Kind = "PersistentVolumeClaim";
            claim.Metadata ??= new V1ObjectMeta();
            claim.Metadata.Name = ClaimName(set, template, ordinal);
            claim.Metadata.NamespaceProperty = set.Metadata.NamespaceProperty;
            var labels = new Dictionary<string, string>(claim.Metadata.Labels ?? new Dictionary<string, string>());
            foreach (var (key, value) in set.Spec.Selector?.MatchLabels ?? new Dictionary<string, string>())
            {
                labels[key] = value;
            }

            claim.Metadata.Labels = labels;
            claim.Status = null;
            claims.Add((template.Metadata.Name, claim));
        }

        return claims;
    }

    /// <summary>newStatefulSetPod: the pod at <paramref name="ordinal"/> from the set's template, with its identity and its claims' volumes.</summary>
    public static V1Pod NewPod(V1StatefulSet set, int ordinal)
    {
        var controllerRef = OwnerReferences.NewControllerRef(set.Metadata, "apps/v1", "StatefulSet");
        var pod = PodControl.FromTemplate(set.Spec.Template, set.Metadata, controllerRef);
        pod.Metadata.Name = PodName(set, ordinal);
        var labels = new Dictionary<string, string>(pod.Metadata.Labels ?? new Dictionary<string, string>());
        foreach (var (key, value) in IdentityLabels(set, ordinal))
        {
            labels[key] = value;
        }

        pod.Metadata.Labels = labels;
        pod.Spec.Hostname = pod.Metadata.Name;
        if (!string.IsNullOrEmpty(set.Spec.ServiceName))
        {
            pod.Spec.Subdomain = set.Spec.ServiceName;
        }

        // updateStorage: one volume per claim template, replacing a template volume of the same name.
        var claims = Claims(set, ordinal);
        var volumes = claims.Select(c => new V1Volume
        {
            Name = c.Volume,
            PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = c.Claim.Metadata.Name, ReadOnlyProperty = false },
        }).ToList();
        volumes.AddRange((pod.Spec.Volumes ?? []).Where(v => claims.All(c => c.Volume != v.Name)));
        pod.Spec.Volumes = volumes.Count > 0 ? volumes : null;
        return pod;
    }

    /// <summary>newVersionedStatefulSetPod: ordinals below the partition keep the current revision, the others get the update revision.</summary>
    public static V1Pod NewVersionedPod(V1StatefulSet currentSet, V1StatefulSet updateSet, string currentRevision, string updateRevision, int ordinal)
    {
        var strategy = currentSet.Spec.UpdateStrategy;
        var isRolling = strategy?.Type is "RollingUpdate" or null;
        var useCurrent = (isRolling && strategy?.RollingUpdate is null && ordinal < StartOrdinal(currentSet) + (currentSet.Status?.CurrentReplicas ?? 0))
            || (strategy?.RollingUpdate is { } rolling && ordinal < StartOrdinal(currentSet) + (rolling.Partition ?? 0));
        var pod = NewPod(useCurrent ? currentSet : updateSet, ordinal);
        pod.Metadata.Labels[ControllerRevisions.ControllerRevisionHashLabel] = useCurrent ? currentRevision : updateRevision;
        return pod;
    }

    /// <summary>ApplyRevision: the set with the template the revision restores.</summary>
    public static V1StatefulSet ApplyRevision(V1StatefulSet set, V1ControllerRevision revision)
    {
        var clone = ObjectCopy.Clone(set);
        if (ControllerRevisions.DataOf(revision)?["spec"]?["template"] is JsonObject template)
        {
            var copy = (JsonObject)template.DeepClone();
            copy.Remove("$patch");
            clone.Spec.Template = KubernetesJson.Deserialize<V1PodTemplateSpec>(copy.ToJsonString());
        }

        return clone;
    }

    /// <summary>computeReplicaStatus over the given pods (replicas, ready, available, current, updated).</summary>
    public static void CountReplicas(V1StatefulSetStatus status, IEnumerable<V1Pod> pods, int minReadySeconds, string currentRevision, string updateRevision, DateTime now)
    {
        status.Replicas = 0;
        status.ReadyReplicas = 0;
        status.AvailableReplicas = 0;
        status.CurrentReplicas = 0;
        status.UpdatedReplicas = 0;
        foreach (var pod in pods)
        {
            if (IsCreated(pod))
            {
                status.Replicas++;
            }

            if (IsRunningAndReady(pod))
            {
                status.ReadyReplicas++;
                if (IsRunningAndAvailable(pod, minReadySeconds, now))
                {
                    status.AvailableReplicas++;
                }
            }

            if (IsCreated(pod) && !IsTerminating(pod))
            {
                var revision = Revision(pod);
                if (revision == currentRevision)
                {
                    status.CurrentReplicas++;
                }

                if (revision == updateRevision)
                {
                    status.UpdatedReplicas++;
                }
            }
        }
    }
}
