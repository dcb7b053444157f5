using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiMachinery.Validation;
using ApiServer.Registry.Validation;

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
        Registration = BuiltinKinds.Find(resource);
        Validation = Registration?.Validation;
    }

    /// <summary>The kind's registration (<see cref="BuiltinKinds"/>); null for custom resources.</summary>
    public KindRegistration? Registration { get; }

    /// <summary>The kind's validation (its registration's, in Registry/Validation, one file per API group); null for metadata only.</summary>
    public KindValidation? Validation { get; }

    public ResourceDefinition Resource { get; }

    /// <summary>True when the kind has a status subresource: main-resource writes keep the stored status.</summary>
    public bool HasStatus { get; }

    /// <summary>Kinds whose PrepareForCreate sets metadata.generation to 1 and whose spec changes bump it.</summary>
    public virtual bool TracksGeneration => Registration?.TracksGeneration ?? false;

    /// <summary>Deployments also bump generation when annotations change (kube's rollback annotations).</summary>
    public virtual bool AnnotationsBumpGeneration => false;

    public virtual bool AllowCreateOnUpdate => false;

    /// <summary>Updates without metadata.resourceVersion are accepted (last writer wins).</summary>
    public virtual bool AllowUnconditionalUpdate => true;

    /// <summary>
    /// Kinds whose DELETE answers with the deleted object rather than a Success Status once it is gone:
    /// the registries kube builds with <c>ReturnDeletedObject: true</c>; typed clients parse the object
    /// from these answers. (While an object waits for a grace period or finalizers, every kind answers
    /// with the object.)
    /// </summary>
    public virtual bool ReturnDeletedObject => Registration?.ReturnDeletedObject ?? false;

    /// <summary>The name rule of the kind (DNS-1123 subdomain unless its validation says otherwise).</summary>
    public virtual IReadOnlyList<string> ValidateName(string name, bool prefix) =>
        Validation?.Name is { } rule ? rule(name, prefix) : NameValidation.NameIsDNSSubdomain(name, prefix);

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

    /// <summary>
    /// Whether the watch cache may derive its view of a stored object (labels, field values, index keys,
    /// the served bytes) from one forward read of its bytes (<see cref="MetadataScan"/>: the metadata,
    /// plus copies of the few members <see cref="FactPaths"/> names) instead of parsing the whole object
    /// (issue 19: the parse was most of a cold start's time). Kinds whose read defaults may change a
    /// stored object (custom resources with defaults) parse.
    /// </summary>
    public virtual bool ReadsFactsInOnePass => true;

    /// <summary>
    /// The members <see cref="FieldValue"/> reads for the kind's own field selectors, beyond metadata:
    /// the fields' own paths (a kind whose rule reads elsewhere overrides this; ObjectViewTests checks
    /// every built-in kind's values against a parse).
    /// </summary>
    public FieldPaths FactPaths => _factPaths ??= FieldPaths.Of(SupportedFields.Where(f => !MetadataFields.Contains(f)));

    private FieldPaths? _factPaths;

    /// <summary>The value a field selector compares against, as the kind's GetAttrs reports it.</summary>
    public virtual string? FieldValue(JsonObject obj, string field) => field switch
    {
        "metadata.name" => ObjectMeta.Name(obj),
        "metadata.namespace" => ObjectMeta.Namespace(obj),
        _ => FieldPathValue(obj, field),
    };

    /// <summary>
    /// What kube's conversion from the request's version to the internal one does to an object as it is
    /// decoded (a request body, a patch's result, a webhook's mutation); most kinds convert field for field.
    /// </summary>
    public virtual void ConvertOnDecode(JsonObject obj)
    {
    }

    /// <summary>Refuses a create before anything else happens (custom resources of a terminating CRD).</summary>
    public virtual void CheckCreateAllowed(JsonObject obj)
    {
    }

    /// <summary>The defaults kube-apiserver fills in when it decodes the kind (before admission, on create and update).</summary>
    public virtual void ApplyDefaults(JsonObject obj) => Defaulting.BuiltinDefaults.Apply(Resource, obj);

    /// <summary>
    /// Defaults an object read from storage (kube defaults custom resources on decode, so a default
    /// added to a schema shows on objects stored before it); returns whether it changed anything.
    /// </summary>
    public virtual bool ApplyReadDefaults(JsonObject obj) => false;

    /// <summary>Whether an update changes what metadata.generation counts: everything but metadata and status.</summary>
    public virtual bool GenerationChanged(JsonObject obj, JsonObject old) => ChangedOutside(obj, old, "metadata", "status", "kind", "apiVersion");

    /// <summary>Whether the objects differ in any top-level field but <paramref name="ignored"/>.</summary>
    protected static bool ChangedOutside(JsonObject obj, JsonObject old, params string[] ignored)
    {
        var keysNow = obj.Select(p => p.Key).Where(k => !ignored.Contains(k)).ToHashSet();
        var keysBefore = old.Select(p => p.Key).Where(k => !ignored.Contains(k)).ToHashSet();
        return !keysNow.SetEquals(keysBefore) || keysNow.Any(k => !JsonNode.DeepEquals(obj[k], old[k]));
    }

    /// <summary>
    /// PrepareForCreate with the request's user, for kinds that record who asked (kube's strategies
    /// read it from the request context); by default the user plays no part.
    /// </summary>
    public virtual void PrepareForCreate(JsonObject obj, ApiMachinery.Authentication.UserInfo user) => PrepareForCreate(obj);

    /// <summary>Clears what a client may not set on create and fills the kind's initial state (kube's status on create).</summary>
    public virtual void PrepareForCreate(JsonObject obj)
    {
        if (HasStatus)
        {
            if (Registration?.InitialStatus is { } initial)
            {
                obj["status"] = JsonNode.Parse(initial);
            }
            else
            {
                obj.Remove("status");
            }
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
    public virtual IEnumerable<FieldError> Validate(JsonObject obj) => Validation?.ValidateCreate(obj) ?? [];

    /// <summary>The kind's own validation of a main-resource update, beyond object metadata.</summary>
    public virtual IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old) => Validation?.ValidateUpdate(obj, old) ?? [];

    /// <summary>
    /// The validation an update through a subresource gets: the main resource's and /finalize get
    /// the kind's update rules, /status its status rules; the others (a pod's /binding) change only
    /// what their handler sets, as kube's subresource strategies check nothing more.
    /// </summary>
    /// <summary>
    /// The update strategy of a subresource other than status and finalize (kube registers one per
    /// subresource, e.g. a CSR's approval): the object to store, made from the request's and the stored one.
    /// </summary>
    public virtual JsonObject PrepareForSubresourceUpdate(string subresource, JsonObject obj, JsonObject old) => obj;

    /// <summary>Subresources whose spec changes bump metadata.generation as main-resource updates do (a pod's ephemeralcontainers and resize).</summary>
    public virtual bool SubresourceBumpsGeneration(string subresource) => false;

    public virtual IEnumerable<FieldError> ValidateSubresourceUpdate(string subresource, JsonObject obj, JsonObject old) => subresource switch
    {
        "" or "finalize" => ValidateUpdate(obj, old),
        "status" => ValidateStatusUpdate(obj, old),
        _ => [],
    };

    /// <summary>The kind's own validation of a status update (kube's ValidateXStatusUpdate).</summary>
    public virtual IEnumerable<FieldError> ValidateStatusUpdate(JsonObject obj, JsonObject old) => Validation?.ValidateStatusUpdate(obj, old) ?? [];

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
            JsonValue v when v.AsString() is { } s => s,
            JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
            JsonValue v => v.ToJsonString(),
            _ => "",
        };
    }
}
