using System.Diagnostics;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace TestSupport;

public sealed class EtcdProcessOptions
{
    /// <summary>Serve clients over TLS (https://); otherwise h2c on http://.</summary>
    public bool Tls { get; init; }

    /// <summary>With <see cref="Tls"/>: require client certificates signed by the CA (--client-cert-auth).</summary>
    public bool ClientCertAuth { get; init; } = true;

    /// <summary>A CA to issue etcd's certificates from (to share one CA with other test servers); default: a new one.</summary>
    public TestPki? Pki { get; init; }

    public string EtcdPath { get; init; } = "/usr/bin/etcd";

    public string EtcdctlPath { get; init; } = "/usr/bin/etcdctl";

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Further etcd flags, e.g. "--max-request-bytes=..." or "--auto-compaction-retention=...".</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];
}

/// <summary>
/// A real single-member etcd on free loopback ports with a temporary directory. etcd's output goes
/// to <see cref="LogPath"/> (shown in the exception when it fails to start), not to the test output.
/// Dispose kills it and deletes the directory.
/// </summary>
public sealed class EtcdProcess : IAsyncDisposable
{
    private const int MaxPortAttempts = 5;
    private static readonly HashSet<EtcdProcess> Live = [];

    private readonly EtcdProcessOptions _options;
    private readonly bool _ownsPki;
    private readonly Lock _logLock = new();
    private HttpClient? _healthClient;
    private Process? _process;
    private StreamWriter? _log;

    // Set for a member of an EtcdCluster: its name, the cluster's --initial-cluster and token.
    private string _name = "default";
    private string? _initialCluster;
    private string? _clusterToken;

