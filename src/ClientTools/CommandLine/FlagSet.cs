using System.Globalization;
using System.Text;

namespace ClientTools.CommandLine;

/// <summary>A command-line mistake: an unknown flag, a missing or malformed value.</summary>
public sealed class FlagException(string message) : Exception(message);

/// <summary>One defined flag; <see cref="Value"/> holds the default until the command line sets it.</summary>
public abstract class Flag
{
    protected Flag(string name, string usage)
    {
        Name = name;
        Usage = usage;
    }

    public string Name { get; }

    public string Usage { get; }

    /// <summary>True once the command line set it.</summary>
    public bool Changed { get; internal set; }

    internal abstract bool IsBool { get; }

    internal abstract string DefaultText { get; }

    internal abstract string TypeName { get; }

    internal abstract void Set(string text);
}

public sealed class Flag<T> : Flag
{
    private readonly Func<string, T> _parse;
    private readonly Func<T, string> _format;

    internal Flag(string name, T defaultValue, string usage, Func<string, T> parse, Func<T, string> format, string typeName)
        : base(name, usage)
    {
        Value = defaultValue;
        DefaultText = format(defaultValue);
        _parse = parse;
        _format = format;
        TypeName = typeName;
    }

    public T Value { get; set; }

    internal override bool IsBool => typeof(T) == typeof(bool);

    internal override string DefaultText { get; }

    internal override string TypeName { get; }

    internal override void Set(string text)
    {
        try
        {
            Value = _parse(text);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new FlagException($"invalid argument \"{text}\" for \"--{Name}\" flag: {e.Message}");
        }
    }

    public override string ToString() => _format(Value);
}

/// <summary>
/// The flag syntax kube's components take (spf13/pflag as cobra uses it): <c>--name=value</c>,
/// <c>--name value</c>, booleans as <c>--name</c> or <c>--name=false</c>, a single dash accepted too
/// (<c>-v=2</c>), <c>--</c> ending the flags. Each component defines the upstream names it acts on,
/// and may accept further upstream names it does not act on (a kubeadm manifest passes them), which
/// are reported with a warning rather than refused. Anything else is an error, as with cobra.
/// </summary>
public sealed class FlagSet(string program)
{
    private readonly Dictionary<string, Flag> _flags = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _accepted = new(StringComparer.Ordinal);
    private readonly List<string> _ignoredSeen = [];

    public string Program { get; } = program;

    /// <summary>Upstream flags that were given but that this program does not act on.</summary>
    public IReadOnlyList<string> IgnoredFlagsSeen => _ignoredSeen;

    public Flag<string> String(string name, string defaultValue, string usage) =>
        Add(new Flag<string>(name, defaultValue, usage, s => s, s => s, "string"));

    public Flag<bool> Bool(string name, bool defaultValue, string usage) =>
        Add(new Flag<bool>(name, defaultValue, usage, ParseBool, b => b ? "true" : "false", ""));

