using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using ApiServer.Registry;
using Microsoft.AspNetCore.Http;

namespace ApiServer.Endpoints;

/// <summary>/version: the Kubernetes API version we implement, in version.Info's shape.</summary>
internal sealed class VersionInfo
{
    public const string Major = "1";
    public const string Minor = "35";
    public const string GitVersion = "v1.35.0";

    // kube-apiserver writes /version with json.MarshalIndent (responsewriters.WriteRawJSON): indented, no trailing newline.
    private readonly byte[] _body = MediaTypes.Indent(ObjectCodec.Serialize(new JsonObject
    {
        ["major"] = Major,
        ["minor"] = Minor,
        ["emulationMajor"] = Major,
        ["emulationMinor"] = Minor,
        ["minCompatibilityMajor"] = Major,
        ["minCompatibilityMinor"] = "34",
        ["gitVersion"] = GitVersion,
        ["gitCommit"] = ThisAssembly(),
        ["gitTreeState"] = "clean",
        ["buildDate"] = "1970-01-01T00:00:00Z",
        ["goVersion"] = RuntimeInformation.FrameworkDescription,
        ["compiler"] = "dotnet",
        ["platform"] = $"linux/{RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant() switch { "x64" => "amd64", var a => a }}",
    }));

    public async Task<bool> TryHandleAsync(HttpContext context, string path)
    {
        if (path.TrimEnd('/') != "/version")
        {
            return false;
        }

        context.Response.ContentType = "application/json";
        context.Response.ContentLength = _body.Length;
        await context.Response.Body.WriteAsync(_body, context.RequestAborted).ConfigureAwait(false);
        return true;
    }

    private static string ThisAssembly() =>
        typeof(VersionInfo).Assembly.GetName().Version?.ToString() ?? "unknown";
}
