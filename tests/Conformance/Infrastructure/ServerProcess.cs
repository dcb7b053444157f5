using System.Diagnostics;
using System.Net.Http;
using TestSupport;

namespace Conformance.Infrastructure;

/// <summary>
/// The real server as a separate process (dotnet ApiServer.dll with kube-apiserver's flags) on a
/// free loopback port, its output in a log file. Started and stopped by the cluster fixture.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly string _logPath;
    private Process? _process;
    private StreamWriter? _log;

    /// <param name="environment">variables set for the server process besides the inherited ones.</param>
    public ServerProcess(string directory, IReadOnlyList<string> flags, int port, IReadOnlyDictionary<string, string>? environment = null)
    {
        Directory.CreateDirectory(directory);
        _logPath = Path.Combine(directory, "apiserver.log");
        Flags = flags;
        Port = port;
        Environment = environment ?? new Dictionary<string, string>();
    }

    public IReadOnlyList<string> Flags { get; }

    public IReadOnlyDictionary<string, string> Environment { get; }

    public int Port { get; }

    public string Url => $"https://127.0.0.1:{Port}";

    public string Log => File.Exists(_logPath) ? ReadShared(_logPath) : "";

    public async Task StartAsync(HttpClient probe, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(RepoPaths.ServerDll);
        foreach (var flag in Flags)
        {
            start.ArgumentList.Add(flag);
        }

        foreach (var (name, value) in Environment)
        {
            start.Environment[name] = value;
        }

        _log = new StreamWriter(new FileStream(_logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server");
        _process.OutputDataReceived += (_, e) => Write(e.Data);
        _process.ErrorDataReceived += (_, e) => Write(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the server exited with {_process.ExitCode}:\n{Log}");
            }

            try
            {
                using var response = await probe.GetAsync($"{Url}/readyz");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the server did not become ready within {timeout}:\n{Log}");
    }

    /// <summary>SIGTERM and wait, as kubelet stops a static pod; returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (_process is null || _process.HasExited)
        {
            return _process?.ExitCode ?? 0;
        }

        await ProcessRunner.RunAsync("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(10));
        _process?.Dispose();
        _log?.Dispose();
    }

    private void Write(string? line)
    {
        if (line is not null)
        {
            lock (_logPath)
            {
                _log?.WriteLine(line);
            }
        }
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
