using System.Diagnostics;
using Conformance.Infrastructure;

namespace Conformance.Components;

/// <summary>A component program (the scheduler, the node simulator) as a separate process, its output in a log file.</summary>
public sealed class ComponentProcess : IAsyncDisposable
{
    private readonly string _logPath;
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _lock = new();

    /// <param name="logName">The log file's name without ".log" (the project's name unless two instances run).</param>
    public ComponentProcess(string project, string logDirectory, IEnumerable<string> args, string? logName = null)
    {
        Directory.CreateDirectory(logDirectory);
        _logPath = Path.Combine(logDirectory, (logName ?? project) + ".log");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(RepoPaths.ComponentDll(project));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        _log = new StreamWriter(new FileStream(_logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {project}");
        _process.OutputDataReceived += (_, e) => Write(e.Data);
        _process.ErrorDataReceived += (_, e) => Write(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    public string Log
    {
        get
        {
            using var stream = new FileStream(_logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
    }

    /// <summary>Stops the program as an init system would (SIGTERM) and waits for it to exit, so it can shut down cleanly.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        lock (_lock)
        {
            _log.Dispose();
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
            _log.WriteLine(line);
        }
    }
}
