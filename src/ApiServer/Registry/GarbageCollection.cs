using ApiMachinery.Validation;

namespace ApiServer.Registry;

/// <summary>What deleting an owner does to its dependents when DeleteOptions do not say (kube's rest.GarbageCollectionPolicy).</summary>
internal enum GarbageCollectionPolicy
{
    /// <summary>Dependents are deleted in the background (also what a kind without a policy gets).</summary>
    DeleteDependents,

    /// <summary>Dependents are orphaned: the owner gets the <c>orphan</c> finalizer.</summary>
    OrphanDependents,

    /// <summary>The kind takes no part in garbage collection: deletes never carry its finalizers.</summary>
    Unsupported,
}

/// <summary>
/// kube-apiserver's part of garbage collection (k8s.io/apiserver registry/generic/registry/store.go:
/// shouldOrphanDependents, shouldDeleteDependents, deletionFinalizersForGarbageCollection): which of
/// the <c>orphan</c> and <c>foregroundDeletion</c> finalizers a delete leaves on the object, from
/// DeleteOptions first, then the finalizers already there, then the kind's default policy. The
/// garbage collector (in the controller manager) does the dependents' side and removes them.
/// </summary>
internal static class GarbageCollection
{
    public const string Orphan = "Orphan";
    public const string Background = "Background";
    public const string Foreground = "Foreground";

    /// <summary>
    /// Each kind's DefaultGarbageCollectionPolicy as kube's strategies answer it for the served
    /// group/version, from its registration (<see cref="BuiltinKinds"/>): replication controllers (v1)
    /// and jobs (batch/v1) orphan for backwards compatibility, as apps' and batch's beta versions did
    /// (not served here); events take no part; custom resources and the rest delete dependents.
    /// </summary>
    public static GarbageCollectionPolicy DefaultPolicy(ResourceDefinition resource) =>
        BuiltinKinds.Find(resource)?.GarbageCollection ?? GarbageCollectionPolicy.DeleteDependents;

    /// <summary>
    /// The finalizers the object should have after this delete, or null when they stay as they are:
    /// both garbage-collection finalizers are taken out and put back as the options, the existing
    /// finalizers and the kind's default decide (at most one of them).
    /// </summary>
    public static List<string>? FinalizersAfterDelete(IReadOnlyList<string> finalizers, DeleteOptions options, GarbageCollectionPolicy policy)
    {
        var orphan = ShouldOrphanDependents(finalizers, options, policy);
        var foreground = ShouldDeleteDependents(finalizers, options, policy);
        var result = finalizers.Where(f => f is not (ObjectMetaValidator.FinalizerOrphanDependents or ObjectMetaValidator.FinalizerDeleteDependents)).ToList();
        if (orphan)
        {
            result.Add(ObjectMetaValidator.FinalizerOrphanDependents);
        }

        if (foreground)
        {
            result.Add(ObjectMetaValidator.FinalizerDeleteDependents);
        }

        return result.ToHashSet(StringComparer.Ordinal).SetEquals(finalizers) ? null : result;
    }

    private static bool ShouldOrphanDependents(IReadOnlyList<string> finalizers, DeleteOptions options, GarbageCollectionPolicy policy)
    {
        if (policy == GarbageCollectionPolicy.Unsupported)
        {
            return false;
        }

        // An explicit choice in the request overrides everything.
        if (options.OrphanDependents is { } orphanDependents)
        {
            return orphanDependents;
        }

        switch (options.PropagationPolicy)
        {
            case Orphan:
                return true;
            case Background or Foreground:
                return false;
        }

        // Then a finalizer already on the object; validation keeps the two from being both set.
        foreach (var finalizer in finalizers)
        {
            switch (finalizer)
            {
                case ObjectMetaValidator.FinalizerOrphanDependents:
                    return true;
                case ObjectMetaValidator.FinalizerDeleteDependents:
                    return false;
            }
        }

        return policy == GarbageCollectionPolicy.OrphanDependents;
    }

    private static bool ShouldDeleteDependents(IReadOnlyList<string> finalizers, DeleteOptions options, GarbageCollectionPolicy policy)
    {
        if (policy == GarbageCollectionPolicy.Unsupported || options.OrphanDependents is not null)
        {
            return false;
        }

        switch (options.PropagationPolicy)
        {
            case Foreground:
                return true;
            case Background or Orphan:
                return false;
        }

        foreach (var finalizer in finalizers)
        {
            switch (finalizer)
            {
                case ObjectMetaValidator.FinalizerDeleteDependents:
                    return true;
                case ObjectMetaValidator.FinalizerOrphanDependents:
                    return false;
            }
        }

        return false;
    }

    /// <summary>kube's ValidateDeleteOptions for the propagation fields: a bad request is 422 Invalid on DeleteOptions.</summary>
    public static IReadOnlyList<FieldError> Validate(DeleteOptions options)
    {
        var errors = new List<FieldError>();
        var path = FieldPath.New("propagationPolicy");
        if (options.OrphanDependents is not null && options.PropagationPolicy is not null)
        {
            errors.Add(FieldError.Invalid(path, options.PropagationPolicy, "orphanDependents and deletionPropagation cannot be both set"));
        }

        if (options.PropagationPolicy is { } policy && policy is not (Foreground or Background or Orphan))
        {
            errors.Add(FieldError.NotSupported(path, policy, [Foreground, Background, Orphan, "nil"]));
        }

        return errors;
    }
}
