using System.Collections.Immutable;

namespace Storage.Tests.Cacher;

/// <summary>
/// A whole resource's list is the cache's snapshot, read without a per-request copy: in order, from
/// the start again, and in any other order it must give exactly the snapshot's items.
/// </summary>
public sealed class SnapshotListTests
{
    private static readonly ImmutableSortedDictionary<string, StoredObject> Objects = Enumerable.Range(0, 50)
        .Select(i => new StoredObject($"/p/k{i:D3}", new byte[] { (byte)i }, i + 1, i + 1))
        .ToImmutableSortedDictionary(o => o.Key, o => o, StringComparer.Ordinal);

    private static readonly StoredObject[] Expected = [.. Objects.Values];

    [Fact]
    public void InOrder_Twice_GivesTheSnapshot()
    {
        var list = new Storage.Cacher.Cacher.SnapshotList(Objects);
        Assert.Equal(50, list.Count);
        for (var pass = 0; pass < 2; pass++)
        {
            for (var i = 0; i < list.Count; i++)
            {
                Assert.Same(Expected[i], list[i]);
                // The same item again, as a writer that measures an item and then writes it reads it.
                Assert.Same(Expected[i], list[i]);
            }
        }

        Assert.Equal(Expected, list);
        Assert.True(list.All(o => o.Key.StartsWith("/p/", StringComparison.Ordinal)));
    }

    [Fact]
    public void AnyOtherOrder_GivesTheSnapshot()
    {
        var list = new Storage.Cacher.Cacher.SnapshotList(Objects);
        Assert.Same(Expected[3], list[3]);
        Assert.Same(Expected[^1], list[^1]);
        Assert.Same(Expected[0], list[0]);
        Assert.Same(Expected[1], list[1]);
        Assert.Same(Expected[40], list[40]);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[50]);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[-1]);

        var walked = new Storage.Cacher.Cacher.SnapshotList(Objects);
        Assert.Same(Expected[0], walked[0]);
        Assert.Same(Expected[1], walked[1]);
        Assert.Same(Expected[0], walked[0]);
        Assert.Same(Expected[49], walked[49]);
        Assert.Same(Expected[2], walked[2]);
    }

    [Fact]
    public void Empty_HasNoItems()
    {
        var list = new Storage.Cacher.Cacher.SnapshotList(ImmutableSortedDictionary<string, StoredObject>.Empty.WithComparers(StringComparer.Ordinal));
        Assert.Empty(list);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[0]);
    }
}
