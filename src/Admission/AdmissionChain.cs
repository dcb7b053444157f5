namespace Admission;

/// <summary>
/// The enabled plugins in kube-apiserver's order: every mutating plugin, then (after the registry's
/// own validation) every validating plugin. Built once at start from the registered plugins and the
/// --enable-admission-plugins / --disable-admission-plugins selection; consumed as arrays.
/// </summary>
public sealed class AdmissionChain
{
    private readonly IMutatingAdmissionPlugin[] _mutating;
    private readonly IValidatingAdmissionPlugin[] _validating;

    /// <param name="enabled">
    /// The enabled plugin names (<see cref="AdmissionPlugins.Enabled"/>); null runs every registered plugin.
    /// Either way plugins run in <see cref="AdmissionPlugins.RecommendedOrder"/>.
    /// </param>
    public AdmissionChain(IEnumerable<IMutatingAdmissionPlugin> mutating, IEnumerable<IValidatingAdmissionPlugin> validating, IEnumerable<string>? enabled = null)
    {
        var on = enabled?.ToHashSet(StringComparer.Ordinal);
        _mutating = mutating.Where(p => on is null || on.Contains(p.Name) || p is IBuiltInAdmission)
            .OrderBy(p => p is IBuiltInAdmission ? -1 : AdmissionPlugins.OrderOf(p.Name)).ToArray();
        _validating = validating.Where(p => on is null || on.Contains(p.Name) || p is IBuiltInAdmission)
            .OrderBy(p => p is IBuiltInAdmission ? -1 : AdmissionPlugins.OrderOf(p.Name)).ToArray();
    }

    public IReadOnlyList<string> MutatingPluginNames => _mutating.Select(p => p.Name).ToArray();

    public IReadOnlyList<string> ValidatingPluginNames => _validating.Select(p => p.Name).ToArray();

    /// <summary>
    /// Runs the mutating plugins; when one of them (a webhook) asks for it, runs them all once more,
    /// as kube's reinvoker does, so that earlier plugins see what later ones changed.
    /// </summary>
    public async ValueTask AdmitAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        await AdmitOnceAsync(attributes, cancellationToken).ConfigureAwait(false);
        if (attributes.Reinvocation.ShouldReinvoke)
        {
            attributes.Reinvocation.IsReinvoke = true;
            await AdmitOnceAsync(attributes, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask AdmitOnceAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
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
