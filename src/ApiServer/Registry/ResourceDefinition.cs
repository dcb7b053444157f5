namespace ApiServer.Registry;

/// <summary>A group/version/kind as the wire writes it ("" is the core group).</summary>
internal readonly record struct GroupVersionKind(string Group, string Version, string Kind)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public override string ToString() => $"{ApiVersion}, Kind={Kind}";
}

/// <summary>A subresource as discovery advertises it, e.g. deployments/scale answering autoscaling/v1 Scale.</summary>
internal sealed record SubresourceDefinition(string Name, GroupVersionKind ResponseKind, IReadOnlyList<string> Verbs);

/// <summary>
/// One served resource: the facts discovery, the REST handlers and the storage key function need.
/// Loaded from the generated builtin-resources.tsv, or made from a CRD; immutable.
/// </summary>
internal sealed record ResourceDefinition(
    string Group,
    string Version,
    string Kind,
    string Plural,
    string Singular,
    bool Namespaced,
    IReadOnlyList<string> Verbs,
    IReadOnlyList<SubresourceDefinition> Subresources,
    IReadOnlyList<string> ShortNames,
    IReadOnlyList<string> Categories,
    string StorageSegment)
{
    public GroupVersionKind Gvk => new(Group, Version, Kind);

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>"pods" or "deployments.apps", as error messages name a resource.</summary>
    public string QualifiedResource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public string ListKind => ListKindOverride ?? Kind + "List";

    /// <summary>A list kind that is not the kind + "List" (a CRD's names.listKind).</summary>
    public string? ListKindOverride { get; init; }

    /// <summary>For a custom resource, the CRD version it serves; null for built-in resources.</summary>
    public CustomResources.CustomResourceVersion? Custom { get; init; }

    public bool Supports(string verb) => Verbs.Contains(verb);

    public SubresourceDefinition? FindSubresource(string name) => Subresources.FirstOrDefault(s => s.Name == name);
}
