using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Schema;

namespace ApiMachinery.FieldManagement;

/// <summary>The fields two or more managers want to set differently, reported by an apply without force.</summary>
public sealed class FieldManagerConflictException(IReadOnlyList<(ManagedFieldsEntry Owner, string Path)> conflicts)
    : Exception(MessageFor(conflicts))
{
    public IReadOnlyList<(ManagedFieldsEntry Owner, string Path)> Conflicts { get; } = conflicts;

    /// <summary>kube-apiserver's wording: one conflict on one line, several grouped by manager.</summary>
    private static string MessageFor(IReadOnlyList<(ManagedFieldsEntry Owner, string Path)> conflicts)
    {
        if (conflicts.Count == 1)
        {
            return $"Apply failed with 1 conflict: conflict with {conflicts[0].Owner.Describe()}: {conflicts[0].Path}";
        }

        var lines = conflicts
            .GroupBy(c => c.Owner.Describe())
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .SelectMany(g => new[] { $"conflicts with {g.Key}:" }.Concat(g.Select(c => "- " + c.Path)));
        return $"Apply failed with {conflicts.Count} conflicts: {string.Join("\n", lines)}";
    }
}

/// <summary>Who is writing and what their write may not own.</summary>
/// <param name="Manager">the fieldManager (or the User-Agent's product) of the request.</param>
/// <param name="ApiVersion">the object's apiVersion, recorded per entry.</param>
/// <param name="Subresource">"" for the main resource, "status" or "scale"...</param>
/// <param name="Schema">the kind's schema facts (null: untyped, as for custom resources).</param>
/// <param name="Ignored">fields the write resets and so cannot own (status on the main resource of a kind with a status subresource); not changed afterwards.</param>
public sealed record FieldManagerContext(
    string Manager, string ApiVersion, string Subresource, DefinitionSchema? Schema, DateTimeOffset Now, FieldSet? Ignored = null);

/// <summary>
/// Server-side field ownership (k8s.io/apiserver's fieldmanager over structured-merge-diff): every
/// write records in <c>metadata.managedFields</c> which manager set which fields; an apply merges a
/// configuration into the live object, conflicts with other managers' differing values unless forced,
/// and removes what the applier set before and no longer applies when no one else owns it.
/// </summary>
public static class FieldManager
{
    /// <summary>The manager kube records for an object's fields when it is first applied to without managedFields.</summary>
    public const string BeforeFirstApply = "before-first-apply";

    /// <summary>Fields no manager owns: identity and system metadata (kube's stripMeta).</summary>
    private static readonly FieldSet Stripped = StrippedFields();

    /// <summary>The same without the <c>metadata</c> node itself, so it can exclude whole subtrees.</summary>
    private static readonly FieldSet StrippedLeaves = StrippedFields(withMetadata: false);

    /// <summary>
    /// A create, update or non-apply patch: the fields the write added or changed become the manager's
    /// (taken from any other owner), and fields it removed are no one's. <paramref name="updated"/>
    /// gets its managedFields; <paramref name="live"/> is null for a create.
    /// </summary>
    public static void Update(JsonObject? live, JsonObject updated, FieldManagerContext context)
    {
        // The write's own managedFields win when it sends some (clients may edit them); else the live ones.
        var entries = ManagedFields.Has(updated) || live is null ? ManagedFields.Read(updated) : ManagedFields.Read(live);
        if (context.Subresource.Length > 0 && live is not null)
        {
            entries = ManagedFields.Read(live);
        }

        // One walk over both objects, skipping what no one owns (managedFields itself among it).
        var comparison = TypedValues.Compare(live ?? [], updated, FieldShape.Of(context.Schema), Unowned(context));
        var taken = comparison.AddedOrModified;
        foreach (var entry in entries)
        {
            entry.Fields = entry.Fields.Difference(taken).Difference(comparison.Removed);
        }

        if (!taken.IsEmpty)
        {
            var own = entries.FirstOrDefault(e => e.SameOwner(context.Manager, ManagedFieldsEntry.Update, context.Subresource, context.ApiVersion));
            if (own is null)
            {
                own = new ManagedFieldsEntry
                {
                    Manager = context.Manager,
                    Operation = ManagedFieldsEntry.Update,
                    ApiVersion = context.ApiVersion,
                    Subresource = context.Subresource,
                };
                entries.Add(own);
                own.Fields = taken;
            }
            else
            {
                own.Fields = own.Fields.Union(taken);
            }

            own.Time = ManagedFieldsEntry.FormatTime(context.Now);
        }

        CapUpdateManagers(entries, context.Now);
        ManagedFields.Write(updated, entries);
    }

    /// <summary>
    /// The system fields and the ones the write resets, as subtrees a comparison skips (read only).
    /// Stores pass the same ignored set for every write of a kind and subresource, so the union is made once per set.
    /// </summary>
    private static FieldSet Unowned(FieldManagerContext context) =>
        context.Ignored is { } ignored ? UnownedWith.GetValue(ignored, UnionWithStripped) : StrippedLeaves;

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<FieldSet, FieldSet> UnownedWith = [];

