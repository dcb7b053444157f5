using ApiServer.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Storage.Compaction;
using Storage.Etcd;

namespace ApiServer.Controllers;

/// <summary>Runs the compactor every --etcd-compaction-interval (5 minutes by default; 0 disables it).</summary>
internal sealed partial class EtcdCompaction(EtcdClient client, ApiServerOptions options, ILogger<EtcdCompaction> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Etcd.CompactionInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await new Compactor(client).RunAsync(interval, e => LogFailed(logger, e.Message), stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = LogEvents.CompactionFailed, Level = LogLevel.Warning, Message = "etcd compaction failed, retrying next interval: {Error}")]
    private static partial void LogFailed(ILogger logger, string error);
}
