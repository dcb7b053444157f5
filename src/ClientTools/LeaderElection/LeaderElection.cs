using ClientTools.CommandLine;
using ClientTools.Logging;
using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using k8s.Models;

namespace ClientTools.LeaderElection;

/// <summary>
/// Leader election flags with the upstream names and defaults (component-base's
/// LeaderElectionConfiguration): <c>--leader-elect</c>, <c>--leader-elect-lease-duration</c> (15s),
/// <c>--leader-elect-renew-deadline</c> (10s), <c>--leader-elect-retry-period</c> (2s),
/// <c>--leader-elect-resource-lock</c> (leases, the only lock kube still supports),
/// <c>--leader-elect-resource-name</c> and <c>--leader-elect-resource-namespace</c>.
/// </summary>
public sealed class LeaderElectionOptions
{
    private readonly Flag<bool> _enabled;
    private readonly Flag<TimeSpan> _leaseDuration;
    private readonly Flag<TimeSpan> _renewDeadline;
    private readonly Flag<TimeSpan> _retryPeriod;
    private readonly Flag<string> _resourceLock;
    private readonly Flag<string> _resourceName;
    private readonly Flag<string> _resourceNamespace;

    public LeaderElectionOptions(FlagSet flags, string defaultResourceName, bool enabledByDefault = true)
    {
        _enabled = flags.Bool("leader-elect", enabledByDefault, "Take part in leader election and do the work only while holding the Lease, so that several copies can run and one acts at a time. Off: act at once, alone.");
        _leaseDuration = flags.Duration("leader-elect-lease-duration", TimeSpan.FromSeconds(15), "How long a Lease stays held after its holder last renewed it; another candidate takes it over only after this much silence.");
        _renewDeadline = flags.Duration("leader-elect-renew-deadline", TimeSpan.FromSeconds(10), "How long the leader keeps trying to renew its Lease before it gives up leading (and this process exits). Shorter than the lease duration.");
        _retryPeriod = flags.Duration("leader-elect-retry-period", TimeSpan.FromSeconds(2), "How long a candidate waits between tries to take the Lease, and the leader between renewals.");
        _resourceLock = flags.String("leader-elect-resource-lock", "leases", "Kind of object that holds the election; only \"leases\" (coordination.k8s.io Lease) is accepted.");
        _resourceName = flags.String("leader-elect-resource-name", defaultResourceName, "Name of the Lease that holds the election.");
        _resourceNamespace = flags.String("leader-elect-resource-namespace", "kube-system", "Namespace of the Lease that holds the election.");
    }

    public bool Enabled => _enabled.Value;

    public TimeSpan LeaseDuration => _leaseDuration.Value;

    public TimeSpan RenewDeadline => _renewDeadline.Value;

    public TimeSpan RetryPeriod => _retryPeriod.Value;

    public string ResourceName => _resourceName.Value;

    public string ResourceNamespace => _resourceNamespace.Value;

    /// <summary>Refuses what kube refuses: other lock kinds, a renew deadline not shorter than the lease.</summary>
    public void Validate()
    {
        if (_resourceLock.Value != "leases")
        {
            throw new FlagException($"--leader-elect-resource-lock={_resourceLock.Value}: only \"leases\" is supported");
        }

        if (Enabled && RenewDeadline >= LeaseDuration)
        {
            throw new FlagException("leaseDuration must be greater than renewDeadline");
        }

        if (Enabled && RetryPeriod <= TimeSpan.Zero)
        {
            throw new FlagException("retryPeriod must be greater than zero");
        }
    }
}

/// <summary>
/// Runs a component's work only while it holds a Lease (coordination.k8s.io/v1), as kube's
/// components do. It uses the official C# client's <see cref="LeaderElector"/> and
/// <see cref="LeaseLock"/>; what they lack is added here: giving the Lease up on shutdown
/// (client-go's ReleaseOnCancel, so a successor need not wait out the lease) and the component's
/// identity as kube forms it (host name, "_", a UUID).
/// </summary>
public sealed class LeaderElectionRunner(IKubernetes client, string ns, string name, TimeSpan leaseDuration, TimeSpan renewDeadline, TimeSpan retryPeriod)
{
    /// <summary>client-go's maxTolerableExpiredLease in the leaderElection health check.</summary>
    public static readonly TimeSpan MaxTolerableExpiredLease = TimeSpan.FromSeconds(20);

    private long _leading;
    private long _lastRenewTicks;

    public string Identity { get; init; } = $"{Environment.MachineName}_{Guid.NewGuid()}";

    /// <summary>Whether this candidate leads now (leader_election_master_status).</summary>
    public bool IsLeading => Interlocked.Read(ref _leading) == 1;

