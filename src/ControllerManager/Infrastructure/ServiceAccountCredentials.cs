using System.Net.Http.Headers;
using ClientTools.Client;
using ClientTools.Logging;
using ControllerManager.Common;
using k8s;
using k8s.Authentication;
using k8s.Models;

namespace ControllerManager.Infrastructure;

/// <summary>
/// --use-service-account-credentials: each controller talks to the API server as the service account
/// kube-system/&lt;controller name&gt; (created on first use by system:kube-controller-manager, as kube's
/// SAControllerClientBuilder does), with a bound token from its TokenRequest subresource renewed before
/// it expires, so RBAC sees — and limits — each controller by its bootstrap system:controller:* role.
/// </summary>
internal sealed class ServiceAccountCredentials(IKubernetes root, KubernetesClientConfiguration rootConfig, double qps, int burst, TimeProvider time)
{
    public const string Namespace = "kube-system";

    public IKubernetes ClientFor(string controllerName)
    {
        var config = new KubernetesClientConfiguration
        {
            Host = rootConfig.Host,
            SslCaCerts = rootConfig.SslCaCerts,
            SkipTlsVerify = rootConfig.SkipTlsVerify,
            TlsServerName = rootConfig.TlsServerName,
            TokenProvider = new TokenProvider(root, ServiceAccountName(controllerName), time),
        };
        return ClientFactory.Create(config, $"kube-controller-manager/{controllerName}", qps, burst);
    }

    /// <summary>The service account (and system:controller:* role) kube gives a controller; several keep their names from before 1.29.</summary>
    public static string ServiceAccountName(string controllerName) => controllerName switch
    {
        ControllerNames.ReplicationController => "replication-controller",
        ControllerNames.GarbageCollector => "generic-garbage-collector",
        ControllerNames.NodeLifecycle => "node-controller",
        ControllerNames.PodGarbageCollector => "pod-garbage-collector",
        ControllerNames.Endpoints => "endpoint-controller",
        ControllerNames.EndpointSlice => "endpointslice-controller",
        ControllerNames.EndpointSliceMirroring => "endpointslicemirroring-controller",
        ControllerNames.ServiceAccount => "service-account-controller",
        ControllerNames.RootCaPublisher => "root-ca-cert-publisher",
        ControllerNames.TtlAfterFinished => "ttl-after-finished-controller",
        ControllerNames.TaintEviction => "node-controller",
        ControllerNames.DaemonSet => "daemon-set-controller",
        _ => controllerName,
    };

    private sealed class TokenProvider(IKubernetes root, string serviceAccount, TimeProvider time) : ITokenProvider
    {
        private readonly SemaphoreSlim _lock = new(1, 1);
        private string? _token;
        private DateTimeOffset _refreshAt;

        public async Task<AuthenticationHeaderValue> GetAuthenticationHeaderAsync(CancellationToken cancellationToken)
        {
            await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_token is null || time.GetUtcNow() >= _refreshAt)
                {
                    await EnsureServiceAccountAsync(cancellationToken).ConfigureAwait(false);
                    var request = new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { ExpirationSeconds = 3600 } };
                    var answer = await root.CoreV1.CreateNamespacedServiceAccountTokenAsync(request, serviceAccount, Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
                    _token = answer.Status.Token;
                    var now = time.GetUtcNow().UtcDateTime;
                    var lifetime = (answer.Status.ExpirationTimestamp ?? now.AddHours(1)) - now;
                    _refreshAt = time.GetUtcNow() + (lifetime * 0.8);
                    Klog.Info(2, $"got a token for service account {Namespace}/{serviceAccount}");
                }

                return new AuthenticationHeaderValue("Bearer", _token);
            }
            finally
            {
                _lock.Release();
            }
        }

        private async Task EnsureServiceAccountAsync(CancellationToken cancellationToken)
        {
            try
            {
                await root.CoreV1.ReadNamespacedServiceAccountAsync(serviceAccount, Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (ApiErrors.IsNotFound(e))
            {
                try
                {
                    await root.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = serviceAccount, NamespaceProperty = Namespace } }, Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (Exception c) when (ApiErrors.IsAlreadyExists(c))
                {
                }
            }
        }
    }
}
