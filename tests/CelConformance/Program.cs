using System.Diagnostics;
using CelConformance;

// Runs cel-spec's simple conformance tests (tests/simple/testdata/*.textproto of github.com/google/cel-spec) through
// a CEL engine and prints the pass rate per file. The spec files are read from where they are, not copied here.
//   dotnet run --project tests/CelConformance -- --spec <cel-spec>/tests/simple/testdata [--engine ours|package]
//     [--files basic,lists,...] [--failures /tmp/cel-failures.txt]
// The "package" engine (the NuGet package Cel) is compiled in only with -p:WithCelPackage=true.
string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

var specDir = Arg("--spec", Environment.GetEnvironmentVariable("CEL_SPEC_TESTDATA") ?? "");
if (specDir.Length == 0 || !Directory.Exists(specDir))
{
    Console.Error.WriteLine("give --spec <cel-spec>/tests/simple/testdata (or CEL_SPEC_TESTDATA)");
    return 2;
}
var files = Arg("--files", "basic,comparisons,conversions,fp_math,integer_math,lists,logic,macros,parse,string,timestamps,fields").Split(',');
var engineName = Arg("--engine", "ours");
IEngine engine = engineName switch
{
    "ours" => new OurEngine(),
#if WITH_CEL_PACKAGE
    "package" => new PackageEngine(),
#endif
    _ => throw new ArgumentException($"unknown engine {engineName}"),
};
var failuresPath = Arg("--failures", "");
var failures = new List<string>();

Console.WriteLine($"engine: {engine.Name}");
Console.WriteLine($"{"file",-14} {"passed",7} {"total",6} {"in scope",9} {"passed in scope",16}");
int allPassed = 0, allTotal = 0, scopePassed = 0, scopeTotal = 0;
foreach (var file in files)
{
    var tests = SpecLoader.Load(Path.Combine(specDir, file + ".textproto")).ToList();
    int passed = 0, inScope = 0, passedInScope = 0;
    foreach (var test in tests)
    {
        var (ok, detail) = Run(engine, test);
        if (ok)
        {
            passed++;
        }
        else
        {
            failures.Add($"{test.Id}: {test.Expr}\n    {detail}");
        }
        if (!test.NeedsProtoMessages)
        {
            inScope++;
            if (ok)
            {
                passedInScope++;
            }
        }
    }
    Console.WriteLine($"{file,-14} {passed,7} {tests.Count,6} {inScope,9} {passedInScope,16}");
    allPassed += passed;
    allTotal += tests.Count;
    scopePassed += passedInScope;
    scopeTotal += inScope;
}
Console.WriteLine($"{"all",-14} {allPassed,7} {allTotal,6} {scopeTotal,9} {scopePassed,16}");
Console.WriteLine($"pass rate: {100.0 * allPassed / allTotal:F1}% of all, {100.0 * scopePassed / scopeTotal:F1}% of the tests without protobuf messages");
if (failuresPath.Length > 0)
{
    File.WriteAllLines(failuresPath, failures);
}
return 0;

static (bool Ok, string Detail) Run(IEngine engine, SpecTest test)
{
    object? result;
    try
    {
        var task = Task.Run(() => engine.Evaluate(test));
        if (!task.Wait(TimeSpan.FromSeconds(5)))
        {
            return (false, "timed out");
        }
        result = task.Result;
    }
    catch (Exception e)
    {
        var inner = e is AggregateException { InnerException: { } i } ? i : e;
        if (test.ExpectsError)
        {
            return (true, "");
        }
        return (false, $"error {inner.GetType().Name}: {inner.Message.Split('\n')[0]}; want {Neutral.Show(test.Expected)}");
    }
    if (test.ExpectsError)
    {
        return (false, $"got {Neutral.Show(result)}; want an error ({test.ExpectedError})");
    }
    return Neutral.ValueEquals(result, test.Expected) ? (true, "") : (false, $"got {Neutral.Show(result)}; want {Neutral.Show(test.Expected)}");
}
