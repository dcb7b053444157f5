namespace TestSupport;

/// <summary>
/// A real multi-member etcd cluster (3 members by default) on free loopback ports, for tests of
/// failover and leader loss. Members share one CA with TLS. Dispose kills every member.
/// </summary>
public sealed class EtcdCluster : IAsyncDisposable
{
    private const int MaxPortAttempts = 5;
    private readonly TestPki? _ownedPki;

    private EtcdCluster(IReadOnlyList<EtcdProcess> members, TestPki? ownedPki)
    {
        Members = members;
        _ownedPki = ownedPki;
    }

    public IReadOnlyList<EtcdProcess> Members { get; }

    /// <summary>Every member's client URL, in member order.</summary>
    public IReadOnlyList<string> Endpoints => Members.Select(m => m.Endpoint).ToArray();

    public static async Task<EtcdCluster> StartAsync(int size = 3, EtcdProcessOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        options ??= new EtcdProcessOptions();
        TestPki? ownedPki = null;
        if (options.Tls && options.Pki is null)
        {
            ownedPki = TestPki.Create(Path.Combine(Path.GetTempPath(), $"etcd-cluster-pki-{Guid.NewGuid():N}"), "etcd-ca");
            options = new EtcdProcessOptions
            {
                Tls = true,
                ClientCertAuth = options.ClientCertAuth,
                Pki = ownedPki,
                EtcdPath = options.EtcdPath,
                EtcdctlPath = options.EtcdctlPath,
                StartTimeout = options.StartTimeout,
                ExtraArguments = options.ExtraArguments,
            };
        }

        for (var attempt = 1; ; attempt++)
        {
            var members = Enumerable.Range(0, size).Select(i => EtcdProcess.CreateMember(options, $"member-{i}")).ToArray();
            var initialCluster = string.Join(',', members.Select(m => $"{m.Name}={m.PeerUrl}"));
            var token = $"test-cluster-{Guid.NewGuid():N}";
            try
            {
                // Together: no member reports healthy before a quorum has elected a leader.
                var started = await Task.WhenAll(members.Select(m => m.StartMemberAsync(initialCluster, token, cancellationToken)));
                if (started.All(ok => ok))
                {
                    return new EtcdCluster(members, ownedPki);
                }
            }
            catch
            {
                await DisposeAllAsync(members);
                DeletePki(ownedPki);
                throw;
            }

            // Another process took a port between FreePort and etcd's bind: start over on new ports.
            await DisposeAllAsync(members);
            if (attempt == MaxPortAttempts)
            {
                DeletePki(ownedPki);
                throw new InvalidOperationException($"an etcd cluster could not bind free ports after {attempt} attempts");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DisposeAllAsync(Members);
        DeletePki(_ownedPki);
    }

    private static void DeletePki(TestPki? pki)
    {
        if (pki is not null)
        {
            pki.Dispose();
            Directory.Delete(pki.Directory, recursive: true);
        }
    }

    private static async Task DisposeAllAsync(IEnumerable<EtcdProcess> members)
    {
        foreach (var member in members)
        {
            await member.DisposeAsync();
        }
    }
}
