// Every flag name kube-apiserver v1.32+ accepts, and whether it is a boolean (pflag lets a boolean appear
// as a bare `--flag`; every other flag takes a value, as `--flag=value` or `--flag value`).
//
// Source: the kube-apiserver command line reference, kubernetes.io
// docs/reference/command-line-tools-reference/kube-apiserver/ (kubernetes/website
// content/en/docs/reference/command-line-tools-reference/kube-apiserver.md), the v1.35 page, whose
// emulated-version range is kube=1.32..1.35. To it are added the flags kube-apiserver registers but that
// page does not list: flags hidden or deprecated in v1.32 (apiserver-count, identity-lease-*), flags
// v1.32 still had that later releases dropped (cloud-provider, cloud-config, cloud-provider-gce-*,
// default-watch-cache-size), and the JSON logging flags (log-json-*, registered by
// k8s.io/component-base/logs/json/register, which the reference generator does not import).
// The grouping follows kube-apiserver --help's flag sets.
using System.Collections.Frozen;

namespace ApiServer.Options;

internal enum FlagKind
{
    /// <summary>Takes a value: <c>--name=value</c> or <c>--name value</c>.</summary>
    Value,

    /// <summary>A boolean: <c>--name</c> alone means true; <c>--name=false</c> sets it explicitly.</summary>
    Bool,
}

