using ClientTools.Logging;
using k8s;
using k8s.Models;

namespace ControllerManager.Common;

/// <summary>
/// kube's ControllerRefManager: decides which of the candidate objects (pods, replica sets) an owner
/// controls — adopting orphans its selector matches and releasing owned ones it no longer matches —
/// by patching their ownerReferences. Adoption first re-reads the owner from the server (kube's
/// RecheckDeletionTimestamp), so a deleted or replaced owner never adopts.
/// </summary>
internal sealed class ControllerRefManager<T>(
    V1ObjectMeta owner,
    string apiVersion,
    string kind,
    Func<IDictionary<string, string>?, bool> selects,
    Func<CancellationToken, Task<V1ObjectMeta?>> freshOwner,
    Func<T, V1Patch, CancellationToken, Task> patch)
    where T : IKubernetesObject<V1ObjectMeta>
{
    private bool? _canAdopt;

    public async Task<List<T>> ClaimAsync(IEnumerable<T> candidates, CancellationToken cancellationToken)
    {
        var claimed = new List<T>();
        foreach (var obj in candidates)
        {
            var meta = obj.Metadata;
            var controllerRef = OwnerReferences.ControllerOf(meta);
            if (controllerRef is not null)
            {
                if (controllerRef.Uid != owner.Uid)
                {
                    continue;
                }

                if (selects(meta.Labels))
                {
                    claimed.Add(obj);
                }
                else if (owner.DeletionTimestamp is null)
                {
                    await ReleaseAsync(obj, cancellationToken).ConfigureAwait(false);
                }

                continue;
            }

            if (owner.DeletionTimestamp is not null || !selects(meta.Labels) || meta.DeletionTimestamp is not null)
            {
                continue;
            }

            if (await AdoptAsync(obj, cancellationToken).ConfigureAwait(false))
            {
                claimed.Add(obj);
            }
        }

        return claimed;
    }

    private async Task<bool> AdoptAsync(T obj, CancellationToken cancellationToken)
    {
        if (_canAdopt is null)
        {
            var fresh = await freshOwner(cancellationToken).ConfigureAwait(false);
            _canAdopt = fresh is not null && fresh.Uid == owner.Uid && fresh.DeletionTimestamp is null;
            if (_canAdopt == false)
            {
                Klog.Info(2, $"{kind} {owner.NamespaceProperty}/{owner.Name} cannot adopt: it is gone or being deleted");
            }
        }

        if (_canAdopt == false)
        {
            return false;
        }

        var references = (obj.Metadata.OwnerReferences ?? []).Where(r => r.Uid != owner.Uid).ToList();
        references.Add(OwnerReferences.NewControllerRef(owner, apiVersion, kind));
        try
        {
            await patch(obj, PodControl.OwnerReferencesPatch(obj.Metadata, references), cancellationToken).ConfigureAwait(false);
            Klog.Info(2, $"{kind} {owner.NamespaceProperty}/{owner.Name} adopted {obj.Metadata.Name}");
            return true;
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
            return false;
        }
    }

    private async Task ReleaseAsync(T obj, CancellationToken cancellationToken)
    {
        var references = (obj.Metadata.OwnerReferences ?? []).Where(r => r.Uid != owner.Uid).ToList();
        try
        {
            await patch(obj, PodControl.OwnerReferencesPatch(obj.Metadata, references), cancellationToken).ConfigureAwait(false);
            Klog.Info(2, $"{kind} {owner.NamespaceProperty}/{owner.Name} released {obj.Metadata.Name}");
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e) || (e is k8s.Autorest.HttpOperationException h && h.Response.StatusCode == System.Net.HttpStatusCode.UnprocessableEntity))
        {
            // Gone, or its uid changed (kube ignores both when releasing).
        }
    }
}
