using System.Text.Json.Nodes;
using ApiServer.Printing;
using ApiServer.Registry.Strategies;
using ApiServer.Registry.Validation;

namespace ApiServer.Registry;

/// <summary>
/// Everything that differs from one built-in resource to another, in one place: what kube spreads
/// over pkg/registry/&lt;group&gt;/&lt;resource&gt;/{strategy.go,storage/storage.go}, its SetDefaults_*,
/// its validation and its printer. Each member points at the code that does the work (a strategy
/// class, a defaults method, a validation function, a column list); an unset member is the generic
/// behaviour every kind gets. <see cref="BuiltinKinds"/> holds one registration per served resource.
/// The wire facts (versions, verbs, subresources, short names, categories, storage segment) are the
/// generated resource table's, not these.
/// </summary>
internal sealed record KindRegistration(string Group, string Plural, string Kind)
{
    /// <summary>
    /// The kind's strategy (Registry/Strategies) when it has rules beyond the generic ones: field
    /// selectors, create and update preparation, graceful deletion, create-on-update. Null: the
    /// generic <see cref="ResourceStrategy"/>, which reads the members below.
    /// </summary>
    public Func<ResourceDefinition, TimeProvider, ResourceStrategy>? Strategy { get; init; }

    /// <summary>kube's SetDefaults_* for the kind (a method of Registry/Defaulting/BuiltinDefaults); null: none.</summary>
    public Action<ResourceDefinition, JsonObject>? Defaults { get; init; }

    /// <summary>
    /// kube's validation of the kind beyond object metadata (functions of
    /// Registry/Validation/&lt;Group&gt;Validation.cs) and its name rule; null with
    /// <see cref="ValidatesMetadataOnly"/> for kinds kube validates no further, null alone for kinds
    /// not validated yet (KindValidationTests refuses that for stored kinds).
    /// </summary>
    public KindValidation? Validation { get; init; }

    /// <summary>kube validates nothing of the kind but its metadata (a ServiceAccount).</summary>
    public bool ValidatesMetadataOnly { get; init; }

    /// <summary>
    /// The status its create sets (kube's PrepareForCreate): the zero value of its Go status struct as
    /// kube serializes it (fields without omitempty written, non-pointer structs as {}), plus what
    /// defaulting fills in on the way back from storage; null: status cleared on create.
    /// </summary>
    public string? InitialStatus { get; init; }

    /// <summary>Its strategy sets metadata.generation to 1 on create and bumps it when the spec changes.</summary>
    public bool TracksGeneration { get; init; }

    /// <summary>
    /// Its registry is built with <c>ReturnDeletedObject: true</c> (kube's pkg/registry/.../storage/storage.go):
    /// a DELETE that removes it answers with the object instead of a Success Status.
    /// </summary>
    public bool ReturnDeletedObject { get; init; }

    /// <summary>
    /// Its strategy's DefaultGarbageCollectionPolicy for the served version, when DeleteOptions say
    /// nothing (replication controllers and jobs orphan for compatibility; events take no part).
    /// </summary>
    public GarbageCollectionPolicy GarbageCollection { get; init; } = GarbageCollectionPolicy.DeleteDependents;

    /// <summary>Its printer's columns (Printing/); null: Name and Created At.</summary>
    public IReadOnlyList<TableColumn>? Columns { get; init; }
}
