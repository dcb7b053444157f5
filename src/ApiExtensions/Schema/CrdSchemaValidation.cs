using System.Text.Json.Nodes;
using ApiMachinery.Validation;

namespace ApiExtensions.Schema;

/// <summary>
/// CRD-time checks of one version's <c>openAPIV3Schema</c>, as apiextensions' ValidateCustomResourceDefinition
/// does them for <c>spec.versions[i].schema.openAPIV3Schema</c>: structural rules, value-validation keyword rules,
/// defaults valid and pruned, CEL rules that compile within the cost limits.
/// </summary>
public static class CrdSchemaValidation
{
    /// <summary>The errors of <paramref name="openApiV3Schema"/>, with paths under <paramref name="path"/>.</summary>
    public static IReadOnlyList<FieldError> ValidateSchema(JsonObject openApiV3Schema, FieldPath path)
    {
        ArgumentNullException.ThrowIfNull(openApiV3Schema);
        ArgumentNullException.ThrowIfNull(path);
        // Skeleton: the checks land in the following commits.
        return [];
    }
}
