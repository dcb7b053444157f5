using System.Text;

namespace ApiExtensions.Cel;

/// <summary>A declared variable and the slot its value takes at evaluation.</summary>
public sealed record CelVariable(string Name, CelType Type, int Slot);

/// <summary>
/// The declarations expressions are checked against: variables, and the functions of CEL's standard library and
/// of the libraries Kubernetes adds (strings, lists, sets, regex, URLs, quantities, IPs and CIDRs, formats,
/// optionals). Immutable; compile as many expressions as needed from one environment.
/// </summary>
public sealed class CelEnvironment
{
    private static readonly Lazy<FunctionRegistry> KubernetesFunctions = new(() =>
    {
        var r = new FunctionRegistry();
        StandardLibrary.Register(r);
        KubernetesLibraries.Register(r);
        return r;
    });

    private CelEnvironment(IReadOnlyDictionary<string, CelVariable> variables, bool homogeneousLiterals = true)
    {
        HomogeneousLiterals = homogeneousLiterals;
        Variables = variables;
        Functions = KubernetesFunctions.Value;
    }

    public IReadOnlyDictionary<string, CelVariable> Variables { get; }

    /// <summary>List and map literals must have one element type (Kubernetes' environments require it).</summary>
    public bool HomogeneousLiterals { get; }

    /// <summary>This environment with literals allowed to mix types (cel-go's default).</summary>
    public CelEnvironment WithHeterogeneousLiterals() => new(Variables, homogeneousLiterals: false);

    internal FunctionRegistry Functions { get; }

    /// <summary>An environment with these variables (each gets a slot in declaration order).</summary>
    public static CelEnvironment Create(params (string Name, CelType Type)[] variables)
    {
        var dict = new Dictionary<string, CelVariable>(StringComparer.Ordinal);
        for (var i = 0; i < variables.Length; i++)
        {
            dict[variables[i].Name] = new CelVariable(variables[i].Name, variables[i].Type, i);
        }
        return new CelEnvironment(dict);
    }

    /// <summary>Parses and checks an expression; the result holds a program or cel-go-style issues.</summary>
    public CelCompileResult Compile(string expression) => Compile(expression, check: true);

    /// <summary>As <see cref="Compile(string)"/>; without <paramref name="check"/> types are not checked and calls
    /// dispatch at run time (cel-go's unchecked evaluation, used by the conformance harness).</summary>
    public CelCompileResult Compile(string expression, bool check)
    {
        var ast = Parser.Parse(expression, out var parseIssues);
        if (ast is null)
        {
            return CelCompileResult.Failed(FormatIssues(expression, parseIssues));
        }
        var checker = new Checker(this, dynamicOnly: !check);
        var type = checker.Check(ast);
        if (checker.Issues.Count > 0)
        {
            return CelCompileResult.Failed(FormatIssues(expression, checker.Issues));
        }
        var interpreter = new Interpreter(this);
        var eval = interpreter.Compile(ast);
        var used = Variables.Keys.Where(checker.UsesVariable).ToHashSet(StringComparer.Ordinal);
        return new CelCompileResult(new CelProgram(eval, interpreter.SlotCount, Variables.Count), null, type, ast, used);
    }

    /// <summary>Issues as cel-go prints them: <c>ERROR: &lt;input&gt;:1:6: message</c> with the line and a caret.</summary>
    internal static string FormatIssues(string source, IEnumerable<CelIssue> issues)
    {
        var sb = new StringBuilder();
        var lines = source.Split('\n');
        foreach (var issue in issues.OrderBy(i => i.Offset))
        {
            var (line, column) = Locate(source, issue.Offset);
            if (sb.Length > 0)
            {
                sb.Append('\n');
            }
            sb.Append("ERROR: <input>:").Append(line).Append(':').Append(column + 1).Append(": ").Append(issue.Message);
            var text = line - 1 < lines.Length ? lines[line - 1].TrimEnd('\r') : "";
            sb.Append("\n | ").Append(text).Append("\n | ").Append(new string('.', column)).Append('^');
        }
        return sb.ToString();
    }

    private static (int Line, int Column) Locate(string source, int offset)
    {
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < offset && i < source.Length; i++)
        {
            if (source[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }
        return (line, Math.Max(0, Math.Min(offset, source.Length) - lineStart));
    }
}

/// <summary>A compiled expression, or why it did not compile.</summary>
public sealed class CelCompileResult
{
    private readonly HashSet<string>? _usedVariables;

    internal CelCompileResult(CelProgram? program, string? error, CelType? outputType, Expr? ast, HashSet<string>? usedVariables)
    {
        Program = program;
        Error = error;
        OutputType = outputType;
        Ast = ast;
        _usedVariables = usedVariables;
    }

    public CelProgram? Program { get; }

    /// <summary>The issues, formatted as cel-go formats them.</summary>
    public string? Error { get; }

    public CelType? OutputType { get; }

    public Expr? Ast { get; }

    public bool UsesVariable(string name) => _usedVariables?.Contains(name) ?? false;

    internal static CelCompileResult Failed(string error) => new(null, error, null, null, null);
}

/// <summary>The result of one evaluation: a value (a <see cref="CelError"/> when evaluation failed) and its cost.</summary>
public readonly record struct CelEvalResult(object Value, long Cost);

/// <summary>A compiled expression, safe to evaluate concurrently.</summary>
public sealed class CelProgram
{
    private readonly Eval _eval;
    private readonly int _slotCount;
    private readonly int _variableCount;

    internal CelProgram(Eval eval, int slotCount, int variableCount)
    {
        _eval = eval;
        _slotCount = slotCount;
        _variableCount = variableCount;
    }

    /// <summary>Evaluates with the variables' values in declaration order (null for an absent variable).
    /// Throws <see cref="CelCostLimitException"/> when the cost passes <paramref name="costLimit"/>.</summary>
    public CelEvalResult Evaluate(ReadOnlySpan<object?> variables, long costLimit = long.MaxValue)
    {
        var slots = new object?[_slotCount];
        for (var i = 0; i < variables.Length && i < _variableCount; i++)
        {
            slots[i] = variables[i];
        }
        var ctx = new EvalContext(slots, costLimit);
        var value = _eval(ctx);
        return new CelEvalResult(value, ctx.Cost);
    }
}
