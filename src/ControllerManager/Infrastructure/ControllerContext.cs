using ClientTools.Cache;
using ClientTools.Events;
using k8s;

namespace ControllerManager.Infrastructure;

/// <summary>
/// What every controller is started with (kube's ControllerContext): the shared informers, a client
/// and an event recorder under the controller's own identity, the settings from the flags, and the clock.
/// </summary>
internal sealed class ControllerContext(SharedInformerFactory informers, Func<string, IKubernetes> clientFor, ControllerManagerSettings settings, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly List<EventRecorder> _recorders = [];

    public SharedInformerFactory Informers { get; } = informers;

    public ControllerManagerSettings Settings { get; } = settings;

    public TimeProvider Time { get; } = time;

    /// <summary>
    /// The client a controller writes with: system:kube-controller-manager's own, or with
    /// --use-service-account-credentials the token of kube-system/&lt;controller name&gt;'s service account.
    /// </summary>
    public IKubernetes ClientFor(string controllerName) => clientFor(controllerName);

    /// <summary>An event recorder whose events name <paramref name="component"/> as their source (e.g. "replicaset-controller").</summary>
    public EventRecorder RecorderFor(string component, IKubernetes client)
    {
        var recorder = new EventRecorder(client, component, time: Time);
        lock (_lock)
        {
            _recorders.Add(recorder);
        }

        return recorder;
    }

    public IReadOnlyList<EventRecorder> Recorders
    {
        get
        {
            lock (_lock)
            {
                return [.. _recorders];
            }
        }
    }
}
