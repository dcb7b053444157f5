using System.Text.Json.Nodes;
using ClientTools.Cache;
using ClientTools.Events;
using ControllerManager.Common;
using k8s;
using k8s.Models;

namespace ControllerManager.StatefulSet;

/// <summary>
/// kube's StatefulPodControl on the API: claims before pods, the events kube records
/// ("create Pod web-0 in StatefulSet web successful", "create Claim www-web-0 Pod web-0 in StatefulSet
/// web success"), and the claims' owner references that persistentVolumeClaimRetentionPolicy asks for.
/// </summary>
internal sealed class StatefulPodControl(IKubernetes client, EventRecorder recorder, SharedIndexInformer<V1PersistentVolumeClaim> claims) : IStatefulPodControl
{
    public async Task CreateAsync(V1StatefulSet set, V1Pod pod, CancellationToken cancellationToken)
    {
        await CreateMissingClaimsAsync(set, pod, cancellationToken).ConfigureAwait(false);
        try
        {
            await client.CoreV1.CreateNamespacedPodAsync(pod, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            recorder.Event(set, EventTypes.Normal, "SuccessfulCreate", $"create Pod {pod.Metadata.Name} in StatefulSet {set.Metadata.Name} successful");
        }
        catch (Exception e) when (ApiErrors.IsAlreadyExists(e))
        {
            // The cache was behind: the pod is there, the next pass sees it.
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (!ApiErrors.IsNamespaceTerminating(e))
            {
                recorder.Event(set, EventTypes.Warning, "FailedCreate", $"create Pod {pod.Metadata.Name} in StatefulSet {set.Metadata.Name} failed error: {ApiErrors.Message(e)}");
            }

            throw;
        }
    }

    public async Task CreateMissingClaimsAsync(V1StatefulSet set, V1Pod pod, CancellationToken cancellationToken)
    {
        var ordinal = StatefulSetPods.Ordinal(pod);
        foreach (var (_, claim) in StatefulSetPods.Claims(set, ordinal))
        {
            var existing = claims.Store.Get(claim.Metadata.NamespaceProperty, claim.Metadata.Name);
            if (existing is not null)
            {
                if (existing.Metadata.DeletionTimestamp is not null)
                {
                    throw new InvalidOperationException($"pvc {claim.Metadata.Name} is being deleted");
                }

                continue;
            }

            if (set.Spec.PersistentVolumeClaimRetentionPolicy?.WhenDeleted == "Delete")
            {
                claim.Metadata.OwnerReferences = [SetReference(set)];
            }

            try
            {
                await client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(claim, claim.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
                recorder.Event(set, EventTypes.Normal, "SuccessfulCreate", $"create Claim {claim.Metadata.Name} Pod {pod.Metadata.Name} in StatefulSet {set.Metadata.Name} success");
            }
            catch (Exception e) when (ApiErrors.IsAlreadyExists(e))
            {
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                recorder.Event(set, EventTypes.Warning, "FailedCreate", $"create Claim {claim.Metadata.Name} for Pod {pod.Metadata.Name} in StatefulSet {set.Metadata.Name} failed error: {ApiErrors.Message(e)}");
                throw;
            }
        }
    }

    public async Task DeleteAsync(V1StatefulSet set, V1Pod pod, CancellationToken cancellationToken)
    {
        try
        {
            await client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            recorder.Event(set, EventTypes.Normal, "SuccessfulDelete", $"delete Pod {pod.Metadata.Name} in StatefulSet {set.Metadata.Name} successful");
        }
        catch (Exception e) when (e is not OperationCanceledException && !ApiErrors.IsNotFound(e))
        {
            recorder.Event(set, EventTypes.Warning, "FailedDelete", $"delete Pod {pod.Metadata.Name} in StatefulSet {set.Metadata.Name} failed error: {ApiErrors.Message(e)}");
            throw;
        }
    }

    public async Task UpdateIdentityAsync(V1StatefulSet set, V1Pod pod, CancellationToken cancellationToken)
    {
        var labels = new JsonObject();
        foreach (var (key, value) in StatefulSetPods.IdentityLabels(set, StatefulSetPods.Ordinal(pod)))
        {
            labels[key] = value;
        }

        var patch = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = labels } };
        await client.CoreV1.PatchNamespacedPodAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        recorder.Event(set, EventTypes.Normal, "SuccessfulUpdate", $"update Pod {pod.Metadata.Name} in StatefulSet {set.Metadata.Name} successful");
    }

    public async Task ApplyRetentionPolicyAsync(V1StatefulSet set, V1Pod pod, bool condemned, CancellationToken cancellationToken)
    {
        var policy = set.Spec.PersistentVolumeClaimRetentionPolicy;
        // kube's updateClaimOwnerRefForSetAndPod: a claim of a scaled-down pod under whenScaled: Delete belongs
        // to that pod alone (an owner still there would keep it from the garbage collector); otherwise to the set
        // under whenDeleted: Delete.
        var ownedByPod = condemned && policy?.WhenScaled == "Delete" && pod.Metadata.Uid is not null;
        var ownedBySet = policy?.WhenDeleted == "Delete" && !ownedByPod;
        foreach (var (_, wanted) in StatefulSetPods.Claims(set, StatefulSetPods.Ordinal(pod)))
        {
            if (claims.Store.Get(wanted.Metadata.NamespaceProperty, wanted.Metadata.Name) is not { } claim)
            {
                continue;
            }

            var references = (claim.Metadata.OwnerReferences ?? []).Where(r => r.Uid != set.Metadata.Uid && r.Uid != pod.Metadata.Uid).ToList();
            if (ownedBySet)
            {
                references.Add(SetReference(set));
            }

            if (ownedByPod)
            {
                references.Add(new V1OwnerReference { ApiVersion = "v1", Kind = "Pod", Name = pod.Metadata.Name, Uid = pod.Metadata.Uid });
            }

            var before = (claim.Metadata.OwnerReferences ?? []).Select(r => r.Uid).Order(StringComparer.Ordinal);
            if (before.SequenceEqual(references.Select(r => r.Uid).Order(StringComparer.Ordinal)))
            {
                continue;
            }

            var update = ObjectCopy.Clone(claim);
            update.Metadata.OwnerReferences = references.Count > 0 ? references : null;
            await client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(update, update.Metadata.Name, update.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    private static V1OwnerReference SetReference(V1StatefulSet set) =>
        new() { ApiVersion = "apps/v1", Kind = "StatefulSet", Name = set.Metadata.Name, Uid = set.Metadata.Uid };
}
