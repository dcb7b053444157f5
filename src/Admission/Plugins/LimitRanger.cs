using System.Globalization;
using System.Text.Json.Nodes;
using Admission.Quota;
using ApiMachinery.Errors;
using ApiMachinery.Json;

namespace Admission.Plugins;

/// <summary>
/// kube-apiserver's LimitRanger (plugin/pkg/admission/limitranger): the LimitRanges of the namespace
/// give containers their default requests and limits (recorded in the kubernetes.io/limit-ranger
/// annotation), then bound what containers, pods and persistent volume claims may ask for: min, max
/// and maxLimitRequestRatio. Pod updates are not checked (their resources are fixed at create).
/// </summary>
public sealed class LimitRanger(IAdmissionObjects objects) : IMutatingAdmissionPlugin, IValidatingAdmissionPlugin
{
    public const string Annotation = "kubernetes.io/limit-ranger";

    public string Name => AdmissionPlugins.LimitRanger;

    public bool Handles(AdmissionOperation operation) => operation is AdmissionOperation.Create or AdmissionOperation.Update;

    public async ValueTask AdmitAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        if (!AppliesTo(attributes, out var isPod) || !isPod || attributes.Object is not { } pod)
        {
            return;
        }

        var ranges = await LimitRangesAsync(attributes, cancellationToken).ConfigureAwait(false);
        if (ranges.Count == 0)
        {
            return;
        }

        var (defaultRequests, defaultLimits) = ContainerDefaults(ranges);
        if (defaultRequests.Count == 0 && defaultLimits.Count == 0)
        {
            return;
        }

        var notes = new List<string>();
        var spec = PodJson.Spec(pod);
        foreach (var (list, kind) in new[] { ("containers", "container"), ("initContainers", "init container") })
        {
            if (spec[list] is not JsonArray containers)
            {
                continue;
            }

            foreach (var container in containers.OfType<JsonObject>())
            {
                var resources = PodJson.Child(container, "resources");
                var setLimits = Merge(PodJson.Child(resources, "limits"), defaultLimits);
                var setRequests = Merge(PodJson.Child(resources, "requests"), defaultRequests);
                var containerName = container.GetString("name") ?? "";
                if (setRequests.Count > 0)
                {
                    notes.Add($"{string.Join(", ", setRequests)} request for {kind} {containerName}");
                }

                if (setLimits.Count > 0)
                {
                    notes.Add($"{string.Join(", ", setLimits)} limit for {kind} {containerName}");
                }
            }
        }

