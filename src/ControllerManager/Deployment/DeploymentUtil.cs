using System.Globalization;
using System.Text;
using ControllerManager.Common;
using k8s.Models;

namespace ControllerManager.Deployment;

/// <summary>kube's pkg/controller/deployment/util: revisions and annotations, the template hash, surge and unavailability, replica counts, conditions.</summary>
internal static class DeploymentUtil
{
    public const string RevisionAnnotation = "deployment.kubernetes.io/revision";
    public const string RevisionHistoryAnnotation = "deployment.kubernetes.io/revision-history";
    public const string DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas";
    public const string MaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas";
    public const string RollbackToAnnotation = "deprecated.deployment.rollback.to";
    public const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";
    public const string PodTemplateHashLabel = "pod-template-hash";

    public const string NewReplicaSetReason = "NewReplicaSetCreated";
    public const string FoundNewReplicaSetReason = "FoundNewReplicaSet";
    public const string ReplicaSetUpdatedReason = "ReplicaSetUpdated";
    public const string NewRsAvailableReason = "NewReplicaSetAvailable";
    public const string TimedOutReason = "ProgressDeadlineExceeded";
    public const string PausedReason = "DeploymentPaused";
    public const string ResumedReason = "DeploymentResumed";
    public const string MinimumReplicasAvailable = "MinimumReplicasAvailable";
    public const string MinimumReplicasUnavailable = "MinimumReplicasUnavailable";
    public const string FailedRsCreateReason = "ReplicaSetCreateError";

    /// <summary>Annotations a deployment does not pass to its replica sets (kube's annotationsToSkip).</summary>
    private static readonly HashSet<string> AnnotationsToSkip = new(StringComparer.Ordinal)
    {
        LastAppliedAnnotation, RevisionAnnotation, RevisionHistoryAnnotation, DesiredReplicasAnnotation, MaxReplicasAnnotation, RollbackToAnnotation,
    };

    private const string SafeAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    public static int Replicas(V1Deployment d) => d.Spec.Replicas ?? 1;

    public static int Replicas(V1ReplicaSet? rs) => rs?.Spec?.Replicas ?? 0;

    public static bool IsRollingUpdate(V1Deployment d) => d.Spec.Strategy?.Type != "Recreate";

    /// <summary>
    /// kube's ComputeHash: FNV-32a over the template and the collision count, encoded with
    /// SafeEncodeString. kube hashes a Go printout of its struct, which a C# program cannot
    /// reproduce; this hashes the template's canonical JSON instead, so the values differ from
    /// kube's but have their form, stability and collision handling.
    /// </summary>
    public static string ComputeHash(V1PodTemplateSpec template, int? collisionCount)
    {
        const uint offset = 2166136261;
        const uint prime = 16777619;
        var hash = offset;
        foreach (var b in Encoding.UTF8.GetBytes(ObjectCopy.Canonical(template)))
        {
            hash ^= b;
            hash *= prime;
        }

        if (collisionCount is { } count)
        {
            foreach (var b in BitConverter.GetBytes((uint)count))
            {
                hash ^= b;
                hash *= prime;
            }
        }

        var text = hash.ToString(CultureInfo.InvariantCulture);
        var encoded = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            encoded.Append(SafeAlphabet[c % SafeAlphabet.Length]);
        }

