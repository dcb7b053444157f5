using System.Globalization;
using System.Net;

namespace ApiServer.Options;

/// <summary>
/// Parses kube-apiserver's command line the way pflag does: <c>--name=value</c>, <c>--name value</c>,
/// and <c>--name</c> alone for booleans. Flags we implement fill <see cref="ApiServerOptions"/>; other
/// kube-apiserver flags are accepted and recorded so a kubeadm manifest starts us; anything else is an
/// error, as it is for kube-apiserver.
/// </summary>
internal static class CommandLine
{
    private delegate void Apply(ApiServerOptions options, string value);

    private sealed record Supported(FlagKind Kind, Apply Apply);

    private static readonly Dictionary<string, Supported> SupportedFlags = new(StringComparer.Ordinal)
    {
        ["etcd-servers"] = new(FlagKind.Value, (o, v) => o.Etcd.Servers.AddRange(SplitList(v))),
        ["etcd-prefix"] = new(FlagKind.Value, (o, v) => o.Etcd.Prefix = v.TrimEnd('/') is "" ? "/" : v.TrimEnd('/')),
        ["etcd-cafile"] = new(FlagKind.Value, (o, v) => o.Etcd.CaFile = NullIfEmpty(v)),
        ["etcd-certfile"] = new(FlagKind.Value, (o, v) => o.Etcd.CertFile = NullIfEmpty(v)),
        ["etcd-keyfile"] = new(FlagKind.Value, (o, v) => o.Etcd.KeyFile = NullIfEmpty(v)),
        ["etcd-compaction-interval"] = new(FlagKind.Value, (o, v) => o.Etcd.CompactionInterval = ParseDuration("etcd-compaction-interval", v)),
        ["enable-garbage-collector"] = new(FlagKind.Bool, (o, v) => o.Etcd.EnableGarbageCollector = ParseBool("enable-garbage-collector", v)),
        ["storage-media-type"] = new(FlagKind.Value, (o, v) => o.Etcd.StorageMediaType = v),
        ["builtin-controllers"] = new(FlagKind.Value, (o, v) => o.BuiltinControllers = BuiltinControllers.Parse(v)),
        ["secure-port"] = new(FlagKind.Value, (o, v) => o.SecureServing.SecurePort = ParseInt("secure-port", v)),
        ["bind-address"] = new(FlagKind.Value, (o, v) => o.SecureServing.BindAddress = ParseIp("bind-address", v)),
        ["advertise-address"] = new(FlagKind.Value, (o, v) => o.AdvertiseAddress = ParseIp("advertise-address", v).ToString()),
        ["service-cluster-ip-range"] = new(FlagKind.Value, (o, v) =>
        {
            o.ServiceClusterIPRanges.Clear();
            o.ServiceClusterIPRanges.AddRange(SplitList(v));
        }),
        ["tls-cert-file"] = new(FlagKind.Value, (o, v) => o.SecureServing.TlsCertFile = NullIfEmpty(v)),
        ["tls-private-key-file"] = new(FlagKind.Value, (o, v) => o.SecureServing.TlsPrivateKeyFile = NullIfEmpty(v)),
        ["shutdown-delay-duration"] = new(FlagKind.Value, (o, v) => o.SecureServing.ShutdownDelay = ParseDuration("shutdown-delay-duration", v)),
        ["client-ca-file"] = new(FlagKind.Value, (o, v) => o.Authentication.ClientCaFile = NullIfEmpty(v)),
        ["enable-admission-plugins"] = new(FlagKind.Value, (o, v) => o.Admission.EnablePlugins.AddRange(SplitList(v))),
        ["disable-admission-plugins"] = new(FlagKind.Value, (o, v) => o.Admission.DisablePlugins.AddRange(SplitList(v))),
        ["admission-control"] = new(FlagKind.Value, (o, v) => o.Admission.AdmissionControl.AddRange(SplitList(v))),
        ["default-not-ready-toleration-seconds"] = new(FlagKind.Value, (o, v) => o.Admission.DefaultNotReadyTolerationSeconds = ParseInt("default-not-ready-toleration-seconds", v)),
        ["default-unreachable-toleration-seconds"] = new(FlagKind.Value, (o, v) => o.Admission.DefaultUnreachableTolerationSeconds = ParseInt("default-unreachable-toleration-seconds", v)),
        ["anonymous-auth"] = new(FlagKind.Bool, (o, v) => o.Authentication.AnonymousAuth = ParseBool("anonymous-auth", v)),
        ["min-request-timeout"] = new(FlagKind.Value, (o, v) => o.MinRequestTimeout = TimeSpan.FromSeconds(ParseInt("min-request-timeout", v))),
        ["watch-cache"] = new(FlagKind.Bool, (o, v) => o.WatchCache.Enabled = ParseBool("watch-cache", v)),
        ["default-watch-cache-size"] = new(FlagKind.Value, (o, v) => o.WatchCache.DefaultSize = ParseInt("default-watch-cache-size", v)),
        ["watch-cache-sizes"] = new(FlagKind.Value, (o, v) => ParseWatchCacheSizes(o.WatchCache.Sizes, v)),
        ["feature-gates"] = new(FlagKind.Value, (o, v) => ParseFeatureGates(o, v)),
        ["storage-initialization-timeout"] = new(FlagKind.Value, (o, v) => o.WatchCache.StorageInitializationTimeout = ParseDuration("storage-initialization-timeout", v)),
        ["token-auth-file"] = new(FlagKind.Value, (o, v) => o.Authentication.TokenAuthFile = NullIfEmpty(v)),
        ["service-account-issuer"] = new(FlagKind.Value, (o, v) => o.Authentication.ServiceAccountIssuers.AddRange(SplitList(v))),
        ["service-account-key-file"] = new(FlagKind.Value, (o, v) => o.Authentication.ServiceAccountKeyFiles.AddRange(SplitList(v))),
        ["service-account-signing-key-file"] = new(FlagKind.Value, (o, v) => o.Authentication.ServiceAccountSigningKeyFile = NullIfEmpty(v)),
        ["service-account-max-token-expiration"] = new(FlagKind.Value, (o, v) => o.Authentication.ServiceAccountMaxTokenExpiration = ParseDuration("service-account-max-token-expiration", v)),
        ["service-account-lookup"] = new(FlagKind.Bool, (o, v) => o.Authentication.ServiceAccountLookup = ParseBool("service-account-lookup", v)),
        ["api-audiences"] = new(FlagKind.Value, (o, v) => o.Authentication.ApiAudiences.AddRange(SplitList(v))),
        ["kubelet-client-certificate"] = new(FlagKind.Value, (o, v) => o.Kubelet.ClientCertificate = NullIfEmpty(v)),
        ["kubelet-client-key"] = new(FlagKind.Value, (o, v) => o.Kubelet.ClientKey = NullIfEmpty(v)),
        ["kubelet-certificate-authority"] = new(FlagKind.Value, (o, v) => o.Kubelet.CertificateAuthority = NullIfEmpty(v)),
        ["kubelet-preferred-address-types"] = new(FlagKind.Value, (o, v) =>
        {
            o.Kubelet.PreferredAddressTypes.Clear();
            o.Kubelet.PreferredAddressTypes.AddRange(SplitList(v));
        }),
        ["kubelet-timeout"] = new(FlagKind.Value, (o, v) => o.Kubelet.Timeout = ParseDuration("kubelet-timeout", v)),
        ["authorization-mode"] = new(FlagKind.Value, (o, v) =>
        {
            o.Authorization.Modes.Clear();
            o.Authorization.Modes.AddRange(SplitList(v));
        }),
    };

