using ApiMachinery.Authentication;

namespace ApiServer.Registry;

/// <summary>What the registry needs to know about the request behind a write.</summary>
internal sealed record RequestScope(UserInfo User, bool DryRun = false)
{
    /// <summary>Writes the server makes on its own behalf (bootstrap, namespace controller).</summary>
    public static readonly RequestScope Loopback = new(UserInfo.LoopbackUser);
}

/// <summary>metav1.DeleteOptions, the parts the registry acts on.</summary>
internal sealed record DeleteOptions(
    long? GracePeriodSeconds = null,
    string? PreconditionUid = null,
    string? PreconditionResourceVersion = null,
    string? PropagationPolicy = null);

/// <summary>The selection and paging of a list or watch, already parsed and validated.</summary>
internal sealed record ListQuery(
    ApiMachinery.Selectors.LabelSelector? LabelSelector,
    ApiMachinery.Selectors.FieldSelector? FieldSelector,
    long Limit = 0,
    string? Continue = null,
    string? ResourceVersion = null,
    string? ResourceVersionMatch = null)
{
    public bool HasSelectors => LabelSelector is { IsEmpty: false } || FieldSelector is { IsEmpty: false };
}

/// <summary>A list as the registry returns it: objects plus list metadata.</summary>
internal sealed record ObjectList(IReadOnlyList<System.Text.Json.Nodes.JsonObject> Items, long ResourceVersion, string? Continue, long? RemainingItemCount);

internal enum WatchEventKind
{
    Added,
    Modified,
    Deleted,
    Bookmark,
    Error,
    /// <summary>Internal: a change the watcher's selection skipped; only its revision matters (for bookmarks).</summary>
    Progress,
}

internal readonly record struct ObjectEvent(WatchEventKind Kind, System.Text.Json.Nodes.JsonObject Object)
{
    public string TypeName => Kind switch
    {
        WatchEventKind.Added => "ADDED",
        WatchEventKind.Modified => "MODIFIED",
        WatchEventKind.Deleted => "DELETED",
        WatchEventKind.Bookmark => "BOOKMARK",
        _ => "ERROR",
    };
}
