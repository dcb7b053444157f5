using ApiServer.Options;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ApiServer;

/// <summary>What the operator should know at start: where we listen and which flags are not acted on yet.</summary>
internal static partial class StartupLog
{
    public static void Report(WebApplication app, ApiServerOptions options)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ApiServer");
        foreach (var flag in options.IgnoredFlags.Distinct())
        {
            LogIgnoredFlag(logger, flag);
        }

        // Plugins kube-apiserver would run that this server has no implementation of yet.
        var chain = app.Services.GetRequiredService<global::Admission.AdmissionChain>();
        var running = chain.MutatingPluginNames.Concat(chain.ValidatingPluginNames).ToHashSet(StringComparer.Ordinal);
        foreach (var plugin in options.Admission.EnabledPlugins.Where(p => !running.Contains(p)))
        {
            LogMissingPlugin(logger, plugin);
        }

        LogListening(logger, options.SecureServing.BindAddress.ToString(), options.SecureServing.SecurePort, string.Join(",", options.Etcd.Servers));
    }

    [LoggerMessage(EventId = LogEvents.IgnoredFlag, Level = LogLevel.Warning, Message = "Flag --{Flag} is accepted but not supported yet; it has no effect")]
    private static partial void LogIgnoredFlag(ILogger logger, string flag);

    [LoggerMessage(EventId = LogEvents.MissingAdmissionPlugin, Level = LogLevel.Warning, Message = "Admission plugin {Plugin} is enabled but not implemented yet; it does not run")]
    private static partial void LogMissingPlugin(ILogger logger, string plugin);

    [LoggerMessage(EventId = LogEvents.Listening, Level = LogLevel.Information, Message = "Serving securely on {Address}:{Port}, storage at {Etcd}")]
    private static partial void LogListening(ILogger logger, string address, int port, string etcd);
}
