using System.Net.Http;
using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using Storage;

namespace ApiServer.Registry;

/// <summary>
/// componentstatuses (kube's pkg/registry/core/componentstatus, deprecated since 1.19 but still
/// served): a read-only list made by asking each component at the moment of the request — the
/// scheduler and controller manager on their default secure ports on this host (as kube assumes),
/// and etcd through the server's own storage. Nothing is stored; labels and fields select nothing.
/// </summary>
internal sealed class ComponentStatuses(IStorage storage)
{
    public const string DeprecationWarning = "v1 ComponentStatus is deprecated in v1.19+";

    /// <summary>kube's probe timeout is 20 s; a component that takes that long is answered Unknown sooner here.</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    private static readonly HttpClient Prober = new(new SocketsHttpHandler
    {
        // kube's HttpServer probes with InsecureSkipVerify: the components' serving certificates are their own.
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        ConnectTimeout = ProbeTimeout,
    })
    { Timeout = ProbeTimeout };

    /// <summary>kube's serversToValidate, by name.</summary>
    private static readonly (string Name, string Url)[] HttpComponents =
    [
        ("controller-manager", "https://127.0.0.1:10257/healthz"),
        ("scheduler", "https://127.0.0.1:10259/healthz"),
    ];

    private const string EtcdName = "etcd-0";

    public async Task<JsonObject> ListAsync(CancellationToken cancellationToken)
    {
        var statuses = await Task.WhenAll(HttpComponents.Select(c => ProbeAsync(c.Name, c.Url, cancellationToken)).Append(ProbeEtcdAsync(cancellationToken))).ConfigureAwait(false);
        var items = new JsonArray();
        foreach (var status in statuses)
        {
            items.Add(status);
        }

        return new JsonObject { ["kind"] = "ComponentStatusList", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["items"] = items };
    }

    public async Task<JsonObject> GetAsync(string name, CancellationToken cancellationToken)
    {
        JsonObject status;
        if (name == EtcdName)
        {
            status = await ProbeEtcdAsync(cancellationToken).ConfigureAwait(false);
        }
        else if (HttpComponents.FirstOrDefault(c => c.Name == name) is { Url: { } url })
        {
            status = await ProbeAsync(name, url, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // kube answers a 500 "Component not found"; an unknown name is the client's mistake.
            throw StatusException.NewNotFound("", "componentstatuses", name);
        }

        var typed = new JsonObject { ["kind"] = "ComponentStatus", ["apiVersion"] = "v1" };
        foreach (var (key, value) in status.ToList())
        {
            status.Remove(key);
            typed[key] = value;
        }

        return typed;
    }

    /// <summary>HttpServer.DoServerCheck: 2xx/3xx is True with the body as message, others False, no answer Unknown with the error.</summary>
    private static async Task<JsonObject> ProbeAsync(string name, string url, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await Prober.GetAsync(url, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var healthy = (int)response.StatusCode is >= 200 and < 400;
            return Status(name, healthy ? "True" : "False", body, "");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var reason = e is HttpRequestException { InnerException: System.Net.Sockets.SocketException socket }
                ? socket.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionRefused ? "connect: connection refused" : socket.Message
                : e is TaskCanceledException ? "context deadline exceeded" : e.Message;
            var host = new Uri(url).Authority;
            return Status(name, "Unknown", "", $"Get \"{url}\": dial tcp {host}: {reason}");
        }
    }

    /// <summary>EtcdServer.DoServerCheck: the storage answers, "ok".</summary>
    private async Task<JsonObject> ProbeEtcdAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ProbeTimeout);
            await storage.GetCurrentRevisionAsync(timeout.Token).ConfigureAwait(false);
            return Status(EtcdName, "True", "ok", "");
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return Status(EtcdName, "False", "", e.Message);
        }
    }

    /// <summary>A ComponentStatus as kube's list holds it: no creation time, one Healthy condition.</summary>
    private static JsonObject Status(string name, string status, string message, string error)
    {
        var condition = new JsonObject { ["type"] = "Healthy", ["status"] = status };
        if (message.Length > 0)
        {
            condition["message"] = message;
        }

        if (error.Length > 0)
        {
            condition["error"] = error;
        }

        return new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["creationTimestamp"] = null },
            ["conditions"] = new JsonArray(condition),
        };
    }
}