    /// <summary>What --help prints: the flags acted on, then a note on the rest.</summary>
    public static string Usage =>
        "The Kubernetes API server, in C#. Flags it acts on (kube-apiserver's names and defaults):\n"
        + string.Concat(SupportedFlags.Keys.Order(StringComparer.Ordinal).Select(f => $"      --{f}\n"))
        + $"Every other kube-apiserver flag ({KubeApiServerFlags.All.Count} in all) is accepted and logged as not supported yet.\n";

    /// <exception cref="CommandLineException">an unknown flag, a missing value or a malformed value.</exception>
    public static ApiServerOptions Parse(IReadOnlyList<string> args)
    {
        var options = new ApiServerOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith('-') || arg == "-" || arg == "--")
            {
                throw new CommandLineException($"unexpected argument \"{arg}\": kube-apiserver takes only flags");
            }

            // kube-apiserver normalizes word separators: --etcd_servers is --etcd-servers.
            var body = arg.TrimStart('-');
            string name;
            string? value = null;
            var eq = body.IndexOf('=');
            if (eq >= 0)
            {
                name = body[..eq];
                value = body[(eq + 1)..];
            }
            else
            {
                name = body;
            }

            name = name.Replace('_', '-');

            var kind = KindOf(name) ?? throw new CommandLineException(
                $"unknown flag: --{name} (it is not a kube-apiserver flag; see --help of kube-apiserver for the list)");

