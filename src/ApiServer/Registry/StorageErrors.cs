using ApiMachinery.Errors;
using Storage;

namespace ApiServer.Registry;

/// <summary>Maps storage failures to the Status kube-apiserver answers for them (k8s.io/apiserver pkg/storage/errors).</summary>
internal static class StorageErrors
{
    public static StatusException Interpret(StorageException e, ResourceDefinition resource, string name) => e.Code switch
    {
        StorageErrorCode.KeyNotFound => StatusException.NewNotFound(resource.Group, resource.Plural, name),
        StorageErrorCode.KeyExists => StatusException.NewAlreadyExists(resource.Group, resource.Plural, name),
        StorageErrorCode.Conflict => StatusException.NewConflict(resource.Group, resource.Plural, name, StatusException.OptimisticLockErrorMsg),
        StorageErrorCode.Compacted => StatusException.NewResourceExpired(
            e.CompactRevision > 0 ? $"too old resource version: {e.Message} ({e.CompactRevision})" : "too old resource version"),
        StorageErrorCode.TooLargeResourceVersion => StatusException.NewTooLargeResourceVersion(0, e.CurrentRevision, 1),
        StorageErrorCode.RequestTooLarge => StatusException.NewRequestEntityTooLarge("etcdserver: request is too large"),
        StorageErrorCode.Initializing => StatusException.NewTooManyRequests(e.Message, e.RetryAfterSeconds),
        StorageErrorCode.Unavailable => StatusException.NewServiceUnavailable("etcd is unavailable: " + e.Message),
        _ => StatusException.NewInternalError(e.Message),
    };
}
