using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Storage;

namespace ApiServer.Health;

/// <summary>One named check of /healthz, /livez or /readyz.</summary>
internal sealed record HealthCheck(string Name, Func<CancellationToken, Task> Check);

/// <summary>
/// /healthz, /livez and /readyz as kube-apiserver serves them: "ok" or, with ?verbose, one
/// "[+]name ok" line per check; a failing check answers 500 with "[-]name failed: reason withheld";
/// ?exclude=name skips a check; /readyz/name runs one. /readyz fails once shutdown has begun so
/// load balancers drain us before the listener closes, and while a background loop keeps failing.
/// </summary>
internal sealed partial class HealthEndpoints
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(2);

    private readonly IReadOnlyList<HealthCheck> _livez;
    private readonly IReadOnlyList<HealthCheck> _readyz;
    private readonly IReadOnlyList<HealthCheck> _healthz;
    private readonly HealthCheck _shutdown;
    private readonly BackgroundLoops _loops;
    private readonly ILogger<HealthEndpoints> _logger;
    private readonly Storage.Cacher.CacheReflector _reflector;

    public HealthEndpoints(
        IStorage storage, IHostApplicationLifetime lifetime, StartupState startup, BackgroundLoops loops, ILogger<HealthEndpoints> logger,
        Storage.Cacher.CacheReflector reflector, Options.ApiServerOptions options)
    {
        _logger = logger;
        _loops = loops;
        _reflector = reflector;
        var ping = new HealthCheck("ping", _ => Task.CompletedTask);
        var log = new HealthCheck("log", _ => Task.CompletedTask);
        var etcd = new HealthCheck("etcd", async ct => await storage.GetCurrentRevisionAsync(ct).ConfigureAwait(false));
        var bootstrap = new HealthCheck("poststarthook/bootstrap-namespaces", _ =>
            startup.NamespacesBootstrapped ? Task.CompletedTask : throw new InvalidOperationException("not finished"));
        var rbac = new HealthCheck("poststarthook/rbac/bootstrap-roles", _ =>
            startup.RbacBootstrapped ? Task.CompletedTask : throw new InvalidOperationException("not finished"));
        var crds = new HealthCheck("poststarthook/crd-informer-synced", _ =>
            startup.CustomResourcesSynced ? Task.CompletedTask : throw new InvalidOperationException("not finished"));
        var serviceCidr = new HealthCheck("poststarthook/start-kubernetes-service-cidr-controller", _ =>
            startup.ServiceCidrReady ? Task.CompletedTask : throw new InvalidOperationException("not finished"));
        var shutdown = new HealthCheck("shutdown", _ =>
            lifetime.ApplicationStopping.IsCancellationRequested ? throw new InvalidOperationException("process is shutting down") : Task.CompletedTask);

        HealthCheck[] hooks = [bootstrap, rbac, crds, serviceCidr];
        if (options.WatchCache.InitializationPostStartHook)
        {
            // kube's storage-readiness hook (WatchCacheInitializationPostStartHook): done once the
            // watch caches are filled, or once --storage-initialization-timeout has passed anyway.
            var timeout = options.WatchCache.StorageInitializationTimeout;
            var started = System.Diagnostics.Stopwatch.StartNew();
            hooks = [.. hooks, new HealthCheck("poststarthook/storage-readiness", _ =>
                reflector.Filled || started.Elapsed >= timeout ? Task.CompletedTask : throw new InvalidOperationException("not finished"))];
        }

        _livez = [ping, log, etcd, .. hooks];
        _healthz = [ping, log, etcd, .. hooks];
        _readyz = [ping, log, etcd, new HealthCheck("etcd-readiness", etcd.Check), .. hooks];
        _shutdown = shutdown;
    }

    /// <summary>
    /// The checks of an endpoint. /readyz and /healthz also have one per background loop, failing
    /// while that loop keeps failing (a restart would not mend it, so /livez does not).
    /// </summary>
    private IReadOnlyList<HealthCheck>? ChecksOf(string endpoint) => endpoint switch
    {
        "livez" => _livez,
        "healthz" => [.. _healthz, .. _loops.Checked.Select(BackgroundLoops.CheckOf)],
        "readyz" => [.. _readyz, .. _loops.Checked.Select(BackgroundLoops.CheckOf), _shutdown],
        _ => null,
    };

    public async Task<bool> TryHandleAsync(HttpContext context, string path)
    {
        if (path == "/metrics")
        {
            await ProcessMetrics.WriteAsync(context, _reflector).ConfigureAwait(false);
            return true;
        }

        var segments = path.Trim('/').Split('/');
        var checks = ChecksOf(segments[0]);
        if (checks is null)
        {
            return false;
        }

        var endpoint = segments[0];
        if (segments.Length > 1)
        {
            // /readyz/etcd runs that check alone.
            var name = string.Join('/', segments.Skip(1));
            var single = checks.FirstOrDefault(c => c.Name == name);
            if (single is null)
            {
                return false;
            }

            var (ok, _) = await RunAsync(single, context.RequestAborted).ConfigureAwait(false);
            await WriteAsync(context, ok ? 200 : 500, ok ? "ok" : $"internal server error: {single.Name} check failed").ConfigureAwait(false);
            return true;
        }

        var excluded = context.Request.Query["exclude"].SelectMany(v => (v ?? "").Split(',')).ToHashSet(StringComparer.Ordinal);
        var verbose = context.Request.Query.ContainsKey("verbose");
        var report = new StringBuilder();
        var failed = new List<string>();
        foreach (var check in checks)
        {
            if (excluded.Contains(check.Name))
            {
                report.Append("[+]").Append(check.Name).Append(" excluded: ok\n");
                continue;
            }

            var (ok, error) = await RunAsync(check, context.RequestAborted).ConfigureAwait(false);
            if (ok)
            {
                report.Append("[+]").Append(check.Name).Append(" ok\n");
            }
            else
            {
                failed.Add(check.Name);
                report.Append("[-]").Append(check.Name).Append(" failed: reason withheld\n");
                LogCheckFailed(_logger, endpoint, check.Name, error);
            }
        }

        if (failed.Count > 0)
        {
            report.Append(endpoint).Append(" check failed\n");
            await WriteAsync(context, 500, report.ToString()).ConfigureAwait(false);
        }
        else if (verbose)
        {
            report.Append(endpoint).Append(" check passed\n");
            await WriteAsync(context, 200, report.ToString()).ConfigureAwait(false);
        }
        else
        {
            await WriteAsync(context, 200, "ok").ConfigureAwait(false);
        }

        return true;
    }

    private static async Task<(bool Ok, string? Error)> RunAsync(HealthCheck check, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            await check.Check(timeout.Token).ConfigureAwait(false);
            return (true, null);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return (false, e.Message);
        }
    }

    private static async Task WriteAsync(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        await context.Response.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = LogEvents.HealthCheckFailed, Level = LogLevel.Warning, Message = "{Endpoint} check {Check} failed: {Error}")]
    private static partial void LogCheckFailed(ILogger logger, string endpoint, string check, string? error);
}

/// <summary>Start-up progress the health checks report (post-start hooks in kube-apiserver).</summary>
internal sealed class StartupState
{
    private volatile bool _namespacesBootstrapped;

    private volatile bool _rbacBootstrapped;

    private volatile bool _customResourcesSynced;

    /// <summary>Every stored CRD has been read once and its resources are served (kube's crd-informer-synced).</summary>
    public bool CustomResourcesSynced
    {
        get => _customResourcesSynced;
        set => _customResourcesSynced = value;
    }

    private volatile bool _serviceCidrReady;

    /// <summary>The default ServiceCIDR exists (kube's start-kubernetes-service-cidr-controller hook).</summary>
    public bool ServiceCidrReady
    {
        get => _serviceCidrReady;
        set => _serviceCidrReady = value;
    }

    public bool NamespacesBootstrapped
    {
        get => _namespacesBootstrapped;
        set => _namespacesBootstrapped = value;
    }

    /// <summary>The bootstrap RBAC policy is stored and the authorizer's cache sees it (whatever the authorization mode).</summary>
    public bool RbacBootstrapped
    {
        get => _rbacBootstrapped;
        set => _rbacBootstrapped = value;
    }
}