    static EtcdProcess()
    {
        // A test host that exits without disposing its fixtures must not leave etcd running.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            EtcdProcess[] running;
            lock (Live)
            {
                running = [.. Live];
            }

            foreach (var etcd in running)
            {
                etcd.Kill();
            }
        };
    }

    private EtcdProcess(EtcdProcessOptions options, string workDirectory)
    {
        _options = options;
        WorkDirectory = workDirectory;
        DataDirectory = Path.Combine(workDirectory, "data");
        LogPath = Path.Combine(workDirectory, "etcd.log");
        if (options.Tls)
        {
            _ownsPki = options.Pki is null;
            Pki = options.Pki ?? TestPki.Create(Path.Combine(workDirectory, "pki"), "etcd-ca");
            ServerCertificate = Pki.IssueServerCertificate($"etcd-server-{Guid.NewGuid():N}");
            ClientCertificate = Pki.IssueClientCertificate($"etcd-client-{Guid.NewGuid():N}", "etcd-client");
        }
    }

    /// <summary>The temporary directory holding data/, etcd.log and (with TLS and no given CA) pki/.</summary>
    public string WorkDirectory { get; }

    public string DataDirectory { get; }

    public string LogPath { get; }

    public int ClientPort { get; private set; }

    public int PeerPort { get; private set; }

    public bool UsesTls => _options.Tls;

    /// <summary>http(s)://127.0.0.1:port</summary>
    public string Endpoint => $"{(UsesTls ? "https" : "http")}://127.0.0.1:{ClientPort}";

    /// <summary>The CA that signed etcd's certificates (null without TLS).</summary>
    public TestPki? Pki { get; }

    public string? CaFile => Pki?.CaCertificatePath;

    public PemCertificate? ServerCertificate { get; }

    /// <summary>A client certificate etcd accepts (null without TLS).</summary>
    public PemCertificate? ClientCertificate { get; }

    public string? ClientCertFile => ClientCertificate?.CertificatePath;

    public string? ClientKeyFile => ClientCertificate?.KeyPath;

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The etcd process id while it runs (the benchmark reads its CPU time and memory).</summary>
    public int? ProcessId => _process is { HasExited: false } process ? process.Id : null;

    public static async Task<EtcdProcess> StartAsync(EtcdProcessOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EtcdProcessOptions();
        var workDirectory = Path.Combine(Path.GetTempPath(), $"etcd-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(workDirectory);
        var etcd = new EtcdProcess(options, workDirectory);
        try
        {
            etcd._healthClient = etcd.CreateHealthClient();
            for (var attempt = 1; ; attempt++)
            {
                etcd.ClientPort = FreePort.Next();
                etcd.PeerPort = FreePort.Next();
                if (await etcd.LaunchAsync(cancellationToken))
                {
                    return etcd;
                }

                // Another process took a port between FreePort and etcd's bind: start over on new ports.
                if (attempt == MaxPortAttempts)
                {
                    throw new InvalidOperationException($"etcd could not bind free ports after {attempt} attempts:\n{etcd.ReadLog()}");
                }

                if (Directory.Exists(etcd.DataDirectory))
                {
                    Directory.Delete(etcd.DataDirectory, recursive: true);
                }
            }
        }
        catch
        {
            await etcd.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A member of a multi-member cluster, not started: <see cref="EtcdCluster"/> gives it ports and
    /// starts every member at once (none is healthy before a quorum runs).
    /// </summary>
    internal static EtcdProcess CreateMember(EtcdProcessOptions options, string name)
    {
        var workDirectory = Path.Combine(Path.GetTempPath(), $"etcd-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(workDirectory);
        var member = new EtcdProcess(options, workDirectory) { _name = name };
        member._healthClient = member.CreateHealthClient();
        member.ClientPort = FreePort.Next();
        member.PeerPort = FreePort.Next();
        return member;
    }

    internal string Name => _name;

    internal string PeerUrl => $"http://127.0.0.1:{PeerPort}";

    /// <summary>Starts this member of <paramref name="initialCluster"/>; false when a port was taken.</summary>
    internal Task<bool> StartMemberAsync(string initialCluster, string clusterToken, CancellationToken cancellationToken)
    {
        _initialCluster = initialCluster;
        _clusterToken = clusterToken;
        return LaunchAsync(cancellationToken);
    }

    /// <summary>Kills etcd at once (SIGKILL), keeping its data; a no-op when it is not running.</summary>
    public void Kill()
    {
        var process = _process;
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.WaitForExit();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        lock (Live)
        {
            Live.Remove(this);
        }
    }

    /// <summary>
    /// Freezes etcd (SIGSTOP): its sockets stay open, so connections hold and calls go unanswered,
    /// as with a hung or partitioned member, until <see cref="Resume"/>.
    /// </summary>
    public void Pause()
    {
        Signal("STOP");
        // kill returns before every thread has stopped; a running one could still answer a request.
        var pid = ProcessId!.Value;
        var clock = Stopwatch.StartNew();
        while (!Directory.EnumerateDirectories($"/proc/{pid}/task").All(task => IsStopped(Path.Combine(task, "stat"))))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new TimeoutException($"etcd {pid} did not stop within 10 s");
            }

            Thread.Sleep(1);
        }

        static bool IsStopped(string stat)
        {
            try
            {
                var text = File.ReadAllText(stat);
                return text[text.LastIndexOf(')') + 2] is 'T' or 't';
            }
            catch (IOException)
            {
                return true; // the thread is gone
            }
        }
    }

    /// <summary>Lets a paused etcd run on (SIGCONT).</summary>
    public void Resume() => Signal("CONT");

    /// <summary>Kills etcd if it runs and starts it again on the same ports and data directory.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        Kill();
        if (!await LaunchAsync(cancellationToken))
        {
            throw new InvalidOperationException($"etcd could not rebind its ports {ClientPort}/{PeerPort}:\n{ReadLog()}");
        }
    }

    /// <summary>Runs etcdctl (API v3) against this etcd, with the endpoint and certificate flags. Returns stdout.</summary>
    public string Etcdctl(params string[] args) => EtcdctlWithInput(null, args);

    /// <summary>
    /// etcdctl with <paramref name="input"/> as its standard input, byte for byte (how <c>etcdctl put
    /// KEY</c> takes a binary value, such as an object in Kubernetes protobuf).
    /// </summary>
    public string EtcdctlWithInput(byte[]? input, params string[] args)
    {
        var startInfo = new ProcessStartInfo(_options.EtcdctlPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        ClearEnvironment(startInfo, "ETCDCTL_");
        startInfo.Environment["ETCDCTL_API"] = "3";
        startInfo.ArgumentList.Add($"--endpoints={Endpoint}");
        if (UsesTls)
        {
            startInfo.ArgumentList.Add($"--cacert={CaFile}");
            startInfo.ArgumentList.Add($"--cert={ClientCertFile}");
            startInfo.ArgumentList.Add($"--key={ClientKeyFile}");
        }

        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("etcdctl did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            process.StandardInput.BaseStream.Write(input);
            process.StandardInput.Close();
        }

        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"etcdctl {string.Join(' ', args)} did not finish within 60 s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"etcdctl {string.Join(' ', args)} exited with {process.ExitCode}: {stderr.Result}");
        }

        return stdout.Result;
    }

    /// <summary>etcd's output so far.</summary>
    public string ReadLog()
    {
        if (!File.Exists(LogPath))
        {
            return string.Empty;
        }

        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        _process = null;
        CloseLog();
        _healthClient?.Dispose();
        if (_ownsPki)
        {
            Pki?.Dispose();
        }

        for (var attempt = 1; attempt <= 5 && Directory.Exists(WorkDirectory); attempt++)
        {
            try
            {
                Directory.Delete(WorkDirectory, recursive: true);
            }
            catch (IOException) when (attempt < 5)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Starts etcd and waits until /health says true. False when etcd died because a port was taken.</summary>
    private async Task<bool> LaunchAsync(CancellationToken cancellationToken)
    {
        CloseLog();
        _process?.Dispose();
        _log = new StreamWriter(new FileStream(LogPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete)) { AutoFlush = true };
        var startInfo = new ProcessStartInfo(_options.EtcdPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // etcd refuses to start when an ETCD_* variable duplicates a flag.
        ClearEnvironment(startInfo, "ETCD_");
        foreach (var arg in BuildArguments())
        {
            startInfo.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => AppendLog(e.Data);
        process.ErrorDataReceived += (_, e) => AppendLog(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        lock (Live)
        {
            Live.Add(this);
        }

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                process.WaitForExit(); // drains the output handlers
                var log = ReadLog();
                if (log.Contains("address already in use", StringComparison.Ordinal))
                {
                    return false;
                }

                throw new InvalidOperationException($"etcd exited with {process.ExitCode} during start:\n{log}");
            }

            if (await IsHealthyAsync(cancellationToken))
            {
                return true;
            }

            if (deadline.Elapsed > _options.StartTimeout)
            {
                Kill();
                throw new TimeoutException($"etcd was not healthy within {_options.StartTimeout.TotalSeconds} s:\n{ReadLog()}");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    private List<string> BuildArguments()
    {
        var args = new List<string>
        {
            $"--name={_name}",
            $"--data-dir={DataDirectory}",
            $"--listen-client-urls={Endpoint}",
            $"--advertise-client-urls={Endpoint}",
            $"--listen-peer-urls={PeerUrl}",
            $"--initial-advertise-peer-urls={PeerUrl}",
            $"--initial-cluster={_initialCluster ?? $"{_name}={PeerUrl}"}",
            "--initial-cluster-state=new",
            $"--initial-cluster-token={_clusterToken ?? $"test-{Path.GetFileName(WorkDirectory)}"}",
        };
        if (UsesTls)
        {
            args.Add($"--cert-file={ServerCertificate!.CertificatePath}");
            args.Add($"--key-file={ServerCertificate.KeyPath}");
            if (_options.ClientCertAuth)
            {
                args.Add("--client-cert-auth");
                args.Add($"--trusted-ca-file={CaFile}");
            }
        }

        args.AddRange(_options.ExtraArguments);
        return args;
    }

    private async Task<bool> IsHealthyAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            var body = await _healthClient!.GetStringAsync($"{Endpoint}/health", timeout.Token);
            return body.Contains("\"health\":\"true\"", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private HttpClient CreateHealthClient()
    {
        var handler = new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromSeconds(1) };
        if (UsesTls)
        {
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            policy.CustomTrustStore.Add(Pki!.CaCertificate);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = policy,
                ClientCertificates = [ClientCertificate!.Load()],
            };
        }

        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    private void AppendLog(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logLock)
        {
            _log?.WriteLine(line);
        }
    }

    private void CloseLog()
    {
        lock (_logLock)
        {
            _log?.Dispose();
            _log = null;
        }
    }

    private void Signal(string signal)
    {
        var pid = ProcessId ?? throw new InvalidOperationException("etcd is not running");
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { $"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })
            ?? throw new InvalidOperationException("kill did not start");
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {pid} exited with {kill.ExitCode}");
        }
    }

    private static void ClearEnvironment(ProcessStartInfo startInfo, string prefix)
    {
        foreach (var name in startInfo.Environment.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList())
        {
            startInfo.Environment.Remove(name);
        }
    }
}
