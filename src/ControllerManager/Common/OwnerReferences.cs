using k8s;
using k8s.Models;

namespace ControllerManager.Common;

/// <summary>ownerReferences helpers: the controller reference, and making one for an owner.</summary>
internal static class OwnerReferences
{
    /// <summary>The owner reference with controller=true, if any (metav1.GetControllerOf).</summary>
    public static V1OwnerReference? ControllerOf(V1ObjectMeta? meta) =>
        meta?.OwnerReferences?.FirstOrDefault(r => r.Controller == true);

    /// <summary>A controller reference to <paramref name="owner"/> that blocks the owner's foreground deletion (metav1.NewControllerRef).</summary>
    public static V1OwnerReference NewControllerRef(V1ObjectMeta owner, string apiVersion, string kind) => new()
    {
        ApiVersion = apiVersion,
        Kind = kind,
        Name = owner.Name,
        Uid = owner.Uid,
        Controller = true,
        BlockOwnerDeletion = true,
    };

    public static bool IsBeingDeleted(IMetadata<V1ObjectMeta> obj) => obj.Metadata?.DeletionTimestamp is not null;
}