    /// <summary>
    /// client-go's HealthzAdaptor: a leader whose last successful renewal is older than the lease
    /// duration plus <see cref="MaxTolerableExpiredLease"/> is unhealthy (null: healthy).
    /// </summary>
    public string? Check()
    {
        if (!IsLeading)
        {
            return null;
        }

        var since = DateTime.UtcNow - new DateTime(Interlocked.Read(ref _lastRenewTicks), DateTimeKind.Utc);
        return since > leaseDuration + MaxTolerableExpiredLease
            ? $"failed election to renew leadership on lease {name}"
            : null;
    }

    public static LeaderElectionRunner From(IKubernetes client, LeaderElectionOptions options) =>
        new(client, options.ResourceNamespace, options.ResourceName, options.LeaseDuration, options.RenewDeadline, options.RetryPeriod);

    /// <summary>
    /// Waits for leadership, then runs <paramref name="whileLeading"/> with a token cancelled when
    /// leadership is lost or <paramref name="cancellationToken"/> is. Returns true if leadership was
    /// lost (kube's components exit then: "leaderelection lost"), false on cancellation.
    /// </summary>
    public async Task<bool> RunAsync(Func<CancellationToken, Task> whileLeading, CancellationToken cancellationToken)
    {
        var leaseLock = new RenewTrackingLock(new LeaseLock(client, ns, name, Identity), this);
        using var elector = new LeaderElector(new LeaderElectionConfig(leaseLock)
        {
            LeaseDuration = leaseDuration,
            RenewDeadline = renewDeadline,
            RetryPeriod = retryPeriod,
        });
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task work = Task.CompletedTask;
        var started = false;
        elector.OnStartedLeading += () =>
        {
            started = true;
            Interlocked.Exchange(ref _lastRenewTicks, DateTime.UtcNow.Ticks);
            Interlocked.Exchange(ref _leading, 1);
            Klog.Info($"successfully acquired lease {ns}/{name}");
            work = Task.Run(() => whileLeading(leading.Token), CancellationToken.None);
        };
        elector.OnNewLeader += leader =>
        {
            if (leader != Identity)
            {
                Klog.Info($"new leader elected: {leader}");
            }
        };
        elector.OnError += e => Klog.Info(2, $"leader election on {ns}/{name}: {e.GetBaseException().Message}");

        Klog.Info($"attempting to acquire leader lease {ns}/{name}...");
        try
        {
            await elector.RunUntilLeadershipLostAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        var lost = !cancellationToken.IsCancellationRequested;
        Interlocked.Exchange(ref _leading, 0);
        await leading.CancelAsync().ConfigureAwait(false);
        try
        {
            await work.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        if (started && !lost)
        {
            await ReleaseAsync().ConfigureAwait(false);
        }
        else if (lost)
        {
            Klog.Error($"leaderelection lost: {ns}/{name}");
        }

        return lost;
    }

    internal void Renewed() => Interlocked.Exchange(ref _lastRenewTicks, DateTime.UtcNow.Ticks);

    /// <summary>Gives the Lease up if this candidate holds it, as client-go does with ReleaseOnCancel.</summary>
    public async Task ReleaseAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(renewDeadline);
            var lease = await client.CoordinationV1.ReadNamespacedLeaseAsync(name, ns, cancellationToken: timeout.Token).ConfigureAwait(false);
            if (lease.Spec?.HolderIdentity != Identity)
            {
                return;
            }

            var now = DateTime.UtcNow;
            lease.Spec = new V1LeaseSpec
            {
                // An empty holder, not a missing one: the official client's elector tries to create
                // the Lease again when the holder is absent.
                HolderIdentity = "",
                LeaseDurationSeconds = 1,
                AcquireTime = now,
                RenewTime = now,
                LeaseTransitions = lease.Spec.LeaseTransitions,
            };
            await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, name, ns, cancellationToken: timeout.Token).ConfigureAwait(false);
            Klog.Info($"released lease {ns}/{name}");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Klog.Warning($"failed to release lease {ns}/{name}: {e.GetBaseException().Message}");
        }
    }
}

/// <summary>The Lease lock, noting every successful write by this candidate (acquire or renew) for the health check.</summary>
internal sealed class RenewTrackingLock(ILock inner, LeaderElectionRunner runner) : ILock
{
    public string Identity => inner.Identity;

    public Task<LeaderElectionRecord> GetAsync(CancellationToken cancellationToken = default) => inner.GetAsync(cancellationToken);

    public async Task<bool> CreateAsync(LeaderElectionRecord record, CancellationToken cancellationToken = default) =>
        Noted(await inner.CreateAsync(record, cancellationToken).ConfigureAwait(false));

    public async Task<bool> UpdateAsync(LeaderElectionRecord record, CancellationToken cancellationToken = default) =>
        Noted(await inner.UpdateAsync(record, cancellationToken).ConfigureAwait(false));

    public string Describe() => inner.Describe();

    private bool Noted(bool written)
    {
        if (written)
        {
            runner.Renewed();
        }

        return written;
    }
}
