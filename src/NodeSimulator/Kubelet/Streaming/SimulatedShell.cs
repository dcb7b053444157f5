using System.Globalization;
using System.Text;
using k8s.Models;

namespace NodeSimulator.Kubelet.Streaming;

/// <summary>What ran: an exit code, or a reason the command could not start (the runtime's error).</summary>
public sealed record ExecResult(int ExitCode, string? StartError = null)
{
    public static readonly ExecResult Success = new(0);
}

/// <summary>Where a simulated process reads and writes: stdin (null when not attached) and two outputs.</summary>
public sealed class ProcessIo(InputReader? stdin, Func<string, Task> stdout, Func<string, Task> stderr, CancellationToken cancellationToken)
{
    public InputReader? Stdin { get; } = stdin;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public Task Out(string text) => text.Length == 0 ? Task.CompletedTask : stdout(text);

    public Task Err(string text) => text.Length == 0 ? Task.CompletedTask : stderr(text);

    /// <summary>The same process with its stdout captured (a pipeline's left side).</summary>
    public ProcessIo WithStdout(StringBuilder captured) => new(Stdin, s => { captured.Append(s); return Task.CompletedTask; }, stderr, CancellationToken);

    /// <summary>The same process reading <paramref name="text"/> as its stdin (a pipeline's right side).</summary>
    public ProcessIo WithStdin(string text) => new(InputReader.FromText(text), stdout, stderr, CancellationToken);
}

/// <summary>
/// What `kubectl exec` reaches in a simulated container: no process exists, so a small shell stands in
/// for one. It knows the commands people try first (echo, cat, env, printenv, hostname, pwd, ls, id,
/// whoami, uname, date, ps, sleep, true, false, exit, grep, wc, head) and runs scripts given to
/// <c>sh|bash|ash -c</c> (words, quotes, $VAR, <c>;</c>, <c>&amp;&amp;</c>, <c>||</c>, <c>|</c>); <c>sh</c> with
/// stdin is interactive (a prompt when there is a TTY). What a container would print is made from the
/// pod: its name as the hostname, the container's env and working directory. A program it does not
/// know fails to start as the runtime reports it ("executable file not found in $PATH"); inside a
/// script it is the shell's "not found", exit code 127.
/// </summary>
public sealed class SimulatedShell(V1Pod pod, V1Container container, Func<DateTime> now)
{
    private static readonly HashSet<string> Shells = ["sh", "bash", "ash", "dash", "zsh"];

    private delegate Task<int> Builtin(string[] args, ProcessIo io);

    private readonly Dictionary<string, string> _env = Environment(pod, container);

    public static bool IsShell(string program) => Shells.Contains(Path.GetFileName(program));

    /// <summary>Runs an exec's command (argv as given, no shell unless it names one).</summary>
    public async Task<ExecResult> ExecAsync(IReadOnlyList<string> command, ProcessIo io)
    {
        if (command.Count == 0)
        {
            return new ExecResult(126, "OCI runtime exec failed: exec failed: unable to start container process: exec: no command: unknown");
        }

        var program = Path.GetFileName(command[0]);
        if (Shells.Contains(program))
        {
            var args = command.Skip(1).ToArray();
            var c = Array.IndexOf(args, "-c");
            try
            {
                if (c >= 0)
                {
                    return new ExecResult(c + 1 < args.Length ? await RunScriptAsync(args[c + 1], io).ConfigureAwait(false) : 2);
                }

                return new ExecResult(await InteractiveAsync(program, io).ConfigureAwait(false));
            }
            catch (ShellExit exit)
            {
                return new ExecResult(exit.Code);
            }
        }

        if (Find(program) is not { } builtin)
        {
            return new ExecResult(126, $"OCI runtime exec failed: exec failed: unable to start container process: exec: \"{command[0]}\": executable file not found in $PATH: unknown");
        }

        try
        {
            return new ExecResult(await builtin([.. command.Skip(1)], io).ConfigureAwait(false));
        }
        catch (ShellExit exit)
        {
            return new ExecResult(exit.Code);
        }
    }

