using ClientTools.Logging;
using k8s.Models;
using static ControllerManager.Deployment.DeploymentUtil;

namespace ControllerManager.Deployment;

/// <summary>Scaling, status and progress (kube's sync.go and progress.go).</summary>
internal sealed partial class DeploymentController
{
    /// <summary>Scaling and pruning only: for paused deployments and scaling events (sync).</summary>
    private async Task SyncAsync(V1Deployment d, List<V1ReplicaSet> sets, CancellationToken cancellationToken)
    {
        var (newRs, oldSets) = await AllReplicaSetsAsync(d, sets, create: false, cancellationToken).ConfigureAwait(false);
        (newRs, oldSets) = await ScaleAsync(d, newRs, oldSets, cancellationToken).ConfigureAwait(false);
        if (d.Spec.Paused == true)
        {
            await CleanupAsync(oldSets, d, cancellationToken).ConfigureAwait(false);
        }

        await SyncDeploymentStatusAsync([.. oldSets, newRs], newRs, d, cancellationToken).ConfigureAwait(false);
    }

    private async Task SyncStatusOnlyAsync(V1Deployment d, List<V1ReplicaSet> sets, CancellationToken cancellationToken)
    {
        var (newRs, oldSets) = await AllReplicaSetsAsync(d, sets, create: false, cancellationToken).ConfigureAwait(false);
        await SyncDeploymentStatusAsync([.. oldSets, newRs], newRs, d, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// kube's scale: one active replica set takes the whole size; a saturated new one lets the old go
    /// to zero; during a rolling update, new replicas (up to maxSurge) are spread over the active
    /// replica sets in proportion to their size, the rounding leftovers going to the largest.
    /// </summary>
    private async Task<(V1ReplicaSet? NewRs, List<V1ReplicaSet> Old)> ScaleAsync(V1Deployment d, V1ReplicaSet? newRs, List<V1ReplicaSet> oldSets, CancellationToken cancellationToken)
    {
        var byName = new Dictionary<string, V1ReplicaSet>(StringComparer.Ordinal);
        foreach (var rs in oldSets)
        {
            byName[rs.Metadata.Name] = rs;
        }

        if (newRs is not null)
        {
            byName[newRs.Metadata.Name] = newRs;
        }

        async Task Scale(V1ReplicaSet rs, int size)
        {
            var (_, updated) = await ScaleReplicaSetAsync(rs, size, d, cancellationToken).ConfigureAwait(false);
            byName[rs.Metadata.Name] = updated;
        }

        (V1ReplicaSet?, List<V1ReplicaSet>) Result() =>
            (newRs is null ? null : byName[newRs.Metadata.Name], [.. oldSets.Select(rs => byName[rs.Metadata.Name])]);

        if (ActiveOrLatest(newRs, oldSets) is { } only)
        {
            if (Replicas(only) != Replicas(d))
            {
                await Scale(only, Replicas(d)).ConfigureAwait(false);
            }

            return Result();
        }

        if (newRs is not null && IntAnnotation(newRs, DesiredReplicasAnnotation) == Replicas(d)
            && (newRs.Status?.AvailableReplicas ?? 0) == Replicas(d) && Replicas(newRs) == Replicas(d))
        {
            foreach (var rs in Active(oldSets))
            {
                await Scale(rs, 0).ConfigureAwait(false);
            }

            return Result();
        }

        if (IsRollingUpdate(d))
        {
            var active = Active([.. oldSets, newRs]);
            var allowed = Replicas(d) > 0 ? Replicas(d) + MaxSurge(d) : 0;
            var toAdd = allowed - ReplicaCount(active);
            active = toAdd > 0
                ? [.. active.OrderByDescending(Replicas).ThenByDescending(rs => rs.Metadata.CreationTimestamp)]
                : [.. active.OrderByDescending(Replicas).ThenBy(rs => rs.Metadata.CreationTimestamp)];
            var sizes = new Dictionary<string, int>(StringComparer.Ordinal);
            var added = 0;
            foreach (var rs in active)
            {
                var proportion = toAdd != 0 ? Proportion(rs, d, toAdd, added) : 0;
                sizes[rs.Metadata.Name] = Replicas(rs) + proportion;
                added += proportion;
            }

            if (toAdd != 0 && active.Count > 0)
            {
                var first = active[0].Metadata.Name;
                sizes[first] = Math.Max(0, sizes[first] + (toAdd - added));
            }

            foreach (var rs in active)
            {
                await Scale(rs, sizes[rs.Metadata.Name]).ConfigureAwait(false);
            }
        }

        return Result();
    }

    private static V1ReplicaSet? ActiveOrLatest(V1ReplicaSet? newRs, List<V1ReplicaSet> oldSets)
    {
        var newestFirst = ByCreation(oldSets);
        newestFirst.Reverse();
        var active = Active([.. newestFirst, newRs]);
        return active.Count switch
        {
            0 => newRs ?? newestFirst.FirstOrDefault(),
            1 => active[0],
            _ => null,
        };
    }

    /// <summary>A replica set's share of a scaling, from its max-replicas annotation (GetProportion).</summary>
    private static int Proportion(V1ReplicaSet rs, V1Deployment d, int toAdd, int added)
    {
        if (Replicas(rs) == 0 || toAdd == 0 || toAdd == added)
        {
            return 0;
        }

        int fraction;
        if (Replicas(d) == 0)
        {
            fraction = -Replicas(rs);
        }
        else
        {
            var deploymentReplicas = Replicas(d) + MaxSurge(d);
            var annotated = IntAnnotation(rs, MaxReplicasAnnotation) ?? d.Status?.Replicas ?? 0;
            fraction = annotated == 0 ? 0 : (int)Math.Round((double)Replicas(rs) * deploymentReplicas / annotated, MidpointRounding.AwayFromZero) - Replicas(rs);
        }

        var allowed = toAdd - added;
        return toAdd > 0 ? Math.Min(fraction, allowed) : Math.Max(fraction, allowed);
    }

    /// <summary>kube's calculateStatus: the counts over the replica sets and the Available condition.</summary>
    private V1DeploymentStatus CalculateStatus(List<V1ReplicaSet?> all, V1ReplicaSet? newRs, V1Deployment d)
    {
        var available = AvailableReplicaCount(all);
        var status = new V1DeploymentStatus
        {
            ObservedGeneration = d.Metadata.Generation,
            Replicas = ActualReplicaCount(all),
            UpdatedReplicas = ActualReplicaCount([newRs]),
            ReadyReplicas = ReadyReplicaCount(all),
            AvailableReplicas = available,
            UnavailableReplicas = Math.Max(0, ReplicaCount(all) - available),
            CollisionCount = d.Status?.CollisionCount,
            Conditions = d.Status?.Conditions is { } conditions ? [.. conditions.Select(ObjectCopyOf)] : null,
        };
        SetCondition(status, available >= Replicas(d) - MaxUnavailable(d)
            ? NewCondition("Available", "True", MinimumReplicasAvailable, "Deployment has minimum availability.", Now)
            : NewCondition("Available", "False", MinimumReplicasUnavailable, "Deployment does not have minimum availability.", Now));
        return status;
    }

    private static V1DeploymentCondition ObjectCopyOf(V1DeploymentCondition c) => new()
    {
        Type = c.Type, Status = c.Status, Reason = c.Reason, Message = c.Message, LastUpdateTime = c.LastUpdateTime, LastTransitionTime = c.LastTransitionTime,
    };

    private async Task SyncDeploymentStatusAsync(List<V1ReplicaSet?> all, V1ReplicaSet? newRs, V1Deployment d, CancellationToken cancellationToken)
    {
        var status = CalculateStatus(all, newRs, d);
        if (SameStatus(d.Status, status))
        {
            return;
        }

        d.Status = status;
        await WriteStatusAsync(d, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The status with the Progressing condition kept up to date against progressDeadlineSeconds (syncRolloutStatus).</summary>
    private async Task SyncRolloutStatusAsync(List<V1ReplicaSet?> all, V1ReplicaSet? newRs, V1Deployment d, CancellationToken cancellationToken)
    {
        var status = CalculateStatus(all, newRs, d);
        if (!HasProgressDeadline(d))
        {
            RemoveCondition(status, "Progressing");
        }

        var current = Condition(status, "Progressing");
        var complete = status.Replicas == status.UpdatedReplicas && current?.Reason == NewRsAvailableReason;
        if (HasProgressDeadline(d) && !complete)
        {
            var name = newRs?.Metadata.Name ?? "";
            if (IsComplete(d, status))
            {
                SetCondition(status, NewCondition("Progressing", "True", NewRsAvailableReason, $"ReplicaSet \"{name}\" has successfully progressed.", Now));
            }
            else if (IsProgressing(d, status))
            {
                var condition = NewCondition("Progressing", "True", ReplicaSetUpdatedReason, $"ReplicaSet \"{name}\" is progressing.", Now);
                if (current?.Status == "True")
                {
                    condition.LastTransitionTime = current.LastTransitionTime;
                }

                RemoveCondition(status, "Progressing");
                SetCondition(status, condition);
            }
            else if (TimedOut(d, status, Now))
            {
                SetCondition(status, NewCondition("Progressing", "False", TimedOutReason, $"ReplicaSet \"{name}\" has timed out progressing.", Now));
            }
        }

        var failure = all.OfType<V1ReplicaSet>().SelectMany(rs => rs.Status?.Conditions ?? []).FirstOrDefault(c => c.Type == "ReplicaFailure");
        if (failure is not null)
        {
            SetCondition(status, new V1DeploymentCondition
            {
                Type = "ReplicaFailure", Status = failure.Status, Reason = failure.Reason, Message = failure.Message,
                LastUpdateTime = failure.LastTransitionTime, LastTransitionTime = failure.LastTransitionTime,
            });
        }
        else
        {
            RemoveCondition(status, "ReplicaFailure");
        }

        if (SameStatus(d.Status, status))
        {
            RequeueStuck(d, status);
            return;
        }

        d.Status = status;
        await WriteStatusAsync(d, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A rollout that has not progressed is looked at again when its deadline passes (requeueStuckDeployment).</summary>
    private void RequeueStuck(V1Deployment d, V1DeploymentStatus status)
    {
        var current = Condition(status, "Progressing");
        if (!HasProgressDeadline(d) || current is null || current.Reason == NewRsAvailableReason || current.Reason == TimedOutReason || IsComplete(d, status))
        {
            return;
        }

        var after = (current.LastUpdateTime ?? Now).AddSeconds(d.Spec.ProgressDeadlineSeconds!.Value) - Now;
        var key = ClientTools.Cache.ObjectKeys.KeyOf(d);
        if (after < TimeSpan.FromSeconds(1))
        {
            Klog.Info(4, $"Queueing up deployment {key} for a progress check now");
            Enqueue(key);
        }
        else
        {
            Queue.AddAfter(key, after);
        }
    }

    private static bool SameStatus(V1DeploymentStatus? a, V1DeploymentStatus b)
    {
        if (a is null)
        {
            return false;
        }

        if (a.ObservedGeneration != b.ObservedGeneration || (a.Replicas ?? 0) != (b.Replicas ?? 0) || (a.UpdatedReplicas ?? 0) != (b.UpdatedReplicas ?? 0)
            || (a.ReadyReplicas ?? 0) != (b.ReadyReplicas ?? 0) || (a.AvailableReplicas ?? 0) != (b.AvailableReplicas ?? 0)
            || (a.UnavailableReplicas ?? 0) != (b.UnavailableReplicas ?? 0) || a.CollisionCount != b.CollisionCount)
        {
            return false;
        }

        var ca = a.Conditions ?? [];
        var cb = b.Conditions ?? [];
        return ca.Count == cb.Count && ca.All(x => cb.Any(y => y.Type == x.Type && y.Status == x.Status && y.Reason == x.Reason
            && y.Message == x.Message && y.LastUpdateTime == x.LastUpdateTime));
    }
}
