namespace Admission;

/// <summary>
/// The enabled plugins in kube-apiserver's order: every mutating plugin, then (after the registry's
/// own validation) every validating plugin. Built once at start from the registered plugins and the
/// --enable-admission-plugins / --disable-admission-plugins selection; consumed as arrays.
/// </summary>
public sealed class AdmissionChain(IEnumerable<IMutatingAdmissionPlugin> mutating, IEnumerable<IValidatingAdmissionPlugin> validating)
{
    private readonly IMutatingAdmissionPlugin[] _mutating = mutating.ToArray();
    private readonly IValidatingAdmissionPlugin[] _validating = validating.ToArray();

    public IReadOnlyList<string> MutatingPluginNames => _mutating.Select(p => p.Name).ToArray();

    public IReadOnlyList<string> ValidatingPluginNames => _validating.Select(p => p.Name).ToArray();

    public async ValueTask AdmitAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        foreach (var plugin in _mutating)
        {
            if (plugin.Handles(attributes.Operation))
            {
                await plugin.AdmitAsync(attributes, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask ValidateAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        foreach (var plugin in _validating)
        {
            if (plugin.Handles(attributes.Operation))
            {
                await plugin.ValidateAsync(attributes, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