    public Flag<int> Int(string name, int defaultValue, string usage) =>
        Add(new Flag<int>(name, defaultValue, usage, s => int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture), i => i.ToString(CultureInfo.InvariantCulture), "int"));

    public Flag<double> Float(string name, double defaultValue, string usage) =>
        Add(new Flag<double>(name, defaultValue, usage, s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture), d => d.ToString(CultureInfo.InvariantCulture), "float32"));

    public Flag<TimeSpan> Duration(string name, TimeSpan defaultValue, string usage) =>
        Add(new Flag<TimeSpan>(name, defaultValue, usage, GoDuration.Parse, GoDuration.Format, "duration"));

    /// <summary>A comma-separated list; repeating the flag appends (pflag's StringSlice).</summary>
    public Flag<IReadOnlyList<string>> StringList(string name, IReadOnlyList<string> defaultValue, string usage)
    {
        Flag<IReadOnlyList<string>>? flag = null;
        flag = Add(new Flag<IReadOnlyList<string>>(name, defaultValue, usage,
            s =>
            {
                var items = s.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                return flag!.Changed ? [.. flag.Value, .. items] : items;
            },
            list => string.Join(',', list),
            "strings"));
        return flag;
    }

    /// <summary>Upstream flags taken and ignored (with a warning), so a manifest written for the real component starts this one.</summary>
    public void Accept(string reason, params string[] names)
    {
        foreach (var name in names)
        {
            _accepted[name] = reason;
        }
    }

    /// <summary>Parses <paramref name="args"/>; returns the positional arguments.</summary>
    public IReadOnlyList<string> Parse(IReadOnlyList<string> args)
    {
        var positional = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                positional.AddRange(args.Skip(i + 1));
                break;
            }

            if (arg.Length < 2 || arg[0] != '-')
            {
                positional.Add(arg);
                continue;
            }

            var body = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..] : arg[1..];
            string name;
            string? value = null;
            var eq = body.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                name = body[..eq];
                value = body[(eq + 1)..];
            }
            else
            {
                name = body;
            }

            if (name is "h" or "help")
            {
                throw new FlagException("help requested");
            }

            if (!_flags.TryGetValue(name, out var flag))
            {
                if (_accepted.ContainsKey(name))
                {
                    _ignoredSeen.Add(name);
                    // A value-taking flag written "--flag value" consumes the next argument.
                    if (value is null && i + 1 < args.Count && !args[i + 1].StartsWith('-'))
                    {
                        i++;
                    }

                    continue;
                }

                throw new FlagException($"unknown flag: --{name}");
            }

            if (value is null)
            {
                if (flag.IsBool)
                {
                    value = "true";
                }
                else if (i + 1 < args.Count)
                {
                    value = args[++i];
                }
                else
                {
                    throw new FlagException($"flag needs an argument: --{name}");
                }
            }

            flag.Set(value);
            flag.Changed = true;
        }

        return positional;
    }

    /// <summary>Parses, or prints the error and the usage and exits as cobra does (code 1; 0 for --help).</summary>
    public IReadOnlyList<string> ParseOrExit(IReadOnlyList<string> args)
    {
        try
        {
            var rest = Parse(args);
            foreach (var name in _ignoredSeen.Distinct())
            {
                Logging.Klog.Warning($"flag --{name} is accepted for compatibility and has no effect here ({_accepted[name]})");
            }

            return rest;
        }
        catch (FlagException e) when (e.Message == "help requested")
        {
            Console.Out.Write(Usage());
            Environment.Exit(0);
            throw;
        }
        catch (FlagException e)
        {
            Console.Error.WriteLine($"Error: {e.Message}");
            Console.Error.Write(Usage());
            Environment.Exit(1);
            throw;
        }
    }

    public string Usage()
    {
        var sb = new StringBuilder();
        sb.Append("Usage:\n  ").Append(Program).Append(" [flags]\n\nFlags:\n");
        foreach (var flag in _flags.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            var left = $"      --{flag.Name}" + (flag.TypeName.Length > 0 ? " " + flag.TypeName : "");
            sb.Append(left.PadRight(44)).Append(flag.Usage);
            if (flag.DefaultText.Length > 0 && flag.DefaultText != "false")
            {
                sb.Append(" (default ").Append(flag.TypeName == "string" ? $"\"{flag.DefaultText}\"" : flag.DefaultText).Append(')');
            }

            sb.Append('\n');
        }

        if (_accepted.Count > 0)
        {
            sb.Append("\nAccepted for compatibility, without effect: ")
                .Append(string.Join(", ", _accepted.Keys.Order(StringComparer.Ordinal).Select(n => "--" + n))).Append('\n');
        }

        return sb.ToString();
    }

    private Flag<T> Add<T>(Flag<T> flag)
    {
        if (!_flags.TryAdd(flag.Name, flag))
        {
            throw new InvalidOperationException($"flag redefined: {flag.Name}");
        }

        return flag;
    }

    private static bool ParseBool(string text) => text switch
    {
        "1" or "t" or "T" or "true" or "TRUE" or "True" => true,
        "0" or "f" or "F" or "false" or "FALSE" or "False" => false,
        _ => throw new FormatException($"strconv.ParseBool: parsing \"{text}\": invalid syntax"),
    };
}
