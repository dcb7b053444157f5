using System.Globalization;
using System.Runtime.CompilerServices;

namespace ClientTools.Logging;

/// <summary>
/// klog's text format on standard error, as kube's components log:
/// <c>I1203 17:42:00.123456   12345 file.cs:42] message</c>, with verbosity levels (<c>--v</c>).
/// Level 0 is always written; <see cref="V"/> gates the chattier ones (kube's convention: 2 for
/// useful steady-state information, 4 for debug, 5+ for trace).
/// </summary>
public static class Klog
{
    private static readonly Lock WriteLock = new();
    private static readonly int Pid = Environment.ProcessId;
    private static TextWriter _output = Console.Error;

    /// <summary>The --v level.</summary>
    public static int Verbosity { get; set; }

    /// <summary>Where lines go (standard error unless a test redirects them).</summary>
    public static TextWriter Output
    {
        get => _output;
        set => _output = value;
    }

    public static bool V(int level) => level <= Verbosity;

    public static void Info(string message, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Write('I', message, file, line);

    public static void Info(int level, string message, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (V(level))
        {
            Write('I', message, file, line);
        }
    }

    public static void Warning(string message, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Write('W', message, file, line);

    public static void Error(string message, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => Write('E', message, file, line);

    private static void Write(char severity, string message, string file, int line)
    {
        var now = DateTime.Now;
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{severity}{now:MMdd HH:mm:ss.ffffff} {Pid,7} {Path.GetFileName(file)}:{line}] {message}");
        lock (WriteLock)
        {
            _output.WriteLine(text);
            _output.Flush();
        }
    }
}