        return encoded.ToString();
    }

    /// <summary>Whether two templates are the same apart from the pod-template-hash label (EqualIgnoreHash).</summary>
    public static bool EqualIgnoreHash(V1PodTemplateSpec? a, V1PodTemplateSpec? b) =>
        ObjectCopy.Canonical(WithoutHash(a)) == ObjectCopy.Canonical(WithoutHash(b));

    private static V1PodTemplateSpec? WithoutHash(V1PodTemplateSpec? template)
    {
        if (template?.Metadata?.Labels is not { } labels || !labels.ContainsKey(PodTemplateHashLabel))
        {
            return template;
        }

        var copy = ObjectCopy.Clone(template);
        copy.Metadata.Labels.Remove(PodTemplateHashLabel);
        return copy;
    }

    public static long Revision(V1ObjectMeta? meta) =>
        meta?.Annotations?.TryGetValue(RevisionAnnotation, out var text) == true && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;

    public static string? AnnotationOf(V1ObjectMeta? meta, string name) =>
        meta?.Annotations is { } annotations && annotations.TryGetValue(name, out var value) ? value : null;

    public static int? IntAnnotation(V1ReplicaSet rs, string name) =>
        rs.Metadata?.Annotations?.TryGetValue(name, out var text) == true && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : null;

    /// <summary>Resolves an int-or-percent against <paramref name="total"/> (intstr.GetScaledValueFromIntOrPercent).</summary>
    public static int Scaled(IntOrString? value, int total, bool roundUp, string fallback)
    {
        var text = value?.Value ?? fallback;
        if (text.EndsWith('%'))
        {
            var percent = int.Parse(text[..^1], CultureInfo.InvariantCulture);
            var exact = percent * (double)total / 100;
            return roundUp ? (int)Math.Ceiling(exact) : (int)Math.Floor(exact);
        }

        return int.Parse(text, CultureInfo.InvariantCulture);
    }

    /// <summary>kube's ResolveFenceposts: surge rounds up, unavailability down, and both zero means one unavailable.</summary>
    public static (int Surge, int Unavailable) ResolveFenceposts(V1Deployment d)
    {
        var rolling = d.Spec.Strategy?.RollingUpdate;
        var replicas = Replicas(d);
        var surge = Scaled(rolling?.MaxSurge, replicas, true, "25%");
        var unavailable = Scaled(rolling?.MaxUnavailable, replicas, false, "25%");
        if (surge == 0 && unavailable == 0)
        {
            unavailable = 1;
        }

        return (surge, unavailable);
    }

    public static int MaxSurge(V1Deployment d) => IsRollingUpdate(d) ? ResolveFenceposts(d).Surge : 0;

    public static int MaxUnavailable(V1Deployment d)
    {
        if (!IsRollingUpdate(d) || Replicas(d) == 0)
        {
            return 0;
        }

        return Math.Min(ResolveFenceposts(d).Unavailable, Replicas(d));
    }

    public static int ReplicaCount(IEnumerable<V1ReplicaSet?> sets) => sets.Sum(rs => rs?.Spec?.Replicas ?? 0);

    public static int ActualReplicaCount(IEnumerable<V1ReplicaSet?> sets) => sets.Sum(rs => rs?.Status?.Replicas ?? 0);

    public static int ReadyReplicaCount(IEnumerable<V1ReplicaSet?> sets) => sets.Sum(rs => rs?.Status?.ReadyReplicas ?? 0);

    public static int AvailableReplicaCount(IEnumerable<V1ReplicaSet?> sets) => sets.Sum(rs => rs?.Status?.AvailableReplicas ?? 0);

    public static List<V1ReplicaSet> Active(IEnumerable<V1ReplicaSet?> sets) => [.. sets.OfType<V1ReplicaSet>().Where(rs => Replicas(rs) > 0)];

    /// <summary>Oldest first, then by name (ReplicaSetsByCreationTimestamp).</summary>
    public static List<V1ReplicaSet> ByCreation(IEnumerable<V1ReplicaSet> sets) =>
        [.. sets.OrderBy(rs => rs.Metadata.CreationTimestamp ?? DateTime.MinValue).ThenBy(rs => rs.Metadata.Name, StringComparer.Ordinal)];

    /// <summary>The replica set whose template is the deployment's, oldest first (FindNewReplicaSet).</summary>
    public static V1ReplicaSet? FindNew(V1Deployment d, IEnumerable<V1ReplicaSet> sets) =>
        ByCreation(sets).FirstOrDefault(rs => EqualIgnoreHash(rs.Spec.Template, d.Spec.Template));

    /// <summary>Sets a replica set's desired-replicas and max-replicas annotations; true when they changed.</summary>
    public static bool SetReplicasAnnotations(V1ReplicaSet rs, int desired, int max)
    {
        rs.Metadata.Annotations ??= new Dictionary<string, string>();
        var changed = false;
        foreach (var (key, value) in new[] { (DesiredReplicasAnnotation, desired), (MaxReplicasAnnotation, max) })
        {
            var text = value.ToString(CultureInfo.InvariantCulture);
            if (!rs.Metadata.Annotations.TryGetValue(key, out var current) || current != text)
            {
                rs.Metadata.Annotations[key] = text;
                changed = true;
            }
        }

        return changed;
    }

    /// <summary>
    /// kube's SetNewReplicaSetAnnotations: the deployment's annotations (but kube's own), the new
    /// revision (the old one moving to revision-history when a replica set comes back), and the
    /// replicas annotations. True when anything changed.
    /// </summary>
    public static bool SetNewReplicaSetAnnotations(V1Deployment d, V1ReplicaSet rs, string newRevision, bool exists)
    {
        rs.Metadata.Annotations ??= new Dictionary<string, string>();
        var changed = false;
        foreach (var (key, value) in d.Metadata.Annotations ?? new Dictionary<string, string>())
        {
            if (!AnnotationsToSkip.Contains(key) && (!rs.Metadata.Annotations.TryGetValue(key, out var current) || current != value))
            {
                rs.Metadata.Annotations[key] = value;
                changed = true;
            }
        }

        var oldRevision = rs.Metadata.Annotations.TryGetValue(RevisionAnnotation, out var o) ? o : "";
        if (long.TryParse(oldRevision, out var oldNumber) && long.TryParse(newRevision, out var newNumber) && oldNumber >= newNumber)
        {
            // Never lower a replica set's revision.
        }
        else if (oldRevision != newRevision)
        {
            rs.Metadata.Annotations[RevisionAnnotation] = newRevision;
            changed = true;
            if (oldRevision.Length > 0)
            {
                rs.Metadata.Annotations[RevisionHistoryAnnotation] = rs.Metadata.Annotations.TryGetValue(RevisionHistoryAnnotation, out var history) && history.Length > 0
                    ? history + "," + oldRevision
                    : oldRevision;
            }
        }

        if (!exists && SetReplicasAnnotations(rs, Replicas(d), Replicas(d) + MaxSurge(d)))
        {
            changed = true;
        }

        return changed;
    }

    /// <summary>How many replicas the new replica set should have now (NewRSNewReplicas).</summary>
    public static int NewReplicaSetReplicas(V1Deployment d, IEnumerable<V1ReplicaSet?> all, V1ReplicaSet? newRs)
    {
        if (!IsRollingUpdate(d))
        {
            return Replicas(d);
        }

        var maxTotal = Replicas(d) + MaxSurge(d);
        var current = ReplicaCount(all);
        if (current >= maxTotal)
        {
            return Replicas(newRs);
        }

        var scaleUp = Math.Min(maxTotal - current, Replicas(d) - Replicas(newRs));
        return Replicas(newRs) + scaleUp;
    }

    /// <summary>Whether the deployment has rolled out completely (DeploymentComplete).</summary>
    public static bool IsComplete(V1Deployment d, V1DeploymentStatus status) =>
        (status.UpdatedReplicas ?? 0) == Replicas(d) && (status.Replicas ?? 0) == Replicas(d)
        && (status.AvailableReplicas ?? 0) == Replicas(d) && (status.ObservedGeneration ?? 0) >= (d.Metadata.Generation ?? 0);

    /// <summary>Whether the new status shows progress over the deployment's current one (DeploymentProgressing).</summary>
    public static bool IsProgressing(V1Deployment d, V1DeploymentStatus status)
    {
        var old = d.Status ?? new V1DeploymentStatus();
        var oldOld = (old.Replicas ?? 0) - (old.UpdatedReplicas ?? 0);
        var newOld = (status.Replicas ?? 0) - (status.UpdatedReplicas ?? 0);
        return (status.UpdatedReplicas ?? 0) > (old.UpdatedReplicas ?? 0) || newOld < oldOld
            || (status.ReadyReplicas ?? 0) > (old.ReadyReplicas ?? 0) || (status.AvailableReplicas ?? 0) > (old.AvailableReplicas ?? 0);
    }

    public static bool HasProgressDeadline(V1Deployment d) => d.Spec.ProgressDeadlineSeconds is { } s && s != int.MaxValue;

    /// <summary>Whether the rollout ran past progressDeadlineSeconds since it last progressed (DeploymentTimedOut).</summary>
    public static bool TimedOut(V1Deployment d, V1DeploymentStatus status, DateTime now)
    {
        if (!HasProgressDeadline(d) || Condition(status, "Progressing") is not { } condition)
        {
            return false;
        }

        if (condition.Reason == NewRsAvailableReason)
        {
            return false;
        }

        if (condition.Reason == TimedOutReason)
        {
            return true;
        }

        var from = condition.LastUpdateTime ?? condition.LastTransitionTime ?? now;
        return from.AddSeconds(d.Spec.ProgressDeadlineSeconds!.Value) < now;
    }

    public static V1DeploymentCondition? Condition(V1DeploymentStatus? status, string type) => status?.Conditions?.FirstOrDefault(c => c.Type == type);

    public static V1DeploymentCondition NewCondition(string type, string status, string reason, string message, DateTime now) =>
        new() { Type = type, Status = status, Reason = reason, Message = message, LastUpdateTime = now, LastTransitionTime = now };

    /// <summary>kube's SetDeploymentCondition: a condition with the same status and reason is kept; a status that stays keeps its transition time.</summary>
    public static void SetCondition(V1DeploymentStatus status, V1DeploymentCondition condition)
    {
        status.Conditions ??= [];
        var current = status.Conditions.FirstOrDefault(c => c.Type == condition.Type);
        if (current is not null && current.Status == condition.Status && current.Reason == condition.Reason)
        {
            return;
        }

        if (current is not null && current.Status == condition.Status)
        {
            condition.LastTransitionTime = current.LastTransitionTime;
        }

        status.Conditions = [.. status.Conditions.Where(c => c.Type != condition.Type), condition];
    }

    public static void RemoveCondition(V1DeploymentStatus status, string type)
    {
        if (status.Conditions is not null)
        {
            status.Conditions = [.. status.Conditions.Where(c => c.Type != type)];
        }
    }
}
