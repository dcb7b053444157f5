using System.Text.Json.Nodes;
using ClientTools.Events;
using k8s;
using k8s.Models;

namespace ControllerManager.Common;

/// <summary>
/// kube's RealPodControl: creates pods from a template with a controller reference (name from
/// generateName), deletes pods, and records the SuccessfulCreate/FailedCreate/SuccessfulDelete/
/// FailedDelete events on the owner.
/// </summary>
internal sealed class PodControl(IKubernetes client, EventRecorder recorder)
{
    public IKubernetes Client { get; } = client;

    /// <summary>The pod a controller makes from its template (controller.GetPodFromTemplate).</summary>
    public static V1Pod FromTemplate(V1PodTemplateSpec template, V1ObjectMeta owner, V1OwnerReference controllerRef, string? generateNamePrefix = null)
    {
        var spec = KubernetesJson.Deserialize<V1PodSpec>(KubernetesJson.Serialize(template.Spec));
        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                GenerateName = generateNamePrefix ?? GenerateNamePrefix(owner.Name),
                NamespaceProperty = owner.NamespaceProperty,
                Labels = template.Metadata?.Labels is { } labels ? new Dictionary<string, string>(labels) : null,
                Annotations = template.Metadata?.Annotations is { } annotations ? new Dictionary<string, string>(annotations) : null,
                Finalizers = template.Metadata?.Finalizers is { } finalizers ? [.. finalizers] : null,
                OwnerReferences = [controllerRef],
            },
            Spec = spec,
        };
    }

    /// <summary>kube's getPodsPrefix: "name-", cut so that the generated name stays a valid DNS subdomain.</summary>
    public static string GenerateNamePrefix(string controllerName)
    {
        var prefix = controllerName + "-";
        return prefix.Length > 58 ? prefix[..58] : prefix;
    }

    public async Task<V1Pod> CreateAsync<TOwner>(TOwner owner, V1Pod pod, CancellationToken cancellationToken)
        where TOwner : IKubernetesObject<V1ObjectMeta>
    {
        try
        {
            var created = await Client.CoreV1.CreateNamespacedPodAsync(pod, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            recorder.Event(owner, EventTypes.Normal, "SuccessfulCreate", $"Created pod: {created.Metadata.Name}");
            return created;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (!ApiErrors.IsNamespaceTerminating(e))
            {
                recorder.Event(owner, EventTypes.Warning, "FailedCreate", $"Error creating: {ApiErrors.Message(e)}");
            }

            throw;
        }
    }

    public async Task DeleteAsync<TOwner>(TOwner owner, V1Pod pod, CancellationToken cancellationToken)
        where TOwner : IKubernetesObject<V1ObjectMeta>
    {
        try
        {
            await Client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            recorder.Event(owner, EventTypes.Normal, "SuccessfulDelete", $"Deleted pod: {pod.Metadata.Name}");
        }
        catch (Exception e) when (e is not OperationCanceledException && !ApiErrors.IsNotFound(e))
        {
            recorder.Event(owner, EventTypes.Warning, "FailedDelete", $"Error deleting: {ApiErrors.Message(e)}");
            throw;
        }
    }

    /// <summary>
    /// The merge patch that sets an object's ownerReferences to <paramref name="references"/>, guarded by
    /// its uid and resourceVersion so it applies only to the object the controller looked at.
    /// </summary>
    public static V1Patch OwnerReferencesPatch(V1ObjectMeta meta, IEnumerable<V1OwnerReference> references)
    {
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["uid"] = meta.Uid,
                ["resourceVersion"] = meta.ResourceVersion,
                ["ownerReferences"] = JsonNode.Parse(KubernetesJson.Serialize(references.ToList())),
            },
        };
        return new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch);
    }
}
