namespace ApiServer.Options;

/// <summary>
/// --builtin-controllers, a flag of this server only: which of kube-controller-manager's controllers run
/// inside the server, so a server without a controller manager still deletes namespaces, counts quota
/// and gives namespaces their default ServiceAccount (envtest's users miss exactly that). The value is
/// kube-controller-manager's --controllers syntax over these three: "*" is all of them (the default),
/// "foo" names one, "-foo" turns one off, and an empty value turns all off. Run the controller
/// manager's copies (its --controllers naming them) only for those turned off here, so the two never
/// act on one object.
/// </summary>
internal static class BuiltinControllers
{
    public const string Namespace = "namespace";
    public const string ResourceQuota = "resourcequota";
    public const string ServiceAccount = "serviceaccount";

    public static readonly IReadOnlyList<string> All = [Namespace, ResourceQuota, ServiceAccount];

    /// <exception cref="CommandLineException">a name that is none of the three (kube's long names, e.g. namespace-controller, are accepted too).</exception>
    public static ISet<string> Parse(string value)
    {
        var entries = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var entry in entries.Where(e => e != "*"))
        {
            if (Canonical(entry.TrimStart('-')) is null)
            {
                throw new CommandLineException($"invalid argument \"{value}\" for \"--builtin-controllers\" flag: \"{entry.TrimStart('-')}\" is not a built-in controller (they are {string.Join(", ", All)})");
            }
        }

        var enabled = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in All)
        {
            // kube's IsControllerEnabled: the first entry naming it decides, else "*" turns it on.
            var decided = entries.FirstOrDefault(e => e != "*" && Canonical(e.TrimStart('-')) == name);
            if (decided is not null ? !decided.StartsWith('-') : entries.Contains("*"))
            {
                enabled.Add(name);
            }
        }

        return enabled;
    }

    private static string? Canonical(string name) => name switch
    {
        Namespace or "namespace-controller" => Namespace,
        ResourceQuota or "resourcequota-controller" => ResourceQuota,
        ServiceAccount or "serviceaccount-controller" => ServiceAccount,
        _ => null,
    };
}
