using System.Globalization;
using System.Net;

namespace ApiServer.Options;

/// <summary>
/// The server's configuration, named after kube-apiserver's flags so a manifest written for
/// kube-apiserver starts us. Parsed by <see cref="CommandLine"/>; validated once at start.
/// </summary>
internal sealed class ApiServerOptions
{
    public EtcdOptions Etcd { get; } = new();

    public SecureServingOptions SecureServing { get; } = new();

    public AuthenticationOptions Authentication { get; } = new();

    public WatchCacheOptions WatchCache { get; } = new();
    public AuthorizationOptions Authorization { get; } = new();
    public AdmissionOptions Admission { get; } = new();

    public KubeletClientOptions Kubelet { get; } = new();

    public string AdvertiseAddress { get; set; } = "";

    /// <summary>
    /// --service-cluster-ip-range: the CIDR (or an IPv4 and an IPv6 one, primary first) Service cluster
    /// IPs come from; kube-apiserver's default is 10.0.0.0/24. The first address is the `kubernetes` Service's.
    /// </summary>
    public List<string> ServiceClusterIPRanges { get; } = [];

    /// <summary>The ranges <see cref="ServiceClusterIPRanges"/> names, or kube's default; valid once <see cref="Validate"/> passed.</summary>
    public IReadOnlyList<Registry.Services.ServiceIPRange> ServiceIPRanges =>
        (ServiceClusterIPRanges.Count > 0 ? ServiceClusterIPRanges : [Registry.Services.ClusterIPAllocator.DefaultRange])
            .Select(Registry.Services.ServiceIPRange.TryParse).OfType<Registry.Services.ServiceIPRange>().ToList();

    /// <summary>--min-request-timeout: a watch without timeoutSeconds lasts a random time between this and twice this.</summary>
    public TimeSpan MinRequestTimeout { get; set; } = TimeSpan.FromSeconds(1800);

    /// <summary>
    /// --builtin-controllers (ours; kube-apiserver has none): which of kube-controller-manager's namespace,
    /// resourcequota and serviceaccount controllers run inside this server so it is useful alone. All by
    /// default; turn them off when the controller manager runs its own copies (see <see cref="BuiltinControllers"/>).
    /// </summary>
    public ISet<string> BuiltinControllers { get; set; } = new HashSet<string>(global::ApiServer.Options.BuiltinControllers.All, StringComparer.Ordinal);

    /// <summary>Flags kube-apiserver has that we accept but do not act on yet (logged at start).</summary>
    public List<string> IgnoredFlags { get; } = [];

    /// <summary>Checks what can be checked before anything starts; returns every problem at once.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Etcd.Servers.Count == 0)
        {
            errors.Add("--etcd-servers must be specified");
        }

        foreach (var server in Etcd.Servers)
        {
            if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            {
                errors.Add($"--etcd-servers: \"{server}\" is not an http:// or https:// URL");
            }
        }

        if (!Etcd.Prefix.StartsWith('/'))
        {
            errors.Add("--etcd-prefix must start with '/'");
        }

        if (Etcd.StorageMediaType is not ("application/json" or "application/vnd.kubernetes.protobuf"))
        {
            errors.Add($"--storage-media-type \"{Etcd.StorageMediaType}\" is not supported by this server (application/json and application/vnd.kubernetes.protobuf are)");
        }

        if ((Etcd.CertFile is null) != (Etcd.KeyFile is null))
        {
            errors.Add("--etcd-certfile and --etcd-keyfile must be given together");
        }

        if (SecureServing.TlsCertFile is null || SecureServing.TlsPrivateKeyFile is null)
        {
            errors.Add("--tls-cert-file and --tls-private-key-file must be specified (self-signed serving certificates are not generated)");
        }

        if (SecureServing.SecurePort is < 1 or > 65535)
        {
            errors.Add($"--secure-port {SecureServing.SecurePort} must be between 1 and 65535 inclusive");
        }

