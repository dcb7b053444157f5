using ClientTools.Cache;
using ControllerManager.Common;
using k8s;
using k8s.Models;
using static ControllerManager.Deployment.DeploymentUtil;

namespace ControllerManager.Deployment;

/// <summary>The two rollout strategies (kube's rolling.go and recreate.go).</summary>
internal sealed partial class DeploymentController
{
    private async Task RolloutRollingAsync(V1Deployment d, List<V1ReplicaSet> sets, CancellationToken cancellationToken)
    {
        var (newRs, oldSets) = await AllReplicaSetsAsync(d, sets, create: true, cancellationToken).ConfigureAwait(false);
        var all = new List<V1ReplicaSet?>(oldSets) { newRs };

        var (scaledUp, scaledNew) = await ReconcileNewReplicaSetAsync(all, newRs!, d, cancellationToken).ConfigureAwait(false);
        newRs = scaledNew;
        all = [.. oldSets, newRs];
        if (scaledUp)
        {
            await SyncRolloutStatusAsync(all, newRs, d, cancellationToken).ConfigureAwait(false);
            return;
        }

        var (scaledDown, remainingOld) = await ReconcileOldReplicaSetsAsync(all, oldSets, newRs!, d, cancellationToken).ConfigureAwait(false);
        all = [.. remainingOld, newRs];
        if (scaledDown)
        {
            await SyncRolloutStatusAsync(all, newRs, d, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (IsComplete(d, d.Status ?? new V1DeploymentStatus()))
        {
            await CleanupAsync(remainingOld, d, cancellationToken).ConfigureAwait(false);
        }

        await SyncRolloutStatusAsync(all, newRs, d, cancellationToken).ConfigureAwait(false);
    }

    private async Task<(bool, V1ReplicaSet)> ReconcileNewReplicaSetAsync(List<V1ReplicaSet?> all, V1ReplicaSet newRs, V1Deployment d, CancellationToken cancellationToken)
    {
        if (Replicas(newRs) == Replicas(d))
        {
            return (false, newRs);
        }

        var target = Replicas(newRs) > Replicas(d) ? Replicas(d) : NewReplicaSetReplicas(d, all, newRs);
        return await ScaleReplicaSetAsync(newRs, target, d, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Scales old replica sets down as far as maxUnavailable allows, unhealthy replicas first (reconcileOldReplicaSets).</summary>
    private async Task<(bool, List<V1ReplicaSet>)> ReconcileOldReplicaSetsAsync(List<V1ReplicaSet?> all, List<V1ReplicaSet> oldSets, V1ReplicaSet newRs, V1Deployment d, CancellationToken cancellationToken)
    {
        if (ReplicaCount(oldSets) == 0)
        {
            return (false, oldSets);
        }

        var allPods = ReplicaCount(all);
        var minAvailable = Replicas(d) - MaxUnavailable(d);
        var newUnavailable = Replicas(newRs) - (newRs.Status?.AvailableReplicas ?? 0);
        var maxScaledDown = allPods - minAvailable - newUnavailable;
        if (maxScaledDown <= 0)
        {
            return (false, oldSets);
        }

        // First the old replica sets' unhealthy replicas: they do not count towards availability.
        var cleaned = 0;
        var sorted = ByCreation(oldSets);
        for (var i = 0; i < sorted.Count && cleaned < maxScaledDown; i++)
        {
            var rs = sorted[i];
            var available = rs.Status?.AvailableReplicas ?? 0;
            if (Replicas(rs) == 0 || available == Replicas(rs))
            {
                continue;
            }

            var down = Math.Min(maxScaledDown - cleaned, Replicas(rs) - available);
            var (_, updated) = await ScaleReplicaSetAsync(rs, Replicas(rs) - down, d, cancellationToken).ConfigureAwait(false);
            sorted[i] = updated;
            cleaned += down;
        }

        // Then healthy replicas, as far as the available count stays at or above the minimum.
        var scaled = 0;
        var availableNow = AvailableReplicaCount([.. sorted, newRs]);
        if (availableNow > minAvailable)
        {
            var toScaleDown = availableNow - minAvailable;
            for (var i = 0; i < sorted.Count && scaled < toScaleDown; i++)
            {
                var rs = sorted[i];
                if (Replicas(rs) == 0)
                {
                    continue;
                }

                var down = Math.Min(Replicas(rs), toScaleDown - scaled);
                var (_, updated) = await ScaleReplicaSetAsync(rs, Replicas(rs) - down, d, cancellationToken).ConfigureAwait(false);
                sorted[i] = updated;
                scaled += down;
            }
        }

        return (cleaned + scaled > 0, sorted);
    }

    private async Task RolloutRecreateAsync(V1Deployment d, List<V1ReplicaSet> sets, CancellationToken cancellationToken)
    {
        var (newRs, oldSets) = await AllReplicaSetsAsync(d, sets, create: false, cancellationToken).ConfigureAwait(false);
        var scaledDown = false;
        for (var i = 0; i < oldSets.Count; i++)
        {
            if (Replicas(oldSets[i]) > 0)
            {
                var (scaled, updated) = await ScaleReplicaSetAsync(oldSets[i], 0, d, cancellationToken).ConfigureAwait(false);
                oldSets[i] = updated;
                scaledDown |= scaled;
            }
        }

        var all = new List<V1ReplicaSet?>(oldSets) { newRs };
        if (scaledDown)
        {
            await SyncRolloutStatusAsync(all, newRs, d, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (OldPodsRunning(newRs, oldSets))
        {
            await SyncRolloutStatusAsync(all, newRs, d, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (newRs is null)
        {
            (newRs, oldSets) = await AllReplicaSetsAsync(d, sets, create: true, cancellationToken).ConfigureAwait(false);
        }

        (_, newRs) = await ScaleReplicaSetAsync(newRs!, Replicas(d), d, cancellationToken).ConfigureAwait(false);
        all = [.. oldSets, newRs];
        if (IsComplete(d, d.Status ?? new V1DeploymentStatus()))
        {
            await CleanupAsync(oldSets, d, cancellationToken).ConfigureAwait(false);
        }

        await SyncRolloutStatusAsync(all, newRs, d, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether any pod of an old replica set still runs or may run (oldPodsRunning).</summary>
    private bool OldPodsRunning(V1ReplicaSet? newRs, List<V1ReplicaSet> oldSets)
    {
        if (ActualReplicaCount(oldSets) > 0)
        {
            return true;
        }

        var oldUids = oldSets.Select(rs => rs.Metadata.Uid).ToHashSet(StringComparer.Ordinal);
        return oldSets.Count > 0 && _pods.Store.ByIndex(Indexers.Namespace, oldSets[0].Metadata.NamespaceProperty)
            .Any(p => OwnerReferences.ControllerOf(p.Metadata) is { } r && oldUids.Contains(r.Uid) && r.Uid != newRs?.Metadata.Uid
                && p.Status?.Phase is not ("Failed" or "Succeeded"));
    }

    /// <summary>Deletes the oldest fully scaled-down replica sets beyond revisionHistoryLimit (cleanupDeployment).</summary>
    private async Task CleanupAsync(List<V1ReplicaSet> oldSets, V1Deployment d, CancellationToken cancellationToken)
    {
        if (d.Spec.RevisionHistoryLimit is not { } limit)
        {
            return;
        }

        var cleanable = oldSets.Where(rs => rs.Metadata.DeletionTimestamp is null).ToList();
        var diff = cleanable.Count - limit;
        if (diff <= 0)
        {
            return;
        }

        foreach (var rs in cleanable.OrderBy(rs => Revision(rs.Metadata)).ThenBy(rs => rs.Metadata.CreationTimestamp).Take(diff))
        {
            if ((rs.Status?.Replicas ?? 0) != 0 || Replicas(rs) != 0 || (rs.Metadata.Generation ?? 0) > (rs.Status?.ObservedGeneration ?? 0))
            {
                continue;
            }

            try
            {
                await _client.AppsV1.DeleteNamespacedReplicaSetAsync(rs.Metadata.Name, rs.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (ApiErrors.IsNotFound(e))
            {
            }
        }
    }
}