    private static FieldSet UnionWithStripped(FieldSet ignored)
    {
        var set = StrippedLeaves.Clone();
        set.UnionWith(ignored);
        return set;
    }

    /// <summary>
    /// Server-side apply of <paramref name="applied"/> (the request's configuration) to <paramref name="live"/>
    /// (the stored object; an empty object of the kind when the apply creates it). Returns the object to
    /// store, with its managedFields.
    /// </summary>
    /// <exception cref="FieldManagerConflictException">another manager owns a field the configuration changes, and not <paramref name="force"/>.</exception>
    public static JsonObject Apply(JsonObject live, JsonObject applied, FieldManagerContext context, bool force)
    {
        var shape = FieldShape.Of(context.Schema);
        var entries = ManagedFields.Read(live);
        var liveObject = Strip(live)!;
        if (entries.Count == 0 && ObjectHasContent(liveObject))
        {
            // An object nobody has applied to: its current fields belong to a stand-in manager, so
            // the first apply conflicts where it would change them, as with kube-apiserver.
            var seeded = (JsonObject)liveObject.DeepClone();
            Update(null, seeded, context with { Manager = BeforeFirstApply });
            entries = ManagedFields.Read(seeded);
        }

        var config = (JsonObject)applied.DeepClone();
        ManagedFields.Remove(config);
        var appliedSet = FieldManagerSets.RecursiveDifference(TypedValues.ToFieldSet(config, shape).Difference(Stripped), context.Ignored);
        var merged = (JsonObject)TypedValues.Merge(liveObject, config, shape)!;

        var own = entries.FirstOrDefault(e => e.SameOwner(context.Manager, ManagedFieldsEntry.Apply, context.Subresource, context.ApiVersion));
        var others = entries.Where(e => e != own).ToList();
        if (own is not null)
        {
            var othersUnion = others.Aggregate(new FieldSet(), (all, e) => all.Union(e.Fields));
            TypedValues.Prune(merged, shape, own.Fields, appliedSet, othersUnion);
        }

        var comparison = TypedValues.Compare(liveObject, merged, shape, Unowned(context));
        var changed = comparison.AddedOrModified;
        var conflicts = new List<(ManagedFieldsEntry Entry, IReadOnlyList<string> Path)>();
        foreach (var entry in others)
        {
            foreach (var path in entry.Fields.Intersection(changed).Members())
            {
                conflicts.Add((entry, path));
            }
        }

        if (conflicts.Count > 0 && !force)
        {
            // Moving from client-side apply: only kubectl's own server-side applies are forgiven the
            // conflicts the last-applied annotation accounts for; the rest are reported.
            var allowed = context.Manager == KubectlManager ? AllowedByLastApplied(liveObject, shape) : null;
            var remaining = allowed is null ? conflicts : conflicts.Where(c => !allowed.Has(c.Path)).ToList();
            if (remaining.Count > 0)
            {
                throw new FieldManagerConflictException(remaining.Select(c => (c.Entry, PathElements.Readable(c.Path))).ToList());
            }
        }

        foreach (var entry in others)
        {
            entry.Fields = entry.Fields.Difference(changed).Difference(comparison.Removed);
        }

        if (own is null)
        {
            own = new ManagedFieldsEntry
            {
                Manager = context.Manager,
                Operation = ManagedFieldsEntry.Apply,
                Subresource = context.Subresource,
            };
            entries.Add(own);
        }

        own.ApiVersion = context.ApiVersion;
        own.Fields = appliedSet;
        if (!JsonNode.DeepEquals(liveObject, merged) || own.Time.Length == 0)
        {
            own.Time = ManagedFieldsEntry.FormatTime(context.Now);
        }

        // The identity and system fields stay the live object's (a create has them from the configuration).
        CopySystemMetadata(live, merged);
        if (context.Manager == KubectlManager)
        {
            SyncLastApplied(merged, config);
        }

        CapUpdateManagers(entries, context.Now);
        ManagedFields.Write(merged, entries);
        return merged;
    }

    /// <summary>The annotation client-side <c>kubectl apply</c> keeps its last configuration in.</summary>
    public const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    /// <summary>kubectl's server-side field manager, the only one whose applies keep that annotation current.</summary>
    private const string KubectlManager = "kubectl";

    /// <summary>kube keeps at most this many Update entries; older ones merge into <see cref="AncientChanges"/>.</summary>
    public const int MaxUpdateManagers = 10;

    public const string AncientChanges = "ancient-changes";

