using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Admission;
using ApiMachinery.Errors;
using ApiMachinery.Meta;
using Storage;

namespace ApiServer.Registry;

/// <summary>
/// The objects admission plugins read, answered by the registry from the watch cache once it holds
/// every write this server has made (kube's plugins read informers, which may lag; ours do not lag
/// behind our own writes, and cost no etcd round trip), and the one
/// write they make: a status update conditional on the resourceVersion read, through the status
/// subresource as kube's loopback client makes it.
/// </summary>
/// <remarks>
/// Every pod create reads its service account twice and lists priority classes, limit ranges and
/// quotas; decoding those from their stored bytes each time cost more than the rest of admission.
/// So each cached version is decoded once, made fully materialized (JsonNode builds its children
/// lazily, which is not safe for concurrent readers) and shared, for as long as the watch cache
/// holds that version. Plugins treat what they read as read-only and clone what they change.
/// </remarks>
internal sealed class AdmissionObjects(Lazy<RegistryCatalog> registry) : IAdmissionObjects
{
    private readonly ConditionalWeakTable<ObjectView, JsonObject> _shared = [];

    public async ValueTask<JsonObject?> GetAsync(string group, string resource, string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            return Shared(await Store(group, resource).GetStoredAfterOwnWritesAsync(ns, name, cancellationToken).ConfigureAwait(false));
        }
        catch (StatusException e) when (e.Code == 404)
        {
            return null;
        }
    }

    public async ValueTask<IReadOnlyList<JsonObject>> ListAsync(string group, string resource, string ns, CancellationToken cancellationToken)
    {
        var list = await Store(group, resource).ListAsync(ns, new ListQuery(null, null) { AfterOwnWrites = true }, cancellationToken).ConfigureAwait(false);
        return list.Stored.Select(Shared).ToList();
    }

    private JsonObject Shared(StoredObject stored) =>
        stored.View is ObjectView view
            ? _shared.GetValue(view, static v => Materialize(v.Decode()))
            : ObjectCodec.Decode(stored);

    /// <summary>Touches every object and array so that no child is created later, by a concurrent reader.</summary>
    private static JsonObject Materialize(JsonObject obj)
    {
        Visit(obj);
        return obj;

        static void Visit(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (_, child) in o)
                    {
                        Visit(child);
                    }

                    break;
                case JsonArray a:
                    foreach (var child in a)
                    {
                        Visit(child);
                    }

                    break;
            }
        }
    }

    public async ValueTask<JsonObject?> TryUpdateStatusAsync(string group, string resource, JsonObject obj, CancellationToken cancellationToken)
    {
        try
        {
            return await Store(group, resource).ApplyUpdateAsync(
                RequestScope.Loopback, ObjectMeta.Namespace(obj), ObjectMeta.Name(obj), "status", _ => (JsonObject)obj.DeepClone(), cancellationToken).ConfigureAwait(false);
        }
        catch (StatusException e) when (e.Code is 409 or 404)
        {
            return null;
        }
    }

    private GenericStore Store(string group, string resource) =>
        registry.Value.Stores.FirstOrDefault(s => s.Resource.Group == group && s.Resource.Plural == resource)
        ?? throw new InvalidOperationException($"{resource}.{group} is not served");
}