        errors.AddRange(ValidateServiceClusterIPRanges());
        errors.AddRange(Authentication.Validate());
        errors.AddRange(Kubelet.Validate());
        errors.AddRange(Authorization.Validate());
        foreach (var file in new[] { Etcd.CaFile, Etcd.CertFile, Etcd.KeyFile, SecureServing.TlsCertFile, SecureServing.TlsPrivateKeyFile, Authentication.ClientCaFile, Authentication.TokenAuthFile, Authentication.ServiceAccountSigningKeyFile }
            .Concat(Authentication.ServiceAccountKeyFiles))
        {
            if (file is not null && !File.Exists(file))
            {
                errors.Add($"file \"{file}\" does not exist");
            }
        }

        errors.AddRange(global::Admission.AdmissionPlugins.Validate(Admission.EnablePlugins, Admission.DisablePlugins));
        errors.AddRange(global::Admission.AdmissionPlugins.Validate(Admission.AdmissionControl, [])
            .Select(e => e.Replace("enable-admission-plugins", "admission-control", StringComparison.Ordinal)));
        return errors;
    }

    private IEnumerable<string> ValidateServiceClusterIPRanges()
    {
        if (ServiceClusterIPRanges.Count > 2)
        {
            yield return "--service-cluster-ip-range takes at most two CIDRs (one per IP family)";
            yield break;
        }

        var ranges = new List<Registry.Services.ServiceIPRange>();
        foreach (var text in ServiceClusterIPRanges)
        {
            if (Registry.Services.ServiceIPRange.TryParse(text) is not { } range)
            {
                yield return $"--service-cluster-ip-range: \"{text}\" is not a CIDR";
                continue;
            }

            // kube's limits: IPv4 ranges of at most 2^20 addresses; IPv6 prefixes of at least 64 bits.
            if (range.Family == "IPv4" && range.PrefixLength < 12)
            {
                yield return $"--service-cluster-ip-range: {text} is too large; an IPv4 range needs a prefix of at least /12";
            }
            else if (range.Family == "IPv6" && range.PrefixLength < 64)
            {
                yield return $"--service-cluster-ip-range: {text} is too large; an IPv6 range needs a prefix of at least /64";
            }
            else if (range.Size == 0)
            {
                yield return $"--service-cluster-ip-range: {text} has no address to allocate";
            }

            ranges.Add(range);
        }

        if (ranges.Count == 2 && ranges[0].Family == ranges[1].Family)
        {
            yield return "--service-cluster-ip-range: two CIDRs must be of different IP families";
        }
    }
}

/// <summary>
/// How the server reaches kubelets (for pods/log): --kubelet-client-certificate and --kubelet-client-key
/// (the identity it presents), --kubelet-certificate-authority (without it, as in kube-apiserver, the
/// kubelet's serving certificate is not verified), --kubelet-preferred-address-types and --kubelet-timeout.
/// </summary>
internal sealed class KubeletClientOptions
{
    public static readonly string[] AddressTypes = ["Hostname", "InternalDNS", "InternalIP", "ExternalDNS", "ExternalIP"];

    public string? ClientCertificate { get; set; }

    public string? ClientKey { get; set; }

    public string? CertificateAuthority { get; set; }

    /// <summary>The node address types to try, in order (kube-apiserver's default order).</summary>
    public List<string> PreferredAddressTypes { get; } = [.. AddressTypes];

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    public IEnumerable<string> Validate()
    {
        if ((ClientCertificate is null) != (ClientKey is null))
        {
            yield return "--kubelet-client-certificate and --kubelet-client-key must be given together";
        }

        foreach (var type in PreferredAddressTypes)
        {
            if (!AddressTypes.Contains(type))
            {
                yield return $"--kubelet-preferred-address-types: {type} is not a node address type";
            }
        }

        foreach (var file in new[] { ClientCertificate, ClientKey, CertificateAuthority })
        {
            if (file is not null && !File.Exists(file))
            {
                yield return $"file \"{file}\" does not exist";
            }
        }
    }
}

internal sealed class EtcdOptions
{
    public List<string> Servers { get; } = [];

    public string Prefix { get; set; } = "/registry";

    public string? CaFile { get; set; }

    public string? CertFile { get; set; }

    public string? KeyFile { get; set; }

