using ClientTools.CommandLine;
using k8s;

namespace ClientTools.Client;

/// <summary>
/// How a component reaches the API server, with the upstream components' flag names:
/// <c>--kubeconfig</c>, <c>--master</c>, <c>--kube-api-qps</c>, <c>--kube-api-burst</c>.
/// </summary>
public sealed class ClientOptions
{
    private readonly Flag<string> _kubeconfig;
    private readonly Flag<string> _master;
    private readonly Flag<double> _qps;
    private readonly Flag<int> _burst;

    /// <param name="flags">The component's flag set.</param>
    /// <param name="qps">The component's default --kube-api-qps (kube-scheduler and kube-controller-manager: 50; kubelet: 50).</param>
    /// <param name="burst">The default --kube-api-burst (100 for the scheduler).</param>
    public ClientOptions(FlagSet flags, double qps, int burst)
    {
        _kubeconfig = flags.String("kubeconfig", "", "Path to a kubeconfig file with the API server's address and this component's credentials (client certificate or token).");
        _master = flags.String("master", "", "API server URL; when set it replaces the server named in --kubeconfig.");
        _qps = flags.Float("kube-api-qps", qps, "Steady rate of requests per second this component allows itself towards the API server (0 or less: no limit).");
        _burst = flags.Int("kube-api-burst", burst, "How many requests may go above --kube-api-qps in a short burst.");
        flags.Accept("requests are JSON", "kube-api-content-type");
    }

    public string Kubeconfig => _kubeconfig.Value;

    public double Qps => _qps.Value;

    public int Burst => _burst.Value;

    /// <summary>The client configuration: the kubeconfig (or in-cluster when none is given), --master over its server.</summary>
    public KubernetesClientConfiguration LoadConfiguration()
    {
        KubernetesClientConfiguration config;
        if (_kubeconfig.Value.Length > 0)
        {
            config = KubernetesClientConfiguration.BuildConfigFromConfigFile(_kubeconfig.Value, masterUrl: _master.Value.Length > 0 ? _master.Value : null);
        }
        else if (KubernetesClientConfiguration.IsInCluster())
        {
            config = KubernetesClientConfiguration.InClusterConfig();
        }
        else
        {
            throw new InvalidOperationException("no --kubeconfig given and not running in a cluster (KUBERNETES_SERVICE_HOST is unset)");
        }

        if (_master.Value.Length > 0)
        {
            config.Host = _master.Value;
        }

        return config;
    }

    /// <summary>A client for <paramref name="userAgent"/> (e.g. "kube-scheduler"), throttled by --kube-api-qps/--kube-api-burst.</summary>
    public IKubernetes CreateClient(string userAgent) => ClientFactory.Create(LoadConfiguration(), userAgent, Qps, Burst);
}

public static class ClientFactory
{
    /// <summary>
    /// A client for one identity. Watches stream for as long as the server keeps them open; other
    /// requests time out after the configuration's HttpClientTimeout (100 s by default).
    /// </summary>
    public static IKubernetes Create(KubernetesClientConfiguration config, string userAgent, double qps, int burst)
    {
        config.UserAgent = $"{userAgent}/v1.35.0 (linux/amd64) kubernetes/csharp";
        return new Kubernetes(config, new ClientRateLimiter(qps, burst));
    }
}
