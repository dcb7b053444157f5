using k8s;
using k8s.Models;

namespace Scheduler.Binding;

/// <summary>The binding cycle's call to the API server (the DefaultBinder plugin), behind an interface so unit tests can stand in for the server.</summary>
public interface IPodBinder
{
    /// <summary>Binds <paramref name="pod"/> to <paramref name="node"/>; throws when the server refuses.</summary>
    Task BindAsync(V1Pod pod, string node, CancellationToken cancellationToken);
}

/// <summary>kube's DefaultBinder: POST pods/{name}/binding with the pod's UID, so a pod recreated under the same name is not bound by mistake.</summary>
public sealed class DefaultBinder(IKubernetes client) : IPodBinder
{
    public const string PluginName = "DefaultBinder";

    public Task BindAsync(V1Pod pod, string node, CancellationToken cancellationToken)
    {
        var binding = new V1Binding
        {
            ApiVersion = "v1",
            Kind = "Binding",
            Metadata = new V1ObjectMeta { Name = pod.Metadata.Name, NamespaceProperty = pod.Metadata.NamespaceProperty, Uid = pod.Metadata.Uid },
            Target = new V1ObjectReference { ApiVersion = "v1", Kind = "Node", Name = node },
        };
        return client.CoreV1.CreateNamespacedPodBindingAsync(binding, pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
    }
}
