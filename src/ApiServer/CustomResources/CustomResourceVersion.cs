using System.Text.Json.Nodes;
using ApiMachinery.Schema;
using ApiMachinery.Validation;
using ApiServer.Registry;

namespace ApiServer.CustomResources;

/// <summary>What the server does with one version's schema: defaulting, pruning and validation of custom resources.</summary>
internal interface ICustomResourceSchema
{
    void ApplyDefaults(JsonObject obj);

    /// <summary>Drops unknown fields; returns their paths ("spec.foo") for fieldValidation.</summary>
    IReadOnlyList<string> Prune(JsonObject obj);

    IReadOnlyList<FieldError> Validate(JsonObject obj, JsonObject? old);

    /// <summary>A /status update: the status against the status schema alone, then list types and rules of the whole object.</summary>
    IReadOnlyList<FieldError> ValidateStatusUpdate(JsonObject obj, JsonObject old);

    /// <summary>Whether the schema has defaults at all (objects read from etcd are defaulted only then).</summary>
    bool HasDefaults { get; }
}

/// <summary>A version's schema as the schema library (ApiExtensions) compiled it.</summary>
internal sealed class CompiledSchema(ApiExtensions.Schema.CustomResourceSchema schema, bool hasDefaults) : ICustomResourceSchema
{
    public bool HasDefaults { get; } = hasDefaults;

    public void ApplyDefaults(JsonObject obj)
    {
        if (HasDefaults)
        {
            schema.ApplyDefaults(obj);
        }
    }

    /// <summary>The library reports ".spec.foo"; kube's fieldValidation messages say "spec.foo".</summary>
    public IReadOnlyList<string> Prune(JsonObject obj) => schema.Prune(obj).Select(p => p.TrimStart('.')).ToArray();

    public IReadOnlyList<FieldError> Validate(JsonObject obj, JsonObject? old) => schema.Validate(obj, old);

    public IReadOnlyList<FieldError> ValidateStatusUpdate(JsonObject obj, JsonObject old) => schema.ValidateStatusUpdate(obj, old);
}

/// <summary>
/// One served version of a custom resource, attached to its <see cref="ResourceDefinition"/>: the CRD
/// it comes from, the version's schema (compiled), field-management facts, printer columns and scale
/// paths. Built when the CRD changes; immutable.
/// </summary>
internal sealed class CustomResourceVersion
{
    public required CustomResourceDefinitionInfo Crd { get; init; }

    public required CrdVersion Version { get; init; }

    /// <summary>The version objects are stored in.</summary>
    public required string StorageVersion { get; init; }

    /// <summary>Defaulting, pruning and validation; null without a schema library.</summary>
    public ICustomResourceSchema? Schema { get; init; }

    /// <summary>The schema as field management types objects (list types, map keys); null: untyped.</summary>
    public DefinitionSchema? Facts { get; init; }

    /// <summary>Shown in discovery only once established (kube serves a CRD whose names are accepted already).</summary>
    public bool Established => Crd.Established;

    public bool Terminating => Crd.Terminating;

    public IReadOnlyList<CrdColumn> Columns => Version.Columns;

    public CrdScale? Scale => Version.Scale;
}

/// <summary>The served resources of CRDs: one <see cref="ResourceDefinition"/> per served version.</summary>
internal static class CustomResourceDefinitions
{
    /// <summary>kube's discovery verbs of a custom resource, in its order.</summary>
    public static readonly IReadOnlyList<string> Verbs = ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"];

    /// <summary>While the CRD is terminating, discovery no longer offers writes.</summary>
    public static readonly IReadOnlyList<string> TerminatingVerbs = ["delete", "deletecollection", "get", "list", "watch"];

    public static readonly IReadOnlyList<string> SubresourceVerbs = ["get", "patch", "update"];

    /// <summary>
    /// The resources a CRD serves: none until its names are accepted; then each served version, in
    /// kube's version order (the first is the group's preferred version).
    /// </summary>
    public static IEnumerable<ResourceDefinition> Resources(CustomResourceDefinitionInfo crd, Func<CustomResourceDefinitionInfo, CrdVersion, (ICustomResourceSchema? Schema, DefinitionSchema? Facts)> compile)
    {
        if (!crd.Serves || crd.StorageVersion is not { } storage || crd.Group.Length == 0 || crd.Names.Plural.Length == 0)
        {
            yield break;
        }

        var names = crd.AcceptedNames;
        var kind = names.Kind.Length > 0 ? names.Kind : crd.Names.Kind;
        foreach (var version in crd.Versions.Where(v => v.Served).OrderBy(v => v.Name, KubeVersionComparer.Instance))
        {
            var subresources = new List<SubresourceDefinition>();
            if (version.StatusSubresource)
            {
                subresources.Add(new SubresourceDefinition("status", new GroupVersionKind(crd.Group, version.Name, kind), SubresourceVerbs));
            }

            if (version.Scale is not null)
            {
                subresources.Add(new SubresourceDefinition("scale", new GroupVersionKind("autoscaling", "v1", "Scale"), SubresourceVerbs));
            }

            var (schema, facts) = compile(crd, version);
            yield return new ResourceDefinition(
                crd.Group, version.Name, kind, crd.Names.Plural,
                names.Singular.Length > 0 ? names.Singular : crd.Names.Singular,
                crd.Namespaced, Verbs, subresources, names.ShortNames, names.Categories,
                $"{crd.Group}/{crd.Names.Plural}")
            {
                ListKindOverride = names.ListKind.Length > 0 ? names.ListKind : null,
                Custom = new CustomResourceVersion
                {
                    Crd = crd,
                    Version = version,
                    StorageVersion = storage.Name,
                    Schema = schema,
                    Facts = facts,
                },
            };
        }
    }
}

/// <summary>
/// kube's version priority (CompareKubeAwareVersionStrings): GA before beta before alpha, higher
/// numbers first (v2 &gt; v1, v1beta2 &gt; v1beta1), and versions not of that form last, alphabetically.
/// Sorts descending by priority: the first is the preferred version.
/// </summary>
internal sealed class KubeVersionComparer : IComparer<string>
{
    public static readonly KubeVersionComparer Instance = new();

    public int Compare(string? x, string? y)
    {
        var a = Parse(x ?? "");
        var b = Parse(y ?? "");
        if (a is null && b is null)
        {
            return string.CompareOrdinal(x, y);
        }

        if (a is null || b is null)
        {
            return a is null ? 1 : -1;
        }

        // Higher stability first, then higher major, then higher minor.
        if (a.Value.Stability != b.Value.Stability)
        {
            return b.Value.Stability.CompareTo(a.Value.Stability);
        }

        if (a.Value.Major != b.Value.Major)
        {
            return b.Value.Major.CompareTo(a.Value.Major);
        }

        return b.Value.Minor.CompareTo(a.Value.Minor);
    }

    /// <summary>v&lt;major&gt;[(alpha|beta)&lt;minor&gt;]; null when the string is not a kube version.</summary>
    private static (int Stability, long Major, long Minor)? Parse(string version)
    {
        var match = System.Text.RegularExpressions.Regex.Match(version, "^v([1-9][0-9]*)(?:(alpha|beta)([1-9][0-9]*))?$");
        if (!match.Success || !long.TryParse(match.Groups[1].Value, out var major))
        {
            return null;
        }

        if (!match.Groups[2].Success)
        {
            return (2, major, 0);
        }

        return (match.Groups[2].Value == "beta" ? 1 : 0, major, long.TryParse(match.Groups[3].Value, out var minor) ? minor : 0);
    }
}
