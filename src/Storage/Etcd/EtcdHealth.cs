namespace Storage.Etcd;

/// <summary>The answer of one endpoint's Maintenance Status, or why none answered.</summary>
/// <param name="Endpoint">the endpoint that answered (or the last one tried).</param>
/// <param name="Error">why the cluster is not healthy: no answer, no leader, or alarms such as NOSPACE.</param>
internal sealed record EtcdHealth(bool Healthy, string Endpoint, string? Version, long DbSizeBytes, string? Error);
