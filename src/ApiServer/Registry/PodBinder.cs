using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiMachinery.Validation;

namespace ApiServer.Registry;

/// <summary>
/// Binds a pod to a node (pods/binding and the bindings resource), which is how the scheduler
/// assigns pods: the pod gets spec.nodeName and a PodScheduled=True condition, atomically, and
/// only if it is not bound already and not being deleted (pkg/registry/core/pod/storage BindingREST).
/// </summary>
internal sealed class PodBinder(RegistryCatalog registry, TimeProvider time)
{
    public async Task BindAsync(RequestScope scope, string ns, JsonObject binding, CancellationToken cancellationToken)
    {
        var podName = ObjectMeta.Name(binding);
        var target = binding["target"] as JsonObject;
        var nodeName = target.GetString("name") ?? "";
        var errors = new List<FieldError>();
        if (podName.Length == 0)
        {
            errors.Add(FieldError.Required(FieldPath.New("metadata", "name")));
        }

        if (nodeName.Length == 0)
        {
            errors.Add(FieldError.Required(FieldPath.New("target", "name")));
        }

        if (target.GetString("kind") is { Length: > 0 } kind && kind != "Node")
        {
            errors.Add(FieldError.NotSupported(FieldPath.New("target", "kind"), kind, ["Node", "<empty>"]));
        }

        if (errors.Count > 0)
        {
            throw StatusException.NewInvalid("", "Binding", podName, errors);
        }

        var pods = registry.Find("", "v1", "pods") ?? throw new InvalidOperationException("pods are not served");
        var annotations = binding["metadata"]?["annotations"] as JsonObject;
        await pods.ApplyUpdateAsync(scope, ns, podName, "binding", pod =>
        {
            if (ObjectMeta.DeletionTimestamp(pod).Length > 0)
            {
                throw StatusException.NewConflict("", "pods/binding", podName, $"pod {podName} is being deleted, cannot be assigned to a host");
            }

            var spec = pod["spec"] as JsonObject ?? [];
            pod["spec"] = spec;
            if (spec.GetString("nodeName") is { Length: > 0 } bound)
            {
                throw StatusException.NewConflict("", "pods/binding", podName, $"pod {podName} is already assigned to node \"{bound}\"");
            }

            spec["nodeName"] = nodeName;
            if (annotations is { Count: > 0 })
            {
                var metadata = ObjectMeta.Metadata(pod);
                var podAnnotations = metadata["annotations"] as JsonObject ?? [];
                foreach (var (key, value) in annotations)
                {
                    podAnnotations[key] = value?.DeepClone();
                }

                metadata["annotations"] = podAnnotations;
            }

            SetScheduledCondition(pod);
            return pod;
        }, cancellationToken).ConfigureAwait(false);
    }

    private void SetScheduledCondition(JsonObject pod)
    {
        var status = pod["status"] as JsonObject ?? [];
        pod["status"] = status;
        var conditions = status["conditions"] as JsonArray ?? [];
        status["conditions"] = conditions;
        var scheduled = conditions.OfType<JsonObject>().FirstOrDefault(c => c.GetString("type") == "PodScheduled");
        if (scheduled is null)
        {
            scheduled = new JsonObject { ["type"] = "PodScheduled" };
            conditions.Add(scheduled);
        }

        scheduled["status"] = "True";
        scheduled["lastProbeTime"] = null;
        scheduled["lastTransitionTime"] = ObjectMeta.FormatTime(time.GetUtcNow());
    }
}
