using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApiMachinery.Schema;
using Storage;

namespace ApiServer.Registry.Conversion;

/// <summary>
/// The storage of a built-in resource's served version that is not its storage version (autoscaling/v1
/// HorizontalPodAutoscalers, events.k8s.io/v1 Events), over the storage (watch cache) the versions
/// share: writes are converted to the storage version and reads to the served one, as kube's codec
/// does at its etcd3 store, so the registry above sees only objects of its own version. Converted
/// objects take the served version's Go struct shape, as kube's encoding of its struct gives them.
/// </summary>
internal sealed class ConvertingStorage(IStorage inner, ResourceDefinition served, GroupVersionKind storageVersion) : IStorage
{
    private readonly GoStruct? _servedType = GoTypes.Builtin.ForKind(served.Group, served.Version, served.Kind);
    private readonly GoStruct? _storageType = GoTypes.Builtin.ForKind(storageVersion.Group, storageVersion.Version, storageVersion.Kind);

    public async Task<StoredObject> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        var stored = await inner.CreateAsync(key, ToStorage(value), cancellationToken).ConfigureAwait(false);
        // What the caller wrote, in its version, is what it reads back.
        return stored with { Value = value, View = null };
    }

    public async Task<StoredObject?> GetAsync(string key, ReadOptions options = default, CancellationToken cancellationToken = default) =>
        FromStorage(await inner.GetAsync(key, options, cancellationToken).ConfigureAwait(false));

    public async Task<ListResult> GetListAsync(string keyPrefix, ListOptions options, CancellationToken cancellationToken = default)
    {
        var list = await inner.GetListAsync(keyPrefix, options, cancellationToken).ConfigureAwait(false);
        return list with { Items = list.Items.Select(i => FromStorage(i)!).ToArray() };
    }

    public async Task<StoredObject> GuaranteedUpdateAsync(
        string key, Func<StoredObject?, CancellationToken, ValueTask<ReadOnlyMemory<byte>>> tryUpdate, CancellationToken cancellationToken = default,
        StoredObject? cachedExisting = null)
    {
        ReadOnlyMemory<byte> written = default, writtenAsStored = default;
        var stored = await inner.GuaranteedUpdateAsync(
            key,
            async (current, ct) =>
            {
                written = await tryUpdate(FromStorage(current), ct).ConfigureAwait(false);
                writtenAsStored = ToStorage(written);
                return writtenAsStored;
            },
            cancellationToken,
            cachedExisting).ConfigureAwait(false);
        return stored.Value.Span.SequenceEqual(writtenAsStored.Span) ? stored with { Value = written, View = null } : FromStorage(stored)!;
    }

    public async Task<StoredObject> DeleteAsync(
        string key, Func<StoredObject, CancellationToken, ValueTask>? validateDeletion = null, CancellationToken cancellationToken = default)
    {
        Func<StoredObject, CancellationToken, ValueTask>? validate = validateDeletion is null
            ? null
            : (latest, ct) => validateDeletion(FromStorage(latest)!, ct);
        return FromStorage(await inner.DeleteAsync(key, validate, cancellationToken).ConfigureAwait(false))!;
    }

    public async IAsyncEnumerable<StorageWatchEvent> WatchAsync(string keyPrefix, long afterRevision, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var change in inner.WatchAsync(keyPrefix, afterRevision, cancellationToken).ConfigureAwait(false))
        {
            yield return change with { Object = FromStorage(change.Object)!, Previous = FromStorage(change.Previous) };
        }
    }

    public Task<long> GetCurrentRevisionAsync(CancellationToken cancellationToken = default) => inner.GetCurrentRevisionAsync(cancellationToken);

    private StoredObject? FromStorage(StoredObject? stored)
    {
        if (stored is null || stored.Value.Length == 0)
        {
            return stored;
        }

        var converted = BuiltinConversions.Convert(Parse(stored.Value), served.Gvk);
        if (_servedType is not null)
        {
            GoRoundTrip.Normalize(converted, _servedType);
        }

        return stored with { Value = ObjectCodec.Encode(converted), View = null };
    }

    private ReadOnlyMemory<byte> ToStorage(ReadOnlyMemory<byte> value)
    {
        var converted = BuiltinConversions.Convert(Parse(value), storageVersion);
        if (_storageType is not null)
        {
            GoRoundTrip.Normalize(converted, _storageType);
        }

        return ObjectCodec.Encode(converted);
    }

    private static JsonObject Parse(ReadOnlyMemory<byte> value) =>
        JsonNode.Parse(value.Span, documentOptions: new JsonDocumentOptions { MaxDepth = ObjectCodec.MaxDepth }) as JsonObject
            ?? throw new InvalidDataException("a stored object is not a JSON object");
}
