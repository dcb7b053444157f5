namespace Storage.Etcd.Handwritten;

/// <summary>gRPC method paths (service full name / method), relative to an endpoint's base URL.</summary>
internal static class EtcdMethods
{
    public const string Range = "etcdserverpb.KV/Range";
    public const string Put = "etcdserverpb.KV/Put";
    public const string DeleteRange = "etcdserverpb.KV/DeleteRange";
    public const string Txn = "etcdserverpb.KV/Txn";
    public const string Compact = "etcdserverpb.KV/Compact";
    public const string Watch = "etcdserverpb.Watch/Watch";
    public const string LeaseGrant = "etcdserverpb.Lease/LeaseGrant";
    public const string LeaseRevoke = "etcdserverpb.Lease/LeaseRevoke";
    public const string Status = "etcdserverpb.Maintenance/Status";
}
