namespace Conformance.Infrastructure;

/// <summary>Where the repository and the built server are, found from the test assembly's location.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The server built in the same configuration as the tests (Debug or Release).</summary>
    public static string ServerDll
    {
        get
        {
            var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
            var path = Path.Combine(Root, "src", "ApiServer", "bin", configuration, "net10.0", "ApiServer.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"the server is not built at {path}");
        }
    }

    /// <summary>A component program (Scheduler, NodeSimulator) built in the tests' configuration.</summary>
    public static string ComponentDll(string project)
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var path = Path.Combine(Root, "src", project, "bin", configuration, "net10.0", project + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{project} is not built at {path}");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ApiServer.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("ApiServer.sln not found above " + AppContext.BaseDirectory);
    }
}
