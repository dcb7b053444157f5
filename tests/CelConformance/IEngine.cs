namespace CelConformance;

/// <summary>A CEL implementation under test: runs one spec test and says what it produced.</summary>
internal interface IEngine
{
    string Name { get; }

    /// <summary>The result in neutral form (see <see cref="Neutral"/>), or throws for any parse, check or evaluation error.</summary>
    object? Evaluate(SpecTest test);
}
