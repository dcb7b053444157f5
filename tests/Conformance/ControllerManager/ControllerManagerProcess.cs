using System.Diagnostics;
using Conformance.Infrastructure;

namespace Conformance.ControllerManager;

/// <summary>The controller manager (src/ControllerManager, built with the tests) as a separate process, its output in a log file.</summary>
public sealed class ControllerManagerProcess : IAsyncDisposable
{
    private readonly string _logPath;
    private readonly Lock _lock = new();
    private Process? _process;
    private StreamWriter? _log;

    public ControllerManagerProcess(string logDirectory, IReadOnlyList<string> args)
    {
        Directory.CreateDirectory(logDirectory);
        _logPath = Path.Combine(logDirectory, "controller-manager.log");
        Args = args;
    }

    public IReadOnlyList<string> Args { get; }

    public bool HasExited => _process?.HasExited ?? true;

    public string Log
    {
        get
        {
            using var stream = new FileStream(_logPath, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
    }

    public static string Dll
    {
        get
        {
            var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
            var path = Path.Combine(RepoPaths.Root, "src", "ControllerManager", "bin", configuration, "net10.0", "ControllerManager.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"the controller manager is not built at {path}");
        }
    }

    public void Start()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Dll);
        foreach (var arg in Args)
        {
            start.ArgumentList.Add(arg);
        }

        lock (_lock)
        {
            _log ??= new StreamWriter(new FileStream(_logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start the controller manager");
        _process.OutputDataReceived += (_, e) => Write(e.Data);
        _process.ErrorDataReceived += (_, e) => Write(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Kills the process (as a crash would) and waits for it to end.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        lock (_lock)
        {
            _log?.Dispose();
            _log = null;
        }
    }

    private void Write(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lock)
        {
            _log?.WriteLine(line);
        }
    }
}
