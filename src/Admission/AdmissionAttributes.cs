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

    /// <summary>
    /// The request's options object as a webhook sees it (CreateOptions, UpdateOptions,
    /// DeleteOptions), with kind and apiVersion; null when the caller has none to give.
    /// </summary>
    public JsonObject? Options { get; init; }

    /// <summary>Adds a warning to the response (a <c>Warning: 299 - "..."</c> header); ignored when no one listens.</summary>
    public Action<string> AddWarning { get; init; } = _ => { };

    /// <summary>
    /// The kind's defaulting (the registry's ApplyDefaults), run again on an object a mutating webhook
    /// changed, as kube's webhook dispatcher defaults the patched object: a field the webhook removed
    /// comes back with its default.
    /// </summary>
    public Action<JsonObject> Default { get; init; } = _ => { };

    /// <summary>State kept across the chain's second pass (kube's ReinvocationContext).</summary>
    public AdmissionReinvocation Reinvocation { get; init; } = new();
}

/// <summary>
/// kube's admission.ReinvocationContext: a mutating webhook that changed the object asks the chain to
/// run once more, so that earlier plugins (and webhooks with reinvocationPolicy IfNeeded) see the change.
/// </summary>
public sealed class AdmissionReinvocation
{
    private readonly Dictionary<string, object> _values = new(StringComparer.Ordinal);

    public bool IsReinvoke { get; internal set; }

    public bool ShouldReinvoke { get; private set; }

    public void RequestReinvoke() => ShouldReinvoke = true;

    /// <summary>Per-plugin state, created on first use.</summary>
    public T Value<T>(string plugin)
        where T : class, new()
    {
        if (!_values.TryGetValue(plugin, out var value))
        {
            value = new T();
            _values[plugin] = value;
        }

        return (T)value;
    }
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

/// <summary>
/// A check the server's own storage makes on every write it applies to (as RBAC's escalation
/// prevention sits in kube's role storage): not a plugin of --enable-admission-plugins, always on,
/// and run before the selectable plugins.
/// </summary>
public interface IBuiltInAdmission
{
}