    /// <summary>An interactive shell on stdin: one line at a time until EOF or exit.</summary>
    public async Task<int> InteractiveAsync(string program, ProcessIo io)
    {
        if (io.Stdin is null)
        {
            return 0;
        }

        var last = 0;
        var prompt = program == "bash" ? $"root@{pod.Metadata.Name}:{WorkingDirectory}# " : $"{WorkingDirectory} # ";
        while (!io.CancellationToken.IsCancellationRequested)
        {
            if (io.Stdin.IsTerminal)
            {
                await io.Out(prompt).ConfigureAwait(false);
            }

            var line = await io.Stdin.ReadLineAsync(io.CancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                return last;
            }

            if (line == InputReader.Interrupt)
            {
                last = 130;
                continue;
            }

            try
            {
                last = await RunScriptAsync(line, io).ConfigureAwait(false);
            }
            catch (ShellExit exit)
            {
                return exit.Code;
            }
        }

        return last;
    }

    /// <summary>Runs a script: lists joined by ; &amp;&amp; || and newlines, pipelines, words with quotes and $VAR.</summary>
    public async Task<int> RunScriptAsync(string script, ProcessIo io)
    {
        var last = 0;
        try
        {
            // Each list element is expanded just before it runs, so $? sees the one before.
            foreach (var (text, op) in SplitLists(script))
            {
                if ((op == "&&" && last != 0) || (op == "||" && last == 0))
                {
                    continue;
                }

                foreach (var (pipeline, _) in Parse(text))
                {
                    last = await RunPipelineAsync(pipeline, io).ConfigureAwait(false);
                    _env["?"] = last.ToString(CultureInfo.InvariantCulture);
                }
            }
        }
        catch (ShellSyntaxError e)
        {
            await io.Err($"sh: syntax error: {e.Message}\n").ConfigureAwait(false);
            return 2;
        }

        return last;
    }

    private async Task<int> RunPipelineAsync(List<List<string>> pipeline, ProcessIo io)
    {
        string? input = null;
        var code = 0;
        for (var i = 0; i < pipeline.Count; i++)
        {
            var stage = input is null ? io : io.WithStdin(input);
            var captured = new StringBuilder();
            if (i < pipeline.Count - 1)
            {
                stage = stage.WithStdout(captured);
            }

            code = await RunCommandAsync(pipeline[i], stage).ConfigureAwait(false);
            input = captured.ToString();
        }

        return code;
    }

    private async Task<int> RunCommandAsync(List<string> words, ProcessIo io)
    {
        if (words.Count == 0)
        {
            return 0;
        }

        var program = Path.GetFileName(words[0]);
        if (Shells.Contains(program))
        {
            var c = words.IndexOf("-c");
            try
            {
                return c >= 0 && c + 1 < words.Count ? await RunScriptAsync(words[c + 1], io).ConfigureAwait(false) : 0;
            }
            catch (ShellExit exit)
            {
                // A subshell's exit ends the subshell only.
                return exit.Code;
            }
        }

        if (Find(program) is not { } builtin)
        {
            await io.Err($"sh: {words[0]}: not found\n").ConfigureAwait(false);
            return 127;
        }

        return await builtin([.. words.Skip(1)], io).ConfigureAwait(false);
    }

    private string WorkingDirectory => string.IsNullOrEmpty(container.WorkingDir) ? "/" : container.WorkingDir;

