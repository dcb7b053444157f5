using ClientTools.Logging;
using ControllerManager.Common;
using k8s.Models;

namespace ControllerManager.StatefulSet;

/// <summary>What the update loop does to pods and claims (kube's StatefulPodControl); a fake records it in unit tests.</summary>
internal interface IStatefulPodControl
{
    /// <summary>Creates the pod's missing claims, then the pod.</summary>
    Task CreateAsync(V1StatefulSet set, V1Pod pod, CancellationToken cancellationToken);

    /// <summary>Creates the claims a pending pod still lacks.</summary>
    Task CreateMissingClaimsAsync(V1StatefulSet set, V1Pod pod, CancellationToken cancellationToken);

    Task DeleteAsync(V1StatefulSet set, V1Pod pod, CancellationToken cancellationToken);

    /// <summary>Puts back the identity labels a pod lacks (an adopted or relabelled pod).</summary>
    Task UpdateIdentityAsync(V1StatefulSet set, V1Pod pod, CancellationToken cancellationToken);

    /// <summary>Makes the pod's claims' owner references follow persistentVolumeClaimRetentionPolicy (a condemned pod's claims become its dependents under whenScaled: Delete).</summary>
    Task ApplyRetentionPolicyAsync(V1StatefulSet set, V1Pod pod, bool condemned, CancellationToken cancellationToken);
}

