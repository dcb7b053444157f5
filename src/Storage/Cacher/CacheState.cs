using System.Collections.Immutable;

namespace Storage.Cacher;

/// <summary>
/// One resource's cached contents as of one revision: the objects by key, the index and the keys by
/// directory. The trees are immutable and every event replaces them with new roots, so keeping a
/// state is keeping three references; it shares all but the nodes later events replaced with the
/// states after it.
/// </summary>
/// <remarks>
/// What keeping them costs (kube-apiserver keeps the same per-revision snapshots of its B-tree for
/// the ListFromCacheSnapshot feature): a state the window holds keeps alive the tree nodes that the
/// next event replaced — the path from the root to the changed key in the objects' tree (about
/// 1.44·log2(n) nodes, some 25 at 100,000 objects, under 2 KB) and likewise in the index and directory
/// sets that event touched. The objects themselves cost nothing extra: the window's events already
/// hold every version they replaced. The <see cref="EventWindow"/> bounds how many states there are
/// (one per event it holds, at most <see cref="CacherOptions.MaximumEvents"/>, and beyond
/// <see cref="CacherOptions.MinimumEvents"/> only <see cref="CacherOptions.EventRetention"/>'s worth):
/// at 100 writes/s for 75 s, 7,500 states or about 15 MB at 100,000 objects; the worst case, a full
/// window of 102,400 events, about 200 MB.
/// </remarks>
internal sealed record CacheState(
    ImmutableSortedDictionary<string, StoredObject> Objects,
    ImmutableDictionary<string, ImmutableSortedSet<string>> Index,
    ImmutableDictionary<string, ImmutableSortedSet<string>> Directories);
