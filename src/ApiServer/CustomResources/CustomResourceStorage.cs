using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApiServer.Registry;
using Storage;

namespace ApiServer.CustomResources;

/// <summary>
/// The storage of one served version of a custom resource, over the storage (watch cache) all its
/// versions share: what is written is converted to the storage version, and what is read is
/// converted to the served one (kube's CR codec does this at the etcd3 store's encode and decode),
/// so the registry above only ever sees objects in its own version. Objects read from etcd get the
/// schema's defaults, as kube defaults on decode. An object already in the right version, with
/// nothing to default, passes through untouched, bytes and cached view included.
/// </summary>
internal sealed class CustomResourceStorage(IStorage inner, ResourceDefinition resource, CustomResourceConverter converter) : IStorage
{
    private readonly string _apiVersion = resource.ApiVersion;
    private readonly string _storageApiVersion = $"{resource.Group}/{resource.Custom!.StorageVersion}";
    private readonly ICustomResourceSchema? _schema = resource.Custom.Schema is { HasDefaults: true } schema ? schema : null;

    public async Task<StoredObject> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        var stored = await inner.CreateAsync(key, await ToStorageAsync(value, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        // What the caller wrote, in its version, is what it reads back.
        return stored with { Value = value, View = null };
    }

    public async Task<StoredObject?> GetAsync(string key, ReadOptions options = default, CancellationToken cancellationToken = default) =>
        await FromStorageAsync(await inner.GetAsync(key, options, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    public async Task<ListResult> GetListAsync(string keyPrefix, ListOptions options, CancellationToken cancellationToken = default)
    {
        var list = await inner.GetListAsync(keyPrefix, options, cancellationToken).ConfigureAwait(false);
        if (list.Items.All(PassesThrough))
        {
            return list;
        }

        // One conversion for the whole page (one webhook call).
        var items = new StoredObject[list.Items.Count];
        var decoded = new List<(int Index, JsonObject Object)>();
        for (var i = 0; i < items.Length; i++)
        {
            if (PassesThrough(list.Items[i]))
            {
                items[i] = list.Items[i];
            }
            else
            {
                decoded.Add((i, Parse(list.Items[i].Value)));
            }
        }

        await converter.ConvertAsync(decoded.Select(d => d.Object).ToList(), _apiVersion, cancellationToken).ConfigureAwait(false);
        foreach (var (index, obj) in decoded)
        {
            _schema?.ApplyDefaults(obj);
            items[index] = list.Items[index] with { Value = ObjectCodec.Encode(obj), View = null };
        }

        return list with { Items = items };
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
                written = await tryUpdate(await FromStorageAsync(current, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
                writtenAsStored = await ToStorageAsync(written, ct).ConfigureAwait(false);
                return writtenAsStored;
            },
            cancellationToken,
            cachedExisting).ConfigureAwait(false);
        return stored.Value.Span.SequenceEqual(writtenAsStored.Span)
            ? stored with { Value = written, View = null }
            : (await FromStorageAsync(stored, cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<StoredObject> DeleteAsync(
        string key, Func<StoredObject, CancellationToken, ValueTask>? validateDeletion = null, CancellationToken cancellationToken = default)
    {
        Func<StoredObject, CancellationToken, ValueTask>? validate = validateDeletion is null
            ? null
            : async (latest, ct) => await validateDeletion((await FromStorageAsync(latest, ct).ConfigureAwait(false))!, ct).ConfigureAwait(false);
        var deleted = await inner.DeleteAsync(key, validate, cancellationToken).ConfigureAwait(false);
        return (await FromStorageAsync(deleted, cancellationToken).ConfigureAwait(false))!;
    }

    public async IAsyncEnumerable<StorageWatchEvent> WatchAsync(string keyPrefix, long afterRevision, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var change in inner.WatchAsync(keyPrefix, afterRevision, cancellationToken).ConfigureAwait(false))
        {
            if (PassesThrough(change.Object) && (change.Previous is null || PassesThrough(change.Previous)))
            {
                yield return change;
                continue;
            }

            yield return change with
            {
                Object = (await FromStorageAsync(change.Object, cancellationToken).ConfigureAwait(false))!,
                Previous = await FromStorageAsync(change.Previous, cancellationToken).ConfigureAwait(false),
            };
        }
    }

    public Task<long> GetCurrentRevisionAsync(CancellationToken cancellationToken = default) => inner.GetCurrentRevisionAsync(cancellationToken);

    /// <summary>In this version already, and either defaulted by the cache (a view) or with no defaults to apply.</summary>
    private bool PassesThrough(StoredObject stored) =>
        ApiVersionOf(stored.Value.Span) == _apiVersion && (_schema is null || stored.View is not null);

    private async ValueTask<StoredObject?> FromStorageAsync(StoredObject? stored, CancellationToken cancellationToken)
    {
        if (stored is null || PassesThrough(stored))
        {
            return stored;
        }

        var obj = Parse(stored.Value);
        await converter.ConvertAsync([obj], _apiVersion, cancellationToken).ConfigureAwait(false);
        _schema?.ApplyDefaults(obj);
        return stored with { Value = ObjectCodec.Encode(obj), View = null };
    }

    private async ValueTask<ReadOnlyMemory<byte>> ToStorageAsync(ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        if (ApiVersionOf(value.Span) == _storageApiVersion)
        {
            return value;
        }

        var obj = Parse(value);
        await converter.ConvertAsync([obj], _storageApiVersion, cancellationToken).ConfigureAwait(false);
        return ObjectCodec.Encode(obj);
    }

    private static JsonObject Parse(ReadOnlyMemory<byte> value) =>
        JsonNode.Parse(value.Span, documentOptions: new JsonDocumentOptions { MaxDepth = ObjectCodec.MaxDepth }) as JsonObject
            ?? throw new InvalidDataException("a stored custom resource is not a JSON object");

    /// <summary>The top-level apiVersion, read without parsing the object (the registry writes it second, after kind).</summary>
    internal static string? ApiVersionOf(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = ObjectCodec.MaxDepth });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isApiVersion = reader.ValueTextEquals("apiVersion"u8);
            if (!reader.Read())
            {
                return null;
            }

            if (isApiVersion)
            {
                return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }

            reader.Skip();
        }

        return null;
    }
}