    /// <summary>--etcd-compaction-interval; zero disables compaction.</summary>
    public TimeSpan CompactionInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>--enable-garbage-collector: deletes manage the garbage collector's finalizers (orphan, foregroundDeletion).</summary>
    public bool EnableGarbageCollector { get; set; } = true;

    /// <summary>
    /// --storage-media-type: how objects are written in etcd, JSON (this server's default) or
    /// application/vnd.kubernetes.protobuf (kube-apiserver's); both are always read.
    /// </summary>
    public string StorageMediaType { get; set; } = "application/json";
}

/// <summary>--watch-cache, --default-watch-cache-size, --watch-cache-sizes.</summary>
internal sealed class WatchCacheOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>Recent events every resource keeps at least (older ones stay while younger than 75 s).</summary>
    public int DefaultSize { get; set; } = 100;

    /// <summary>Per resource ("pods", "deployments.apps"): a fixed number of recent events; 0 turns the cache off for it.</summary>
    public Dictionary<string, int> Sizes { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// --feature-gates=WatchCacheInitializationPostStartHook: /readyz (and /healthz, /livez) wait, through
    /// the poststarthook/storage-readiness check, until the watch caches are filled or
    /// <see cref="StorageInitializationTimeout"/> has passed. kube-apiserver 1.35 has the gate in beta,
    /// off by default; 1.36 turns it on by default, and so does this server: a client that waits for
    /// /readyz then never meets the 429s a filling cache answers (see Storage.Cacher).
    /// </summary>
    public bool InitializationPostStartHook { get; set; } = true;

    /// <summary>--storage-initialization-timeout: how long storage-readiness waits before reporting ready anyway.</summary>
    public TimeSpan StorageInitializationTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How often a watcher that allows bookmarks gets one: kube's cacher sends one about every
    /// minute. Not a kube-apiserver flag; tests shorten it through <see cref="BookmarkIntervalVariable"/>.
    /// </summary>
    public TimeSpan BookmarkInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The environment variable (a Go duration) that overrides <see cref="BookmarkInterval"/>, for tests.</summary>
    public const string BookmarkIntervalVariable = "APISERVER_TESTING_WATCH_BOOKMARK_INTERVAL";

    /// <summary>Settings that are not kube-apiserver flags, taken from the environment (tests only).</summary>
    public void ApplyEnvironment(Func<string, string?> variable)
    {
        if (variable(BookmarkIntervalVariable) is { Length: > 0 } text && GoDuration.TryParse(text, out var interval) && interval > TimeSpan.Zero)
        {
            BookmarkInterval = interval;
        }
    }
}

internal sealed class SecureServingOptions
{
    public IPAddress BindAddress { get; set; } = IPAddress.Any;

    public int SecurePort { get; set; } = 6443;

    public string? TlsCertFile { get; set; }

    public string? TlsPrivateKeyFile { get; set; }

    /// <summary>--shutdown-delay-duration: how long /readyz reports failure before the listener closes.</summary>
    public TimeSpan ShutdownDelay { get; set; } = TimeSpan.Zero;

    /// <summary>The request body limit: kube-apiserver's MaxRequestBodyBytes, 3 MiB (not a flag there either).</summary>
    public long MaxRequestBodyBytes { get; set; } = 3 * 1024 * 1024;
}

internal sealed class AuthenticationOptions
{
    public string? ClientCaFile { get; set; }

    /// <summary>
    /// --anonymous-auth: requests without credentials are system:anonymous (group
    /// system:unauthenticated) and authorization decides; false answers them 401. As in
    /// kube-apiserver, AlwaysAllow authorization does not combine with anonymous requests: then they
    /// are admitted only to the public-info endpoints (/healthz, /livez, /readyz, /version), which
    /// kube-apiserver would refuse too but probes rely on.
    /// </summary>
    public bool AnonymousAuth { get; set; } = true;

    /// <summary>--token-auth-file: CSV of token,user,uid,"group1,group2".</summary>
    public string? TokenAuthFile { get; set; }

    /// <summary>--service-account-issuer (repeatable): the first signs new tokens, all are accepted.</summary>
    public List<string> ServiceAccountIssuers { get; } = [];

