using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Admission;
using ApiMachinery.Errors;
using ApiMachinery.FieldManagement;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiMachinery.Schema;
using ApiMachinery.Selectors;
using ApiMachinery.Validation;
using ApiServer.Registry.Strategies;
using Storage;

namespace ApiServer.Registry;

/// <summary>
/// The generic registry store of one resource (k8s.io/apiserver pkg/registry/generic/registry/store.go):
/// object metadata, the kind's strategy, admission and storage, in kube-apiserver's order. Handlers
/// call this; this is the only layer that calls storage.
/// </summary>
internal sealed class GenericStore(
    ResourceDefinition resource,
    ResourceStrategy strategy,
    IStorage storage,
    StorageKeys keys,
    AdmissionChain admission,
    TimeProvider time,
    OwnWriteViews? ownWriteViews = null)
{
    /// <summary>kube-apiserver retries a generated name this many times before answering AlreadyExists.</summary>
    private const int GenerateNameAttempts = 8;

    private const string RandomAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    public ResourceDefinition Resource { get; } = resource;

    public ResourceStrategy Strategy { get; } = strategy;

    /// <summary>The kind's REST hooks around writes (Services' cluster-IP allocation); set once, before the store serves.</summary>
    public IStoreWriteHooks? WriteHooks { get; set; }

    /// <summary>The kind's Go struct facts (null for kinds without them), for <see cref="AsGoWritesIt"/>.</summary>
    private readonly GoStruct? _goType = GoTypes.Builtin.ForKind(resource.Group, resource.Version, resource.Kind);

    /// <summary>
    /// Gives the object the shape kube's decode into the kind's Go struct gives it (structs always
    /// present, zero values of fields without omitempty, empty omitempty fields dropped). kube decodes
    /// the request, and decodes again whatever a patch, an apply or a mutating webhook produced, so
    /// this runs where a write's object comes in and again before validation. The kind's conversion
    /// to kube's internal form (Secret stringData into data) happens on the same decodes.
    /// </summary>
    private void AsGoWritesIt(JsonObject obj)
    {
        Strategy.ConvertOnDecode(obj);
        if (_goType is not null)
        {
            GoRoundTrip.Normalize(obj, _goType);
        }
    }

    // ---------------------------------------------------------------- create

    public async Task<JsonObject> CreateAsync(RequestScope scope, string ns, JsonObject obj, CancellationToken cancellationToken) =>
        (await CreateWrittenAsync(scope, ns, obj, cancellationToken).ConfigureAwait(false)).Object;

    /// <summary>Create, returning also the JSON it stored, as served, so the answer needs no second encoding.</summary>
    public async Task<Written> CreateWrittenAsync(RequestScope scope, string ns, JsonObject obj, CancellationToken cancellationToken)
    {
        Strategy.CheckCreateAllowed(obj);
        AsGoWritesIt(obj);
        var metadata = ObjectMeta.Metadata(obj);
        SetRequestNamespace(obj, ns);
        // kube's etcd3 store refuses only a resourceVersion that parses to a revision ("0" is unset).
        if (ulong.TryParse(ObjectMeta.ResourceVersion(obj), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var setVersion)
            && setVersion != 0)
        {
            throw StatusException.NewBadRequest("resourceVersion should not be set on objects to be created");
        }

        ObjectMeta.Metadata(obj).Remove("resourceVersion");

        Strategy.ApplyDefaults(obj);
        TrackManagedFields(scope, null, obj, "");
        await admission.AdmitAsync(Attributes(AdmissionOperation.Create, scope, obj, null), cancellationToken).ConfigureAwait(false);

        // BeforeCreate: what clients may not set, the kind's initial state, the system fields.
        metadata = ObjectMeta.Metadata(obj);
        metadata.Remove("deletionTimestamp");
        metadata.Remove("deletionGracePeriodSeconds");
        // The system fields come first: a strategy may build on them (a Job's generated selector names its uid).
        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = ObjectMeta.FormatTime(time.GetUtcNow());
        Strategy.PrepareForCreate(obj, scope.User);
        if (Strategy.TracksGeneration)
        {
            metadata["generation"] = 1;
        }
        else
        {
            metadata.Remove("generation");
        }

        // managedFields is metadata's last field, as kube writes it.
        if (metadata["managedFields"] is { } managedFields)
        {
            metadata.Remove("managedFields");
            metadata["managedFields"] = managedFields;
        }

        var generateName = metadata.GetString("generateName") ?? "";
        var generated = ObjectMeta.Name(obj).Length == 0 && generateName.Length > 0;
        if (generated)
        {
            metadata["name"] = generateName + RandomSuffix();
        }

        // The kind's REST takes what the object needs outside itself (a Service's cluster IPs)
        // before validation, which sees the result; the store gives it back if the create fails.
        var transaction = WriteHooks is { } hooks
            ? await hooks.BeginCreateAsync(obj, scope.DryRun, cancellationToken).ConfigureAwait(false)
            : null;
        if (transaction is null)
        {
            return await ValidateAndStoreAsync(scope, ns, obj, generated, generateName, cancellationToken).ConfigureAwait(false);
        }

        Written written;
        try
        {
            written = await ValidateAndStoreAsync(scope, ns, obj, generated, generateName, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await transaction.RevertAsync().ConfigureAwait(false);
            throw;
        }

        await transaction.CommitAsync().ConfigureAwait(false);
        return written;
    }

    /// <summary>The end of a create: validation, validating admission, the write (retrying a generated name that was taken).</summary>
    private async Task<Written> ValidateAndStoreAsync(RequestScope scope, string ns, JsonObject obj, bool generated, string generateName, CancellationToken cancellationToken)
    {
        var metadata = ObjectMeta.Metadata(obj);
        AsGoWritesIt(obj);
        ThrowIfInvalid(obj, ValidateMeta(obj).Concat(Strategy.Validate(obj)));
        await admission.ValidateAsync(Attributes(AdmissionOperation.Create, scope, obj, null), cancellationToken).ConfigureAwait(false);

        for (var attempt = 1; ; attempt++)
        {
            var name = ObjectMeta.Name(obj);
            var key = keys.ObjectKey(Resource, ns, name);
            try
            {
                if (scope.DryRun)
                {
                    if (await storage.GetAsync(key, default, cancellationToken).ConfigureAwait(false) is not null)
                    {
                        throw new StorageException(StorageErrorCode.KeyExists, key, "key exists");
                    }

                    return new Written(obj, null);
                }

                var encoded = ObjectCodec.EncodeForStorage(obj);
                var preparation = ownWriteViews?.Prepare(key, obj, encoded);
                StoredObject stored;
                try
                {
                    stored = await storage.CreateAsync(key, encoded.Bytes, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    ownWriteViews?.Forget(preparation);
                    throw;
                }

                OwnWriteViews.Stored(preparation, stored.ModRevision);
                ObjectCodec.SetResourceVersion(obj, stored.ModRevision);
                return new Written(obj, encoded.Served(stored.ModRevision));
            }
            catch (StorageException e) when (e.Code == StorageErrorCode.KeyExists && generated && attempt < GenerateNameAttempts)
            {
                metadata["name"] = generateName + RandomSuffix();
            }
            catch (StorageException e)
            {
                throw StorageErrors.Interpret(e, Resource, name);
            }
        }
    }

    // ---------------------------------------------------------------- get / list

    /// <param name="resourceVersion">the query's resourceVersion: unset reads the latest (from etcd),
    /// "0" whatever the watch cache has, N a state not older than N.</param>
    public async Task<JsonObject> GetAsync(string ns, string name, CancellationToken cancellationToken, string? resourceVersion = null) =>
        Decode(await GetStoredAsync(ns, name, resourceVersion, cancellationToken).ConfigureAwait(false));

    /// <summary>The object as stored; from the watch cache it carries its shared view (the handler can send those bytes).</summary>
    public Task<StoredObject> GetStoredAsync(string ns, string name, string? resourceVersion, CancellationToken cancellationToken) =>
        GetStoredAsync(ns, name, string.IsNullOrEmpty(resourceVersion)
            ? default
            : ParseResourceVersion(resourceVersion) is var rv && rv == 0
                ? new ReadOptions(Mode: ReadMode.Any)
                : new ReadOptions(rv, ReadMode.NotOlderThan), cancellationToken);

    /// <summary>The object as of every write this server has made (admission's reads): from the watch cache.</summary>
    public Task<StoredObject> GetStoredAfterOwnWritesAsync(string ns, string name, CancellationToken cancellationToken) =>
        GetStoredAsync(ns, name, new ReadOptions(Mode: ReadMode.OwnWrites), cancellationToken);

    private async Task<StoredObject> GetStoredAsync(string ns, string name, ReadOptions options, CancellationToken cancellationToken)
    {
        var stored = await Run(name, () => storage.GetAsync(keys.ObjectKey(Resource, ns, name), options, cancellationToken), options.Revision).ConfigureAwait(false);
        return stored ?? throw NotFound(name);
    }

    public async Task<ObjectList> ListAsync(string ns, ListQuery query, CancellationToken cancellationToken)
    {
        var prefix = keys.ListPrefix(Resource, ns);
        long revision = 0;
        var mode = ReadMode.Default;
        string? startAfter = null;
        var pageSize = query.Limit;
        if (!string.IsNullOrEmpty(query.Continue))
        {
            if (!string.IsNullOrEmpty(query.ResourceVersion) && query.ResourceVersion != "0")
            {
                throw StatusException.NewBadRequest("specifying resource version is not allowed when using continue");
            }

            var (tokenRevision, suffix) = ContinueToken.Decode(query.Continue);
            revision = tokenRevision;
            startAfter = keys.FromSuffix(Resource, suffix);
            if (!startAfter.StartsWith(prefix, StringComparison.Ordinal))
            {
                // A token for another namespace's list (or a forged one) cannot continue this one.
                throw StatusException.NewBadRequest("continue key is not valid: encoded start key is not in this list");
            }
        }
        else if (query.AfterOwnWrites)
        {
            mode = ReadMode.OwnWrites;
        }
        else if (query.ResourceVersionMatch == "Exact")
        {
            revision = ParseResourceVersion(query.ResourceVersion);
        }
        else if (string.IsNullOrEmpty(query.ResourceVersionMatch) && pageSize > 0
            && !string.IsNullOrEmpty(query.ResourceVersion) && query.ResourceVersion != "0")
        {
            // kube's legacy rule, from before resourceVersionMatch existed: a paged list at a resourceVersion
            // without a match is read exactly at that revision (its pages then continue from one state).
            revision = ParseResourceVersion(query.ResourceVersion);
        }
        else if (!string.IsNullOrEmpty(query.ResourceVersion))
        {
            revision = ParseResourceVersion(query.ResourceVersion);
            // resourceVersion "0" is "any version": the cache's whole list, limit ignored (COMPAT.md).
            mode = revision == 0 ? ReadMode.Any : ReadMode.NotOlderThan;
            pageSize = revision == 0 ? 0 : pageSize;
        }

        var limit = pageSize;
        var indexKey = IndexKeyFor(query);
        var items = new List<StoredObject>();
        string? lastKey = null;
        var more = false;
        long remaining = 0;
        try
        {
            while (true)
            {
                var client = query.FromClient ? new ClientList(query.HasSelectors) : (ClientList?)null;
                var page = await storage.GetListAsync(prefix, new ListOptions(revision, pageSize, startAfter, mode, indexKey, client), cancellationToken).ConfigureAwait(false);
                // Later pages are read exactly at the first page's revision.
                revision = page.Revision;
                mode = ReadMode.Default;
                if (items.Count == 0 && limit == 0 && !query.HasSelectors && !page.More)
                {
                    // Everything the store returned is the answer (a whole list from the watch cache): no copy of it.
                    return ObjectList.FromStored(page.Items, revision, null, null);
                }

                foreach (var stored in page.Items)
                {
                    if (limit > 0 && items.Count == limit)
                    {
                        more = true;
                        break;
                    }

                    lastKey = stored.Key;
                    if (Matches(stored, query))
                    {
                        items.Add(stored);
                    }
                }

                remaining = page.RemainingItemCount;
                if (more || !page.More)
                {
                    more |= page.More;
                    break;
                }

                if (limit > 0 && items.Count == limit)
                {
                    more = true;
                    break;
                }

                startAfter = page.Items[^1].Key;
            }
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.Compacted && !string.IsNullOrEmpty(query.Continue))
        {
            throw StatusException.NewResourceExpired(
                "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.");
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.TooLargeResourceVersion)
        {
            throw StatusException.NewTooLargeResourceVersion(revision, e.CurrentRevision, 1);
        }
        catch (StorageException e)
        {
            throw StorageErrors.Interpret(e, Resource, "");
        }

        string? token = null;
        long? remainingCount = null;
        if (more && lastKey is not null)
        {
            token = ContinueToken.Encode(revision, keys.KeySuffix(Resource, lastKey));
            if (!query.HasSelectors && remaining > 0)
            {
                remainingCount = remaining;
            }
        }

        return ObjectList.FromStored(items, revision, token, remainingCount);
    }

    /// <summary>
    /// The one equality the watch cache can look up instead of scanning: an indexed field (the
    /// kubelet's spec.nodeName=) first, else a label's exact value. Whatever else the selectors
    /// say is still checked on every candidate.
    /// </summary>
    private string? IndexKeyFor(ListQuery query)
    {
        if (query.FieldSelector is { IsEmpty: false } fields)
        {
            foreach (var requirement in fields.Requirements)
            {
                if (requirement.Operator is SelectionOperator.Equals or SelectionOperator.DoubleEquals
                    && Strategy.IndexedFields.Contains(requirement.Field))
                {
                    return ObjectView.FieldIndexKey(requirement.Field, requirement.Value);
                }
            }
        }

        if (query.LabelSelector is { IsEmpty: false } labels)
        {
            foreach (var requirement in labels.Requirements)
            {
                if (requirement.Operator is SelectionOperator.Equals or SelectionOperator.DoubleEquals or SelectionOperator.In
                    && requirement.Values.Count == 1)
                {
                    return ObjectView.LabelIndexKey(requirement.Key, requirement.Values[0]);
                }
            }
        }

        return null;
    }

    // ---------------------------------------------------------------- update

    /// <summary>PUT: replaces the object (or creates it, for kinds that allow create-on-update).</summary>
    /// <returns>the stored object and whether the update created it.</returns>
    public async Task<(Written Object, bool Created)> UpdateAsync(
        RequestScope scope, string ns, string name, string subresource, JsonObject update, CancellationToken cancellationToken)
    {
        CheckIdentity(update, ns, name);
        var key = keys.ObjectKey(Resource, ns, name);

        // Kinds that allow create-on-update (events, endpoints) go through the create path when
        // the object is absent, so they get create semantics; a racing create falls back to an update.
        if (Strategy.AllowCreateOnUpdate && subresource.Length == 0
            && await Run(name, () => storage.GetAsync(key, default, cancellationToken)).ConfigureAwait(false) is null)
        {
            try
            {
                var fresh = (JsonObject)update.DeepClone();
                ObjectMeta.Metadata(fresh).Remove("resourceVersion");
                return (await CreateWrittenAsync(scope, ns, fresh, cancellationToken).ConfigureAwait(false), true);
            }
            catch (StatusException e) when (e.Reason == "AlreadyExists")
            {
            }
        }

        return (await ApplyUpdateWrittenAsync(scope, ns, name, subresource, _ => (JsonObject)update.DeepClone(), cancellationToken).ConfigureAwait(false), false);
    }

    /// <summary>
    /// The update path every write of an existing object takes (PUT, PATCH, subresources): inside
    /// one read-modify-write, <paramref name="computeUpdate"/> turns the stored object (with its
    /// resourceVersion) into the object to store; then the kind's rules, admission and validation
    /// run, and the write is conditional on the version read. A lost race re-runs it all on the
    /// fresh object; a resourceVersion the result names that is not the stored one is a Conflict.
    /// </summary>
    public async Task<JsonObject> ApplyUpdateAsync(
        RequestScope scope, string ns, string name, string subresource, Func<JsonObject, JsonObject> computeUpdate, CancellationToken cancellationToken) =>
        (await ApplyUpdateWrittenAsync(scope, ns, name, subresource, computeUpdate, cancellationToken).ConfigureAwait(false)).Object;

    /// <summary><see cref="ApplyUpdateAsync"/>, returning also the JSON it stored, as served.</summary>
    public async Task<Written> ApplyUpdateWrittenAsync(
        RequestScope scope, string ns, string name, string subresource, Func<JsonObject, JsonObject> computeUpdate, CancellationToken cancellationToken)
    {
        if (WriteHooks is null || subresource.Length > 0)
        {
            return await ApplyUpdateCoreAsync(scope, ns, name, subresource, computeUpdate, null, cancellationToken).ConfigureAwait(false);
        }

        // The kind's REST hooks take or free resources in each attempt; the last attempt's
        // transaction is committed once the update is stored, reverted if it is not.
        var attempt = new StrongBox<IWriteTransaction?>();
        Written written;
        try
        {
            written = await ApplyUpdateCoreAsync(scope, ns, name, subresource, computeUpdate, attempt, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (attempt.Value is { } failed)
            {
                await failed.RevertAsync().ConfigureAwait(false);
            }

            throw;
        }

        if (attempt.Value is { } done)
        {
            await done.CommitAsync().ConfigureAwait(false);
        }

        return written;
    }

    private async Task<Written> ApplyUpdateCoreAsync(
        RequestScope scope, string ns, string name, string subresource, Func<JsonObject, JsonObject> computeUpdate,
        StrongBox<IWriteTransaction?>? transaction, CancellationToken cancellationToken)
    {
        var key = keys.ObjectKey(Resource, ns, name);

        async ValueTask<JsonObject> Transform(StoredObject? current, CancellationToken ct)
        {
            if (current is null)
            {
                throw NotFound(name);
            }

            var old = ObjectCodec.Decode(current);
            var obj = computeUpdate((JsonObject)old.DeepClone());
            AsGoWritesIt(obj);
            CheckIdentity(obj, ns, name);
            // "" and "0" are both unset (kube's APIObjectVersioner); anything else must be a revision. kube's
            // store passes strconv's error on as a 500; a bad value is the client's mistake, so 422 here.
            var requestedVersion = ObjectMeta.ResourceVersion(obj);
            if (requestedVersion == "0")
            {
                requestedVersion = "";
            }
            else if (requestedVersion.Length > 0 && !ulong.TryParse(requestedVersion, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
            {
                throw StatusException.NewInvalid(Resource.Group, Resource.Kind, name,
                    [FieldError.Invalid(FieldPath.New("metadata").Child("resourceVersion"), requestedVersion, ParseUintError(requestedVersion))]);
            }

            if (requestedVersion.Length > 0 && requestedVersion != ObjectMeta.ResourceVersion(old))
            {
                throw Conflict(name);
            }

            if (requestedVersion.Length == 0)
            {
                if (!Strategy.AllowUnconditionalUpdate)
                {
                    throw StatusException.NewInvalid(Resource.Group, Resource.Kind, name,
                        [FieldError.Invalid(FieldPath.New("metadata").Child("resourceVersion"), "", "must be specified for an update")]);
                }

                // An unconditional update is an update of whatever is stored now (kube's store.Update).
                ObjectMeta.Metadata(obj)["resourceVersion"] = ObjectMeta.ResourceVersion(old);
            }

            obj = subresource switch
            {
                "status" => Strategy.PrepareForStatusUpdate(obj, old),
                "finalize" => NamespaceStrategy.PrepareForFinalize(obj, old),
                "" => obj,
                _ => Strategy.PrepareForSubresourceUpdate(subresource, obj, old),
            };

            Strategy.ApplyDefaults(obj);
            TrackManagedFields(scope, old, obj, subresource);
            await admission.AdmitAsync(Attributes(AdmissionOperation.Update, scope, obj, old, subresource), ct).ConfigureAwait(false);
            BeforeUpdate(obj, old, mainResource: subresource.Length == 0, bumpsGeneration: subresource.Length == 0 || Strategy.SubresourceBumpsGeneration(subresource));
            if (transaction is not null && WriteHooks is { } hooks)
            {
                // A retried attempt starts over: what the previous one took goes back first.
                if (transaction.Value is { } previous)
                {
                    transaction.Value = null;
                    await previous.RevertAsync().ConfigureAwait(false);
                }

                transaction.Value = await hooks.BeginUpdateAsync(obj, old, scope.DryRun, ct).ConfigureAwait(false);
            }

            AsGoWritesIt(obj);
            var kindErrors = Strategy.ValidateSubresourceUpdate(subresource, obj, old);
            ThrowIfInvalid(obj, ValidateMeta(obj).Concat(ValidateMetaUpdate(obj, old)).Concat(kindErrors));
            await admission.ValidateAsync(Attributes(AdmissionOperation.Update, scope, obj, old, subresource), ct).ConfigureAwait(false);
            return obj;
        }

        try
        {
            if (scope.DryRun)
            {
                var current = await storage.GetAsync(key, default, cancellationToken).ConfigureAwait(false);
                return new Written(await Transform(current, cancellationToken).ConfigureAwait(false), null);
            }

            // The last attempt's object and encoding: when they are what got stored (or what was
            // already stored, for an update that changed nothing), the answer is made from them
            // instead of decoding the stored bytes and encoding them again.
            JsonObject? lastObject = null;
            EncodedObject lastEncoded = default;
            OwnWriteViews.Preparation? preparation = null;
            StoredObject stored;
            try
            {
                stored = await storage.GuaranteedUpdateAsync(
                    key,
                    async (current, ct) =>
                    {
                        lastObject = await Transform(current, ct).ConfigureAwait(false);
                        lastEncoded = ObjectCodec.EncodeForStorage(lastObject);
                        // Each attempt's preparation replaces the previous one's (same key).
                        preparation = ownWriteViews?.Prepare(key, lastObject, lastEncoded);
                        return lastEncoded.Bytes;
                    },
                    cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                ownWriteViews?.Forget(preparation);
                throw;
            }

            JsonObject updated;
            ServedJson? json = null;
            if (lastObject is not null && stored.Value.Span.SequenceEqual(lastEncoded.Bytes))
            {
                updated = lastObject;
                ObjectCodec.SetResourceVersion(updated, stored.ModRevision);
                json = lastEncoded.Served(stored.ModRevision);
                OwnWriteViews.Stored(preparation, stored.ModRevision);
            }
            else
            {
                ownWriteViews?.Forget(preparation);
                updated = ObjectCodec.Decode(stored);
            }

            if (ShouldDeleteDuringUpdate(updated))
            {
                // The last finalizer is gone: the object's deletion completes now (ShouldDeleteDuringUpdate).
                return new Written(await DeleteFinalizedAsync(key, updated, cancellationToken).ConfigureAwait(false), null);
            }

            return new Written(updated, json);
        }
        catch (StorageException e)
        {
            throw StorageErrors.Interpret(e, Resource, name);
        }
    }

    // ---------------------------------------------------------------- field management

    /// <summary>
    /// Records in managedFields what this write's manager set (kube's fieldmanager Update), after
    /// defaulting and before mutating admission, so admission's changes are no one's. An apply has
    /// done its own bookkeeping (<see cref="RequestScope.FieldsManaged"/>).
    /// </summary>
    private void TrackManagedFields(RequestScope scope, JsonObject? old, JsonObject obj, string subresource)
    {
        if (!scope.FieldsManaged)
        {
            FieldManager.Update(old, obj, FieldManagerContext(scope, subresource));
        }
    }

    /// <summary>Who writes, in which version and subresource, and which fields the write resets (cannot own).</summary>
    public FieldManagerContext FieldManagerContext(RequestScope scope, string subresource)
    {
        subresource = scope.FieldManagerSubresource ?? subresource;
        var schema = Resource.Custom is { } custom ? custom.Facts : SchemaFacts.Builtin.ForKind(Resource.Group, Resource.Version, Resource.Kind);
        var ignored = _ignoredFields.GetOrAdd(subresource, IgnoredFields, schema);
        return new FieldManagerContext(scope.FieldManager ?? DefaultFieldManager, Resource.ApiVersion, subresource, schema, time.GetUtcNow(), ignored);
    }

    // The fields each subresource's writes reset, made once per subresource and then only read.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, FieldSet> _ignoredFields = new(StringComparer.Ordinal);

    private FieldSet IgnoredFields(string subresource, DefinitionSchema? schema)
    {
        var ignored = new FieldSet();
        if (subresource.Length == 0 && Resource.FindSubresource("status") is not null)
        {
            // The main resource resets status (the strategy keeps the stored one).
            ignored.Insert(["f:status"]);
        }
        else if (subresource == "status" && schema is not null)
        {
            // The status subresource resets everything but status (and metadata).
            foreach (var field in schema.Fields.Keys.Where(f => f is not ("status" or "metadata" or "apiVersion" or "kind")))
            {
                ignored.Insert(["f:" + field]);
            }
        }

        return ignored;
    }

    /// <summary>The manager of the server's own writes (kube-apiserver's User-Agent product).</summary>
    private const string DefaultFieldManager = "kube-apiserver";

    // ---------------------------------------------------------------- delete

    /// <summary>
    /// Whether deletes manage the garbage collector's finalizers (kube-apiserver's
    /// --enable-garbage-collector, on by default): <c>orphan</c> and <c>foregroundDeletion</c>.
    /// </summary>
    public bool GarbageCollection { get; init; } = true;

    /// <summary>
    /// kube's store.Delete: preconditions, then either an update that marks the object (a graceful
    /// period, finalizers pending, or the garbage collector's finalizers to add or remove) and
    /// leaves it to whoever finishes it, or the removal from storage. Admission's view of the
    /// delete runs inside the storage retry, on the object each attempt would delete or mark.
    /// </summary>
    /// <returns>the object as it now stands (or as it was deleted) and whether it is gone from storage.</returns>
    public async Task<(JsonObject Object, bool Deleted)> DeleteAsync(
        RequestScope scope, string ns, string name, DeleteOptions options, CancellationToken cancellationToken)
    {
        var key = keys.ObjectKey(Resource, ns, name);
        try
        {
            var current = await storage.GetAsync(key, default, cancellationToken).ConfigureAwait(false) ?? throw NotFound(name);
            var obj = ObjectCodec.Decode(current);
            var plan = BeforeDelete(obj, options, name);
            if (plan.Pending)
            {
                // A graceful deletion is under way and this one would not shorten it: nothing changes
                // (not even the finalizers, as in kube).
                return (obj, false);
            }

            JsonObject? marked = null;
            if (plan.Graceful || Strategy.HasPendingFinalizers(obj) || GarbageCollectionFinalizers(obj, options) is not null)
            {
                (marked, var deleteNow) = await MarkForDeletionAsync(scope, key, name, options, cancellationToken).ConfigureAwait(false);
                if (!deleteNow)
                {
                    return (marked, false);
                }

                if (scope.DryRun)
                {
                    return (marked, true);
                }
            }

            if (scope.DryRun)
            {
                await ValidateDeletionAsync(scope, obj, options, name, cancellationToken).ConfigureAwait(false);
                return (obj, true);
            }

            try
            {
                var deleted = ObjectCodec.Decode(await storage.DeleteAsync(
                    key,
                    (latest, ct) => ValidateDeletionAsync(scope, ObjectCodec.Decode(latest), options, name, ct),
                    cancellationToken).ConfigureAwait(false));
                await AfterDeleteAsync(deleted).ConfigureAwait(false);
                return (deleted, true);
            }
            catch (StorageException e) when (e.Code == StorageErrorCode.KeyNotFound && marked is not null)
            {
                // Marked with no grace period left, then removed by someone else first (its kubelet,
                // a finalizer's owner): the delete happened all the same.
                return (marked, true);
            }
        }
        catch (StorageException e)
        {
            throw StorageErrors.Interpret(e, Resource, name);
        }
    }

    /// <summary>Deletes every object the query selects; answers the list of what was deleted.</summary>
    public async Task<ObjectList> DeleteCollectionAsync(RequestScope scope, string ns, ListQuery query, DeleteOptions options, CancellationToken cancellationToken)
    {
        var list = await ListAsync(ns, query with { Limit = 0, Continue = null }, cancellationToken).ConfigureAwait(false);
        var deleted = new List<JsonObject>();
        foreach (var item in list.Items)
        {
            try
            {
                var (obj, _) = await DeleteAsync(scope, ObjectMeta.Namespace(item), ObjectMeta.Name(item), options, cancellationToken).ConfigureAwait(false);
                deleted.Add(obj);
            }
            catch (StatusException e) when (e.Code == 404)
            {
                // Deleted by someone else meanwhile: the collection delete still succeeds.
            }
        }

        return new ObjectList(deleted, list.ResourceVersion, null, null);
    }

    /// <summary>
    /// What a delete of <paramref name="obj"/> does to its deletion marks (kube's rest.BeforeDelete):
    /// a graceful period (a pod on a node) sets deletionTimestamp that far ahead, a deletion already
    /// under way may only be shortened, and otherwise it is Pending (nothing to change).
    /// Preconditions are checked here first, as kube does to fail early.
    /// </summary>
    private DeletePlan BeforeDelete(JsonObject obj, DeleteOptions options, string name)
    {
        CheckPreconditions(obj, options, name);
        // A negative grace period counts as 1 s on the delete path.
        var requested = options.GracePeriodSeconds is < 0 ? 1 : options.GracePeriodSeconds;
        var metadata = ObjectMeta.Metadata(obj);
        if (ObjectMeta.DeletionTimestamp(obj).Length > 0)
        {
            var existing = metadata["deletionGracePeriodSeconds"] is JsonValue v && v.TryGetValue<long>(out var p) ? p : 0;
            // Marked without a period (finalizers): the delete goes ahead (the finalizers decide).
            if (existing <= 0)
            {
                return default;
            }

            // Only a shorter grace period may be asked for.
            if (requested is not { } shorter || shorter >= existing)
            {
                return new DeletePlan(Pending: true);
            }

            var started = DateTimeOffset.Parse(ObjectMeta.DeletionTimestamp(obj), System.Globalization.CultureInfo.InvariantCulture).AddSeconds(-existing);
            metadata["deletionTimestamp"] = ObjectMeta.FormatTime(started.AddSeconds(shorter));
            metadata["deletionGracePeriodSeconds"] = shorter;
            return new DeletePlan(Graceful: true, Period: shorter);
        }

        if (Strategy.GracefulDeletePeriod(obj, requested) is not { } period)
        {
            return default;
        }

        metadata["deletionTimestamp"] = ObjectMeta.FormatTime(time.GetUtcNow().AddSeconds(period));
        metadata["deletionGracePeriodSeconds"] = period;
        BumpGeneration(metadata);
        return new DeletePlan(Graceful: true, Period: period);
    }

    /// <summary>The finalizers the garbage collector's policy wants after this delete; null when unchanged.</summary>
    private List<string>? GarbageCollectionFinalizers(JsonObject obj, DeleteOptions options) =>
        GarbageCollection ? Registry.GarbageCollection.FinalizersAfterDelete(ObjectMeta.Finalizers(obj), options, Registry.GarbageCollection.DefaultPolicy(Resource)) : null;

    /// <summary>
    /// kube's updateForGracefulDeletionAndFinalizers: in one read-modify-write, the deletion marks of
    /// <see cref="BeforeDelete"/>, the garbage collector's finalizers, and, when finalizers are
    /// pending, deletionTimestamp (now) with a zero grace period. Returns the object as marked, and
    /// whether it is to be removed now instead (no finalizers and no grace period left).
    /// </summary>
    private async Task<(JsonObject Object, bool DeleteNow)> MarkForDeletionAsync(
        RequestScope scope, string key, string name, DeleteOptions options, CancellationToken cancellationToken)
    {
        var deleteNow = false;
        var pending = false;
        async ValueTask<JsonObject?> Mark(JsonObject obj, CancellationToken ct)
        {
            deleteNow = pending = false;
            await ValidateDeletionAsync(scope, obj, options, name, ct).ConfigureAwait(false);
            var plan = BeforeDelete(obj, options, name);
            if (plan.Pending)
            {
                pending = true;
                return null;
            }

            var metadata = ObjectMeta.Metadata(obj);
            if (GarbageCollectionFinalizers(obj, options) is { } finalizers)
            {
                metadata["finalizers"] = new JsonArray(finalizers.Select(f => (JsonNode)f).ToArray());
            }

            if (Strategy.HasPendingFinalizers(obj))
            {
                if (!plan.Graceful)
                {
                    // markAsDeleting: the finalizers' owners take it from here.
                    var now = time.GetUtcNow();
                    if (ObjectMeta.DeletionTimestamp(obj) is not { Length: > 0 } existing)
                    {
                        BumpGeneration(metadata);
                        metadata["deletionTimestamp"] = ObjectMeta.FormatTime(now);
                    }
                    else if (DateTimeOffset.Parse(existing, System.Globalization.CultureInfo.InvariantCulture) > now)
                    {
                        metadata["deletionTimestamp"] = ObjectMeta.FormatTime(now);
                    }

                    metadata["deletionGracePeriodSeconds"] = 0;
                }

                Strategy.PrepareForFinalizingDelete(obj);
                return obj;
            }

            if (!plan.Graceful)
            {
                deleteNow = true;
                return null;
            }

            Strategy.PrepareForFinalizingDelete(obj);
            // A grace period shortened to zero with no finalizers: marked, then removed at once.
            deleteNow = plan.Period == 0;
            return obj;
        }

        if (scope.DryRun)
        {
            var current = await storage.GetAsync(key, default, cancellationToken).ConfigureAwait(false) ?? throw NotFound(name);
            var obj = ObjectCodec.Decode(current);
            var marked = await Mark(obj, cancellationToken).ConfigureAwait(false);
            return (marked ?? ObjectCodec.Decode(current), deleteNow);
        }

        var stored = await storage.GuaranteedUpdateAsync(key, async (current, ct) =>
        {
            if (current is null)
            {
                throw NotFound(name);
            }

            // Nothing to write (already being deleted, or to be deleted now) is the stored bytes unchanged.
            return await Mark(ObjectCodec.Decode(current), ct).ConfigureAwait(false) is { } marked ? ObjectCodec.Encode(marked) : current.Value;
        }, cancellationToken).ConfigureAwait(false);
        return (ObjectCodec.Decode(stored), deleteNow && !pending);
    }

    /// <summary>
    /// What each attempt at a delete checks on the object it would delete or mark: the preconditions,
    /// then admission (kube's AdmissionToValidateObjectDeleteFunc: mutating plugins see a DELETE too,
    /// then validating ones), inside the storage retry as for creates and updates.
    /// </summary>
    private async ValueTask ValidateDeletionAsync(RequestScope scope, JsonObject obj, DeleteOptions options, string name, CancellationToken cancellationToken)
    {
        CheckPreconditions(obj, options, name);
        var attributes = Attributes(AdmissionOperation.Delete, scope, null, obj);
        await admission.AdmitAsync(attributes, cancellationToken).ConfigureAwait(false);
        await admission.ValidateAsync(attributes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The first mark of a deletion counts as a change of the object's generation (kube's BeforeDelete, markAsDeleting).</summary>
    private static void BumpGeneration(JsonObject metadata)
    {
        if (metadata["generation"] is JsonValue g && g.TryGetValue<long>(out var generation) && generation > 0)
        {
            metadata["generation"] = generation + 1;
        }
    }

    /// <param name="Graceful">the delete sets (or shortens) a grace period: the object is marked, not removed.</param>
    /// <param name="Pending">a graceful deletion is already under way and stays as it is.</param>
    /// <param name="Period">the grace period set, when Graceful.</param>
    private readonly record struct DeletePlan(bool Graceful = false, bool Pending = false, long Period = 0);

    /// <summary>
    /// kube's ShouldDeleteDuringUpdate: an update leaves an object under deletion with no finalizers
    /// and no grace period running (a pod still terminating on its node stays until its kubelet deletes it).
    /// </summary>
    private bool ShouldDeleteDuringUpdate(JsonObject obj) =>
        ObjectMeta.DeletionTimestamp(obj).Length > 0
        && !Strategy.HasPendingFinalizers(obj)
        && !(ObjectMeta.Metadata(obj)["deletionGracePeriodSeconds"] is JsonValue v && v.TryGetValue<long>(out var grace) && grace > 0);

    /// <summary>The kind's REST hook once an object is gone from storage (a Service's addresses go back); not cancelled with the request.</summary>
    private Task AfterDeleteAsync(JsonObject deleted) =>
        WriteHooks is { } hooks ? hooks.AfterDeleteAsync(deleted, CancellationToken.None) : Task.CompletedTask;

    private async Task<JsonObject> DeleteFinalizedAsync(string key, JsonObject obj, CancellationToken cancellationToken)
    {
        var expected = ObjectMeta.ResourceVersion(obj);
        try
        {
            var deleted = await storage.DeleteAsync(key, (latest, _) =>
            {
                // Someone changed it since (e.g. added a finalizer): leave it to them.
                if (latest.ModRevision.ToString(System.Globalization.CultureInfo.InvariantCulture) != expected)
                {
                    throw Conflict(ObjectMeta.Name(obj));
                }

                return ValueTask.CompletedTask;
            }, cancellationToken).ConfigureAwait(false);
            var gone = ObjectCodec.Decode(deleted);
            await AfterDeleteAsync(gone).ConfigureAwait(false);
            return gone;
        }
        catch (StatusException e) when (e.Code == 409)
        {
            return obj;
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.KeyNotFound)
        {
            return obj;
        }
    }

    // ---------------------------------------------------------------- watch

    /// <summary>
    /// Events of the objects the query selects. Without a resourceVersion (or "0"), or with
    /// <paramref name="sendInitialEvents"/>, the current objects come first as ADDED, then changes
    /// after that list; otherwise changes after the given resourceVersion. With sendInitialEvents
    /// the initial events end with a BOOKMARK annotated k8s.io/initial-events-end. Changes that do
    /// not match the selection yield a Progress event carrying only their revision, so the caller
    /// can bookmark how far the watch has come.
    /// </summary>
    /// <summary>
    /// A client's watch while this resource's watch cache fills is refused (429 with a Retry-After),
    /// as kube's cacher refuses it rather than leaving it hanging; call before the response starts.
    /// </summary>
    public void ThrowIfWatchCacheFilling()
    {
        if (storage is Storage.Cacher.Cacher { Serving: false } cache)
        {
            throw StorageErrors.Interpret(cache.NotReady(cache.KeyPrefix), Resource, "");
        }
    }

    /// <summary>etcd's current revision: where a watch of changes from now on starts.</summary>
    public Task<long> CurrentRevisionAsync(CancellationToken cancellationToken) => storage.GetCurrentRevisionAsync(cancellationToken);

    public IAsyncEnumerable<ObjectEvent> WatchAsync(string ns, string name, ListQuery query, bool sendInitialEvents, CancellationToken cancellationToken) =>
        WatchAsync(ns, name, query, sendInitialEvents, null, cancellationToken);

    /// <param name="bookmarks">when the watcher allows bookmarks: the watch cache then sends periodic
    /// BOOKMARK events (kube's cacher does; etcd's watches, without a cache, send none).</param>
    public async IAsyncEnumerable<ObjectEvent> WatchAsync(
        string ns, string name, ListQuery query, bool sendInitialEvents, Storage.Cacher.WatchBookmarks? bookmarks,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var prefix = name.Length > 0 ? keys.ObjectKey(Resource, ns, name) : keys.ListPrefix(Resource, ns);
        long after;
        if (sendInitialEvents || string.IsNullOrEmpty(query.ResourceVersion) || query.ResourceVersion == "0")
        {
            // Unset lists the latest state, "0" any state (the cache's), and with sendInitialEvents
            // N lists "not older than N"; the list checks that.
            var listQuery = query with
            {
                Limit = 0,
                Continue = null,
                ResourceVersion = query.ResourceVersion,
                ResourceVersionMatch = null,
            };
            var list = await ListAsync(ns, listQuery, cancellationToken).ConfigureAwait(false);
            foreach (var item in list.Stored)
            {
                if (name.Length == 0 || item.Key == prefix)
                {
                    yield return ObjectEvent.Of(WatchEventKind.Added, item);
                }
            }

            after = list.ResourceVersion;
            if (sendInitialEvents)
            {
                yield return new ObjectEvent(WatchEventKind.Bookmark, Bookmark(after, initialEventsEnd: true));
            }
        }
        else
        {
            after = ParseResourceVersion(query.ResourceVersion);
        }

        var changes = bookmarks is not null && storage is Storage.Cacher.Cacher cache
            ? cache.WatchAsync(prefix, after, bookmarks, cancellationToken)
            : storage.WatchAsync(prefix, after, cancellationToken);
        await foreach (var change in changes.ConfigureAwait(false))
        {
            if (change.Type == WatchEventType.Bookmark)
            {
                yield return new ObjectEvent(WatchEventKind.Bookmark, Bookmark(change.Object.ModRevision, initialEventsEnd: false));
                continue;
            }

            // From the watch cache, every watcher shares the event's view (decoded and serialized
            // once); straight from etcd, each decodes its own.
            var matchesNow = Matches(change.Object, query);
            var matchedBefore = change.Previous is not null && Matches(change.Previous, query);
            switch (change.Type)
            {
                case WatchEventType.Added when matchesNow:
                    yield return ObjectEvent.Of(WatchEventKind.Added, change.Object);
                    break;
                case WatchEventType.Modified when matchesNow && matchedBefore:
                    yield return ObjectEvent.Of(WatchEventKind.Modified, change.Object);
                    break;
                case WatchEventType.Modified when matchesNow:
                    yield return ObjectEvent.Of(WatchEventKind.Added, change.Object);
                    break;
                case WatchEventType.Modified when matchedBefore:
                    // It left the selection: watchers see it go, with the new revision.
                    var previous = Decode(change.Previous!);
                    ObjectCodec.SetResourceVersion(previous, change.Object.ModRevision);
                    yield return new ObjectEvent(WatchEventKind.Deleted, previous);
                    break;
                case WatchEventType.Deleted when matchesNow:
                    yield return ObjectEvent.Of(WatchEventKind.Deleted, change.Object);
                    break;
                default:
                    yield return new ObjectEvent(WatchEventKind.Progress, Bookmark(change.Object.ModRevision, initialEventsEnd: false));
                    break;
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>A BOOKMARK's object: the kind and only metadata.resourceVersion (and the end-of-initial-events marker).</summary>
    public JsonObject Bookmark(long revision, bool initialEventsEnd)
    {
        var metadata = new JsonObject
        {
            ["resourceVersion"] = revision.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["creationTimestamp"] = null,
        };
        if (initialEventsEnd)
        {
            metadata["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
        }

        return new JsonObject { ["kind"] = Resource.Kind, ["apiVersion"] = Resource.ApiVersion, ["metadata"] = metadata };
    }

    /// <summary>Selection on a stored object: on the cache's view when it has one, else on the decoded object.</summary>
    private bool Matches(StoredObject stored, ListQuery query)
    {
        if (!query.HasSelectors)
        {
            return true;
        }

        if (stored.View is not ObjectView view)
        {
            return Matches(Decode(stored), query);
        }

        if (query.LabelSelector is { IsEmpty: false } labels && !labels.Matches(view.Labels))
        {
            return false;
        }

        return query.FieldSelector is not { IsEmpty: false } fields || fields.Matches(view.FieldValue);
    }

    /// <summary>A mutable copy of a stored object (from the cache's shared view when there is one).</summary>
    private static JsonObject Decode(StoredObject stored) =>
        stored.View is ObjectView view ? view.Decode() : ObjectCodec.Decode(stored);

    public bool Matches(JsonObject obj, ListQuery query)
    {
        if (query.LabelSelector is { IsEmpty: false } labels && !labels.Matches(ObjectMeta.Labels(obj)))
        {
            return false;
        }

        if (query.FieldSelector is { IsEmpty: false } fields && !fields.Matches(field => Strategy.FieldValue(obj, field)))
        {
            return false;
        }

        return true;
    }

    private void SetRequestNamespace(JsonObject obj, string ns)
    {
        var metadata = ObjectMeta.Metadata(obj);
        if (!Resource.Namespaced)
        {
            metadata.Remove("namespace");
            return;
        }

        var objectNamespace = ObjectMeta.Namespace(obj);
        if (objectNamespace.Length == 0)
        {
            metadata["namespace"] = ns;
        }
        else if (objectNamespace != ns)
        {
            throw StatusException.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
    }

    private void CheckIdentity(JsonObject obj, string ns, string name)
    {
        var objectName = ObjectMeta.Name(obj);
        if (objectName.Length > 0 && objectName != name)
        {
            throw StatusException.NewBadRequest($"the name of the object ({objectName}) does not match the name on the URL ({name})");
        }

        if (objectName.Length == 0)
        {
            ObjectMeta.Metadata(obj)["name"] = name;
        }

        SetRequestNamespace(obj, ns);
    }

    /// <summary>kube's rest.BeforeUpdate: what an update can never change, and generation.</summary>
    private void BeforeUpdate(JsonObject obj, JsonObject old, bool mainResource, bool bumpsGeneration)
    {
        var metadata = ObjectMeta.Metadata(obj);
        var oldMetadata = ObjectMeta.Metadata(old);
        if (mainResource)
        {
            Strategy.PrepareForUpdate(obj, old);
        }

        if (ObjectMeta.Uid(obj).Length == 0)
        {
            metadata["uid"] = ObjectMeta.Uid(old);
        }

        foreach (var field in new[] { "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds" })
        {
            if (oldMetadata[field] is { } value)
            {
                metadata[field] = value.DeepClone();
            }
            else
            {
                metadata.Remove(field);
            }
        }

        if (Strategy.TracksGeneration)
        {
            var generation = oldMetadata["generation"] is JsonValue g && g.TryGetValue<long>(out var n) ? n : 1;
            if (bumpsGeneration && (Strategy.GenerationChanged(obj, old)
                || Strategy.AnnotationsBumpGeneration && !JsonNode.DeepEquals(metadata["annotations"], oldMetadata["annotations"])))
            {
                generation++;
            }

            metadata["generation"] = generation;
        }
        else
        {
            metadata.Remove("generation");
        }
    }

    private IEnumerable<FieldError> ValidateMeta(JsonObject obj)
    {
        var metadata = ObjectMeta.Metadata(obj);
        return ObjectMetaValidator.Validate(metadata, Resource.Namespaced, Strategy.ValidateName, FieldPath.New("metadata"));
    }

    private static IEnumerable<FieldError> ValidateMetaUpdate(JsonObject obj, JsonObject old) =>
        ObjectMetaValidator.ValidateUpdate(ObjectMeta.Metadata(obj), ObjectMeta.Metadata(old), FieldPath.New("metadata"));

    private void ThrowIfInvalid(JsonObject obj, IEnumerable<FieldError> errors)
    {
        var list = errors.ToList();
        if (list.Count > 0)
        {
            throw StatusException.NewInvalid(Resource.Group, Resource.Kind, ObjectMeta.Name(obj), list);
        }
    }

    private void CheckPreconditions(JsonObject obj, DeleteOptions options, string name)
    {
        if (options.PreconditionUid is { Length: > 0 } uid && uid != ObjectMeta.Uid(obj))
        {
            throw StatusException.NewConflict(Resource.Group, Resource.Plural, name,
                $"Precondition failed: UID in precondition: {uid}, UID in object meta: {ObjectMeta.Uid(obj)}");
        }

        if (options.PreconditionResourceVersion is { Length: > 0 } rv && rv != ObjectMeta.ResourceVersion(obj))
        {
            throw StatusException.NewConflict(Resource.Group, Resource.Plural, name,
                $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {ObjectMeta.ResourceVersion(obj)}");
        }
    }

    private AdmissionAttributes Attributes(AdmissionOperation operation, RequestScope scope, JsonObject? obj, JsonObject? old, string subresource = "") => new()
    {
        Operation = operation,
        Group = Resource.Group,
        Version = Resource.Version,
        Kind = Resource.Kind,
        Resource = Resource.Plural,
        Subresource = subresource,
        Namespace = ObjectMeta.Namespace(obj ?? old!),
        Name = ObjectMeta.Name(obj ?? old!),
        Object = obj,
        OldObject = old,
        UserInfo = scope.User,
        DryRun = scope.DryRun,
        AddWarning = scope.Warn ?? (_ => { }),
        Default = Strategy.ApplyDefaults,
    };

    private StatusException NotFound(string name) => StatusException.NewNotFound(Resource.Group, Resource.Plural, name);

    private StatusException Conflict(string name) =>
        StatusException.NewConflict(Resource.Group, Resource.Plural, name, StatusException.OptimisticLockErrorMsg);

    private async Task<T> Run<T>(string name, Func<Task<T>> operation, long requestedRevision = 0)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.TooLargeResourceVersion)
        {
            throw StatusException.NewTooLargeResourceVersion(requestedRevision, e.CurrentRevision, 1);
        }
        catch (StorageException e)
        {
            throw StorageErrors.Interpret(e, Resource, name);
        }
    }

    internal static long ParseResourceVersion(string? value) =>
        long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var rv) && rv >= 0
            ? rv
            : throw StatusException.NewBadRequest($"invalid resource version \"{value}\"");

    /// <summary>Go's strconv.ParseUint error for text that is not a uint64.</summary>
    private static string ParseUintError(string text) =>
        $"strconv.ParseUint: parsing {ApiMachinery.Text.GoText.Quote(text)}: " + (text.All(char.IsAsciiDigit) ? "value out of range" : "invalid syntax");

    private static string RandomSuffix()
    {
        Span<char> chars = stackalloc char[5];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = RandomAlphabet[RandomNumberGenerator.GetInt32(RandomAlphabet.Length)];
        }

        return new string(chars);
    }
}
