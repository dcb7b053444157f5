using k8s;
using k8s.Models;

namespace ClientTools.Cache;

/// <summary>
/// The query parameters an informer varies between its lists and watches (metav1.ListOptions);
/// selectors are fixed per informer and captured by its <see cref="IListerWatcher{T}"/>.
/// </summary>
public sealed record ListOptions
{
    public string? ResourceVersion { get; init; }

    public string? ResourceVersionMatch { get; init; }

    public int? Limit { get; init; }

    public string? Continue { get; init; }

    public bool? AllowWatchBookmarks { get; init; }

    public int? TimeoutSeconds { get; init; }
}

/// <summary>One page of a list: its items, the list's resourceVersion and the continue token, if any.</summary>
public sealed record ListPage<T>(IReadOnlyList<T> Items, string ResourceVersion, string? Continue);

/// <summary>
/// The two calls an informer makes for one resource (client-go's cache.ListerWatcher). A watch
/// that the server ends with an ERROR event surfaces as <see cref="WatchErrorException"/>, and the
/// "resourceVersion too old" case (410 Gone) as <see cref="ResourceExpiredException"/>.
/// </summary>
public interface IListerWatcher<T>
{
    Task<ListPage<T>> ListAsync(ListOptions options, CancellationToken cancellationToken);

    IAsyncEnumerable<(WatchEventType Type, T Object)> WatchAsync(ListOptions options, CancellationToken cancellationToken);
}

/// <summary>The server ended a watch with an ERROR event carrying this Status.</summary>
public class WatchErrorException(V1Status status)
    : Exception($"watch ended with an error: {status.Code} {status.Reason}: {status.Message}")
{
    public V1Status Status { get; } = status;
}

/// <summary>410 Gone: the resourceVersion asked for can no longer be served; the informer must list again.</summary>
public sealed class ResourceExpiredException(V1Status status) : WatchErrorException(status);

/// <summary>A list/watch pair over the official client's generated calls.</summary>
public sealed class ListerWatcher<T, TList>(
    Func<ListOptions, CancellationToken, Task<TList>> list,
    Func<ListOptions, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch) : IListerWatcher<T>
    where TList : IItems<T>, IMetadata<V1ListMeta>
{
    public async Task<ListPage<T>> ListAsync(ListOptions options, CancellationToken cancellationToken)
    {
        try
        {
            var result = await list(options, cancellationToken).ConfigureAwait(false);
            return new ListPage<T>([.. result.Items ?? []], result.Metadata?.ResourceVersion ?? "", result.Metadata?.ContinueProperty);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response?.StatusCode == System.Net.HttpStatusCode.Gone)
        {
            throw new ResourceExpiredException(StatusOf(e));
        }
    }

    public async IAsyncEnumerable<(WatchEventType Type, T Object)> WatchAsync(ListOptions options, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Exception? error = null;
        var events = watch(options, e => error ??= e, cancellationToken);
        await using var enumerator = events.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            bool more;
            try
            {
                more = await enumerator.MoveNextAsync().ConfigureAwait(false);
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response?.StatusCode == System.Net.HttpStatusCode.Gone)
            {
                throw new ResourceExpiredException(StatusOf(e));
            }

            // The official client reports an ERROR event through onError and reads on; the server
            // closes the stream after it, so stop at the first one.
            if (error is not null)
            {
                throw error is KubernetesException { Status: { } status }
                    ? status.Code == 410 ? new ResourceExpiredException(status) : new WatchErrorException(status)
                    : error;
            }

            if (!more)
            {
                yield break;
            }

            yield return enumerator.Current;
        }
    }

    private static V1Status StatusOf(k8s.Autorest.HttpOperationException e)
    {
        try
        {
            return KubernetesJson.Deserialize<V1Status>(e.Response.Content) ?? new V1Status { Code = 410, Reason = "Expired" };
        }
        catch (System.Text.Json.JsonException)
        {
            return new V1Status { Code = 410, Reason = "Expired", Message = e.Response.Content };
        }
    }
}
