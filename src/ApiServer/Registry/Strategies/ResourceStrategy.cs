using System.Text.Json.Nodes;
using ApiMachinery.Validation;

namespace ApiServer.Registry.Strategies;

/// <summary>
/// The per-kind rules of k8s.io/apiserver pkg/registry/rest (RESTCreateStrategy, RESTUpdateStrategy,
/// RESTDeleteStrategy) plus the field-selector attributes of each kind. The base class is the
/// generic behaviour every kind gets; a kind has its own subclass only when it has real rules.
/// </summary>
internal class ResourceStrategy
{
    /// <summary>Fields every kind can be selected by.</summary>
    private static readonly string[] MetadataFields = ["metadata.name", "metadata.namespace"];

    public ResourceStrategy(ResourceDefinition resource)
    {
        Resource = resource;
        HasStatus = resource.FindSubresource("status") is not null;
    }

    public ResourceDefinition Resource { get; }

    /// <summary>True when the kind has a status subresource: main-resource writes keep the stored status.</summary>
    public bool HasStatus { get; }

    /// <summary>Kinds with a spec whose changes bump metadata.generation.</summary>
    public virtual bool TracksGeneration => HasStatus;

    public virtual bool AllowCreateOnUpdate => false;

    /// <summary>Updates without metadata.resourceVersion are accepted (last writer wins).</summary>
    public virtual bool AllowUnconditionalUpdate => true;

    /// <summary>Kinds whose DELETE answers with the deleted object rather than a Success Status.</summary>
    public virtual bool ReturnDeletedObject => false;

    /// <summary>The name rule of the kind (DNS-1123 subdomain unless the kind says otherwise).</summary>
    public virtual IReadOnlyList<string> ValidateName(string name, bool prefix) => NameValidation.NameIsDNSSubdomain(name, prefix);

    /// <summary>Field selectors the kind supports beyond metadata.name and metadata.namespace.</summary>
    protected virtual IEnumerable<string> KindFields => [];

    public IReadOnlySet<string> SupportedFields => _supportedFields ??= MetadataFields.Concat(KindFields).ToHashSet(StringComparer.Ordinal);

    /// <summary>Each supported field's position, so a cached object keeps its field values in an array.</summary>
    public System.Collections.Frozen.FrozenDictionary<string, int> SupportedFieldIndex =>
        _supportedFieldIndex ??= System.Collections.Frozen.FrozenDictionary.ToFrozenDictionary(SupportedFields.Select((f, i) => (f, i)), p => p.f, p => p.i, StringComparer.Ordinal);

    private IReadOnlySet<string>? _supportedFields;
    private System.Collections.Frozen.FrozenDictionary<string, int>? _supportedFieldIndex;

    /// <summary>
    /// Field selectors the watch cache indexes for this kind (kube-apiserver indexes pods by
    /// spec.nodeName: every kubelet lists and watches its own pods that way).
    /// </summary>
    public virtual IReadOnlyList<string> IndexedFields => [];

    /// <summary>The value a field selector compares against, as the kind's GetAttrs reports it.</summary>
    public virtual string? FieldValue(JsonObject obj, string field) => field switch
    {
        "metadata.name" => ObjectMeta.Name(obj),
        "metadata.namespace" => ObjectMeta.Namespace(obj),
        _ => FieldPathValue(obj, field),
    };

    /// <summary>Clears what a client may not set on create and fills the kind's initial state.</summary>
    public virtual void PrepareForCreate(JsonObject obj)
    {
        if (HasStatus)
        {
            obj.Remove("status");
        }
    }

    /// <summary>Carries over what a main-resource update may not change.</summary>
    public virtual void PrepareForUpdate(JsonObject obj, JsonObject old)
    {
        if (HasStatus)
        {
            if (old["status"] is { } status)
            {
                obj["status"] = status.DeepClone();
            }
            else
            {
                obj.Remove("status");
            }
        }
    }

    /// <summary>Applies a status-subresource update: only status changes, the rest is the stored object.</summary>
    public virtual JsonObject PrepareForStatusUpdate(JsonObject obj, JsonObject old)
    {
        var result = (JsonObject)old.DeepClone();
        if (obj["status"] is { } status)
        {
            result["status"] = status.DeepClone();
        }
        else
        {
            result.Remove("status");
        }

        // Labels and annotations may change through status, as kube-apiserver allows; metadata
        // bookkeeping (resourceVersion for the precondition) comes from the request.
        var metadata = ObjectMeta.Metadata(result);
        metadata["resourceVersion"] = ObjectMeta.ResourceVersion(obj);
        return result;
    }

    /// <summary>The kind's own validation of a new object, beyond object metadata.</summary>
    public virtual IEnumerable<FieldError> Validate(JsonObject obj) => [];

    /// <summary>The kind's own validation of an update, beyond object metadata.</summary>
    public virtual IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old) => Validate(obj);

    /// <summary>
    /// The grace period this delete gets: null deletes at once; a positive value marks the object
    /// with deletionTimestamp and leaves it for its owner (a kubelet) to finish.
    /// </summary>
    public virtual long? GracefulDeletePeriod(JsonObject obj, long? requested) => null;

    /// <summary>True when the kind finalizes through spec.finalizers (namespaces) besides metadata.finalizers.</summary>
    public virtual bool HasPendingFinalizers(JsonObject obj) => ObjectMeta.Finalizers(obj).Count > 0;

    /// <summary>Called when a delete finds finalizers: the state the object takes while terminating.</summary>
    public virtual void PrepareForFinalizingDelete(JsonObject obj)
    {
    }

    /// <summary>Reads a dotted path such as "spec.nodeName" as a string, for kinds whose field selectors are plain paths.</summary>
    protected static string? FieldPathValue(JsonObject obj, string path)
    {
        JsonNode? node = obj;
        foreach (var part in path.Split('.'))
        {
            node = (node as JsonObject)?[part];
            if (node is null)
            {
                return "";
            }
        }

        return node switch
        {
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
            JsonValue v => v.ToJsonString(),
            _ => "",
        };
    }
}
