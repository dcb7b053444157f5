using ApiServer;
using ApiServer.Hosting;
using ApiServer.Options;

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
