namespace Conformance.Infrastructure;

/// <summary>
/// A second cluster, started where kube-apiserver's own defaults differ from the kubeadm-like flags
/// of <see cref="ClusterFixture"/>: AlwaysAllow authorization (kube-apiserver's default mode) and
/// objects stored in Kubernetes protobuf (kube-apiserver's default --storage-media-type). Its
/// watch cache sends bookmarks every 2 s instead of every minute (a setting that is not a
/// kube-apiserver flag), so that tests of periodic bookmarks need not wait for minutes; and
/// pod templates keep a window of only <see cref="PodTemplateWatchWindow"/> events, so a test can
/// get a watch served by etcd.
/// </summary>
public sealed class KubeDefaultsCluster : IAsyncLifetime
{
    public const int PodTemplateWatchWindow = 2;

    public ClusterFixture Cluster { get; } = new(
        "--authorization-mode=AlwaysAllow",
        "--storage-media-type=application/vnd.kubernetes.protobuf",
        $"--watch-cache-sizes=podtemplates#{PodTemplateWatchWindow}")
    {
        ServerEnvironment = { ["APISERVER_TESTING_WATCH_BOOKMARK_INTERVAL"] = "2s" },
    };

    public Task InitializeAsync() => Cluster.InitializeAsync();

    public Task DisposeAsync() => Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class KubeDefaultsCollection : ICollectionFixture<KubeDefaultsCluster>
{
    public const string Name = "kube-defaults";
}
