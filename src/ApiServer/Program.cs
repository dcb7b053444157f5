using ApiServer;
using ApiServer.Hosting;
using ApiServer.Options;

if (args.Any(a => a is "-h" or "--help" or "-help"))
{
    Console.Out.Write(CommandLine.Usage);
    return 0;
}

if (args.Any(a => a is "--version" or "--version=true" or "--version=raw"))
{
    // kube-apiserver --version prints the Kubernetes version it serves.
    Console.Out.WriteLine($"Kubernetes {ApiServer.Endpoints.VersionInfo.GitVersion}");
    return 0;
}

ApiServerOptions options;
try
{
    options = CommandLine.Parse(args);
}
catch (CommandLineException e)
{
    Console.Error.WriteLine($"Error: {e.Message}");
    return 2;
}

options.WatchCache.ApplyEnvironment(Environment.GetEnvironmentVariable);
var problems = options.Validate();
if (problems.Count > 0)
{
    foreach (var problem in problems)
    {
        Console.Error.WriteLine($"Error: {problem}");
    }

    return 2;
}

var app = ApiServerHost.Build(options);
StartupLog.Report(app, options);
await app.RunAsync().ConfigureAwait(false);
return 0;
