using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Validation;
using ApiServer.Registry.Strategies;

namespace ApiServer.Registry.Validation;

/// <summary>
/// The pod subresources that change the spec (kube's pkg/apis/core/validation): ephemeralcontainers
/// may add ephemeral containers and change nothing else (ValidatePodEphemeralContainersUpdate);
/// resize may change the cpu and memory of containers and sidecars within kube's rules
/// (ValidatePodResize). Both also check the resulting pod as a pod.
/// </summary>
internal static class PodSubresourceValidation
{
    private const string MirrorPodAnnotation = "kubernetes.io/config.mirror";

    public static void EphemeralContainersUpdate(JsonObject pod, JsonObject old, List<FieldError> errs)
    {
        PodValidation.PodMetadataAndSpec(pod, errs);
        PodValidation.PodAnnotationUpdates(errs, Read.Map(pod["metadata"], "annotations"), Read.Map(old["metadata"], "annotations"), FieldPath.New("metadata", "annotations"));
        if (Read.Map(old["metadata"], "annotations").ContainsKey(MirrorPodAnnotation))
        {
            errs.Clear();
            errs.Add(FieldError.Forbidden(FieldPath.New(""), "static pods do not support ephemeral containers"));
            return;
        }

        // Existing ephemeral containers stay as they are; order does not matter (patches do not keep it).
        var path = FieldPath.New("spec", "ephemeralContainers");
        var now = Read.Items(pod["spec"], "ephemeralContainers").GroupBy(c => c.GetString("name") ?? "").ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        foreach (var before in Read.Items(old["spec"], "ephemeralContainers"))
        {
            var name = before.GetString("name") ?? "";
            if (!now.TryGetValue(name, out var after))
            {
                errs.Add(FieldError.Forbidden(path, $"existing ephemeral containers \"{name}\" may not be removed\n"));
            }
            else if (!Read.DeepEquals(before, after))
            {
                errs.Add(FieldError.Forbidden(path, $"existing ephemeral containers \"{name}\" may not be changed\n"));
            }
        }
    }

    public static void Resize(JsonObject pod, JsonObject old, List<FieldError> errs)
    {
        PodValidation.PodMetadataAndSpec(pod, errs);
        static bool PodLevelResources(JsonObject p) =>
            Read.Map(p["spec"]?["resources"], "requests").Count + Read.Map(p["spec"]?["resources"], "limits").Count > 0;
        if (PodLevelResources(old) || PodLevelResources(pod))
        {
            Replace(errs, "pods with pod-level resources cannot be resized");
            return;
        }

        if (Read.Map(old["metadata"], "annotations").ContainsKey(MirrorPodAnnotation))
        {
            Replace(errs, "static pods cannot be resized");
            return;
        }

        if ((old["spec"]?["os"].GetString("name") ?? "") == "windows")
        {
            Replace(errs, "windows pods cannot be resized");
            return;
        }

        var specPath = FieldPath.New("spec");
        var oldQos = old["status"].GetString("qosClass") is { Length: > 0 } stored ? stored : PodStrategy.QosClass(old);
        if (oldQos != PodStrategy.QosClass(pod))
        {
            errs.Add(FieldError.Invalid(specPath, pod["status"].GetString("qosClass") ?? "", "Pod QOS Class may not change as a result of resizing"));
        }

        if (!ResizeSupported(old))
        {
            errs.Add(FieldError.Forbidden(specPath, "Pod running on node without support for resize"));
        }

        var containers = Read.Items(pod["spec"], "containers");
        var oldContainers = Read.Items(old["spec"], "containers");
        var initContainers = Read.Items(pod["spec"], "initContainers");
        var oldInitContainers = Read.Items(old["spec"], "initContainers");
        if (containers.Count != oldContainers.Count || initContainers.Count != oldInitContainers.Count)
        {
            // Adding or removing containers is no resize; what else differs is refused below.
            errs.Add(FieldError.Forbidden(specPath, "only cpu and memory resources are mutable"));
            return;
        }

        for (var i = 0; i < oldInitContainers.Count; i++)
        {
            if (IsSidecar(oldInitContainers[i]))
            {
                ContainerResize(errs, initContainers[i], oldInitContainers[i], specPath.Child("initContainers").Index(i).Child("resources"));
            }
        }

        for (var i = 0; i < oldContainers.Count; i++)
        {
            ContainerResize(errs, containers[i], oldContainers[i], specPath.Child("containers").Index(i).Child("resources"));
        }

        // Only cpu and memory may change: with those put back, each container must be as it was.
        var munged = (JsonObject)pod["spec"]!.DeepClone();
        var mungedContainers = Read.Items(munged, "containers");
        for (var i = 0; i < mungedContainers.Count; i++)
        {
            DropCpuMemoryChanges(mungedContainers[i], oldContainers[i]);
            if (!Read.DeepEquals(mungedContainers[i], oldContainers[i]))
            {
                errs.Add(FieldError.Forbidden(specPath, "only cpu and memory resources are mutable"));
            }
        }

        var mungedInit = Read.Items(munged, "initContainers");
        for (var i = 0; i < mungedInit.Count; i++)
        {
            if (IsSidecar(mungedInit[i]))
            {
                DropCpuMemoryChanges(mungedInit[i], oldInitContainers[i]);
                if (!Read.DeepEquals(mungedInit[i], oldInitContainers[i]))
                {
                    errs.Add(FieldError.Forbidden(specPath, "only cpu and memory resources for sidecar containers are mutable"));
                }
            }
            else if (!Read.DeepEquals(mungedInit[i], oldInitContainers[i]))
            {
                errs.Add(FieldError.Forbidden(specPath, "resources for non-sidecar init containers are immutable"));
            }
        }

        if (errs.Count == 0 && !Read.DeepEquals(munged, old["spec"]))
        {
            errs.Add(FieldError.Forbidden(specPath, "only cpu and memory resources are mutable"));
        }
    }

