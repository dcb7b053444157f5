using Admission;
using Admission.Plugins;
using ApiMachinery.Authentication;
using ApiMachinery.Errors;

namespace ApiServer.Tests.Admission;

public sealed class NamespaceLifecycleTests
{
    [Fact]
    public async Task Create_InAnActiveNamespace_AsksTheCacheFirst()
    {
        var lookup = new RecordingLookup(new NamespaceState("team", Terminating: false));
        var plugin = new NamespaceLifecycle(lookup);

        await plugin.ValidateAsync(Create("team"), CancellationToken.None);

        Assert.Equal([false], lookup.LiveFlags);
    }

    [Fact]
    public async Task Create_RightAfterTheNamespacesDeletionWasAdmitted_LooksItUpLive()
    {
        var lookup = new RecordingLookup(new NamespaceState("team", Terminating: true));
        var plugin = new NamespaceLifecycle(lookup);
        await plugin.ValidateAsync(Attributes(AdmissionOperation.Delete, "", "namespaces", "team", ""), CancellationToken.None);

        var error = await Assert.ThrowsAsync<StatusException>(() => plugin.ValidateAsync(Create("team"), CancellationToken.None).AsTask());

        Assert.Equal([true], lookup.LiveFlags);
        Assert.Equal(403, error.Code);
    }

    [Fact]
    public async Task Create_InAMissingNamespace_IsNotFound()
    {
        var plugin = new NamespaceLifecycle(new RecordingLookup(null));

        var error = await Assert.ThrowsAsync<StatusException>(() => plugin.ValidateAsync(Create("gone"), CancellationToken.None).AsTask());

        Assert.Equal(404, error.Code);
    }

    private static AdmissionAttributes Create(string ns) => Attributes(AdmissionOperation.Create, "", "configmaps", "cm", ns);

    private static AdmissionAttributes Attributes(AdmissionOperation operation, string group, string resource, string name, string ns) => new()
    {
        Operation = operation,
        Group = group,
        Version = "v1",
        Kind = "X",
        Resource = resource,
        Subresource = "",
        Namespace = ns,
        Name = name,
        UserInfo = UserInfo.LoopbackUser,
    };

    private sealed class RecordingLookup(NamespaceState? state) : INamespaceLookup
    {
        public List<bool> LiveFlags { get; } = [];

        public ValueTask<NamespaceState?> GetAsync(string name, bool live, CancellationToken cancellationToken)
        {
            LiveFlags.Add(live);
            return ValueTask.FromResult(state);
        }
    }
}
