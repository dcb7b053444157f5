using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiMachinery.Validation;
using ApiServer.Registry.Validation;

namespace ApiServer.Registry.Strategies;

/// <summary>Kinds whose only rules are a name rule, extra field selectors or a few create defaults.</summary>
internal sealed class SecretStrategy(ResourceDefinition resource) : ResourceStrategy(resource)
{
    protected override IEnumerable<string> KindFields => ["type"];

    /// <summary>
    /// kube's conversion of a v1 Secret to its internal form: each stringData entry overwrites the
    /// data entry of its key (as the bytes of the text, so base64 here) and stringData itself is gone.
    /// </summary>
    public override void ConvertOnDecode(JsonObject obj)
    {
        if (obj["stringData"] is not JsonObject stringData)
        {
            obj.Remove("stringData");
            return;
        }

        obj.Remove("stringData");
        if (stringData.Count == 0)
        {
            return;
        }

        if (obj["data"] is not JsonObject data)
        {
            data = new JsonObject();
            obj["data"] = data;
        }

        foreach (var (key, value) in stringData)
        {
            var text = value.AsString() ?? "";
            data[key] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text));
        }
    }
}

/// <summary>
/// Services: kept allocations carry over an update that leaves them empty (kube's
/// patchAllocatedValues), so a client that replaces a service without its clusterIP keeps it.
/// </summary>
internal sealed class ServiceStrategy(ResourceDefinition resource) : ResourceStrategy(resource)
{
    protected override IEnumerable<string> KindFields => ["spec.clusterIP", "spec.type"];

    public override void PrepareForUpdate(JsonObject obj, JsonObject old)
    {
        base.PrepareForUpdate(obj, old);
        if (obj["spec"] is not JsonObject spec || old["spec"] is not JsonObject oldSpec
            || spec.GetString("type") == "ExternalName" || oldSpec.GetString("type") == "ExternalName")
        {
            return;
        }

        if ((spec.GetString("clusterIP") ?? "").Length == 0 && oldSpec["clusterIP"] is { } clusterIP)
        {
            spec["clusterIP"] = clusterIP.DeepClone();
        }

        if (spec["clusterIPs"] is not JsonArray { Count: > 0 } && oldSpec["clusterIPs"] is { } clusterIPs)
        {
            spec["clusterIPs"] = clusterIPs.DeepClone();
        }
    }
}

/// <summary>
/// Jobs: unless spec.manualSelector, the selector is generated from the job's uid and the template
/// gets the labels that selector and clients use (kube's generateSelector); status starts empty.
/// </summary>
internal sealed class JobStrategy(ResourceDefinition resource) : ResourceStrategy(resource)
{
    protected override IEnumerable<string> KindFields => ["status.successful"];

    public override void PrepareForCreate(JsonObject obj)
    {
        base.PrepareForCreate(obj);
        if (obj["spec"] is not JsonObject spec || spec["manualSelector"] is JsonValue manual && manual.TryGetValue<bool>(out var isManual) && isManual)
        {
            return;
        }

        if (spec["manualSelector"] is null)
        {
            spec["manualSelector"] = false;
        }

        var uid = ObjectMeta.Uid(obj);
        var name = ObjectMeta.Name(obj);
        var template = spec["template"] as JsonObject ?? [];
        spec["template"] = template;
        var templateMetadata = template["metadata"] as JsonObject ?? [];
        template["metadata"] = templateMetadata;
        var labels = templateMetadata["labels"] as JsonObject ?? [];
        templateMetadata["labels"] = labels;
        foreach (var (label, value) in new[]
        {
            (BatchValidation.LegacyJobName, name), (BatchValidation.JobNameLabel, name),
            (BatchValidation.LegacyControllerUid, uid), (BatchValidation.ControllerUidLabel, uid),
        })
        {
            labels[label] ??= value;
        }

        var selector = spec["selector"] as JsonObject ?? [];
        spec["selector"] = selector;
        var matchLabels = selector["matchLabels"] as JsonObject ?? [];
        selector["matchLabels"] = matchLabels;
        matchLabels[BatchValidation.ControllerUidLabel] ??= uid;
    }
}

/// <summary>Deployments bump their generation on annotation changes too (rollbacks were annotations).</summary>
internal sealed class DeploymentStrategy(ResourceDefinition resource) : ResourceStrategy(resource)
{
    public override bool AnnotationsBumpGeneration => true;
}

/// <summary>
/// DaemonSets: kube's internal spec.templateGeneration, which apps/v1 carries in the
/// deprecated.daemonset.template.generation annotation: 1 on create, one more each time an update
/// changes the pod template, never set by a client (the controller labels pods with it).
/// </summary>
internal sealed class DaemonSetStrategy(ResourceDefinition resource) : ResourceStrategy(resource)
{
    public const string TemplateGenerationAnnotation = "deprecated.daemonset.template.generation";

    public override void PrepareForCreate(JsonObject obj)
    {
        base.PrepareForCreate(obj);
        var generation = TemplateGeneration(obj);
        SetTemplateGeneration(obj, generation is null or < 1 ? 1 : generation.Value);
    }

    public override void PrepareForUpdate(JsonObject obj, JsonObject old)
    {
        base.PrepareForUpdate(obj, old);
        var previous = TemplateGeneration(old) ?? 1;
        var templateChanged = !JsonNode.DeepEquals((obj["spec"] as JsonObject)?["template"], (old["spec"] as JsonObject)?["template"]);
        SetTemplateGeneration(obj, templateChanged ? previous + 1 : previous);
    }

    private static long? TemplateGeneration(JsonObject obj) =>
        long.TryParse(obj.GetString("metadata", "annotations", TemplateGenerationAnnotation), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var generation)
            ? generation : null;

    private static void SetTemplateGeneration(JsonObject obj, long generation)
    {
        var metadata = obj["metadata"] as JsonObject ?? [];
        obj["metadata"] = metadata;
        var annotations = metadata["annotations"] as JsonObject ?? [];
        metadata["annotations"] = annotations;
        annotations[TemplateGenerationAnnotation] = generation.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
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
}

/// <summary>events.k8s.io/v1 Events: the same registry as core events in kube (created on update).</summary>
internal sealed class EventsV1Strategy(ResourceDefinition resource) : ResourceStrategy(resource)
{
    public override bool AllowCreateOnUpdate => true;
}

/// <summary>
/// Nodes: a kubelet registers its node with its status, so create keeps status (kube's node strategy
/// allows every field on create); updates of the main resource still keep the stored status.
/// </summary>
internal sealed class NodeStrategy(ResourceDefinition resource) : ResourceStrategy(resource)
{
    protected override IEnumerable<string> KindFields => ["spec.unschedulable"];

    public override void PrepareForCreate(JsonObject obj)
    {
    }
}

/// <summary>A kind whose extra field selectors are plain paths into the object.</summary>
internal sealed class FieldSelectableStrategy(ResourceDefinition resource, params string[] fields)
    : ResourceStrategy(resource)
{
    protected override IEnumerable<string> KindFields => fields;
}

/// <summary>Picks the strategy of a resource: its registration's (<see cref="BuiltinKinds"/>), else the generic one.</summary>
internal static class StrategyFactory
{
    public static ResourceStrategy For(ResourceDefinition r, TimeProvider? time = null) =>
        BuiltinKinds.Find(r)?.Strategy?.Invoke(r, time ?? TimeProvider.System) ?? new ResourceStrategy(r);
}
