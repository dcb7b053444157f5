using ApiMachinery.Validation;

namespace ApiExtensions.Schema;

/// <summary>
/// Where a schema node sits for its x-kubernetes-validations rules: how many times it can repeat in one object
/// (the product of its ancestors' maxItems/maxProperties, or unbounded), as kube's CELSchemaContext tracks it.
/// </summary>
internal sealed class CelScope
{
    public static readonly CelScope Root = new(1);

    private CelScope(ulong? maxCardinality)
    {
        MaxCardinality = maxCardinality;
    }

    /// <summary>Null when some ancestor list or map has no maxItems/maxProperties.</summary>
    public ulong? MaxCardinality { get; }

    public CelScope Property() => this;

    /// <summary>The scope of a list's items: repeated up to the list's maxItems times.</summary>
    public CelScope Items(long? parentMaxItems) => WithLimit(parentMaxItems);

    /// <summary>The scope of a map's values: repeated up to the map's maxProperties times.</summary>
    public CelScope AdditionalProperties(long? parentMaxProperties) => WithLimit(parentMaxProperties);

    private CelScope WithLimit(long? limit) => new(limit is { } l && l >= 0 ? Multiply(MaxCardinality, (ulong)l) : null);

    private static ulong? Multiply(ulong? a, ulong? b)
    {
        if (a is null || b is null)
        {
            return null;
        }
        if (b.Value != 0 && a.Value > ulong.MaxValue / b.Value)
        {
            return ulong.MaxValue;
        }
        return a.Value * b.Value;
    }
}

/// <summary>The compiled x-kubernetes-validations rules of a schema, filled in by the CEL layer.</summary>
internal sealed class CelRuleSet
{
}

/// <summary>
/// Compiles the x-kubernetes-validations rules of a schema at CRD time and adds up their estimated costs
/// (kube's CELSchemaContext with its TotalCost).
/// </summary>
internal sealed class CelSchemaContext(SchemaNode root)
{
    private readonly List<(string Path, ulong Cost)> _costs = [];

    public SchemaNode RootSchema { get; } = root;

    public ulong TotalCost { get; private set; }

    public CelRuleSet Rules { get; } = new();

    public IEnumerable<string> MostExpensive()
    {
        // kube reports the costliest rules that together exceed 10% of the limit... here: the top four.
        return _costs.OrderByDescending(c => c.Cost).Take(4).Select(c => c.Path);
    }

    public void CompileRules(SchemaNode s, bool isResourceRoot, CelScope scope, FieldPath path, FieldPath? uncorrelatablePath, List<FieldError> errors) =>
        CelValidation.CompileErrors(s, isResourceRoot, scope.MaxCardinality, path, uncorrelatablePath, this, errors);

    internal void Observe(string path, ulong cost)
    {
        _costs.Add((path, cost));
        TotalCost = TotalCost > ulong.MaxValue - cost ? ulong.MaxValue : TotalCost + cost;
    }
}