    /// <summary>
    /// Moving from client-side to server-side apply (kube's lastAppliedManager): the fields of the last
    /// client-side configuration that still have the value it gave them, that is, the fields kubectl
    /// itself set and nobody has changed since; null when the object has no usable annotation.
    /// </summary>
    private static FieldSet? AllowedByLastApplied(JsonObject liveObject, FieldShape shape)
    {
        if (liveObject.GetString("metadata", "annotations", LastAppliedAnnotation) is not { Length: > 0 } text)
        {
            return null;
        }

        JsonObject lastApplied;
        try
        {
            lastApplied = JsonNode.Parse(text) as JsonObject ?? [];
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }

        // kube compares only a configuration of the live object's own apiVersion.
        if (lastApplied["apiVersion"]?.ToString() is { } apiVersion && liveObject["apiVersion"]?.ToString() is { } liveVersion && apiVersion != liveVersion)
        {
            return null;
        }

        var comparison = TypedValues.Compare(lastApplied, liveObject, shape);
        return TypedValues.ToFieldSet(lastApplied, shape).Difference(comparison.Modified).Difference(comparison.Removed);
    }

    /// <summary>
    /// kubectl's server-side applies keep the client-side annotation (when the object has one) equal to
    /// the configuration, so a later client-side apply starts from it (kube's lastAppliedUpdater).
    /// </summary>
    private static void SyncLastApplied(JsonObject merged, JsonObject config)
    {
        if (merged["metadata"]?["annotations"] is not JsonObject annotations || !annotations.ContainsKey(LastAppliedAnnotation))
        {
            return;
        }

        var lastApplied = (JsonObject)config.DeepClone();
        if (lastApplied["metadata"]?["annotations"] is JsonObject own)
        {
            own.Remove(LastAppliedAnnotation);
            if (own.Count == 0)
            {
                ((JsonObject)lastApplied["metadata"]!).Remove("annotations");
            }
        }

        // Go marshals the configuration's maps with sorted keys; kubectl compares the text.
        annotations[LastAppliedAnnotation] = Serialization.GoJsonEncoder.SortedJson(lastApplied) + "\n";
    }

    /// <summary>At most ten Update entries: the oldest beyond that merge into one "ancient-changes" entry.</summary>
    private static void CapUpdateManagers(List<ManagedFieldsEntry> entries, DateTimeOffset now)
    {
        // Every write passes here and almost none has too many managers: count before sorting.
        var updateEntries = 0;
        foreach (var entry in entries)
        {
            updateEntries += entry.Operation == ManagedFieldsEntry.Update ? 1 : 0;
        }

        if (updateEntries <= MaxUpdateManagers)
        {
            return;
        }

        var updates = entries.Where(e => e.Operation == ManagedFieldsEntry.Update && e.Manager != AncientChanges)
            .OrderBy(e => e.Time, StringComparer.Ordinal)
            .ToList();
        var ancient = entries.FirstOrDefault(e => e.Operation == ManagedFieldsEntry.Update && e.Manager == AncientChanges);
        var excess = updates.Count + (ancient is null ? 0 : 1) - MaxUpdateManagers;
        if (excess <= 0)
        {
            return;
        }

        if (ancient is null)
        {
            excess++;
            ancient = new ManagedFieldsEntry { Manager = AncientChanges, Operation = ManagedFieldsEntry.Update };
            entries.Add(ancient);
        }

        foreach (var old in updates.Take(excess))
        {
            ancient.Fields = ancient.Fields.Union(old.Fields);
            ancient.ApiVersion = old.ApiVersion;
            entries.Remove(old);
        }

        ancient.Time = ManagedFieldsEntry.FormatTime(now);
    }

    /// <summary>A copy without managedFields, the form every comparison works on.</summary>
    private static JsonObject? Strip(JsonObject? obj)
    {
        if (obj is null)
        {
            return null;
        }

        var copy = (JsonObject)obj.DeepClone();
        ManagedFields.Remove(copy);
        return copy;
    }

    private static bool ObjectHasContent(JsonObject obj) =>
        obj.Any(p => p.Key is not ("apiVersion" or "kind" or "metadata")) || obj["metadata"]?["uid"] is not null;

    private static void CopySystemMetadata(JsonObject live, JsonObject merged)
    {
        if (live["metadata"] is not JsonObject from || merged["metadata"] is not JsonObject to)
        {
            return;
        }

        foreach (var key in new[] { "uid", "creationTimestamp", "generation", "selfLink" })
        {
            if (from[key] is { } value)
            {
                to[key] = value.DeepClone();
            }
        }
    }

    private static FieldSet StrippedFields(bool withMetadata = true)
    {
        var set = new FieldSet();
        set.Insert(["f:apiVersion"]);
        set.Insert(["f:kind"]);
        if (withMetadata)
        {
            set.Insert(["f:metadata"]);
        }

        foreach (var field in new[] { "name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation", "managedFields", "resourceVersion" })
        {
            set.Insert(["f:metadata", "f:" + field]);
        }

        return set;
    }
}
