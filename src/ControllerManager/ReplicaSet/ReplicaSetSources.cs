using ClientTools.Cache;
using ControllerManager.Infrastructure;
using k8s;
using k8s.Models;

namespace ControllerManager.ReplicaSet;

/// <summary>
/// What the replica set controller needs of the kind it runs for. kube runs the same controller for
/// ReplicationControllers by converting them to ReplicaSets on the way in and back on the way out;
/// so does this one.
/// </summary>
internal interface IReplicaSetSource
{
    string Kind { get; }

    string ApiVersion { get; }

    V1ReplicaSet? Get(string key);

    IEnumerable<V1ReplicaSet> List(string ns);

    void AddHandler(Action<V1ReplicaSet> onAdd, Action<V1ReplicaSet, V1ReplicaSet> onUpdate, Action<V1ReplicaSet> onDelete);

    /// <summary>A quorum read of the object's metadata (for adoption's recheck); null when it is gone.</summary>
    Task<V1ObjectMeta?> GetFreshAsync(string ns, string name, CancellationToken cancellationToken);

    /// <summary>Writes <paramref name="status"/> over the /status subresource, guarded by <paramref name="rs"/>'s resourceVersion.</summary>
    Task<V1ReplicaSetStatus> UpdateStatusAsync(V1ReplicaSet rs, V1ReplicaSetStatus status, CancellationToken cancellationToken);
}

internal sealed class ReplicaSetSource(SharedIndexInformer<V1ReplicaSet> informer, IKubernetes client) : IReplicaSetSource
{
    public string Kind => "ReplicaSet";

    public string ApiVersion => "apps/v1";

    public V1ReplicaSet? Get(string key) => informer.Store.Get(key);

    public IEnumerable<V1ReplicaSet> List(string ns) => informer.Store.ByIndex(Indexers.Namespace, ns);

    public void AddHandler(Action<V1ReplicaSet> onAdd, Action<V1ReplicaSet, V1ReplicaSet> onUpdate, Action<V1ReplicaSet> onDelete) =>
        informer.AddEventHandler(new ResourceEventHandler<V1ReplicaSet> { OnAdd = (rs, _) => onAdd(rs), OnUpdate = onUpdate, OnDelete = onDelete });

    public async Task<V1ObjectMeta?> GetFreshAsync(string ns, string name, CancellationToken cancellationToken) =>
        (await Common.Fresh.ReadAsync(() => client.AppsV1.ReadNamespacedReplicaSetAsync(name, ns, cancellationToken: cancellationToken)).ConfigureAwait(false))?.Metadata;

    public async Task<V1ReplicaSetStatus> UpdateStatusAsync(V1ReplicaSet rs, V1ReplicaSetStatus status, CancellationToken cancellationToken)
    {
        var body = new V1ReplicaSet { ApiVersion = ApiVersion, Kind = Kind, Metadata = rs.Metadata, Spec = rs.Spec, Status = status };
        var updated = await client.AppsV1.ReplaceNamespacedReplicaSetStatusAsync(body, rs.Metadata.Name, rs.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        return updated.Status;
    }
}

internal sealed class ReplicationControllerSource(SharedIndexInformer<V1ReplicationController> informer, IKubernetes client) : IReplicaSetSource
{
    public string Kind => "ReplicationController";

    public string ApiVersion => "v1";

    public V1ReplicaSet? Get(string key) => informer.Store.Get(key) is { } rc ? ToReplicaSet(rc) : null;

    public IEnumerable<V1ReplicaSet> List(string ns) => informer.Store.ByIndex(Indexers.Namespace, ns).Select(ToReplicaSet);

    public void AddHandler(Action<V1ReplicaSet> onAdd, Action<V1ReplicaSet, V1ReplicaSet> onUpdate, Action<V1ReplicaSet> onDelete) =>
        informer.AddEventHandler(new ResourceEventHandler<V1ReplicationController>
        {
            OnAdd = (rc, _) => onAdd(ToReplicaSet(rc)),
            OnUpdate = (o, n) => onUpdate(ToReplicaSet(o), ToReplicaSet(n)),
            OnDelete = rc => onDelete(ToReplicaSet(rc)),
        });

    public async Task<V1ObjectMeta?> GetFreshAsync(string ns, string name, CancellationToken cancellationToken) =>
        (await Common.Fresh.ReadAsync(() => client.CoreV1.ReadNamespacedReplicationControllerAsync(name, ns, cancellationToken: cancellationToken)).ConfigureAwait(false))?.Metadata;

    public async Task<V1ReplicaSetStatus> UpdateStatusAsync(V1ReplicaSet rs, V1ReplicaSetStatus status, CancellationToken cancellationToken)
    {
        var original = informer.Store.Get(rs.Metadata.NamespaceProperty, rs.Metadata.Name);
        var body = new V1ReplicationController
        {
            ApiVersion = "v1",
            Kind = Kind,
            Metadata = rs.Metadata,
            Spec = original?.Spec ?? new V1ReplicationControllerSpec { Replicas = rs.Spec.Replicas, Selector = rs.Spec.Selector?.MatchLabels, Template = rs.Spec.Template },
            Status = new V1ReplicationControllerStatus
            {
                Replicas = status.Replicas,
                FullyLabeledReplicas = status.FullyLabeledReplicas,
                ReadyReplicas = status.ReadyReplicas,
                AvailableReplicas = status.AvailableReplicas,
                ObservedGeneration = status.ObservedGeneration,
                Conditions = status.Conditions?.Select(c => new V1ReplicationControllerCondition
                {
                    Type = c.Type,
                    Status = c.Status,
                    Reason = c.Reason,
                    Message = c.Message,
                    LastTransitionTime = c.LastTransitionTime,
                }).ToList(),
            },
        };
        var updated = await client.CoreV1.ReplaceNamespacedReplicationControllerStatusAsync(body, rs.Metadata.Name, rs.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        return ToReplicaSet(updated).Status;
    }

    /// <summary>The replica set a replication controller reads as (its map selector as matchLabels).</summary>
    public static V1ReplicaSet ToReplicaSet(V1ReplicationController rc) => new()
    {
        ApiVersion = "v1",
        Kind = "ReplicationController",
        Metadata = rc.Metadata,
        Spec = new V1ReplicaSetSpec
        {
            Replicas = rc.Spec?.Replicas,
            MinReadySeconds = rc.Spec?.MinReadySeconds,
            Selector = new V1LabelSelector { MatchLabels = rc.Spec?.Selector ?? rc.Spec?.Template?.Metadata?.Labels ?? new Dictionary<string, string>() },
            Template = rc.Spec?.Template,
        },
        Status = new V1ReplicaSetStatus
        {
            Replicas = rc.Status?.Replicas ?? 0,
            FullyLabeledReplicas = rc.Status?.FullyLabeledReplicas,
            ReadyReplicas = rc.Status?.ReadyReplicas,
            AvailableReplicas = rc.Status?.AvailableReplicas,
            ObservedGeneration = rc.Status?.ObservedGeneration,
            Conditions = rc.Status?.Conditions?.Select(c => new V1ReplicaSetCondition
            {
                Type = c.Type,
                Status = c.Status,
                Reason = c.Reason,
                Message = c.Message,
                LastTransitionTime = c.LastTransitionTime,
            }).ToList(),
        },
    };
}
