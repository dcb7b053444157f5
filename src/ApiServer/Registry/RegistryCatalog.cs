using System.Collections.Frozen;
using Admission;
using ApiServer.Registry.Strategies;
using Storage;

namespace ApiServer.Registry;

/// <summary>One <see cref="GenericStore"/> per served resource, built once from the resource table.</summary>
internal sealed class RegistryCatalog
{
    private readonly FrozenDictionary<(string Group, string Version, string Plural), GenericStore> _stores;

    public RegistryCatalog(ResourceTable table, IStorage storage, StorageKeys keys, AdmissionChain admission, TimeProvider time)
    {
        Table = table;
        _stores = table.All.ToFrozenDictionary(
            r => (r.Group, r.Version, r.Plural),
            r => new GenericStore(r, StrategyFactory.For(r), storage, keys, admission, time));
    }

    public ResourceTable Table { get; }

    public IEnumerable<GenericStore> Stores => _stores.Values;

    public GenericStore? Find(string group, string version, string plural) =>
        _stores.TryGetValue((group, version, plural), out var store) ? store : null;

    public GenericStore Namespaces => Find("", "v1", "namespaces") ?? throw new InvalidOperationException("namespaces are not served");
}
