using System.Text.Json.Nodes;
using ApiMachinery.Authentication;

namespace Admission;

public enum AdmissionOperation
{
    Create,
    Update,
    Delete,
    Connect,
}

/// <summary>
/// Everything an admission plugin may look at (k8s.io/apiserver pkg/admission.Attributes).
/// <see cref="Object"/> is the object being written; mutating plugins change it in place.
/// </summary>
public sealed class AdmissionAttributes
{
    public required AdmissionOperation Operation { get; init; }

    public required string Group { get; init; }

    public required string Version { get; init; }

    public required string Kind { get; init; }

    /// <summary>The resource plural, e.g. "pods".</summary>
    public required string Resource { get; init; }

    public string Subresource { get; init; } = "";

    /// <summary>"" for cluster-scoped resources.</summary>
    public string Namespace { get; init; } = "";

    public string Name { get; init; } = "";

    public JsonObject? Object { get; init; }

    public JsonObject? OldObject { get; init; }

    public required UserInfo UserInfo { get; init; }

    public bool DryRun { get; init; }
}

/// <summary>A plugin that may change the object (runs first, in chain order).</summary>
public interface IMutatingAdmissionPlugin
{
    string Name { get; }

    bool Handles(AdmissionOperation operation);

    ValueTask AdmitAsync(AdmissionAttributes attributes, CancellationToken cancellationToken);
}

/// <summary>A plugin that may only accept or refuse (runs after mutation and after schema validation).</summary>
public interface IValidatingAdmissionPlugin
{
    string Name { get; }

    bool Handles(AdmissionOperation operation);

    /// <summary>Throws a StatusException to refuse.</summary>
    ValueTask ValidateAsync(AdmissionAttributes attributes, CancellationToken cancellationToken);
}
