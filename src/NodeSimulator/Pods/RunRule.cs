using System.Globalization;
using System.Text.RegularExpressions;
using ClientTools.CommandLine;
using k8s.Models;

namespace NodeSimulator.Pods;

/// <summary>
/// When a simulated container exits, and with what code. Nothing runs, so this is decided from the
/// pod, in this order:
/// <list type="number">
/// <item>the container's environment: <c>SIMULATOR_RUN_TIME</c> (a duration such as <c>30s</c>, or
/// <c>infinity</c>) and <c>SIMULATOR_EXIT_CODE</c> (default 0);</item>
/// <item>the pod's annotations <c>node-simulator/run-time</c> and <c>node-simulator/exit-code</c>, for
/// every container;</item>
/// <item>the container's command and args: each <c>sleep N</c> (seconds, or with an s/m/h/d suffix;
/// <c>sleep infinity</c> never ends) adds to the run time and the last <c>exit N</c> is the exit code,
/// so <c>sh -c "sleep 5; exit 1"</c> fails after five seconds;</item>
/// <item>otherwise a pod whose restartPolicy is Never or OnFailure (a Job's pod, <c>kubectl run
/// --restart=Never</c>) is meant to finish: its containers exit 0 after <c>--default-run-time</c>;</item>
/// <item>and a container of a restartPolicy Always pod runs until the pod is deleted.</item>
/// </list>
/// </summary>
public readonly partial record struct RunRule(TimeSpan? RunTime, int ExitCode)
{
    public const string RunTimeEnv = "SIMULATOR_RUN_TIME";
    public const string ExitCodeEnv = "SIMULATOR_EXIT_CODE";
    public const string RunTimeAnnotation = "node-simulator/run-time";
    public const string ExitCodeAnnotation = "node-simulator/exit-code";

    public static readonly RunRule Forever = new(null, 0);

    public bool Exits => RunTime is not null;

    public static RunRule For(V1Pod pod, V1Container container, TimeSpan defaultRunTime)
    {
        var env = container.Env ?? [];
        string? Env(string name) => env.FirstOrDefault(e => e.Name == name)?.Value;
        string? Annotation(string name) => pod.Metadata?.Annotations is { } a && a.TryGetValue(name, out var v) ? v : null;

        var runTime = Env(RunTimeEnv) ?? Annotation(RunTimeAnnotation);
        var exitCode = Env(ExitCodeEnv) ?? Annotation(ExitCodeAnnotation);
        if (runTime is not null || exitCode is not null)
        {
            var code = ParseCode(exitCode);
            return runTime switch
            {
                null => new RunRule(TimeSpan.Zero, code),
                "infinity" => Forever,
                _ => new RunRule(GoDuration.TryParse(runTime, out var d) ? d : defaultRunTime, code),
            };
        }

        var words = string.Join(' ', (container.Command ?? []).Concat(container.Args ?? []));
        var fromCommand = FromCommand(words);
        if (fromCommand is { } rule)
        {
            return rule;
        }

        return pod.Spec?.RestartPolicy is "Never" or "OnFailure" ? new RunRule(defaultRunTime, 0) : Forever;
    }

    /// <summary>The run rule a shell command line states (sleep and exit), if it states one.</summary>
    public static RunRule? FromCommand(string commandLine)
    {
        TimeSpan? total = null;
        foreach (Match sleep in SleepPattern().Matches(commandLine))
        {
            var arg = sleep.Groups[1].Value;
            if (arg == "infinity")
            {
                return Forever;
            }

            total = (total ?? TimeSpan.Zero) + ParseSleep(arg);
        }

        var exits = ExitPattern().Matches(commandLine);
        int? code = exits.Count > 0 ? ParseCode(exits[^1].Groups[1].Value) : null;
        if (total is null && code is null)
        {
            return null;
        }

        return new RunRule(total ?? TimeSpan.Zero, code ?? 0);
    }

    private static TimeSpan ParseSleep(string arg)
    {
        var unit = arg[^1];
        var number = char.IsAsciiDigit(unit) ? arg : arg[..^1];
        var value = double.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture);
        return unit switch
        {
            'm' => TimeSpan.FromMinutes(value),
            'h' => TimeSpan.FromHours(value),
            'd' => TimeSpan.FromDays(value),
            _ => TimeSpan.FromSeconds(value),
        };
    }

    private static int ParseCode(string? text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var code) ? code & 0xFF : 0;

    [GeneratedRegex(@"(?:^|[\s;&|(])sleep\s+(infinity|\d+(?:\.\d+)?[smhd]?)(?=$|[\s;&|)])")]
    private static partial Regex SleepPattern();

    [GeneratedRegex(@"(?:^|[\s;&|(])exit\s+(\d+)(?=$|[\s;&|)])")]
    private static partial Regex ExitPattern();
}