/// <summary>
/// kube's updateStatefulSet: one pass over a StatefulSet's pods at the current and update revisions.
/// Missing ordinals are created (OrderedReady: one at a time, each after its predecessors are Running
/// and Ready; Parallel: all at once), failed pods are deleted to be recreated, ordinals beyond the
/// replicas are deleted highest first, and a RollingUpdate replaces, highest ordinal first and down to
/// the partition, one pod at a time whose revision is not the update revision. Returns the status to write.
/// </summary>
internal sealed class StatefulSetUpdater(IStatefulPodControl control, TimeProvider time)
{
    public async Task<(V1StatefulSetStatus Status, Exception? Error)> UpdateAsync(
        V1StatefulSet set, V1ControllerRevision currentRevision, V1ControllerRevision updateRevision, int collisionCount,
        IReadOnlyList<V1Pod> pods, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var minReady = set.Spec.MinReadySeconds ?? 0;
        var currentSet = StatefulSetPods.ApplyRevision(set, currentRevision);
        var updateSet = StatefulSetPods.ApplyRevision(set, updateRevision);
        var status = new V1StatefulSetStatus
        {
            ObservedGeneration = set.Metadata.Generation,
            CurrentRevision = currentRevision.Metadata.Name,
            UpdateRevision = updateRevision.Metadata.Name,
            CollisionCount = collisionCount,
        };
        StatefulSetPods.CountReplicas(status, pods, minReady, currentRevision.Metadata.Name, updateRevision.Metadata.Name, now);

        var start = StatefulSetPods.StartOrdinal(set);
        var replicas = new V1Pod?[StatefulSetPods.Replicas(set)];
        var condemned = new List<V1Pod>();
        foreach (var pod in pods)
        {
            if (StatefulSetPods.InOrdinalRange(set, pod))
            {
                replicas[StatefulSetPods.Ordinal(pod) - start] = pod;
            }
            else if (StatefulSetPods.Ordinal(pod) >= 0)
            {
                condemned.Add(pod);
            }
        }

        for (var i = 0; i < replicas.Length; i++)
        {
            replicas[i] ??= StatefulSetPods.NewVersionedPod(currentSet, updateSet, currentRevision.Metadata.Name, updateRevision.Metadata.Name, start + i);
        }

        var all = replicas.OfType<V1Pod>().ToList();
        condemned = [.. condemned.OrderByDescending(StatefulSetPods.Ordinal)];
        var firstUnavailable = all.FirstOrDefault(p => StatefulSetPods.IsUnavailable(p, minReady, now))
            ?? Enumerable.Reverse(condemned).FirstOrDefault(p => StatefulSetPods.IsUnavailable(p, minReady, now));

        void Recount() => StatefulSetPods.CountReplicas(status, all.Concat(condemned), minReady, currentRevision.Metadata.Name, updateRevision.Metadata.Name, now);

        if (set.Metadata.DeletionTimestamp is not null)
        {
            return (status, null);
        }

        var monotonic = !StatefulSetPods.AllowsBurst(set);
        try
        {
            if (await RunForAllAsync(all, (pod, ct) => ProcessReplicaAsync(set, updateSet, monotonic, pod, minReady, now, ct), monotonic, cancellationToken).ConfigureAwait(false))
            {
                Recount();
                return (status, null);
            }

            if (await RunForAllAsync(condemned, async (pod, ct) =>
            {
                await control.ApplyRetentionPolicyAsync(updateSet, pod, condemned: true, ct).ConfigureAwait(false);
                return false;
            }, monotonic, cancellationToken).ConfigureAwait(false))
            {
                Recount();
                return (status, null);
            }

            // Scale down: highest ordinal first, each after its predecessors are healthy (OrderedReady).
            if (await RunForAllAsync(condemned, (pod, ct) => ProcessCondemnedAsync(set, firstUnavailable, monotonic, pod, minReady, now, ct), monotonic, cancellationToken).ConfigureAwait(false))
            {
                Recount();
                return (status, null);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Recount();
            return (status, e);
        }

        Recount();
        if (set.Spec.UpdateStrategy?.Type == "OnDelete")
        {
            return (status, null);
        }

        var updateMin = set.Spec.UpdateStrategy?.RollingUpdate?.Partition ?? 0;
        for (var target = all.Count - 1; target >= updateMin; target--)
        {
            var pod = all[target];
            if (StatefulSetPods.Revision(pod) != updateRevision.Metadata.Name && !StatefulSetPods.IsTerminating(pod))
            {
                Klog.Info(2, $"Pod {pod.Metadata.Name} of StatefulSet {set.Metadata.NamespaceProperty}/{set.Metadata.Name} is terminating for update");
                try
                {
                    await control.DeleteAsync(set, pod, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException && !ApiErrors.IsNotFound(e))
                {
                    return (status, e);
                }

                status.CurrentReplicas--;
                return (status, null);
            }

            if (StatefulSetPods.IsUnavailable(pod, minReady, now))
            {
                return (status, null);
            }
        }

        return (status, null);
    }

    /// <summary>
    /// processReplica: returns true when this pass must stop here (OrderedReady waits for the pod).
    /// </summary>
    private async Task<bool> ProcessReplicaAsync(V1StatefulSet set, V1StatefulSet updateSet, bool monotonic, V1Pod pod, int minReady, DateTime now, CancellationToken cancellationToken)
    {
        if (StatefulSetPods.IsFailed(pod) || StatefulSetPods.IsSucceeded(pod))
        {
            // Restarted whatever its exit: a new pod of this ordinal is made once this one is gone.
            if (!StatefulSetPods.IsTerminating(pod))
            {
                await control.DeleteAsync(set, pod, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }

        if (!StatefulSetPods.IsCreated(pod))
        {
            await control.CreateAsync(set, pod, cancellationToken).ConfigureAwait(false);
            if (monotonic)
            {
                return true;
            }
        }

        if (StatefulSetPods.IsPending(pod))
        {
            await control.CreateMissingClaimsAsync(set, pod, cancellationToken).ConfigureAwait(false);
        }

        if (monotonic && (StatefulSetPods.IsTerminating(pod) || !StatefulSetPods.IsRunningAndReady(pod) || !StatefulSetPods.IsRunningAndAvailable(pod, minReady, now)))
        {
            return true;
        }

        if (StatefulSetPods.IsCreated(pod))
        {
            await control.ApplyRetentionPolicyAsync(updateSet, pod, condemned: false, cancellationToken).ConfigureAwait(false);
            if (!StatefulSetPods.IdentityMatches(set, pod))
            {
                await control.UpdateIdentityAsync(updateSet, pod, cancellationToken).ConfigureAwait(false);
            }
        }

        return false;
    }

    private async Task<bool> ProcessCondemnedAsync(V1StatefulSet set, V1Pod? firstUnavailable, bool monotonic, V1Pod pod, int minReady, DateTime now, CancellationToken cancellationToken)
    {
        if (StatefulSetPods.IsTerminating(pod))
        {
            return monotonic;
        }

        if (monotonic && !ReferenceEquals(pod, firstUnavailable)
            && (!StatefulSetPods.IsRunningAndReady(pod) || !StatefulSetPods.IsRunningAndAvailable(pod, minReady, now)))
        {
            return true;
        }

        Klog.Info(2, $"Pod {pod.Metadata.Name} of StatefulSet {set.Metadata.NamespaceProperty}/{set.Metadata.Name} is terminating for scale down");
        await control.DeleteAsync(set, pod, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>runForAll: in order, stopping at the first that says stop (OrderedReady); or all at once in slow-start batches (Parallel).</summary>
    private static async Task<bool> RunForAllAsync(List<V1Pod> pods, Func<V1Pod, CancellationToken, Task<bool>> action, bool monotonic, CancellationToken cancellationToken)
    {
        if (monotonic)
        {
            foreach (var pod in pods)
            {
                if (await action(pod, cancellationToken).ConfigureAwait(false))
                {
                    return true;
                }
            }

            return false;
        }

        var next = -1;
        var (_, error) = await SlowStart.BatchAsync(pods.Count, 1, async () =>
        {
            var pod = pods[Interlocked.Increment(ref next)];
            await action(pod, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
        if (error is not null)
        {
            throw error;
        }

        return false;
    }
}