    private static void Replace(List<FieldError> errs, string message)
    {
        errs.Clear();
        errs.Add(FieldError.Forbidden(FieldPath.New(""), message));
    }

    private static bool IsSidecar(JsonObject container) => container.GetString("restartPolicy") == "Always";

    /// <summary>isPodResizeRequestSupported: a running container's status reports its resources on nodes that can resize.</summary>
    private static bool ResizeSupported(JsonObject pod)
    {
        foreach (var status in Read.Items(pod["status"], "containerStatuses"))
        {
            if (Read.Obj(status["state"], "running") is not null)
            {
                return Read.Has(status, "resources");
            }
        }

        return true;
    }

    /// <summary>validateContainerResize: requests and limits stay, and memory limits only grow unless the container restarts for memory.</summary>
    private static void ContainerResize(List<FieldError> errs, JsonObject container, JsonObject old, FieldPath path)
    {
        var requests = Read.Map(container["resources"], "requests");
        var limits = Read.Map(container["resources"], "limits");
        var oldRequests = Read.Map(old["resources"], "requests");
        var oldLimits = Read.Map(old["resources"], "limits");
        if (oldRequests.Keys.Any(k => !requests.ContainsKey(k)))
        {
            errs.Add(FieldError.Forbidden(path.Child("requests"), "resource requests cannot be removed"));
        }

        if (oldLimits.Keys.Any(k => !limits.ContainsKey(k)))
        {
            errs.Add(FieldError.Forbidden(path.Child("limits"), "resource limits cannot be removed"));
        }

        var memoryPolicy = Read.Items(container, "resizePolicy").Where(p => p.GetString("resourceName") == "memory").Select(p => p.GetString("restartPolicy") ?? "").FirstOrDefault() ?? "";
        if (memoryPolicy is "NotRequired" or "")
        {
            var hasNew = limits.TryGetValue("memory", out var newLimit);
            var hasOld = oldLimits.TryGetValue("memory", out var oldLimit);
            if (hasNew && hasOld && Admission.Quota.Quantity.TryParse(newLimit!, out var n) && Admission.Quota.Quantity.TryParse(oldLimit!, out var o) && n.CompareTo(o) < 0)
            {
                errs.Add(FieldError.Forbidden(path.Child("limits").Key("memory"), "memory limits cannot be decreased unless resizePolicy is RestartContainer"));
            }
            else if (hasNew && !hasOld)
            {
                errs.Add(FieldError.Forbidden(path.Child("limits").Key("memory"), "memory limits cannot be added unless resizePolicy is RestartContainer"));
            }
        }
    }

    /// <summary>dropCPUMemoryResourcesFromContainer: cpu and memory as the old container had them (a list it lacked stays absent).</summary>
    private static void DropCpuMemoryChanges(JsonObject container, JsonObject old)
    {
        var resources = new JsonObject();
        foreach (var list in new[] { "limits", "requests" })
        {
            if (Read.Obj(old["resources"], list) is not { } oldList)
            {
                continue;
            }

            var munged = Read.Obj(container["resources"], list)?.DeepClone() as JsonObject ?? [];
            munged.Remove("cpu");
            munged.Remove("memory");
            foreach (var name in new[] { "cpu", "memory" })
            {
                if (oldList[name] is { } value)
                {
                    munged[name] = value.DeepClone();
                }
            }

            resources[list] = munged;
        }

        if (Read.Obj(old, "resources")?["claims"] is { } claims)
        {
            resources["claims"] = claims.DeepClone();
        }

        container["resources"] = resources;
    }
}
