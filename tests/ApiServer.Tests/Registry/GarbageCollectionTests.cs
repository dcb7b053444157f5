using ApiServer.Registry;

namespace ApiServer.Tests.Registry;

/// <summary>The finalizers a delete leaves, as kube's deletionFinalizersForGarbageCollection decides them.</summary>
public sealed class GarbageCollectionTests
{
    // The kind's default policy, by name (the enum is internal to the server).
    private const string Delete = nameof(GarbageCollectionPolicy.DeleteDependents);
    private const string Orphan = nameof(GarbageCollectionPolicy.OrphanDependents);
    private const string Unsupported = nameof(GarbageCollectionPolicy.Unsupported);

    public static TheoryData<string[], string?, bool?, string, string[]?> Cases => new()
    {
        // Nothing asked, nothing there: only the kind's default decides.
        { [], null, null, Delete, null },
        { [], null, null, Orphan, ["orphan"] },
        // The request decides first.
        { [], "Orphan", null, Delete, ["orphan"] },
        { [], "Foreground", null, Delete, ["foregroundDeletion"] },
        { [], "Background", null, Orphan, null },
        { [], null, true, Delete, ["orphan"] },
        { [], null, false, Orphan, null },
        { ["orphan"], "Foreground", null, Delete, ["foregroundDeletion"] },
        { ["example.com/keep", "foregroundDeletion"], "Background", null, Delete, ["example.com/keep"] },
        // Then a finalizer already there.
        { ["foregroundDeletion"], null, null, Orphan, null },
        { ["orphan"], null, null, Delete, null },
        // A kind outside garbage collection loses both.
        { ["orphan", "example.com/keep"], "Orphan", null, Unsupported, ["example.com/keep"] },
        { [], "Foreground", null, Unsupported, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void FinalizersAfterDelete(string[] finalizers, string? policy, bool? orphanDependents, string kindDefault, string[]? expected)
    {
        var after = GarbageCollection.FinalizersAfterDelete(
            finalizers, new DeleteOptions(PropagationPolicy: policy, OrphanDependents: orphanDependents), Enum.Parse<GarbageCollectionPolicy>(kindDefault));
        Assert.Equal(expected, after?.ToArray());
    }

    [Fact]
    public void DefaultPolicies_AreKubesPerGroupVersion()
    {
        var table = ResourceTable.LoadBuiltin();
        string For(string group, string plural) => GarbageCollection.DefaultPolicy(table.All.First(r => r.Group == group && r.Plural == plural && r.Version is "v1")).ToString();
        Assert.Equal(Orphan, For("", "replicationcontrollers"));
        Assert.Equal(Orphan, For("batch", "jobs"));
        Assert.Equal(Delete, For("batch", "cronjobs"));
        Assert.Equal(Delete, For("apps", "deployments"));
        Assert.Equal(Delete, For("", "configmaps"));
        Assert.Equal(Unsupported, For("", "events"));
    }
}
