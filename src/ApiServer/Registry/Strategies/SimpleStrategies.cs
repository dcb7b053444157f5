using System.Text.Json.Nodes;
using ApiMachinery.Validation;

namespace ApiServer.Registry.Strategies;

/// <summary>Kinds whose only rules are a name rule, extra field selectors or a few create defaults.</summary>
internal sealed class SecretStrategy(ResourceDefinition resource) : ResourceStrategy(resource)
{
    protected override IEnumerable<string> KindFields => ["type"];

    public override void PrepareForCreate(JsonObject obj)
    {
        base.PrepareForCreate(obj);
        if (ObjectMeta.GetString(obj, "type").Length == 0)
        {
            obj["type"] = "Opaque";
        }
    }
}

/// <summary>Services are named by DNS-1035 labels: they become DNS names and environment variables.</summary>
internal sealed class ServiceStrategy(ResourceDefinition resource) : ResourceStrategy(resource)
{
    public override bool TracksGeneration => false;

    protected override IEnumerable<string> KindFields => ["spec.clusterIP", "spec.type"];

    public override IReadOnlyList<string> ValidateName(string name, bool prefix) => NameValidation.NameIsDNS1035Label(name, prefix);
}

/// <summary>Core events: selectable by what they are about, as kubectl describe does.</summary>
internal sealed class EventStrategy(ResourceDefinition resource) : ResourceStrategy(resource)
{
    public override bool AllowCreateOnUpdate => true;

    protected override IEnumerable<string> KindFields =>
    [
        "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
        "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
        "reason", "reportingComponent", "source", "type",
    ];

    public override string? FieldValue(JsonObject obj, string field) =>
        field == "source" ? FieldPathValue(obj, "source.component") : base.FieldValue(obj, field);

    // Event names carry timestamps and dots; kube-apiserver accepts any path segment.
    public override IReadOnlyList<string> ValidateName(string name, bool prefix) => NameValidation.ValidatePathSegmentName(name, prefix);
}

/// <summary>
/// Nodes: a kubelet registers its node with its status, so create keeps status (kube's node strategy
/// allows every field on create); updates of the main resource still keep the stored status.
/// </summary>
internal sealed class NodeStrategy(ResourceDefinition resource) : ResourceStrategy(resource)
{
    public override bool TracksGeneration => false;

    protected override IEnumerable<string> KindFields => ["spec.unschedulable"];

    public override void PrepareForCreate(JsonObject obj)
    {
    }
}

/// <summary>A kind whose extra field selectors are plain paths into the object.</summary>
internal sealed class FieldSelectableStrategy(ResourceDefinition resource, bool tracksGeneration, params string[] fields)
    : ResourceStrategy(resource)
{
    public override bool TracksGeneration => tracksGeneration;

    protected override IEnumerable<string> KindFields => fields;
}

/// <summary>RBAC objects are named by path segments (e.g. "system:node"), not DNS names.</summary>
internal sealed class PathSegmentNameStrategy(ResourceDefinition resource) : ResourceStrategy(resource)
{
    public override IReadOnlyList<string> ValidateName(string name, bool prefix) => NameValidation.ValidatePathSegmentName(name, prefix);
}

/// <summary>Picks the strategy of a resource; everything not listed gets the generic behaviour.</summary>
internal static class StrategyFactory
{
    public static ResourceStrategy For(ResourceDefinition r) => (r.Group, r.Plural) switch
    {
        ("", "namespaces") => new NamespaceStrategy(r),
        ("", "pods") => new PodStrategy(r),
        ("", "secrets") => new SecretStrategy(r),
        ("", "services") => new ServiceStrategy(r),
        ("", "events") => new EventStrategy(r),
        ("", "nodes") => new NodeStrategy(r),
        ("", "replicationcontrollers") => new FieldSelectableStrategy(r, tracksGeneration: true, "status.replicas"),
        ("", "persistentvolumes") or ("", "persistentvolumeclaims") or ("", "resourcequotas") =>
            new FieldSelectableStrategy(r, tracksGeneration: false),
        ("apps", "replicasets") => new FieldSelectableStrategy(r, tracksGeneration: true, "status.replicas"),
        ("batch", "jobs") => new FieldSelectableStrategy(r, tracksGeneration: true, "status.successful"),
        ("certificates.k8s.io", "certificatesigningrequests") => new FieldSelectableStrategy(r, tracksGeneration: false, "spec.signerName"),
        ("rbac.authorization.k8s.io", _) => new PathSegmentNameStrategy(r),
        _ => new ResourceStrategy(r),
    };
}