        if (notes.Count > 0)
        {
            var annotations = PodJson.Child(PodJson.Child(pod, "metadata"), "annotations");
            annotations[Annotation] = "LimitRanger plugin set: " + string.Join("; ", notes);
        }
    }

    public async ValueTask ValidateAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        if (!AppliesTo(attributes, out var isPod) || attributes.Object is not { } obj)
        {
            return;
        }

        var ranges = await LimitRangesAsync(attributes, cancellationToken).ConfigureAwait(false);
        var errors = new List<string>();
        foreach (var item in ranges.SelectMany(r => r["spec"]?["limits"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var type = item.GetString("type") ?? "";
            if (isPod && type == "Container")
            {
                foreach (var container in PodJson.Containers(PodJson.Spec(obj)))
                {
                    var resources = container["resources"] as JsonObject;
                    Check(errors, "Container", item, Resources(resources?["requests"]), Resources(resources?["limits"]), claim: false);
                }
            }
            else if (isPod && type == "Pod")
            {
                var (requests, limits) = PodTotals(PodJson.Spec(obj));
                Check(errors, "Pod", item, requests, limits, claim: false);
            }
            else if (!isPod && type == "PersistentVolumeClaim")
            {
                var resources = obj["spec"]?["resources"] as JsonObject;
                Check(errors, "PersistentVolumeClaim", item, Resources(resources?["requests"]), Resources(resources?["limits"]), claim: true);
            }
        }

        if (errors.Count > 0)
        {
            throw StatusException.NewForbidden(attributes.Group, attributes.Resource, attributes.Name,
                errors.Count == 1 ? errors[0] : $"[{string.Join(", ", errors)}]");
        }
    }

    private static bool AppliesTo(AdmissionAttributes a, out bool isPod)
    {
        isPod = a.Group.Length == 0 && a.Resource == "pods";
        if (a.Subresource.Length > 0 || a.Namespace.Length == 0)
        {
            return false;
        }

        // Pod resources are fixed at create; claims may grow.
        return (isPod && a.Operation == AdmissionOperation.Create) || (a.Group.Length == 0 && a.Resource == "persistentvolumeclaims");
    }

    private async ValueTask<IReadOnlyList<JsonObject>> LimitRangesAsync(AdmissionAttributes a, CancellationToken cancellationToken) =>
        await objects.ListAsync("", "limitranges", a.Namespace, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// The Container items' defaults; as the API's defaulting of LimitRange does, a missing
    /// default limit is the max, and a missing default request is the default limit (then the min).
    /// </summary>
    private static (Dictionary<string, JsonNode> Requests, Dictionary<string, JsonNode> Limits) ContainerDefaults(IReadOnlyList<JsonObject> ranges)
    {
        var requests = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
        var limits = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
        foreach (var item in ranges.SelectMany(r => r["spec"]?["limits"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (item.GetString("type") != "Container")
            {
                continue;
            }

            var itemLimits = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
            foreach (var source in new[] { "max", "default" })
            {
                Fill(itemLimits, item[source], overwrite: true);
            }

            var itemRequests = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
            Fill(itemRequests, item["min"], overwrite: true);
            foreach (var (k, v) in itemLimits)
            {
                itemRequests[k] = v;
            }

            Fill(itemRequests, item["defaultRequest"], overwrite: true);
            foreach (var (k, v) in itemLimits)
            {
                limits[k] = v;
            }

            foreach (var (k, v) in itemRequests)
            {
                requests[k] = v;
            }
        }

        return (requests, limits);
    }

    private static void Fill(Dictionary<string, JsonNode> target, JsonNode? source, bool overwrite)
    {
        if (source is not JsonObject map)
        {
            return;
        }

        foreach (var (k, v) in map)
        {
            if (v is not null && (overwrite || !target.ContainsKey(k)))
            {
                target[k] = v;
            }
        }
    }

    /// <returns>the resource names it set, sorted.</returns>
    private static List<string> Merge(JsonObject target, Dictionary<string, JsonNode> defaults)
    {
        var set = new List<string>();
        foreach (var (name, value) in defaults)
        {
            if (!target.ContainsKey(name))
            {
                target[name] = value.DeepClone();
                set.Add(name);
            }
        }

        set.Sort(StringComparer.Ordinal);
        return set;
    }

    internal static Dictionary<string, Quantity> Resources(JsonNode? node)
    {
        var result = new Dictionary<string, Quantity>(StringComparer.Ordinal);
        if (node is JsonObject map)
        {
            foreach (var (k, v) in map)
            {
                if (Quantity.TryParse(v?.ToString(), out var q))
                {
                    result[k] = q;
                }
            }
        }

        return result;
    }

    /// <summary>What a pod asks for as a whole: the sum of its containers, or its largest init container if that is more.</summary>
    internal static (Dictionary<string, Quantity> Requests, Dictionary<string, Quantity> Limits) PodTotals(JsonObject spec)
    {
        var requests = new Dictionary<string, Quantity>(StringComparer.Ordinal);
        var limits = new Dictionary<string, Quantity>(StringComparer.Ordinal);
        foreach (var container in PodJson.Containers(spec, includeInit: false))
        {
            var resources = container["resources"] as JsonObject;
            Add(requests, Resources(resources?["requests"]));
            Add(limits, Resources(resources?["limits"]));
        }

        foreach (var init in spec["initContainers"] as JsonArray ?? [])
        {
            var resources = init?["resources"] as JsonObject;
            Max(requests, Resources(resources?["requests"]));
            Max(limits, Resources(resources?["limits"]));
        }

        return (requests, limits);
    }

    private static void Add(Dictionary<string, Quantity> total, Dictionary<string, Quantity> more)
    {
        foreach (var (k, v) in more)
        {
            total[k] = total.TryGetValue(k, out var t) ? t + v : v;
        }
    }

    private static void Max(Dictionary<string, Quantity> total, Dictionary<string, Quantity> other)
    {
        foreach (var (k, v) in other)
        {
            if (!total.TryGetValue(k, out var t) || v > t)
            {
                total[k] = v;
            }
        }
    }

    private static void Check(List<string> errors, string type, JsonObject item, Dictionary<string, Quantity> requests, Dictionary<string, Quantity> limits, bool claim)
    {
        foreach (var (resource, min) in Resources(item["min"]).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var hasRequest = requests.TryGetValue(resource, out var request);
            var hasLimit = limits.TryGetValue(resource, out var limit);
            if (!hasRequest)
            {
                errors.Add($"minimum {resource} usage per {type} is {min}.  No request is specified");
            }
            else if (request < min)
            {
                errors.Add($"minimum {resource} usage per {type} is {min}, but request is {request}");
            }
            else if (hasLimit && limit < min)
            {
                errors.Add($"minimum {resource} usage per {type} is {min}, but limit is {limit}");
            }
        }

        foreach (var (resource, max) in Resources(item["max"]).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var hasRequest = requests.TryGetValue(resource, out var request);
            var hasLimit = limits.TryGetValue(resource, out var limit);
            if (claim)
            {
                // A claim's size is its request.
                if (!hasRequest)
                {
                    errors.Add($"maximum {resource} usage per {type} is {max}.  No request is specified");
                }
                else if (request > max)
                {
                    errors.Add($"maximum {resource} usage per {type} is {max}, but request is {request}");
                }
            }
            else if (!hasLimit)
            {
                errors.Add($"maximum {resource} usage per {type} is {max}.  No limit is specified");
            }
            else if (limit > max)
            {
                errors.Add($"maximum {resource} usage per {type} is {max}, but limit is {limit}");
            }
            else if (hasRequest && request > max)
            {
                errors.Add($"maximum {resource} usage per {type} is {max}, but request is {request}");
            }
        }

        foreach (var (resource, ratio) in Resources(item["maxLimitRequestRatio"]).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var hasRequest = requests.TryGetValue(resource, out var request) && !request.IsZero;
            var hasLimit = limits.TryGetValue(resource, out var limit) && !limit.IsZero;
            if (!hasRequest)
            {
                errors.Add($"{resource} max limit to request ratio per {type} is {ratio}, but no request is specified or request is 0");
            }
            else if (!hasLimit)
            {
                errors.Add($"{resource} max limit to request ratio per {type} is {ratio}, but no limit is specified or limit is 0");
            }
            else
            {
                var observed = limit.Value / request.Value;
                if (observed > ratio.Value)
                {
                    errors.Add($"{resource} max limit to request ratio per {type} is {ratio}, but provided ratio is {observed.ToString("F6", CultureInfo.InvariantCulture)}");
                }
            }
        }
    }
}