internal static class KubeApiServerFlags
{
    public static readonly FrozenDictionary<string, FlagKind> All = new Dictionary<string, FlagKind>(StringComparer.Ordinal)
    {
        // Generic flags.
        ["advertise-address"] = FlagKind.Value,
        ["cors-allowed-origins"] = FlagKind.Value,
        ["coordinated-leadership-lease-duration"] = FlagKind.Value,
        ["coordinated-leadership-renew-deadline"] = FlagKind.Value,
        ["coordinated-leadership-retry-period"] = FlagKind.Value,
        ["default-not-ready-toleration-seconds"] = FlagKind.Value,
        ["default-unreachable-toleration-seconds"] = FlagKind.Value,
        ["emulated-version"] = FlagKind.Value,
        ["emulation-forward-compatible"] = FlagKind.Bool,
        ["enable-priority-and-fairness"] = FlagKind.Bool,
        ["external-hostname"] = FlagKind.Value,
        ["feature-gates"] = FlagKind.Value,
        ["goaway-chance"] = FlagKind.Value,
        ["livez-grace-period"] = FlagKind.Value,
        ["max-mutating-requests-inflight"] = FlagKind.Value,
        ["max-requests-inflight"] = FlagKind.Value,
        ["min-compatibility-version"] = FlagKind.Value,
        ["min-request-timeout"] = FlagKind.Value,
        ["request-timeout"] = FlagKind.Value,
        ["runtime-config-emulation-forward-compatible"] = FlagKind.Bool,
        ["shutdown-delay-duration"] = FlagKind.Value,
        ["shutdown-send-retry-after"] = FlagKind.Bool,
        ["shutdown-watch-termination-grace-period"] = FlagKind.Value,
        ["storage-initialization-timeout"] = FlagKind.Value,
        ["strict-transport-security-directives"] = FlagKind.Value,

        // Etcd flags.
        ["delete-collection-workers"] = FlagKind.Value,
        ["enable-garbage-collector"] = FlagKind.Bool,
        ["encryption-provider-config"] = FlagKind.Value,
        ["encryption-provider-config-automatic-reload"] = FlagKind.Bool,
        ["etcd-cafile"] = FlagKind.Value,
        ["etcd-certfile"] = FlagKind.Value,
        ["etcd-compaction-interval"] = FlagKind.Value,
        ["etcd-count-metric-poll-period"] = FlagKind.Value,
        ["etcd-db-metric-poll-interval"] = FlagKind.Value,
        ["etcd-healthcheck-timeout"] = FlagKind.Value,
        ["etcd-keyfile"] = FlagKind.Value,
        ["etcd-prefix"] = FlagKind.Value,
        ["etcd-readycheck-timeout"] = FlagKind.Value,
        ["etcd-servers"] = FlagKind.Value,
        ["etcd-servers-overrides"] = FlagKind.Value,
        ["lease-reuse-duration-seconds"] = FlagKind.Value,
        ["storage-backend"] = FlagKind.Value,
        ["storage-media-type"] = FlagKind.Value,
        ["watch-cache"] = FlagKind.Bool,
        ["watch-cache-sizes"] = FlagKind.Value,
        ["default-watch-cache-size"] = FlagKind.Value,

        // Secure serving flags.
        ["bind-address"] = FlagKind.Value,
        ["cert-dir"] = FlagKind.Value,
        ["disable-http2-serving"] = FlagKind.Bool,
        ["http2-max-streams-per-connection"] = FlagKind.Value,
        ["permit-address-sharing"] = FlagKind.Bool,
        ["permit-port-sharing"] = FlagKind.Bool,
        ["secure-port"] = FlagKind.Value,
        ["tls-cert-file"] = FlagKind.Value,
        ["tls-cipher-suites"] = FlagKind.Value,
        ["tls-min-version"] = FlagKind.Value,
        ["tls-private-key-file"] = FlagKind.Value,
        ["tls-sni-cert-key"] = FlagKind.Value,

        // Auditing flags.
        ["audit-log-batch-buffer-size"] = FlagKind.Value,
        ["audit-log-batch-max-size"] = FlagKind.Value,
        ["audit-log-batch-max-wait"] = FlagKind.Value,
        ["audit-log-batch-throttle-burst"] = FlagKind.Value,
        ["audit-log-batch-throttle-enable"] = FlagKind.Bool,
        ["audit-log-batch-throttle-qps"] = FlagKind.Value,
        ["audit-log-compress"] = FlagKind.Bool,
        ["audit-log-format"] = FlagKind.Value,
        ["audit-log-maxage"] = FlagKind.Value,
        ["audit-log-maxbackup"] = FlagKind.Value,
        ["audit-log-maxsize"] = FlagKind.Value,
        ["audit-log-mode"] = FlagKind.Value,
        ["audit-log-path"] = FlagKind.Value,
        ["audit-log-truncate-enabled"] = FlagKind.Bool,
        ["audit-log-truncate-max-batch-size"] = FlagKind.Value,
        ["audit-log-truncate-max-event-size"] = FlagKind.Value,
        ["audit-log-version"] = FlagKind.Value,
        ["audit-policy-file"] = FlagKind.Value,
        ["audit-webhook-batch-buffer-size"] = FlagKind.Value,
        ["audit-webhook-batch-max-size"] = FlagKind.Value,
        ["audit-webhook-batch-max-wait"] = FlagKind.Value,
        ["audit-webhook-batch-throttle-burst"] = FlagKind.Value,
        ["audit-webhook-batch-throttle-enable"] = FlagKind.Bool,
        ["audit-webhook-batch-throttle-qps"] = FlagKind.Value,
        ["audit-webhook-config-file"] = FlagKind.Value,
        ["audit-webhook-initial-backoff"] = FlagKind.Value,
        ["audit-webhook-mode"] = FlagKind.Value,
        ["audit-webhook-truncate-enabled"] = FlagKind.Bool,
        ["audit-webhook-truncate-max-batch-size"] = FlagKind.Value,
        ["audit-webhook-truncate-max-event-size"] = FlagKind.Value,
        ["audit-webhook-version"] = FlagKind.Value,

        // Features flags.
        ["contention-profiling"] = FlagKind.Bool,
        ["debug-socket-path"] = FlagKind.Value,
        ["profiling"] = FlagKind.Bool,

        // Authentication flags.
        ["anonymous-auth"] = FlagKind.Bool,
        ["api-audiences"] = FlagKind.Value,
        ["authentication-config"] = FlagKind.Value,
        ["authentication-token-webhook-cache-ttl"] = FlagKind.Value,
        ["authentication-token-webhook-config-file"] = FlagKind.Value,
        ["authentication-token-webhook-version"] = FlagKind.Value,
        ["client-ca-file"] = FlagKind.Value,
        ["enable-bootstrap-token-auth"] = FlagKind.Bool,
        ["oidc-ca-file"] = FlagKind.Value,
        ["oidc-client-id"] = FlagKind.Value,
        ["oidc-groups-claim"] = FlagKind.Value,
        ["oidc-groups-prefix"] = FlagKind.Value,
        ["oidc-issuer-url"] = FlagKind.Value,
        ["oidc-required-claim"] = FlagKind.Value,
        ["oidc-signing-algs"] = FlagKind.Value,
        ["oidc-username-claim"] = FlagKind.Value,
        ["oidc-username-prefix"] = FlagKind.Value,
        ["requestheader-allowed-names"] = FlagKind.Value,
        ["requestheader-client-ca-file"] = FlagKind.Value,
        ["requestheader-extra-headers-prefix"] = FlagKind.Value,
        ["requestheader-group-headers"] = FlagKind.Value,
        ["requestheader-uid-headers"] = FlagKind.Value,
        ["requestheader-username-headers"] = FlagKind.Value,
        ["service-account-extend-token-expiration"] = FlagKind.Bool,
        ["service-account-issuer"] = FlagKind.Value,
        ["service-account-jwks-uri"] = FlagKind.Value,
        ["service-account-key-file"] = FlagKind.Value,
        ["service-account-lookup"] = FlagKind.Bool,
        ["service-account-max-token-expiration"] = FlagKind.Value,
        ["token-auth-file"] = FlagKind.Value,

        // Authorization flags.
        ["authorization-config"] = FlagKind.Value,
        ["authorization-mode"] = FlagKind.Value,
        ["authorization-policy-file"] = FlagKind.Value,
        ["authorization-webhook-cache-authorized-ttl"] = FlagKind.Value,
        ["authorization-webhook-cache-unauthorized-ttl"] = FlagKind.Value,
        ["authorization-webhook-config-file"] = FlagKind.Value,
        ["authorization-webhook-version"] = FlagKind.Value,

        // Cloud provider flags (present in v1.32, removed from kube-apiserver later).
        ["cloud-config"] = FlagKind.Value,
        ["cloud-provider"] = FlagKind.Value,
        ["cloud-provider-gce-l7lb-src-cidrs"] = FlagKind.Value,
        ["cloud-provider-gce-lb-src-cidrs"] = FlagKind.Value,

        // API enablement flags.
        ["runtime-config"] = FlagKind.Value,

        // Egress selector flags.
        ["egress-selector-config-file"] = FlagKind.Value,

        // Admission flags.
        ["admission-control"] = FlagKind.Value,
        ["admission-control-config-file"] = FlagKind.Value,
        ["disable-admission-plugins"] = FlagKind.Value,
        ["enable-admission-plugins"] = FlagKind.Value,

        // Metrics flags.
        ["allow-metric-labels"] = FlagKind.Value,
        ["allow-metric-labels-manifest"] = FlagKind.Value,
        ["disabled-metrics"] = FlagKind.Value,
        ["show-hidden-metrics-for-version"] = FlagKind.Value,

        // Logs flags.
        ["log-flush-frequency"] = FlagKind.Value,
        ["log-json-info-buffer-size"] = FlagKind.Value,
        ["log-json-split-stream"] = FlagKind.Bool,
        ["log-text-info-buffer-size"] = FlagKind.Value,
        ["log-text-split-stream"] = FlagKind.Bool,
        ["logging-format"] = FlagKind.Value,
        ["v"] = FlagKind.Value,
        ["vmodule"] = FlagKind.Value,

        // Traces flags.
        ["tracing-config-file"] = FlagKind.Value,

        // Misc flags.
        ["aggregator-reject-forwarding-redirect"] = FlagKind.Bool,
        ["allow-privileged"] = FlagKind.Bool,
        ["apiserver-count"] = FlagKind.Value,
        ["enable-aggregator-routing"] = FlagKind.Bool,
        ["enable-logs-handler"] = FlagKind.Bool,
        ["endpoint-reconciler-type"] = FlagKind.Value,
        ["event-ttl"] = FlagKind.Value,
        ["identity-lease-duration-seconds"] = FlagKind.Value,
        ["identity-lease-renew-interval-seconds"] = FlagKind.Value,
        ["kubelet-certificate-authority"] = FlagKind.Value,
        ["kubelet-client-certificate"] = FlagKind.Value,
        ["kubelet-client-key"] = FlagKind.Value,
        ["kubelet-preferred-address-types"] = FlagKind.Value,
        ["kubelet-timeout"] = FlagKind.Value,
        ["kubernetes-service-node-port"] = FlagKind.Value,
        ["max-connection-bytes-per-sec"] = FlagKind.Value,
        ["peer-advertise-ip"] = FlagKind.Value,
        ["peer-advertise-port"] = FlagKind.Value,
        ["peer-ca-file"] = FlagKind.Value,
        ["proxy-client-cert-file"] = FlagKind.Value,
        ["proxy-client-key-file"] = FlagKind.Value,
        ["service-account-signing-endpoint"] = FlagKind.Value,
        ["service-account-signing-key-file"] = FlagKind.Value,
        ["service-cluster-ip-range"] = FlagKind.Value,
        ["service-node-port-range"] = FlagKind.Value,

        // Global flags. --version's value is optional (--version, --version=raw, --version=v1.32.0).
        ["h"] = FlagKind.Bool,
        ["help"] = FlagKind.Bool,
        ["version"] = FlagKind.Bool,
    }.ToFrozenDictionary(StringComparer.Ordinal);
}