            if (value is null)
            {
                if (kind == FlagKind.Bool)
                {
                    value = "true";
                }
                else if (i + 1 < args.Count)
                {
                    value = args[++i];
                }
                else
                {
                    throw new CommandLineException($"flag needs an argument: --{name}");
                }
            }

            if (SupportedFlags.TryGetValue(name, out var supported))
            {
                supported.Apply(options, value);
            }
            else
            {
                options.IgnoredFlags.Add(name);
            }
        }

        return options;
    }

    private static FlagKind? KindOf(string name)
    {
        if (SupportedFlags.TryGetValue(name, out var supported))
        {
            return supported.Kind;
        }

        // klog's verbosity is also spelled -v=N by kubeadm manifests and humans alike.
        if (name == "v")
        {
            return FlagKind.Value;
        }

        return KubeApiServerFlags.All.TryGetValue(name, out var kind) ? kind : null;
    }

    private static IEnumerable<string> SplitList(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    private static int ParseInt(string flag, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new CommandLineException($"invalid argument \"{value}\" for \"--{flag}\" flag: parse error");

    /// <summary>
    /// --feature-gates: a comma list of Name=bool (component-base's featuregate). Only
    /// WatchCacheInitializationPostStartHook changes anything here; other gates are accepted as they are.
    /// </summary>
    private static void ParseFeatureGates(ApiServerOptions options, string value)
    {
        foreach (var entry in SplitList(value))
        {
            var parts = entry.Split('=', 2);
            if (parts.Length != 2 || !bool.TryParse(parts[1].Trim(), out var enabled))
            {
                throw new CommandLineException($"invalid argument \"{value}\" for \"--feature-gates\" flag: missing bool value for {parts[0].Trim()}");
            }

            if (parts[0].Trim() == "WatchCacheInitializationPostStartHook")
            {
                options.WatchCache.InitializationPostStartHook = enabled;
            }
        }
    }

    /// <summary>--watch-cache-sizes: a comma list of resource[.group]#size, as kube-apiserver takes it.</summary>
    private static void ParseWatchCacheSizes(Dictionary<string, int> sizes, string value)
    {
        foreach (var entry in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var hash = entry.IndexOf('#', StringComparison.Ordinal);
            if (hash <= 0 || !int.TryParse(entry[(hash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            {
                throw new CommandLineException($"invalid argument \"{value}\" for \"--watch-cache-sizes\" flag: invalid value of watch cache size: {entry}");
            }

            sizes[entry[..hash].ToLowerInvariant()] = size;
        }
    }

    private static IPAddress ParseIp(string flag, string value) =>
        IPAddress.TryParse(value, out var ip)
            ? ip
            : throw new CommandLineException($"invalid argument \"{value}\" for \"--{flag}\" flag: failed to parse IP: \"{value}\"");

    private static TimeSpan ParseDuration(string flag, string value) =>
        GoDuration.TryParse(value, out var d)
            ? d
            : throw new CommandLineException($"invalid argument \"{value}\" for \"--{flag}\" flag: time: invalid duration \"{value}\"");

    /// <summary>strconv.ParseBool: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False.</summary>
    internal static bool ParseBool(string flag, string value) => value switch
    {
        "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
        "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
        _ => throw new CommandLineException($"invalid argument \"{value}\" for \"--{flag}\" flag: strconv.ParseBool: parsing \"{value}\": invalid syntax"),
    };
}

internal sealed class CommandLineException(string message) : Exception(message);
