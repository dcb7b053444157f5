using System.Text.Json.Nodes;

namespace ApiServer.Registry;

/// <summary>
/// What a kind's REST adds around the generic store's writes where it holds resources outside the
/// object itself (kube's BeginCreate/BeginUpdate/AfterDelete hooks; the Service REST allocates
/// cluster IPs there). A begin hook runs after the kind's own preparation and before validation;
/// the store commits its transaction once the object is stored and reverts it on any failure, so
/// nothing taken for a write that did not happen stays taken.
/// </summary>
internal interface IStoreWriteHooks
{
    Task<IWriteTransaction> BeginCreateAsync(JsonObject obj, bool dryRun, CancellationToken cancellationToken);

    Task<IWriteTransaction> BeginUpdateAsync(JsonObject obj, JsonObject old, bool dryRun, CancellationToken cancellationToken);

    /// <summary>After the object is gone from storage; failures are the hook's to handle (the delete happened).</summary>
    Task AfterDeleteAsync(JsonObject deleted, CancellationToken cancellationToken);
}

/// <summary>The resources one write took or would free: kept (and freed) on commit, given back on revert.</summary>
internal interface IWriteTransaction
{
    Task CommitAsync();

    Task RevertAsync();
}
