using ApiServer.Health;
using ApiServer.Options;
using Microsoft.Extensions.Hosting;
using Storage.Compaction;
using Storage.Etcd;

namespace ApiServer.Controllers;

/// <summary>
/// Runs the compactor every --etcd-compaction-interval (5 minutes by default; 0 disables it). A failed
/// round is logged and tried again an interval (plus the loop's backoff) later, as kube's compactor
/// retries on its next tick; failing rounds show in /readyz as "etcd-compaction".
/// </summary>
internal sealed class EtcdCompaction(EtcdClient client, ApiServerOptions options, BackgroundLoops loops) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Etcd.CompactionInterval;
        if (interval <= TimeSpan.Zero)
        {
            return Task.CompletedTask;
        }

        var compactor = new Compactor(client);
        return loops.RunAsync("etcd-compaction", async (status, ct) =>
        {
            await Task.Delay(interval, ct).ConfigureAwait(false);
            await compactor.CompactOnceAsync(ct).ConfigureAwait(false);
            status.Succeeded();
        }, stoppingToken);
    }
}