    /// <summary>--service-account-key-file (repeatable): PEM public or private keys that verify tokens.</summary>
    public List<string> ServiceAccountKeyFiles { get; } = [];

    public string? ServiceAccountSigningKeyFile { get; set; }

    /// <summary>--api-audiences; empty means the service-account issuers.</summary>
    public List<string> ApiAudiences { get; } = [];

    /// <summary>--service-account-max-token-expiration; zero means no limit.</summary>
    public TimeSpan ServiceAccountMaxTokenExpiration { get; set; }

    /// <summary>--service-account-lookup: tokens are checked against the service accounts (and bound objects) in storage.</summary>
    public bool ServiceAccountLookup { get; set; } = true;

    public IReadOnlyList<string> EffectiveApiAudiences => ApiAudiences.Count > 0 ? ApiAudiences : ServiceAccountIssuers;

    public IEnumerable<string> Validate()
    {
        if (ServiceAccountSigningKeyFile is not null && ServiceAccountIssuers.Count == 0)
        {
            yield return "--service-account-issuer is required with --service-account-signing-key-file";
        }

        if (ServiceAccountMaxTokenExpiration != TimeSpan.Zero && ServiceAccountMaxTokenExpiration < TimeSpan.FromHours(1))
        {
            yield return "--service-account-max-token-expiration must be at least 1h";
        }
    }
}

internal sealed class AuthorizationOptions
{
    public static readonly string[] KnownModes = ["AlwaysAllow", "AlwaysDeny", "ABAC", "Webhook", "RBAC", "Node"];

    /// <summary>--authorization-mode, in order; kube-apiserver's default is AlwaysAllow.</summary>
    public List<string> Modes { get; } = [];

    public IReadOnlyList<string> EffectiveModes => Modes.Count > 0 ? Modes : ["AlwaysAllow"];

    public bool Has(string mode) => EffectiveModes.Contains(mode);

    public IEnumerable<string> Validate()
    {
        foreach (var mode in Modes)
        {
            if (!KnownModes.Contains(mode))
            {
                yield return $"authorization-mode \"{mode}\" is not a valid mode";
            }
            else if (mode is "ABAC" or "Webhook")
            {
                yield return $"authorization-mode \"{mode}\" is not supported by this server yet (AlwaysAllow, AlwaysDeny, Node and RBAC are)";
            }
        }

        foreach (var duplicate in Modes.GroupBy(m => m).Where(g => g.Count() > 1))
        {
            yield return $"authorization-mode {duplicate.Key} has mode specified more than once";
        }
    }
}

/// <summary>--enable-admission-plugins, --disable-admission-plugins and the admission plugins' own flags.</summary>
internal sealed class AdmissionOptions
{
    public List<string> EnablePlugins { get; } = [];

    public List<string> DisablePlugins { get; } = [];

    /// <summary>The deprecated --admission-control: when given, exactly these plugins run.</summary>
    public List<string> AdmissionControl { get; } = [];

    public long DefaultNotReadyTolerationSeconds { get; set; } = 300;

    public long DefaultUnreachableTolerationSeconds { get; set; } = 300;

    /// <summary>The enabled plugin names, in kube-apiserver's order.</summary>
    public IReadOnlyList<string> EnabledPlugins =>
        global::Admission.AdmissionPlugins.Enabled(EnablePlugins, DisablePlugins, AdmissionControl);
}

/// <summary>Go-style duration parsing ("5m", "1h30m", "10s", "0"), as pflag's DurationVar accepts.</summary>
internal static class GoDuration
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (text == "0")
        {
            return true;
        }

        var total = 0.0;
        var i = 0;
        if (text.Length == 0)
        {
            return false;
        }

        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }

            if (start == i || !double.TryParse(text.AsSpan(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            var unitStart = i;
            while (i < text.Length && !char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            double? unitMs = text[unitStart..i] switch
            {
                "ns" => 1e-6,
                "us" or "µs" => 1e-3,
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                _ => null,
            };
            if (unitMs is null)
            {
                return false;
            }

            total += number * unitMs.Value;
        }

        value = TimeSpan.FromMilliseconds(total);
        return true;
    }
}
