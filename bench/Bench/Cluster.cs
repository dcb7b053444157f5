using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography.X509Certificates;
using Storage.Etcd;
using TestSupport;

namespace Bench;

/// <summary>
/// A fresh etcd (TLS, client certificates) and the real server (TLS, client certificates) on free
/// loopback ports, plus the two clients the workloads drive: HTTP/2 to the server as client-go
/// connects, and our etcd gRPC client for the raw-etcd baseline.
/// </summary>
internal sealed class Cluster : IAsyncDisposable
{
    private Process? _server;

    private Cluster(EtcdProcess etcd, TestPki pki, string workDirectory)
    {
        Etcd = etcd;
        Pki = pki;
        WorkDirectory = workDirectory;
    }

    public EtcdProcess Etcd { get; }

    public TestPki Pki { get; }

    public string WorkDirectory { get; }

    public EtcdClient EtcdClient { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public int ServerPid => _server?.Id ?? throw new InvalidOperationException("not started");

    public int EtcdPid => Etcd.ProcessId ?? throw new InvalidOperationException("etcd is not running");

    /// <param name="serverFlags">flags for this cluster's server besides BENCH_ARGS (configurations compared in one run).</param>
    /// <param name="beforeServer">runs on the fresh etcd before the server starts (data a cold start finds).</param>
    /// <param name="readyTimeout">how long the server may take to answer /readyz (60 s unless given).</param>
    /// <param name="etcdFlags">further etcd flags (e.g. a larger --quota-backend-bytes for a big data set).</param>
    public static async Task<Cluster> StartAsync(
        IReadOnlyList<string>? serverFlags = null, Func<EtcdProcess, Task>? beforeServer = null, TimeSpan? readyTimeout = null,
        IReadOnlyList<string>? etcdFlags = null)
    {
        var work = Path.Combine(Path.GetTempPath(), $"bench-{Guid.NewGuid():N}");
        var pki = TestPki.Create(Path.Combine(work, "pki"));
        var etcd = await EtcdProcess.StartAsync(new EtcdProcessOptions { Tls = true, Pki = pki, ExtraArguments = etcdFlags ?? [] });
        var cluster = new Cluster(etcd, pki, work);
        if (beforeServer is not null)
        {
            await beforeServer(etcd);
        }

        await cluster.StartServerAsync(serverFlags ?? [], readyTimeout ?? TimeSpan.FromSeconds(60));
        return cluster;
    }

    private async Task StartServerAsync(IReadOnlyList<string> serverFlags, TimeSpan readyTimeout)
    {
        var serving = Pki.IssueServerCertificate("apiserver");
        var admin = Pki.IssueClientCertificate("admin", "kubernetes-admin", "system:masters");
        var port = FreePort.Next();
        var dll = ServerDll ?? Path.Combine(RepoRoot(), "src", "ApiServer", "bin", "Release", "net10.0", "ApiServer.dll");
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
        {
            dll,
            $"--etcd-servers={Etcd.Endpoint}", $"--etcd-cafile={Etcd.CaFile}", $"--etcd-certfile={Etcd.ClientCertFile}", $"--etcd-keyfile={Etcd.ClientKeyFile}",
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", $"--secure-port={port}",
            $"--tls-cert-file={serving.CertificatePath}", $"--tls-private-key-file={serving.KeyPath}", $"--client-ca-file={Pki.CaCertificatePath}",
        })
        {
            start.ArgumentList.Add(arg);
        }

        // BENCH_ARGS adds server flags (for example --watch-cache=false) to compare configurations.
        foreach (var arg in (Environment.GetEnvironmentVariable("BENCH_ARGS") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Concat(serverFlags))
        {
            start.ArgumentList.Add(arg);
        }

        // BENCH_SERVER_X=v reaches the server alone as X=v: runtime knobs (DOTNET_...) can be tried on
        // the server without changing the generator, which drives the etcd baseline too.
        foreach (System.Collections.DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            if (variable.Key is string name && name.StartsWith("BENCH_SERVER_", StringComparison.Ordinal))
            {
                start.Environment[name["BENCH_SERVER_".Length..]] = variable.Value as string;
            }
        }

        foreach (var (name, value) in _extraEnvironment)
        {
            start.Environment[name] = value;
        }

        var log = new StreamWriter(Path.Combine(WorkDirectory, "apiserver.log"), append: true) { AutoFlush = true };
        _server = Process.Start(start) ?? throw new InvalidOperationException("the server did not start");
        _server.OutputDataReceived += (_, e) => { lock (log) { log.WriteLine(e.Data); } };
        _server.ErrorDataReceived += (_, e) => { lock (log) { log.WriteLine(e.Data); } };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();

        var ca = X509CertificateLoader.LoadCertificateFromFile(Pki.CaCertificatePath);
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            MaxConnectionsPerServer = 64,
        };
        handler.SslOptions.ClientCertificates = [admin.Load()];
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && Chains(ca, X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        Http = new HttpClient(handler)
        {
            BaseAddress = new Uri($"https://127.0.0.1:{port}"),
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        EtcdClient = new EtcdClient(new EtcdClientOptions
        {
            Endpoints = [Etcd.Endpoint],
            CaFile = Etcd.CaFile,
            CertFile = Etcd.ClientCertFile,
            KeyFile = Etcd.ClientKeyFile,
        });

        var deadline = DateTime.UtcNow + readyTimeout;
        while (true)
        {
            try
            {
                using var ready = await Http.GetAsync("/readyz");
                if (ready.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline && !_server.HasExited)
            {
            }

            if (DateTime.UtcNow > deadline || _server.HasExited)
            {
                throw new InvalidOperationException("the server did not become ready; see " + Path.Combine(WorkDirectory, "apiserver.log"));
            }

            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Stops the server and starts it again on the same etcd with <paramref name="environment"/> added to
    /// its environment (configurations compared in one run, e.g. GC settings); returns when /readyz answers.
    /// </summary>
    public async Task RestartServerAsync(IReadOnlyList<string> serverFlags, IReadOnlyDictionary<string, string> environment, TimeSpan readyTimeout)
    {
        Http?.Dispose();
        EtcdClient?.Dispose();
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }

        _extraEnvironment = environment;
        await StartServerAsync(serverFlags, readyTimeout);
    }

    private IReadOnlyDictionary<string, string> _extraEnvironment = new Dictionary<string, string>();

    /// <summary>Another build's ApiServer.dll for the next (re)start (a before/after row in one run); null: this build's.</summary>
    public string? ServerDll { get; set; }

    private static bool Chains(X509Certificate2 ca, X509Certificate2 leaf)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ApiServer.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ApiServer.sln not found above " + AppContext.BaseDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        EtcdClient?.Dispose();
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }

        await Etcd.DisposeAsync();
        Pki.Dispose();
        try
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>CPU time and resident memory of a process, from /proc.</summary>
internal static class ProcStats
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After "pid (comm) ", field 3 is state; utime and stime are fields 14 and 15 overall.
        return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

    public static long ResidentBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    public static string LoadAverage() => File.ReadAllText("/proc/loadavg").Trim();
}