    private Builtin? Find(string program) => program switch
    {
        "echo" => Echo,
        "cat" => Cat,
        "env" or "printenv" => PrintEnv,
        "hostname" => (_, io) => Print(io, pod.Metadata.Name),
        "pwd" => (_, io) => Print(io, WorkingDirectory),
        "whoami" => (_, io) => Print(io, "root"),
        "id" => (_, io) => Print(io, "uid=0(root) gid=0(root) groups=0(root)"),
        "uname" => (args, io) => Print(io, args.Contains("-a") ? $"Linux {pod.Metadata.Name} 6.1.0-simulated #1 SMP x86_64 GNU/Linux" : "Linux"),
        "date" => (_, io) => Print(io, now().ToUniversalTime().ToString("ddd MMM d HH:mm:ss 'UTC' yyyy", CultureInfo.InvariantCulture)),
        "ls" => Ls,
        "ps" => Ps,
        "sleep" => Sleep,
        "true" or ":" => (_, _) => Task.FromResult(0),
        "false" => (_, _) => Task.FromResult(1),
        "exit" => (args, _) => throw new ShellExit(args.Length > 0 && int.TryParse(args[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var code) ? code & 0xff : 0),
        "grep" => Grep,
        "wc" => Wc,
        "head" => Head,
        _ => null,
    };

    private static async Task<int> Print(ProcessIo io, string line)
    {
        await io.Out(line + "\n").ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> Echo(string[] args, ProcessIo io)
    {
        var newline = !(args.Length > 0 && args[0] == "-n");
        await io.Out(string.Join(' ', newline ? args : args.Skip(1)) + (newline ? "\n" : "")).ConfigureAwait(false);
        return 0;
    }

    private async Task<int> Cat(string[] args, ProcessIo io)
    {
        if (args.Length == 0 || args is ["-"])
        {
            if (io.Stdin is null)
            {
                return 0;
            }

            // Copies what arrives as it arrives (line by line on a terminal, as its line discipline hands it over).
            while (await io.Stdin.ReadAsync(io.CancellationToken).ConfigureAwait(false) is { } chunk)
            {
                if (chunk == InputReader.Interrupt)
                {
                    return 130;
                }

                await io.Out(chunk).ConfigureAwait(false);
            }

            return 0;
        }

        var code = 0;
        foreach (var file in args)
        {
            if (File(file) is { } content)
            {
                await io.Out(content).ConfigureAwait(false);
            }
            else
            {
                await io.Err($"cat: can't open '{file}': No such file or directory\n").ConfigureAwait(false);
                code = 1;
            }
        }

        return code;
    }

    /// <summary>The few files a container is sure to have, made from the pod.</summary>
    private string? File(string path) => path switch
    {
        "/etc/hostname" => pod.Metadata.Name + "\n",
        "/etc/hosts" => $"127.0.0.1\tlocalhost\n{pod.Status?.PodIP ?? "127.0.0.1"}\t{pod.Metadata.Name}\n",
        "/etc/resolv.conf" => $"search {pod.Metadata.NamespaceProperty}.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n",
        "/etc/os-release" => "NAME=\"Simulated Linux\"\nID=simulated\n",
        "/proc/1/cmdline" => string.Join('\0', (container.Command ?? []).Concat(container.Args ?? [])) + "\0",
        _ => null,
    };

    private async Task<int> PrintEnv(string[] args, ProcessIo io)
    {
        var visible = _env.Where(e => e.Key != "?");
        if (args.Length > 0 && !args[0].StartsWith('-'))
        {
            var code = 0;
            foreach (var name in args)
            {
                if (_env.TryGetValue(name, out var value) && name != "?")
                {
                    await io.Out(value + "\n").ConfigureAwait(false);
                }
                else
                {
                    code = 1;
                }
            }

            return code;
        }

        await io.Out(string.Concat(visible.Select(e => $"{e.Key}={e.Value}\n"))).ConfigureAwait(false);
        return 0;
    }

    private static readonly string[] RootEntries = ["bin", "dev", "etc", "home", "lib", "proc", "root", "run", "sys", "tmp", "usr", "var"];

    private async Task<int> Ls(string[] args, ProcessIo io)
    {
        var path = args.FirstOrDefault(a => !a.StartsWith('-')) ?? WorkingDirectory;
        string[] entries = path switch
        {
            "/" => RootEntries,
            "/etc" => ["hostname", "hosts", "os-release", "resolv.conf"],
            "/tmp" or "/home" or "/root" => [],
            _ when path == WorkingDirectory => [],
            _ => null!,
        };
        if (entries is null)
        {
            await io.Err($"ls: {path}: No such file or directory\n").ConfigureAwait(false);
            return 1;
        }

        await io.Out(string.Concat(entries.Select(e => e + "\n"))).ConfigureAwait(false);
        return 0;
    }

    private async Task<int> Ps(string[] args, ProcessIo io)
    {
        var main = string.Join(' ', (container.Command ?? []).Concat(container.Args ?? []));
        await io.Out($"PID   USER     TIME  COMMAND\n    1 root      0:00 {(main.Length > 0 ? main : container.Image)}\n   {Random.Shared.Next(10, 99)} root      0:00 ps\n").ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> Sleep(string[] args, ProcessIo io)
    {
        if (args.Length == 0 || !double.TryParse(args[0].TrimEnd('s'), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds < 0)
        {
            await io.Err("sleep: invalid number\n").ConfigureAwait(false);
            return 1;
        }

        await Task.Delay(TimeSpan.FromSeconds(Math.Min(seconds, 24 * 3600)), io.CancellationToken).ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> Grep(string[] args, ProcessIo io)
    {
        var invert = args.Contains("-v");
        var ignoreCase = args.Contains("-i");
        var pattern = args.FirstOrDefault(a => !a.StartsWith('-'));
        if (pattern is null || io.Stdin is null)
        {
            return 2;
        }

        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var matched = false;
        while (await io.Stdin.ReadLineAsync(io.CancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Contains(pattern, comparison) != invert)
            {
                matched = true;
                await io.Out(line + "\n").ConfigureAwait(false);
            }
        }

        return matched ? 0 : 1;
    }

    private static async Task<int> Wc(string[] args, ProcessIo io)
    {
        var lines = 0;
        var words = 0;
        var bytes = 0;
        while (io.Stdin is not null && await io.Stdin.ReadLineAsync(io.CancellationToken).ConfigureAwait(false) is { } line)
        {
            lines++;
            words += line.Split(' ', '\t').Count(w => w.Length > 0);
            bytes += Encoding.UTF8.GetByteCount(line) + 1;
        }

        await io.Out(args.Contains("-l") ? $"{lines}\n" : $"{lines,7} {words,7} {bytes,7}\n").ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> Head(string[] args, ProcessIo io)
    {
        var n = 10;
        var at = Array.IndexOf(args, "-n");
        if (at >= 0 && at + 1 < args.Length)
        {
            int.TryParse(args[at + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out n);
        }

        for (var i = 0; i < n && io.Stdin is not null && await io.Stdin.ReadLineAsync(io.CancellationToken).ConfigureAwait(false) is { } line; i++)
        {
            await io.Out(line + "\n").ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>The container's environment as the kubelet would set it (literal values; references shown unresolved).</summary>
    private static Dictionary<string, string> Environment(V1Pod pod, V1Container container)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ["HOSTNAME"] = pod.Metadata.Name,
            ["HOME"] = "/root",
        };
        foreach (var e in container.Env ?? [])
        {
            env[e.Name] = e.Value ?? (e.ValueFrom?.FieldRef is { } field ? FieldValue(pod, field.FieldPath) : "");
        }

        return env;
    }

    private static string FieldValue(V1Pod pod, string path) => path switch
    {
        "metadata.name" => pod.Metadata.Name,
        "metadata.namespace" => pod.Metadata.NamespaceProperty,
        "metadata.uid" => pod.Metadata.Uid ?? "",
        "spec.nodeName" => pod.Spec?.NodeName ?? "",
        "spec.serviceAccountName" => pod.Spec?.ServiceAccountName ?? "",
        "status.podIP" => pod.Status?.PodIP ?? "",
        "status.hostIP" => pod.Status?.HostIP ?? "",
        _ => "",
    };

    /// <summary>Splits a script into pipelines (commands of words) with the operator before each.</summary>
    private List<(List<List<string>> Pipeline, string Op)> Parse(string script)
    {
        var result = new List<(List<List<string>>, string)>();
        var pipeline = new List<List<string>>();
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        var op = ";";

        void EndWord()
        {
            if (inWord)
            {
                words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
        }

        void EndCommand()
        {
            EndWord();
            if (words.Count > 0)
            {
                pipeline.Add(words);
            }

            words = [];
        }

        void EndPipeline(string next)
        {
            EndCommand();
            if (pipeline.Count > 0)
            {
                result.Add((pipeline, op));
            }
            else if (next is "&&" or "||")
            {
                throw new ShellSyntaxError($"unexpected \"{next}\"");
            }

            pipeline = [];
            op = next;
        }

        for (var i = 0; i < script.Length; i++)
        {
            var ch = script[i];
            switch (ch)
            {
                case '\'':
                    var close = script.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        throw new ShellSyntaxError("unterminated quoted string");
                    }

                    word.Append(script, i + 1, close - i - 1);
                    inWord = true;
                    i = close;
                    break;
                case '"':
                    inWord = true;
                    for (i++; ; i++)
                    {
                        if (i >= script.Length)
                        {
                            throw new ShellSyntaxError("unterminated quoted string");
                        }

                        if (script[i] == '"')
                        {
                            break;
                        }

                        if (script[i] == '\\' && i + 1 < script.Length && script[i + 1] is '"' or '\\' or '$')
                        {
                            word.Append(script[++i]);
                        }
                        else if (script[i] == '$')
                        {
                            i = Expand(script, i, word) - 1;
                        }
                        else
                        {
                            word.Append(script[i]);
                        }
                    }

                    break;
                case '\\' when i + 1 < script.Length:
                    word.Append(script[++i]);
                    inWord = true;
                    break;
                case '$':
                    i = Expand(script, i, word) - 1;
                    inWord = true;
                    break;
                case ' ' or '\t':
                    EndWord();
                    break;
                case '#' when !inWord:
                    var end = script.IndexOf('\n', i);
                    i = end < 0 ? script.Length : end - 1;
                    break;
                case ';' or '\n' or '\r':
                    EndPipeline(";");
                    break;
                case '&' when i + 1 < script.Length && script[i + 1] == '&':
                    EndPipeline("&&");
                    i++;
                    break;
                case '|' when i + 1 < script.Length && script[i + 1] == '|':
                    EndPipeline("||");
                    i++;
                    break;
                case '|':
                    EndCommand();
                    break;
                default:
                    word.Append(ch);
                    inWord = true;
                    break;
            }
        }

        EndPipeline(";");
        return result;
    }

    /// <summary>Cuts a script at ; newlines &amp;&amp; and || outside quotes, with the operator before each piece.</summary>
    private static List<(string Text, string Op)> SplitLists(string script)
    {
        var pieces = new List<(string, string)>();
        var op = ";";
        var start = 0;
        char? quote = null;
        for (var i = 0; i < script.Length; i++)
        {
            var c = script[i];
            if (quote is { } q)
            {
                if (c == '\\' && q == '"')
                {
                    i++;
                }
                else if (c == q)
                {
                    quote = null;
                }

                continue;
            }

            string? next = c switch
            {
                '\'' or '"' => null,
                '\\' => null,
                ';' or '\n' or '\r' => ";",
                '&' when i + 1 < script.Length && script[i + 1] == '&' => "&&",
                '|' when i + 1 < script.Length && script[i + 1] == '|' => "||",
                _ => null,
            };
            if (c is '\'' or '"')
            {
                quote = c;
                continue;
            }

            if (c == '\\')
            {
                i++;
                continue;
            }

            if (c == '#' && (i == 0 || char.IsWhiteSpace(script[i - 1])))
            {
                while (i + 1 < script.Length && script[i + 1] != '\n')
                {
                    i++;
                }

                continue;
            }

            if (next is null)
            {
                continue;
            }

            var text = script[start..i];
            if (text.Trim().Length == 0 && next is "&&" or "||")
            {
                throw new ShellSyntaxError($"unexpected \"{next}\"");
            }

            pieces.Add((text, op));
            op = next;
            i += next.Length - 1;
            start = i + 1;
        }

        if (quote is not null)
        {
            throw new ShellSyntaxError("unterminated quoted string");
        }

        pieces.Add((script[start..], op));
        return pieces;
    }

    /// <summary>Appends the value of $NAME, ${NAME} or $? at <paramref name="at"/>; returns the index after it.</summary>
    private int Expand(string script, int at, StringBuilder word)
    {
        var i = at + 1;
        if (i < script.Length && script[i] == '?')
        {
            word.Append(_env.GetValueOrDefault("?", "0"));
            return i + 1;
        }

        var braced = i < script.Length && script[i] == '{';
        var start = braced ? i + 1 : i;
        var end = start;
        while (end < script.Length && (char.IsAsciiLetterOrDigit(script[end]) || script[end] == '_'))
        {
            end++;
        }

        if (end == start)
        {
            word.Append('$');
            return at + 1;
        }

        word.Append(_env.GetValueOrDefault(script[start..end], ""));
        return braced && end < script.Length && script[end] == '}' ? end + 1 : end;
    }

    private sealed class ShellExit(int code) : Exception
    {
        public int Code { get; } = code;
    }

    private sealed class ShellSyntaxError(string message) : Exception(message);
}
