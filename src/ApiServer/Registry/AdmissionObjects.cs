using System.Text.Json.Nodes;
using Admission;
using ApiMachinery.Errors;

namespace ApiServer.Registry;

/// <summary>
/// The objects admission plugins read, answered by the registry from the watch cache once it holds
/// every write this server has made (kube's plugins read informers, which may lag; ours do not lag
/// behind our own writes, and cost no etcd round trip), and the one
/// write they make: a status update conditional on the resourceVersion read, through the status
/// subresource as kube's loopback client makes it.
/// </summary>
internal sealed class AdmissionObjects(Lazy<RegistryCatalog> registry) : IAdmissionObjects
{
    public async ValueTask<JsonObject?> GetAsync(string group, string resource, string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await Store(group, resource).GetAfterOwnWritesAsync(ns, name, cancellationToken).ConfigureAwait(false);
        }
        catch (StatusException e) when (e.Code == 404)
        {
            return null;
        }
    }

    public async ValueTask<IReadOnlyList<JsonObject>> ListAsync(string group, string resource, string ns, CancellationToken cancellationToken)
    {
        var list = await Store(group, resource).ListAsync(ns, new ListQuery(null, null) { AfterOwnWrites = true }, cancellationToken).ConfigureAwait(false);
        return list.Items;
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
